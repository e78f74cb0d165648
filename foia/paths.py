"""Where foia keeps the user's files.

Each location comes from an environment variable when set (tests and clinics point them
anywhere), else from the platform's per-user directories via platformdirs.
"""

from __future__ import annotations

import os
from pathlib import Path

APP = "foia"


def _platform(kind: str) -> Path:
    import platformdirs

    return Path(getattr(platformdirs, f"user_{kind}_dir")(APP, appauthor=False))


def config_dir() -> Path:
    """Profile, user templates and directory overrides (FOIA_CONFIG_DIR)."""
    env = os.environ.get("FOIA_CONFIG_DIR")
    return Path(env) if env else _platform("config")


def data_dir() -> Path:
    """The default SQLite tracker database and backups (FOIA_DATA_DIR)."""
    env = os.environ.get("FOIA_DATA_DIR")
    return Path(env) if env else _platform("data")


def cache_dir() -> Path:
    """Cached USAspending answers (FOIA_CACHE_DIR)."""
    env = os.environ.get("FOIA_CACHE_DIR")
    return Path(env) if env else _platform("cache")


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) readable by the user only."""
    from foia.errors import FoiaError

    try:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
    except FileExistsError:
        raise FoiaError(f"cannot create folder {path}: a file has that name; choose another folder") from None
    except OSError as exc:
        raise FoiaError(f"cannot create folder {path}: {exc.strerror or exc}; choose a folder you can write to") from None
    return path
