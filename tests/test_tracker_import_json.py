"""`foia track import FILE.json` refuses malformed records with one report line each (request,
event, field), exit 1, no traceback and nothing written, the same on SQLite and PostgreSQL.

The checks are the importer's and need no database (foia.tracker.importer.check_file): each
malformed record is checked there; a few go through the command on both backends, to show the
command prints the same report and writes nothing."""

from __future__ import annotations

import copy
import json
from datetime import date

import pytest
from click.testing import CliRunner
from sqlalchemy import String

from foia.cli import cli
from foia.tracker.models import events, request_tags, requests, tracking_numbers

MAX_ID = 2**31 - 2      # the highest request or event number an import keeps (PostgreSQL INTEGER, less one)


@pytest.fixture(autouse=True)
def _user(monkeypatch):
    monkeypatch.setenv("FOIA_USER", "ana")


def track(url, *args):
    return CliRunner().invoke(cli, ["track", "--db", url, *args])


def uid(n: int) -> str:
    return f"{n:08x}-0000-4000-8000-{n:012x}"


def ev(n: int, type_: str, status, on: str, data=None, **extra) -> dict:
    return {"id": n, "uid": uid(100 + n), "type": type_, "status": status, "occurred_on": on,
            "recorded_at": f"2025-04-01T10:00:{n:02d}.000000Z", "actor": "ana", "note": None, "data": data or {},
            **extra}


def export_doc() -> dict:
    """A valid export (the shapes `foia track export --format json` writes): a request with one event
    of each kind, and a draft."""
    return {"format": "foia-tracker", "version": 1, "schema_version": 2, "exported_at": "2025-04-02T00:00:00Z",
            "redacted": False, "requests": [
                {"id": 7, "uid": uid(1), "title": "ICM records", "office": "ice", "kind": "records",
                 "sent_via": "portal", "assignee": "bo", "requester": "Ana Reporter", "client_name": None,
                 "client_dob": None, "client_a_number": None, "fee_category": "media", "fee_limit": "50.00",
                 "fee_waiver": False, "expedite": True, "systems": ["icm"], "vendors": [], "contracts": [],
                 "letter_text": "Dear FOIA officer,", "office_snapshot": {"office": "ice", "name": "ICE"},
                 "created_at": "2025-01-02T10:00:00.000000Z", "updated_at": "2025-04-01T10:00:00.000000Z",
                 "purged_at": None, "status": "appealed", "tags": ["icm"], "tracking_numbers": [],
                 "events": [
                     ev(1, "created", None, "2025-01-02"),
                     ev(2, "status", "submitted", "2025-01-02", {"from": None, "to": "submitted"}),
                     ev(3, "tracking-number", None, "2025-01-02", {"number": "2025-ICFO-1", "reason": "assigned"}),
                     ev(4, "status", "acknowledged", "2025-01-06", {"from": "submitted", "to": "acknowledged"}),
                     ev(5, "estimated-completion", None, "2025-01-06", {"date": "2025-06-01"}),
                     ev(6, "expedite-decision", None, "2025-01-07", {"decision": "denied"}),
                     ev(7, "fee", None, "2025-01-10", {"kind": "estimated", "amount": "80.00"}),
                     ev(8, "extension-notice", None, "2025-01-20", {"stage": "request"}),
                     ev(9, "documents", None, "2025-03-03", {"count": 4, "pages": 312, "files": ["a.pdf"]}),
                     ev(10, "status", "partial", "2025-03-03", {"from": "acknowledged", "to": "partial"}),
                     ev(11, "status", "appealed", "2025-03-20",
                        {"from": "partial", "to": "appealed", "received": "2025-03-21"}),
                     ev(12, "edited", None, "2025-03-20", {"assignee": {"from": "bo", "to": "ana"},
                                                           "tags_added": ["x"]}),
                     ev(13, "correction", None, "2025-03-22",
                        {"event_uid": uid(104), "event": 4, "occurred_on": "2025-01-07"}),
                     ev(14, "letter", None, "2025-03-22", {"kind": "appeal", "path": "a.txt", "format": "txt",
                                                           "grounds": ["withholding"]}),
                     ev(15, "note", None, "2025-03-23", note="called the office"),
                     ev(16, "purged", None, "2025-03-24", {"fields": ["client_name"], "events": 0, "notes": False}),
                 ]},
                {"id": 8, "uid": uid(2), "title": "Draft one", "office": "cbp", "kind": "records", "tags": [],
                 "systems": [], "vendors": [], "contracts": [], "fee_waiver": False, "expedite": False,
                 "created_at": "2025-02-01T10:00:00.000000Z", "updated_at": "2025-02-01T10:00:00.000000Z",
                 "events": [ev(17, "created", "draft", "2025-02-01")]},
            ]}


