"""Schema 13: uids and timestamps stored compactly (foia.tracker.codec), the migration of an older
database (foia.tracker.compact), and `foia track compact`."""

from __future__ import annotations

import json
import re
import uuid

import pytest
from tracker_support import track_runner

# Every form of uid a database can hold: foia's own (random and time-ordered), a bulk import's
# before version 13, and what an import file may give (hex digits and dashes, 8 to 36).
UIDS = [str(uuid.uuid4()), "01a24229-06bc-7b04-bfb9-32091cafe540", "00000000-0000-0000-0000-000000000000",
        "abcdef0123456789abcdef-000000000001", "deadbeef", "0123456789abcdef", "0123456789abcdef0",
        "012345678901234", "ab-cd-ef-0123456789", "a" * 36, "30303030-3030-3030-3030-30303030303-",
        "\u00e9-\u00fc-1234567890"]   # the last: no uid, but a value a look-up may be given (UTF-8)
STAMPS = ["2025-01-02T15:04:05.123456Z", "1969-12-31T23:59:59.999999Z", "0001-01-01T00:00:00.000000Z",
          "2025-01-02T15:04:05Z", "2025-01-02T15:04:05.5Z", "2025-01-02T17:04:05+02:00", "2025-01-02T15:04:05",
          "2025-13-02T15:04:05.123456Z"]


@pytest.mark.pure
def test_every_uid_and_timestamp_comes_back_as_it_was_written():
    from foia.tracker.codec import UidMaker, new_uid, stamp_text, stamp_value, uid_bytes, uid_text

    for text in UIDS:
        stored = uid_bytes(text)
        assert uid_text(stored) == text
        assert (len(stored) == 16) == (len(text) == 36 and text != "a" * 36 and not text.endswith("-"))
    assert len(uid_bytes(UIDS[3])) == 17
    assert len({uid_bytes(t) for t in UIDS}) == len(UIDS)
    for text in STAMPS:
        assert stamp_text(stamp_value(text)) == text
    assert stamp_value(STAMPS[0]) == 1735830245123456
    assert [type(stamp_value(t)) for t in STAMPS] == [int] * 3 + [str] * 5
    made = UidMaker()
    uids = [made() for _ in range(300)]
    later = new_uid()
    assert all(uuid.UUID(u).version == 7 and str(uuid.UUID(u)) == u for u in uids + [later])
    assert sorted(uids) == uids and len(set(uids)) == len(uids)       # insertion order
    assert later[:13] >= uids[-1][:13]           # the first 48 bits: milliseconds since the epoch


def test_postgresql_converts_a_uid_as_the_codec_does(pg_url):
    from foia.tracker.codec import uid_bytes
    from foia.tracker.compact import _PG_UID
    from foia.tracker.store import open_store

    store = open_store(pg_url)
    try:
        with store.read() as conn:
            for text in UIDS:
                got = conn.exec_driver_sql(f"SELECT {_PG_UID.format(c='t.uid')} FROM (SELECT CAST(%s AS varchar) "
                                           "AS uid) t", (text,)).scalar()
                assert bytes(got) == uid_bytes(text), text
    finally:
        store.dispose()


def _file(tmp_path):
    """An export to import: uids and timestamps of every form a database may hold."""
    from test_tracker_import_json import export_doc

    doc = export_doc()
    first, draft = doc["requests"][:2]
    first["uid"], draft["uid"] = UIDS[3], UIDS[4]
    for event, odd in zip(first["events"], UIDS[5:-1]):
        event["uid"] = odd
    first["events"][-1]["recorded_at"] = STAMPS[5]
    first["events"][-2]["recorded_at"] = STAMPS[3]
    first["created_at"], draft["updated_at"] = STAMPS[4], STAMPS[6]
    for event in first["events"]:
        if event["type"] == "correction":
            event["data"]["event_uid"] = first["events"][3]["uid"]
    doc["requests"] = [first, draft]
    path = tmp_path / "odd.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def _build(url, tmp_path):
    track = track_runner(url)
    track("import", str(_file(tmp_path)))
    track("add", "--title", "ICM records", "--office", "ICE", "--on", "2025-01-02", "--tag", "icm")
    track("update", "9", "--status", "acknowledged", "--on", "2025-01-06", "--note", "called")
    track("correct", "9", "19", "--on", "2025-01-03")
    csv = tmp_path / "rows.csv"
    csv.write_text("title,office,status,filed_on,tracking_numbers\nB,cbp,acknowledged,2025-02-03,CBP-9\n",
                   encoding="utf-8")
    track("import", str(csv))
    track("purge", "7", "--yes")


