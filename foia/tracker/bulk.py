"""The import's all-or-nothing writer: every row of a checked file (foia.tracker.importer) in one
transaction, or none.

Rows are checked, derived and written in chunks of CHUNK_ROWS; from PIPELINE_FROM_ROWS rows on
(on Linux) a forked worker process checks and derives while this one writes the chunks before
(two cores busy instead of one). What needs the database is checked here: ids already taken,
uids and tracking numbers already on other requests. A problem in any chunk rolls the whole
transaction back, so nothing of the file is kept.
"""

from __future__ import annotations

import json
import operator
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Sequence

from foia.errors import FoiaError, UsageError
from foia.tracker import derive as dv
from foia.tracker.importer import (ImportRejected, Prepared, Problems, Repeats, assigned_of, keys_of,
                                   open_file, tracking_of)
from foia.tracker.models import deadline_rows, events, request_tags, requests, tracking_numbers


def import_file(tracker, path, *, fmt: str | None = None) -> dict:
    """Import requests from a CSV or JSON file, all or nothing.

    Every row is validated and any problem raises :class:`ImportRejected` (every bad row by
    row number and column); all rows go in one transaction, so a rejected or interrupted
    import leaves the database as it was. A large import validates and derives deadlines in
    a second process while this one writes (see :data:`PIPELINE_FROM_ROWS`).
    Returns counts: requests, events, renumbered (True when the file's ids were taken).
    """
    import gc

    path = Path(path)
    # Hundreds of thousands of small objects and no cycles among them: the cyclic garbage
    # collector would rescan them again and again (a third of the import time).
    collecting = gc.isenabled()
    gc.disable()
    try:
        source = open_file(path, fmt=fmt, directory=tracker.directory, today=tracker.today(), actor=tracker.actor)
        # Computed here so a forked worker inherits them (and a bad closures.yaml is reported once).
        tracker.calendar()
        counts = tracker.store.write(lambda conn: _write_all(tracker, conn, path, source))
        tracker.store.analyze()  # PostgreSQL plans from statistics: give it the imported rows
        return counts
    finally:
        if collecting:
            gc.enable()


def _batches(seq: list, n: int) -> Iterator[list]:
    for i in range(0, len(seq), n):
        yield seq[i:i + n]


IMPORT_CACHE_KIB = -262_144
# Rows validated, derived and written together. An import of PIPELINE_FROM_ROWS rows or more
# validates and derives in a forked worker process while this process writes the chunks it
# has finished: on two cores the Python work and SQLite's inserts overlap (figures in
# docs/tracker.md). The first chunk is smaller so that writing starts sooner.
CHUNK_ROWS = 5_000
FIRST_CHUNK_ROWS = 1_000
PIPELINE_FROM_ROWS = 20_000
_EVENT_COLUMNS = ("id", "uid", "type", "occurred_on", "status", "recorded_at", "actor", "note", "data", "request_id")
_DEADLINE_COLUMNS = ("request_id", "key", "text_id", "party", "start", "due", "open", "closed_on")


class _Ids:
    """Where the import's request and event numbers start, or that the file's own are kept;
    the next numbers to give, advanced chunk by chunk."""

    def __init__(self, keep: bool, next_id: int, ev_keep: bool, next_ev: int):
        self.keep, self.next_id, self.ev_keep, self.next_ev = keep, next_id, ev_keep, next_ev


def _produce(tracker, source, ids: _Ids, dialect: str, path: Path) -> Iterator[dict]:
    """Validate the file chunk by chunk; while no row has a problem, also derive each chunk's
    deadlines and build its rows for the driver. Runs in the worker process or in this one."""
    failed = False
    # A small first chunk: the writer starts sooner.
    bounds = [0, *range(min(FIRST_CHUNK_ROWS, CHUNK_ROWS), len(source.items), CHUNK_ROWS), len(source.items)]
    for start, end in zip(bounds, bounds[1:]):
        problems = Problems(str(path))
        prepared = source.prepare(source.items[start:end], problems)
        failed = failed or bool(problems.items)
        chunk = {"problems": problems.items, "requests": len(prepared)}
        if not failed:
            chunk.update(_chunk_rows(tracker, prepared, ids, dialect, path, corrections=source.has_corrections))
        yield chunk


