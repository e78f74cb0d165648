"""Export, import, backup: round trips, all-or-nothing imports, redaction, calendars, 0600 files."""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
from datetime import date

import pytest
from click.testing import CliRunner

from foia.cli import cli
from tracker_support import track_runner


@pytest.fixture(autouse=True)
def _user(monkeypatch):
    monkeypatch.setenv("FOIA_USER", "ana")


runner = track_runner


def populate(run):
    run("add", "--title", "ICM records", "--office", "ice", "--on", "2025-01-02", "--tracking-number", "2025-ICFO-1",
        "--expedite", "--tag", "icm", "--client-name", "Jane Roe", "--client-a-number", "A123456789",
        "--system", "icm", "--vendor", "palantir", "--fee-category", "news media", "--fee-limit", "50")
    run("update", "1", "--status", "acknowledged", "--on", "2025-01-06", "--note", "ack")
    run("update", "1", "--status", "awaiting-fees", "--on", "2025-01-10", "--fee-estimated", "80")
    run("update", "1", "--status", "in-progress", "--on", "2025-01-17", "--fee-paid", "80")
    run("update", "1", "--status", "partial", "--on", "2025-03-03", "--documents", "4", "--pages", "312",
        "--file", "roe-icm.pdf")
    run("update", "1", "--status", "appealed", "--on", "2025-03-20", "--tracking-number", "2025-ICAP-7:appeal")
    run("add", "--title", "FALCON", "--office", "hsi", "--on", "2025-02-03", "--assignee", "bo")
    run("update", "2", "--status", "denied", "--on", "2025-02-20")
    run("correct", "2", "15", "--on", "2025-02-21", "--note", "letter dated the 21st")
    run("add", "--title", "Draft one", "--office", "cbp", "--draft")


def dump(url):
    """Every stored row of the tables that matter, comparable across databases."""
    from sqlalchemy import select

    from foia.tracker.models import deadlines, events, request_tags, requests, tracking_numbers
    from foia.tracker.store import open_store

    store = open_store(url)
    try:
        with store.read() as conn:
            out = {}
            for name, table, order in (("requests", requests, requests.c.id),
                                       ("events", events, events.c.id),
                                       ("tags", request_tags, (request_tags.c.request_id, request_tags.c.tag)),
                                       ("deadlines", deadlines, (deadlines.c.request_id, deadlines.c.key))):
                order = order if isinstance(order, tuple) else (order,)
                out[name] = [dict(r._mapping) for r in conn.execute(select(table).order_by(*order))]
            out["tracking"] = [(r.request_id, r.number, r.reason, r.recorded_on) for r in conn.execute(
                select(tracking_numbers).order_by(tracking_numbers.c.request_id, tracking_numbers.c.number))]
    finally:
        store.dispose()
    for r in out["requests"]:
        r.pop("updated_at")      # rewritten by every recompute
    return out


def test_json_round_trip_into_an_empty_database(new_db_url, tmp_path):
    a, b = new_db_url(), new_db_url()
    populate(runner(a))
    out = tmp_path / "all.json"
    runner(a)("export", "--format", "json", "--out", str(out))
    assert (out.stat().st_mode & 0o777) == 0o600
    result = runner(b)("import", str(out))
    assert result.output.startswith("Imported 3 requests (requests 1-3) with ")
    before, after = dump(a), dump(b)
    assert before["requests"] and before["events"]
    assert after == before
    # The imported queue behaves the same.
    assert runner(b)("show", "2025-ICAP-7").output == runner(a)("show", "2025-ICAP-7").output


def test_csv_round_trip_keeps_requests_tracking_numbers_and_status(new_db_url, tmp_path):
    a, b = new_db_url(), new_db_url()
    populate(runner(a))
    first = tmp_path / "a.csv"
    runner(a)("export", "--format", "csv", "--out", str(first))
    runner(b)("import", str(first))
    again = runner(b)("export", "--format", "csv").output
    # Exhaustion is recounted from what a CSV carries: "submitted, then the status" (request 1's
    # stay awaiting fees is not in it), so those derived columns may differ; the rest may not.
    from foia.tracker.export import LITIGATION_COLUMNS

    def kept(text):
        return [{k: v for k, v in r.items() if k not in LITIGATION_COLUMNS} for r in csv.DictReader(io.StringIO(text))]

    assert kept(again) == kept(first.read_text(encoding="utf-8"))
    assert again.splitlines()[0] == first.read_text(encoding="utf-8").splitlines()[0]
    rows = list(csv.DictReader(io.StringIO(again)))
    assert [r["status"] for r in rows] == ["appealed", "denied", "draft"]
    assert rows[0]["tracking_numbers"] == "2025-ICFO-1:assigned; 2025-ICAP-7:appeal"
    assert rows[0]["client_name"] == "Jane Roe" and rows[0]["systems"] == "icm"


