"""The store: migrations, settings, refusing a newer schema; and the lifecycle rules."""

from __future__ import annotations

from datetime import date

import pytest

from foia.errors import FoiaError, UsageError
from foia.tracker import lifecycle as lc


def test_migrations_are_recorded_and_the_schema_matches_the_models(db_url):
    from sqlalchemy import inspect, select

    from foia.tracker.models import metadata, schema_migrations
    from foia.tracker.store import LATEST, MIGRATIONS, open_store

    store = open_store(db_url)
    try:
        with store.read() as conn:
            rows = conn.execute(select(schema_migrations)).all()
            assert [r.version for r in rows] == [n for n, _, _ in MIGRATIONS] and rows[-1].version == LATEST
            insp = inspect(conn)
            for table in metadata.sorted_tables:
                have = {c["name"] for c in insp.get_columns(table.name)}
                assert have == {c.name for c in table.columns}, table.name
                indexes = {i["name"] for i in insp.get_indexes(table.name)}
                assert {i.name for i in table.indexes} <= indexes, table.name
    finally:
        store.dispose()
    # Opening again applies nothing twice.
    again = open_store(db_url)
    assert again.schema_version() == LATEST
    again.dispose()


def test_a_version_1_database_gets_the_open_deadlines_index(db_url):
    """Migration 2 replaces version 1's index of every deadline with one of the open ones; the
    morning view's look-up uses it."""
    from sqlalchemy import and_, delete, func, inspect, select, true

    from foia.tracker import open_tracker
    from foia.tracker.models import deadlines, schema_migrations
    from foia.tracker.store import LATEST, open_store

    t = open_tracker(db_url)
    t.add(title="A", office="ice", on="2025-01-02")
    # Back to version 1 as a version-1 foia left it.
    t.store.write(lambda c: (c.exec_driver_sql("DROP INDEX ix_deadlines_open_due"),
                             c.exec_driver_sql("CREATE INDEX ix_deadlines_open_key_due ON deadline_rows (open, key, due)"),
                             c.execute(delete(schema_migrations).where(schema_migrations.c.version >= 2))))
    assert t.store.schema_version() == 1
    t.store.dispose()

    store = open_store(db_url)
    try:
        assert store.schema_version() == LATEST
        with store.read() as conn:
            names = {i["name"] for i in inspect(conn).get_indexes("deadline_rows")}
            assert "ix_deadlines_open_due" in names and "ix_deadlines_open_key_due" not in names
            d = deadlines.c
            query = select(func.count()).select_from(deadlines).where(and_(
                d.open == true(), d.key.in_(["determination", "appeal"]), d.due.is_not(None), d.due < date(2026, 1, 1)))
            assert conn.execute(query).scalar() == 1
            if store.is_sqlite:
                sql = str(query.compile(conn, compile_kwargs={"literal_binds": True}))
                plan = " ".join(r[-1] for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql))
                assert "USING INDEX ix_deadlines_open_due" in plan or "USING COVERING INDEX ix_deadlines_open_due" \
                    in plan, plan
    finally:
        store.dispose()


def test_a_version_3_database_gets_back_the_office_named(db_url):
    """Before migration 4 a request filed to HSI kept ICE as its office (and HSI only in its
    office snapshot); the migration restores HSI, and leaves the others and imported rows as they are."""
    from sqlalchemy import delete, select, update

    from foia.tracker import open_tracker
    from foia.tracker.models import requests, schema_migrations
    from foia.tracker.store import LATEST, open_store

    t = open_tracker(db_url)
    t.add(title="HSI", office="hsi", on="2025-01-02")
    t.add(title="ICE", office="ice", on="2025-01-02")
    t.store.write(lambda c: (c.execute(update(requests).where(requests.c.id == 1).values(office="ice")),
                             c.execute(delete(schema_migrations).where(schema_migrations.c.version >= 4))))
    t.store.dispose()
    store = open_store(db_url)
    try:
        assert store.schema_version() == LATEST
        with store.read() as conn:
            assert conn.execute(select(requests.c.office).order_by(requests.c.id)).scalars().all() == ["hsi", "ice"]
    finally:
        store.dispose()


