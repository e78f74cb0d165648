"""A JSON import file (``foia track export --format json``): each request with its events,
checked without a database (see foia.tracker.importer).

A record's values are checked for their JSON type, for text the database cannot store (NUL,
half a surrogate pair), for the lengths of the String(n) columns (PostgreSQL refuses longer
values where SQLite keeps them) and, inside events, for the data the deadline engine and
`show` read. A bad value is one report line; nothing reaches the database.
"""

from __future__ import annotations

import json
import re
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Iterator

from foia.errors import BadValue, FoiaError
from foia.tracker import derive as dv
from foia.tracker.appeals import APPEAL_TARGETS
from foia.tracker.codec import uid_form
from foia.tracker import fields as fv
from foia.tracker import lifecycle as lc
from foia.tracker.export import FORMAT, FORMAT_VERSION
from foia.tracker.importer import (MAX_IMPORT_ID, Lookups, Prepared, Problems, common_fields, iso_day,
                                   parse_day, parse_tags, refuse, valid_number, valid_uid)
from foia.tracker.models import IDENTITY_COLUMNS, IDENTITY_EVENT_KEYS, events, request_tags, requests, \
    tracking_numbers
from foia.tracker.store import utcnow

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
# The keys of an event's data that hold another request's or event's uid (codec.uid_form).
_UID_REFERENCES = ("request_uid", "referred_from", "event_uid")


def shown(value, limit: int = 60, *, name: str | None = None) -> str:
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
    d = iso_day(value)
    if d is None:
        return f"{shown(value)} is not a date; use YYYY-MM-DD"
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
    from foia.parse import parse_amount

    return fv.EXPEDITE_DECISIONS, fv.FEE_KINDS, fv.TRACKING_REASONS, parse_amount


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
            yield "to", f"{shown(to)} is not the event's status {status!r}; an export gives the same"
        was = get("from")
        if was is not None and not (isinstance(was, str) and was in lc.STATUSES):
            yield "from", f"{shown(was)} is not a status; give the status before, or null"
        if get("received") is not None:
            problem = _json_day(get("received"), today)
            if problem:
                yield "received", problem
        of = get("of")
        if of is not None and not (_strings(of) and of and set(of) <= set(APPEAL_TARGETS)):
            yield "of", (f"{shown(of)} is not what an appeal is of; give a list of "
                         f"{', '.join(APPEAL_TARGETS)}, or null")
    elif t == "tracking-number":
        number = get("number")
        if number is None or number == "":
            yield "number", "missing; give the tracking number"
        elif not isinstance(number, str) or len(number.split()) != 1 or number != number.strip():
            yield "number", f"{shown(number)} is not a tracking number; give it as one word of text"
        elif len(number) > _NUMBER_LIMIT:
            yield "number", f"longer than {_NUMBER_LIMIT} characters"
        reason = get("reason")
        if reason is not None and not (isinstance(reason, str) and reason in TRACKING_REASONS
                                       and len(reason) <= _REASON_LIMIT):
            yield "reason", f"{shown(reason)} is not a reason; use one of {', '.join(TRACKING_REASONS)}"
    elif t == "fee":
        kind = get("kind")
        if not (isinstance(kind, str) and kind in FEE_KINDS):
            yield "kind", f"{shown(kind)} is not a fee kind; use one of {', '.join(FEE_KINDS)}"
        amount = get("amount")
        ok = isinstance(amount, str)
        if ok:
            try:
                parse_amount(amount, "amount")
            except BadValue:
                ok = False
        if not ok:
            yield "amount", f"{shown(amount)} is not an amount; use dollars as text like \"25.00\""
    elif t == "estimated-completion":
        problem = _json_day(get("date"), today, past=False)
        if problem:
            yield "date", problem
    elif t == "extension-notice":
        stage = get("stage")
        if stage is not None and stage not in ("request", "appeal"):
            yield "stage", f"{shown(stage)} is not a stage; use request or appeal"
    elif t == "expedite-decision":
        decision = get("decision")
        if not (isinstance(decision, str) and decision in EXPEDITE_DECISIONS):
            yield "decision", f"{shown(decision)} is not a decision; use {' or '.join(EXPEDITE_DECISIONS)}"
    elif t == "documents":
        for key in ("count", "pages"):
            if get(key) is not None and not _count(get(key)):
                yield key, f"{shown(get(key))} is not a number of {'documents' if key == 'count' else 'pages'}; " \
                           "give a whole number, or null"
        if get("files") is not None and not _strings(get("files")):
            yield "files", f"{shown(get('files'), name='files')} is not a list of texts; give file names, or null"
    elif t == "edited":
        who = get("assignee", _MISSING)
        if who is not _MISSING and not (isinstance(who, dict) and all(
                v is None or isinstance(v, str) for v in (who.get("from"), who.get("to")))):
            yield "assignee", f"{shown(who)} is not a change of assignee; give {{\"from\": ..., \"to\": ...}}"
        for key in ("tags_added", "tags_removed"):
            if get(key) is not None and not _strings(get(key)):
                yield key, f"{shown(get(key))} is not a list of tags"
    elif t == "correction":
        if not valid_uid(get("event_uid")):
            yield "event_uid", f"{shown(get('event_uid'))} is not a uid; give the uid of the event corrected"
        moved, void = get("occurred_on"), get("void")
        if moved is not None:
            problem = _json_day(moved, today)
            if problem:
                yield "occurred_on", problem
        if void is not None and not isinstance(void, bool):
            yield "void", f"{shown(void)} is not true or false"
        if moved is None and void is not True:
            yield "occurred_on", "missing; a correction moves an event (occurred_on) or voids it (void: true)"
        if get("event") is not None and not valid_number(get("event")):
            yield "event", f"{shown(get('event'))} is not an event number"
    elif t == "purged":
        if get("fields") is not None and not _strings(get("fields")):
            yield "fields", f"{shown(get('fields'))} is not a list of field names"
        if get("events") is not None and not _count(get("events")):
            yield "events", f"{shown(get('events'))} is not a number of events"
        if get("notes") is not None and not isinstance(get("notes"), bool):
            yield "notes", f"{shown(get('notes'))} is not true or false"
    elif t == "letter":
        for key in ("kind", "path", "format"):
            if get(key) is not None and not isinstance(get(key), str):
                yield key, f"{shown(get(key), name=key)} is not text"
        if get("grounds") is not None and not _strings(get("grounds")):
            yield "grounds", f"{shown(get('grounds'))} is not a list of grounds"