def _chunk_rows(tracker, prepared: list[Prepared], ids: _Ids, dialect: str, path: Path, *,
                corrections: bool = True) -> dict:
    """Number the chunk's requests and events, derive their deadlines and build the INSERTs."""
    from foia.tracker.refresh import cache_values

    calendar = tracker.calendar()
    rules = tracker.rules
    make_event = dv.Event._make
    # An event's values in dv.Event's field order; the row for the driver is the same tuple
    # plus the request id (_EVENT_COLUMNS).
    event_values = operator.itemgetter("id", "uid", "type", "occurred_on", "status", "recorded_at", "actor", "note",
                                       "data")
    no_corrections = ((),)
    warnings = Problems(str(path))
    req_rows, ev_rows, tag_rows, dl_rows, tn_rows = [], [], [], [], []
    assigned: list[tuple[str, str, str]] = []
    for p in prepared:
        if ids.keep:
            rid = p.row["id"] = p.src_id
        else:
            rid = p.row["id"] = ids.next_id
            ids.next_id += 1
        if not ids.ev_keep:
            for e in p.events:
                e["id"] = ids.next_ev
                ids.next_ev += 1
            if corrections and any(e["type"] == "correction" for e in p.events):
                # A correction names the event it corrects by uid (stable) and by id (shown): renumber.
                numbers = {e["uid"]: e["id"] for e in p.events}
                for e in p.events:
                    if e["type"] == "correction" and e["data"].get("event_uid") in numbers:
                        e["data"] = dict(e["data"], event=numbers[e["data"]["event_uid"]])
        objs = []
        request_id = (rid,)
        for e in p.events:
            values = event_values(e)
            objs.append(make_event(values + no_corrections))
            ev_rows.append(values + request_id)
        evs = dv.effective(objs)
        # The deadlines table keeps dates, not explanations (`track show --explain` recomputes
        # them live): the day-by-day text would be built only to be thrown away.
        state = dv.derive(evs, expedite=p.row["expedite"], rules=rules(p.row["office"]), calendar=calendar,
                          already_effective=True, explain=False, kind=p.row["kind"])
        for warning in state.warnings:
            warnings.add(p.where, warning)
        p.row.update(cache_values(state))
        req_rows.append(p.row)
        for tag in p.tags:
            tag_rows.append((rid, tag))
        for t in state.deadlines:
            d = t.deadline
            dl_rows.append((rid, d.key, d.label, t.party, d.start, d.due, d.rule, t.open, t.closed_on))
        numbers = tracking_of(evs)
        tn_rows.extend((rid, *t) for t in numbers.values())
        if not p.given_uids:
            assigned += assigned_of(p, numbers)
    return {
        **keys_of(prepared, assigned),
        "warnings": warnings.items,
        "first_id": req_rows[0]["id"] if req_rows else None,
        "last_id": req_rows[-1]["id"] if req_rows else None,
        "events": len(ev_rows),
        "inserts": (insert_columns(dialect, requests, req_rows)
                    + insert_columns(dialect, events, ev_rows, columns=_EVENT_COLUMNS)
                    + insert_columns(dialect, request_tags, tag_rows, columns=("request_id", "tag"))
                    + insert_columns(dialect, tracking_numbers, tn_rows,
                                     columns=("request_id", "number", "reason", "recorded_on"))),
        # (request_id, key, label, party, start, due, rule, open, closed_on): the writer numbers the
        # texts (deadline_inserts), in its own transaction.
        "deadlines": dl_rows,
    }


def _pipelined(rows: int) -> bool:
    import sys
    import threading

    # fork copies this process (directory, rules, the parsed file) for free; it is unsafe once
    # other threads run, unsafe on macOS once system frameworks are loaded, and missing on
    # Windows: those import in one process.
    return rows >= PIPELINE_FROM_ROWS and threading.active_count() == 1 and sys.platform.startswith("linux")


