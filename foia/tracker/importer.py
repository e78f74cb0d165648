"""What an import file holds, checked without a database.

:func:`open_file` reads a CSV or JSON file and checks its header; the source it returns checks
its rows (``prepare``) slice by slice, so :mod:`foia.tracker.bulk` can check and write a large
file in chunks. :func:`check_file` checks a whole file at once and returns its rows or its
problems: nothing here opens the tracker's database (ids already taken, tracking numbers on
other requests and histories that do not add up are :mod:`foia.tracker.bulk`'s to find).

Each problem is one report line, ``FILE: row 7, column office: ...`` (rows counted as a
spreadsheet shows them, the header being row 1) or ``FILE: request 3 (id 7), field title: ...``.
The CSV rows are :mod:`foia.tracker.import_csv`'s, the JSON records :mod:`foia.tracker.import_json`'s.
"""

from __future__ import annotations

import os
import re
from datetime import date
from pathlib import Path
from typing import Any, Callable

from foia.errors import BadValue, FoiaError, UsageError
from foia.naming import Field, Text
from foia.parse import TAG
from foia.parse import parse_day as day_of
from foia.tracker import fields as fv

MAX_REPORTED = 20
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




class Problems:
    def __init__(self, path: str):
        self.path = path
        self.items: list[str] = []

    def add(self, where: str, what: str) -> None:
        self.items.append(f"{self.path}: {where}: {what}")


def iso_day(value) -> date | None:
    """``value`` as a date when it is a real YYYY-MM-DD day (foia.parse's rule; spaces around it
    are the caller's to strip), else None."""
    if not isinstance(value, str) or not value or value != value.strip():
        return None
    try:
        return day_of(value, "date")
    except BadValue:
        return None


def parse_day(text, problems, where, *, today, identity=False, future_ok=False) -> date | None:
    """A cell's past date (``future_ok``: any date) on the working-day calendar; a problem is reported
    at ``where`` (an identity field's value is never echoed)."""
    if not text:
        return None
    value = text.strip() if isinstance(text, str) else text
    if not value:
        return None
    d = iso_day(value)
    if d is None:
        shown = "" if identity else f" {value!r}"
        problems.add(where, f"not a date{shown}; use YYYY-MM-DD")
        return None
    if not future_ok and d > today:
        shown = "a date" if identity else d.isoformat()
        problems.add(where, f"{shown} is in the future; give the date it happened")
        return None
    if not identity:
        from foia.clocks.calendar import calendar_problem

        problem = calendar_problem(d)
        if problem:
            problems.add(where, problem)
            return None
    return d


_SEPARATORS = re.compile(r"[;,]")


def split_cell(cell: str | None) -> list[str]:
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


class Lookups:
    """Directory look-ups cached per value (100,000 rows name few offices)."""

    def __init__(self, directory):
        self.d = directory
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
                from foia.tracker.offices import contract_link

                found = contract_link(self.d, key)
            else:
                finder = {"systems": self.d.system, "vendors": self.d.vendor}[what]
                try:
                    found = finder(key).id
                except FoiaError:
                    found = None
            self.cache[k] = found
        return found


# The column (CSV) or field (JSON) that holds a value a library check names otherwise.
COLUMNS = {"tag": "tags", "tracking_number": "tracking_numbers", "requester_email": "requester_contact",
           "requester_address": "requester_contact", "requester_phone": "requester_contact"}


def why(exc: FoiaError) -> str:
    """What an error says is wrong, without the field it names first (the import names the row
    and column instead)."""
    message = exc.args[0]
    parts = getattr(message, "parts", ())
    if parts and isinstance(parts[0], Field):
        return "".join(parts[1:]).removeprefix(":").lstrip()
    return str(message)


def refuse(problems: Problems, where, exc: BadValue) -> None:
    """Report a library check's error at the column (or field) of the value it names."""
    problems.add(where(COLUMNS.get(exc.field, exc.field)), why(exc))


