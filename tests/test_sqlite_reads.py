"""`foia track due` through the standard library's sqlite3 (issue 20): the stored SQL is what the
tracker's statements compile to, both paths print the same thing, and anything the stored text
does not certainly fit goes the SQLAlchemy way, which migrates, creates or refuses as before."""

from __future__ import annotations

import json
import os
import sqlite3

import pytest
from click.testing import CliRunner

from foia.cli import cli
from foia.errors import FoiaError
from foia.tracker import sqlite_reads, sqlite_text
from foia.tracker.store import LATEST, MIGRATIONS

REGENERATE = "regenerate it: .venv/bin/python -m foia.tracker.sqlite_reads"
TODAY = "2025-06-02"


def test_the_stored_text_is_what_the_tracker_statements_compile_to():
    assert sqlite_text.SCHEMA_VERSION == LATEST, f"the schema is now version {LATEST}; {REGENERATE}"
    assert sqlite_reads.TEXT_FILE.read_text(encoding="utf-8") == sqlite_reads.generate(), \
        f"a statement `track due` runs changed; {REGENERATE}"


def test_the_generator_leaves_out_what_it_cannot_convert_and_the_reader_then_steps_aside(monkeypatch, tmp_path):
    """A type with no sqlite3 conversion (here: dates, as if one had no rule) leaves its statements
    out of the generated module, and with any statement missing no reader is given."""
    import importlib.util

    kind = sqlite_reads._kind

    def no_dates(type_, dialect, processor):
        if kind(type_, dialect, processor) == "date":
            raise ValueError("no sqlite3 conversion of Date()")
        return kind(type_, dialect, processor)

    monkeypatch.setattr(sqlite_reads, "_kind", no_dates)
    path = tmp_path / "regenerated.py"
    path.write_text(sqlite_reads.generate(), encoding="utf-8")
    assert "# Left out (foia track due then reads through SQLAlchemy):\n# ('due', False, False): no sqlite3 " \
           "conversion of Date()" in path.read_text(encoding="utf-8")
    spec = importlib.util.spec_from_file_location("regenerated", path)
    regenerated = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(regenerated)
    assert ("due", False, False) not in regenerated.STATEMENTS and ("recompute_started",) in regenerated.STATEMENTS
    db = _queue(tmp_path)
    assert sqlite_reads.open_reader(db) is not None
    monkeypatch.setattr(sqlite_text, "STATEMENTS", regenerated.STATEMENTS)
    assert sqlite_reads.open_reader(db) is None


def run(db, *args, fast: bool | None, monkeypatch, env=None):
    """`foia track --db DB due ARGS`: asserting it read through the sqlite3 reader (``fast``), with
    the reader refused (False), or as it comes (None)."""
    used = []
    original = sqlite_reads.open_reader

    def spy(*a, **k):
        used.append(None)       # (before the call: it may raise)
        used[-1] = original(*a, **k) if fast is not False else None
        return used[-1]

    monkeypatch.setattr(sqlite_reads, "open_reader", spy)
    result = CliRunner().invoke(cli, ["track", "--db", db, "due", *args], env=env)
    monkeypatch.setattr(sqlite_reads, "open_reader", original)
    assert len(used) == 1 and (fast is None or (used[0] is not None) == fast)
    return result


def _queue(tmp_path, name="q.db") -> str:
    """A tracker with requests in every section of `due` on TODAY (see the test below)."""
    db = f"sqlite:///{tmp_path / name}"

    def track(*args):
        result = CliRunner().invoke(cli, ["track", "--db", db, *args])
        assert result.exit_code == 0, result.output

    track("add", "--title", "Late one", "--office", "ice", "--on", "2025-01-02", "--expedite", "--assignee", "Maria")
    track("add", "--title", "Mailed", "--office", "ice", "--on", "2025-04-01", "--sent-via", "mail",
          "--assignee", "bo")
    track("add", "--title", "Denied", "--office", "cbp", "--on", "2025-01-02")
    track("update", "3", "--status", "denied", "--on", "2025-01-24")
    track("add", "--title", "Appealed", "--office", "ice", "--on", "2025-01-02", "--assignee", "maria")
    track("update", "4", "--status", "denied", "--on", "2025-01-20")
    track("update", "4", "--status", "appealed", "--on", "2025-01-27")
    track("add", "--title", "Unclear", "--office", "ice", "--on", "2025-05-01")
    track("update", "5", "--status", "awaiting-clarification", "--on", "2025-05-02")
    track("add", "--title", "Amend", "--office", "ice", "--kind", "amendment", "--on", "2025-05-01")
    track("update", "6", "--received", "2025-05-01")
    track("add", "--title", "Lapsed", "--office", "uscis", "--on", "2025-01-02")
    track("update", "7", "--status", "denied", "--on", "2025-01-17")
    track("add", "--title", "Fees", "--office", "ice", "--on", "2025-01-20", "--assignee", "Bo")
    track("update", "8", "--status", "awaiting-fees", "--on", "2025-01-27")
    return db


