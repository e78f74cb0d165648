"""Export (CSV, JSON, iCalendar), all-or-nothing import (CSV, JSON) and backups.

Formats:

- JSON (``format: foia-tracker``): everything — each request with its fields, tags, tracking
  numbers and every event. Export then import into an empty database gives the same
  requests, tracking numbers and events (ids included when they are free).
- CSV: one row per request (a spreadsheet view): the fields, tags, tracking numbers
  (``NUMBER:reason; ...``), the current status and its date. Importing it rebuilds each
  request's history as "submitted on filed_on" then "status on status_on".
- ICS: one all-day event per open deadline (iCalendar, via the ``icalendar`` package), with a
  stable UID per request and clock so a calendar re-import updates instead of duplicating.

Every file is written user-only (0600) through a temporary file and a rename: a reader sees
the old file or the complete new one. ``redact=True`` leaves out identity fields, the letter
text, file references and (unless ``keep_notes``) free-text notes.

Import validates every row, reports each bad row as ``FILE: row 7, column office: ...``
(rows counted as a spreadsheet shows them, the header being row 1), and writes everything in
one transaction: all rows or none. Rows are validated, derived and written in chunks of
CHUNK_ROWS; from PIPELINE_FROM_ROWS rows on (on Linux) a forked worker process validates and
derives while this one writes the chunks before (two cores busy instead of one). A problem in
any chunk rolls the whole transaction back, so nothing of the file is kept.
"""

from __future__ import annotations

import csv
import io
import json
import operator
import os
import re
from contextlib import contextmanager
from datetime import date, datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator, Sequence

from foia.errors import FoiaError, UsageError
from foia.tracker import derive as dv
from foia.tracker import lifecycle as lc
from foia.tracker.models import (IDENTITY_COLUMNS, IDENTITY_EVENT_KEYS, deadlines, events, request_tags,
                                 requests, tracking_numbers)
from foia.tracker.service import (MAX_ID, REQUESTER_CONTACT_KEYS, a_number_problem, dob_problem,
                                   requester_contact_value)
from foia.tracker.store import LATEST, utcnow

# Calendar alarms before a requester deadline (an appeal window, a clarification answer), in days.
DEFAULT_REMINDERS = (7, 1)

FORMAT = "foia-tracker"
FORMAT_VERSION = 1
MAX_REPORTED = 20

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
_UID = re.compile(r"[0-9a-fA-F-]{8,36}")
_TRUE = {"yes", "y", "true", "1", "x"}
_FALSE = {"no", "n", "false", "0", ""}
_YES_NO = {**{t: True for t in _TRUE}, **{f: False for f in _FALSE}}


class ImportRejected(FoiaError):
    """An import file has bad rows; nothing was written."""

    def __init__(self, path: str, problems: list[str]):
        self.problems = problems
        shown = problems[:MAX_REPORTED]
        more = len(problems) - len(shown)
        self.lines = shown + ([f"... and {more} more problems"] if more else []) + [
            f"{path}: nothing imported ({len(problems)} problem{'s' if len(problems) != 1 else ''}); fix the file and run "
            "the import again"]
        super().__init__(shown[0] if shown else f"{path}: nothing imported")

    def report(self) -> str:
        return "\n".join(self.lines)


# ---------------------------------------------------------------------------------------------
# Writing files


@contextmanager
def private_output(path: Path | str | None, *, binary: bool = False) -> Iterator:
    """A file object writing to ``path`` atomically and user-only (0600), or to stdout."""
    if path is None or str(path) == "-":
        import sys

        yield sys.stdout.buffer if binary else sys.stdout
        return
    from foia.files import atomic_open

    with atomic_open(path, binary=binary, what="--out") as fh:
        yield fh


def _iso(v):
    if isinstance(v, (date, datetime)):
        return v.isoformat()
    return v


def _batches(seq: list, n: int) -> Iterator[list]:
    for i in range(0, len(seq), n):
        yield seq[i:i + n]


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
    """Write every request as ``fmt`` (csv, json, ics) to ``out`` (a path; None = stdout).
    Returns the number of requests (json/csv) or calendar events (ics) written. For ics:
    ``reminders`` are the days before a requester deadline its alarms go off (empty: none) and
    ``assignee`` keeps one person's requests."""
    fmt = (fmt or "").lower()
    if fmt == "json":
        return _export_json(tracker, out, redact=redact, keep_notes=keep_notes)
    if fmt == "csv":
        return _export_csv(tracker, out, redact=redact)
    if fmt == "ics":
        return _export_ics(tracker, out, reminders=reminders, assignee=assignee)
    raise UsageError(f"--format: {fmt!r} is not an export format; use csv, json or ics")


def _export_json(tracker, out, *, redact: bool, keep_notes: bool) -> int:
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
    nd, nk = m["agency_due"], m["agency_due_key"]
    if m["requester_due"] and m["requester_due"] >= today and (nd is None or m["requester_due"] < nd):
        nd, nk = m["requester_due"], m["requester_due_key"]
    elif behind and m["id"] in behind:
        nd, nk = behind[m["id"]]
    return nd, nk


def _behind(tracker) -> dict:
    """{request id: (next deadline, key)} for the requests whose earliest requester window has
    lapsed while a later one is open (`list` reads those from the deadlines table)."""
    from sqlalchemy import select

    from foia.tracker.service import next_deadline_sql

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
    det = clocks.get("determination")
    found = dv.exhaustion(clocks, marks, from_sending=det is not None and dv.FROM_SENDING in det.rule)
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


def _export_csv(tracker, out, *, redact: bool) -> int:
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


def _export_ics(tracker, out, *, reminders: Sequence[int] = DEFAULT_REMINDERS, assignee: str | None = None) -> int:
    from icalendar import Alarm, Calendar, Event as VEvent
    from sqlalchemy import select, true
    from datetime import timedelta

    from foia.tracker.service import _spellings

    for days in reminders:
        if not 0 <= days <= 366:
            raise UsageError(f"--remind: {days} is not a number of days from 0 to 366")
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
        where.append(r_.assignee.in_(_spellings(r_.assignee, assignee)))
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


def backup(tracker, out=None) -> tuple[Path, str]:
    """Copy the whole database to ``out`` (0600). SQLite: the online backup API (a consistent
    copy while others keep working). PostgreSQL: a JSON export of everything."""
    from foia.files import private_temporary, refuse_special, remove_stale_temporaries
    from foia.paths import data_dir, ensure_private_dir, make_private_dirs

    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    store = tracker.store
    if out is None:
        folder = ensure_private_dir(data_dir() / "backups")
        out = folder / (f"foia-{stamp}.db" if store.is_sqlite and store.path else f"foia-{stamp}.json")
    out = Path(out)
    if store.is_sqlite and store.path:
        import sqlite3

        if out.exists() and out.is_dir():
            raise FoiaError(f"{out} is a directory; give a file name (--out)")
        refuse_special(out, "--out")
        live = store.path.resolve()
        if out.resolve() == live:
            raise FoiaError(f"{out} is the tracker database itself; give the backup another name (--out)")
        # SQLite's files beside the database: it deletes or rewrites them when it opens it.
        if out.resolve() in (live.with_name(live.name + end) for end in ("-wal", "-shm", "-journal")):
            raise FoiaError(f"{out} is the name of a file SQLite keeps beside the tracker database and deletes or "
                            "rewrites; give the backup another name (--out)")
        parent = out.parent if str(out.parent) else Path(".")
        try:
            make_private_dirs(parent)
            remove_stale_temporaries(parent, out.name)
            fd, tmp = private_temporary(parent, out.name)
        except OSError as exc:
            raise FoiaError(f"cannot write {out}: {exc.strerror or exc}; choose a writable --out") from None
        try:
            src = sqlite3.connect(str(store.path), timeout=30)
            dst = sqlite3.connect(tmp)
            try:
                with dst:
                    src.backup(dst)
                dst.execute("PRAGMA journal_mode=DELETE")
            finally:
                dst.close()
                src.close()
            # Renamed while the lock is held (see foia.files.private_temporary).
            os.replace(tmp, out)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
        finally:
            os.close(fd)
        return out, "sqlite"
    _export_json(tracker, out, redact=False, keep_notes=True)
    return out, "json"


# ---------------------------------------------------------------------------------------------
# Import


class _Problems:
    def __init__(self, path: str):
        self.path = path
        self.items: list[str] = []

    def add(self, where: str, what: str) -> None:
        self.items.append(f"{self.path}: {where}: {what}")


_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_day(value) -> date | None:
    """``value`` as a date when it is a real YYYY-MM-DD day, else None."""
    if isinstance(value, str) and _ISO_DAY.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _parse_day(text, problems, where, *, today, identity=False, future_ok=False) -> date | None:
    if not text:
        return None
    value = text.strip() if isinstance(text, str) else text
    if not value:
        return None
    d = _iso_day(value)
    if d is None:
        shown = "" if identity else f" {value!r}"
        problems.add(where, f"not a date{shown}; use YYYY-MM-DD")
        return None
    if not future_ok and d > today:
        shown = "a date" if identity else d.isoformat()
        problems.add(where, f"{shown} is in the future; give the date it happened")
        return None
    if not identity:
        from foia.deadlines import calendar_problem

        problem = calendar_problem(d)
        if problem:
            problems.add(where, problem)
            return None
    return d


_SEPARATORS = re.compile(r"[;,]")


