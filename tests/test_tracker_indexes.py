"""Schema 15: smaller indexes (the events' by request alone, the requester windows' without the
requests that have none, none on the earliest window), and the migration of a version 14 database."""

from __future__ import annotations

import re

from test_tracker_compact import _build, _exports

# Version 14's form of the indexes migration 15 changed.
V14_INDEXES = ["CREATE INDEX ix_events_request ON events (request_id, occurred_on)",
               "CREATE INDEX ix_requests_requester_due ON requests (requester_due)",
               "CREATE INDEX ix_requests_requester_due_last ON requests (requester_due_last)",
               *(f"CREATE INDEX ix_requests_{name}_requester_due_last ON requests ({name}, requester_due_last)"
                 for name in ("status", "office", "assignee"))]


def _indexes(url) -> dict[str, str]:
    """Each index of the tracker's tables and how it is defined, as the database reports it."""
    from foia.tracker.store import open_store

    store = open_store(url, migrate=False)
    try:
        with store.read() as conn:
            if store.is_sqlite:
                rows = conn.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                                            "AND sql IS NOT NULL").all()
            else:
                rows = conn.exec_driver_sql("SELECT indexname, indexdef FROM pg_indexes "
                                            "WHERE schemaname = current_schema()").all()
    finally:
        store.dispose()
    # PostgreSQL names the schema in each definition; the two databases differ only there.
    return {name: re.sub(r" ON \S+\.", " ON ", sql) for name, sql in rows}


def _as_version_14(url) -> None:
    from sqlalchemy import delete

    from foia.tracker.models import schema_migrations
    from foia.tracker.store import open_store

    store = open_store(url)

    def back(conn):
        for sql in V14_INDEXES:
            name = sql.split()[2]
            conn.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")
            conn.exec_driver_sql(sql)
        conn.execute(delete(schema_migrations).where(schema_migrations.c.version >= 15))

    try:
        store.write(back)
    finally:
        store.dispose()


def test_a_version_14_database_gets_a_new_ones_indexes_and_exports_the_same(db_url, tmp_path):
    _build(db_url, tmp_path)        # a new database: every migration ran on it
    new = _indexes(db_url)
    assert "ix_requests_requester_due" not in new
    assert re.search(r"ix_events_request ON (public\.)?events (USING btree )?\(request_id\)$", new["ix_events_request"])
    for name in ("status", "office", "assignee"):
        assert new[f"ix_requests_{name}_requester_due_last"].endswith("WHERE (requester_due_last IS NOT NULL)") or \
            new[f"ix_requests_{name}_requester_due_last"].endswith("WHERE requester_due_last IS NOT NULL")
    before = _exports(db_url, tmp_path, "before")
    _as_version_14(db_url)
    old = _indexes(db_url)
    assert old != new and "ix_requests_requester_due" in old

    after = _exports(db_url, tmp_path, "after")     # opening it migrates
    assert after == before
    assert _indexes(db_url) == new