OPTIONS = [(), ("--json",), ("--assignee", "MARIA"), ("--assignee", "bo", "--json"), ("--mine",),
           ("--lapsed-days", "0"), ("--stale-days", "0"), ("--within", "60", "--limit", "1"),
           ("--today", "2025-01-03"), ("--today", "2025-01-03", "--json"), ("--today", "2025-01-03", "--mine"),
           ("--lapsed-days", "0", "--stale-days", "0", "--assignee", "nobody")]


@pytest.mark.pure
def test_both_paths_print_the_same_for_every_option(tmp_path, monkeypatch):
    db = _queue(tmp_path)
    data = json.loads(run(db, "--today", TODAY, "--json", fast=True, monkeypatch=monkeypatch).stdout)
    totals = {s["key"]: s["total"] for s in data["sections"]}
    assert all(totals.values()) and len(totals) == 8, totals      # every section has a request
    for options in OPTIONS:
        args = options if "--today" in options else ("--today", TODAY, *options)
        env = {"FOIA_USER": "Maria"}
        fast = run(db, *args, fast=True, monkeypatch=monkeypatch, env=env)
        slow = run(db, *args, fast=False, monkeypatch=monkeypatch, env=env)
        assert fast.exit_code == slow.exit_code == 0, (args, fast.output, slow.output)
        assert fast.stdout == slow.stdout and fast.stderr == slow.stderr, args
    quiet = run(db, "--today", "2025-01-03", fast=True, monkeypatch=monkeypatch).stdout
    assert quiet.splitlines()[-2:] == ["Nothing due.",
                                       "6 open requests; next: #1 expedite decision due 2025-01-12 (ice)."]


@pytest.mark.pure
def test_an_unfinished_recompute_is_reported_by_both_paths(tmp_path, monkeypatch):
    db = _queue(tmp_path)
    with sqlite3.connect(tmp_path / "q.db") as conn:
        conn.execute("INSERT INTO tracker_state (key, value) VALUES ('recompute', '2025-06-01T08:00:00.000000Z')")
    conn.close()
    fast = run(db, "--today", TODAY, fast=True, monkeypatch=monkeypatch)
    slow = run(db, "--today", TODAY, fast=False, monkeypatch=monkeypatch)
    assert fast.stderr == slow.stderr == ("Warning: a recompute started 2025-06-01T08:00:00.000000Z did not finish, "
                                          "so some stored deadlines may still be counted by older rules: run foia "
                                          "track recompute again\n")
    assert fast.stdout == slow.stdout


@pytest.mark.pure
def test_the_reader_leaves_the_files_user_only_and_never_creates_one(tmp_path, monkeypatch):
    db = _queue(tmp_path)
    assert run(db, "--today", TODAY, fast=True, monkeypatch=monkeypatch).exit_code == 0
    assert {p.name: p.stat().st_mode & 0o777 for p in tmp_path.glob("q.db*")} == {"q.db": 0o600}
    missing = tmp_path / "none.db"
    assert sqlite_reads.open_reader(f"sqlite:///{missing}") is None and not missing.exists()
    # The tracker itself then creates it, user-only, as before.
    made = run(f"sqlite:///{missing}", fast=None, monkeypatch=monkeypatch)
    assert made.exit_code == 0 and made.stdout.endswith("Nothing due.\n")
    assert missing.stat().st_mode & 0o777 == 0o600


@pytest.mark.pure
def test_an_older_schema_is_migrated_by_the_tracker_and_then_read_by_sqlite3(tmp_path, monkeypatch):
    db = _queue(tmp_path)
    with sqlite3.connect(tmp_path / "q.db") as conn:
        conn.execute("DELETE FROM schema_migrations WHERE version = ?", (LATEST,))
    conn.close()
    assert sqlite_reads.open_reader(db) is None
    upgraded = run(db, "--today", TODAY, fast=False, monkeypatch=monkeypatch)
    previous = MIGRATIONS[-2][0]      # the numbers may skip one
    assert upgraded.exit_code == 0 and f"from schema version {previous} to {LATEST}" in upgraded.stderr
    again = run(db, "--today", TODAY, fast=True, monkeypatch=monkeypatch)
    assert again.stdout == upgraded.stdout and again.stderr == ""


