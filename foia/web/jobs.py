"""An admin's long work (export, import, backup) run in the background, its progress kept in
the database.

The page that starts a job answers at once with the job's address; a worker thread in that
process runs the library function, and a watcher thread records how far it has got every
half second (the rows or bytes the library has written of the total) in ``web_jobs``. The
job's page reads that row, so any `foia serve` process can answer it and it needs no
JavaScript: it reloads itself (``<meta http-equiv="refresh">``) until the job has finished.

How far the library has got is read from the file it writes: an export writes one CSV record
or one JSON request per line, a SQLite backup copies the database page by page into its file.
An import writes everything in one transaction (all or nothing), so nothing of it can be seen
before the end: its page shows the rows the file holds and then the rows imported.
"""

from __future__ import annotations

import os
import secrets
import shutil
import sys
import tempfile
import threading
import traceback
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

from foia.errors import FoiaError, NotFound
from foia.web.models import web_jobs

RESULT_KEPT = timedelta(hours=1)        # a finished file waits this long for its download
JOBS_KEPT = timedelta(days=7)           # then the job's row goes too
# A running job whose watcher has not written for this long was running in a server that has
# stopped. Long: during an import on SQLite the watcher waits for the import's transaction.
STALE = timedelta(minutes=10)
TICK = 0.5


def _stamp(t: datetime | None = None) -> str:
    return (t or datetime.now(timezone.utc)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse(stamp: str) -> datetime:
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)


def ensure_table(store) -> None:
    """Create ``web_jobs`` in a database made before it existed (migration 10 makes it now)."""
    from sqlalchemy import inspect

    from foia.tracker.models import metadata

    with store.engine.connect() as conn:
        if inspect(conn).has_table("web_jobs"):
            return
    try:
        with store.engine.begin() as conn:
            metadata.create_all(conn, tables=[web_jobs], checkfirst=True)
    except Exception:       # another process created it at the same moment
        with store.engine.connect() as conn:
            if not inspect(conn).has_table("web_jobs"):
                raise


@dataclass
class Job:
    id: str
    kind: str
    label: str
    owner: str | None
    state: str
    unit: str
    done: int
    total: int | None
    message: str | None
    result_name: str | None
    has_result: bool
    created_at: str
    finished_at: str | None
    stale: bool

    @property
    def running(self) -> bool:
        return self.state == "running" and not self.stale

    @property
    def percent(self) -> int | None:
        if not self.total:
            return 100 if self.state == "done" else None
        return min(100, int(100 * self.done / self.total))


def _job(r, now: datetime) -> Job:
    stale = r.state == "running" and now - _parse(r.heartbeat_at) > STALE
    return Job(r.id, r.kind, r.label, r.owner, r.state, r.unit, r.done or 0, r.total, r.message, r.result_name,
               bool(r.has_result), r.created_at, r.finished_at, stale)


def _columns():
    c = web_jobs.c
    return (c.id, c.kind, c.label, c.owner, c.state, c.unit, c.done, c.total, c.message, c.result_name,
            c.created_at, c.heartbeat_at, c.finished_at, c.result.is_not(None).label("has_result"))


def get(store, job_id: str) -> Job:
    from sqlalchemy import select

    with store.read() as conn:
        r = conn.execute(select(*_columns()).where(web_jobs.c.id == job_id)).first()
    if r is None:
        raise NotFound(f"no job {job_id!r} (finished jobs are kept {JOBS_KEPT.days} days)")
    return _job(r, datetime.now(timezone.utc))


def recent(store, limit: int = 10) -> list[Job]:
    from sqlalchemy import select

    now = datetime.now(timezone.utc)
    with store.read() as conn:
        rows = conn.execute(select(*_columns()).order_by(web_jobs.c.created_at.desc()).limit(limit)).all()
    return [_job(r, now) for r in rows]


def result(store, job_id: str) -> tuple[str, bytes]:
    """The finished job's file: (name, bytes)."""
    from sqlalchemy import select

    with store.read() as conn:
        r = conn.execute(select(web_jobs.c.result_name, web_jobs.c.result).where(web_jobs.c.id == job_id)).first()
    if r is None or r.result is None:
        raise NotFound(f"job {job_id!r} has no file to download (results are kept "
                       f"{int(RESULT_KEPT.total_seconds() // 3600)} hour; start it again)")
    return r.result_name, bytes(r.result)