def _split(cell: str | None) -> list[str]:
    if not cell:
        return []
    if ";" not in cell and "," not in cell:
        cell = cell.strip()
        return [cell] if cell else []
    return [p.strip() for p in _SEPARATORS.split(cell) if p.strip()]


def _one_line(value, limit, problems, where, name) -> str | None:
    if value is None or value == "":
        return None
    text = str(value)
    if "  " in text or "\n" in text or "\t" in text or "\r" in text or text != text.strip():
        text = " ".join(text.split())
    if not text:
        return None
    if len(text) > limit:
        problems.add(where(name), f"longer than {limit} characters")
    return text


class _Lookups:
    """Directory look-ups cached per value (100,000 rows name few offices)."""

    def __init__(self, tracker):
        self.tracker = tracker
        self.d = tracker.directory
        self.cache: dict[tuple[str, str], Any] = {}

    def office(self, key: str) -> str | None:
        k = ("office", key)
        found = self.cache.get(k, False)
        if found is False:
            try:
                found = self.d.agency(key).id
            except FoiaError:
                found = None
            self.cache[k] = found
        return found

    def record(self, what: str, key: str) -> str | None:
        k = (what, key)
        found = self.cache.get(k, False)
        if found is False:
            if what == "contracts":
                from foia.tracker.service import contract_link

                found = contract_link(self.d, key)
            else:
                finder = {"systems": self.d.system, "vendors": self.d.vendor}[what]
                try:
                    found = finder(key).id
                except FoiaError:
                    found = None
            self.cache[k] = found
        return found


def _common_fields(get, where, problems: _Problems, look: _Lookups, *, today) -> dict:
    """Validate the request fields shared by CSV rows and JSON records. ``get(name)`` returns the
    raw value; ``where(name)`` the location text for a message (built only for a problem)."""
    from foia.tracker.service import SENT_VIA, _KIND, parse_amount

    out: dict[str, Any] = {}
    title = _one_line(get("title"), 500, problems, where, "title")
    if not title:
        problems.add(where("title"), "empty; give the request a title")
    out["title"] = title or ""
    office = get("office")
    office = office.strip() if isinstance(office, str) else ""
    if not office:
        problems.add(where("office"), "empty; expected an id from `foia agencies list`")
        out["office"] = None
    else:
        found = look.office(office)
        if found is None:
            problems.add(where("office"), f"unknown office {office!r}; expected an id from `foia agencies list`")
        out["office"] = found
    kind = get("kind")
    kind = kind.strip().lower() if isinstance(kind, str) and kind.strip() else "records"
    if kind != "records" and not _KIND.fullmatch(kind):
        problems.add(where("kind"), f"{kind!r} is not a kind; use lowercase letters and dashes (e.g. records)")
    out["kind"] = kind
    sent = get("sent_via")
    sent = sent.strip().lower() if isinstance(sent, str) and sent.strip() else None
    if sent is not None and sent not in SENT_VIA:
        problems.add(where("sent_via"), f"{sent!r} is not a way of sending; use one of {', '.join(SENT_VIA)}")
    out["sent_via"] = sent
    for name, limit in (("assignee", 200), ("requester", 500), ("client_name", 500), ("client_a_number", 32)):
        out[name] = _one_line(get(name), limit, problems, where, name)
    a_number = out["client_a_number"]
    # One problem a field: a value past the column's 32 characters is reported as too long.
    if isinstance(a_number, str) and len(a_number) <= 32 and a_number_problem(a_number):
        problems.add(where("client_a_number"), a_number_problem(a_number))
    dob = get("client_dob")
    dob = _parse_day(dob, problems, where("client_dob"), today=today, identity=True) if dob else None
    if dob and dob_problem(dob, today):
        problems.add(where("client_dob"), dob_problem(dob, today))
        dob = None
    out["client_dob"] = dob.isoformat() if dob else None
    category = get("fee_category")
    out["fee_category"] = None
    if category:
        from foia.profile import normalize_fee_category

        try:
            out["fee_category"] = normalize_fee_category(category, what="fee_category")
        except UsageError as exc:
            problems.add(where("fee_category"), exc.message.split(": ", 1)[-1])
    limit = get("fee_limit")
    out["fee_limit"] = None
    if limit not in (None, ""):
        try:
            out["fee_limit"] = parse_amount(limit, what="fee_limit")
        except UsageError:
            problems.add(where("fee_limit"), f"{limit!r} is not an amount; use dollars like 25 or 25.50")
    for name in ("fee_waiver", "expedite"):
        value = get(name)
        if type(value) is str and value in _YES_NO:     # the common spellings, as typed
            out[name] = _YES_NO[value]
            continue
        if isinstance(value, bool):
            out[name] = value
            continue
        text = str(value).strip().lower() if value is not None else ""
        if text in _FALSE:
            out[name] = False
        elif text in _TRUE:
            out[name] = True
        else:
            problems.add(where(name), f"{value!r} is not yes or no")
            out[name] = False
    for name in ("systems", "vendors", "contracts"):
        value = get(name)
        if not value:
            out[name] = []
            continue
        keys = value if isinstance(value, list) else _split(value if isinstance(value, str) else "")
        ids = []
        for key in keys:
            found = look.record(name, str(key))
            if found is None:
                group = "systems" if name == "systems" else "vendors"
                problems.add(where(name), f"unknown {name[:-1]} {key!r}; expected an id from `foia {group} list`")
            elif found not in ids:
                ids.append(found)
        out[name] = ids
    return out


_TAG_OK = re.compile(r"[^\s,;]{1,100}")


def _tags(value, problems, where) -> list[str]:
    from foia.tracker.service import normalize_tags

    if not value:
        return []
    if isinstance(value, str) and _TAG_OK.fullmatch(value.strip()):
        return [value.strip()]
    raw = value if isinstance(value, list) else _split(value if isinstance(value, str) else "")
    try:
        return normalize_tags(raw)
    except UsageError as exc:
        problems.add(where, exc.message.split(": ", 1)[-1])
        return []


class _Prepared:
    __slots__ = ("src_id", "row", "events", "tags", "where", "given_uids")

    def __init__(self, src_id, row, evs, tags, where, given_uids=True):
        self.src_id, self.row, self.events, self.tags, self.where = src_id, row, evs, tags, where
        # False when every uid was made by this import (random prefix): nothing to check.
        self.given_uids = given_uids


# A CSV header wider than this is refused at once: foia reads at most len(CSV_COLUMNS) + 1 columns.
MAX_CSV_COLUMNS = 100


def _rows(reader, path: Path) -> Iterator[list[str]]:
    """The reader's rows; a malformed one stops the import with one line naming its row."""
    n = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            if "field larger than field limit" in str(exc):
                raise FoiaError(f"{path}: row {n}: a cell is longer than {csv.field_size_limit():,} characters; no "
                                "field is that long: check for a quote (\") that is never closed") from None
            raise FoiaError(f"{path}: row {n}: not valid CSV ({exc}); save the file as CSV (UTF-8)") from None
        yield cells
        n += 1


