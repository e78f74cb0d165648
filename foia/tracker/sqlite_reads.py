"""`foia track due` on a SQLite file through the standard library's ``sqlite3``, without
importing SQLAlchemy (about 100 ms of a 190 ms start; issue 20).

The SQL is not written here: ``foia/tracker/sqlite_text.py`` holds the SQLite text that
SQLAlchemy compiles from the very statements the tracker runs (foia.tracker.queries's
``due_statement`` for each of foia.tracker.morning's ``SHAPES``, the unfinished-recompute mark
of foia.tracker.refresh and the schema version of foia.tracker.store), with the schema version
it was generated for. The rows become the report in ONE function,
:func:`foia.tracker.morning.due_report`, which ``Tracker.due`` calls too.
``tests/test_sqlite_reads.py`` regenerates the text and compares it, and says how to
regenerate it when a statement, a table or the schema changed:

    .venv/bin/python -m foia.tracker.sqlite_reads

The reader refuses to guess: :func:`open_reader` gives one only for an existing SQLite file
whose schema version is the one the text was generated for and the one this foia migrates to
(``store.LATEST``). Anything else (PostgreSQL, an older or newer schema, a missing, empty,
damaged or foreign file, a URL SQLAlchemy would read differently) gets None, and the caller
opens the tracker as before, which migrates, creates or refuses with its own message. The file
is opened as the store opens it (busy timeout, WAL) but never created; an error met while
reading is the store's one line (``store.operational_error``).
"""

from __future__ import annotations

import os
import sqlite3
from collections import namedtuple
from datetime import date
from pathlib import Path

from foia.tracker.context import TrackerContext
from foia.tracker.store import BUSY_TIMEOUT_MS, LATEST, operational_error, resolve_url

TEXT_FILE = Path(__file__).with_name("sqlite_text.py")

# The statements besides the morning view's shapes (their keys in sqlite_text.STATEMENTS).
SCHEMA_VERSION_SHAPE = ("schema_version",)
RECOMPUTE_SHAPE = ("recompute_started",)


def sqlite_file(url: str | None) -> str | None:
    """The file a ``sqlite:///`` URL (else FOIA_DB, else the default file) names, when SQLAlchemy
    would open that very path: no query string, no %-escapes, no ``~`` (the store's checks
    expand it, SQLite does not). None otherwise."""
    resolved = resolve_url(url)
    if not resolved.startswith("sqlite:///"):
        return None
    database = resolved[len("sqlite:///"):]
    if not database or database == ":memory:" or database.startswith("~") or any(c in database for c in "?#%"):
        return None
    return database


