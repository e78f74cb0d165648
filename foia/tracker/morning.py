"""The morning view (`foia track due`) from its rows: the sections, the parameters of its
statements and THE conversion of their rows into the report, whichever path read them.

No SQLAlchemy here: ``Tracker.due`` (foia.tracker.queries) runs the statements through
SQLAlchemy, and foia.tracker.sqlite_reads runs the same statements' SQLite text through the
standard library's ``sqlite3``; both hand their rows to :func:`due_report`. The statements
themselves are built in foia.tracker.queries (``due_statement``).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Callable, Iterable

from foia.parse import bad
from foia.tracker.appeals import appeal_ground
from foia.vocab import FROM_SENDING

# Statuses in which a request waits with no clock to make it show in `due` (remand has none in
# foia, a fee or clarification wait stops the agency's, mediation and drafts have none): after
# `stale_days` without an event they are listed, with what is usually the next step. (Litigation
# is left out: the court sets its pace, and months without an event are ordinary.)
STALE_STATUSES = {
    "draft": "not sent yet",
    "remanded": "remanded: the agency reprocesses it, with no deadline foia can count",
    "awaiting-fees": "the agency awaits a fee answer or payment (its clock is stopped)",
    "awaiting-clarification": "the agency awaits a clarification (its clock is stopped)",
    "in-mediation": "in OGIS mediation",
}

# The statement shapes `due` runs, each built once with its dates, limit and assignee as
# parameters: ("due", lapsed windows shown, one assignee), ("stale", one assignee), ("quiet",
# one assignee). foia.tracker.sqlite_reads keeps the SQLite text of every one of them.
SHAPES = ([("due", lapsed, mine) for lapsed in (False, True) for mine in (False, True)]
          + [(kind, mine) for kind in ("stale", "quiet") for mine in (False, True)])


def due_report(run: Callable[[tuple, dict], Iterable], *, today: date, calendar: Callable, within: int = 14,
               limit: int = 50, assignee: str | None = None, lapsed_days: int = 7, stale_days: int = 30) -> dict:
    """The morning view: what needs doing today.

    Sections: overdue determinations (with the follow-up command), appeal windows closing
    within ``within`` days, late expedite decisions, overdue appeal decisions, clarification
    answers due within ``within`` days, requester windows that lapsed in the last
    ``lapsed_days`` days (0: none shown), and requests waiting in a status where nothing
    moves by itself (``STALE_STATUSES``) with no event for ``stale_days`` days (0: none
    shown). Each lists at most ``limit`` requests, oldest first, with the total count and
    each request's assignee. ``assignee`` keeps one person's requests (any case).
    ``open`` counts the requests still open and ``next`` is the soonest deadline ahead, so
    a quiet morning still says where the queue stands.

    ``run(shape, params)``: the rows of the statement of that shape (one of ``SHAPES``), all
    read in one snapshot; ``calendar()``: the working-day calendar.
    """
    for value, field in ((within, "within"), (lapsed_days, "lapsed_days"), (stale_days, "stale_days")):
        if value < 0:
            raise bad(field, "give a number of days >= 0")
    if limit < 1:
        raise bad("limit", "give a number of requests >= 1")
    horizon = today + timedelta(days=within)
    sections = [
        ("overdue_determinations", "Overdue determinations", "followup"),
        ("appeal_windows", f"Appeal windows closing within {within} days", "appeal"),
        ("late_expedite_decisions", "Late expedite decisions", "followup"),
        ("overdue_appeal_decisions", "Overdue appeal decisions", "followup"),
        ("clarifications_due", f"Clarification answers due within {within} days", None),
        # Privacy Act amendment: no FOIA follow-up letter fits them, so no command.
        ("overdue_amendment_clocks", "Overdue Privacy Act amendment clocks", None),
    ]
    if lapsed_days:
        sections.append(("lapsed_windows", f"Lapsed in the last {lapsed_days} days", None))
    params = {"today": today, "horizon": horizon, "limit": limit,
              "lapsed_from": today - timedelta(days=lapsed_days), "lapsed_to": today - timedelta(days=1),
              "cutoff": today - timedelta(days=stale_days)}
    if assignee:
        params["assignee"] = assignee.strip().lower()
    mine = bool(assignee)
    out = {"today": today.isoformat(), "within": within, "assignee": assignee, "lapsed_days": lapsed_days,
           "stale_days": stale_days, "sections": []}
    cal = calendar()
    found: dict[int, list] = {}
    for row in run(("due", bool(lapsed_days), mine), params):
        found.setdefault(row.section, []).append(row)
    for number, (key, title, action) in enumerate(sections):
        rows = found.get(number, [])
        items = []
        for row in rows:
            item = {"id": row.request_id, "title": row.title, "office": row.office, "status": row.status,
                    "assignee": row.assignee, "key": row.key, "label": row.label,
                    "start": row.start.isoformat(), "due": row.due.isoformat(), "rule": row.rule}
            # No receipt recorded: the date counts from sending, earlier than the statute's start.
            item["counted_from_sending"] = FROM_SENDING in row.rule
            if row.due < today:
                if key == "lapsed_windows":
                    item["days_ago"] = (today - row.due).days
                else:
                    item["working_days_late"] = cal.working_days_between(row.due, today)
            else:
                item["working_days_left"] = cal.working_days_between(today, row.due)
                item["days_left"] = (row.due - today).days
            if action == "followup":
                item["command"] = f"foia track followup {row.request_id}"
            elif action == "appeal":
                ground = appeal_ground(row.key, row.label)
                if ground:
                    item["command"] = f"foia track appeal {row.request_id} --ground {ground}"
            items.append(item)
        out["sections"].append({"key": key, "title": title, "total": rows[0].total if rows else 0,
                                "items": items})
    if stale_days:
        out["sections"].append(_stale_section(run(("stale", mine), params), today, stale_days))
    out["open"] = out["next"] = None
    if not any(sec["total"] for sec in out["sections"]):
        # Only a quiet morning says where the queue stands: counting every open request
        # reads the whole status index, which a busy morning (a large queue) need not pay.
        [quiet] = run(("quiet", mine), params)
        out["open"] = quiet.open
        out["next"] = ({"id": quiet.request_id, "label": quiet.label, "due": quiet.due.isoformat(),
                        "office": quiet.office} if quiet.request_id is not None else None)
    return out


def _stale_section(rows: Iterable, today: date, stale_days: int) -> dict:
    """Requests in a ``STALE_STATUSES`` status whose latest event is ``stale_days`` or more days
    old and with no open deadline of either party (one would list them in its own section, now
    or when it comes near)."""
    items, total = [], 0
    for row in rows:
        total = row.total
        item = {"id": row.id, "title": row.title, "office": row.office, "status": row.status,
                "assignee": row.assignee, "last_event_on": row.last_on.isoformat(),
                "days_quiet": (today - row.last_on).days, "why": STALE_STATUSES[row.status]}
        if row.status == "awaiting-clarification":
            item["command"] = f"foia track update {row.id} --status in-progress --on DATE"
        elif row.status in ("remanded", "awaiting-fees"):
            item["command"] = f"foia track followup {row.id}"
        items.append(item)
    return {"key": "stale", "title": f"No movement for {stale_days} days or more", "total": total,
            "items": items}
