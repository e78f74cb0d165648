"""Migration 13: the tracker's tables made smaller, every value kept.

- uids (``requests.uid``, ``events.uid``) become bytes, timestamps (``created_at``,
  ``updated_at``, ``purged_at``, ``recorded_at``) integers on SQLite, both converted by
  foia.tracker.codec exactly as the column types convert new rows;
- JSON columns lose the spaces after ':' and ',' (SQLite's ``json()``, which changes nothing else);
- each deadline's label and rule are stored once (``deadline_texts``) and the deadlines by their
  number (``deadline_rows``); ``deadlines`` is now a view that joins them, so every read is unchanged;
- ``deadline_rows`` and ``request_tags`` are WITHOUT ROWID tables on SQLite (a primary key beside a
  rowid table held a second copy of every row).

SQLite cannot change a column's type: each table is rebuilt as its documentation prescribes
(new table, copy, drop, rename, indexes again), inside the migration's one transaction with the
foreign keys checked before the commit (``Store.write(rebuilds=True)``). PostgreSQL changes the
uid columns in place (``ALTER COLUMN ... TYPE bytea USING``); its timestamps stay text (see
codec). The space freed inside a SQLite file is reused by new rows; ``foia track compact``
(VACUUM) gives it back to the disk.
"""

from __future__ import annotations

import re

# PostgreSQL's USING expression for a uid column: codec.uid_bytes in SQL (tests compare the two
# on every form of uid).
_PG_UID = ("CASE WHEN {c} ~ '^[0-9a-f]{{8}}-[0-9a-f]{{4}}-[0-9a-f]{{4}}-[0-9a-f]{{4}}-[0-9a-f]{{12}}$' "
           "OR {c} ~ '^[0-9a-f]{{22}}-[0-9a-f]{{12}}$' THEN decode(replace({c}, '-', ''), 'hex') "
           "ELSE '\\x00'::bytea || convert_to({c}, 'UTF8') || CASE WHEN octet_length({c}) IN (15, 16) "
           "THEN decode(repeat('00', 17 - octet_length({c})), 'hex') ELSE ''::bytea END END")


def migrate(conn) -> None:
    from foia.tracker.models import events, request_tags, requests

    if conn.dialect.name == "postgresql":
        for table in (requests, events):
            if _pg_type(conn, table.name, "uid") != "bytea":
                conn.exec_driver_sql(f"ALTER TABLE {table.name} ALTER COLUMN uid TYPE bytea USING "
                                     + _PG_UID.format(c="uid"))
    else:
        _register(conn.connection.driver_connection)
        for table in (requests, events, request_tags):
            if _sqlite_needs(conn, table):
                _rebuild(conn, table)
    _split_deadlines(conn)


def _split_deadlines(conn) -> None:
    """The ``deadlines`` table becomes ``deadline_rows`` (the texts by number) and ``deadline_texts``,
    read through the ``deadlines`` view."""
    from foia.tracker.models import DEADLINES_VIEW, deadline_rows, deadline_texts

    if conn.dialect.name == "postgresql":
        kind = conn.exec_driver_sql("SELECT table_type FROM information_schema.tables WHERE table_schema = "
                                    "current_schema() AND table_name = 'deadlines'").scalar()
    else:
        kind = conn.exec_driver_sql("SELECT type FROM sqlite_master WHERE name = 'deadlines'").scalar()
    if kind not in ("table", "BASE TABLE"):
        return
    conn.exec_driver_sql("DROP INDEX IF EXISTS ix_deadlines_open_due")     # its name goes to deadline_rows's
    deadline_texts.create(conn, checkfirst=True)
    deadline_rows.create(conn, checkfirst=True)
    conn.exec_driver_sql("INSERT INTO deadline_texts (label, rule) SELECT DISTINCT label, rule FROM deadlines "
                         "ORDER BY label, rule")
    conn.exec_driver_sql("INSERT INTO deadline_rows (request_id, key, text_id, party, start, due, open, closed_on) "
                         "SELECT d.request_id, d.key, t.id, d.party, d.start, d.due, d.open, d.closed_on "
                         "FROM deadlines d JOIN deadline_texts t ON t.label = d.label AND t.rule = d.rule")
    conn.exec_driver_sql("DROP TABLE deadlines")
    conn.exec_driver_sql(DEADLINES_VIEW)