class _CsvSource:
    """A CSV file's header and non-blank rows, read whole (C-speed); ``prepare`` validates a
    slice of the rows, so a large import can validate and write in chunks."""

    has_corrections = False     # a row's history is rebuilt from its status: no corrections

    def __init__(self, tracker, path: Path, text: str, problems: _Problems, look: _Lookups):
        from foia.output import unescape_cell
        from foia.tracker.service import UidMaker

        self.look = look
        self.new_uid = UidMaker().next
        self.today = tracker.today()
        self.actor = tracker.actor()
        self.now = utcnow()
        self.rules = tracker.rules
        self.calendar = tracker.calendar
        # A few thousand distinct dates among 100,000 rows: each cell text already found to be
        # a past date is looked up, not parsed again.
        self.days: dict[str, date] = {}
        # One data object for every "imported" event: nothing changes it, and the insert encodes
        # it to JSON once per chunk.
        # "summary": the history was rebuilt from a CSV row (a status and its date), not recorded.
        # What the row does not state is not invented: an appealed row's appeal says nothing of
        # what it appeals (a denial before it, or the agency's silence, are not in the row).
        self.imported = {"imported": True, "summary": "csv"}
        if "\n" not in text and "\r" in text:
            # Excel for Mac's "CSV (Macintosh)" ends lines with CR alone.
            text = text.replace("\r", "\n")
        reader = _rows(csv.reader(io.StringIO(text)), path)
        try:
            header = next(reader)
        except StopIteration:
            raise FoiaError(f"{path}: empty file; expected a header row with at least title, office") from None
        if "\x00" in "".join(header):
            raise FoiaError(f"{path}: row 1 holds NUL characters (UTF-16 text?); save the file as UTF-8 CSV")
        known = set(CSV_COLUMNS) | set(CSV_IMPORT_ONLY)
        if len(header) > MAX_CSV_COLUMNS:
            # Checked before anything looks at the columns one by one (100,000 of them took minutes).
            raise FoiaError(f"{path}: row 1 has {len(header):,} columns; an import has at most {len(known)} "
                            f"(title, office, ...): check the separator (a comma) and the header row")
        header = [h.strip().lower().lstrip("\ufeff") for h in header]
        for h in (h for h in header if h not in known):
            problems.add(f"row 1, column {h or '(empty)'}", "unknown column; expected some of " + ", ".join(
                c for c in CSV_COLUMNS + CSV_IMPORT_ONLY if c not in CSV_DERIVED))
        for need in ("title", "office"):
            if need not in header:
                problems.add(f"row 1, column {need}", "missing; the header must name at least title and office")
        for h in sorted({h for h in header if header.count(h) > 1}):
            problems.add(f"row 1, column {h}", "appears twice")
        self.header = header
        self.items: list[tuple[int, list[str]]] = []
        if problems.items:
            return
        # foia's own export quotes formula-like cells (foia.output.escape_cell): give back the
        # original text. Only rows with such a cell pay for the look.
        quoted = "'" in text
        for n, cells in enumerate(reader, start=2):
            if not any(c.strip() for c in cells):     # blank, or only commas (a spreadsheet's empty row)
                continue
            if quoted and any(c[:1] == "'" for c in cells):
                cells = [unescape_cell(c) for c in cells]
            self.items.append((n, cells))
        if "\x00" in text:
            # PostgreSQL cannot store NUL; SQLite could, and the queue could then never move there.
            for n, cells in self.items:
                for name, cell in zip(header, cells):
                    if "\x00" in cell:
                        problems.add(f"row {n}, column {name}", "contains a NUL character; remove it")

    def wanted_ids(self) -> list[int] | None:
        """Every row's own request number, or None when a row has none (numbers are then given
        by the database)."""
        if "id" not in self.header:
            return None
        i = self.header.index("id")
        out = []
        for _, cells in self.items:
            value = cells[i].strip() if i < len(cells) else ""
            if not (value.isascii() and value.isdigit()) or len(value) > 10 or int(value) > _MAX_ID:
                return None
            out.append(int(value))
        return out

    def wanted_event_ids(self) -> None:
        return None         # a CSV row carries no event numbers

    def _past_day(self, get, name: str, problems: _Problems, where) -> date | None:
        raw = get(name)
        found = self.days.get(raw)
        if found is None and raw:
            found = _parse_day(raw, problems, where(name), today=self.today)
            if found is not None:
                self.days[raw] = found
        return found

    def _clock_facts(self, get, problems: _Problems, where, filed: date | None) -> list[tuple[str, date, dict]]:
        """(event type, date, data) for the row's extension_notices (``DATE[:request|appeal]``)
        and expedite_decisions (``DATE:granted|denied``), as the export writes them."""
        from foia.tracker.service import EXPEDITE_DECISIONS

        out = []
        for name, type_, key, choices in (("extension_notices", "extension-notice", "stage", ("request", "appeal")),
                                          ("expedite_decisions", "expedite-decision", "decision", EXPEDITE_DECISIONS)):
            for item in _split(get(name)):
                text, _, value = item.partition(":")
                value = value.strip().lower()
                expected = "DATE[:request|appeal]" if key == "stage" else "DATE:granted|denied"
                if (value or key == "decision") and value not in choices:
                    problems.add(where(name), f"{item!r} is not {expected} (e.g. 2025-03-04:"
                                              f"{choices[0]})")
                    continue
                before = len(problems.items)
                on = _parse_day(text.strip(), problems, where(name), today=self.today)
                if on is None:
                    if len(problems.items) == before:
                        problems.add(where(name), f"{item!r} is not {expected}")
                    continue
                if filed is None:
                    problems.add(where(name), f"{on.isoformat()}: give the date the request was filed (filed_on)")
                elif on < filed:
                    problems.add(where(name), f"{on.isoformat()} is before filed_on {filed.isoformat()}")
                else:
                    out.append((type_, on, {key: value} if value else {}))
        return out

    def prepare(self, items: list, problems: _Problems) -> list[_Prepared]:
        from foia.tracker.service import parse_tracking

        look, new_uid, today, actor, now = self.look, self.new_uid, self.today, self.actor, self.now
        header, imported, day = self.header, self.imported, self._past_day
        width = len(header)
        statuses = lc.STATUSES
        out = []
        for n, cells in items:
            if len(cells) != width:
                if len(cells) > width:
                    problems.add(f"row {n}", f"{len(cells)} cells for {width} columns; check the quoting")
                    continue
                cells = cells + [""] * (width - len(cells))
            rec = dict(zip(header, cells))
            get = rec.get

            def where(name, n=n):
                return f"row {n}, column {name}"

            before = len(problems.items)
            fields = _common_fields(get, where, problems, look, today=today)
            status_text = (get("status") or "").strip()
            status = None
            if status_text:
                status = status_text if status_text in statuses else None
                if status is None:
                    try:
                        status = lc.normalize_status(status_text, what="status")
                    except UsageError:
                        problems.add(where("status"),
                                     f"{status_text!r} is not a status; use one of {', '.join(statuses)}")
            filed = day(get, "filed_on", problems, where)
            status_on = day(get, "status_on", problems, where)
            if status is None and not status_text:
                status = "submitted" if filed else "draft"
            if status and status != "draft" and filed is None and len(problems.items) == before:
                problems.add(where("filed_on"), f"empty; a {status} request needs the date it was filed (YYYY-MM-DD)")
            if status == "draft" and filed is not None:
                problems.add(where("filed_on"), "a draft has not been filed; leave filed_on empty or give a status")
            if filed and status_on and status_on < filed:
                problems.add(where("status_on"), f"{status_on.isoformat()} is before filed_on {filed.isoformat()}")
            estimated = get("estimated_completion")
            if estimated:
                estimated = _parse_day(estimated, problems, where("estimated_completion"), today=today,
                                       future_ok=True)
            else:
                estimated = None
            numbers = []
            for item in _split(get("tracking_numbers")):
                try:
                    numbers.append(parse_tracking(item, what="tracking_numbers"))
                except UsageError:
                    problems.add(where("tracking_numbers"), f"{item!r} is not NUMBER[:reason]; reasons: assigned, "
                                                            "split, referral, appeal")
            if len(numbers) > 1 and len({x for x, _ in numbers}) != len(numbers):
                problems.add(where("tracking_numbers"), "the same number appears twice")
            facts = self._clock_facts(get, problems, where, filed)
            tags = _tags(get("tags"), problems, where("tags"))
            uid = (get("uid") or "").strip().lower() or None
            if uid and not _valid_uid(uid):
                problems.add(where("uid"), f"{uid!r} is not a uid; leave it empty for a new request")
            src_id = (get("id") or "").strip()
            if src_id and not (src_id.isascii() and src_id.isdigit() and len(src_id) <= 10
                               and int(src_id) <= _MAX_ID):
                problems.add(where("id"), f"{src_id!r} is not a request number; leave it empty for a new request")
            note = (get("note") or "").strip() or None
            if len(problems.items) != before:
                continue
            row = dict(fields, uid=uid or new_uid(), status="draft", letter_text=None, office_snapshot=None,
                       created_at=now, updated_at=now, purged_at=None)
            # The history an import can know: submitted on filed_on, then the current status on
            # status_on. Each event says it was imported (recorded_at is the import's time).
            if status == "draft":
                evs = [{"uid": new_uid(), "type": "created", "status": "draft", "occurred_on": today,
                        "recorded_at": now, "actor": actor, "note": note, "data": imported}]
            else:
                evs = [{"uid": new_uid(), "type": "status", "status": "submitted", "occurred_on": filed,
                        "recorded_at": now, "actor": actor, "note": note, "data": imported}]
                if status != "submitted":
                    evs.append({"uid": new_uid(), "type": "status", "status": status,
                                "occurred_on": status_on or filed, "recorded_at": now, "actor": actor,
                                "note": None, "data": imported})
            for number, reason in numbers:
                evs.append({"uid": new_uid(), "type": "tracking-number", "status": None,
                            "occurred_on": filed or today, "recorded_at": now, "actor": actor, "note": None,
                            "data": {"number": number, "reason": reason}})
            if estimated:
                evs.append({"uid": new_uid(), "type": "estimated-completion", "status": None,
                            "occurred_on": status_on or filed or today, "recorded_at": now, "actor": actor,
                            "note": None, "data": {"date": estimated.isoformat()}})
            # The extensions and expedite decisions the row states, on the dates it gives.
            for type_, on, data in facts:
                evs.append({"uid": new_uid(), "type": type_, "status": None, "occurred_on": on, "recorded_at": now,
                            "actor": actor, "note": None, "data": dict(data, **imported)})
            out.append(_Prepared(int(src_id) if src_id else None, row, evs, tags, f"row {n}", given_uids=bool(uid)))
        return out


# ---------------------------------------------------------------------------------------------
# JSON import: a record's values are checked for their JSON type, for text the database cannot
# store (NUL, half a surrogate pair), for the lengths of the String(n) columns (PostgreSQL
# refuses longer values where SQLite keeps them) and, inside events, for the data the deadline
# engine and `show` read. A bad value is one report line; nothing reaches the database.

# Request and event ids are INTEGER columns, at most 2**31 - 1 on PostgreSQL (SQLite would take
# more); one less, so that the number after the highest (the next `add`, the sequence the import
# sets) still fits.
_MAX_ID = MAX_ID - 1


def _limits(table) -> dict[str, int]:
    """Each String(n) column's n, from the table definition."""
    return {c.name: c.type.length for c in table.columns if getattr(c.type, "length", None)}


_REQUEST_LIMITS = _limits(requests)
_EVENT_LIMITS = _limits(events)
_TAG_LIMIT = request_tags.c.tag.type.length
_NUMBER_LIMIT = tracking_numbers.c.number.type.length
_REASON_LIMIT = tracking_numbers.c.reason.type.length
# The tracker's timestamps (store.utcnow: 2025-01-02T15:04:05.123456Z); at most 32 characters.
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:Z|[+-]\d{2}:\d{2})?")
# JSON escapes that decode to NUL or to half a surrogate pair: texts are scanned only when the
# file has one (a raw NUL or a lone surrogate cannot reach json.loads otherwise).
_ODD_ESCAPE = re.compile(r"\\u(?:0000|d[89a-f][0-9a-f]{2})", re.IGNORECASE)
_TEXT_FIELDS = ("title", "office", "kind", "sent_via", "assignee", "requester", "client_name", "client_dob",
                "client_a_number", "fee_category", "letter_text")