# The chunks the worker may have handed over and the importing process not yet read: each in a
# memory file of its own, written again once read (the memory held is a few chunks, not the import).
SLOTS = 3


class _Worker:
    """The chunks of ``produce()`` computed in a forked process and received here in order.

    A chunk (a few megabytes of rows) goes through an anonymous in-memory file, and the pipe
    says where it is: through the pipe itself (64 KiB at a time) each chunk took dozens of
    hand-offs between the processes, each waiting for the other one to be scheduled again; on
    a busy machine the writer spent a third of the import waiting so. The files are never on
    disk and go away with the processes. There are :data:`SLOTS` of them, used in turn: this
    process says when it has read one (the ``acks`` pipe), and the worker, :data:`SLOTS` chunks
    ahead at most, waits for that before writing it again."""

    def __init__(self, produce):
        import multiprocessing
        import os

        ctx = multiprocessing.get_context("fork")
        self.inbox, outbox = ctx.Pipe(duplex=False)
        acks, self.acks = ctx.Pipe(duplex=False)
        self.fds = ([os.memfd_create("foia-import", os.MFD_CLOEXEC) for _ in range(SLOTS)]
                    if hasattr(os, "memfd_create") else None)
        self.process = ctx.Process(target=_work, args=(produce, outbox, self.fds, acks), daemon=True,
                                   name="foia-import")
        self.process.start()
        outbox.close()
        acks.close()

    def __iter__(self) -> Iterator[dict]:
        import pickle

        while True:
            try:
                kind, payload = self.inbox.recv()
            except EOFError:
                raise FoiaError("the import's worker process stopped unexpectedly; nothing imported") from None
            if kind == "done":
                return
            if kind == "chunk":
                if self.fds is None:
                    yield payload
                    continue
                slot, size = payload
                chunk = pickle.loads(_read_at(self.fds[slot], 0, size))
                try:
                    self.acks.send(slot)        # read: the worker may write that file again
                except OSError:
                    pass                        # it has sent every chunk and stopped
                yield chunk
            elif kind in ("foia", "usage"):
                message, field = payload        # the message keeps its fields (Text pickles)
                raise (UsageError if kind == "usage" else FoiaError)(message, field=field)
            else:
                raise RuntimeError(f"the import's worker process failed; nothing imported:\n{payload}")

    def close(self) -> None:
        import os

        self.inbox.close()
        self.acks.close()
        if self.process.is_alive():
            self.process.terminate()
        self.process.join()
        for fd in self.fds or ():
            os.close(fd)


def _read_at(fd: int, offset: int, size: int) -> bytes:
    import os

    parts = []
    while size > 0:
        part = os.pread(fd, size, offset)
        if not part:
            raise FoiaError("the import's worker process stopped unexpectedly; nothing imported")
        parts.append(part)
        offset += len(part)
        size -= len(part)
    return b"".join(parts) if len(parts) != 1 else parts[0]


def _work(produce, outbox, fds: list[int] | None = None, acks=None) -> None:
    """The worker process: send each chunk (into the next of ``fds``, and which and how long
    through the pipe; a file is written again once ``acks`` says it was read), then "done"; an
    error is sent as text."""
    import os
    import pickle
    import traceback

    try:
        for n, chunk in enumerate(produce()):
            if fds is None:
                outbox.send(("chunk", chunk))
                continue
            slot = n % len(fds)
            if n >= len(fds):
                acks.recv()         # the importing process has read the chunk this file held
            data = memoryview(pickle.dumps(chunk, protocol=pickle.HIGHEST_PROTOCOL))
            size, written = len(data), 0
            while written < size:
                written += os.pwrite(fds[slot], data[written:], written)
            outbox.send(("chunk", (slot, size)))
        outbox.send(("done", None))
    except (BrokenPipeError, EOFError, KeyboardInterrupt):
        pass            # the importing process has stopped: nothing to report to
    except UsageError as exc:
        outbox.send(("usage", (exc.args[0], exc.field)))
    except FoiaError as exc:
        outbox.send(("foia", (exc.args[0], exc.field)))
    except BaseException:  # noqa: BLE001 - reported by the importing process, with the traceback
        outbox.send(("error", traceback.format_exc()))
    finally:
        outbox.close()