def test_an_upgrade_is_announced_once_and_a_new_database_silently(tmp_path):
    from click.testing import CliRunner
    from sqlalchemy import delete

    from foia.cli import cli
    from foia.tracker.models import schema_migrations
    from foia.tracker.store import LATEST, open_store

    db = tmp_path / "q.db"
    first = CliRunner().invoke(cli, ["track", "--db", str(db), "list"])
    assert first.exit_code == 0 and first.output.strip() == "No requests."
    store = open_store(str(db))
    store.write(lambda c: c.execute(delete(schema_migrations).where(schema_migrations.c.version >= 4)))
    store.dispose()
    upgraded = CliRunner().invoke(cli, ["track", "--db", str(db), "list"])
    assert upgraded.exit_code == 0
    assert upgraded.output.splitlines() == [
        f"Upgrading the tracker database {db} from schema version 3 to {LATEST}: once, in one transaction (a "
        "large queue takes a minute)...",
        "Version 13 rewrites the tables in a smaller form; the file only shrinks on disk once `foia track compact` "
        "has run (it needs as much free disk space again as the file takes).",
        "The deadline rules changed since this database was written (one clarification stop tolls, side appeals, "
        "appeal outcomes): run `foia track recompute` to count its stored deadlines by this version's rules.",
        "No requests."]
    assert CliRunner().invoke(cli, ["track", "--db", str(db), "list"]).output.strip() == "No requests."


def test_a_newer_database_is_refused(db_url):
    from sqlalchemy import insert

    from foia.tracker.models import schema_migrations
    from foia.tracker.store import LATEST, open_store

    store = open_store(db_url)
    store.write(lambda c: c.execute(insert(schema_migrations).values(version=LATEST + 5, name="future",
                                                                     applied_at="2030-01-01T00:00:00Z")))
    store.dispose()
    with pytest.raises(FoiaError) as err:
        open_store(db_url)
    assert f"has schema version {LATEST + 5}, written by a newer foia (this one knows up to {LATEST}); " \
           "upgrade foia to use it" in err.value.message


def test_sqlite_settings(tmp_path):
    from foia.tracker.store import open_store

    store = open_store(f"sqlite:///{tmp_path / 'x.db'}")
    with store.read() as conn:
        def pragma(name):
            return conn.exec_driver_sql(f"PRAGMA {name}").scalar()

        assert pragma("journal_mode") == "wal"
        assert pragma("foreign_keys") == 1
        assert pragma("synchronous") == 2          # FULL
        assert pragma("busy_timeout") == 30000
        assert pragma("secure_delete") == 1
    store.dispose()


def test_write_transactions_begin_immediate(tmp_path):
    """Two writers: the second waits for the first's lock instead of failing."""
    import threading
    import time

    from sqlalchemy import text

    from foia.tracker.store import open_store

    url = f"sqlite:///{tmp_path / 'x.db'}"
    one, two = open_store(url), open_store(url)
    inside = threading.Event()
    order = []

    def slow(conn):
        inside.set()
        conn.execute(text("CREATE TABLE IF NOT EXISTS t (x INTEGER)"))
        time.sleep(0.3)
        conn.execute(text("INSERT INTO t VALUES (1)"))
        order.append("first")

    thread = threading.Thread(target=one.write, args=(slow,))
    thread.start()
    inside.wait()
    # A deferred transaction that reads first would fail to upgrade its read lock ("database is
    # locked" at once, no waiting); BEGIN IMMEDIATE waits for the lock before reading.
    two.write(lambda conn: (conn.execute(text("SELECT count(*) FROM sqlite_master")).scalar(),
                            conn.execute(text("INSERT INTO t VALUES (2)")), order.append("second")))
    thread.join()
    assert order == ["first", "second"]
    with one.read() as conn:
        assert conn.execute(text("SELECT count(*) FROM t")).scalar() == 2
    one.dispose()
    two.dispose()


def test_plain_path_and_postgres_scheme_are_understood(tmp_path, monkeypatch):
    from foia.tracker.store import resolve_url

    assert resolve_url(str(tmp_path / "q.db")) == f"sqlite:///{tmp_path / 'q.db'}"
    assert resolve_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    monkeypatch.setenv("FOIA_DB", "postgresql://u@h/db")
    assert resolve_url(None) == "postgresql+psycopg://u@h/db"
    monkeypatch.delenv("FOIA_DB")
    assert resolve_url(None).endswith("/data/foia.db")


def test_password_is_never_shown(tmp_path):
    from foia.tracker.store import open_store

    with pytest.raises(FoiaError) as err:
        open_store("postgresql://someone:s3cret@127.0.0.1:1/x")
    assert "s3cret" not in err.value.message and "***" in err.value.message


# ---- lifecycle ----------------------------------------------------------------------------


def test_every_status_has_a_transition_row_and_labels():
    assert set(lc.TRANSITIONS) == set(lc.STATUSES)
    for targets in lc.TRANSITIONS.values():
        assert targets <= set(lc.STATUSES)
    assert lc.END_STATES <= set(lc.STATUSES)
    assert lc.TRANSITIONS["withdrawn"] == frozenset()
    # Only withdrawn is final: every other end state can be followed by something.
    assert {s for s in lc.END_STATES if not lc.TRANSITIONS[s]} == {"withdrawn"}


