"""Events as stored: a new event's row, unique ids (one per event, fast ones for a bulk import),
who records a change, and a request's history read back."""

from __future__ import annotations

import getpass
import os
from datetime import date
from typing import TYPE_CHECKING

from foia.tracker.codec import UidMaker, new_uid  # noqa: F401 - the tracker's uids are made here
from foia.tracker.store import utcnow

if TYPE_CHECKING:
    from foia.tracker import derive as dv


def default_actor() -> str | None:
    """Who records a change: ``FOIA_USER``, else the login name."""
    env = os.environ.get("FOIA_USER", "").strip()
    if env:
        return env
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name (container without passwd entry)
        return None


def new_event(rid: int, type_: str, on: date, actor, *, status=None, note=None, data=None) -> dict:
    """A row of the events table for request ``rid``, recorded now (append it in a write)."""
    return {"uid": new_uid(), "request_id": rid, "type": type_, "status": status, "occurred_on": on,
            "recorded_at": utcnow(), "actor": actor, "note": note, "data": data or {}}


def load_events(conn, rid: int) -> list[dv.Event]:
    """Request ``rid``'s events in the order they were recorded (not yet effective: see dv.effective)."""
    from sqlalchemy import select

    from foia.tracker import derive as dv
    from foia.tracker.models import events

    return [dv.event_from_row(r) for r in conn.execute(
        select(events).where(events.c.request_id == rid).order_by(events.c.id))]