def _write_all(tracker, conn, path: Path, source) -> dict:
    from sqlalchemy import func, select

    store = tracker.store
    if store.is_postgresql:
        # Ids are chosen here: keep concurrent adds out until the commit (reads go on).
        conn.exec_driver_sql("LOCK TABLE requests, events IN SHARE ROW EXCLUSIVE MODE")
    top = conn.execute(select(func.max(requests.c.id))).scalar() or 0
    wanted = source.wanted_ids()
    keep = wanted is not None and len(set(wanted)) == len(wanted) and not _any_taken(conn, requests.c.id, wanted)
    ev_top = conn.execute(select(func.max(events.c.id))).scalar() or 0
    ev_wanted = source.wanted_event_ids()
    ev_keep = (ev_wanted is not None and len(set(ev_wanted)) == len(ev_wanted)
               and not _any_taken(conn, events.c.id, ev_wanted))
    ids = _Ids(keep, top + 1, ev_keep, ev_top + 1)

    def produce():
        return _produce(tracker, source, ids, conn.dialect.name, path)

    # Problems in the order a reader fixes them: bad rows first; then numbers or uids given
    # twice in the file; then uids already in the database; then histories that do not add up.
    bad, taken, warnings = [], Problems(str(path)), []
    repeats = Repeats(str(path), tracker.filing_ids())
    counts = {"requests": 0, "events": 0, "first_id": None, "last_id": None}
    cache = None
    texts: dict = {}        # (label, rule) -> deadline_texts.id, in this transaction
    worker = _Worker(produce) if _pipelined(len(source.items)) else None
    try:
        for chunk in worker if worker is not None else produce():
            bad.extend(chunk["problems"])
            if bad:
                continue
            warnings.extend(chunk["warnings"])
            repeats.add(chunk)
            _check_taken(conn, chunk, taken, repeats.filing)
            if repeats.found() or taken.items or warnings:
                continue
            if cache is None and store.is_sqlite:
                # The pages this transaction changes (index leaves all over a large database) stay
                # in memory until the commit instead of being spilled to the WAL and read back
                # again. Memory only: the journal and the fsync at commit are unchanged.
                cache = conn.exec_driver_sql("PRAGMA cache_size").scalar()
                conn.exec_driver_sql(f"PRAGMA cache_size={IMPORT_CACHE_KIB}")
            execute_columns(conn, chunk["inserts"])
            execute_many(conn, deadline_inserts(conn, chunk["deadlines"], texts))
            counts["requests"] += chunk["requests"]
            counts["events"] += chunk["events"]
            if counts["first_id"] is None:
                counts["first_id"] = chunk["first_id"]
            if chunk["last_id"] is not None:
                counts["last_id"] = chunk["last_id"]
    finally:
        if worker is not None:
            worker.close()
        if cache is not None:
            conn.exec_driver_sql(f"PRAGMA cache_size={int(cache)}")
    for found in (bad, repeats.problems(), taken.items, warnings):
        if found:
            raise ImportRejected(str(path), found)
    if store.is_postgresql:
        for table in ("requests", "events", "tracking_numbers"):
            conn.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                 f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)")
    if getattr(source, "inbox", None) is not None:
        from foia.inbox.service import restore_messages

        counts["messages"] = restore_messages(conn, source.inbox, path)
    return {"requests": counts["requests"], "events": counts["events"],
            "renumbered": bool(repeats.seen_ids) and not keep,
            "first_id": counts["first_id"], "last_id": counts["last_id"], "messages": counts.get("messages", 0)}