@pytest.mark.parametrize("text,code", [("In progress", "in-progress"), ("no_records", "no-records"),
                                       ("APPEAL GRANTED", "appeal-granted"), ("Partially granted", "partial")])
def test_normalize_status(text, code):
    assert lc.normalize_status(text) == code


def test_normalize_status_refuses_unknown():
    with pytest.raises(UsageError):
        lc.normalize_status("lost")


def test_check_transition_messages():
    with pytest.raises(FoiaError) as err:
        lc.check_transition(12, "withdrawn", "fulfilled", on=date(2025, 1, 2))
    assert err.value.message == ("cannot move request 12 from withdrawn to fulfilled: a withdrawn request is "
                                 "closed; record a new request instead")
    with pytest.raises(FoiaError) as err:
        lc.check_transition(12, "denied", "fulfilled", on=date(2025, 1, 2))
    assert "already determined (denied)" in err.value.message
    with pytest.raises(FoiaError) as err:
        lc.check_transition(3, "draft", "denied", on=date(2025, 1, 2))
    assert err.value.message == "cannot move request 3 from draft to denied: from draft a request can move to " \
                                "submitted, withdrawn"
    with pytest.raises(FoiaError) as err:
        lc.check_transition(3, None, "acknowledged", on=date(2025, 1, 2))
    assert "before the request was submitted" in err.value.message
    # An appeal: fine after a determination, after the determination is overdue, not before.
    lc.check_transition(1, "denied", "appealed", on=date(2025, 3, 1))
    lc.check_transition(1, "in-progress", "appealed", on=date(2025, 3, 1), determination_due=date(2025, 2, 1))
    with pytest.raises(FoiaError):
        lc.check_transition(1, "in-progress", "appealed", on=date(2025, 1, 20), determination_due=date(2025, 2, 1))
    # Remanded re-opens processing.
    lc.check_transition(1, "remanded", "in-progress", on=date(2025, 3, 1))
    lc.check_transition(1, "appeal-granted", "remanded", on=date(2025, 3, 1))


def test_derive_is_pure_and_uses_the_latest_status():
    from foia.clocks.rules import ClockRules
    from foia.tracker.derive import Event, derive

    evs = [Event(1, "a", "status", date(2025, 1, 2), status="submitted"),
           Event(3, "c", "status", date(2025, 1, 20), status="in-progress"),
           Event(2, "b", "status", date(2025, 1, 6), status="acknowledged")]   # recorded late, dated earlier
    state = derive(evs, rules=ClockRules())
    assert state.status == "in-progress" and state.filed_on == date(2025, 1, 2)
    assert [t.key for t in state.deadlines] == ["determination"]
    assert state.deadlines[0].due == date(2025, 1, 31)
    voided = evs + [Event(4, "d", "correction", date(2025, 2, 1), data={"event_uid": "c", "void": True})]
    assert derive(voided, rules=ClockRules()).status == "acknowledged"
    assert derive(evs, rules=None).deadlines == []


def test_cli_help_does_not_import_sqlalchemy():
    import subprocess
    import sys

    code = ("import sys\nfrom click.testing import CliRunner\nfrom foia.cli import cli\n"
            "for args in (['--help'], ['track', '--help'], ['track', 'update', '--help']):\n"
            "    r = CliRunner().invoke(cli, args)\n    assert r.exit_code == 0, r.output\n"
            "print(sorted(m for m in sys.modules if m.startswith(('sqlalchemy', 'icalendar', 'psycopg'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.slow
@pytest.mark.parametrize("required,code,word", [("1", 1, "error"), ("", 0, "skipped")])
def test_unreachable_postgresql_fails_when_required(required, code, word):
    """FOIA_REQUIRE_PG=1 (set by .ci/run) turns an unreachable server into a failed run."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = dict(os.environ, FOIA_TEST_PG_URL="postgresql+psycopg://postgres@127.0.0.1:1/test",
               FOIA_REQUIRE_PG=required)
    target = "tests/test_tracker_store.py::test_a_newer_database_is_refused"
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rsf", "-p", "no:cacheprovider", target],
                          cwd=Path(__file__).resolve().parents[1], env=env, capture_output=True, text=True)
    assert proc.returncode == code, proc.stdout[-2000:]
    assert f"1 passed, 1 {word}" in proc.stdout or f"1 {word}, 1 passed" in proc.stdout, proc.stdout[-2000:]
    assert "UNREACHABLE at postgresql+psycopg://postgres@127.0.0.1:1/test" in proc.stdout