def _exports(url, tmp_path, name) -> dict:
    track = track_runner(url)
    out = {}
    for fmt in ("json", "csv"):
        path = tmp_path / f"{name}.{fmt}"
        track("export", "--format", fmt, "--out", str(path), "--today", "2025-06-01")
        text = path.read_text(encoding="utf-8")
        # The export's own time and the schema version it was written at are the only differences.
        out[fmt] = re.sub(r'"exported_at": "[^"]*", ', "", re.sub(r'"schema_version": \d+, ', "", text))
    return out


V12_DEADLINES = ("request_id INTEGER NOT NULL, key VARCHAR(32) NOT NULL, label VARCHAR(80) NOT NULL, "
                 "party VARCHAR(10) NOT NULL, start DATE NOT NULL, due DATE, rule TEXT NOT NULL, open BOOLEAN NOT NULL, "
                 "closed_on DATE, PRIMARY KEY (request_id, key), FOREIGN KEY(request_id) REFERENCES requests (id)")


def _as_version_12(url) -> None:
    """Put the database back in version 12's form: uids and timestamps as text, deadlines and tags
    rowid tables, and no migration 13 recorded."""
    from sqlalchemy import delete, select

    from foia.tracker.codec import stamp_text, uid_text
    from foia.tracker.models import events, request_tags, requests, schema_migrations
    from foia.tracker.store import open_store

    store = open_store(url)

    def back(conn):
        if store.is_sqlite:
            raw = conn.connection.driver_connection
            raw.create_function("t_uid", 1, lambda v: v if v is None else uid_text(v))
            raw.create_function("t_stamp", 1, lambda v: v if v is None else stamp_text(v))
            for table in (requests, events, request_tags):
                sql = conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE name = ?", (table.name,)).scalar()
                sql = re.sub(r"\buid BLOB", "uid VARCHAR(36)", sql)
                sql = re.sub(r"\b(\w+_at) INTEGER", r"\1 VARCHAR(32)", sql)
                sql = re.sub(r"^CREATE TABLE \"?\w+\"? ", "CREATE TABLE v12 ", sql).replace(" WITHOUT ROWID", "")
                conn.exec_driver_sql(sql)
                names = [c.name for c in table.columns]
                values = [f"t_uid({n})" if n == "uid" else f"t_stamp({n})" if n.endswith("_at") else n for n in names]
                conn.exec_driver_sql(f"INSERT INTO v12 ({', '.join(names)}) SELECT {', '.join(values)} "
                                     f"FROM {table.name}")
                conn.exec_driver_sql(f"DROP TABLE {table.name}")
                conn.exec_driver_sql(f"ALTER TABLE v12 RENAME TO {table.name}")
                for index in table.indexes:
                    index.create(conn)
            # A request since deleted had number 50: the upgrade must not give it again.
            conn.exec_driver_sql("UPDATE sqlite_sequence SET seq = 50 WHERE name = 'requests'")
        else:
            for table in (requests, events):
                rows = conn.execute(select(table.c.id, table.c.uid)).all()
                conn.exec_driver_sql(f"ALTER TABLE {table.name} ADD COLUMN uid_text VARCHAR(36)")
                for rid, text in rows:
                    conn.exec_driver_sql(f"UPDATE {table.name} SET uid_text = %s WHERE id = %s", (text, rid))
                conn.exec_driver_sql(f"ALTER TABLE {table.name} DROP COLUMN uid")
                conn.exec_driver_sql(f"ALTER TABLE {table.name} RENAME COLUMN uid_text TO uid")
                conn.exec_driver_sql(f"ALTER TABLE {table.name} ALTER COLUMN uid SET NOT NULL")
                conn.exec_driver_sql(f"ALTER TABLE {table.name} ADD UNIQUE (uid)")
        # Version 12 kept each deadline's label and rule in its row.
        conn.exec_driver_sql(f"CREATE TABLE v12 ({V12_DEADLINES})")
        conn.exec_driver_sql("INSERT INTO v12 SELECT * FROM deadlines")
        for drop in ("VIEW deadlines", "TABLE deadline_rows", "TABLE deadline_texts"):
            conn.exec_driver_sql(f"DROP {drop}")
        conn.exec_driver_sql("ALTER TABLE v12 RENAME TO deadlines")
        conn.exec_driver_sql("CREATE INDEX ix_deadlines_open_due ON deadlines (key, due) WHERE open = "
                             + ("1" if store.is_sqlite else "true"))
        conn.execute(delete(schema_migrations).where(schema_migrations.c.version >= 13))

    try:
        store.write(back, rebuilds=True)
    finally:
        store.dispose()
    assert _stored(url)["uid"] in ("text", "character varying")


