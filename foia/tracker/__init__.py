"""The request tracker: requests, tracking numbers, an append-only event history and the
deadlines the engine derives from it, in SQLite (default) or PostgreSQL.

Modules, one rule each:

- ``store``     engine and connections (SQLite pragmas, BEGIN IMMEDIATE), the migrations list
- ``models``    the tables (SQLAlchemy Core)
- ``lifecycle`` statuses, end states and the transitions between them
- ``fields``    what each field of a request may hold (one check for add, update and import)
- ``moves``     which status changes, corrections and dates the history allows
- ``appeals``   what an appeal is of and on which ground; the remand refusal
- ``derive``    status, tolling periods and deadlines computed from the events
- ``litigation`` when the requester may sue (exhaustion, limitations), the answer after service
- ``fees``      what an office may ask in fees (warnings)
- ``offices``   the office's details as recorded, and what a linked contract stands for
- ``events``    an event's row, unique ids, who records a change
- ``service``   the writes (``Tracker``: add, update, correct); ``Tracker`` also reads through
  ``queries`` (show, list, due; THE next-deadline rule), recomputes through ``refresh`` and
  purges through ``purge``
- ``views``     dicts and one-line summaries for show/list/export, identity hiding
- ``context``   today, the directory and the calendar a tracker counts by (no SQLAlchemy)
- ``morning``   the morning view's report from its rows, whichever path read them (no SQLAlchemy)
- ``sqlite_reads`` `track due` on a SQLite file through ``sqlite3``, running the SQLite text
  (``sqlite_text``, generated) of the tracker's own statements
- ``filing``    filing from a letter (``draft --track``), follow-up and appeal letters
- ``io``        CSV / JSON / iCalendar export and all-or-nothing import, backups

SQLAlchemy is imported only inside this package, so ``foia --help`` never pays for it, and
`foia track due` on a SQLite file at the current schema does not import it at all.
"""

from __future__ import annotations

__all__ = ["open_tracker", "file_request"]


def open_tracker(url: str | None = None, **kwargs):
    """A :class:`foia.tracker.service.Tracker` on ``url`` (else ``FOIA_DB``, else the default file)."""
    from foia.tracker.service import Tracker
    from foia.tracker.store import open_store

    return Tracker(open_store(url), **kwargs)


def file_request(store_or_url, **kwargs) -> int:
    """Record a request filed with a letter; see :func:`foia.tracker.service.file_request`."""
    from foia.tracker.filing import file_request as _file

    return _file(store_or_url, **kwargs)