_LIST_FIELDS = ("systems", "vendors", "contracts", "tags")
_STAMP_FIELDS = ("created_at", "updated_at", "purged_at")
_EVENT_TEXT_FIELDS = ("actor", "note")
_MISSING = object()


def _valid_number(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= _MAX_ID


def _valid_uid(value) -> bool:
    """A uid: hex digits and dashes, at most 36, at least 8 of them hex digits."""
    return isinstance(value, str) and _UID.fullmatch(value) is not None and len(value) - value.count("-") >= 8


def _shown(value, limit: int = 60, *, name: str | None = None) -> str:
    """``value`` for a report line; for an identity field only its JSON type (a name or an
    A-Number is never echoed, even when given in the wrong shape)."""
    if name in IDENTITY_COLUMNS or name in IDENTITY_EVENT_KEYS:
        return {dict: "an object", list: "a list", bool: "true or false", str: "a text"}.get(
            type(value), "a number" if isinstance(value, (int, float)) else "the value")
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _odd_text(value) -> str | None:
    """Why ``value`` (a text, or any text or key inside a list or object) cannot be stored: a NUL
    character (PostgreSQL refuses it) or half of a surrogate pair (not a character: no UTF-8)."""
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, str):
            if "\x00" in v:
                return "contains a NUL character (\\u0000), which the database cannot store; remove it"
            if not v.isascii():
                try:
                    v.encode("utf-8")
                except UnicodeEncodeError as exc:
                    return (f"contains {v[exc.start]!r}, half of a surrogate pair and not a character; "
                            "fix the text")
        elif isinstance(v, dict):
            stack.extend(v.keys())
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
    return None


def _json_day(value, today: date, *, past: bool = True) -> str | None:
    """Why ``value`` is not a YYYY-MM-DD date (in the past unless ``past`` is False), or None."""
    d = _iso_day(value)
    if d is None:
        return f"{_shown(value)} is not a date; use YYYY-MM-DD"
    return f"{value} is in the future; give the date it happened" if past and d > today else None


def _strings(value) -> bool:
    """A list of texts (the types compared at C speed: most lists are short or empty)."""
    return type(value) is list and _STR.issuperset(map(type, value))


_STR = frozenset({str})


def _count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _json_error(exc: json.JSONDecodeError, text: str) -> str:
    """The decoder's message as a reason: "Unterminated string starting at" (a cut file) and the
    like without the dangling "at"."""
    if exc.msg.startswith("Unterminated string"):
        return "the string starting here is not closed; is the file cut short?"
    reason = exc.msg[:-3] if exc.msg.endswith(" at") else exc.msg
    reason = reason[:1].lower() + reason[1:]
    if not text[exc.pos:].strip():
        reason += "; the file ends here: is it cut short?"
    return reason


@lru_cache(maxsize=1)
def _vocabulary():
    from foia.tracker.service import EXPEDITE_DECISIONS, FEE_KINDS, TRACKING_REASONS, parse_amount

    return EXPEDITE_DECISIONS, FEE_KINDS, TRACKING_REASONS, parse_amount


# The event types whose data is checked (the others carry nothing that is read back).
_DATA_CHECKED = frozenset({"status", "tracking-number", "fee", "estimated-completion", "extension-notice",
                           "expedite-decision", "documents", "edited", "correction", "purged", "letter"})


def _data_problems(t: str | None, status, data: dict, today: date) -> Iterator[tuple[str, str]]:
    """(key, problem) for the values in an event's ``data`` that the deadline engine, `show` and
    the tracking numbers read, as `foia track` writes them for an event of type ``t``."""
    EXPEDITE_DECISIONS, FEE_KINDS, TRACKING_REASONS, parse_amount = _vocabulary()
    get = data.get
    if t == "status":
        to = get("to", _MISSING)
        if to is not _MISSING and status is not None and to != status:
            yield "to", f"{_shown(to)} is not the event's status {status!r}; an export gives the same"
        was = get("from")
        if was is not None and not (isinstance(was, str) and was in lc.STATUSES):
            yield "from", f"{_shown(was)} is not a status; give the status before, or null"
        if get("received") is not None:
            problem = _json_day(get("received"), today)
            if problem:
                yield "received", problem
        of = get("of")
        if of is not None and not (_strings(of) and of and set(of) <= set(dv.APPEAL_TARGETS)):
            yield "of", (f"{_shown(of)} is not what an appeal is of; give a list of "
                         f"{', '.join(dv.APPEAL_TARGETS)}, or null")
    elif t == "tracking-number":
        number = get("number")
        if number is None or number == "":
            yield "number", "missing; give the tracking number"
        elif not isinstance(number, str) or len(number.split()) != 1 or number != number.strip():
            yield "number", f"{_shown(number)} is not a tracking number; give it as one word of text"
        elif len(number) > _NUMBER_LIMIT:
            yield "number", f"longer than {_NUMBER_LIMIT} characters"
        reason = get("reason")
        if reason is not None and not (isinstance(reason, str) and reason in TRACKING_REASONS
                                       and len(reason) <= _REASON_LIMIT):
            yield "reason", f"{_shown(reason)} is not a reason; use one of {', '.join(TRACKING_REASONS)}"
    elif t == "fee":
        kind = get("kind")
        if not (isinstance(kind, str) and kind in FEE_KINDS):
            yield "kind", f"{_shown(kind)} is not a fee kind; use one of {', '.join(FEE_KINDS)}"
        amount = get("amount")
        ok = isinstance(amount, str)
        if ok:
            try:
                parse_amount(amount, what="amount")
            except UsageError:
                ok = False
        if not ok:
            yield "amount", f"{_shown(amount)} is not an amount; use dollars as text like \"25.00\""
    elif t == "estimated-completion":
        problem = _json_day(get("date"), today, past=False)
        if problem:
            yield "date", problem
    elif t == "extension-notice":
        stage = get("stage")
        if stage is not None and stage not in ("request", "appeal"):
            yield "stage", f"{_shown(stage)} is not a stage; use request or appeal"
    elif t == "expedite-decision":
        decision = get("decision")
        if not (isinstance(decision, str) and decision in EXPEDITE_DECISIONS):
            yield "decision", f"{_shown(decision)} is not a decision; use {' or '.join(EXPEDITE_DECISIONS)}"
    elif t == "documents":
        for key in ("count", "pages"):
            if get(key) is not None and not _count(get(key)):
                yield key, f"{_shown(get(key))} is not a number of {'documents' if key == 'count' else 'pages'}; " \
                           "give a whole number, or null"
        if get("files") is not None and not _strings(get("files")):
            yield "files", f"{_shown(get('files'), name='files')} is not a list of texts; give file names, or null"
    elif t == "edited":
        who = get("assignee", _MISSING)
        if who is not _MISSING and not (isinstance(who, dict) and all(
                v is None or isinstance(v, str) for v in (who.get("from"), who.get("to")))):
            yield "assignee", f"{_shown(who)} is not a change of assignee; give {{\"from\": ..., \"to\": ...}}"
        for key in ("tags_added", "tags_removed"):
            if get(key) is not None and not _strings(get(key)):
                yield key, f"{_shown(get(key))} is not a list of tags"
    elif t == "correction":
        if not _valid_uid(get("event_uid")):
            yield "event_uid", f"{_shown(get('event_uid'))} is not a uid; give the uid of the event corrected"
        moved, void = get("occurred_on"), get("void")
        if moved is not None:
            problem = _json_day(moved, today)
            if problem:
                yield "occurred_on", problem
        if void is not None and not isinstance(void, bool):
            yield "void", f"{_shown(void)} is not true or false"
        if moved is None and void is not True:
            yield "occurred_on", "missing; a correction moves an event (occurred_on) or voids it (void: true)"
        if get("event") is not None and not _valid_number(get("event")):
            yield "event", f"{_shown(get('event'))} is not an event number"
    elif t == "purged":
        if get("fields") is not None and not _strings(get("fields")):
            yield "fields", f"{_shown(get('fields'))} is not a list of field names"
        if get("events") is not None and not _count(get("events")):
            yield "events", f"{_shown(get('events'))} is not a number of events"
        if get("notes") is not None and not isinstance(get("notes"), bool):
            yield "notes", f"{_shown(get('notes'))} is not true or false"
    elif t == "letter":
        for key in ("kind", "path", "format"):
            if get(key) is not None and not isinstance(get(key), str):
                yield key, f"{_shown(get(key), name=key)} is not text"
        if get("grounds") is not None and not _strings(get("grounds")):
            yield "grounds", f"{_shown(get('grounds'))} is not a list of grounds"


class _Quiet:
    """Problems, less those at the locations already reported (a value of the wrong JSON type is
    reported once, not again as empty or unknown)."""

    def __init__(self, problems: _Problems, hide: set[str]):
        self.problems, self.hide = problems, hide

    def add(self, where: str, what: str) -> None:
        if where not in self.hide:
            self.problems.add(where, what)


def _reported(problems: _Problems, before: int, where: str) -> bool:
    head = f"{problems.path}: {where}: "
    return any(p.startswith(head) for p in problems.items[before:])