def dump(url) -> dict:
    from sqlalchemy import select

    from foia.tracker.models import deadlines
    from foia.tracker.store import open_store

    store = open_store(url)
    try:
        with store.read() as conn:
            return {t.name: [tuple(r) for r in conn.execute(select(t).order_by(*order))] for t, order in (
                (requests, [requests.c.id]), (events, [events.c.id]),
                (request_tags, [request_tags.c.request_id, request_tags.c.tag]),
                (tracking_numbers, [tracking_numbers.c.request_id, tracking_numbers.c.number]),
                (deadlines, [deadlines.c.request_id, deadlines.c.key]))}
    finally:
        store.dispose()


def _write(tmp_path, doc_or_text):
    src = tmp_path / "in.json"
    text = doc_or_text if isinstance(doc_or_text, str) else json.dumps(doc_or_text, ensure_ascii=True)
    src.write_text(text, encoding="utf-8")
    return src


def _after(src, lines: list[str]) -> list[str]:
    assert all(line.startswith(f"{src}: ") or line.startswith(f"Error: {src}: ") for line in lines), lines
    return [line.split(f"{src}: ", 1)[1] for line in lines]


def refused(tmp_path, doc_or_text) -> list[str]:
    """The importer's report on the file, checked without a database: the lines `foia track
    import` prints, FILE: left out."""
    from foia.directory import load_directory
    from foia.errors import FoiaError
    from foia.naming import as_flags
    from foia.tracker.importer import ImportRejected, check_file

    src = _write(tmp_path, doc_or_text)
    try:
        _, problems = check_file(src, directory=load_directory(), today=date.today(), actor="ana")
    except FoiaError as exc:
        return _after(src, [f"Error: {as_flags(exc)}"])
    assert problems, "the file was accepted"
    return _after(src, ImportRejected(str(src), problems).report().splitlines())


def refused_by_import(url, tmp_path, doc_or_text) -> list[str]:
    """Import the file into a database holding one request; it must be refused (exit 1, no
    traceback) with the database unchanged. Returns the report's lines, FILE: left out."""
    assert track(url, "add", "--title", "Existing", "--office", "ice", "--on", "2025-01-02").exit_code == 0
    src = _write(tmp_path, doc_or_text)
    before = dump(url)
    result = track(url, "import", str(src))
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert dump(url) == before
    return _after(src, result.output.splitlines())


def summary(n: int) -> str:
    return f"nothing imported ({n} problem{'s' if n != 1 else ''}); fix the file and run the import again"


R1 = "request 1 (id 7)"


def request(doc, **values):
    doc["requests"][0].update(values)


def event(n: int, **values):
    """Set values of event ``n`` (1-based) of request 1; ``data_KEY`` sets a key of its data."""
    def change(doc):
        e = doc["requests"][0]["events"][n - 1]
        for k, v in values.items():
            if k.startswith("data_"):
                e["data"][k[5:]] = v
            else:
                e[k] = v
    return change