def test_import_is_all_or_nothing_and_names_every_bad_row(db_url, tmp_path):
    run = runner(db_url)
    run("add", "--title", "Existing", "--office", "ice", "--on", "2025-01-02")
    bad = tmp_path / "bad.csv"
    bad.write_text("title,office,filed_on,status,client_dob,tracking_numbers\n"
                   "Good one,ice,2025-01-02,submitted,,\n"
                   "Bad office,XYZ,2025-01-02,,,\n"
                   "Bad date,cbp,2025-13-40,,,\n"
                   ",ice,2025-01-02,,,\n"
                   "Bad status,ice,2025-01-02,lost,,\n"
                   "Secret dob,ice,2025-01-02,,03/02/1980,\n"
                   "No filing date,ice,,denied,,\n", encoding="utf-8")
    result = run("import", str(bad), ok=False)
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[:6] == [
        f"{bad}: row 3, column office: unknown office 'XYZ'; expected an id from `foia agencies list`",
        f"{bad}: row 4, column filed_on: not a date '2025-13-40'; use YYYY-MM-DD",
        f"{bad}: row 5, column title: empty; give the request a title",
        f"{bad}: row 6, column status: 'lost' is not a status; use one of " + ", ".join(
            __import__("foia.tracker.lifecycle", fromlist=["x"]).STATUSES),
        f"{bad}: row 7, column client_dob: not a date; use YYYY-MM-DD",     # the value is not echoed
        f"{bad}: row 8, column filed_on: empty; a denied request needs the date it was filed (YYYY-MM-DD)",
    ]
    assert lines[-1] == f"{bad}: nothing imported (6 problems); fix the file and run the import again"
    assert "03/02/1980" not in result.output
    assert [r["title"] for r in json.loads(run("list", "--json").output)] == ["Existing"]


def checked(src) -> list[str]:
    """The import's report on ``src``, checked without a database (foia.tracker.importer)."""
    from foia.directory import load_directory
    from foia.tracker.importer import ImportRejected, check_file

    _, problems = check_file(src, directory=load_directory(), today=date.today(), actor="ana")
    return ImportRejected(str(src), problems).report().splitlines() if problems else []


def test_import_report_is_limited(tmp_path):
    bad = tmp_path / "many.csv"
    bad.write_text("title,office\n" + "".join(f"T{i},NOPE\n" for i in range(45)), encoding="utf-8")
    lines = checked(bad)
    assert len(lines) == 22
    assert lines[20] == "... and 25 more problems"


def test_import_twice_is_refused_and_ids_are_renumbered_when_taken(new_db_url, tmp_path):
    a, b = new_db_url(), new_db_url()
    populate(runner(a))
    out = tmp_path / "all.json"
    runner(a)("export", "--format", "json", "--out", str(out))
    again = runner(a)("import", str(out), ok=False)
    assert "already in the database as request 1 (same uid)" in again.output
    # CSV without uids into a database whose ids 1-3 are taken: new ids.
    src = tmp_path / "new.csv"
    src.write_text("id,title,office,filed_on\n1,Fresh,ice,2025-01-02\n", encoding="utf-8")
    runner(b)("add", "--title", "Here first", "--office", "ice", "--on", "2025-01-02")
    result = runner(b)("import", str(src))
    assert "Imported 1 request (request 2) with 1 event from" in result.output and "got new ids" in result.output


def test_redacted_exports_leave_out_identity(db_url, tmp_path):
    run = runner(db_url)
    populate(run)
    for fmt in ("json", "csv"):
        out = tmp_path / f"r.{fmt}"
        run("export", "--format", fmt, "--redact", "--out", str(out))
        text = out.read_text(encoding="utf-8")
        assert (out.stat().st_mode & 0o777) == 0o600
        for secret in ("Jane Roe", "A123456789", "roe-icm.pdf", "client_name"):
            assert secret not in text, (fmt, secret)
        assert "ICM records" in text
    doc = json.loads((tmp_path / "r.json").read_text())
    assert doc["redacted"] is True
    notes = [e["note"] for r in doc["requests"] for e in r["events"] if e["note"]]
    assert notes == []
    kept = json.loads(run("export", "--format", "json", "--redact", "--keep-notes").output)
    assert "ack" in [e["note"] for r in kept["requests"] for e in r["events"]]