class _JsonSource:
    """A ``foia track export --format json`` file's requests; ``prepare`` validates a slice."""

    has_corrections = True

    def __init__(self, tracker, path: Path, text: str, problems: _Problems, look: _Lookups):
        from foia.tracker.service import UidMaker

        self.look = look
        self.new_uid = UidMaker()
        self.today = tracker.today()
        self.items = []
        if "\x00" in text[:1000]:
            # A UTF-16 file without a byte-order mark decodes as UTF-8 with a NUL after each letter.
            raise FoiaError(f"{path}: holds NUL characters (UTF-16 text?); save the file as UTF-8 JSON")
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise FoiaError(f"{path}: line {exc.lineno}, column {exc.colno}: not valid JSON "
                            f"({_json_error(exc, text)}); expected a `foia track export --format json` file") from None
        except RecursionError:
            raise FoiaError(f"{path}: not valid JSON (nested too deeply); expected a `foia track export --format "
                            "json` file") from None
        except ValueError:
            # Python refuses to read an integer of more than 4,300 digits: no id or amount is that long.
            raise FoiaError(f"{path}: a number of thousands of digits; no id or amount is that long, expected a "
                            "`foia track export --format json` file") from None
        if not isinstance(doc, dict) or doc.get("format") != FORMAT or not isinstance(doc.get("requests"), list):
            raise FoiaError(f"{path}: not a foia tracker export (no \"format\": \"{FORMAT}\" with a requests list); "
                            "make one with `foia track export --format json`")
        version = doc.get("version")
        if version is not None and not _valid_number(version):
            problems.add("field version", f"{_shown(version)} is not a format version; expected {FORMAT_VERSION} "
                                          "(as `foia track export --format json` writes it)")
            return
        if (version or 0) > FORMAT_VERSION:
            raise FoiaError(f"{path}: export format version {version} is newer than this foia reads "
                            f"({FORMAT_VERSION}); upgrade foia")
        # Texts are scanned for NUL and lone surrogates only when the file has such an escape.
        self.scan = _ODD_ESCAPE.search(text) is not None
        self.items = list(enumerate(doc["requests"], start=1))
        self.inbox = doc.get("inbox")      # the mail `foia inbox` kept (foia.inbox.service.restore_messages)

    def wanted_ids(self) -> list[int] | None:
        out = []
        for _, rec in self.items:
            value = rec.get("id") if isinstance(rec, dict) else None
            if not _valid_number(value):
                return None
            out.append(value)
        return out

    def wanted_event_ids(self) -> list[int] | None:
        out = []
        for _, rec in self.items:
            evs = rec.get("events") if isinstance(rec, dict) else None
            for e in evs if isinstance(evs, list) else ():
                value = e.get("id") if isinstance(e, dict) else None
                if not _valid_number(value):
                    return None
                out.append(value)
        return out

    def _field_types(self, rec: dict, where, problems: _Problems) -> set[str]:
        """Report the request fields of the wrong JSON type (or with unstorable text); their names."""
        bad = set()
        for name in _TEXT_FIELDS:
            value = rec.get(name)
            if value is not None and not isinstance(value, str):
                problems.add(where(name), f"{_shown(value, name=name)} is not text; give a string"
                                          + ("" if name in ("title", "office") else " or null"))
                bad.add(name)
        for name in _LIST_FIELDS:
            value = rec.get(name)
            if value is None:
                continue
            if not isinstance(value, list):
                problems.add(where(name), f"{_shown(value)} is not a list; give a list of texts, e.g. [\"a\", \"b\"], "
                                          "or []")
                bad.add(name)
            elif not _strings(value):
                item = next(v for v in value if not isinstance(v, str))
                problems.add(where(name), f"{_shown(item)} in the list is not text; give a list of texts")
                bad.add(name)
        limit = rec.get("fee_limit")
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, (str, int, float))):
            problems.add(where("fee_limit"), f"{_shown(limit)} is not an amount; use dollars like 25 or 25.50")
            bad.add("fee_limit")
        snapshot = rec.get("office_snapshot")
        if snapshot is not None and not isinstance(snapshot, dict):
            problems.add(where("office_snapshot"), "not an object")
            bad.add("office_snapshot")
        for name in _STAMP_FIELDS:
            value = rec.get(name)
            if value not in (None, "") and not (isinstance(value, str) and _TIMESTAMP.fullmatch(value)):
                problems.add(where(name), f"{_shown(value)} is not a timestamp; use ISO 8601 UTC like "
                                          "2025-01-02T15:04:05Z (as exported)")
                bad.add(name)
        if self.scan:
            for name in (*_TEXT_FIELDS, *_LIST_FIELDS, "uid", "office_snapshot", *_STAMP_FIELDS):
                if name not in bad:
                    problem = _odd_text(rec.get(name))
                    if problem:
                        problems.add(where(name), problem)
                        bad.add(name)
        return bad

    def prepare(self, items: list, problems: _Problems) -> list[_Prepared]:
        look, new_uid, today, scan = self.look, self.new_uid, self.today, self.scan
        now = utcnow()
        out = []
        for i, rec in items:
            src_id = rec.get("id") if isinstance(rec, dict) else None
            label = f"request {i}"
            if isinstance(src_id, int) and not isinstance(src_id, bool):
                label += f" (id {src_id})"
            elif src_id not in (None, ""):
                label += f" (id {_shown(src_id, 30)})"
            if not isinstance(rec, dict):
                problems.add(label, "not an object")
                continue

            def where(name, label=label):
                return f"{label}, field {name}"

            before = len(problems.items)
            bad = self._field_types(rec, where, problems)
            if bad:
                def get(name, rec=rec, bad=bad):
                    return None if name in bad else rec.get(name)

                fields = _common_fields(get, where, _Quiet(problems, {where(n) for n in bad}), look, today=today)
            else:
                fields = _common_fields(rec.get, where, problems, look, today=today)
            uid = rec.get("uid")
            if uid is None or uid == "":
                uid = new_uid()
            elif not _valid_uid(uid):
                if "uid" not in bad:
                    problems.add(where("uid"), f"{_shown(uid)} is not a uid (hex digits and dashes, at least 8 "
                                               "digits); leave it out for a new request")
            else:
                uid = uid.lower()       # the same request whatever the case of its hex digits
            if src_id is not None and not _valid_number(src_id):
                problems.add(where("id"), f"{_shown(src_id)} is not a request number; give a whole number from 1 "
                                          f"to {_MAX_ID}, or leave it out for a new number")
                src_id = None
            tags = [] if "tags" in bad else _tags(rec.get("tags") or [], problems, where("tags"))
            for tag in tags:
                if len(tag) > _TAG_LIMIT:
                    problems.add(where("tags"), f"a tag is longer than {_TAG_LIMIT} characters")
                    break
            evs = self._events(rec, label, where, problems, new_uid, today, now, scan)
            letter = rec.get("letter_text")
            raw_contact, contact = rec.get("requester_contact"), None
            if raw_contact is not None:
                if not isinstance(raw_contact, dict) or set(raw_contact) - set(REQUESTER_CONTACT_KEYS):
                    problems.add(where("requester_contact"), "expected an object with email, address and phone")
                else:
                    try:
                        contact = requester_contact_value(raw_contact)
                    except UsageError as exc:
                        problems.add(where("requester_contact"), exc.message.split(": ", 1)[-1])
            fields["requester_contact"] = contact
            row = dict(fields, uid=uid, status="draft", letter_text=letter if isinstance(letter, str) else None,
                       office_snapshot=rec.get("office_snapshot"), created_at=str(rec.get("created_at") or now),
                       updated_at=str(rec.get("updated_at") or now), purged_at=rec.get("purged_at") or None)
            # Every String(n) column's length, as PostgreSQL enforces it, unless already reported.
            for name, limit in _REQUEST_LIMITS.items():
                value = row.get(name)
                if (isinstance(value, str) and len(value) > limit and name not in bad
                        and not _reported(problems, before, where(name))):
                    problems.add(where(name), f"longer than {limit} characters")
            if len(problems.items) != before:
                continue
            out.append(_Prepared(src_id, row, evs, tags, label))
        return out

    def _events(self, rec, label, where, problems: _Problems, new_uid, today, now, scan) -> list[dict]:
        before = len(problems.items)
        raw_events = rec.get("events")
        if not isinstance(raw_events, list) or not raw_events:
            problems.add(where("events"), "missing; every request has a `created` event with status draft or a "
                                          "`status` event with status submitted")
            return []
        evs = []
        seen_uids: set[str] = set()
        corrections = []
        started = False
        for j, e in enumerate(raw_events, start=1):
            ew = f"{label}, event {j}"

            def ef(name, ew=ew):
                return f"{ew}, field {name}"

            if not isinstance(e, dict):
                problems.add(ew, "not an object")
                continue
            bad = set()
            t = e.get("type")
            if not (isinstance(t, str) and t in dv.EVENT_TYPES):
                problems.add(ef("type"), f"{_shown(t)} is not an event type; one of {', '.join(dv.EVENT_TYPES)}")
                bad.add("type")
                t = None
            st = e.get("status")
            if st is not None and not (isinstance(st, str) and st in lc.STATUSES):
                problems.add(ef("status"), f"{_shown(st)} is not a status; use one of {', '.join(lc.STATUSES)}")
                bad.add("status")
                st = None
            elif t == "status" and st is None:
                problems.add(ef("status"), "missing; a `status` event sets a status")
            elif t == "status" and st == "draft":
                problems.add(ef("status"), "'draft' on a `status` event; a draft is recorded by its `created` event")
            elif t == "created" and st not in (None, "draft"):
                problems.add(ef("status"), f"{st!r} on a `created` event; a draft's `created` event says draft, "
                                           "any other's null (`status` events set the statuses)")
            elif t is not None and t not in ("created", "status") and st is not None:
                problems.add(ef("status"), f"{st!r} on a `{t}` event; only `status` events set a status, give null")
            started = started or (t == "created" and st == "draft") or (t == "status" and st == "submitted")
            on = e.get("occurred_on")
            if on is None or (isinstance(on, str) and not on.strip()):
                problems.add(ef("occurred_on"), "missing; give the date it happened")
                on = None
            elif not isinstance(on, str):
                problems.add(ef("occurred_on"), f"not a date {_shown(on)}; use YYYY-MM-DD")
                on = None
            else:
                on = _parse_day(on, problems, ef("occurred_on"), today=today)
            recorded = e.get("recorded_at")
            if recorded in (None, ""):
                recorded = now
            elif not (isinstance(recorded, str) and _TIMESTAMP.fullmatch(recorded)):
                problems.add(ef("recorded_at"), f"{_shown(recorded)} is not a timestamp; use ISO 8601 UTC like "
                                                "2025-01-02T15:04:05Z (as exported)")
                bad.add("recorded_at")
            for name in _EVENT_TEXT_FIELDS:
                value = e.get(name)
                if value is not None and not isinstance(value, str):
                    problems.add(ef(name), f"{_shown(value)} is not text; give a string or null")
                    bad.add(name)
            data = e.get("data")
            if data is None:
                data = {}
            elif not isinstance(data, dict):
                problems.add(ef("data"), "not an object")
                data = None
            if data is not None:
                for key, problem in _data_problems(t, st, data, today) if t in _DATA_CHECKED else ():
                    problems.add(ef(f"data.{key}"), problem)
                    bad.add(f"data.{key}")
            else:
                data = {}
            euid = e.get("uid")
            if euid is None or euid == "":
                euid = new_uid()
            elif not _valid_uid(euid):
                problems.add(ef("uid"), f"{_shown(euid)} is not a uid (hex digits and dashes, at least 8 digits)")
                bad.add("uid")
                euid = None
            else:
                euid = euid.lower()
                if euid in seen_uids:
                    problems.add(ef("uid"), f"uid {euid} appears twice in this request")
                seen_uids.add(euid)
            if scan:
                for name in ("uid", "type", "status", "recorded_at", *_EVENT_TEXT_FIELDS):
                    if name not in bad:
                        problem = _odd_text(e.get(name))
                        if problem:
                            problems.add(ef(name), problem)
                for key, value in data.items():
                    problem = _odd_text(key) or (None if f"data.{key}" in bad else _odd_text(value))
                    if problem:
                        problems.add(ef("data" if _odd_text(key) else f"data.{key}"), problem)
            eid = e.get("id")
            if eid is not None and not _valid_number(eid):
                problems.add(ef("id"), f"{_shown(eid)} is not an event number; give a whole number from 1 to "
                                       f"{_MAX_ID}, or leave it out for a new number")
                eid = None
            ev = {"id": eid, "uid": euid, "type": t, "status": st, "occurred_on": on, "recorded_at": str(recorded),
                  "actor": e.get("actor"), "note": e.get("note"), "data": data}
            for name, limit in _EVENT_LIMITS.items():
                value = ev.get(name)
                if (isinstance(value, str) and len(value) > limit and name not in bad
                        and not _reported(problems, before, ef(name))):
                    problems.add(ef(name), f"longer than {limit} characters")
            if t == "correction" and _valid_uid(data.get("event_uid")):
                data["event_uid"] = data["event_uid"].lower()
                corrections.append((ef("data.event_uid"), euid, data["event_uid"]))
            evs.append(ev)
        for at, own, target in corrections:
            if target == own or target not in seen_uids:
                problems.add(at, f"{target} is not the uid of another event of this request; a correction names "
                                 "the event it corrects")
        if not started and len(evs) == len(raw_events):
            problems.add(where("events"), "neither a `created` event with status draft nor a `status` event with "
                                          "status submitted; every request has one (as `foia track export` writes)")
        return evs


