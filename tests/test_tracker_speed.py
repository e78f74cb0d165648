"""What keeps the tracker fast on PostgreSQL: statistics after an import and a migration, and
the import's duplicate check planned as index lookups whatever the statistics say.

Speed itself is measured by benchmarks/pg_import.py (ratios against SQLite); these tests pin
the causes, with no timed assertion.
"""

from __future__ import annotations

from datetime import date

import pytest

from foia.tracker.bulk import ASSIGNED_LOOKUP_PG, _index_lookups, import_file
from foia.tracker.service import Tracker
from foia.tracker.store import ANALYZED_TABLES, open_store

pytestmark = pytest.mark.postgres

HEADER = "title,office,filed_on,status,tracking_numbers\n"


def write_csv(path, n: int, start: int = 0) -> None:
    rows = [f"Request {i},ice,2026-03-02,submitted,2026-ICFO-{i:06d}:assigned\n" for i in range(start, start + n)]
    path.write_text(HEADER + "".join(rows), encoding="utf-8")


def analyzed(store) -> dict[str, bool]:
    with store.read() as conn:
        rows = conn.exec_driver_sql(
            "SELECT relname, last_analyze IS NOT NULL OR last_autoanalyze IS NOT NULL FROM pg_stat_user_tables "
            "WHERE schemaname = current_schema()").all()
    return {name: done for name, done in rows if name in ANALYZED_TABLES}


def test_a_migration_and_an_import_leave_postgresql_with_statistics(pg_url, tmp_path):
    store = open_store(pg_url)
    try:
        assert analyzed(store) == dict.fromkeys(ANALYZED_TABLES, True)
        with store.read() as conn:
            # The partial index's WHERE, given only when a PostgreSQL store opens (models.py).
            index = conn.exec_driver_sql("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_deadlines_open_due' "
                                         "AND schemaname = current_schema()").scalar()
        assert index.endswith("(key, due, open) WHERE (open = true)"), index
        write_csv(tmp_path / "a.csv", 300)
        import_file(Tracker(store, today=date(2026, 4, 1)), tmp_path / "a.csv")
        with store.read() as conn:
            estimated = conn.exec_driver_sql("SELECT reltuples FROM pg_class WHERE relname = 'tracking_numbers' "
                                             "AND relnamespace = current_schema()::regnamespace").scalar()
        assert estimated == 300  # the planner knows the imported rows, not an empty table
    finally:
        store.dispose()


def test_the_duplicate_check_uses_the_tracking_number_index_without_statistics(pg_url, tmp_path):
    store = open_store(pg_url)
    try:
        write_csv(tmp_path / "a.csv", 200)
        import_file(Tracker(store, today=date(2026, 4, 1)), tmp_path / "a.csv")

        def plan(conn):
            # As in a first import: many rows written in this transaction, none in the statistics.
            conn.exec_driver_sql(
                "INSERT INTO tracking_numbers (request_id, number, reason, recorded_on) SELECT r.id, "
                "'X-' || r.id || '-' || g, 'assigned', DATE '2026-03-02' FROM requests r, generate_series(1, 200) g")
            cursor = conn.connection.cursor()
            numbers = [f"X-1-{g}" for g in range(1, 5001)]
            with _index_lookups(cursor):
                cursor.execute("EXPLAIN " + ASSIGNED_LOOKUP_PG, (numbers,))
                lines = [row[0] for row in cursor.fetchall()]
                cursor.execute(ASSIGNED_LOOKUP_PG, (numbers,))
                found = cursor.fetchall()
            cursor.execute("SHOW enable_seqscan")
            after = cursor.fetchone()[0]
            conn.rollback()
            return lines, found, after

        lines, found, after = store.write(plan)
        scans = [line.strip() for line in lines if "Scan" in line or "Join" in line or "Loop" in line]
        assert any("Index Scan using ix_tracking_numbers_number on tracking_numbers" in s for s in scans), scans
        assert not any("Seq Scan" in s or "Hash" in s or "uq_tracking_number" in s for s in scans), scans
        assert len(found) == 200 and after == "on"
    finally:
        store.dispose()


def test_importing_the_same_file_twice_is_refused_on_postgresql(pg_url, tmp_path):
    from foia.tracker.importer import ImportRejected

    store = open_store(pg_url)
    try:
        tracker = Tracker(store, today=date(2026, 4, 1))
        write_csv(tmp_path / "a.csv", 50)
        import_file(tracker, tmp_path / "a.csv")
        write_csv(tmp_path / "b.csv", 3, start=49)
        with pytest.raises(ImportRejected, match="tracking number 2026-ICFO-000049 \\(ice\\) is already on request"):
            import_file(tracker, tmp_path / "b.csv")
    finally:
        store.dispose()