def test_ics_has_one_event_per_open_deadline_with_stable_uids(db_url, tmp_path):
    from icalendar import Calendar

    run = runner(db_url)
    run("add", "--title", "ICM records", "--office", "ice", "--on", "2025-01-02", "--expedite")
    run("add", "--title", "Denied", "--office", "cbp", "--on", "2025-01-02")
    run("update", "2", "--status", "denied", "--on", "2025-03-03")
    first, second = tmp_path / "a.ics", tmp_path / "b.ics"
    run("export", "--format", "ics", "--out", str(first))
    run("export", "--format", "ics", "--out", str(second))
    cal = Calendar.from_ical(first.read_bytes())
    evs = [c for c in cal.walk("VEVENT")]
    got = sorted((str(e["SUMMARY"]), e.decoded("DTSTART")) for e in evs)
    # Today (2026 or later) all three are past: the agency's are OVERDUE, the requester's LAPSED.
    assert got == [
        ("LAPSED: Appeal deadline (denied): Denied (CBP) #2", date(2025, 7, 10)),
        ("OVERDUE: Determination due: ICM records (ICE) #1", date(2025, 1, 31)),
        ("OVERDUE: Expedite decision due: ICM records (ICE) #1", date(2025, 1, 12)),
    ]
    uids = sorted(str(e["UID"]) for e in evs)
    assert uids == sorted(str(e["UID"]) for e in Calendar.from_ical(second.read_bytes()).walk("VEVENT"))
    assert all(u.endswith("@foia") for u in uids)
    assert (first.stat().st_mode & 0o777) == 0o600


def test_ics_reminds_before_your_deadlines_names_the_assignee_and_filters(db_url, tmp_path):
    from datetime import timedelta

    from icalendar import Calendar

    run = runner(db_url)
    run("add", "--title", "Denied", "--office", "cbp", "--on", "2025-01-02", "--assignee", "Maria")
    run("update", "1", "--status", "denied", "--on", "2025-03-03")          # appeal window: 2025-07-10
    run("add", "--title", "Other", "--office", "ice", "--on", "2025-06-02", "--assignee", "bo")
    out = tmp_path / "d.ics"

    def events(*args):
        run("export", "--format", "ics", "--out", str(out), "--today", "2025-06-20", *args)
        return {str(e["SUMMARY"]): e for e in Calendar.from_ical(out.read_bytes()).walk("VEVENT")}

    evs = events()
    appeal = evs["Appeal deadline (denied): Denied (CBP) #1 [Maria]"]
    assert str(appeal["CONTACT"]) == "Maria" and "Assignee: Maria" in str(appeal["DESCRIPTION"])
    alarms = appeal.walk("VALARM")
    assert sorted(a.decoded("TRIGGER") for a in alarms) == [timedelta(days=-7), timedelta(days=-1)]
    assert all(str(a["ACTION"]) == "DISPLAY" for a in alarms)
    assert "Appeal deadline (denied) in 7 days: Denied (CBP) #1" in [str(a["DESCRIPTION"]) for a in alarms]
    # The agency's deadlines carry no alarm: the requester has nothing to do by then.
    assert not evs["Determination due: Other (ICE) #2 [bo]"].walk("VALARM")
    assert [a.decoded("TRIGGER") for a in events("--remind", "3")[
        "Appeal deadline (denied): Denied (CBP) #1 [Maria]"].walk("VALARM")] == [timedelta(days=-3)]
    assert not events("--no-reminders")["Appeal deadline (denied): Denied (CBP) #1 [Maria]"].walk("VALARM")
    assert list(events("--assignee", "maria")) == ["Appeal deadline (denied): Denied (CBP) #1 [Maria]"]
    later = events("--today", "2025-07-14")
    assert "LAPSED: Appeal deadline (denied): Denied (CBP) #1 [Maria]" in later
    assert not later["LAPSED: Appeal deadline (denied): Denied (CBP) #1 [Maria]"].walk("VALARM")
    bad = run("export", "--format", "csv", "--remind", "3", ok=False)
    assert "use them with --format ics" in bad.output


