"""Export every request: JSON (everything, re-importable), CSV (one row per request) and ICS
(one calendar event per open deadline).

- JSON (``format: foia-tracker``): each request with its fields, tags, tracking numbers and
  every event. Export then import into an empty database gives the same requests, tracking
  numbers and events (ids included when they are free).
- CSV: one row per request (a spreadsheet view): the fields, tags, tracking numbers
  (``NUMBER:reason; ...``), the current status and its date. Importing it rebuilds each
  request's history as "submitted on filed_on" then "status on status_on".
- ICS: one all-day event per open deadline (iCalendar, via the ``icalendar`` package), with a
  stable UID per request and clock so a calendar re-import updates instead of duplicating.

Every file is written user-only (0600) through a temporary file and a rename: a reader sees
the old file or the complete new one. ``redact=True`` leaves out identity fields, the letter
text, file references and (unless ``keep_notes``) free-text notes.

A new format is one writer function here and one line in :data:`EXPORTERS` (and the
command's choice list).
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Iterator, Sequence

from foia.errors import UsageError
from foia.naming import Field, Text
from foia.tracker import derive as dv
from foia.tracker import lifecycle as lc
from foia.tracker.models import IDENTITY_COLUMNS, IDENTITY_EVENT_KEYS, deadlines, events, request_tags, requests, \
    tracking_numbers
from foia.tracker.store import LATEST, utcnow

# Calendar alarms before a requester deadline (an appeal window, a clarification answer), in days.
DEFAULT_REMINDERS = (7, 1)

FORMAT = "foia-tracker"
FORMAT_VERSION = 1
# Derived, as `show` gives them: exhaustion (actual or constructive, 552(a)(6)(C)(i)), the end of
# the 6-year limitations period (28 U.S.C. 2401(a)), and whether the next deadline is counted from
# sending (no receipt recorded). The JSON export has them too, under "derived".
# In litigation, the answer due 30 days after service (552(a)(4)(C); unverified, foia/tracker/litigation.py).
LITIGATION_COLUMNS = ["exhaustion_on", "exhaustion_how", "limitations_period_ends", "next_deadline_note",
                      "answer_due", "answer_due_how"]
CSV_COLUMNS = ["id", "uid", "title", "office", "kind", "status", "status_on", "filed_on", "sent_via", "assignee",
               "tags", "requester", "client_name", "client_dob", "client_a_number", "fee_category", "fee_limit",
               "fee_waiver", "expedite", "systems", "vendors", "contracts", "tracking_numbers",
               "estimated_completion", "extension_notices", "expedite_decisions", *LITIGATION_COLUMNS,
               "next_deadline", "next_deadline_key"]
CSV_IMPORT_ONLY = ["note"]
CSV_DERIVED = {"next_deadline", "next_deadline_key"} | set(LITIGATION_COLUMNS)     # written by export, ignored by import
REQUEST_FIELDS = ["id", "uid", "title", "office", "kind", "status", "status_on", "filed_on", "sent_via",
                  "assignee", "requester", "client_name", "client_dob", "client_a_number", "fee_category",
                  "fee_limit", "fee_waiver", "expedite", "systems", "vendors", "contracts", "letter_text",
                  "office_snapshot", "created_at", "updated_at", "purged_at", "requester_contact"]


@contextmanager
def private_output(path: Path | str | None, *, binary: bool = False) -> Iterator:
    """A file object writing to ``path`` atomically and user-only (0600), or to stdout."""
    if path is None or str(path) == "-":
        import sys

        yield sys.stdout.buffer if binary else sys.stdout
        return
    from foia.files import atomic_open

    with atomic_open(path, binary=binary, what=Field("out")) as fh:
        yield fh


def _iso(v):
    if isinstance(v, (date, datetime)):
        return v.isoformat()
    return v


def _request_bundles(conn, ids: list[int], *, clocks: bool = False) -> tuple[dict, ...]:
    from sqlalchemy import select

    ev: dict[int, list] = {}
    for r in conn.execute(select(events).where(events.c.request_id.in_(ids)).order_by(events.c.id)):
        ev.setdefault(r.request_id, []).append(r)
    tags: dict[int, list[str]] = {}
    for r in conn.execute(select(request_tags).where(request_tags.c.request_id.in_(ids))):
        tags.setdefault(r.request_id, []).append(r.tag)
    for found in tags.values():         # sorted here: PostgreSQL's collation may order unlike SQLite
        found.sort()
    tn: dict[int, list] = {}
    for r in conn.execute(select(tracking_numbers).where(tracking_numbers.c.request_id.in_(ids))
                          .order_by(tracking_numbers.c.id)):
        tn.setdefault(r.request_id, []).append(r)
    if not clocks:
        return ev, tags, tn
    dl: dict[int, dict] = {}
    for r in conn.execute(select(deadlines).where(deadlines.c.request_id.in_(ids))):
        dl.setdefault(r.request_id, {})[r.key] = r
    return ev, tags, tn, dl


def iter_requests(store, *, batch: int = 1000, clocks: bool = False) -> Iterator[tuple]:
    """(request row, event rows, tags, tracking rows) for every request, by id, read in batches
    from one snapshot (one read transaction), so an export or backup is consistent even while
    others write. ``clocks``: a fifth item, the stored deadlines by key."""
    from sqlalchemy import select

    last = 0
    with store.read(snapshot=True) as conn:
        while True:
            rows = conn.execute(select(requests).where(requests.c.id > last).order_by(requests.c.id)
                                .limit(batch)).all()
            if not rows:
                return
            found = _request_bundles(conn, [r.id for r in rows], clocks=clocks)
            ev, tags, tn = found[:3]
            for r in rows:
                if clocks:
                    yield r, ev.get(r.id, []), tags.get(r.id, []), tn.get(r.id, []), found[3].get(r.id, {})
                else:
                    yield r, ev.get(r.id, []), tags.get(r.id, []), tn.get(r.id, [])
            last = rows[-1].id


def _event_json(r, *, redact: bool, keep_notes: bool) -> dict:
    data = dict(r.data or {})
    note = r.note
    if redact:
        data = {k: v for k, v in data.items() if k not in IDENTITY_EVENT_KEYS}
        if note and not keep_notes:
            note = None
    return {"id": r.id, "uid": r.uid, "type": r.type, "status": r.status, "occurred_on": r.occurred_on.isoformat(),
            "recorded_at": r.recorded_at, "actor": r.actor, "note": note, "data": data}


def request_json(row, evs, tags, tns, *, redact: bool = False, keep_notes: bool = False,
                 derived: dict | None = None) -> dict:
    m = dict(row._mapping)
    out = {k: _iso(m.get(k)) for k in REQUEST_FIELDS}
    for k in ("systems", "vendors", "contracts"):
        out[k] = list(out[k] or [])
    if redact:
        for k in IDENTITY_COLUMNS:
            out.pop(k, None)
    out["tags"] = list(tags)
    out["tracking_numbers"] = [{"number": t.number, "reason": t.reason,
                                "recorded_on": _iso(t.recorded_on)} for t in tns]
    out["events"] = [_event_json(e, redact=redact, keep_notes=keep_notes) for e in evs]
    if derived is not None:
        out["derived"] = derived       # what the clocks say; the import ignores it
    return out


def export(tracker, fmt: str, out=None, *, redact: bool = False, keep_notes: bool = False,
           reminders: Sequence[int] = DEFAULT_REMINDERS, assignee: str | None = None) -> int:
    """Write every request as ``fmt`` (a key of :data:`EXPORTERS`: csv, json, ics) to ``out``
    (a path; None = stdout). Returns the number of requests (json/csv) or calendar events (ics)
    written. For ics: ``reminders`` are the days before a requester deadline its alarms go off
    (empty: none) and ``assignee`` keeps one person's requests."""
    writer = EXPORTERS[export_format((fmt or "").lower())]
    return writer(tracker, out, redact=redact, keep_notes=keep_notes, reminders=reminders, assignee=assignee)


