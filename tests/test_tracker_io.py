"""Export, import, backup: round trips, all-or-nothing imports, redaction, calendars, 0600 files."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from datetime import date

import pytest
from click.testing import CliRunner

from foia.cli import cli


@pytest.fixture(autouse=True)
def _user(monkeypatch):
    monkeypatch.setenv("FOIA_USER", "ana")


def runner(url):
    def run(*args, ok=True):
        result = CliRunner().invoke(cli, ["track", "--db", url, *args])
        if ok:
            assert result.exit_code == 0, result.output
        return result

    return run


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
    assert again == first.read_text(encoding="utf-8")
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


def test_import_report_is_limited(db_url, tmp_path):
    bad = tmp_path / "many.csv"
    bad.write_text("title,office\n" + "".join(f"T{i},NOPE\n" for i in range(45)), encoding="utf-8")
    result = runner(db_url)("import", str(bad), ok=False)
    lines = result.output.splitlines()
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
    assert "Imported 1 requests (request 2)" in result.output and "got new ids" in result.output


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
    assert got == [
        ("Appeal deadline (denied): Denied (CBP) #2", date(2025, 7, 10)),
        ("Determination due: ICM records (ICE) #1", date(2025, 1, 31)),
        ("Expedite decision due: ICM records (ICE) #1", date(2025, 1, 12)),
    ]
    uids = sorted(str(e["UID"]) for e in evs)
    assert uids == sorted(str(e["UID"]) for e in Calendar.from_ical(second.read_bytes()).walk("VEVENT"))
    assert all(u.endswith("@foia") for u in uids)
    assert (first.stat().st_mode & 0o777) == 0o600


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


def test_json_import_reports_bad_records(db_url, tmp_path):
    src = tmp_path / "x.json"
    src.write_text(json.dumps({"format": "foia-tracker", "version": 1, "requests": [
        {"title": "A", "office": "ice", "events": [{"type": "status", "status": "lost", "occurred_on": "2025-01-02"}]},
        {"title": "B", "office": "ice", "events": []},
    ]}), encoding="utf-8")
    result = runner(db_url)("import", str(src), ok=False)
    assert f"{src}: request 1, event 1, field status: 'lost' is not a status" in result.output
    assert f"{src}: request 2, field events: missing" in result.output
    not_export = tmp_path / "y.json"
    not_export.write_text("[1, 2]", encoding="utf-8")
    result = runner(db_url)("import", str(not_export), ok=False)
    assert result.output.startswith(f"Error: {not_export}: not a foia tracker export")


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
    run("recompute")
    assert dump(db_url) == imported