# (case, change to the valid export, the report lines)
CASES = [
    # 1. values that made the import crash
    ("version-text", lambda d: d.update(version="abc"),
     ["field version: 'abc' is not a format version; expected 1 (as `foia track export --format json` writes it)"]),
    ("version-list", lambda d: d.update(version=[1]),
     ["field version: [1] is not a format version; expected 1 (as `foia track export --format json` writes it)"]),
    ("note-object", event(15, note={"x": 1}),
     [f"{R1}, event 15, field note: {{'x': 1}} is not text; give a string or null"]),
    ("purged-at-object", lambda d: request(d, purged_at={"a": 1}),
     [f"{R1}, field purged_at: {{'a': 1}} is not a timestamp; use ISO 8601 UTC like 2025-01-02T15:04:05Z "
      "(as exported)"]),
    ("tracking-number-list", event(3, data_number=["a"]),
     [f"{R1}, event 3, field data.number: ['a'] is not a tracking number; give it as one word of text"]),
    ("appeal-received-junk", event(11, data_received="junk"),
     [f"{R1}, event 11, field data.received: 'junk' is not a date; use YYYY-MM-DD"]),
    # 3. values that were stored or coerced silently
    ("actor-list", event(2, actor=["x"]), [f"{R1}, event 2, field actor: ['x'] is not text; give a string or null"]),
    ("title-list", lambda d: request(d, title=["a"]), [f"{R1}, field title: ['a'] is not text; give a string"]),
    ("kind-number", lambda d: request(d, kind=5), [f"{R1}, field kind: 5 is not text; give a string or null"]),
    ("tags-object", lambda d: request(d, tags={"a": 1}),
     [f"{R1}, field tags: {{'a': 1}} is not a list; give a list of texts, e.g. [\"a\", \"b\"], or []"]),
    ("tags-numbers", lambda d: request(d, tags=[1, 2]),
     [f"{R1}, field tags: 1 in the list is not text; give a list of texts"]),
    ("systems-object", lambda d: request(d, systems={"icm": 1}),
     [f"{R1}, field systems: {{'icm': 1}} is not a list; give a list of texts, e.g. [\"a\", \"b\"], or []"]),
    ("letter-number", lambda d: request(d, letter_text=5),
     [f"{R1}, field letter_text: a number is not text; give a string or null"]),
    # identity values in the wrong shape are described, never echoed
    ("client-name-list", lambda d: request(d, client_name=["Maria Lopez"]),
     [f"{R1}, field client_name: a list is not text; give a string or null"]),
    ("a-number-number", lambda d: request(d, client_a_number=12345678),
     [f"{R1}, field client_a_number: a number is not text; give a string or null"]),
    ("files-text", event(9, data_files="clients/Maria Lopez/release.pdf"),
     [f"{R1}, event 9, field data.files: a text is not a list of texts; give file names, or null"]),
    # what an appeal is of (side appeals leave the determination clock running)
    ("appeal-of-number", event(11, data_of=5),
     [f"{R1}, event 11, field data.of: 5 is not what an appeal is of; give a list of determination, no-response, "
      "fee-waiver-denial, expedite-denial, or null"]),
    ("appeal-of-text", event(11, data_of="fee-waiver-denial"),
     [f"{R1}, event 11, field data.of: 'fee-waiver-denial' is not what an appeal is of; give a list of "
      "determination, no-response, fee-waiver-denial, expedite-denial, or null"]),
    ("appeal-of-unknown", event(11, data_of=["bogus"]),
     [f"{R1}, event 11, field data.of: ['bogus'] is not what an appeal is of; give a list of determination, "
      "no-response, fee-waiver-denial, expedite-denial, or null"]),
    ("recorded-at-number", event(2, recorded_at=12345),
     [f"{R1}, event 2, field recorded_at: 12345 is not a timestamp; use ISO 8601 UTC like 2025-01-02T15:04:05Z "
      "(as exported)"]),
    ("purged-at-number", lambda d: request(d, purged_at=5),
     [f"{R1}, field purged_at: 5 is not a timestamp; use ISO 8601 UTC like 2025-01-02T15:04:05Z (as exported)"]),
    ("tracking-reason", event(3, data_reason="foo"),
     [f"{R1}, event 3, field data.reason: 'foo' is not a reason; use one of assigned, split, referral, appeal"]),
    ("estimated-not-a-date", event(5, data_date="soon"),
     [f"{R1}, event 5, field data.date: 'soon' is not a date; use YYYY-MM-DD"]),
    ("created-with-a-status", event(1, status="denied"),
     [f"{R1}, event 1, field status: 'denied' on a `created` event; a draft's `created` event says draft, any "
      "other's null (`status` events set the statuses)"]),
    ("status-event-without-status", event(4, status=None),
     [f"{R1}, event 4, field status: missing; a `status` event sets a status"]),
    ("status-event-setting-draft", event(4, status="draft", data_to="draft"),
     [f"{R1}, event 4, field status: 'draft' on a `status` event; a draft is recorded by its `created` event"]),
    ("other-event-with-a-status", event(7, status="denied"),
     [f"{R1}, event 7, field status: 'denied' on a `fee` event; only `status` events set a status, give null"]),
    ("no-start-of-history", lambda d: d["requests"][0].update(events=[ev(1, "created", None, "2025-01-02")]),
     [f"{R1}, field events: neither a `created` event with status draft nor a `status` event with status "
      "submitted; every request has one (as `foia track export` writes)"]),
    ("no-events", lambda d: d["requests"][1].update(events=[]),
     ["request 2 (id 8), field events: missing; every request has a `created` event with status draft or a "
      "`status` event with status submitted"]),
    ("fee-kind", event(7, data_kind="bogus"),
     [f"{R1}, event 7, field data.kind: 'bogus' is not a fee kind; use one of estimated, assessed, paid, waived, "
      "waiver-denied, advance"]),
    ("expedite-decision", event(6, data_decision="maybe"),
     [f"{R1}, event 6, field data.decision: 'maybe' is not a decision; use granted or denied"]),
    ("correction-date", event(13, data_occurred_on="xx"),
     [f"{R1}, event 13, field data.occurred_on: 'xx' is not a date; use YYYY-MM-DD"]),
    ("correction-target", event(13, data_event_uid=uid(999)),
     [f"{R1}, event 13, field data.event_uid: {uid(999)} is not the uid of another event of this request; "
      "a correction names the event it corrects"]),
    # 4. numbers PostgreSQL's INTEGER cannot hold
    ("request-id-too-large", lambda d: request(d, id=3000000000),
     [f"request 1 (id 3000000000), field id: 3000000000 is not a request number; give a whole number from 1 to "
      f"{MAX_ID}, or leave it out for a new number"]),
    ("event-id-too-large", event(2, id=3000000000),
     [f"{R1}, event 2, field id: 3000000000 is not an event number; give a whole number from 1 to {MAX_ID}, or "
      "leave it out for a new number"]),
    # 5. uids
    ("uid-without-hex", lambda d: request(d, uid="--------"),
     [f"{R1}, field uid: '--------' is not a uid (hex digits and dashes, at least 8 digits); leave it out for a "
      "new request"]),
    ("uid-twice-in-other-case", lambda d: d["requests"][1].update(uid=uid(1).upper()),
     [f"request 2 (id 8): uid {uid(1)} appears twice in the file"]),
    ("event-uid-twice-in-other-case", event(2, uid=uid(101).upper()),
     [f"{R1}, event 2, field uid: uid {uid(101)} appears twice in this request"]),
]


