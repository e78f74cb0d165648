"""How the tracker shows what it holds: a request and its events as dicts, one line per event,
a deadline's state on a day, and the hiding of identity fields (``identity=False``).

Pure functions (no database): `show`, `list`, the exports and the web app read through them.
"""

from __future__ import annotations

from datetime import date

from foia.tracker import derive as dv
from foia.tracker import lifecycle as lc
from foia.tracker.appeals import appeal_of_text
from foia.tracker.models import IDENTITY_COLUMNS, IDENTITY_EVENT_KEYS


def deadline_state(t: dv.Tracked, today: date) -> str:
    """open | stopped (tolled) | overdue (agency, past due) | lapsed (requester window passed) |
    met (the agency acted by the due date) | late (it acted after) | closed (withdrawn, appealed,
    answered...)."""
    if not t.open:
        acted = t.closed_by in lc.DETERMINATIONS | {"decision"} or (
            # An appeal's outcome decides the appeal; when it closes the determination clock (a
            # row imported as "appeal-denied") the determination's own date is unknown.
            t.closed_by in lc.APPEAL_DECISIONS and t.key != "determination")
        if t.party == dv.AGENCY and acted and t.closed_on and t.due:
            return "late" if t.closed_on > t.due else "met"
        return "closed"
    if t.due is None:
        return "stopped"
    if t.due < today:
        return "overdue" if t.party == dv.AGENCY else "lapsed"
    return "open"


def deadline_dict(t: dv.Tracked, today: date, calendar) -> dict:
    """A deadline as `show` gives it, with its state on ``today`` (and the working days late)."""
    d = t.deadline.to_dict()
    d["party"] = t.party
    d["open"] = t.open
    d["closed_on"] = t.closed_on.isoformat() if t.closed_on else None
    d["closed_by"] = t.closed_by
    d["state"] = deadline_state(t, today)
    if t.due and t.open and t.due < today:
        d["working_days_late"] = calendar.working_days_between(t.due, today)
    return d


def request_dict(row, *, identity: bool = False) -> dict:
    m = dict(row._mapping)
    for k in ("status_on", "filed_on", "agency_due", "requester_due"):
        if m.get(k) is not None:
            m[k] = m[k].isoformat()
    for k in ("systems", "vendors", "contracts"):
        m[k] = list(m.get(k) or [])
    if not identity:
        for k in IDENTITY_COLUMNS:
            m.pop(k, None)
    return m


def event_dict(e: dv.Event, *, identity: bool = False, voided: bool = False) -> dict:
    data = dict(e.data or {})
    if not identity:
        for k in list(data):
            if k in IDENTITY_EVENT_KEYS and data[k] not in (None, "", []):
                data[k] = HIDDEN
    out = {"id": e.id, "uid": e.uid, "type": e.type, "status": e.status, "occurred_on": e.occurred_on.isoformat(),
           "recorded_at": e.recorded_at, "actor": e.actor, "note": e.note, "data": data,
           "summary": summary_of(e.type, e.status, data)}
    if voided:
        out["voided"] = True
    if e.corrected:
        out["corrected"] = list(e.corrected)
    return out


HIDDEN = "[identity hidden]"


def summary(ev: dict) -> str:
    """One line for an event about to be stored (a dict of the events table), identity hidden."""
    data = {k: (HIDDEN if k in IDENTITY_EVENT_KEYS and v not in (None, "", []) else v)
            for k, v in (ev.get("data") or {}).items()}
    return summary_of(ev["type"], ev.get("status"), data, on=ev["occurred_on"])


def summary_of(type_: str, status: str | None, data: dict, on: date | None = None) -> str:
    """One line for an event of ``type_``: "Denied on 2025-03-01", "tracking number X (assigned)"."""
    when = f" on {on.isoformat()}" if on else ""
    if type_ == "status":
        text = f"{lc.label(status)}{when}"
        if data.get("of"):
            text += f" (of the {appeal_of_text(data['of'])})"
        if data.get("received"):
            text += f" (appeal received {data['received']})"
        return text
    if type_ == "created":
        return "recorded as a draft" if status == "draft" else "recorded in the tracker"
    if type_ == "tracking-number":
        return f"tracking number {data.get('number')} ({data.get('reason')})"
    if type_ == "fee":
        kind = {"waiver-denied": "fee waiver denied", "waived": "fees waived"}.get(data.get("kind"),
                                                                                   f"fees {data.get('kind')}")
        return f"{kind}: ${data.get('amount')}{when}"
    if type_ == "estimated-completion":
        return f"estimated completion {data.get('date')}"
    if type_ == "extension-notice":
        return f"extension notice{when}" + (" (appeal)" if data.get("stage") == "appeal" else "")
    if type_ == "received":
        return f"received by the office{when}"
    if type_ == "first-received":
        return f"first received by another office{when}"
    if type_ == "expedite-decision":
        return f"expedited processing {data.get('decision')}{when}"
    if type_ == "referral":
        return f"referred to {data.get('office')}{when}"
    if type_ == "expedite-asked":
        return f"expedited processing asked{when}"
    if type_ == "served":
        return f"complaint served on the agency{when}"
    if type_ == "documents":
        parts = []
        if data.get("count") is not None:
            parts.append(f"{data['count']} documents")
        if data.get("pages") is not None:
            parts.append(f"{data['pages']} pages")
        files = data.get("files")
        if isinstance(files, list) and files:
            parts.append("files: " + ", ".join(map(str, files)))
        elif files == HIDDEN:
            parts.append("files recorded (--identity shows them)")
        return "documents received" + (f": {', '.join(parts)}" if parts else "")
    if type_ == "letter":
        what = data.get("kind", "letter")
        shown = data.get("path") and data["path"] != HIDDEN
        return f"{what} letter drafted" + (f": {data['path']}" if shown else "")
    if type_ == "correction":
        if data.get("void"):
            return f"event {data.get('event')} voided"
        return f"event {data.get('event')} moved to {data.get('occurred_on')}"
    if type_ == "purged":
        return "identity data purged: " + (", ".join(data.get("fields") or []) or "event data only")
    if type_ == "edited":
        parts = []
        if "assignee" in data:
            parts.append(f"assignee {data['assignee'].get('to') or '(none)'}")
        if data.get("tags_added"):
            parts.append("tags + " + ", ".join(data["tags_added"]))
        if data.get("tags_removed"):
            parts.append("tags - " + ", ".join(data["tags_removed"]))
        return "; ".join(parts) or "edited"
    if type_ == "note":
        return "note"
    if type_ == "mail-received":
        return f"mail received from {data.get('from') or 'the office'} (foia inbox show {data.get('message')})"
    if type_ == "delivery-failed":
        return (f"delivery failed: {data.get('reason') or 'the mail bounced'}"
                f" (foia inbox show {data.get('message')})")
    return type_
