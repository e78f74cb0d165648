"""Where the tracker keeps its data: the engine, transactions and the migrations list.

Default: a SQLite file ``foia.paths.data_dir()/foia.db``, created readable by the user only
(0600, in a 0700 directory) before SQLite touches it; SQLite creates its ``-wal``/``-shm``
files with the database file's permissions. ``--db URL`` / ``FOIA_DB`` selects any
SQLAlchemy URL (``postgresql://`` means psycopg 3) or a plain file path.

SQLite settings, applied on every connection:

- ``journal_mode=WAL``: readers never block the writer and the writer never blocks readers.
- ``busy_timeout=30000``: a writer waits up to 30 s for another to finish instead of failing.
- ``foreign_keys=ON``: events and tracking numbers always belong to a request.
- ``synchronous=FULL``: every commit is on disk before foia says it is. In WAL mode NORMAL
  cannot corrupt the database but may lose the last commits on power loss; a tracker whose
  point is to never lose a record pays one fsync per (human-paced) change instead. A 100,000
  row import is one transaction, so one fsync.
- ``secure_delete=ON``: purged identity data is overwritten on disk, not left in free pages.

Write transactions start with ``BEGIN IMMEDIATE`` (the event-listener recipe in SQLAlchemy's
SQLite documentation: the driver's own BEGIN is disabled and ours is emitted), so two
processes queue on the write lock at the start of a transaction instead of one failing with
"database is locked" when it tries to upgrade a read lock. On PostgreSQL a write transaction
locks the rows it changes (``SELECT ... FOR UPDATE``) and is retried on a serialization
failure or deadlock.

Migrations are a list of numbered functions; each applied one is recorded in
``schema_migrations`` (version, name, applied_at). All pending ones run in one transaction
when the store opens. A database written by a newer foia (a higher version) is refused.
"""

from __future__ import annotations

import os
import re
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator, TypeVar

from foia.errors import FoiaError

T = TypeVar("T")

DEFAULT_FILE = "foia.db"
BUSY_TIMEOUT_MS = 30_000
HINT = "check --db / FOIA_DB"


def utcnow() -> str:
    """Now as an ISO-8601 UTC string, the tracker's timestamp format."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def default_url() -> str:
    from foia.paths import data_dir

    return "sqlite:///" + str(data_dir() / DEFAULT_FILE)


# "host=db.example.org dbname=foia user=clinic": libpq's key=value form, not a file name.
_LIBPQ = re.compile(r"\w+=\S*(\s+\w+=\S*)+")


def resolve_url(url: str | None = None) -> str:
    """``url`` (from --db), else ``FOIA_DB``, else the default SQLite file. A value without
    ``://`` is a SQLite file path; ``postgresql://`` and ``postgres://`` mean psycopg 3."""
    value = (url or os.environ.get("FOIA_DB") or "").strip()
    if not value:
        return default_url()
    if "://" not in value and _LIBPQ.fullmatch(value):
        raise FoiaError(f"{value.split()[0]} ... looks like a libpq connection string, which would be taken for a "
                        "file name; give a URL such as postgresql://user@host:5432/dbname (--db / FOIA_DB)")
    if "://" not in value:
        return "sqlite:///" + str(Path(value).expanduser().absolute())
    for prefix in ("postgresql://", "postgres://"):
        if value.startswith(prefix):
            return "postgresql+psycopg://" + value[len(prefix):]
    return value


def shown_url(url) -> str:
    """The URL with any password hidden, for messages: ``user:***@`` and a ``?password=`` query
    parameter (libpq reads both)."""
    text = str(url)
    if _PLAIN_SQLITE.fullmatch(text):
        return text     # nothing to hide, nothing make_url would quote: as it renders it
    if "://" not in text:   # a file path, which make_url refuses
        return _stripped(text)
    try:
        from sqlalchemy.engine import make_url

        parsed = make_url(text)
        if any(k.lower() == "password" for k in parsed.query):
            parsed = parsed.set(query={k: ("***" if k.lower() == "password" else v) for k, v in parsed.query.items()})
        return parsed.render_as_string(hide_password=True).replace("=%2A%2A%2A", "=***")
    except Exception:  # noqa: BLE001 - a URL too broken to parse: show neither credentials nor query
        return _stripped(text)


