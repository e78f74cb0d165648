"""Hardening, round two (issue 18): formula injection in every CSV, special files, resource
limits, purge that erases on PostgreSQL, refused databases left alone. The one-line refusals
themselves live in tests/test_bad_input.py; here are the behaviours that need more than a line."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner

from foia.cli import cli
from foia.output import escape_cell, to_csv, unescape_cell

try:
    from .test_contracts_fakes import LocalServer, page, result
    from .tracker_support import track_runner as runner
except ImportError:  # tests/ is not a package: pytest puts it on sys.path
    from test_contracts_fakes import LocalServer, page, result
    from tracker_support import track_runner as runner

HOSTILE = ['=HYPERLINK("http://x","y")', "=2+2", "+1 202 555 0100", "-2+3", "@SUM(A1:A2)", "\tTAB", "\rCR",
           "'=already quoted", "''@twice", "'plain quote", "-12.50", "ok"]


@pytest.mark.parametrize("text", HOSTILE)
def test_escape_cell_defuses_formulas_and_unescape_gives_back_the_text(text):
    out = escape_cell(text)
    if text[:1] in "=+-@\t\r" and text != "-12.50" or text.startswith("'") and text.lstrip("'")[:1] in "=+-@":
        assert out == "'" + text
    else:
        assert out == text
    assert unescape_cell(out) == text


def test_to_csv_quotes_every_formula_cell_and_the_header():
    text = to_csv([{"a": "=1+1", "b": ["@x", "y"], "c": -3}], ["a", "b", "c"])
    assert list(csv.reader(io.StringIO(text))) == [["a", "b", "c"], ["'=1+1", "'@x; y", "-3"]]


def _hostile_queue(run):
    run("add", "--title", '=HYPERLINK("http://x","y")', "--office", "ice", "--on", "2025-01-02",
        "--assignee", "=2+2", "--client-name", "@SUM(1+1)", "--requester", "-2+3", "--tag", "+cmd")
    run("add", "--title", "'=kept as typed", "--office", "ice", "--on", "2025-01-03", "--assignee", "plain")


def test_track_export_csv_and_list_csv_defuse_formulas_and_import_round_trips(new_db_url, tmp_path):
    a, b = new_db_url(), new_db_url()
    run = runner(a)
    _hostile_queue(run)
    out = tmp_path / "q.csv"
    run("export", "--format", "csv", "--out", str(out))
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [r["title"] for r in rows] == ['\'=HYPERLINK("http://x","y")', "''=kept as typed"]
    assert (rows[0]["assignee"], rows[0]["client_name"], rows[0]["requester"], rows[0]["tags"]) == (
        "'=2+2", "'@SUM(1+1)", "'-2+3", "'+cmd")
    redacted = list(csv.DictReader(io.StringIO(run("export", "--format", "csv", "--redact").output)))
    assert redacted[0]["title"].startswith("'=") and "client_name" not in redacted[0]
    listed = list(csv.DictReader(io.StringIO(run("list", "--csv", "--identity").output)))
    assert {r["title"] for r in listed} == {'\'=HYPERLINK("http://x","y")', "''=kept as typed"}
    assert not [c for r in listed for c in r.values() if c and c[0] in "=+-@\t\r"]

    # Importing foia's own export gives back the values as they were typed.
    runner(b)("import", str(out))
    data = json.loads(runner(b)("export", "--format", "json").output)["requests"]
    assert [(r["title"], r["assignee"], r["client_name"], r["requester"]) for r in data] == [
        ('=HYPERLINK("http://x","y")', "=2+2", "@SUM(1+1)", "-2+3"), ("'=kept as typed", "plain", None, None)]
    assert data[0]["tags"] == ["+cmd"]
    assert runner(b)("export", "--format", "csv").output == out.read_text(encoding="utf-8")


def test_contracts_search_csv_defuses_a_recipient_name_from_usaspending(tmp_path, monkeypatch):
    for var in ("FOIA_CONFIG_DIR", "FOIA_DATA_DIR", "FOIA_CACHE_DIR"):
        monkeypatch.setenv(var, str(tmp_path / var.lower()))
    rows = [result("HSCETC14C00001", -1250.5, recipient="=cmd|' /C calc'!A0", description="@SUM(1)")]

    def usaspending(method, path, body):
        return 200, page(rows), {}

    with LocalServer(usaspending) as server:
        r = CliRunner().invoke(cli, ["contracts", "search", "--vendor", "palantir", "--csv", "--base-url", server.url])
    assert r.exit_code == 0, r.output
    got = list(csv.DictReader(io.StringIO(r.stdout)))
    assert (got[0]["recipient"], got[0]["description"], got[0]["amount"]) == ("'=cmd|' /C calc'!A0", "'@SUM(1)",
                                                                              "-1250.5")


@pytest.mark.pure
def test_import_reads_a_csv_with_cr_only_line_endings(db_url, tmp_path):
    """Excel for Mac's "CSV (Macintosh)" ends each line with a carriage return alone."""
    src = tmp_path / "mac.csv"
    src.write_bytes(b"title,office,filed_on\rICM logs,ICE,2025-01-02\r\"Two\rlines\",CBP,2025-01-03\r")
    run = runner(db_url)
    run("import", str(src))
    data = json.loads(run("export", "--format", "json").output)["requests"]
    assert [(r["title"], r["office"], r["filed_on"]) for r in data] == [
        ("ICM logs", "ice", "2025-01-02"), ("Two lines", "cbp", "2025-01-03")]