def _stored(url) -> dict:
    """How the database keeps a uid, a timestamp and an event uid."""
    from foia.tracker.store import open_store

    store = open_store(url, migrate=False)
    try:
        with store.read() as conn:
            if store.is_sqlite:
                row = conn.exec_driver_sql("SELECT typeof(uid), typeof(created_at), length(uid) FROM requests "
                                           "WHERE id = 9").one()
                return {"uid": row[0], "stamp": row[1], "bytes": row[2]}
            kind = conn.exec_driver_sql("SELECT data_type FROM information_schema.columns WHERE table_schema = "
                                        "current_schema() AND table_name = 'events' AND column_name = 'uid'").scalar()
            return {"uid": kind}
    finally:
        store.dispose()


def test_a_version_12_database_exports_the_same_after_migration_13(db_url, tmp_path):
    _build(db_url, tmp_path)
    before = _exports(db_url, tmp_path, "before")
    assert "abcdef0123456789abcdef-000000000001" in before["json"] and STAMPS[5] in before["json"]
    _as_version_12(db_url)

    after = _exports(db_url, tmp_path, "after")     # opening it migrates
    assert after == before
    stored = _stored(db_url)
    assert stored == ({"uid": "blob", "stamp": "integer", "bytes": 16} if "sqlite" in db_url else {"uid": "bytea"})
    track = track_runner(db_url)
    out = track("add", "--title", "After", "--office", "cbp", "--on", "2025-05-01").output
    assert ("Request 51 recorded" if "sqlite" in db_url else "Request 11 recorded") in out, out
    again = _exports(db_url, tmp_path, "again")
    assert again["csv"].startswith(before["csv"]) and again["csv"] != before["csv"]


def test_a_failed_migration_leaves_the_version_12_database_as_it_was(db_url, tmp_path, monkeypatch):
    from foia.tracker import compact

    _build(db_url, tmp_path)
    before = _exports(db_url, tmp_path, "before")
    _as_version_12(db_url)
    real = compact.migrate

    def fails_at_the_end(conn):
        real(conn)
        raise OSError("disk full")

    monkeypatch.setattr(compact, "migrate", fails_at_the_end)
    result = track_runner(db_url)("list", ok=False)
    assert "disk full" in str(result.exception) or "disk full" in result.output
    assert _stored(db_url)["uid"] in ("text", "character varying")
    monkeypatch.setattr(compact, "migrate", real)
    assert _exports(db_url, tmp_path, "after") == before


