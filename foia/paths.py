"""Where foia keeps the user's files.

Each location comes from an environment variable when set (tests and clinics point them
anywhere), else from the platform's per-user directories via platformdirs.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

APP = "foia"


def _platform(kind: str) -> Path:
    # Looked up once per process and setting (platformdirs resolves paths on every call: a
    # third of a millisecond per letter in a batch of letters).
    return _platform_for(kind, os.environ.get("HOME"), os.environ.get(f"XDG_{kind.upper()}_HOME"))


@lru_cache(maxsize=16)
def _platform_for(kind: str, home: str | None, xdg: str | None) -> Path:
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


def make_private_dirs(path: Path) -> None:
    """Create ``path`` and its missing parents, each readable by the user only (OSError on failure).

    Path.mkdir(parents=True) would give the missing parents the default mode (0755 under the
    usual umask), so each missing level is made here."""
    for folder in [*reversed(path.parents), path]:
        if not folder.is_dir():
            if folder.exists():
                raise FileExistsError(17, "a file has that name", str(folder))
            folder.mkdir(mode=0o700, exist_ok=True)


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) readable by the user only."""
    from foia.errors import FoiaError

    try:
        make_private_dirs(path)
    except FileExistsError as exc:
        raise FoiaError(f"cannot create folder {path}: {exc.filename} is a file; choose another folder") from None
    except OSError as exc:
        raise FoiaError(f"cannot create folder {path}: {exc.strerror or exc}; choose a folder you can write to") from None
    return path
