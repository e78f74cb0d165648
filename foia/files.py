"""Writing files so that a crash never leaves half of one, and PII stays user-only."""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator

from foia.errors import FoiaError
from foia.paths import make_private_dirs

PRIVATE = 0o600


@contextmanager
def atomic_open(path: Path | str, *, binary: bool = True, mode: int = PRIVATE,
                overwrite: bool = True, what: str = "") -> Iterator[IO]:
    """A file object whose contents replace ``path`` only when the block ends without error.

    It writes to a temporary file beside ``path`` (created with ``mode``: user-only by default,
    since letters and exports hold PII), flushes it to disk and renames it into place, so a
    reader, or a crash, sees the old file or the new one, never a part. ``what`` names the
    option that gave the path, for the error message.
    """
    path = Path(path)
    hint = f"choose a writable {what}" if what else "choose a writable directory"
    if path.is_dir():
        raise FoiaError(f"{path} is a directory; give a file name" + (f" ({what})" if what else ""))
    if not overwrite and path.exists():
        raise FoiaError(f"{path} already exists; pass --overwrite or choose another name")
    parent = path.parent if str(path.parent) else Path(".")
    try:
        make_private_dirs(parent)
        fd, tmp = tempfile.mkstemp(dir=parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise FoiaError(f"cannot write {path}: {exc.strerror or exc}; {hint}") from None
    try:
        os.fchmod(fd, mode)
        text = {} if binary else {"encoding": "utf-8", "newline": ""}
        with os.fdopen(fd, "wb" if binary else "w", **text) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def atomic_write(path: Path | str, data: bytes | str, *, mode: int = PRIVATE,
                 overwrite: bool = True) -> Path:
    """Write ``data`` to ``path`` all at once (see ``atomic_open``)."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    with atomic_open(path, mode=mode, overwrite=overwrite) as fh:
        fh.write(data)
    return Path(path)


def inside(base: Path, name: str) -> Path:
    """``base / name``, refusing any name that would leave ``base``."""
    base = base.resolve()
    target = (base / name).resolve()
    if target != base and base not in target.parents:
        raise FoiaError(f"file name {name!r} would leave the output directory {base}; use a plain name")
    return target
