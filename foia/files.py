"""Writing files so that a crash never leaves half of one, and PII stays user-only."""

from __future__ import annotations

import os
import re
import stat
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterable, Iterator

from foia.errors import FoiaError
from foia.naming import Field, Text
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
    with replacing(path, mode=mode, overwrite=overwrite, what=what) as (fd, _):
        text = {} if binary else {"encoding": "utf-8", "newline": ""}
        with os.fdopen(fd, "wb" if binary else "w", closefd=False, **text) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())


@contextmanager
def replacing(path: Path | str, *, mode: int = PRIVATE, overwrite: bool = True,
              what: str = "") -> Iterator[tuple[int, str]]:
    """A new temporary file beside ``path``, as (descriptor, path): created with ``mode`` and
    locked, renamed over ``path`` when the block ends without error, removed when it fails.
    ``what`` names the input that gave the path (a :class:`~foia.naming.Field` stays one)."""
    path = Path(path)
    fd, tmp = _temporary_for(path, mode=mode, overwrite=overwrite, what=what)
    try:
        yield fd, tmp
        # Renamed while still open and locked: no clean-up can take it for a dead writer's.
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    finally:
        os.close(fd)


def _temporary_for(path: Path, *, mode: int, overwrite: bool, what: str = "", prepared: set | None = None,
                   ) -> tuple[int, str]:
    """The checks of ``replacing`` and its temporary file for ``path``, as (descriptor, path).
    ``prepared``: the folders this batch has already made (and adds the one it makes)."""
    field = str(what) if isinstance(what, Field) else None
    # A Text keeps ``what`` a field when it is one (the CLI shows --out, a form its label).
    hint = Text("choose a writable ", what) if what else "choose a writable directory"
    if path.is_dir():
        raise FoiaError(Text(f"{path} is a directory; give a file name", *((" (", what, ")") if what else ())),
                        field=field)
    refuse_special(path, what)
    if not overwrite and path.exists():
        raise FoiaError(Text(f"{path} already exists; pass ", Field("overwrite"), " or choose another name"))
    parent = path.parent if str(path.parent) else Path(".")
    try:
        if prepared is None or parent not in prepared:
            make_private_dirs(parent)
            if prepared is not None:
                prepared.add(parent)
        remove_stale_temporaries(parent, path.name)
        return private_temporary(parent, path.name, mode)
    except OSError as exc:
        raise FoiaError(Text(f"cannot write {path}: {exc.strerror or exc}; ", hint), field=field) from None


def refuse_special(path: Path | str, what: str = "") -> None:
    """Refuse a ``path`` that exists and is not a regular file: the rename at the end of a write
    would put a regular file in its place (as root, ``--out /dev/null`` would replace the
    system's /dev/null with client data; a symbolic link would be replaced, not followed)."""
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return          # absent (or unreadable: the write itself says why)
    if stat.S_ISREG(mode):
        return
    kind = ("a symbolic link" if stat.S_ISLNK(mode) else "a directory" if stat.S_ISDIR(mode)
            else "a named pipe (FIFO)" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode) else "a device")
    raise FoiaError(Text(f"{path} is {kind}, not a regular file; give the name of a new or regular file",
                         *((" (", what, ")") if what else ())), field=str(what) if isinstance(what, Field) else None)