@pytest.mark.pure
def test_a_newer_schema_is_refused_by_the_tracker(tmp_path, monkeypatch):
    db = _queue(tmp_path)
    with sqlite3.connect(tmp_path / "q.db") as conn:
        conn.execute("INSERT INTO schema_migrations VALUES (?, 'from a newer foia', '2030-01-01')", (LATEST + 1,))
    conn.close()
    refused = run(db, fast=False, monkeypatch=monkeypatch)
    assert refused.exit_code == 1 and "Traceback" not in refused.output
    assert f"has schema version {LATEST + 1}, written by a newer foia" in refused.stderr


@pytest.mark.pure
def test_text_for_another_schema_is_not_used(tmp_path, monkeypatch):
    db = _queue(tmp_path)
    monkeypatch.setattr(sqlite_text, "SCHEMA_VERSION", LATEST - 1)
    assert sqlite_reads.open_reader(db) is None
    assert run(db, "--today", TODAY, fast=False, monkeypatch=monkeypatch).exit_code == 0


@pytest.mark.parametrize("url", ["postgresql://clinic@db.example.org/foia", "sqlite:///q.db?mode=ro",
                                 "sqlite:///%71.db", "sqlite:///", "sqlite:///:memory:", "sqlite+pysqlcipher:///q.db"])
def test_urls_sqlalchemy_reads_otherwise_go_its_way(url, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _queue(tmp_path)
    assert sqlite_reads.open_reader(url) is None


@pytest.mark.pure
@pytest.mark.parametrize("content,message", [
    (b"not a database at all\n", "it is not a SQLite database"),
])
def test_a_foreign_file_is_refused_in_one_line_and_left_as_it_was(tmp_path, monkeypatch, content, message):
    path = tmp_path / "other.db"
    path.write_bytes(content)
    assert sqlite_reads.open_reader(f"sqlite:///{path}") is None
    refused = run(f"sqlite:///{path}", fast=None, monkeypatch=monkeypatch)
    assert refused.exit_code == 1 and message in refused.stderr and len(refused.stderr.splitlines()) == 1
    assert path.read_bytes() == content


@pytest.mark.pure
def test_a_damaged_database_is_one_line_from_either_path(tmp_path, monkeypatch):
    db = _queue(tmp_path)
    path = tmp_path / "q.db"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        size = conn.execute("PRAGMA page_size").fetchone()[0]
        root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'deadline_rows'").fetchone()[0]
    conn.close()
    assert root < pages
    with open(path, "r+b") as fh:     # the deadlines' table's page: page 1 (the schema) stays intact
        fh.seek((root - 1) * size)
        fh.write(b"\xff" * size)
    fast = run(db, "--today", TODAY, fast=True, monkeypatch=monkeypatch)
    slow = run(db, "--today", TODAY, fast=False, monkeypatch=monkeypatch)
    assert fast.exit_code == slow.exit_code == 1
    assert fast.stderr == slow.stderr and "is damaged" in fast.stderr and len(fast.stderr.splitlines()) == 1
    assert "Traceback" not in fast.output


def test_an_empty_file_is_made_a_tracker_as_before(tmp_path, monkeypatch):
    path = tmp_path / "empty.db"
    path.touch(mode=0o600)
    assert sqlite_reads.open_reader(f"sqlite:///{path}") is None
    result = run(f"sqlite:///{path}", fast=None, monkeypatch=monkeypatch)
    assert result.exit_code == 0 and result.stdout.endswith("Nothing due.\n")
    assert sqlite_reads.open_reader(f"sqlite:///{path}") is not None
    assert os.stat(path).st_mode & 0o777 == 0o600


@pytest.mark.pure
def test_a_database_kept_busy_is_the_same_one_line_from_either_path(tmp_path, monkeypatch):
    from foia.tracker import store

    db = _queue(tmp_path)
    # Wait 0.2 s, not 30, for the lock (the message then says "0 s").
    monkeypatch.setattr(store, "BUSY_TIMEOUT_MS", 200)
    monkeypatch.setattr(sqlite_reads, "BUSY_TIMEOUT_MS", 200)
    holder = sqlite3.connect(tmp_path / "q.db", isolation_level=None)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")        # another process writing, in exclusive locking mode
    try:
        with pytest.raises(FoiaError, match="stayed busy"):    # said at once, not after a second wait
            sqlite_reads.open_reader(db)
        fast = run(db, "--today", TODAY, fast=None, monkeypatch=monkeypatch)
        slow = run(db, "--today", TODAY, fast=False, monkeypatch=monkeypatch)
    finally:
        holder.close()
    assert fast.exit_code == slow.exit_code == 1
    assert fast.stderr == slow.stderr == (f"Error: the tracker database {tmp_path / 'q.db'} stayed busy for 0 s "
                                          "(another foia process is writing); try again\n")