@pytest.mark.pure
def test_export_counts_read_in_the_singular(db_url, tmp_path):
    run = runner(db_url)
    run("add", "--title", "ICM records", "--office", "ice", "--on", "2025-01-02")
    out = tmp_path / "one.ics"
    assert run("export", "--format", "ics", "--out", str(out)).stderr == f"Wrote 1 calendar event to {out}\n"
    assert run("export", "--format", "csv", "--out", str(out) + ".csv").stderr == f"Wrote 1 request to {out}.csv\n"


def test_backup(db_url, tmp_path):
    run = runner(db_url)
    populate(run)
    out = tmp_path / "backup.bin"
    result = run("backup", "--out", str(out))
    assert (out.stat().st_mode & 0o777) == 0o600
    if db_url.startswith("sqlite"):
        assert "SQLite database" in result.output
        conn = sqlite3.connect(out)
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("SELECT count(*) FROM requests").fetchone() == (3,)
        conn.close()
        copy = f"sqlite:///{out}"
        assert runner(copy)("show", "1").output == run("show", "1").output
    else:
        assert "JSON export" in result.output
        assert len(json.loads(out.read_text())["requests"]) == 3


def test_default_backup_location(tmp_path, monkeypatch):
    monkeypatch.setenv("FOIA_DATA_DIR", str(tmp_path / "data"))
    CliRunner().invoke(cli, ["track", "add", "--title", "A", "--office", "ice", "--on", "2025-01-02"])
    result = CliRunner().invoke(cli, ["track", "backup"])
    assert result.exit_code == 0, result.output
    made = list((tmp_path / "data" / "backups").glob("foia-*.db"))
    assert len(made) == 1 and (made[0].stat().st_mode & 0o777) == 0o600


def test_json_import_reports_bad_records(tmp_path):
    from foia.directory import load_directory
    from foia.errors import FoiaError
    from foia.tracker.importer import check_file

    src = tmp_path / "x.json"
    src.write_text(json.dumps({"format": "foia-tracker", "version": 1, "requests": [
        {"title": "A", "office": "ice", "events": [{"type": "status", "status": "lost", "occurred_on": "2025-01-02"}]},
        {"title": "B", "office": "ice", "events": []},
    ]}), encoding="utf-8")
    output = "\n".join(checked(src))
    assert f"{src}: request 1, event 1, field status: 'lost' is not a status" in output
    assert f"{src}: request 2, field events: missing" in output
    not_export = tmp_path / "y.json"
    not_export.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(FoiaError) as caught:
        check_file(not_export, directory=load_directory(), today=date.today())
    assert str(caught.value).startswith(f"{not_export}: not a foia tracker export")


@pytest.mark.pure
def test_import_refuses_dates_the_deadline_engine_refuses(db_url, tmp_path):
    src = tmp_path / "x.json"
    src.write_text(json.dumps({"format": "foia-tracker", "version": 1, "requests": [
        {"title": "A", "office": "ice", "events": [
            {"type": "status", "status": "submitted", "occurred_on": "2025-03-03"},
            {"type": "extension-notice", "occurred_on": "2025-01-01", "data": {"stage": "request"}}]},
    ]}), encoding="utf-8")
    result = runner(db_url)("import", str(src), ok=False)
    assert result.exit_code == 1
    assert result.output.startswith(f"{src}: request 1: deadlines not computed: extension notice 2025-01-01 is "
                                    "dated before the request was received")
    assert json.loads(runner(db_url)("list", "--json").output) == []


def test_csv_import_stores_what_a_recompute_with_explanations_stores(db_url, tmp_path):
    # The import derives deadlines without their explanation text; `track recompute` derives
    # them the way `show --explain` does. Both must store the same dates, keys and caches.
    import random

    from foia.tracker import lifecycle as lc

    rng = random.Random(11)
    offices = ["ice", "cbp", "uscis", "hsi", "dhs-oig", "fbi"]
    statuses = [s for s in lc.STATUSES if s != "draft"]
    lines = ["title,office,filed_on,status,status_on,expedite,tracking_numbers"]
    for i in range(120):
        filed = date.fromordinal(date(2019, 1, 2).toordinal() + rng.randint(0, 2400))
        later = date.fromordinal(filed.toordinal() + rng.randint(0, 150))
        lines.append(f"Request {i},{rng.choice(offices)},{filed},{rng.choice(statuses)},{later},"
                     f"{rng.choice(['yes', 'no'])},N-{i}")
    src = tmp_path / "many.csv"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    run = runner(db_url)
    run("import", str(src))
    imported = dump(db_url)
    assert len(imported["requests"]) == 120 and len(imported["deadlines"]) > 120
    run("recompute", "7")           # one request: derived with explanations, as after an update
    assert dump(db_url) == imported
    run("recompute")                # all, in bulk
    assert dump(db_url) == imported