# The largest file `foia track import` reads (bytes). An import holds the file's rows in memory
# while it checks them (about 45 times the file's size: 100,000 CSV rows, 7 MB, peak near
# 310 MB), so a bigger file is refused with one line instead of exhausting memory; split it.
IMPORT_MAX_BYTES = 50_000_000


def _check_import_size(path: Path, st) -> None:
    import stat

    if st is not None and not stat.S_ISREG(st.st_mode):
        raise FoiaError(f"{path}: not a regular file (a device, a pipe or a socket); give a .csv or .json file")
    if st is None or st.st_size > IMPORT_MAX_BYTES:
        raise FoiaError(f"{path}: larger than {IMPORT_MAX_BYTES:,} bytes, the most one import reads; split it into "
                        "smaller files (each import is all-or-nothing)")


def import_file(tracker, path, *, fmt: str | None = None) -> dict:
    """Import requests from a CSV or JSON file, all or nothing.

    Every row is validated and any problem raises :class:`ImportRejected` (every bad row by
    row number and column); all rows go in one transaction, so a rejected or interrupted
    import leaves the database as it was. A large import validates and derives deadlines in
    a second process while this one writes (see :data:`PIPELINE_FROM_ROWS`).
    Returns counts: requests, events, renumbered (True when the file's ids were taken).
    """
    path = Path(path)
    try:
        # Looked at before opening: opening a FIFO would wait for a writer, reading a device never ends.
        st = os.stat(path)
        if os.path.isdir(path):
            raise IsADirectoryError
        _check_import_size(path, st)
        with open(path, "rb") as fh:
            raw = fh.read(IMPORT_MAX_BYTES + 1)
    except FileNotFoundError:
        raise FoiaError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise FoiaError(f"{path}: is a folder; give a .csv or .json file") from None
    except OSError as exc:
        raise FoiaError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if len(raw) > IMPORT_MAX_BYTES:
        _check_import_size(path, None)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise FoiaError(f"{path}: line {line}: not UTF-8 text (byte {exc.start + 1}); save the file as UTF-8 CSV "
                        "or JSON") from None
    del raw
    fmt = (fmt or path.suffix.lstrip(".")).lower()
    if fmt not in ("csv", "json"):
        raise UsageError(f"{path}: import reads .csv or .json files (or give --format csv|json)")
    import gc

    # Hundreds of thousands of small objects and no cycles among them: the cyclic garbage
    # collector would rescan them again and again (a third of the import time).
    collecting = gc.isenabled()
    gc.disable()
    try:
        problems = _Problems(str(path))
        look = _Lookups(tracker)
        source = (_CsvSource if fmt == "csv" else _JsonSource)(tracker, path, text, problems, look)
        del text
        if problems.items:
            raise ImportRejected(str(path), problems.items)
        if not source.items:
            raise FoiaError(f"{path}: no requests in the file; nothing imported")
        # Computed here so a forked worker inherits them (and a bad closures.yaml is reported once).
        tracker.calendar()
        counts = tracker.store.write(lambda conn: _write_all(tracker, conn, path, source))
        tracker.store.analyze()  # PostgreSQL plans from statistics: give it the imported rows
        return counts
    finally:
        if collecting:
            gc.enable()


# SQLite page cache during an import's inserts (negative: KiB): 256 MiB holds the pages a
# 100,000-row import changes in a million-request database.
IMPORT_CACHE_KIB = -262_144
# Rows validated, derived and written together. An import of PIPELINE_FROM_ROWS rows or more
# validates and derives in a forked worker process while this process writes the chunks it
# has finished: on two cores the Python work and SQLite's inserts overlap (figures in
# docs/tracker.md). The first chunk is smaller so that writing starts sooner.
CHUNK_ROWS = 5_000
FIRST_CHUNK_ROWS = 1_000
PIPELINE_FROM_ROWS = 20_000
_EVENT_COLUMNS = ("id", "uid", "type", "occurred_on", "status", "recorded_at", "actor", "note", "data", "request_id")
_DEADLINE_COLUMNS = ("request_id", "key", "label", "party", "start", "due", "rule", "open", "closed_on")


class _Ids:
    """Where the import's request and event numbers start, or that the file's own are kept;
    the next numbers to give, advanced chunk by chunk."""

    def __init__(self, keep: bool, next_id: int, ev_keep: bool, next_ev: int):
        self.keep, self.next_id, self.ev_keep, self.next_ev = keep, next_id, ev_keep, next_ev


def _produce(tracker, source, ids: _Ids, dialect: str, path: Path) -> Iterator[dict]:
    """Validate the file chunk by chunk; while no row has a problem, also derive each chunk's
    deadlines and build its rows for the driver. Runs in the worker process or in this one."""
    failed = False
    # A small first chunk: the writer starts sooner.
    bounds = [0, *range(min(FIRST_CHUNK_ROWS, CHUNK_ROWS), len(source.items), CHUNK_ROWS), len(source.items)]
    for start, end in zip(bounds, bounds[1:]):
        problems = _Problems(str(path))
        prepared = source.prepare(source.items[start:end], problems)
        failed = failed or bool(problems.items)
        chunk = {"problems": problems.items, "requests": len(prepared)}
        if not failed:
            chunk.update(_chunk_rows(tracker, prepared, ids, dialect, path, corrections=source.has_corrections))
        yield chunk