@pytest.mark.pure
@pytest.mark.parametrize("change, expected", [pytest.param(c, e, id=name) for name, c, e in CASES])
def test_a_bad_record_is_one_report_line(tmp_path, change, expected):
    doc = export_doc()
    change(doc)
    assert refused(tmp_path, doc) == expected + [summary(len(expected))]


# The command prints the importer's report and writes nothing, on both backends: a bad value, a
# value given twice in the file, text PostgreSQL cannot store, a value longer than its column,
# and a file cut short.
BY_IMPORT = {"bad-value": event(11, data_received="junk"),
             "twice": lambda d: d["requests"][1].update(uid=uid(1).upper()),
             "nul": lambda d: request(d, title="a\x00b"),
             "too-long": lambda d: request(d, assignee="x" * 201),
             "cut-short": None}


@pytest.mark.parametrize("case", list(BY_IMPORT))
def test_the_import_prints_the_importers_report_and_writes_nothing(db_url, tmp_path, case):
    if BY_IMPORT[case] is None:
        doc = json.dumps(export_doc())[:-40]
    else:
        doc = export_doc()
        BY_IMPORT[case](doc)
    expected = refused(tmp_path, doc)
    assert refused_by_import(db_url, tmp_path, doc) == expected


# 1. Text the database cannot hold: a NUL (PostgreSQL refuses it; SQLite would keep it) or half
# of a surrogate pair (no UTF-8 at all), wherever it is.
def _event_value(n: int, key: str, template: str):
    def change(doc, value):
        doc["requests"][0]["events"][n - 1][key] = template.format(value)
    return change