def open_reader(url: str | None = None, *, today: date | None = None, directory_override=None,
                ) -> SqliteReader | None:
    """A :class:`SqliteReader` on the tracker at ``url``, or None when the stored text does not
    certainly apply (the caller then opens the tracker itself)."""
    from foia.tracker import sqlite_text

    if sqlite_text.SCHEMA_VERSION != LATEST or not _complete(sqlite_text.STATEMENTS):
        return None
    database = sqlite_file(url)
    if database is None or not os.path.isfile(database):
        return None
    try:
        # mode=rw: read-write when the file allows it, read-only when it does not (as the store
        # opens it), and never created.
        conn = sqlite3.connect(f"{Path(database).absolute().as_uri()}?mode=rw", uri=True,
                               timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    except sqlite3.Error:
        return None
    reader = SqliteReader(conn, database, sqlite_text.STATEMENTS, today=today, directory_override=directory_override)
    try:
        rows = reader.rows(SCHEMA_VERSION_SHAPE, {})
        if rows[0][0] != LATEST:
            reader.close()
            return None
        conn.execute("PRAGMA journal_mode=WAL")     # what the store sets on every connection
    except sqlite3.Error as exc:
        reader.close()
        if getattr(exc, "sqlite_errorcode", 0) & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
            # The tracker would wait as long and say the same: not twice the wait.
            raise operational_error(reader.shown, exc) from None
        return None     # not a database, damaged, no schema_migrations...: the store says which
    return reader


def _complete(statements: dict) -> bool:
    from foia.tracker.morning import SHAPES

    return all(shape in statements for shape in (*SHAPES, SCHEMA_VERSION_SHAPE, RECOMPUTE_SHAPE))


class SqliteReader(TrackerContext):
    """The tracker's reads that `foia track due` makes (``unfinished_recompute``, ``due``), as
    :class:`foia.tracker.service.Tracker` makes them, on one ``sqlite3`` connection (today, the
    directory and the calendar: :class:`foia.tracker.context.TrackerContext`, as the tracker's)."""

    def __init__(self, conn: sqlite3.Connection, database: str, statements: dict, *, today: date | None = None,
                 directory_override=None):
        super().__init__(directory_override=directory_override, today=today)
        self.conn = conn
        self.shown = str(Path(database))       # as the store names its file in messages
        self._statements = statements
        self._rows: dict = {}

    def rows(self, shape: tuple, params: dict) -> list:
        """The rows of the statement ``shape`` with ``params`` (extra keys ignored), each with its
        columns by name and converted as SQLAlchemy converts them (dates)."""
        text, constants, given, columns = self._statements[shape]
        args = dict(constants)
        for name, kind in given.items():
            value = params.get(name)
            args[name] = value.isoformat() if kind == "date" and value is not None else value
        if shape not in self._rows:
            self._rows[shape] = namedtuple("Row", [name for name, _ in columns])
        make = self._rows[shape]
        dates = [i for i, (_, kind) in enumerate(columns) if kind == "date"]
        out = []
        for raw in self.conn.execute(text, args):
            if dates:
                raw = list(raw)
                for i in dates:
                    if raw[i] is not None:
                        raw[i] = date.fromisoformat(raw[i])
            out.append(make(*raw))
        return out

    def unfinished_recompute(self) -> str | None:
        """When a full recompute that never finished started (UTC timestamp), or None."""
        try:
            found = self.rows(RECOMPUTE_SHAPE, {})
        except sqlite3.Error as exc:
            raise operational_error(self.shown, exc) from None
        return found[0][0] if found else None

    def due(self, **options) -> dict:
        """The morning view (:func:`foia.tracker.morning.due_report`), read in one transaction."""
        from foia.tracker.morning import due_report

        try:
            self.conn.execute("BEGIN")
            try:
                report = due_report(self.rows, today=self.today(), calendar=self.calendar, **options)
            except BaseException:
                if self.conn.in_transaction:     # (SQLite may have ended it on the error already)
                    self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")
        except sqlite3.Error as exc:
            raise operational_error(self.shown, exc) from None
        return report

    def close(self) -> None:
        self.conn.close()


# ---------------------------------------------------------------------------------------------
# The generator (SQLAlchemy is imported here only).


def _statements():
    """shape -> the SQLAlchemy statement the tracker runs for it."""
    from foia.tracker.morning import SHAPES
    from foia.tracker.queries import due_statement
    from foia.tracker.refresh import recompute_started_statement
    from foia.tracker.store import schema_version_statement

    out = {shape: due_statement(shape) for shape in SHAPES}
    out[SCHEMA_VERSION_SHAPE] = schema_version_statement()
    out[RECOMPUTE_SHAPE] = recompute_started_statement()
    return out


def _kind(type_, dialect, processor: str) -> str | None:
    """How a value of ``type_`` crosses the driver: None as it is, "date" as ISO text (what
    SQLAlchemy's SQLite DATE writes and reads); anything else has no rule here (ValueError)."""
    from sqlalchemy.dialects.sqlite import DATE

    impl = type_.dialect_impl(dialect)
    if (impl.bind_processor(dialect) if processor == "bind" else impl.result_processor(dialect, None)) is None:
        return None
    if isinstance(impl, DATE) and impl._storage_format == DATE._storage_format and impl._reg is None:
        return "date"
    raise ValueError(f"no sqlite3 conversion of {type_!r}")


def compiled(statement) -> tuple:
    """``statement`` for ``sqlite3``: (its SQLite text with named parameters, the values of its
    own constants as the driver gets them, {each parameter a caller gives: its kind}, ((each
    column, its kind), ...)). ValueError when a type has no conversion here."""
    from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite

    dialect = SQLiteDialect_pysqlite(paramstyle="named")
    first = statement.compile(dialect=dialect)
    binds = {name: bind for bind, name in first.bind_names.items()}
    given = {name: _kind(bind.type, dialect, "bind") for name, bind in binds.items() if bind.required}
    # IN lists become one parameter per value (SQLAlchemy expands them per run).
    state = first.construct_expanded_state({name: None for name in given})
    constants = {}
    for name, value in state.parameters.items():
        if name in given:
            continue
        bind = binds[name] if name in binds else binds[name.rsplit("_", 1)[0]]      # key_3_2: of the IN list key_3
        processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
        constants[name] = processor(value) if processor else value
    columns = tuple((c.key, _kind(c.type, dialect, "result")) for c in statement.selected_columns)
    return state.statement, constants, dict(sorted(given.items())), columns


def generate() -> str:
    """The text of ``sqlite_text.py``: one line of Python per line of SQL."""
    body = ["STATEMENTS = {"]
    skipped = []
    for shape, statement in _statements().items():
        try:
            text, constants, given, columns = compiled(statement)
        except ValueError as exc:
            skipped.append(f"# {shape!r}: {exc}")
            continue
        body += [f"    {shape!r}: (", *(f"        {line!r}" for line in text.splitlines(keepends=True))]
        body[-1] += ","
        body += [f"        {constants!r},", f"        {given!r},", f"        {columns!r}),"]
    body.append("}")
    return "\n".join([
        '"""The SQLite text of the tracker\'s reads that `foia track due` makes, generated by',
        "`python -m foia.tracker.sqlite_reads` from the SQLAlchemy statements the tracker runs.",
        "",
        "Do not edit: regenerate (tests/test_sqlite_reads.py compares it with the statements).",
        "STATEMENTS maps a shape to (SQL text, its constants, {parameter: kind}, ((column, kind), ...));",
        'a kind "date" is ISO text in the database, a date in Python."""',
        "",
        f"SCHEMA_VERSION = {LATEST}",
        *(["# Left out (foia track due then reads through SQLAlchemy):", *skipped] if skipped else []),
        *body,
        "",
    ])


if __name__ == "__main__":
    TEXT_FILE.write_text(generate(), encoding="utf-8")
    print(f"wrote {TEXT_FILE}")