def export_format(fmt: str) -> str:
    """``fmt`` when it is an export format (a key of :data:`EXPORTERS`), else the error naming
    the field ``format``."""
    if fmt not in EXPORTERS:
        *rest, last = EXPORTERS
        raise UsageError(Text(Field("format"), f": {fmt!r} is not an export format; use {', '.join(rest)} or {last}"),
                         field="format")
    return fmt


def _export_json(tracker, out, *, redact: bool, keep_notes: bool, **_) -> int:
    today, behind = tracker.today(), _behind(tracker)
    count = 0
    with private_output(out) as fh:
        head = {"format": FORMAT, "version": FORMAT_VERSION, "schema_version": LATEST, "exported_at": utcnow(),
                "redacted": bool(redact)}
        fh.write(json.dumps(head, ensure_ascii=False)[:-1] + ', "requests": [\n')
        for row, evs, tags, tns, clocks in iter_requests(tracker.store, clocks=True):
            if count:
                fh.write(",\n")
            nd, nk = _next_deadline(row._mapping, today, behind)
            derived = {"next_deadline": _iso(nd), "next_deadline_key": nk,
                       **litigation_fields(row.kind, evs, clocks, nk)}
            fh.write(json.dumps(request_json(row, evs, tags, tns, redact=redact, keep_notes=keep_notes,
                                             derived=derived), ensure_ascii=False, sort_keys=True))
            count += 1
        fh.write("\n]")
        if not redact:
            # The inbox's mail, raw bytes included, so a backup restores the proof (`foia inbox`);
            # a redacted export leaves it out: mail names the people it is about.
            from foia.inbox.service import export_messages

            first = True
            for m in export_messages(tracker):
                fh.write(', "inbox": [\n' if first else ",\n")
                fh.write(json.dumps(m, ensure_ascii=False, sort_keys=True))
                first = False
            if not first:
                fh.write("\n]")
        fh.write("}\n")
    return count