def test_bulk_recompute_stores_what_each_request_refresh_stores(db_url):
    """`track recompute` reads and writes a batch of requests at a time; it must store exactly
    what refreshing each request after an update stores, histories with corrections included."""
    from sqlalchemy import delete, update

    from foia.tracker.models import deadline_rows, requests, tracking_numbers
    from foia.tracker.service import Tracker
    from foia.tracker.store import open_store

    run = runner(db_url)
    populate(run)
    for i in range(9):
        run("add", "--title", f"R{i}", "--office", ["ice", "fbi", "cbp"][i % 3], "--on", "2025-01-02",
            "--tracking-number", f"N-{i}", *(["--expedite"] if i % 2 else []))
        if i % 3 == 1:
            run("update", str(i + 3), "--status", "awaiting-clarification", "--on", "2025-01-10")
            run("update", str(i + 3), "--status", "in-progress", "--on", "2025-01-20")
        if i % 4 == 2:
            run("update", str(i + 3), "--status", "denied", "--on", "2025-02-20")
    store = open_store(db_url)
    try:
        t = Tracker(store)
        each = dump(db_url)
        for rid in (r["id"] for r in each["requests"]):
            t.recompute(rid)
        each = dump(db_url)
        # Wipe what recompute must rebuild, so a recompute that wrote nothing would fail.
        store.write(lambda c: (c.execute(delete(deadline_rows)), c.execute(delete(tracking_numbers)),
                               c.execute(update(requests).values(status="draft", agency_due=None))))
        assert t.recompute(batch=5) == len(each["requests"]) == 12      # batches of 5 (the last of 2)
    finally:
        store.dispose()
    assert dump(db_url) == each


# --- Large imports: validated and derived in a worker process while this one writes ----------


@pytest.fixture
def pipelined(monkeypatch):
    """Every import goes through the forked worker, in chunks of 7 rows (the first of 3); the
    fixture's list counts the workers started, so a test knows the pipeline really ran."""
    import foia.tracker.bulk as tio

    started = []

    class Counted(tio._Worker):
        def __init__(self, produce):
            started.append(1)
            super().__init__(produce)

    monkeypatch.setattr(tio, "PIPELINE_FROM_ROWS", 1)
    monkeypatch.setattr(tio, "CHUNK_ROWS", 7)
    monkeypatch.setattr(tio, "FIRST_CHUNK_ROWS", 3)
    monkeypatch.setattr(tio, "_Worker", Counted)
    return started


def varied_csv(n: int) -> str:
    """Rows of every shape the CSV import knows: drafts, statuses, own ids and uids, several
    tracking numbers, estimated dates, tags, systems, vendors, fee fields, notes."""
    import random

    from foia.tracker import lifecycle as lc

    rng = random.Random(5)
    statuses = [s for s in lc.STATUSES if s != "draft"] + [""]
    lines = ["id,uid,title,office,kind,status,status_on,filed_on,sent_via,assignee,tags,systems,vendors,"
             "tracking_numbers,estimated_completion,expedite,fee_waiver,fee_limit,note"]
    for i in range(n):
        filed = date.fromordinal(date(2019, 1, 2).toordinal() + rng.randint(0, 2400))
        later = date.fromordinal(filed.toordinal() + rng.randint(0, 200))
        draft = i % 17 == 0
        status = "draft" if draft else rng.choice(statuses)
        if status == "appealed":
            # An appeal of the silence comes once the determination is overdue (foia refuses it earlier).
            later = date.fromordinal(filed.toordinal() + 45 + rng.randint(0, 150))
            if filed > date(2025, 4, 1):
                status = "in-progress"
        numbers = "; ".join(f"N{i}-{k}:{rng.choice(['assigned', 'split', 'referral', 'appeal'])}"
                            for k in range(rng.randint(0, 3)))
        lines.append(",".join([
            str(500 + i), f"{rng.getrandbits(128):032x}" if i % 5 == 0 else "", f"Request {i}",
            rng.choice(["ice", "cbp", "uscis", "hsi", "ero", "fbi", "ogis"]), rng.choice(["records", "self", ""]),
            status, "" if draft else str(min(later, date(2025, 6, 1))),
            "" if draft else str(filed), rng.choice(["", "portal", "email", "mail"]), rng.choice(["", "ana", "bo"]),
            f'"t{i % 7}, x{i % 3}"', rng.choice(["", "icm", "falcon"]), rng.choice(["", "palantir"]), numbers,
            "2025-08-01" if i % 9 == 0 else "", rng.choice(["yes", "no", ""]), rng.choice(["yes", "no"]),
            rng.choice(["", "25", "100.50"]), rng.choice(["", "a note"])]))
    return "\n".join(lines) + "\n"