def _data_value(doc, value):
    doc["requests"][0]["events"][8]["data"]["files"] = [f"a{value}.pdf"]


PLACES = {
    "title": (lambda d, v: request(d, title=f"a{v}b"), f"{R1}, field title"),
    "assignee": (lambda d, v: request(d, assignee=v), f"{R1}, field assignee"),
    "tag": (lambda d, v: request(d, tags=["icm", f"x{v}"]), f"{R1}, field tags"),
    "office-snapshot": (lambda d, v: request(d, office_snapshot={"name": v}), f"{R1}, field office_snapshot"),
    "letter": (lambda d, v: request(d, letter_text=v), f"{R1}, field letter_text"),
    "note": (_event_value(15, "note", "a{}b"), f"{R1}, event 15, field note"),
    "actor": (_event_value(2, "actor", "x{}"), f"{R1}, event 2, field actor"),
    "data-value": (_data_value, f"{R1}, event 9, field data.files"),
    "data-key": (lambda d, v: d["requests"][0]["events"][8]["data"].update({f"k{v}": 1}), f"{R1}, event 9, field data"),
}
ODD = {"nul": ("\x00", "contains a NUL character (\\u0000), which the database cannot store; remove it"),
       "surrogate": ("\ud800", "contains '\\ud800', half of a surrogate pair and not a character; fix the text")}


@pytest.mark.pure
@pytest.mark.parametrize("odd", list(ODD))
@pytest.mark.parametrize("place", list(PLACES))
def test_text_the_database_cannot_hold_is_refused(tmp_path, place, odd):
    change, where = PLACES[place]
    char, problem = ODD[odd]
    doc = export_doc()
    change(doc, char)
    assert refused(tmp_path, doc) == [f"{where}: {problem}", summary(1)]


# 2. Every String(n) column: a value one longer than n is refused by field on both backends
# (PostgreSQL refuses it, SQLite would store it). The limits come from the table definitions.
def _string_columns():
    return [(t.name, c.name, c.type.length) for t in (requests, events, tracking_numbers, request_tags)
            for c in t.columns if isinstance(c.type, String) and c.type.length]


# Columns the import computes, not read from the file.
DERIVED = {("requests", "status"), ("requests", "agency_due_key"), ("requests", "requester_due_key")}


