"""The request tracker: requests, tracking numbers, an append-only event history and the
deadlines the engine derives from it, in SQLite (default) or PostgreSQL.

Modules:

- ``store``     engine and connections (SQLite pragmas, BEGIN IMMEDIATE), the migrations list
- ``models``    the tables (SQLAlchemy Core)
- ``lifecycle`` statuses, end states and the transitions between them
- ``derive``    status, tolling periods and deadlines computed from the events
- ``service``   the library API the CLI calls (``Tracker``, ``file_request``)
- ``io``        CSV / JSON / iCalendar export and all-or-nothing import, backups

SQLAlchemy is imported only inside this package, so ``foia --help`` never pays for it.
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