def _check_taken(conn, chunk: dict, problems: Problems, filing: dict[str, str]) -> None:
    """Requests already here are refused: importing twice would duplicate them. A row with a uid
    is recognised by it; a row without one by the tracking number its office assigned. Reported
    in file order."""
    from sqlalchemy import select

    found: list[tuple[str, str]] = []
    by_uid = {uid: where for where, uid in chunk["uids"]}
    for part in _batches(list(by_uid), 500):
        for uid, rid in conn.execute(select(requests.c.uid, requests.c.id).where(requests.c.uid.in_(part))):
            found.append((by_uid[uid], f"already in the database as request {rid} (same uid); remove the row "
                                       "or its uid column"))
    by_number: dict[str, list[tuple[str, str]]] = {}
    for where, office, number in chunk["assigned"]:
        by_number.setdefault(number, []).append((where, office))
    # Every row of a spreadsheet import has a number to look up: the driver's cursor, without
    # SQLAlchemy compiling an IN list per batch (a third of a second per 100,000 rows).
    mark = "?" if conn.dialect.name == "sqlite" else "%s"
    cursor = conn.connection.cursor()
    try:
        hits = []
        if conn.dialect.name == "postgresql":
            with _index_lookups(cursor):
                cursor.execute(ASSIGNED_LOOKUP_PG, (list(by_number),))
                hits += cursor.fetchall()
        else:
            for part in _batches(list(by_number), 500):
                cursor.execute("SELECT t.number, r.office, r.id FROM tracking_numbers t JOIN requests r ON r.id = "
                               f"t.request_id WHERE t.reason = 'assigned' AND t.number IN "
                               f"({', '.join([mark] * len(part))})", part)
                hits += cursor.fetchall()
    finally:
        cursor.close()
    for number, office, rid in hits:
        for where, wanted in by_number[number]:
            if filing.get(wanted, wanted) == filing.get(office, office):      # HSI's numbers are ICE's
                found.append((where, f"tracking number {number} ({office}) is already on request {rid}; "
                                     "remove the row if the file was imported before"))
    if found:
        order = {where: i for i, where in enumerate(chunk["rows"])}
        for where, what in sorted(found, key=lambda f: order.get(f[0], -1)):
            problems.add(where, what)
    # Events come with their requests: one line for them all (a file imported twice would
    # otherwise list every event of every request).
    taken = [uid for part in _batches(chunk["event_uids"], 500)
             for (uid,) in conn.execute(select(events.c.uid).where(events.c.uid.in_(part)))]
    if taken:
        more = f" and {len(taken) - 1} more are" if len(taken) > 1 else " is"
        problems.add("events", f"event uid {taken[0]}{more} already in the database")


# PostgreSQL: the numbers of a chunk looked up in one statement, by the index on
# tracking_numbers(number). The rows this import wrote have no statistics until it commits, so
# the planner took the growing tables for empty ones and read them whole for every chunk: a
# first import of 100,000 rows took 230 s, quadratic. _index_lookups makes the index the plan
# whatever the statistics say.
# One lookup per number (LATERAL, kept apart from the outer query by OFFSET 0), so no plan can
# scan the whole table, whatever the statistics say.
ASSIGNED_LOOKUP_PG = ("SELECT n.number, x.office, x.id FROM unnest(%s::text[]) AS n(number) CROSS JOIN LATERAL "
                      "(SELECT r.office, r.id FROM tracking_numbers t JOIN requests r ON r.id = t.request_id "
                      "WHERE t.number = n.number AND t.reason = 'assigned' OFFSET 0) AS x")
_LOOKUP_SETTINGS = ("enable_seqscan", "enable_hashjoin", "enable_mergejoin")


@contextmanager
def _index_lookups(cursor):
    """Within the block, PostgreSQL plans index lookups and nested loops (each setting is put
    back as it was afterwards, inside the same transaction)."""
    before = []
    for name in _LOOKUP_SETTINGS:
        cursor.execute("SELECT current_setting(%s), set_config(%s, 'off', true)", (name, name))
        before.append((name, cursor.fetchone()[0]))
    yield
    # Not on an error: PostgreSQL then rolls the transaction back, settings included.
    for name, value in before:
        cursor.execute("SELECT set_config(%s, %s, true)", (name, value))