class _Quiet:
    """Problems, less those at the locations already reported (a value of the wrong JSON type is
    reported once, not again as empty or unknown)."""

    def __init__(self, problems: Problems, hide: set[str]):
        self.problems, self.hide = problems, hide

    def add(self, where: str, what: str) -> None:
        if where not in self.hide:
            self.problems.add(where, what)


def _reported(problems: Problems, before: int, where: str) -> bool:
    head = f"{problems.path}: {where}: "
    return any(p.startswith(head) for p in problems.items[before:])


class JsonSource:
    """A ``foia track export --format json`` file's requests; ``prepare`` validates a slice."""

    has_corrections = True

    def __init__(self, path: Path, text: str, problems: Problems, look: Lookups, *, today: date, actor=None):
        from foia.tracker.events import UidMaker

        self.look = look
        self.new_uid = UidMaker()
        self.today = today          # ``actor``: unused, a JSON event names its own
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
        if version is not None and not valid_number(version):
            problems.add("field version", f"{shown(version)} is not a format version; expected {FORMAT_VERSION} "
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
            if not valid_number(value):
                return None
            out.append(value)
        return out

    def wanted_event_ids(self) -> list[int] | None:
        out = []
        for _, rec in self.items:
            evs = rec.get("events") if isinstance(rec, dict) else None
            for e in evs if isinstance(evs, list) else ():
                value = e.get("id") if isinstance(e, dict) else None
                if not valid_number(value):
                    return None
                out.append(value)
        return out

    def _field_types(self, rec: dict, where, problems: Problems) -> set[str]:
        """Report the request fields of the wrong JSON type (or with unstorable text); their names."""
        bad = set()
        for name in _TEXT_FIELDS:
            value = rec.get(name)
            if value is not None and not isinstance(value, str):
                problems.add(where(name), f"{shown(value, name=name)} is not text; give a string"
                                          + ("" if name in ("title", "office") else " or null"))
                bad.add(name)
        for name in _LIST_FIELDS:
            value = rec.get(name)
            if value is None:
                continue
            if not isinstance(value, list):
                problems.add(where(name), f"{shown(value)} is not a list; give a list of texts, e.g. [\"a\", \"b\"], "
                                          "or []")
                bad.add(name)
            elif not _strings(value):
                item = next(v for v in value if not isinstance(v, str))
                problems.add(where(name), f"{shown(item)} in the list is not text; give a list of texts")
                bad.add(name)
        limit = rec.get("fee_limit")
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, (str, int, float))):
            problems.add(where("fee_limit"), f"{shown(limit)} is not an amount; use dollars like 25 or 25.50")
            bad.add("fee_limit")
        snapshot = rec.get("office_snapshot")
        if snapshot is not None and not isinstance(snapshot, dict):
            problems.add(where("office_snapshot"), "not an object")
            bad.add("office_snapshot")
        for name in _STAMP_FIELDS:
            value = rec.get(name)
            if value not in (None, "") and not (isinstance(value, str) and _TIMESTAMP.fullmatch(value)):
                problems.add(where(name), f"{shown(value)} is not a timestamp; use ISO 8601 UTC like "
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

    def prepare(self, items: list, problems: Problems) -> list[Prepared]:
        look, new_uid, today, scan = self.look, self.new_uid, self.today, self.scan
        now = utcnow()
        out = []
        for i, rec in items:
            src_id = rec.get("id") if isinstance(rec, dict) else None
            label = f"request {i}"
            if isinstance(src_id, int) and not isinstance(src_id, bool):
                label += f" (id {src_id})"
            elif src_id not in (None, ""):
                label += f" (id {shown(src_id, 30)})"
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

                fields = common_fields(get, where, _Quiet(problems, {where(n) for n in bad}), look, today=today)
            else:
                fields = common_fields(rec.get, where, problems, look, today=today)
            uid = rec.get("uid")
            if uid is None or uid == "":
                uid = new_uid()
            elif not valid_uid(uid):
                if "uid" not in bad:
                    problems.add(where("uid"), f"{shown(uid)} is not a uid (hex digits and dashes, at least 8 "
                                               "digits); leave it out for a new request")
            else:
                uid = uid_form(uid)     # the same request whatever the case of its hex digits
            if src_id is not None and not valid_number(src_id):
                problems.add(where("id"), f"{shown(src_id)} is not a request number; give a whole number from 1 "
                                          f"to {MAX_IMPORT_ID}, or leave it out for a new number")
                src_id = None
            tags = [] if "tags" in bad else parse_tags(rec.get("tags") or [], problems, where("tags"))
            for tag in tags:
                if len(tag) > _TAG_LIMIT:
                    problems.add(where("tags"), f"a tag is longer than {_TAG_LIMIT} characters")
                    break
            evs = self._events(rec, label, where, problems, new_uid, today, now, scan)
            letter = rec.get("letter_text")
            raw_contact, contact = rec.get("requester_contact"), None
            if raw_contact is not None:
                if not isinstance(raw_contact, dict) or set(raw_contact) - set(fv.REQUESTER_CONTACT_KEYS):
                    problems.add(where("requester_contact"), "expected an object with email, address and phone")
                else:
                    try:
                        contact = fv.requester_contact(raw_contact)
                    except BadValue as exc:
                        refuse(problems, where, exc)
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
            out.append(Prepared(src_id, row, evs, tags, label))
        return out

    def _events(self, rec, label, where, problems: Problems, new_uid, today, now, scan) -> list[dict]:
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
                problems.add(ef("type"), f"{shown(t)} is not an event type; one of {', '.join(dv.EVENT_TYPES)}")
                bad.add("type")
                t = None
            st = e.get("status")
            if st is not None and not (isinstance(st, str) and st in lc.STATUSES):
                problems.add(ef("status"), f"{shown(st)} is not a status; use one of {', '.join(lc.STATUSES)}")
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
                problems.add(ef("occurred_on"), f"not a date {shown(on)}; use YYYY-MM-DD")
                on = None
            else:
                on = parse_day(on, problems, ef("occurred_on"), today=today)
            recorded = e.get("recorded_at")
            if recorded in (None, ""):
                recorded = now
            elif not (isinstance(recorded, str) and _TIMESTAMP.fullmatch(recorded)):
                problems.add(ef("recorded_at"), f"{shown(recorded)} is not a timestamp; use ISO 8601 UTC like "
                                                "2025-01-02T15:04:05Z (as exported)")
                bad.add("recorded_at")
            for name in _EVENT_TEXT_FIELDS:
                value = e.get(name)
                if value is not None and not isinstance(value, str):
                    problems.add(ef(name), f"{shown(value)} is not text; give a string or null")
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
            elif not valid_uid(euid):
                problems.add(ef("uid"), f"{shown(euid)} is not a uid (hex digits and dashes, at least 8 digits)")
                bad.add("uid")
                euid = None
            else:
                euid = uid_form(euid)
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
            if eid is not None and not valid_number(eid):
                problems.add(ef("id"), f"{shown(eid)} is not an event number; give a whole number from 1 to "
                                       f"{MAX_IMPORT_ID}, or leave it out for a new number")
                eid = None
            ev = {"id": eid, "uid": euid, "type": t, "status": st, "occurred_on": on, "recorded_at": str(recorded),
                  "actor": e.get("actor"), "note": e.get("note"), "data": data}
            for name, limit in _EVENT_LIMITS.items():
                value = ev.get(name)
                if (isinstance(value, str) and len(value) > limit and name not in bad
                        and not _reported(problems, before, ef(name))):
                    problems.add(ef(name), f"longer than {limit} characters")
            for key in _UID_REFERENCES:
                if valid_uid(data.get(key)):
                    data[key] = uid_form(data[key])
            if t == "correction" and valid_uid(data.get("event_uid")):
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