def _next_deadline(m, today: date, behind: dict | None) -> tuple[date | None, str | None]:
    """A request's next deadline and its key, from its row's cached columns (as `list` sorts)."""
    from foia.tracker.queries import next_deadline

    return next_deadline(m, today, behind.get(m["id"]) if behind else None)


def _behind(tracker) -> dict:
    """{request id: (next deadline, key)} for the requests whose earliest requester window has
    lapsed while a later one is open (`list` reads those from the deadlines table)."""
    from sqlalchemy import select

    from foia.tracker.queries import next_deadline_sql

    today = tracker.today()
    due, key, _ = next_deadline_sql(today)
    r = requests.c
    with tracker.store.read() as conn:
        return {i: (d, k) for i, d, k in conn.execute(select(r.id, due, key).where(
            r.requester_due < today, r.requester_due_last >= today))}


def litigation_fields(kind: str | None, evs, clocks: dict, next_key: str | None) -> dict:
    """The export's LITIGATION_COLUMNS from a request's event rows and stored deadlines by key,
    as `show` gives them: the next deadline's note when it counts from sending (no receipt
    recorded), exhaustion and the end of the limitations period. None for a Privacy Act
    amendment: foia's sources give the FOIA's rules, not the Privacy Act's."""
    nxt = clocks.get(next_key) if next_key else None
    out = {"exhaustion_on": None, "exhaustion_how": None, "limitations_period_ends": None,
           "next_deadline_note": dv.FROM_SENDING if nxt is not None and dv.FROM_SENDING in nxt.rule else None,
           "answer_due": None, "answer_due_how": None}
    if kind in dv.AMENDMENT_KINDS:
        return out
    if any(e.type == "served" for e in evs):
        from foia.tracker.litigation import answer

        found = answer(dv.effective(dv.event_from_row(e) for e in evs))
        if found is not None:
            out.update(answer_due=found.due.isoformat(), answer_due_how=found.how)
    if not clocks:
        return out
    # Only an appeal's denial is read from the history (a million-row export: skip the rest).
    marks = dv.status_events(dv.effective(dv.event_from_row(e) for e in evs)) \
        if any(e.status == "appeal-denied" for e in evs) else ()
    from foia.tracker.litigation import exhaustion

    det = clocks.get("determination")
    found = exhaustion(clocks, marks, from_sending=det is not None and dv.FROM_SENDING in det.rule)
    if found is not None:
        out.update(exhaustion_on=found.on.isoformat(), exhaustion_how=found.how,
                   limitations_period_ends=found.limitations_end.isoformat())
    return out