def clean(store, *, results: bool = False) -> None:
    """Drop results older than RESULT_KEPT and jobs older than JOBS_KEPT; ``results``: drop
    every finished job's file (before a backup, which should not hold older copies)."""
    from sqlalchemy import delete, update

    now = datetime.now(timezone.utc)

    def run(conn):
        conn.execute(delete(web_jobs).where(web_jobs.c.created_at < _stamp(now - JOBS_KEPT)))
        old = web_jobs.c.state != "running" if results else web_jobs.c.finished_at < _stamp(now - RESULT_KEPT)
        conn.execute(update(web_jobs).where(old, web_jobs.c.result.is_not(None)).values(result=None))

    store.write(run)


def _set(store, job_id: str, **values) -> None:
    from sqlalchemy import update

    store.write(lambda conn: conn.execute(update(web_jobs).where(web_jobs.c.id == job_id).values(**values)))


@dataclass
class Outcome:
    """What a finished job shows: its message, the units done, the file offered (and its name)."""

    message: str
    done: int | None = None
    total: int | None = None        # when the end shows the estimate was off (a copy's real size)
    path: Path | None = None
    name: str | None = None


class Watch:
    """How far the library has got writing its file in ``folder``: the newlines and the bytes of
    the file it is writing (followed by inode, so the rename at the end counts nothing twice)."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.seen: dict[int, tuple[int, int]] = {}      # inode: (bytes read, newlines)

    def measure(self) -> tuple[int, int]:
        for entry in os.scandir(self.folder):
            try:
                st = entry.stat()
                offset, lines = self.seen.get(st.st_ino, (0, 0))
                if st.st_size > offset:
                    with open(entry.path, "rb") as fh:
                        fh.seek(offset)
                        chunk = fh.read(st.st_size - offset)
                    self.seen[st.st_ino] = (offset + len(chunk), lines + chunk.count(b"\n"))
            except FileNotFoundError:
                continue            # renamed or removed between the listing and the look
        return (sum(n for _, n in self.seen.values()), sum(b for b, _ in self.seen.values()))


def start(store, *, kind: str, label: str, owner: str | None, unit: str, total: int | None,
          work: Callable[[Path], "Outcome"],
          progress: Callable[[int, int], int] | None = None, cleanup: Callable[[], None] | None = None) -> str:
    """Record a job and run ``work(folder)`` in a thread; returns the job's id.

    ``work`` writes into ``folder`` (a private temporary folder) and returns its Outcome. ``progress(newlines, bytes)`` turns what the
    watcher sees in the folder into the units done. A FoiaError's message is the job's
    refusal; anything else is logged and reported as an internal error."""
    from sqlalchemy import insert

    clean(store, results=kind == "backup")
    job_id = secrets.token_hex(16)
    now = _stamp()
    store.write(lambda conn: conn.execute(insert(web_jobs).values(
        id=job_id, kind=kind, label=label, owner=owner, state="running", unit=unit, done=0, total=total,
        created_at=now, heartbeat_at=now)))
    folder = Path(tempfile.mkdtemp(prefix="foia-job-"))

    def watch(finished: threading.Event) -> None:
        seen = Watch(folder)
        while not finished.wait(TICK):
            try:
                values = {"heartbeat_at": _stamp()}
                if progress is not None:
                    values["done"] = progress(*seen.measure())
                _set(store, job_id, **values)
            except Exception:       # a busy database or a vanished file: the next tick tries again
                continue

    def run() -> None:
        finished = threading.Event()
        watcher = threading.Thread(target=watch, args=(finished,), name=f"foia-job-{job_id[:8]}-watch", daemon=True)
        watcher.start()
        try:
            out = work(folder)
            values = {"state": "done", "message": out.message}
            if out.done is not None:
                values["done"] = out.done
            if out.total is not None:
                values["total"] = out.total
            if out.path is not None:
                values.update(result_name=out.name or out.path.name, result=out.path.read_bytes())
        except FoiaError as exc:
            values = {"state": "failed", "message": exc.message}
        except Exception:
            print(f"foia serve: job {job_id} failed:\n{traceback.format_exc()}", file=sys.stderr)
            values = {"state": "failed", "message": "an internal error stopped it (the server's log has the "
                                                    "details); nothing was changed"}
        finally:
            finished.set()
            watcher.join()
            shutil.rmtree(folder, ignore_errors=True)
            if cleanup is not None:
                cleanup()
        values.update(finished_at=_stamp(), heartbeat_at=_stamp())
        if values["state"] == "done" and total is not None:
            values.setdefault("done", total)
        _set(store, job_id, **values)

    threading.Thread(target=run, name=f"foia-job-{job_id[:8]}", daemon=True).start()
    return job_id