@pytest.fixture
def silent_server():
    """A TCP server on 127.0.0.1 that accepts connections and never answers (a hung
    PostgreSQL, a firewall that swallows the handshake)."""
    import socket
    import threading

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    held, stop = [], threading.Event()

    def accept():
        sock.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(sock.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield sock.getsockname()[1]
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    sock.close()


@pytest.mark.parametrize("how", ["default", "url"])
def test_a_postgresql_server_that_never_answers_is_given_up_on(silent_server, monkeypatch, how):
    import time

    from foia.tracker import store

    url = f"postgresql://postgres@127.0.0.1:{silent_server}/test"
    if how == "default":
        monkeypatch.setattr(store, "PG_CONNECT_TIMEOUT", 1)
    else:
        monkeypatch.setattr(store, "PG_CONNECT_TIMEOUT", 3600)     # the URL's value wins
        url += "?connect_timeout=1"
    started = time.monotonic()
    result = CliRunner().invoke(cli, ["track", "--db", url, "list"])
    assert time.monotonic() - started < 30
    assert result.exit_code == 1 and result.exception is None or isinstance(result.exception, SystemExit)
    assert result.output.startswith(f"Error: tracker database postgresql+psycopg://postgres@127.0.0.1:{silent_server}"
                                    "/test") and result.output.count("\n") == 1, result.output
    assert "connection timeout expired (the server did not answer within 1 s; set ?connect_timeout=SECONDS" in result.output


def _table_files(url: str, tables=("requests", "events")) -> bytes:
    """The bytes of ``tables``' files on the PostgreSQL server (heap and TOAST), read through the
    server itself (pg_read_binary_file, as the superuser) after a CHECKPOINT writes every
    changed page to them."""
    from sqlalchemy import create_engine

    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("CHECKPOINT")
            out = b""
            for table in tables:
                oids = conn.exec_driver_sql(
                    "SELECT c.oid, c.reltoastrelid FROM pg_class c WHERE c.oid = to_regclass(%(t)s)",
                    {"t": table}).one()
                for oid in (o for o in oids if o):
                    path = conn.exec_driver_sql("SELECT pg_relation_filepath(%(o)s)", {"o": oid}).scalar()
                    size = conn.exec_driver_sql("SELECT pg_relation_size(%(o)s)", {"o": oid}).scalar()
                    if size:
                        out += conn.exec_driver_sql("SELECT pg_read_binary_file(%(p)s)", {"p": path}).scalar()
            return out
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_purge_on_postgresql_erases_the_values_from_the_table_files(pg_url, tmp_path):
    run = runner(pg_url)
    letter = tmp_path / "letter.txt"
    letter.write_text("Letter of Qzxname Vwyclient, A-Number A987654321.\n" + "padding line\n" * 400)
    run("add", "--title", "ICM records", "--office", "ice", "--on", "2025-01-02", "--client-name",
        "Qzxname Vwyclient", "--client-a-number", "A987654321", "--client-dob", "1980-02-03",
        "--letter", str(letter))
    for n in range(3):          # more row versions holding the name
        run("update", "1", "--note", f"call {n}")
    before = _table_files(pg_url)
    assert b"A987654321" in before and b"Qzxname Vwyclient" in before    # the check can see them
    out = run("purge", "1", "--yes").output
    assert out.startswith("Request 1: identity data purged")
    after = _table_files(pg_url)
    assert b"A987654321" not in after and b"Qzxname" not in after and b"1980-02-03" not in after
    assert b"ICM records" in after           # the history is still there
    assert json.loads(run("export", "--format", "json").output)["requests"][0]["client_a_number"] is None


def test_purge_removes_copies_an_interrupted_export_left(db_url, tmp_path, monkeypatch):
    import fcntl
    import os

    from foia.paths import data_dir

    run = runner(db_url)
    run("add", "--title", "ICM records", "--office", "ice", "--on", "2025-01-02", "--client-name", "Ana Reyes")
    backups = data_dir() / "backups"
    backups.mkdir(parents=True, exist_ok=True)
    stale = backups / ".foia-20261203-101010.db.a1b2c3d4.tmp"
    stale.write_text("Ana Reyes")
    live = backups / ".export.json.zz99yy88.tmp"       # a writer still at work holds its lock
    live.write_text("in progress")
    fd = os.open(live, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        out = run("purge", "1", "--yes").output
    finally:
        os.close(fd)
    assert f"Removed 1 copy(ies) left by an interrupted export or backup: {stale}" in out
    assert not stale.exists() and live.exists()


@pytest.mark.pure
def test_the_next_export_to_the_same_place_removes_a_dead_writers_copy(db_url, tmp_path):
    run = runner(db_url)
    run("add", "--title", "ICM records", "--office", "ice", "--on", "2025-01-02")
    stale = tmp_path / ".q.json.a1b2c3d4.tmp"
    other = tmp_path / ".other.json.a1b2c3d4.tmp"
    stale.write_text("unredacted")
    other.write_text("not ours to judge")
    run("export", "--format", "json", "--out", str(tmp_path / "q.json"))
    assert not stale.exists() and other.exists() and (tmp_path / "q.json").is_file()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")) == [other.name]


def test_a_template_that_runs_too_long_is_stopped_and_writes_nothing(tmp_path, monkeypatch):
    from foia.letters import templates as letters

    monkeypatch.setattr(letters, "TEMPLATE_MAX_SECONDS", 1)
    templates = tmp_path / "foia_config_dir" / "templates"
    templates.mkdir(parents=True)
    monkeypatch.setenv("FOIA_CONFIG_DIR", str(templates.parent))
    # No range(), no large value: only time can stop it.
    (templates / "records.j2").write_text("{% for x in 'a' * 100000 %}{% for y in 'a' * 100000 %}{% endfor %}"
                                          "{% endfor %}")
    result = CliRunner().invoke(cli, ["draft", "records", "--system", "icm", "--no-profile", "--requester-name", "Sam",
                                      "--requester-email", "s@example.org", "--out", str(tmp_path / "out")])
    assert result.exit_code == 1, result.output
    assert result.output == ("Error: your template records.j2:1 was stopped: rendering took longer than 1 s; make the "
                             "template simpler (or remove it to use the packaged one)\n")
    assert not (tmp_path / "out").exists()


def test_a_user_template_within_the_limits_renders_as_before(tmp_path, monkeypatch):
    templates = tmp_path / "cfg" / "templates"
    templates.mkdir(parents=True)
    monkeypatch.setenv("FOIA_CONFIG_DIR", str(templates.parent))
    (templates / "records.j2").write_text(
        "@re\nTest\n@body\n{{ '-' * 20 }} {{ 'x'|center(9) }}{% for i in range(3) %}{{ i }}{% endfor %} {{ '%3d' % 7 }} "
        "{{ 2 ** 10 }} {{ '{:>4}'.format('a') }}\n")
    result = CliRunner().invoke(cli, ["draft", "records", "--system", "icm", "--no-profile", "--requester-name", "Sam",
                                      "--requester-email", "s@example.org", "--out", str(tmp_path / "out"),
                                      "--format", "txt"])
    assert result.exit_code == 0, result.output
    text = next((tmp_path / "out").iterdir()).read_text()
    assert "-------------------- " + "    x    " + "012   7 1024    a" in text


@pytest.mark.pure
def test_a_full_disk_in_a_recompute_is_one_line_and_nothing_half_written(tmp_path):
    """recompute (and the import) write through the driver (foia.tracker.bulk.execute_many): an error
    there is the store's one line too, and the batch is rolled back."""
    import sqlite3

    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    db = tmp_path / "q.db"
    run = runner(f"sqlite:///{db}")
    (tmp_path / "rows.csv").write_text("title,office,filed_on\n" + "".join(f"R{n},ice,2025-01-02\n" for n in range(300)),
                                       encoding="utf-8")
    run("import", str(tmp_path / "rows.csv"))
    raw = sqlite3.connect(db)
    raw.execute("DELETE FROM deadline_rows")     # so that the recompute has every deadline to write again
    raw.commit()
    raw.execute("VACUUM")
    pages = raw.execute("PRAGMA page_count").fetchone()[0]
    raw.close()
    listed = run("list", "--json").stdout

    def disk_full(dbapi_conn, _record):         # the file may not grow: as on a full disk
        dbapi_conn.execute(f"PRAGMA max_page_count = {pages}")

    event.listen(Engine, "connect", disk_full)
    try:
        result = run("recompute", ok=False)
    finally:
        event.remove(Engine, "connect", disk_full)
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: tracker database {db}: database or disk is full; ")
    assert len(result.output.splitlines()) == 1, result.output
    assert run("list", "--json").stdout == listed


def test_an_interrupted_recompute_is_announced_until_a_full_run_finishes(db_url, monkeypatch):
    from foia.tracker import open_tracker
    from foia.tracker.service import Tracker

    run = runner(db_url)
    for n in range(3):
        run("add", "--title", f"R{n}", "--office", "ice", "--on", "2025-01-02")
    calls = []
    original = Tracker._refresh_range

    def killed_after_one_batch(self, conn, first, last):
        calls.append((first, last))
        if len(calls) == 2:
            raise KeyboardInterrupt         # Ctrl-C (or a kill) between two batches
        return original(self, conn, first, last)

    monkeypatch.setattr(Tracker, "_refresh_range", killed_after_one_batch)
    tracker = open_tracker(db_url)
    with pytest.raises(KeyboardInterrupt):
        tracker.recompute(batch=1)
    tracker.store.dispose()
    monkeypatch.setattr(Tracker, "_refresh_range", original)

    warning = "did not finish, so some stored deadlines may still be counted by older rules: run foia track recompute again"
    for args in (("list",), ("list", "--json"), ("due",)):
        result = run(*args)
        assert warning in result.stderr and warning not in result.stdout
    assert json.loads(run("list", "--json").stdout)       # the listing itself is untouched
    run("recompute", "1")                                  # one request is not a full run
    assert warning in run("list").stderr
    run("recompute")
    assert warning not in run("list").output and warning not in run("due").output


@pytest.mark.pure
def test_export_onto_a_character_device_leaves_the_device(db_url, tmp_path):
    """`--out /dev/null` as root would have replaced the system's /dev/null with client data;
    tried here on a device node of our own (the same major/minor as /dev/null)."""
    import os
    import stat

    (tmp_path / "dev").mkdir()
    node = tmp_path / "dev" / "null"
    try:
        os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    except (PermissionError, AttributeError):
        pytest.skip("making a device node needs root (CAP_MKNOD); the FIFO and symlink cases in "
                    "tests/test_bad_input.py cover the same refusal")
    run = runner(db_url)
    run("add", "--title", "ICM records", "--office", "ice", "--on", "2025-01-02", "--client-name", "Ana Reyes")
    result = run("export", "--format", "json", "--out", str(node), ok=False)
    assert result.output == (f"Error: {node} is a device, not a regular file; give the name of a new or regular "
                             "file (--out)\n")
    assert stat.S_ISCHR(os.lstat(node).st_mode) and [p.name for p in node.parent.iterdir()] == ["null"]