class _Memo(dict):
    """value -> converted value, computed once per distinct value (a few thousand distinct dates
    among a million values); ``memo.__getitem__`` maps a whole column at C speed."""

    def __init__(self, convert):
        super().__init__({None: None})
        self.convert = convert

    def __missing__(self, value):
        out = self[value] = self.convert(value)
        return out


# Shared by every import in the process: a few thousand distinct dates, two booleans.
_ISO_DATES = _Memo(operator.methodcaller("isoformat"))
_INTS = _Memo(int)


def _json_encoder():
    """``JSONEncoder(ensure_ascii=False).encode`` for dicts and lists, without building the C
    encoder again for every value (half the cost of a small dict)."""
    from json import encoder

    base = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
    plain = base.encode
    if encoder.c_make_encoder is None:
        return plain
    # No spaces after ':' and ',' (as the engines' json_serializer writes, store.py): three bytes
    # of every imported event.
    make = encoder.c_make_encoder(None, base.default, encoder.encode_basestring, None, ":", ",", False, False,
                                  True)
    return lambda v: "".join(make(v, 0)) if isinstance(v, (dict, list)) else plain(v)


def deadline_inserts(conn, rows: list[tuple], texts: dict) -> list[tuple[str, list]]:
    """The INSERTs of a chunk's deadline rows, their label and rule replaced by the number of the text
    (stored now if new; ``texts`` keeps the numbers for the next chunks)."""
    from foia.tracker.refresh import text_ids

    if not rows:
        return []
    ids = text_ids(conn, {(r[2], r[6]) for r in rows}, texts)
    numbered = [(r[0], r[1], ids[(r[2], r[6])], r[3], r[4], r[5], r[7], r[8]) for r in rows]
    return insert_statements(conn.dialect.name, deadline_rows, numbered, columns=_DEADLINE_COLUMNS)


def execute_many(conn, statements: list[tuple[str, list]]) -> None:
    """Run :func:`insert_statements`' pairs (or any SQL with parameter tuples) through the driver."""
    cursor = conn.connection.cursor()
    try:
        for sql, params in statements:
            with _as_sqlalchemy_errors(conn, sql):
                cursor.executemany(sql, params)
    finally:
        cursor.close()


class Same:
    """A column of :func:`insert_columns` whose every row holds ``value``."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def __reduce__(self):
        return Same, (self.value,)


def _rows_of(n: int, columns: list):
    """The rows of :func:`insert_columns`' columns, a tuple at a time as the driver asks for them."""
    from itertools import repeat

    return zip(*[repeat(c.value, n) if type(c) is Same else c for c in columns])


def execute_columns(conn, statements: list[tuple[str, int, list]]) -> None:
    """Run :func:`insert_columns`' triples through the driver."""
    cursor = conn.connection.cursor()
    try:
        for sql, n, columns in statements:
            with _as_sqlalchemy_errors(conn, sql):
                cursor.executemany(sql, _rows_of(n, columns))
    finally:
        cursor.close()


@contextmanager
def _as_sqlalchemy_errors(conn, sql: str):
    """The driver's errors as SQLAlchemy raises them (OperationalError for a full disk...), so that
    Store.write gives its one line, or runs a PostgreSQL transaction again, as for any other write."""
    from sqlalchemy.exc import DBAPIError

    base = conn.dialect.loaded_dbapi.Error
    try:
        yield
    except base as exc:
        raise DBAPIError.instance(sql, None, exc, base, dialect=conn.dialect) from exc


def insert_statements(dialect: str, table, rows: list, *, columns: Sequence[str] | None = None,
                      batch: int = 50_000) -> list[tuple[str, list]]:
    """``rows`` as (INSERT statement, parameter tuples) pairs for the driver's executemany
    (:func:`insert_columns`, the rows put together)."""
    return [(sql, list(_rows_of(n, cols))) for sql, n, cols in insert_columns(dialect, table, rows, columns=columns,
                                                                               batch=batch)]