def read_regular_text(path: Path | str, *, what: str, limit: int) -> str:
    """A UTF-8 text file's contents, refusing anything but a regular file of at most ``limit``
    bytes (a device such as /dev/zero or a named pipe would be read forever)."""
    path = Path(path)
    try:
        st = os.stat(path)
    except OSError as exc:
        raise FoiaError(f"{what}: cannot read {path}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(st.st_mode):
        raise FoiaError(f"{what}: {path} is not a regular file (a folder, a device or a pipe); give a text file")
    if st.st_size > limit:
        raise FoiaError(f"{what}: {path} is larger than {limit:,} bytes; give a text file of at most that size")
    try:
        with open(path, "rb") as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        raise FoiaError(f"{what}: cannot read {path}: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise FoiaError(f"{what}: {path} is larger than {limit:,} bytes; give a text file of at most that size")
    return data.decode("utf-8")


# The temporary copies beside a file being written: ".NAME.<random>.tmp" (tempfile.mkstemp).
# Each is held under an exclusive flock while it is written, so a copy nobody holds was left
# by a writer that died (SIGKILL, power loss) and holds whatever that writer wrote: letters,
# unredacted exports, backups. The next write to the same place removes it, and so does
# `foia track purge` in the folders foia writes to by default.
_TEMPORARY = re.compile(r"\.(?P<name>.+)\.[A-Za-z0-9_]{8}\.tmp")


def private_temporary(parent: Path, name: str, mode: int = PRIVATE) -> tuple[int, str]:
    """A new temporary file for ``name`` in ``parent``: (fd, path), ``mode``, held locked."""
    import fcntl

    while True:
        fd, tmp = tempfile.mkstemp(dir=parent, prefix=f".{name}.", suffix=".tmp")
        try:
            os.fchmod(fd, mode)
            fcntl.flock(fd, fcntl.LOCK_EX)
            # Another process's clean-up may have taken it between mkstemp and flock: then
            # the name no longer leads to this file; make another.
            if os.stat(tmp).st_ino == os.fstat(fd).st_ino:
                return fd, tmp
        except FileNotFoundError:
            pass
        except BaseException:
            _discard(tmp, fd)
            raise
        os.close(fd)


def _discard(tmp: str, fd: int | None = None) -> None:
    """Close (when ``fd`` is given) and remove a temporary file that will not be renamed."""
    if fd is not None:
        os.close(fd)
    try:
        os.unlink(tmp)
    except OSError:
        pass


def remove_stale_temporaries(parent: Path, name: str | None = None) -> list[Path]:
    """Delete the temporary copies in ``parent`` (of ``name``, or of any file) that no live
    writer holds; return their paths."""
    import fcntl

    removed = []
    try:
        entries = os.listdir(parent)
    except OSError:
        return removed
    for entry in entries:
        m = _TEMPORARY.fullmatch(entry)
        if not m or (name is not None and m.group("name") != name):
            continue
        tmp = Path(parent) / entry
        try:
            fd = os.open(tmp, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError:
            continue
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                continue            # a writer is at work on it
            os.unlink(tmp)
            removed.append(tmp)
        except OSError:
            pass
        finally:
            os.close(fd)
    return removed


def atomic_write(path: Path | str, data: bytes | str, *, mode: int = PRIVATE,
                 overwrite: bool = True) -> Path:
    """Write ``data`` to ``path`` all at once (see ``atomic_open``)."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    with atomic_open(path, mode=mode, overwrite=overwrite) as fh:
        fh.write(data)
    return Path(path)


# Files whose flush to disk may be under way at once in write_all.
IN_FLIGHT = 16


def write_all(files: Iterable[tuple[Path | str, bytes]], *, mode: int = PRIVATE, overwrite: bool = True,
              ) -> list[Path]:
    """Write each ``(path, data)`` as :func:`atomic_write` does, the batch's flushes to disk
    under way together.

    An fsync waits for the disk's journal: one file after another, ten letters waited ten times
    (about as long as `foia draft` took to start). Here each file's fsync and rename run in a
    thread of their own while the next file is written, so the disk takes several in one
    commit; each file is still renamed into place only once its own data is on disk, so a
    crash (SIGKILL, power loss) leaves every file whole or absent. Each folder is flushed once
    at the end, so the new names survive a power loss too. The first error stops the batch and
    is raised once the files under way are done (those written stay, as with atomic_write).
    ``files`` is read lazily: a progress bar over it advances as each file is written."""
    import threading

    slots = threading.BoundedSemaphore(IN_FLIGHT)
    errors: list[BaseException] = []
    workers: list[threading.Thread] = []
    written: list[Path] = []
    prepared: set[Path] = set()

    def finish(fd: int, tmp: str, path: Path) -> None:
        try:
            os.fsync(fd)
            os.replace(tmp, path)
        except BaseException as exc:  # the main thread raises it
            errors.append(exc)
            _discard(tmp)
        finally:
            os.close(fd)
            slots.release()

    try:
        for path, data in files:
            if errors:
                break
            path = Path(path)
            if isinstance(data, str):
                data = data.encode("utf-8")
            slots.acquire()
            try:
                fd, tmp = _temporary_for(path, mode=mode, overwrite=overwrite, prepared=prepared)
            except BaseException:
                slots.release()
                raise
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
                worker = threading.Thread(target=finish, args=(fd, tmp, path), daemon=True)
                worker.start()
            except BaseException:
                _discard(tmp, fd)
                slots.release()
                raise
            workers.append(worker)
            written.append(path)
    finally:
        for worker in workers:
            worker.join()
    if errors:
        raise errors[0]
    for folder in prepared:
        _flush_folder(folder)
    return written


def _flush_folder(folder: Path) -> None:
    """fsync a folder, so the names renamed into it last through a power loss."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass            # some file systems cannot flush a folder; the files themselves are on disk
    finally:
        os.close(fd)


def inside(base: Path, name: str) -> Path:
    """``base / name``, refusing any name that would leave ``base``."""
    base = base.resolve()
    target = (base / name).resolve()
    if target != base and base not in target.parents:
        raise FoiaError(f"file name {name!r} would leave the output directory {base}; use a plain name")
    return target
