"""Writing files so that a crash never leaves half of one, and PII stays user-only."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from foia.errors import FoiaError

PRIVATE = 0o600


def atomic_write(path: Path | str, data: bytes | str, *, mode: int = PRIVATE,
                 overwrite: bool = True) -> Path:
    """Write ``data`` to ``path`` through a temporary file and a rename.

    The file is created with ``mode`` (user-only by default: letters and exports hold PII).
    A reader sees the old file or the new one, never a part.
    """
    path = Path(path)
    if isinstance(data, str):
        data = data.encode("utf-8")
    parent = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise FoiaError(f"{path} is a directory; give a file name")
    if not overwrite and path.exists():
        raise FoiaError(f"{path} already exists; pass --overwrite or choose another name")
    try:
        parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise FoiaError(f"cannot write {path}: {exc.strerror or exc}; choose a writable directory") from None
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path


def inside(base: Path, name: str) -> Path:
    """``base / name``, refusing any name that would leave ``base``."""
    base = base.resolve()
    target = (base / name).resolve()
    if target != base and base not in target.parents:
        raise FoiaError(f"file name {name!r} would leave the output directory {base}; use a plain name")
    return target