def test_an_old_export_imports_into_a_version_13_database(new_db_url, tmp_path):
    """An export written before version 13 (uids of every form, timestamps as typed) comes back out
    of a new database the same."""
    from test_tracker_import_json import export_doc

    path = _file(tmp_path)
    url = new_db_url()
    track_runner(url)("import", str(path))
    out = tmp_path / "out.json"
    track_runner(url)("export", "--format", "json", "--out", str(out))
    got = json.loads(out.read_text(encoding="utf-8"))
    sent = json.loads(path.read_text(encoding="utf-8"))
    for key in ("uid", "created_at", "updated_at"):
        assert [r[key] for r in got["requests"]] == [r[key] for r in sent["requests"]]
    assert ([[(e["uid"], e["recorded_at"]) for e in r["events"]] for r in got["requests"]]
            == [[(e["uid"], e["recorded_at"]) for e in r["events"]] for r in sent["requests"]])
    assert [r["title"] for r in got["requests"]] == [r["title"] for r in export_doc()["requests"][:2]]


@pytest.mark.pure
def test_compact_gives_the_freed_space_back_to_the_disk(db_url, tmp_path):
    from pathlib import Path

    _build(db_url, tmp_path)
    track = track_runner(db_url)
    for n in range(40):
        track("add", "--title", f"Request {n} " + "x" * 200, "--office", "ice", "--on", "2025-01-02")
    before = _exports(db_url, tmp_path, "before")
    _as_version_12(db_url)
    opened = track("list")      # migrates: the rebuilt tables leave the old pages free
    assert "`foia track compact`" in opened.output
    path = Path(db_url.removeprefix("sqlite:///"))
    out = track("compact").output
    sizes = re.fullmatch(rf"Compacted {re.escape(str(path))}: ([\d.,]+) MB -> ([\d.,]+) MB\.\n", out)
    assert sizes is not None, out
    assert float(sizes[2]) < float(sizes[1])
    assert _exports(db_url, tmp_path, "after") == before


@pytest.mark.pure
def test_a_migration_that_would_leave_rows_dangling_is_refused(db_url, tmp_path, monkeypatch):
    """SQLite rebuilds tables with its foreign keys off; they are checked before the commit."""
    from foia.tracker import compact

    _build(db_url, tmp_path)
    before = _exports(db_url, tmp_path, "before")
    _as_version_12(db_url)
    real = compact.migrate

    def loses_a_request(conn):
        real(conn)
        conn.exec_driver_sql("DELETE FROM requests WHERE id = 9")

    monkeypatch.setattr(compact, "migrate", loses_a_request)
    result = track_runner(db_url)("list", ok=False)
    assert "the upgrade would leave" in result.output and "pointing at no requests row; nothing was changed" \
        in result.output and "Traceback" not in result.output
    monkeypatch.setattr(compact, "migrate", real)
    assert _exports(db_url, tmp_path, "after") == before


def test_compact_on_postgresql_has_nothing_to_do(pg_url):
    out = track_runner(pg_url)("compact").output
    assert out == "PostgreSQL reuses the space freed inside its tables itself (autovacuum): nothing to do.\n"


def test_the_upgrade_advises_compact_only_where_it_gives_space_back(db_url, tmp_path):
    """SQLite's file keeps the rebuilt tables' old pages until `foia track compact`; PostgreSQL
    rewrites its tables in place and `compact` has nothing to do there, so it is not advised."""
    _build(db_url, tmp_path)
    _as_version_12(db_url)
    opened = track_runner(db_url)("list")
    assert "from schema version 12 to" in opened.output
    if "sqlite" in db_url:
        assert "`foia track compact`" in opened.output
    else:
        assert "compact" not in opened.output, opened.output