def csv_row(row, evs, tags, tns, *, today: date, behind: dict | None = None, clocks: dict | None = None) -> dict:
    """``behind``: see :func:`_behind`. ``clocks``: the stored deadlines by key, for the
    LITIGATION_COLUMNS (left empty without them)."""
    m = row._mapping
    estimated = None
    for e in evs:
        if e.type == "estimated-completion":
            estimated = (e.data or {}).get("date")
    extensions, decisions = _clock_facts(evs)
    nd, nk = _next_deadline(m, today, behind)
    derived = litigation_fields(m["kind"], evs, clocks, nk) if clocks is not None else {}
    return {
        "id": m["id"], "uid": m["uid"], "title": m["title"], "office": m["office"], "kind": m["kind"],
        "status": m["status"], "status_on": _iso(m["status_on"]), "filed_on": _iso(m["filed_on"]),
        "sent_via": m["sent_via"], "assignee": m["assignee"], "tags": "; ".join(tags),
        "requester": m["requester"], "client_name": m["client_name"], "client_dob": m["client_dob"],
        "client_a_number": m["client_a_number"], "fee_category": m["fee_category"], "fee_limit": m["fee_limit"],
        "fee_waiver": "yes" if m["fee_waiver"] else "no", "expedite": "yes" if m["expedite"] else "no",
        "systems": "; ".join(m["systems"] or []), "vendors": "; ".join(m["vendors"] or []),
        "contracts": "; ".join(m["contracts"] or []),
        "tracking_numbers": "; ".join(f"{t.number}:{t.reason}" for t in tns),
        "estimated_completion": estimated, "extension_notices": extensions, "expedite_decisions": decisions,
        "next_deadline": _iso(nd), "next_deadline_key": nk, **derived,
    }


def _clock_facts(evs) -> tuple[str, str]:
    """The export's extension_notices (``DATE:stage``) and expedite_decisions
    (``DATE:decision``) from a request's event rows, as the deadlines count them (corrections
    applied): without them a re-imported row loses its extension and shows its expedite
    decision overdue again."""
    if not any(e.type in ("extension-notice", "expedite-decision") for e in evs):
        return "", ""
    if any(e.type == "correction" for e in evs):
        evs = dv.effective(dv.event_from_row(e) for e in evs)
    extensions, decisions = [], []
    for e in evs:
        data = e.data or {}
        if e.type == "extension-notice":
            stage = data.get("stage")
            extensions.append(e.occurred_on.isoformat() + (f":{stage}" if stage else ""))
        elif e.type == "expedite-decision":
            decisions.append(f"{e.occurred_on.isoformat()}:{data.get('decision')}")
    return "; ".join(extensions), "; ".join(decisions)


def _export_csv(tracker, out, *, redact: bool, **_) -> int:
    from foia.output import CsvWriter

    columns = [c for c in CSV_COLUMNS if not (redact and c in IDENTITY_COLUMNS)]
    today, behind = tracker.today(), _behind(tracker)
    count = 0
    with private_output(out) as fh:
        writer = CsvWriter(fh, columns)
        writer.writeheader()
        for row, evs, tags, tns, clocks in iter_requests(tracker.store, clocks=True):
            writer.writerow(csv_row(row, evs, tags, tns, today=today, behind=behind, clocks=clocks))
            count += 1
    return count