def _too_long(table, column, n):
    """(change, expected line) giving ``table.column`` a value of n + 1 characters."""
    v = "a" * (n + 1)
    stamp = f"2025-01-02T15:04:05.{'0' * (n - 19)}Z"       # a timestamp one longer than n
    req = {
        "uid": (lambda d: request(d, uid=v), f"{R1}, field uid: {v!r} is not a uid (hex digits and dashes, at least "
                                             "8 digits); leave it out for a new request"),
        "office": (lambda d: request(d, office=v), f"{R1}, field office: unknown office {v!r}; expected an id from "
                                                   "`foia agencies list`"),
        "kind": (lambda d: request(d, kind=v), f"{R1}, field kind: {v!r} is not a kind; use lowercase letters and "
                                               "dashes, e.g. records, contract, self, third-party (the letter kinds)"),
        "sent_via": (lambda d: request(d, sent_via=v), f"{R1}, field sent_via: {v!r} is not a way of sending; use "
                                                       "one of portal, email, mail, fax, other"),
        "assignee": (lambda d: request(d, assignee=v), f"{R1}, field assignee: longer than {n} characters"),
        "client_dob": (lambda d: request(d, client_dob="1980-01-011"), f"{R1}, field client_dob: not a date; use "
                                                                       "YYYY-MM-DD"),
        "client_a_number": (lambda d: request(d, client_a_number=v),
                            f"{R1}, field client_a_number: longer than {n} characters"),
        "fee_category": (lambda d: request(d, fee_category=v),
                         f"{R1}, field fee_category: {v!r} is not a fee category; use one of news-media, educational, "
                         "scientific, other, commercial"),
        "fee_limit": (lambda d: request(d, fee_limit="1" * (n + 1)),
                      f"{R1}, field fee_limit: {'1' * (n + 1)!r} is a billion dollars or more; check the amount"),
    }
    for name in ("created_at", "updated_at", "purged_at"):
        req[name] = ((lambda d, name=name: request(d, **{name: stamp})),
                     f"{R1}, field {name}: {stamp!r} is not a timestamp; use ISO 8601 UTC like 2025-01-02T15:04:05Z "
                     "(as exported)")
    found = {
        "events": {
            "uid": (event(2, uid=v), f"{R1}, event 2, field uid: {v!r} is not a uid (hex digits and dashes, at "
                                     "least 8 digits)"),
            "type": (event(15, type=v), f"{R1}, event 15, field type: {v!r} is not an event type; one of "
                                        "created, status, received, first-received, tracking-number, "
                                        "estimated-completion, extension-notice, expedite-decision, fee, "
                                        "documents, letter, note, edited, correction, purged, expedite-asked, "
                                        "referral, served, mail-received, delivery-failed"),
            "status": (event(4, status=v, data_to=v), f"{R1}, event 4, field status: {v!r} is not a status; use one "
                                                      "of draft, submitted, acknowledged, in-progress, "
                                                      "awaiting-clarification, awaiting-fees, fulfilled, partial, "
                                                      "denied, no-records, withdrawn, rejected, appealed, "
                                                      "appeal-granted, appeal-denied, remanded, in-mediation, "
                                                      "in-litigation"),
            "recorded_at": (event(2, recorded_at=stamp), f"{R1}, event 2, field recorded_at: {stamp!r} is not a "
                                                         "timestamp; use ISO 8601 UTC like 2025-01-02T15:04:05Z "
                                                         "(as exported)"),
            "actor": (event(2, actor=v), f"{R1}, event 2, field actor: longer than {n} characters"),
        },
        "requests": req,
        "tracking_numbers": {
            "number": (event(3, data_number=v), f"{R1}, event 3, field data.number: longer than {n} characters"),
            "reason": (event(3, data_reason=v), f"{R1}, event 3, field data.reason: {v!r} is not a reason; use one "
                                                "of assigned, split, referral, appeal"),
        },
        "request_tags": {
            "tag": (lambda d: request(d, tags=[v]), f"{R1}, field tags: {v!r} is not a tag; use one word (no "
                                                    "spaces), up to 100 characters"),
        },
    }
    return found[table].get(column)