def _chunk_rows(tracker, prepared: list[_Prepared], ids: _Ids, dialect: str, path: Path, *,
                corrections: bool = True) -> dict:
    """Number the chunk's requests and events, derive their deadlines and build the INSERTs."""
    from foia.tracker.service import cache_values

    calendar = tracker.calendar()
    rules = tracker.rules
    make_event = dv.Event._make
    # An event's values in dv.Event's field order; the row for the driver is the same tuple
    # plus the request id (_EVENT_COLUMNS).
    event_values = operator.itemgetter("id", "uid", "type", "occurred_on", "status", "recorded_at", "actor", "note",
                                       "data")
    no_corrections = ((),)
    warnings = _Problems(str(path))
    req_rows, ev_rows, tag_rows, dl_rows, tn_rows = [], [], [], [], []
    assigned: list[tuple[str, str, str]] = []
    for p in prepared:
        if ids.keep:
            rid = p.row["id"] = p.src_id
        else:
            rid = p.row["id"] = ids.next_id
            ids.next_id += 1
        if not ids.ev_keep:
            for e in p.events:
                e["id"] = ids.next_ev
                ids.next_ev += 1
            if corrections and any(e["type"] == "correction" for e in p.events):
                # A correction names the event it corrects by uid (stable) and by id (shown): renumber.
                numbers = {e["uid"]: e["id"] for e in p.events}
                for e in p.events:
                    if e["type"] == "correction" and e["data"].get("event_uid") in numbers:
                        e["data"] = dict(e["data"], event=numbers[e["data"]["event_uid"]])
        objs = []
        request_id = (rid,)
        for e in p.events:
            values = event_values(e)
            objs.append(make_event(values + no_corrections))
            ev_rows.append(values + request_id)
        evs = dv.effective(objs)
        # The deadlines table keeps dates, not explanations (`track show --explain` recomputes
        # them live): the day-by-day text would be built only to be thrown away.
        state = dv.derive(evs, expedite=p.row["expedite"], rules=rules(p.row["office"]), calendar=calendar,
                          already_effective=True, explain=False, kind=p.row["kind"])
        for warning in state.warnings:
            warnings.add(p.where, warning)
        p.row.update(cache_values(state))
        req_rows.append(p.row)
        for tag in p.tags:
            tag_rows.append((rid, tag))
        for t in state.deadlines:
            d = t.deadline
            dl_rows.append((rid, d.key, d.label, t.party, d.start, d.due, d.rule, t.open, t.closed_on))
        numbers: dict = {}
        for e in evs:
            # The last event for a number gives its reason and date (as tracking_rows does).
            if e.type == "tracking-number" and e.data.get("number"):
                numbers[e.data["number"]] = (rid, e.data["number"], e.data.get("reason") or "assigned", e.occurred_on)
        tn_rows.extend(numbers.values())
        if not p.given_uids:
            # A row without a uid is recognised by the number its office assigned (one per request).
            for _, number, reason, _ in numbers.values():
                if reason == "assigned":
                    assigned.append((p.where, p.row["office"], number))
    given = [p for p in prepared if p.given_uids]
    return {
        "warnings": warnings.items,
        "assigned": assigned,
        "ids": [(p.where, p.src_id) for p in prepared if p.src_id is not None],
        "rows": [p.where for p in prepared],
        "uids": [(p.where, p.row["uid"]) for p in given],
        "event_uids": [e["uid"] for p in given for e in p.events],
        "first_id": req_rows[0]["id"] if req_rows else None,
        "last_id": req_rows[-1]["id"] if req_rows else None,
        "events": len(ev_rows),
        "inserts": (insert_statements(dialect, requests, req_rows)
                    + insert_statements(dialect, events, ev_rows, columns=_EVENT_COLUMNS)
                    + insert_statements(dialect, request_tags, tag_rows, columns=("request_id", "tag"))
                    + insert_statements(dialect, tracking_numbers, tn_rows,
                                        columns=("request_id", "number", "reason", "recorded_on"))
                    + insert_statements(dialect, deadlines, dl_rows, columns=_DEADLINE_COLUMNS)),
    }


def _pipelined(rows: int) -> bool:
    import sys
    import threading

    # fork copies this process (directory, rules, the parsed file) for free; it is unsafe once
    # other threads run, unsafe on macOS once system frameworks are loaded, and missing on
    # Windows: those import in one process.
    return rows >= PIPELINE_FROM_ROWS and threading.active_count() == 1 and sys.platform.startswith("linux")


class _Worker:
    """The chunks of ``produce()`` computed in a forked process and received here in order."""

    def __init__(self, produce):
        import multiprocessing

        ctx = multiprocessing.get_context("fork")
        self.inbox, outbox = ctx.Pipe(duplex=False)
        self.process = ctx.Process(target=_work, args=(produce, outbox), daemon=True, name="foia-import")
        self.process.start()
        outbox.close()

    def __iter__(self) -> Iterator[dict]:
        while True:
            try:
                kind, payload = self.inbox.recv()
            except EOFError:
                raise FoiaError("the import's worker process stopped unexpectedly; nothing imported") from None
            if kind == "done":
                return
            if kind == "chunk":
                yield payload
            elif kind == "foia":
                raise FoiaError(payload)
            elif kind == "usage":
                raise UsageError(payload)
            else:
                raise RuntimeError(f"the import's worker process failed; nothing imported:\n{payload}")

    def close(self) -> None:
        self.inbox.close()
        if self.process.is_alive():
            self.process.terminate()
        self.process.join()


def _work(produce, outbox) -> None:
    """The worker process: send each chunk, then "done"; an error is sent as text."""
    import traceback

    try:
        for chunk in produce():
            outbox.send(("chunk", chunk))
        outbox.send(("done", None))
    except (BrokenPipeError, KeyboardInterrupt):
        pass            # the importing process has stopped: nothing to report to
    except UsageError as exc:
        outbox.send(("usage", exc.message))
    except FoiaError as exc:
        outbox.send(("foia", exc.message))
    except BaseException:  # noqa: BLE001 - reported by the importing process, with the traceback
        outbox.send(("error", traceback.format_exc()))
    finally:
        outbox.close()


def _write_all(tracker, conn, path: Path, source) -> dict:
    from sqlalchemy import func, select

    store = tracker.store
    if store.is_postgresql:
        # Ids are chosen here: keep concurrent adds out until the commit (reads go on).
        conn.exec_driver_sql("LOCK TABLE requests, events IN SHARE ROW EXCLUSIVE MODE")
    top = conn.execute(select(func.max(requests.c.id))).scalar() or 0
    wanted = source.wanted_ids()
    keep = wanted is not None and len(set(wanted)) == len(wanted) and not _any_taken(conn, requests.c.id, wanted)
    ev_top = conn.execute(select(func.max(events.c.id))).scalar() or 0
    ev_wanted = source.wanted_event_ids()
    ev_keep = (ev_wanted is not None and len(set(ev_wanted)) == len(ev_wanted)
               and not _any_taken(conn, events.c.id, ev_wanted))
    ids = _Ids(keep, top + 1, ev_keep, ev_top + 1)

    def produce():
        return _produce(tracker, source, ids, conn.dialect.name, path)

    # Problems in the order a reader fixes them: bad rows first; then numbers or uids given
    # twice in the file; then uids already in the database; then histories that do not add up.
    bad, ids_twice, uids_twice, taken, warnings = [], _Problems(str(path)), _Problems(str(path)), \
        _Problems(str(path)), []
    seen_ids, seen_uids, seen_event_uids, seen_assigned = set(), set(), set(), {}
    filing = tracker.filing_ids()
    event_uid_twice = False
    counts = {"requests": 0, "events": 0, "first_id": None, "last_id": None}
    cache = None
    worker = _Worker(produce) if _pipelined(len(source.items)) else None
    try:
        for chunk in worker if worker is not None else produce():
            bad.extend(chunk["problems"])
            if bad:
                continue
            warnings.extend(chunk["warnings"])
            for where, src_id in chunk["ids"]:
                if src_id in seen_ids:
                    ids_twice.add(where, f"id {src_id} appears twice in the file")
                seen_ids.add(src_id)
            for where, uid in chunk["uids"]:
                if uid in seen_uids:
                    uids_twice.add(where, f"uid {uid} appears twice in the file")
                seen_uids.add(uid)
            for uid in chunk["event_uids"]:
                event_uid_twice = event_uid_twice or uid in seen_event_uids
                seen_event_uids.add(uid)
            for where, office, number in chunk["assigned"]:
                first = seen_assigned.setdefault((filing.get(office, office), number), where)
                if first != where:
                    ids_twice.add(where, f"tracking number {number} ({office}) is also on {first}: the same request "
                                         "twice? remove one row")
            _check_taken(conn, chunk, taken, filing)
            if ids_twice.items or uids_twice.items or event_uid_twice or taken.items or warnings:
                continue
            if cache is None and store.is_sqlite:
                # The pages this transaction changes (index leaves all over a large database) stay
                # in memory until the commit instead of being spilled to the WAL and read back
                # again. Memory only: the journal and the fsync at commit are unchanged.
                cache = conn.exec_driver_sql("PRAGMA cache_size").scalar()
                conn.exec_driver_sql(f"PRAGMA cache_size={IMPORT_CACHE_KIB}")
            _execute(conn, chunk["inserts"])
            counts["requests"] += chunk["requests"]
            counts["events"] += chunk["events"]
            if counts["first_id"] is None:
                counts["first_id"] = chunk["first_id"]
            if chunk["last_id"] is not None:
                counts["last_id"] = chunk["last_id"]
    finally:
        if worker is not None:
            worker.close()
        if cache is not None:
            conn.exec_driver_sql(f"PRAGMA cache_size={int(cache)}")
    if event_uid_twice:
        uids_twice.add("events", "the same event uid appears in two requests")
    for found in (bad, ids_twice.items + uids_twice.items, taken.items, warnings):
        if found:
            raise ImportRejected(str(path), found)
    if store.is_postgresql:
        for table in ("requests", "events", "tracking_numbers"):
            conn.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                 f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)")
    if getattr(source, "inbox", None) is not None:
        from foia.inbox.service import restore_messages

        counts["messages"] = restore_messages(conn, source.inbox, path)
    return {"requests": counts["requests"], "events": counts["events"],
            "renumbered": bool(seen_ids) and not keep,
            "first_id": counts["first_id"], "last_id": counts["last_id"], "messages": counts.get("messages", 0)}