def comparable(url) -> str:
    """The stored rows as text, without what differs between two imports of the same file: uids
    this import made have a prefix of its own (time and random bits, then a counter), and each
    import has its own time."""
    import re

    text = json.dumps(dump(url), default=str)
    text = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{4}(?=[0-9a-f]{8}\b)", "made-", text)
    return re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z", "now", text)


def test_pipelined_import_stores_what_a_one_process_import_stores(new_db_url, tmp_path, pipelined,
                                                                   monkeypatch):
    import foia.tracker.bulk as tio

    src = tmp_path / "varied.csv"
    src.write_text(varied_csv(60), encoding="utf-8")
    one, piped = new_db_url(), new_db_url()
    with monkeypatch.context() as m:
        m.setattr(tio, "PIPELINE_FROM_ROWS", 10**9)
        first = runner(one)("import", str(src)).output
    assert pipelined == []
    second = runner(piped)("import", str(src)).output
    assert pipelined == [1]
    assert first == second == "Imported 60 requests (requests 500-559) with " + first.split(" with ", 1)[1]

    assert comparable(piped) == comparable(one)
    assert len(dump(piped)["events"]) > 120

    # A JSON export (corrections included) through the pipeline gives back the same database.
    a, b = new_db_url(), new_db_url()
    populate(runner(a))
    out = tmp_path / "all.json"
    runner(a)("export", "--format", "json", "--out", str(out))
    runner(b)("import", str(out))
    assert pipelined == [1, 1]
    assert dump(b) == dump(a)


def test_chunks_go_through_the_pipe_where_there_is_no_memory_file(new_db_url, tmp_path, pipelined, monkeypatch):
    """The worker hands its chunks over in an anonymous memory file (os.memfd_create); where
    there is none, through the pipe itself: the same rows either way."""
    import os

    src = tmp_path / "varied.csv"
    src.write_text(varied_csv(40), encoding="utf-8")
    memory, pipe = new_db_url(), new_db_url()
    runner(memory)("import", str(src))
    with monkeypatch.context() as m:
        m.delattr(os, "memfd_create", raising=False)
        runner(pipe)("import", str(src))
    assert pipelined == [1, 1]
    assert comparable(pipe) == comparable(memory)
    assert len(dump(pipe)["requests"]) == 40


def test_the_memory_files_hold_a_few_chunks_not_the_whole_import(new_db_url, tmp_path, pipelined, monkeypatch):
    """Each chunk read frees its place for a later one: the import's memory files stay the size of a
    few chunks (a million rows took half a gigabyte of memory held to the end when they piled up)."""
    import os

    import foia.tracker.bulk as tio

    held, sizes, real = {}, [], tio._read_at

    def measured(fd, offset, size):
        held[fd] = max(held.get(fd, 0), os.fstat(fd).st_size)
        sizes.append(size)
        return real(fd, offset, size)

    monkeypatch.setattr(tio, "_read_at", measured)
    src = tmp_path / "varied.csv"
    src.write_text(varied_csv(60), encoding="utf-8")
    url = new_db_url()
    runner(url)("import", str(src))
    assert pipelined == [1]
    assert len(dump(url)["requests"]) == 60
    assert len(sizes) == 10                     # 3 rows, then 7 at a time
    assert sum(held.values()) <= 3 * max(sizes) < sum(sizes)     # three chunks at most (bulk.SLOTS)