@pytest.mark.pure
@pytest.mark.parametrize("table, column, n", [pytest.param(t, c, n, id=f"{t}.{c}") for t, c, n in _string_columns()
                                              if (t, c) not in DERIVED])
def test_every_string_column_is_checked_against_its_length(tmp_path, table, column, n):
    case = _too_long(table, column, n)
    assert case is not None, f"{table}.{column} (String({n})): add a case for it here"
    change, expected = case
    doc = export_doc()
    change(doc)
    assert refused(tmp_path, doc) == [expected, summary(1)]


def test_the_length_cases_follow_the_table_definitions():
    columns = {(t, c) for t, c, _ in _string_columns()}
    assert DERIVED <= columns
    assert {("events", "actor"), ("tracking_numbers", "number"), ("request_tags", "tag")} <= columns


# 6. A file cut short is named by line and column, with a reason that reads.
def test_a_truncated_file_gives_line_column_and_reason(tmp_path):
    text = json.dumps(export_doc(), indent=1)
    cut = text[:text.index('"ICM records"') + 5]
    line = cut.count("\n") + 1
    column = len(cut) - cut.rindex("\n") - 5
    assert refused(tmp_path, cut) == [
        f"line {line}, column {column}: not valid JSON (the string starting here is not closed; is the file cut "
        "short?); expected a `foia track export --format json` file"]


def test_a_file_ending_early_says_so(tmp_path):
    assert refused(tmp_path, '{"format": "foia-tracker", "requests": [') == [
        "line 1, column 41: not valid JSON (expecting value; the file ends here: is it cut short?); expected a "
        "`foia track export --format json` file"]


# The valid export imports as before, on both backends; uids are stored lowercase, so a file
# whose uids differ only in case is the same requests (refused as already there).
def test_the_valid_export_imports_and_uids_are_compared_in_lowercase(db_url, tmp_path):
    doc = export_doc()
    src = tmp_path / "ok.json"
    doc["requests"][0]["uid"] = uid(1).upper()
    doc["requests"][0]["events"][1]["uid"] = uid(102).upper()
    doc["requests"][0]["events"][12]["data"]["event_uid"] = uid(104).upper()
    src.write_text(json.dumps(doc), encoding="utf-8")
    result = track(db_url, "import", str(src))
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Imported 2 requests (requests 7-8) with 17 events")
    shown = json.loads(track(db_url, "show", "7", "--json").output)
    assert shown["uid"] == uid(1) and shown["status"] == "appealed"
    assert [e["uid"] for e in shown["timeline"]].count(uid(102)) == 1
    # The correction still applies: the acknowledgement moved to 2025-01-07.
    assert next(e for e in shown["timeline"] if e["uid"] == uid(104))["occurred_on"] == "2025-01-07"
    lower = copy.deepcopy(doc)
    lower["requests"][0]["uid"] = uid(1)
    again = tmp_path / "again.json"
    again.write_text(json.dumps(lower), encoding="utf-8")
    result = track(db_url, "import", str(again))
    assert result.exit_code == 1
    assert f"{again}: {R1}: already in the database as request 7 (same uid)" in result.output


def test_the_highest_number_an_import_keeps(db_url, tmp_path):
    doc = export_doc()
    del doc["requests"][1]
    request(doc, id=MAX_ID)
    doc["requests"][0]["events"][-1]["id"] = MAX_ID
    src = tmp_path / "max.json"
    src.write_text(json.dumps(doc), encoding="utf-8")
    result = track(db_url, "import", str(src))
    assert result.exit_code == 0, result.output
    assert f"(request {MAX_ID})" in result.output