def _pg_type(conn, table: str, column: str) -> str:
    return conn.exec_driver_sql("SELECT data_type FROM information_schema.columns WHERE table_schema = "
                                "current_schema() AND table_name = %s AND column_name = %s",
                                (table, column)).scalar()


def _register(raw) -> None:
    from foia.tracker.codec import stamp_value, uid_bytes

    def stamp(value):
        return stamp_value(value) if isinstance(value, str) else value

    def uid(value):
        return uid_bytes(value) if isinstance(value, str) else value

    raw.create_function("foia_m13_uid", 1, uid, deterministic=True)
    raw.create_function("foia_m13_stamp", 1, stamp, deterministic=True)


def _sqlite_needs(conn, table) -> bool:
    """Whether ``table`` still has its version-12 form (a new database was made in the new one)."""
    sql = conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?",
                               (table.name,)).scalar() or ""
    if not table.dialect_options["sqlite"].get("with_rowid", True):
        return "WITHOUT ROWID" not in sql.upper()
    return re.search(r"\buid\s+BLOB\b", sql, re.IGNORECASE) is None


def _rebuild(conn, table) -> None:
    from sqlalchemy import JSON
    from sqlalchemy.schema import CreateTable

    from foia.tracker.models import Stamp, Uid

    name, new = table.name, f"_m13_{table.name}"
    ddl = str(CreateTable(table).compile(dialect=conn.dialect)).strip()
    head = f"CREATE TABLE {name} ("
    assert ddl.startswith(head), ddl[:60]
    conn.exec_driver_sql(f"CREATE TABLE {new} (" + ddl[len(head):])
    have = {row[1] for row in conn.exec_driver_sql(f"PRAGMA table_info({name})")}
    names, values = [], []
    for column in table.columns:
        if column.name not in have:
            continue
        names.append(column.name)
        if isinstance(column.type, Uid):
            values.append(f"foia_m13_uid({column.name})")
        elif isinstance(column.type, Stamp):
            values.append(f"foia_m13_stamp({column.name})")
        elif isinstance(column.type, JSON):
            values.append(f"json({column.name})")
        else:
            values.append(column.name)
    seq = None
    if table.dialect_options["sqlite"].get("autoincrement"):
        seq = conn.exec_driver_sql("SELECT seq FROM sqlite_sequence WHERE name = ?", (name,)).scalar()
    conn.exec_driver_sql(f"INSERT INTO {new} ({', '.join(names)}) SELECT {', '.join(values)} FROM {name}")
    conn.exec_driver_sql(f"DROP TABLE {name}")
    conn.exec_driver_sql(f"ALTER TABLE {new} RENAME TO {name}")
    for index in table.indexes:
        index.create(conn)
    if seq is not None:
        # The highest id ever given, even to a request since deleted, is never given again.
        if not conn.exec_driver_sql("UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = ?", (seq, name)).rowcount:
            conn.exec_driver_sql("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", (name, seq))


def vacuum(store) -> tuple[int, int] | None:
    """Give the space freed inside a SQLite tracker back to the disk (VACUUM): the file is rewritten
    (it needs as much free disk space again, and other writers wait for it); returns its size before
    and after, in bytes. None on PostgreSQL, which reuses freed space itself (autovacuum)."""
    if not store.is_sqlite or store.path is None:
        return None

    def size() -> int:
        return sum(p.stat().st_size for p in (store.path, store.path.with_name(store.path.name + "-wal"))
                   if p.exists())

    import sqlite3

    from sqlalchemy.exc import DBAPIError

    from foia.tracker.store import operational_error

    before = size()
    try:
        with store.engine.connect() as conn:
            raw = conn.connection.driver_connection     # no transaction: VACUUM cannot run inside one
            raw.execute("VACUUM")
            raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except (sqlite3.Error, DBAPIError) as exc:
        # Past SQLAlchemy, so past the store's handling: another foia process writing (VACUUM
        # waits for it as long as any command does), a full disk... the store's one line.
        raise operational_error(store.shown(), exc) from None
    return before, size()