def test_pipelined_import_reports_bad_rows_of_every_chunk_and_writes_nothing(db_url, tmp_path, pipelined):
    run = runner(db_url)
    run("add", "--title", "Existing", "--office", "ice", "--on", "2025-01-02")
    rows = [f"Row {i},ice,2025-01-02" for i in range(30)]
    rows[1] = "Row 1,XYZ,2025-01-02"        # spreadsheet row 3: the first chunk
    rows[24] = "Row 24,ice,2025-02-30"      # row 26: a later chunk
    src = tmp_path / "bad.csv"
    src.write_text("title,office,filed_on\n" + "\n".join(rows) + "\n", encoding="utf-8")
    result = run("import", str(src), ok=False)
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"{src}: row 3, column office: unknown office 'XYZ'; expected an id from `foia agencies list`",
        f"{src}: row 26, column filed_on: not a date '2025-02-30'; use YYYY-MM-DD",
        f"{src}: nothing imported (2 problems); fix the file and run the import again"]
    assert pipelined == [1]
    assert [r["title"] for r in json.loads(run("list", "--json").output)] == ["Existing"]

    # Uids given twice, in different chunks: refused before the second is written.
    twice = tmp_path / "twice.csv"
    body = [f"Row {i},ice,2025-01-02," for i in range(20)]
    body[2] += "aaaaaaaa-0000-0000-0000-000000000001"
    body[15] += "aaaaaaaa-0000-0000-0000-000000000001"
    twice.write_text("title,office,filed_on,uid\n" + "\n".join(body) + "\n", encoding="utf-8")
    result = run("import", str(twice), ok=False)
    assert result.output.splitlines()[0] == (f"{twice}: row 17: uid aaaaaaaa-0000-0000-0000-000000000001 appears "
                                             "twice in the file")
    assert [r["title"] for r in json.loads(run("list", "--json").output)] == ["Existing"]


def test_a_failing_worker_leaves_the_database_unchanged(db_url, tmp_path, pipelined, monkeypatch):
    import os

    import foia.tracker.bulk as tio
    from foia.errors import FoiaError
    from foia.tracker import open_tracker

    run = runner(db_url)
    run("add", "--title", "Existing", "--office", "ice", "--on", "2025-01-02")
    src = tmp_path / "ok.csv"
    src.write_text("title,office,filed_on\n" + "".join(f"Row {i},ice,2025-01-02\n" for i in range(20)),
                   encoding="utf-8")
    real = tio._chunk_rows
    calls = []

    def fail_on_third(kind):
        def chunk_rows(*args, **kwargs):
            calls.append(1)
            if len(calls) == 3:      # in the worker: two chunks were written by then
                if kind == "exit":
                    os._exit(3)
                if kind == "foia":
                    raise FoiaError("closures.yaml: line 2: bad date")
                raise ValueError("a bug")
            return real(*args, **kwargs)
        return chunk_rows

    tracker = open_tracker(db_url)
    try:
        for kind, error, message in (
                ("bug", RuntimeError, "the import's worker process failed; nothing imported:\nTraceback"),
                ("foia", FoiaError, "closures.yaml: line 2: bad date"),
                ("exit", FoiaError, "the import's worker process stopped unexpectedly; nothing imported")):
            monkeypatch.setattr(tio, "_chunk_rows", fail_on_third(kind))
            with pytest.raises(error) as caught:
                tio.import_file(tracker, src)
            assert str(caught.value).startswith(message)
            if kind == "bug":
                assert str(caught.value).rstrip().endswith("ValueError: a bug")
            assert [r["title"] for r in tracker.list()] == ["Existing"]
    finally:
        tracker.store.dispose()
    assert len(pipelined) == 3
    assert calls == []          # every chunk was derived in the worker, none here


def test_an_event_uid_in_two_requests_is_refused(tmp_path):
    event = {"uid": "abcdef12-0000", "type": "status", "status": "submitted", "occurred_on": "2025-01-02"}
    src = tmp_path / "x.json"
    src.write_text(json.dumps({"format": "foia-tracker", "version": 1, "requests": [
        {"title": "A", "office": "ice", "events": [event]}, {"title": "B", "office": "ice", "events": [event]}]}),
        encoding="utf-8")
    assert checked(src) == [
        f"{src}: events: the same event uid appears in two requests",
        f"{src}: nothing imported (1 problem); fix the file and run the import again"]


def test_a_file_imported_twice_names_each_request_and_its_events_once(db_url, tmp_path):
    run = runner(db_url)
    populate(run)
    out = tmp_path / "all.json"
    run("export", "--format", "json", "--out", str(out))
    again = run("import", str(out), ok=False)
    lines = again.output.splitlines()
    # One line per request already there, one for all their events, then the summary.
    requests = len(json.loads(out.read_text())["requests"])
    assert len(lines) == requests + 2, again.output
    assert re.fullmatch(r".*all\.json: events: event uid \S+ and \d+ more are already in the database", lines[-2])