def test_exports_of_every_way_of_making_a_request_import(new_db_url, tmp_path):
    # add, add --draft, CSV rows (submitted, draft, denied) and `foia draft ... --track`: each
    # export has a draft `created` event or a `submitted` status event, and imports as it is.
    a, b = new_db_url(), new_db_url()
    assert track(a, "add", "--title", "Sub", "--office", "ice", "--on", "2025-01-02",
                 "--tracking-number", "2025-ICFO-1").exit_code == 0
    assert track(a, "add", "--title", "Dr", "--office", "cbp", "--draft").exit_code == 0
    rows = tmp_path / "rows.csv"
    rows.write_text("title,office,status,filed_on\nCsv sub,ice,,2025-01-02\nCsv draft,ice,draft,\n"
                    "Csv denied,ice,denied,2025-01-02\n", encoding="utf-8")
    assert track(a, "import", str(rows)).exit_code == 0
    r = CliRunner().invoke(cli, ["draft", "records", "--system", "icm", "--to", "ICE", "--no-profile",
                                 "--requester-name", "Sam Doe", "--requester-email", "sam@example.org",
                                 "--out", str(tmp_path / "letters"), "--track", "--db", a])
    assert r.exit_code == 0, r.output
    assert track(a, "correct", "1", "2", "--on", "2024-12-31").exit_code == 0
    out = tmp_path / "all.json"
    assert track(a, "export", "--format", "json", "--out", str(out)).exit_code == 0
    result = track(b, "import", str(out))
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Imported 6 requests (requests 1-6)")
    assert dump(a)["events"] == dump(b)["events"]


def test_upper_case_uids_in_an_export_keep_their_links(new_db_url, tmp_path):
    # A referral (the child's `created` names its parent, the parent's `referral` its child), a
    # correction (names the event it corrects) and inbox mail (its request and mail event): with
    # every uid written in capitals, the import keeps each link as the original shows it.
    import re

    from inbox_support import inbox_runner, mail, scenario, tracker_on
    from foia.inbox.service import Inbox

    a, b = new_db_url(), new_db_url()
    box = Inbox(scenario(a))
    box.import_paths(mail("ack-ice-plain.eml", "fee-ice.eml"))
    assert track(a, "add", "--title", "NCIC entries referred by ICE", "--office", "fbi", "--on", "2026-11-02",
                 "--referred-from", "1").exit_code == 0
    assert track(a, "correct", "2", "4", "--on", "2026-09-30").exit_code == 0
    out = tmp_path / "all.json"
    assert track(a, "export", "--format", "json", "--out", str(out)).exit_code == 0
    text = out.read_text()
    canonical = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
    upper = re.sub(canonical, lambda m: m.group(0).upper(), text)
    doc = json.loads(upper)
    assert doc["requests"][0]["uid"].isupper() and doc["inbox"][0]["request_uid"].isupper()
    assert any(e["data"].get("referred_from", "").isupper() for r in doc["requests"] for e in r["events"])
    shouted = tmp_path / "upper.json"
    shouted.write_text(upper)

    result = track(b, "import", str(shouted))
    assert result.exit_code == 0, result.output
    for n in ("1", "2", "5"):
        assert json.loads(track(b, "show", n, "--json").output) == json.loads(track(a, "show", n, "--json").output)
    assert "Referrals:\n  #5 fbi: submitted" in track(b, "show", "1").output
    assert "Referred from request 1" in track(b, "show", "5").output
    assert [(m["id"], m["request_id"], m["state"]) for m in Inbox(tracker_on(b)).list()] == \
        [(m["id"], m["request_id"], m["state"]) for m in box.list()]
    assert inbox_runner(b)("list").output == inbox_runner(a)("list").output
    again = tmp_path / "again.json"
    assert track(b, "export", "--format", "json", "--out", str(again)).exit_code == 0
    assert _without_times(json.loads(again.read_text())) == _without_times(json.loads(text))


def _without_times(doc):
    """An export without the moments it and its imports were made."""
    doc = {k: v for k, v in doc.items() if k not in ("exported_at",)}
    for m in doc.get("inbox", []):
        m.pop("imported_at", None)
    return doc
