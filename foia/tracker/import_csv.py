"""A CSV import file: one request per row, checked without a database (see foia.tracker.importer).

A row holds a request's fields, its status and the dates around it, not its history: each
row's history is rebuilt as "submitted on filed_on", then "the status on status_on", with
the tracking numbers, extension notices and expedite decisions its columns give.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path
from typing import Iterable, Iterator

from foia.errors import BadValue, FoiaError, UsageError
from foia.tracker import fields as fv
from foia.tracker import lifecycle as lc
from foia.tracker.codec import uid_form
from foia.tracker.export import CSV_COLUMNS, CSV_DERIVED, CSV_IMPORT_ONLY
from foia.tracker.importer import (MAX_IMPORT_ID, Lookups, Prepared, Problems, common_fields, parse_day,
                                   parse_tags, split_cell, valid_uid)
from foia.tracker.store import utcnow

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


def _all_rows(text: str, path: Path) -> Iterable[list[str]]:
    """Every row of the file, read by the csv module in one call; a malformed file is read again
    row by row (:func:`_rows`), as the checks ask for rows, so the header is checked first and
    the bad row is named."""
    try:
        return list(csv.reader(io.StringIO(text)))
    except csv.Error:
        return _rows(csv.reader(io.StringIO(text)), path)


class CsvSource:
    """A CSV file's header and non-blank rows, read whole (C-speed); ``prepare`` validates a
    slice of the rows, so a large import can validate and write in chunks."""

    has_corrections = False     # a row's history is rebuilt from its status: no corrections

    def __init__(self, path: Path, text: str, problems: Problems, look: Lookups, *, today: date, actor=None):
        from foia.output import unescape_cell
        from foia.tracker.events import UidMaker

        self.look = look
        self.new_uid = UidMaker().next
        self.today = today
        self.actor = actor() if callable(actor) else actor
        self.now = utcnow()
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
        reader = iter(_all_rows(text, path))
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
            # Blank, or only commas (a spreadsheet's empty row); most rows start with a title.
            if not (cells and cells[0].strip()) and not any(c.strip() for c in cells):
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
            if not (value.isascii() and value.isdigit()) or len(value) > 10 or int(value) > MAX_IMPORT_ID:
                return None
            out.append(int(value))
        return out

    def wanted_event_ids(self) -> None:
        return None         # a CSV row carries no event numbers

    def _past_day(self, get, name: str, problems: Problems, where) -> date | None:
        raw = get(name)
        found = self.days.get(raw)
        if found is None and raw:
            found = parse_day(raw, problems, where(name), today=self.today)
            if found is not None:
                self.days[raw] = found
        return found

    def _clock_facts(self, get, problems: Problems, where, filed: date | None) -> list[tuple[str, date, dict]]:
        """(event type, date, data) for the row's extension_notices (``DATE[:request|appeal]``)
        and expedite_decisions (``DATE:granted|denied``), as the export writes them."""
        out = []
        for name, type_, key, choices in (("extension_notices", "extension-notice", "stage", ("request", "appeal")),
                                          ("expedite_decisions", "expedite-decision", "decision", fv.EXPEDITE_DECISIONS)):
            for item in split_cell(get(name)):
                text, _, value = item.partition(":")
                value = value.strip().lower()
                expected = "DATE[:request|appeal]" if key == "stage" else "DATE:granted|denied"
                if (value or key == "decision") and value not in choices:
                    problems.add(where(name), f"{item!r} is not {expected} (e.g. 2025-03-04:"
                                              f"{choices[0]})")
                    continue
                before = len(problems.items)
                on = parse_day(text.strip(), problems, where(name), today=self.today)
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

    def prepare(self, items: list, problems: Problems) -> list[Prepared]:
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
            fields = common_fields(get, where, problems, look, today=today)
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
                estimated = parse_day(estimated, problems, where("estimated_completion"), today=today,
                                       future_ok=True)
            else:
                estimated = None
            numbers = []
            for item in split_cell(get("tracking_numbers")):
                try:
                    numbers.append(fv.tracking_number(item, "tracking_numbers"))
                except BadValue:
                    problems.add(where("tracking_numbers"), f"{item!r} is not NUMBER[:reason]; reasons: assigned, "
                                                            "split, referral, appeal")
            if len(numbers) > 1 and len({x for x, _ in numbers}) != len(numbers):
                problems.add(where("tracking_numbers"), "the same number appears twice")
            facts = self._clock_facts(get, problems, where, filed)
            tags = parse_tags(get("tags"), problems, where("tags"))
            uid = uid_form((get("uid") or "").strip()) or None
            if uid and not valid_uid(uid):
                problems.add(where("uid"), f"{uid!r} is not a uid; leave it empty for a new request")
            src_id = (get("id") or "").strip()
            if src_id and not (src_id.isascii() and src_id.isdigit() and len(src_id) <= 10
                               and int(src_id) <= MAX_IMPORT_ID):
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
            out.append(Prepared(int(src_id) if src_id else None, row, evs, tags, f"row {n}", given_uids=bool(uid)))
        return out