def test_exports_create_missing_folders_user_only(db_url, tmp_path):
    run = runner(db_url)
    populate(run)
    out = tmp_path / "new" / "deeper" / "queue.csv"
    run("export", "--format", "csv", "--out", str(out))
    assert (out.stat().st_mode & 0o777) == 0o600
    for folder in (tmp_path / "new", tmp_path / "new" / "deeper"):
        assert (folder.stat().st_mode & 0o777) == 0o700, folder


def test_a_spreadsheet_imported_twice_is_refused_by_its_tracking_numbers(db_url, tmp_path):
    run = runner(db_url)
    src = tmp_path / "queue.csv"
    # Row 3 is what a spreadsheet writes for an empty row: skipped.
    src.write_text("title,office,filed_on,tracking_numbers\nA,fbi,2026-10-01,FBI-1234\n,,,\n"
                   "B,ice,2026-10-02,2026-ICFO-1\nC,cbp,2026-10-02,FBI-1234:referral\n", encoding="utf-8")
    first = run("import", str(src))
    assert first.output.startswith("Imported 3 requests (requests 1-3) with ")
    assert "Note: a CSV row holds a request's status, not its history" in first.output
    again = run("import", str(src), ok=False)
    assert again.exit_code == 1
    assert again.output.splitlines() == [
        f"{src}: row 2: tracking number FBI-1234 (fbi) is already on request 1; remove the row if the file was "
        "imported before",
        f"{src}: row 4: tracking number 2026-ICFO-1 (ice) is already on request 2; remove the row if the file was "
        "imported before",
        f"{src}: nothing imported (2 problems); fix the file and run the import again"]
    # The same office and assigned number on two rows of one file: the same request twice.
    dup = tmp_path / "dup.csv"
    dup.write_text("title,office,filed_on,tracking_numbers\nD,uscis,2026-10-01,NRC-9\nE,uscis,2026-10-03,NRC-9\n",
                   encoding="utf-8")
    result = run("import", str(dup), ok=False)
    assert result.output.splitlines()[0] == (f"{dup}: row 3: tracking number NRC-9 (uscis) is also on row 2: the same "
                                            "request twice? remove one row")
    assert len(json.loads(run("list", "--json").output)) == 3


def test_the_export_formats_are_one_table_the_command_offers():
    from foia.commands.track_data import track_export
    from foia.errors import UsageError
    from foia.naming import as_flags
    from foia.tracker.export import EXPORTERS, export_format

    [choice] = [p.type for p in track_export.params if p.name == "fmt"]
    assert list(choice.choices) == list(EXPORTERS) == ["csv", "json", "ics"]
    with pytest.raises(UsageError) as caught:
        export_format("pdf")
    assert caught.value.field == "format"
    assert str(caught.value) == "format: 'pdf' is not an export format; use csv, json or ics"
    assert as_flags(caught.value) == "--format: 'pdf' is not an export format; use csv, json or ics"


def test_the_importer_checks_a_file_without_a_database(tmp_path):
    from foia.directory import load_directory
    from foia.tracker.importer import check_file

    src = tmp_path / "rows.csv"
    src.write_text("title,office,status,filed_on,tracking_numbers,tags\n"
                   "ICM records,ice,acknowledged,2025-01-02,2025-ICFO-1,icm;contracts\nDraft one,cbp,draft,,,\n",
                   encoding="utf-8")
    rows, problems = check_file(src, directory=load_directory(), today=date(2025, 3, 1), actor="ana")
    assert problems == []
    assert [(r.row["title"], r.row["office"], r.where, r.tags) for r in rows] == [
        ("ICM records", "ice", "row 2", ["icm", "contracts"]), ("Draft one", "cbp", "row 3", [])]
    assert [[(e["type"], e["status"], str(e["occurred_on"])) for e in r.events] for r in rows] == [
        [("status", "submitted", "2025-01-02"), ("status", "acknowledged", "2025-01-02"),
         ("tracking-number", None, "2025-01-02")],
        [("created", "draft", "2025-03-01")]]
    # The same request twice (its office's number, no uid): found in the file, no database needed.
    src.write_text("title,office,filed_on,tracking_numbers\nA,ice,2025-01-02,2025-ICFO-1\n"
                   "B,hsi,2025-01-03,2025-ICFO-1\n", encoding="utf-8")
    rows, problems = check_file(src, directory=load_directory(), today=date(2025, 3, 1))
    assert problems == [f"{src}: row 3: tracking number 2025-ICFO-1 (hsi) is also on row 2: the same request twice? "
                        "remove one row"]
    assert not list(tmp_path.rglob("*.db"))