def _export_ics(tracker, out, *, reminders: Sequence[int] = DEFAULT_REMINDERS, assignee: str | None = None,
                **_) -> int:
    from icalendar import Alarm, Calendar, Event as VEvent
    from sqlalchemy import select, true
    from datetime import timedelta

    from foia.tracker.queries import spellings

    for days in reminders:
        if not 0 <= days <= 366:
            raise UsageError(Text(Field("remind"), f": {days} is not a number of days from 0 to 366"),
                             field="remind")
    reminders = sorted(set(reminders), reverse=True)
    cal = Calendar()
    cal.add("prodid", "-//foia//request tracker//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", "FOIA deadlines" + (f" ({assignee})" if assignee else ""))
    stamp = datetime.now(timezone.utc).replace(microsecond=0)
    today = tracker.today()
    names = {a.id: a.abbreviation for a in tracker.directory.agencies.values()}
    count = 0
    r_ = requests.c
    where = [deadlines.c.open == true(), deadlines.c.due.is_not(None)]
    if assignee:
        where.append(r_.assignee.in_(spellings(r_.assignee, assignee)))
    with tracker.store.read() as conn:
        rows = conn.execute(
            select(deadlines.c.request_id, deadlines.c.key, deadlines.c.label, deadlines.c.due, deadlines.c.rule,
                   deadlines.c.party, r_.uid, r_.title, r_.office, r_.status, r_.assignee)
            .join(requests, r_.id == deadlines.c.request_id)
            .where(*where)
            .order_by(deadlines.c.due, deadlines.c.request_id, deadlines.c.key))
        for r in rows:
            ev = VEvent()
            office = names.get(r.office, r.office)
            ev.add("uid", f"{r.uid}-{r.key}@foia")
            ev.add("dtstamp", stamp)
            ev.add("dtstart", r.due)
            ev.add("dtend", r.due + timedelta(days=1))
            yours = r.party != dv.AGENCY
            # A day past: the agency's deadline is overdue (it still owes the answer); the
            # requester's window has lapsed (what is left is a late appeal or a new request).
            flag = ("LAPSED: " if yours else "OVERDUE: ") if r.due < today else ""
            who = f" [{r.assignee}]" if r.assignee else ""
            ev.add("summary", f"{flag}{r.label}: {r.title} ({office}) #{r.request_id}{who}")
            acts = "you must act" if yours else "the agency must act"
            ev.add("description", f"Request {r.request_id} ({lc.label(r.status)}), {office}: {r.title}\n"
                                  f"{r.label} {r.due.isoformat()}: {acts}.\nRule: {r.rule}\n"
                                  + (f"Assignee: {r.assignee}\n" if r.assignee else "")
                                  + f"Details: foia track show {r.request_id} --explain")
            if r.assignee:
                ev.add("contact", r.assignee)
            ev.add("categories", ["FOIA", office])
            ev.add("transp", "TRANSPARENT")
            if yours and r.due >= today:
                for days in reminders:
                    alarm = Alarm()
                    alarm.add("action", "DISPLAY")
                    alarm.add("trigger", timedelta(days=-days))
                    when = "today" if days == 0 else f"in {days} day{'s' if days != 1 else ''}"
                    alarm.add("description", f"{r.label} {when}: {r.title} ({office}) #{r.request_id}")
                    ev.add_component(alarm)
            cal.add_component(ev)
            count += 1
    with private_output(out, binary=True) as fh:
        fh.write(cal.to_ical())
    return count


# ---------------------------------------------------------------------------------------------
# Backup


# The export formats: ``foia track export --format`` offers these keys (its choice list), the web
# app's export form too. Each writer takes (tracker, out, **options) and returns what it counted.
EXPORTERS = {"csv": _export_csv, "json": _export_json, "ics": _export_ics}