def insert_columns(dialect: str, table, rows: list, *, columns: Sequence[str] | None = None,
                   batch: int = 50_000) -> list[tuple[str, int, list]]:
    """``rows`` as (INSERT statement, number of rows, columns) for the driver's executemany
    (:func:`execute_columns` zips the columns into rows). A column is the sequence of its
    values, or :class:`Same` holding the one value of every row (an import's events share their
    recorded_at, actor and data), or the ``range`` of the numbers an import gives: the worker
    process sends each such value once instead of once a row.

    ``rows`` are dicts (the columns are the first row's keys) or, with ``columns``, sequences of
    values in that order.

    SQLAlchemy's executemany processes every parameter of every row in Python (type
    processors, JSON serialisation); for 100,000 requests and their events that is most of
    the import time. Here values are converted a column at a time, once per distinct value
    (dates to ISO text and booleans to 0/1 on SQLite, JSON to text), and uids and timestamps by
    the same functions as their column types (foia.tracker.codec). A column that is NULL in
    every row of a batch is left out of the INSERT: the tables have no server-side defaults,
    so the stored rows are the same, and the driver binds fewer parameters.
    """
    if not rows:
        return []
    from sqlalchemy import JSON, Boolean, Date

    from foia.tracker.codec import stamp_value, uid_bytes
    from foia.tracker.models import Stamp, Uid

    sqlite = dialect == "sqlite"
    if columns is None:
        names = [c.name for c in table.columns if c.name in rows[0]]
        getter = operator.itemgetter(*names)
        rows = list(map(getter, rows)) if len(names) > 1 else [(v,) for v in map(getter, rows)]
    else:
        names = list(columns)
    mark = "?" if sqlite else "%s"

    encode = _json_encoder()
    convs = []
    for name in names:
        column = table.c[name]
        if isinstance(column.type, JSON):
            convs.append("json")
        elif isinstance(column.type, Uid):
            convs.append(uid_bytes)
        elif isinstance(column.type, Stamp) and sqlite:
            convs.append(_Memo(stamp_value).__getitem__)    # an import's rows share one or a few
        elif isinstance(column.type, Date) and sqlite:
            convs.append(_ISO_DATES.__getitem__)
        elif isinstance(column.type, Boolean) and sqlite:
            convs.append(_INTS.__getitem__)
        else:
            convs.append(None)
    droppable = [table.c[name].server_default is None for name in names]
    out = []
    for start in range(0, len(rows), batch):
        chunk = rows[start:start + batch]
        cols = list(zip(*chunk))
        kept, values = [], []
        for i, name in enumerate(names):
            col = cols[i]
            if droppable[i] and col[0] is None and col.count(None) == len(col):
                continue
            conv = convs[i]
            if conv == "json" and col.count([]) == len(col):     # systems, vendors... all empty
                col = Same("[]")
            elif conv == "json":
                # Encoded once per object: objects alive for the whole batch have stable ids, and
                # an import's events share one {"imported": true}.
                objects = {id(v): v for v in col}
                texts = {k: (None if v is None else encode(v)) for k, v in objects.items()}
                col = list(map(texts.__getitem__, map(id, col)))
            elif conv is not None:
                col = list(map(conv, col))
            if name == "id" and _consecutive(col):
                col = range(col[0], col[-1] + 1)     # the numbers this import gives, in order
            elif type(col) is not Same and col.count(col[0]) == len(col) and len(set(map(type, col))) == 1:
                col = Same(col[0])  # the same value in every row (of one type: 1 == True)
            kept.append(name)
            values.append(col)
        if not kept:        # every value NULL: say so for one column
            kept, values = names[:1], [Same(None)]
        sql = (f"INSERT INTO {table.name} ({', '.join(kept)}) "
               f"VALUES ({', '.join(mark for _ in kept)})")
        out.append((sql, len(chunk), values))
    return out


def _consecutive(col) -> bool:
    first = col[0]
    return (type(first) is int and type(col[-1]) is int and col[-1] - first == len(col) - 1
            and all(map(operator.eq, col, range(first, first + len(col)))))


def _any_taken(conn, column, ids: list[int]) -> bool:
    from sqlalchemy import select

    for chunk in _batches(sorted(set(ids)), 500):
        if conn.execute(select(column).where(column.in_(chunk)).limit(1)).first() is not None:
            return True
    return False