def _stripped(text: str) -> str:
    scheme, sep, rest = text.split("?")[0].rpartition("://")
    return f"{scheme}{sep}{rest.split('@')[-1]}"


# A SQLite file URL of letters, digits and "_.-+ /" only (track due's --db, printed back in its
# commands without importing SQLAlchemy).
_PLAIN_SQLITE = re.compile(r"sqlite:///[A-Za-z0-9_.+ /-]*")


def location(url: str | None = None) -> str:
    """Where the tracker database is, without opening it: the SQLite file, or the URL without
    password (``url``, else FOIA_DB, else the default file)."""
    resolved = resolve_url(url)
    if resolved.startswith("sqlite:///") and "?" not in resolved:
        return resolved[len("sqlite:///"):] or ":memory:"
    return shown_url(resolved)


def db_reason(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    text = " ".join(str(orig).split())
    return text[:300] or type(orig).__name__


def _damaged(exc: BaseException) -> bool:
    """SQLite found a damaged page (the first page can be intact: then the damage shows only
    when a query reaches the broken page)."""
    reason = db_reason(exc)
    return "malformed" in reason or "file is not a database" in reason


def _foreign_sqlite(path: Path) -> str | None:
    """Why the existing file ``path`` is not a foia database, or None (a foia database, an empty
    file, or one this look cannot read: opening it then says why). The file is opened
    read-only: a refused file is left exactly as it was (not switched to WAL, not migrated)."""
    import sqlite3

    try:
        if path.stat().st_size == 0:
            return None
        with open(path, "rb") as fh:
            head = fh.read(16)
    except OSError:
        return None
    if head != b"SQLite format 3\x00":
        return "it is not a SQLite database"
    try:
        conn = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True)
        try:
            names = [n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                                "AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        finally:
            conn.close()
    except sqlite3.Error as exc:
        return f"it is damaged ({' '.join(str(exc).split())})" if _damaged(exc) else None
    if names and "schema_migrations" not in names:
        shown = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
        return f"it is a SQLite database of something else (tables: {shown})"
    return None


def _create_private_file(path: Path, *, default: bool) -> None:
    """Create the SQLite file user-only before SQLite does (it would use the umask)."""
    parent = path.parent
    if default:
        from foia.paths import ensure_private_dir

        try:
            ensure_private_dir(parent)
        except OSError as exc:
            raise FoiaError(f"cannot create the tracker directory {parent}: {exc.strerror or exc}; "
                            f"set FOIA_DATA_DIR or {HINT}") from None
    elif not parent.is_dir():
        raise FoiaError(f"cannot open the tracker database {path}: directory {parent} does not exist; "
                        f"create it or {HINT}")
    if path.exists():
        if path.is_dir():
            raise FoiaError(f"cannot open the tracker database {path}: it is a directory; {HINT}")
        return
    try:
        fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
        os.close(fd)
    except OSError as exc:
        raise FoiaError(f"cannot create the tracker database {path}: {exc.strerror or exc}; {HINT}") from None


def schema_version_statement():
    """The highest migration applied (foia.tracker.sqlite_reads keeps its SQLite text)."""
    from sqlalchemy import func, select

    from foia.tracker.models import schema_migrations

    return select(func.max(schema_migrations.c.version).label("version"))


def operational_error(shown: str, exc: BaseException) -> FoiaError:
    """The one line for a database error ``exc`` met while using the database ``shown``
    (also foia.tracker.sqlite_reads's, whose errors are ``sqlite3``'s own)."""
    reason = db_reason(exc)
    if _damaged(exc):
        from foia.naming import Field, Text

        return FoiaError(Text(f"the tracker database {shown} is damaged ({reason}); put your latest "
                              "`foia track backup` copy in its place (or import your latest `foia track export ",
                              Field("format"), " json` into a new database)"))
    if "locked" in reason or "busy" in reason:
        return FoiaError(f"the tracker database {shown} stayed busy for "
                         f"{BUSY_TIMEOUT_MS // 1000} s (another foia process is writing); try again")
    return FoiaError(f"tracker database {shown}: {reason}; {HINT}")


class Store:
    """An open tracker database: an engine plus transaction helpers.

    ``write(fn)`` runs ``fn(conn)`` in a write transaction (BEGIN IMMEDIATE on SQLite,
    retried on PostgreSQL serialization failures); ``read()`` is a context manager giving a
    connection in a read transaction (one consistent snapshot).
    """

    def __init__(self, engine, url: str):
        self.engine = engine
        self.url = url
        self.dialect = engine.dialect.name
        self.is_sqlite = self.dialect == "sqlite"
        self.is_postgresql = self.dialect == "postgresql"
        if self.is_postgresql:
            from foia.tracker.models import postgresql_options

            postgresql_options()

    @property
    def path(self) -> Path | None:
        """The SQLite file, or None for a server database."""
        if not self.is_sqlite:
            return None
        db = self.engine.url.database
        return Path(db) if db and db != ":memory:" else None

    def shown(self) -> str:
        return str(self.path) if self.path else shown_url(self.engine.url)

    @contextmanager
    def read(self, *, snapshot: bool = False) -> Iterator:
        """A connection in a read transaction. SQLite reads one snapshot anyway (WAL);
        ``snapshot=True`` asks PostgreSQL for REPEATABLE READ so many queries see one state."""
        from sqlalchemy.exc import DatabaseError, OperationalError

        try:
            with self.engine.connect() as conn:
                if snapshot and self.is_postgresql:
                    conn.execution_options(isolation_level="REPEATABLE READ")
                with conn.begin():
                    yield conn
        except DatabaseError as exc:
            if isinstance(exc, OperationalError) or _damaged(exc):
                raise self._operational(exc) from None
            raise

    def write(self, fn: Callable[..., T], *, attempts: int = 5, rebuilds: bool = False) -> T:
        """Run ``fn(conn)`` in one write transaction and commit; nothing is kept on error.
        ``rebuilds``: ``fn`` may drop and rebuild tables others refer to (a migration): SQLite's
        foreign keys are switched off for the transaction (it cannot be done inside one) and
        checked before the commit instead, as SQLite's ALTER TABLE documentation prescribes."""
        from sqlalchemy.exc import DBAPIError, OperationalError

        for attempt in range(1, attempts + 1):
            try:
                with self.engine.connect() as conn:
                    if self.is_sqlite:
                        conn.execution_options(foia_begin="IMMEDIATE")
                    if rebuilds and self.is_sqlite:
                        return _without_foreign_keys(conn, fn)
                    with conn.begin():
                        return fn(conn)
            except DBAPIError as exc:
                code = getattr(getattr(exc, "orig", None), "sqlstate", None)
                # 40001 serialization_failure, 40P01 deadlock_detected: safe to run again.
                if self.is_postgresql and code in ("40001", "40P01") and attempt < attempts:
                    time.sleep(0.05 * attempt)
                    continue
                if isinstance(exc, OperationalError) or _damaged(exc):
                    raise self._operational(exc) from None
                raise
        raise AssertionError("unreachable")

    def _operational(self, exc) -> FoiaError:
        reason = db_reason(exc)
        if "timeout expired" in reason and self.is_postgresql:
            waited = self.engine.url.query.get("connect_timeout", PG_CONNECT_TIMEOUT)
            return FoiaError(f"tracker database {self.shown()}: {reason} (the server did not answer within "
                             f"{waited} s; set ?connect_timeout=SECONDS in the URL to wait longer); {HINT}")
        return operational_error(self.shown(), exc)

    def schema_version(self) -> int:
        from sqlalchemy import inspect

        with self.read() as conn:
            if not inspect(conn).has_table("schema_migrations"):
                return 0
            return conn.execute(schema_version_statement()).scalar() or 0

    def analyze(self) -> None:
        """PostgreSQL: refresh the planner's statistics of the tracker's tables. Without them
        (a new database, or just after a large import, before autovacuum comes by) it plans
        for empty tables: `list --limit 50` on 100,000 requests took 1.5 s instead of 7 ms.
        SQLite plans from its indexes alone and is left as it is."""
        if not self.is_postgresql:
            return
        from sqlalchemy.exc import DBAPIError

        tables = ", ".join(ANALYZED_TABLES)
        try:
            with self.engine.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(f"ANALYZE {tables}")
        except DBAPIError:
            pass  # only the plans suffer: a user who may not ANALYZE still has every row

    def dispose(self) -> None:
        self.engine.dispose()


def _without_foreign_keys(conn, fn: Callable[..., T]) -> T:
    raw = conn.connection.driver_connection      # no transaction is open yet: the PRAGMA takes effect
    raw.execute("PRAGMA foreign_keys=OFF")
    from collections import Counter

    def dangling() -> Counter:      # (table, the table it points to): rows pointing at nothing
        return Counter((row[0], row[2]) for row in conn.exec_driver_sql("PRAGMA foreign_key_check"))

    try:
        with conn.begin():
            # Only what ``fn`` broke stops it: a row some other tool left dangling does not.
            before = dangling()
            out = fn(conn)
            broken = dangling() - before
            if broken:
                (table, parent), n = next(iter(broken.items()))
                raise FoiaError(f"the upgrade would leave {n} row(s) of {table} pointing at no {parent} row; "
                                "nothing was changed")
            return out
    finally:
        raw.execute("PRAGMA foreign_keys=ON")


# The tables the queue's queries plan over (the small ones are planned well without figures).
ANALYZED_TABLES = ("requests", "request_tags", "tracking_numbers", "events", "deadline_rows", "deadline_texts")


def _compact_json(value) -> str:
    """JSON columns' text without the spaces after ':' and ',' (the values are the same)."""
    import json

    return json.dumps(value, separators=(",", ":"))


def _sqlite_engine(url):
    from sqlalchemy import create_engine, event
    from sqlalchemy.pool import StaticPool

    memory = url.database in (None, "", ":memory:")
    kwargs = {"connect_args": {"timeout": BUSY_TIMEOUT_MS / 1000}}
    if memory:
        kwargs.update(poolclass=StaticPool, connect_args={"check_same_thread": False})
    engine = create_engine(url, json_serializer=_compact_json, **kwargs)

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn, _record):
        # Take BEGIN away from the driver: we emit it ourselves (below).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        if not memory:
            cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA secure_delete=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):
        mode = conn.get_execution_options().get("foia_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


# Seconds to wait for a PostgreSQL server to answer when connecting: a server that accepts the
# connection and never answers would otherwise hang foia for ever. `?connect_timeout=N` in
# the URL overrides it (libpq's own parameter).
PG_CONNECT_TIMEOUT = 10


def _pg_connect_args(parsed) -> dict:
    if parsed.get_backend_name() != "postgresql" or "connect_timeout" in parsed.query:
        return {}
    return {"connect_timeout": PG_CONNECT_TIMEOUT}


def open_store(url: str | None = None, *, migrate: bool = True, allow_memory: bool = False,
               notify: Callable[[str], None] | None = None) -> Store:
    """Open (creating if needed) the tracker database at ``url`` and bring its schema up to date.

    Any problem (bad URL, missing driver, unreachable server, unwritable file) is one
    ``FoiaError`` naming the database and --db / FOIA_DB. An in-memory SQLite database keeps
    nothing once closed, so it is refused unless ``allow_memory`` (a library caller's tests).
    """
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

    resolved = resolve_url(url)
    try:
        parsed = make_url(resolved)
    except (ArgumentError, ValueError):     # ValueError: a port that is not a number, an unclosed [
        raise FoiaError(f"{shown_url(resolved)!s} is not a database URL; give e.g. "
                        f"sqlite:///path/foia.db or postgresql://user@host/db ({HINT})") from None
    if parsed.get_backend_name() == "sqlite" and parsed.database in (None, "", ":memory:") and not allow_memory:
        raise FoiaError(f"{resolved} is an in-memory database: everything recorded would be lost when foia exits; "
                        f"give a file, e.g. sqlite:///path/foia.db ({HINT})")
    try:
        if parsed.get_backend_name() == "sqlite":
            # The engine first: a driver that is not installed (sqlite+pysqlcipher) is refused
            # before any file is created.
            engine = _sqlite_engine(parsed)
            if parsed.database not in (None, "", ":memory:"):
                path = Path(parsed.database).expanduser()
                if path.is_file():
                    why = _foreign_sqlite(path)
                    if why:
                        engine.dispose()
                        raise FoiaError(f"cannot open the tracker database {path}: {why}; give foia its own file "
                                        f"({HINT})")
                _create_private_file(path, default=(resolved == default_url()))
        else:
            engine = create_engine(parsed, pool_pre_ping=False, connect_args=_pg_connect_args(parsed),
                                   json_serializer=_compact_json)
    except (NoSuchModuleError, ArgumentError, ImportError, ValueError) as exc:
        raise FoiaError(f"cannot use database {shown_url(resolved)}: {db_reason(exc)}; {HINT}") from None
    store = Store(engine, resolved)
    if migrate:
        try:
            migrate_store(store, notify=notify)
        except FoiaError:
            engine.dispose()
            raise
        except SQLAlchemyError as exc:
            engine.dispose()
            raise FoiaError(f"cannot open the tracker database {store.shown()}: {db_reason(exc)}; {HINT}") from None
    return store


# ---------------------------------------------------------------------------------------------
# Migrations. Each function receives a connection inside the migration transaction. A
# migration never changes once released: migration 1 creates the version-1 tables; when a
# later migration alters a table, copy that table's version-1 definition into _m001 first so
# an old database and a new one end up identical (tests/test_tracker_store.py checks this).


def _m001_initial(conn) -> None:
    from foia.tracker.models import DEADLINES_VIEW, V1_TABLES, metadata

    metadata.create_all(conn, tables=list(V1_TABLES))
    conn.exec_driver_sql(DEADLINES_VIEW)     # the deadlines' form since migration 13
    # Version 1's index of every deadline, which migration 2 replaces (create_all also made
    # the newer indexes: migration 2 leaves an old database and a new one the same).
    conn.exec_driver_sql("CREATE INDEX ix_deadlines_open_key_due ON deadline_rows (open, key, due)")


def _m002_open_deadlines_index(conn) -> None:
    from sqlalchemy import inspect

    from foia.tracker.models import OPEN_DEADLINES_INDEX

    conn.exec_driver_sql("DROP INDEX IF EXISTS ix_deadlines_open_key_due")
    if inspect(conn).has_table("deadline_rows"):
        OPEN_DEADLINES_INDEX.create(conn, checkfirst=True)
    else:   # a database from before migration 13 keeps its deadlines in one table until then
        conn.exec_driver_sql("CREATE INDEX IF NOT EXISTS ix_deadlines_open_due ON deadlines (key, due) WHERE open = "
                             + ("1" if conn.dialect.name == "sqlite" else "true"))


def _m003_requester_due_last(conn) -> None:
    from sqlalchemy import inspect

    from foia.tracker.models import REQUESTER_DUE_LAST_INDEX

    # Migration 1 builds the current tables, so a new database has the column already.
    if "requester_due_last" not in {c["name"] for c in inspect(conn).get_columns("requests")}:
        conn.exec_driver_sql("ALTER TABLE requests ADD COLUMN requester_due_last DATE")
    conn.exec_driver_sql(
        "UPDATE requests SET requester_due_last = (SELECT max(d.due) FROM deadlines d WHERE d.request_id = "
        "requests.id AND d.open AND d.party = 'requester') WHERE requester_due IS NOT NULL")
    REQUESTER_DUE_LAST_INDEX.create(conn, checkfirst=True)


def _m004_office_named(conn) -> None:
    # Before version 4 a request filed to a directorate (HSI, ERO) kept the office it files
    # with (ICE) and the one named only in its office snapshot: bring the named one back.
    if conn.dialect.name == "postgresql":
        named = "office_snapshot->>'requested_office'"
    else:
        named = "json_extract(office_snapshot, '$.requested_office')"
    conn.exec_driver_sql(f"UPDATE requests SET office = {named} WHERE office_snapshot IS NOT NULL AND {named} IS NOT NULL")


def _m005_tracker_state(conn) -> None:
    from foia.tracker.models import tracker_state

    tracker_state.create(conn, checkfirst=True)


def _m006_requester_contact(conn) -> None:
    from sqlalchemy import inspect

    # Migration 1 builds the current tables, so a new database has the column already.
    if "requester_contact" not in {c["name"] for c in inspect(conn).get_columns("requests")}:
        # JSON on both backends, as create_all makes it (the old and new schemas must be identical).
        conn.exec_driver_sql("ALTER TABLE requests ADD COLUMN requester_contact JSON")


def _m008_inbox(conn) -> None:
    from foia.inbox.models import INBOX_TABLES, metadata

    metadata.create_all(conn, tables=list(INBOX_TABLES), checkfirst=True)


def _m009_vault(conn) -> None:
    from foia.vault.models import VAULT_TABLES

    from foia.tracker.models import metadata

    metadata.create_all(conn, tables=list(VAULT_TABLES))
    # The full-text index of document pages (foia.vault.search): FTS5 with the Porter stemmer on
    # SQLite (rowid = document_pages.id); on PostgreSQL the English tsvector of each page, stored
    # (ranking re-parses nothing) and GIN-indexed. Both live beside document_pages, outside the
    # models, and are written by the vault with the pages.
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS document_tsv (page_id INTEGER PRIMARY KEY "
                             "REFERENCES document_pages (id), tsv TSVECTOR NOT NULL)")
        conn.exec_driver_sql("CREATE INDEX IF NOT EXISTS ix_document_tsv ON document_tsv USING GIN (tsv)")
    else:
        conn.exec_driver_sql("CREATE VIRTUAL TABLE IF NOT EXISTS document_fts USING fts5(text, "
                             "tokenize='porter unicode61')")


def _m010_web_accounts(conn) -> None:
    from foia.tracker.models import metadata
    from foia.web.models import WEB_TABLES

    metadata.create_all(conn, tables=list(WEB_TABLES), checkfirst=True)


def _m011_filter_indexes(conn) -> None:
    from foia.tracker.models import FILTER_INDEXES

    for name in ("status", "office", "assignee"):
        conn.exec_driver_sql(f"DROP INDEX IF EXISTS ix_requests_{name}")
    for index in FILTER_INDEXES:
        index.create(conn, checkfirst=True)
    if conn.dialect.name == "postgresql":
        # People are matched whatever the case ("maria" finds "Maria"). Its statistics tell
        # PostgreSQL how many requests one person has: without them it drove each section of
        # that person's morning view from every one of their requests (614 ms against 84 ms on
        # 100,000). SQLite gained little, and SQLAlchemy cannot reflect expression indexes there.
        conn.exec_driver_sql("CREATE INDEX IF NOT EXISTS ix_requests_assignee_lower ON requests (lower(assignee))")


def _m012_web_jobs(conn) -> None:
    # Migration 10 of a foia from before the table existed left it out; a newer one made it.
    from foia.tracker.models import metadata
    from foia.web.models import web_jobs

    metadata.create_all(conn, tables=[web_jobs], checkfirst=True)


def _m013_compact(conn) -> None:
    from foia.tracker import compact

    compact.migrate(conn)


def _m014_tag_index(conn) -> None:
    from foia.tracker.models import TAG_INDEX

    conn.exec_driver_sql("DROP INDEX IF EXISTS ix_request_tags_tag")
    TAG_INDEX.create(conn, checkfirst=True)


def _m015_smaller_indexes(conn) -> None:
    from foia.tracker.models import EVENTS_INDEX, PARTIAL_INDEXES

    conn.exec_driver_sql("DROP INDEX IF EXISTS ix_requests_requester_due")
    for index in (EVENTS_INDEX, *PARTIAL_INDEXES):
        conn.exec_driver_sql(f"DROP INDEX IF EXISTS {index.name}")
        index.create(conn)


MIGRATIONS: list[tuple[int, str, Callable]] = [
    (1, "requests, tags, tracking numbers, events, deadlines", _m001_initial),
    (2, "index only the open deadlines", _m002_open_deadlines_index),
    (3, "cache the latest open requester deadline", _m003_requester_due_last),
    (4, "requests keep the office named (HSI, ERO), not only the one it files with", _m004_office_named),
    (5, "work in progress (an unfinished recompute)", _m005_tracker_state),
    (6, "requests keep the requester's contact details (identity data)", _m006_requester_contact),
    (8, "the inbox: agencies' mail kept as received, its matches and proposals", _m008_inbox),
    (9, "evidence vault: documents, their pages and the full-text index", _m009_vault),
    (10, "web app: accounts, sessions and lockouts, calendar tokens, settings", _m010_web_accounts),
    (11, "a filtered list reads its indexes: status, office and assignee with each deadline column; "
         "assignees by lower case (PostgreSQL)",
     _m011_filter_indexes),
    (12, "web app: the jobs table (export, import, backup with their progress)", _m012_web_jobs),
    (13, "uids as 16 bytes, timestamps as integers (SQLite), compact JSON, each deadline text stored once, "
         "deadlines and tags without rowid",
     _m013_compact),
    (14, "a tag's requests in id order: `list --tag` reads a range of its index", _m014_tag_index),
    (15, "smaller indexes: the events' by request alone, the deadline columns' without the requests that have "
         "none, none on the earliest requester window", _m015_smaller_indexes),
]
# From this version on uids and timestamps are stored compactly (an upgrade says how to reclaim the space).
COMPACTED = 13
# Versions from which an upgrade frees pages only `foia track compact` gives back (13, and 15's indexes).
SMALLER = 15
# Migrations that rebuild tables others refer to (SQLite: run with the foreign keys checked at the end).
REBUILDS = {13}
LATEST = MIGRATIONS[-1][0]
# Stored deadlines written before this schema version were counted by older rules (the derive
# changes that came with migrations 3 and 4): an upgrade from before it says to recompute.
RULES_CHANGED = 4


def migrate_store(store: Store, *, notify: Callable[[str], None] | None = None) -> int:
    """Apply pending migrations in one transaction; return the schema version. ``notify`` is told
    before an existing database is upgraded (a million requests take a minute)."""
    from sqlalchemy import func, insert, inspect, select

    from foia.tracker.models import schema_migrations

    current = store.schema_version()
    _refuse_newer(store, current)
    if current == LATEST:
        return current
    if current and notify is not None:
        notify(f"Upgrading the tracker database {store.shown()} from schema version {current} to {LATEST}: "
               "once, in one transaction (a large queue takes a minute)...")
        if current < SMALLER and store.is_sqlite:     # PostgreSQL rewrites its tables in place
            what = "Version 13 rewrites the tables" if current < COMPACTED else "Version 15 rebuilds indexes"
            notify(f"{what} in a smaller form; the file only shrinks on disk once "
                   "`foia track compact` has run (it needs as much free disk space again as the file takes).")
        if current < RULES_CHANGED:
            notify("The deadline rules changed since this database was written (one clarification stop tolls, "
                   "side appeals, appeal outcomes): run `foia track recompute` to count its stored deadlines "
                   "by this version's rules.")

    def apply(conn) -> int:
        if store.is_postgresql:
            # Two processes opening a new database at once: one migrates, the other waits. The lock
            # is the schema's (the tables live there), so trackers in other schemas of the same
            # database do not queue behind it.
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(hashtext('foia-migrate:' || current_schema()))")
        if not inspect(conn).has_table("schema_migrations"):
            schema_migrations.create(conn)
        version = conn.execute(select(func.max(schema_migrations.c.version))).scalar() or 0
        _refuse_newer(store, version)
        for number, name, fn in MIGRATIONS:
            if number > version:
                fn(conn)
                conn.execute(insert(schema_migrations).values(version=number, name=name,
                                                              applied_at=utcnow()))
                version = number
        return version

    version = store.write(apply, rebuilds=any(n in REBUILDS for n, _, _ in MIGRATIONS if n > current))
    store.analyze()  # a migration may add indexes and rewrite columns: plan from fresh figures
    return version


def _refuse_newer(store: Store, version: int) -> None:
    if version > LATEST:
        raise FoiaError(f"the tracker database {store.shown()} has schema version {version}, written by a "
                        f"newer foia (this one knows up to {LATEST}); upgrade foia to use it")