def common_fields(get, where, problems: Problems, look: Lookups, *, today) -> dict:
    """Validate the request fields shared by CSV rows and JSON records. ``get(name)`` returns the
    raw value; ``where(name)`` the location text for a message (built only for a problem)."""
    out: dict[str, Any] = {}
    title = _one_line(get("title"), fv.LIMITS["title"], problems, where, "title")
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
    try:
        fv.kind(kind)
    except BadValue as exc:
        refuse(problems, where, exc)
    out["kind"] = kind
    sent = get("sent_via")
    out["sent_via"] = None
    if isinstance(sent, str) and sent.strip():
        try:
            out["sent_via"] = fv.sent_via(sent)
        except BadValue as exc:
            refuse(problems, where, exc)
            out["sent_via"] = sent.strip().lower()
    for name in ("assignee", "requester", "client_name", "client_a_number"):
        out[name] = _one_line(get(name), fv.LIMITS[name], problems, where, name)
    a_number = out["client_a_number"]
    # One problem a field: a value past the column's 32 characters is reported as too long.
    if isinstance(a_number, str) and len(a_number) <= fv.LIMITS["client_a_number"] and fv.a_number_problem(a_number):
        problems.add(where("client_a_number"), fv.a_number_problem(a_number))
    dob = get("client_dob")
    dob = parse_day(dob, problems, where("client_dob"), today=today, identity=True) if dob else None
    if dob and fv.dob_problem(dob, today):
        problems.add(where("client_dob"), fv.dob_problem(dob, today))
        dob = None
    out["client_dob"] = dob.isoformat() if dob else None
    category = get("fee_category")
    out["fee_category"] = None
    if category:
        try:
            out["fee_category"] = fv.fee_category(category)
        except BadValue as exc:
            refuse(problems, where, exc)
    limit = get("fee_limit")
    out["fee_limit"] = None
    if limit not in (None, ""):
        try:
            out["fee_limit"] = fv.fee_limit(limit)
        except BadValue as exc:
            refuse(problems, where, exc)
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
        keys = value if isinstance(value, list) else split_cell(value if isinstance(value, str) else "")
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


def parse_tags(value, problems, where) -> list[str]:
    """A cell's or a list's tags; a bad one is reported at ``where`` (a location)."""
    if not value:
        return []
    if isinstance(value, str) and TAG.fullmatch(value.strip()):
        return [value.strip()]
    raw = value if isinstance(value, list) else split_cell(value if isinstance(value, str) else "")
    try:
        return fv.tags(raw)
    except BadValue as exc:
        problems.add(where, why(exc))
        return []


class Prepared:
    __slots__ = ("src_id", "row", "events", "tags", "where", "given_uids")

    def __init__(self, src_id, row, evs, tags, where, given_uids=True):
        self.src_id, self.row, self.events, self.tags, self.where = src_id, row, evs, tags, where
        # False when every uid was made by this import (random prefix): nothing to check.
        self.given_uids = given_uids



# Request and event ids are INTEGER columns, at most 2**31 - 1 on PostgreSQL (SQLite would take
# more); one less, so that the number after the highest (the next `add`, the sequence the import
# sets) still fits.
MAX_IMPORT_ID = fv.MAX_ID - 1