def _check_taken(conn, chunk: dict, problems: _Problems, filing: dict[str, str]) -> None:
    """Requests already here are refused: importing twice would duplicate them. A row with a uid
    is recognised by it; a row without one by the tracking number its office assigned. Reported
    in file order."""
    from sqlalchemy import select

    found: list[tuple[str, str]] = []
    by_uid = {uid: where for where, uid in chunk["uids"]}
    for part in _batches(list(by_uid), 500):
        for uid, rid in conn.execute(select(requests.c.uid, requests.c.id).where(requests.c.uid.in_(part))):
            found.append((by_uid[uid], f"already in the database as request {rid} (same uid); remove the row "
                                       "or its uid column"))
    by_number: dict[str, list[tuple[str, str]]] = {}
    for where, office, number in chunk["assigned"]:
        by_number.setdefault(number, []).append((where, office))
    # Every row of a spreadsheet import has a number to look up: the driver's cursor, without
    # SQLAlchemy compiling an IN list per batch (a third of a second per 100,000 rows).
    mark = "?" if conn.dialect.name == "sqlite" else "%s"
    cursor = conn.connection.cursor()
    try:
        hits = []
        if conn.dialect.name == "postgresql":
            with _index_lookups(cursor):
                cursor.execute(ASSIGNED_LOOKUP_PG, (list(by_number),))
                hits += cursor.fetchall()
        else:
            for part in _batches(list(by_number), 500):
                cursor.execute("SELECT t.number, r.office, r.id FROM tracking_numbers t JOIN requests r ON r.id = "
                               f"t.request_id WHERE t.reason = 'assigned' AND t.number IN "
                               f"({', '.join([mark] * len(part))})", part)
                hits += cursor.fetchall()
    finally:
        cursor.close()
    for number, office, rid in hits:
        for where, wanted in by_number[number]:
            if filing.get(wanted, wanted) == filing.get(office, office):      # HSI's numbers are ICE's
                found.append((where, f"tracking number {number} ({office}) is already on request {rid}; "
                                     "remove the row if the file was imported before"))
    if found:
        order = {where: i for i, where in enumerate(chunk["rows"])}
        for where, what in sorted(found, key=lambda f: order.get(f[0], -1)):
            problems.add(where, what)
    # Events come with their requests: one line for them all (a file imported twice would
    # otherwise list every event of every request).
    taken = [uid for part in _batches(chunk["event_uids"], 500)
             for (uid,) in conn.execute(select(events.c.uid).where(events.c.uid.in_(part)))]
    if taken:
        more = f" and {len(taken) - 1} more are" if len(taken) > 1 else " is"
        problems.add("events", f"event uid {taken[0]}{more} already in the database")


# PostgreSQL: the numbers of a chunk looked up in one statement, by the index on
# tracking_numbers(number). The rows this import wrote have no statistics until it commits, so
# the planner took the growing tables for empty ones and read them whole for every chunk: a
# first import of 100,000 rows took 230 s, quadratic. _index_lookups makes the index the plan
# whatever the statistics say.
# One lookup per number (LATERAL, kept apart from the outer query by OFFSET 0), so no plan can
# scan the whole table, whatever the statistics say.
ASSIGNED_LOOKUP_PG = ("SELECT n.number, x.office, x.id FROM unnest(%s::text[]) AS n(number) CROSS JOIN LATERAL "
                      "(SELECT r.office, r.id FROM tracking_numbers t JOIN requests r ON r.id = t.request_id "
                      "WHERE t.number = n.number AND t.reason = 'assigned' OFFSET 0) AS x")
_LOOKUP_SETTINGS = ("enable_seqscan", "enable_hashjoin", "enable_mergejoin")


@contextmanager
def _index_lookups(cursor):
    """Within the block, PostgreSQL plans index lookups and nested loops (each setting is put
    back as it was afterwards, inside the same transaction)."""
    before = []
    for name in _LOOKUP_SETTINGS:
        cursor.execute("SELECT current_setting(%s), set_config(%s, 'off', true)", (name, name))
        before.append((name, cursor.fetchone()[0]))
    yield
    # Not on an error: PostgreSQL then rolls the transaction back, settings included.
    for name, value in before:
        cursor.execute("SELECT set_config(%s, %s, true)", (name, value))


class _Memo(dict):
    """value -> converted value, computed once per distinct value (a few thousand distinct dates
    among a million values); ``memo.__getitem__`` maps a whole column at C speed."""

    def __init__(self, convert):
        super().__init__({None: None})
        self.convert = convert

    def __missing__(self, value):
        out = self[value] = self.convert(value)
        return out


# Shared by every import in the process: a few thousand distinct dates, two booleans.
_ISO_DATES = _Memo(operator.methodcaller("isoformat"))
_INTS = _Memo(int)


def _json_encoder():
    """``JSONEncoder(ensure_ascii=False).encode`` for dicts and lists, without building the C
    encoder again for every value (half the cost of a small dict)."""
    from json import encoder

    base = json.JSONEncoder(ensure_ascii=False)
    plain = base.encode
    if encoder.c_make_encoder is None:
        return plain
    make = encoder.c_make_encoder(None, base.default, encoder.encode_basestring, None, ": ", ", ", False, False,
                                  True)
    return lambda v: "".join(make(v, 0)) if isinstance(v, (dict, list)) else plain(v)


def _execute(conn, statements: list[tuple[str, list]]) -> None:
    cursor = conn.connection.cursor()
    try:
        for sql, params in statements:
            cursor.executemany(sql, params)
    finally:
        cursor.close()


def insert_statements(dialect: str, table, rows: list, *, columns: Sequence[str] | None = None,
                      batch: int = 50_000) -> list[tuple[str, list]]:
    """``rows`` as (INSERT statement, parameter tuples) pairs for the driver's executemany.

    ``rows`` are dicts (the columns are the first row's keys) or, with ``columns``, sequences of
    values in that order.

    SQLAlchemy's executemany processes every parameter of every row in Python (type
    processors, JSON serialisation); for 100,000 requests and their events that is most of
    the import time. Here values are converted a column at a time, once per distinct value
    (dates to ISO text and booleans to 0/1 on SQLite, JSON to text). A column that is NULL in
    every row of a batch is left out of the INSERT: the tables have no server-side defaults,
    so the stored rows are the same, and the driver binds fewer parameters.
    """
    if not rows:
        return []
    from sqlalchemy import JSON, Boolean, Date

    sqlite = dialect == "sqlite"
    if columns is None:
        names = [c.name for c in table.columns if c.name in rows[0]]
        getter = operator.itemgetter(*names)
        rows = list(map(getter, rows)) if len(names) > 1 else [(v,) for v in map(getter, rows)]
    else:
        names = list(columns)
    mark = "?" if sqlite else "%s"

    encode = _json_encoder()
    convs = []
    for name in names:
        column = table.c[name]
        if isinstance(column.type, JSON):
            convs.append("json")
        elif isinstance(column.type, Date) and sqlite:
            convs.append(_ISO_DATES.__getitem__)
        elif isinstance(column.type, Boolean) and sqlite:
            convs.append(_INTS.__getitem__)
        else:
            convs.append(None)
    droppable = [table.c[name].server_default is None for name in names]
    out = []
    for start in range(0, len(rows), batch):
        chunk = rows[start:start + batch]
        cols = list(zip(*chunk))
        kept, values = [], []
        for i, name in enumerate(names):
            col = cols[i]
            if droppable[i] and col[0] is None and col.count(None) == len(col):
                continue
            conv = convs[i]
            if conv == "json" and col.count([]) == len(col):     # systems, vendors... all empty
                col = ["[]"] * len(col)
            elif conv == "json":
                # Encoded once per object: objects alive for the whole batch have stable ids, and
                # an import's events share one {"imported": true}.
                objects = {id(v): v for v in col}
                texts = {k: (None if v is None else encode(v)) for k, v in objects.items()}
                col = list(map(texts.__getitem__, map(id, col)))
            elif conv is not None:
                col = list(map(conv, col))
            kept.append(name)
            values.append(col)
        if not kept:        # every value NULL: say so for one column
            kept, values = names[:1], [cols[0]]
        sql = (f"INSERT INTO {table.name} ({', '.join(kept)}) "
               f"VALUES ({', '.join(mark for _ in kept)})")
        out.append((sql, list(zip(*values))))
    return out


def _any_taken(conn, column, ids: list[int]) -> bool:
    from sqlalchemy import select

    for chunk in _batches(sorted(set(ids)), 500):
        if conn.execute(select(column).where(column.in_(chunk)).limit(1)).first() is not None:
            return True
    return False