@pytest.mark.pure
def test_a_tracker_foia_wrote_at_schema_12_keeps_every_value_after_the_upgrade(tmp_path):
    """tests/fixtures/tracker-v12.sql: a version-12 file as foia wrote it before migration 13 (its
    JSON spacing, its bulk import's uids), not one these tests put back in that form."""
    import sqlite3
    from pathlib import Path

    db = tmp_path / "v12.db"
    raw = sqlite3.connect(db)
    raw.executescript((Path(__file__).parent / "fixtures" / "tracker-v12.sql").read_text(encoding="utf-8"))
    reads = {"requests": "SELECT id, uid, created_at, updated_at, purged_at FROM requests ORDER BY id",
             "events": "SELECT id, uid, recorded_at, data FROM events ORDER BY id",
             "tags": "SELECT request_id, tag FROM request_tags ORDER BY 1, 2",
             "deadlines": "SELECT request_id, key, label, party, start, due, rule, open, closed_on FROM deadlines "
                          "ORDER BY 1, 2"}
    before = {name: raw.execute(sql).fetchall() for name, sql in reads.items()}
    raw.close()
    assert any(len(uid) == 35 for _, uid, *_ in before["requests"])     # the old bulk form
    url = f"sqlite:///{db}"
    track = track_runner(url)
    out = tmp_path / "out.json"
    assert "from schema version 12 to" in track("export", "--format", "json", "--out", str(out)).output
    got = json.loads(out.read_text(encoding="utf-8"))["requests"]
    assert [(r["id"], r["uid"], r["created_at"], r["updated_at"], r["purged_at"]) for r in got] == before["requests"]
    assert (sorted((e["id"], e["uid"], e["recorded_at"], e["data"]) for r in got for e in r["events"])
            == [(i, u, t, json.loads(d)) for i, u, t, d in before["events"]])
    assert sorted((r["id"], t) for r in got for t in r["tags"]) == before["tags"]
    raw = sqlite3.connect(db)
    try:
        assert raw.execute(reads["deadlines"]).fetchall() == before["deadlines"]
        assert {n for (n,) in raw.execute("SELECT length(uid) FROM requests")} == {16, 17}
    finally:
        raw.close()
    # The referral's link is a request's uid kept in an event's data: it still finds request 5.
    shown = json.loads(track("show", "1", "--json", "--today", "2026-11-20").output)
    assert [r["id"] for r in shown["referrals"]] == [5]
    assert json.loads(track("show", "5", "--json").output)["referred_from"] == 1
    assert f"Identity data purged {before['requests'][5][4]}" in track("show", "6").output
    # Both read paths of the morning view agree on the upgraded file.
    due = track("due", "--today", "2026-11-20").output
    assert "Overdue determinations" in due
    assert track_runner(f"sqlite+pysqlite:///{db}")("due", "--today", "2026-11-20").output.replace(
        "sqlite+pysqlite:", "sqlite:") == due
    # A purge after the upgrade still blanks the identity data in the events' data and notes.
    track("purge", "1", "--yes", "--notes")
    raw = sqlite3.connect(db)
    try:
        assert raw.execute("SELECT count(*) FROM events WHERE request_id = 1 AND (data LIKE '%Ana Example%' "
                           "OR data LIKE '%A111222333%' OR note LIKE '%Ana Example%')").fetchone() == (0,)
        assert raw.execute("SELECT client_name, client_a_number FROM requests WHERE id = 1").fetchone() == (None, None)
    finally:
        raw.close()


@pytest.mark.pure
def test_compact_while_another_process_writes_is_the_stores_one_line(tmp_path, monkeypatch):
    """VACUUM needs the file to itself: a writer holding it makes `compact` wait as every command
    does, then say so in one line (no traceback), the file as it was."""
    import sqlite3

    from foia.tracker import store

    monkeypatch.setattr(store, "BUSY_TIMEOUT_MS", 200)      # wait 0.2 s for the lock, not 30
    db = tmp_path / "q.db"
    track = track_runner(f"sqlite:///{db}")
    track("add", "--title", "ICM records", "--office", "ice", "--on", "2025-01-02")
    before = _exports(f"sqlite:///{db}", tmp_path, "before")
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")       # another foia process in the middle of a write
    holder.execute("UPDATE requests SET title = title")
    try:
        result = track("compact", ok=False)
    finally:
        holder.close()
    assert result.exit_code == 1
    assert result.output == (f"Error: the tracker database {db} stayed busy for 0 s (another foia process is "
                             "writing); try again\n")
    assert _exports(f"sqlite:///{db}", tmp_path, "after") == before