def valid_number(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_IMPORT_ID


def valid_uid(value) -> bool:
    """A uid: hex digits and dashes, at most 36, at least 8 of them hex digits."""
    return isinstance(value, str) and _UID.fullmatch(value) is not None and len(value) - value.count("-") >= 8


IMPORT_MAX_BYTES = 50_000_000


def _check_import_size(path: Path, st) -> None:
    import stat

    if st is not None and not stat.S_ISREG(st.st_mode):
        raise FoiaError(f"{path}: not a regular file (a device, a pipe or a socket); give a .csv or .json file")
    if st is None or st.st_size > IMPORT_MAX_BYTES:
        raise FoiaError(f"{path}: larger than {IMPORT_MAX_BYTES:,} bytes, the most one import reads; split it into "
                        "smaller files (each import is all-or-nothing)")


class Repeats:
    """What one file gives twice, found in file order chunk by chunk: a request number, a uid,
    an event uid, or the tracking number an office assigned (a row without a uid is recognised
    by it; HSI's numbers are ICE's, so offices compare by the office they file with)."""

    def __init__(self, path: str, filing: dict[str, str]):
        self.filing = filing
        self.ids, self.uids = Problems(path), Problems(path)
        self.seen_ids: set[int] = set()
        self.seen_uids: set[str] = set()
        self.seen_event_uids: set[str] = set()
        self.seen_assigned: dict[tuple[str, str], str] = {}
        self.event_uid_twice = False

    def add(self, keys: dict) -> None:
        """``keys``: a chunk's "ids", "uids", "event_uids" and "assigned" (see :func:`keys_of`)."""
        for where, src_id in keys["ids"]:
            if src_id in self.seen_ids:
                self.ids.add(where, f"id {src_id} appears twice in the file")
            self.seen_ids.add(src_id)
        for where, uid in keys["uids"]:
            if uid in self.seen_uids:
                self.uids.add(where, f"uid {uid} appears twice in the file")
            self.seen_uids.add(uid)
        for uid in keys["event_uids"]:
            self.event_uid_twice = self.event_uid_twice or uid in self.seen_event_uids
            self.seen_event_uids.add(uid)
        filing = self.filing
        for where, office, number in keys["assigned"]:
            first = self.seen_assigned.setdefault((filing.get(office, office), number), where)
            if first != where:
                self.ids.add(where, f"tracking number {number} ({office}) is also on {first}: the same request "
                                    "twice? remove one row")

    def found(self) -> bool:
        return bool(self.ids.items or self.uids.items or self.event_uid_twice)

    def problems(self) -> list[str]:
        twice = ([f"{self.uids.path}: events: the same event uid appears in two requests"]
                 if self.event_uid_twice else [])
        return self.ids.items + self.uids.items + twice


def tracking_of(evs) -> dict[str, tuple[str, str, date]]:
    """A request's tracking numbers from its events as they stand (corrections applied):
    number -> (number, reason, date); the last event for a number gives its reason and date."""
    numbers: dict = {}
    for e in evs:
        if e.type == "tracking-number" and e.data.get("number"):
            numbers[e.data["number"]] = (e.data["number"], e.data.get("reason") or "assigned", e.occurred_on)
    return numbers


def assigned_of(p: Prepared, numbers: dict) -> list[tuple[str, str, str]]:
    """(where, office, number) for each number the row's office assigned, when the row has no uid
    of its own to be recognised by."""
    if p.given_uids:
        return []
    return [(p.where, p.row["office"], number) for number, reason, _ in numbers.values() if reason == "assigned"]


def keys_of(prepared: list[Prepared], assigned: list[tuple[str, str, str]]) -> dict:
    """What :class:`Repeats` and the database look-ups compare, for a chunk of rows."""
    given = [p for p in prepared if p.given_uids]
    return {"ids": [(p.where, p.src_id) for p in prepared if p.src_id is not None],
            "rows": [p.where for p in prepared],
            "uids": [(p.where, p.row["uid"]) for p in given],
            "event_uids": [e["uid"] for p in given for e in p.events],
            "assigned": assigned}


def read_text(path: Path, fmt: str | None = None) -> tuple[str, str]:
    """The file's text and its format (csv or json: ``fmt``, else the file's extension); a file
    that cannot be read as either is one FoiaError naming it."""
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
        raise UsageError(Text(f"{path}: import reads .csv or .json files (or give ", Field("format"), " csv|json)"),
                         field="format")
    return text, fmt


def open_file(path, *, fmt: str | None = None, directory, today: date,
              actor: Callable[[], str | None] | str | None = None):
    """The file's source (a CsvSource or JsonSource: ``items``, ``prepare``), its header and
    shape checked; a bad header raises :class:`ImportRejected`, an empty file FoiaError.
    ``actor``: who the CSV rows' rebuilt history is recorded by (a callable is asked once)."""
    path = Path(path)
    text, fmt = read_text(path, fmt)
    problems = Problems(str(path))
    if fmt == "csv":
        from foia.tracker.import_csv import CsvSource as Source
    else:
        from foia.tracker.import_json import JsonSource as Source
    source = Source(path, text, problems, Lookups(directory), today=today, actor=actor)
    del text
    if problems.items:
        raise ImportRejected(str(path), problems.items)
    if not source.items:
        raise FoiaError(f"{path}: no requests in the file; nothing imported")
    return source


def check_file(path, *, fmt: str | None = None, directory, today: date, actor: str | None = None,
               ) -> tuple[list[Prepared], list[str]]:
    """Check every row of an import file, without a database: (rows ready to write, problems),
    each problem a report line as the import prints it (bad rows; else what the file gives
    twice). A file that cannot be read at all (not UTF-8, not JSON, no rows) raises FoiaError;
    a bad header is its problems. Left to the import itself: what is already in the database,
    and histories the deadline engine refuses."""
    from foia.tracker import derive as dv

    try:
        source = open_file(path, fmt=fmt, directory=directory, today=today, actor=actor)
    except ImportRejected as exc:
        return [], exc.problems
    problems = Problems(str(path))
    rows = source.prepare(source.items, problems)
    if problems.items:
        return rows, problems.items
    assigned = []
    for p in rows:
        if not p.given_uids:
            evs = dv.effective(dv.Event(e.get("id") or i, e["uid"], e["type"], e["occurred_on"], e["status"],
                                        e["recorded_at"], e["actor"], e["note"], e["data"], ())
                               for i, e in enumerate(p.events, start=1))
            assigned += assigned_of(p, tracking_of(evs))
    repeats = Repeats(str(path), {a.id: directory.filing_office(a).id for a in directory.agencies.values()})
    repeats.add(keys_of(rows, assigned))
    return rows, repeats.problems()
