"""The tracker's tables (SQLAlchemy Core): the current schema, which the migrations build.

- ``requests``: one row per request. Its ``status``/``status_on``/``filed_on`` and the
  ``agency_due``/``requester_due``/``requester_due_last`` columns are caches of what the events say, rewritten in the
  same transaction as every change, so listings can filter and sort without reading events.
- ``events``: the history, append-only. The service never updates or deletes an event; a
  mistake is corrected by a new ``correction`` event. The one exception is ``purge``, which
  blanks identity data inside events (see ``IDENTITY_EVENT_KEYS``) and records that it did.
- ``tracking_numbers``: several per request, each with its reason (552(a)(7)(A) gives one per
  request taking longer than 10 days; splits, referrals and appeals bring more).
- ``deadlines``: the deadline engine's output for each request, the open ones indexed on (key, due)
  so the morning view reads a few index ranges even with a million requests. A view (migration 13)
  over ``deadline_rows`` and ``deadline_texts``, which keeps each label and rule once.

Dates are ``Date`` columns (ISO text on SQLite, so comparisons are chronological).
Uids and timestamps are read and written as text (``0192c1d2-...``, ``2025-01-02T15:04:05.123456Z``)
and stored smaller (schema version 13): uids as 16 bytes, timestamps as integers on SQLite. The
``Uid`` and ``Stamp`` column types convert, with ``foia.tracker.codec``'s functions; exports
round-trip byte for byte on both backends.
"""

from __future__ import annotations

from sqlalchemy import (JSON, Boolean, Column, Date, ForeignKey, Index, Integer, LargeBinary, MetaData,
                        PrimaryKeyConstraint, String, Table, Text, TypeDecorator, UniqueConstraint, true)

from foia.tracker.codec import stamp_text, stamp_value, uid_bytes, uid_text

metadata = MetaData()


class Uid(TypeDecorator):
    """A uid: text to the program, bytes in the database (BLOB / bytea; see foia.tracker.codec)."""

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else uid_bytes(value)

    def process_result_value(self, value, dialect):
        return None if value is None else uid_text(value)


class Stamp(TypeDecorator):
    """A timestamp: ISO-8601 text to the program; on SQLite an INTEGER column holding microseconds
    since the epoch (or an imported text form as it was), on PostgreSQL text (foia.tracker.codec)."""

    impl = String(32)
    cache_ok = True

    def load_dialect_impl(self, dialect):
        return dialect.type_descriptor(Integer() if dialect.name == "sqlite" else String(32))

    def process_bind_param(self, value, dialect):
        return value if value is None or dialect.name != "sqlite" else stamp_value(value)

    def process_result_value(self, value, dialect):
        return value if value is None or dialect.name != "sqlite" else stamp_text(value)


# Identity fields of a request: never printed unless asked (--identity), removed by
# `export --redact`, blanked by `purge`. The letter text is one: a first-party (Privacy Act)
# letter carries the subject's date and place of birth and A-Number (6 CFR 5.21(e)).
IDENTITY_COLUMNS = ("requester", "client_name", "client_dob", "client_a_number", "letter_text", "requester_contact")

# Keys inside events' ``data`` that can identify a client: file names of received records
# ("Garcia A-File.pdf"), paths of drafted letters, and the identity fields a ``created``
# event copies. Purge and --redact blank exactly these.
IDENTITY_EVENT_KEYS = frozenset(IDENTITY_COLUMNS) | {"files", "path"}

requests = Table(
    "requests", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("uid", Uid, nullable=False, unique=True),
    Column("title", Text, nullable=False),
    Column("office", String(64), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("status", String(32), nullable=False),
    Column("status_on", Date),
    Column("filed_on", Date),
    Column("sent_via", String(16)),
    Column("assignee", String(200)),
    Column("requester", Text),
    Column("client_name", Text),
    Column("client_dob", String(10)),
    Column("client_a_number", String(32)),
    Column("fee_category", String(16)),
    Column("fee_limit", String(20)),
    Column("fee_waiver", Boolean, nullable=False, default=False),
    Column("expedite", Boolean, nullable=False, default=False),
    Column("systems", JSON),
    Column("vendors", JSON),
    Column("contracts", JSON),
    Column("letter_text", Text),
    Column("office_snapshot", JSON),
    Column("agency_due", Date),
    Column("agency_due_key", String(32)),
    Column("requester_due", Date),
    Column("requester_due_key", String(32)),
    Column("created_at", Stamp, nullable=False),
    Column("updated_at", Stamp, nullable=False),
    Column("purged_at", Stamp),
    # The latest open requester deadline (migration 3). `requester_due` is the earliest, which
    # may have lapsed while a later window is still open: `list` then looks that one up in
    # `deadlines`, and only for the few requests where the two columns straddle --today.
    Column("requester_due_last", Date),
    # The requester's email, postal address and phone as filed (migration 6): in a shared queue
    # the follow-up and the appeal give the agency these, not whoever runs the command.
    Column("requester_contact", JSON),
    # Never reuse the id of a request, even the highest one (SQLite AUTOINCREMENT).
    sqlite_autoincrement=True,
)
# A filtered `list` (status, office, assignee) reads, as the unfiltered one does, the first rows
# by agency deadline and by latest requester window: these make each a range scan under its filter
# (migration 11; they replaced one-column indexes on status, office and assignee, their prefixes).
# The indexes on requester_due_last hold only the requests that have one (migration 15): every
# query reading them asks for a window on or after --today, which both databases take as implying
# it. Those on agency_due stay whole: the requests with no deadline are a range of them
# (`agency_due IS NULL`, in id order), which the parts of `list` for them read.
# (Their PostgreSQL WHERE is given by postgresql_options(), as the open deadlines' index's.)
FILTER_INDEXES = tuple(Index(f"ix_requests_{name}_{due}", getattr(requests.c, name), getattr(requests.c, due),
                             **({"sqlite_where": getattr(requests.c, due).is_not(None)}
                                if due == "requester_due_last" else {}))
                       for name in ("status", "office", "assignee") for due in ("agency_due", "requester_due_last"))
Index("ix_requests_agency_due", requests.c.agency_due)
REQUESTER_DUE_LAST_INDEX = Index("ix_requests_requester_due_last", requests.c.requester_due_last,
                                 sqlite_where=requests.c.requester_due_last.is_not(None))
# Partial on both databases (migration 15), in the order it creates them. SQLite, which keeps no
# statistics here, takes of two indexes that cost it the same the one created last: a status then
# drives a filtered list's requester-window part, then an assignee, then an office (as `list` means
# them to; an office's index read 511 rows where the status's read none, 1.6x the time at 1.1M).
PARTIAL_INDEXES = (REQUESTER_DUE_LAST_INDEX,
                   *(next(i for i in FILTER_INDEXES if i.name == f"ix_requests_{name}_requester_due_last")
                     for name in ("office", "assignee", "status")))
# (No index on requester_due, the earliest window, since migration 15: no query asks for a range of it.)

request_tags = Table(
    "request_tags", metadata,
    Column("request_id", Integer, ForeignKey("requests.id"), nullable=False),
    Column("tag", String(100), nullable=False),
    PrimaryKeyConstraint("request_id", "tag"),
    # The primary key is the table (migration 13): no second copy of every row in a rowid table.
    sqlite_with_rowid=False,
)
# A tag's requests in id order (migration 14; it replaced an index on the tag alone): `list --tag`
# reads the first ones without a deadline as a range of it instead of sorting all of them.
TAG_INDEX = Index("ix_request_tags_tag_request", request_tags.c.tag, request_tags.c.request_id)

tracking_numbers = Table(
    "tracking_numbers", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("request_id", Integer, ForeignKey("requests.id"), nullable=False),
    Column("number", String(100), nullable=False),
    Column("reason", String(16), nullable=False),
    Column("recorded_on", Date),
    # Its index also serves look-ups by request (request_id is its first column).
    UniqueConstraint("request_id", "number", name="uq_tracking_number"),
)
Index("ix_tracking_numbers_number", tracking_numbers.c.number)

events = Table(
    "events", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("uid", Uid, nullable=False, unique=True),
    Column("request_id", Integer, ForeignKey("requests.id"), nullable=False),
    Column("type", String(32), nullable=False),
    Column("status", String(32)),          # the status this event set, if any
    Column("occurred_on", Date, nullable=False),   # when it happened (--on), not when typed
    Column("recorded_at", Stamp, nullable=False),
    Column("actor", String(200)),
    Column("note", Text),
    Column("data", JSON),
    # No AUTOINCREMENT: events are never deleted, so SQLite's max(id)+1 never reuses an id,
    # and bulk imports skip the sqlite_sequence bookkeeping on every row.
)
# A request's events, in id order (the index's own rowid order). Migration 15 took occurred_on out of
# it: no query read a range of dates by it, and it was a third of the index.
EVENTS_INDEX = Index("ix_events_request", events.c.request_id)

# A deadline's label and rule ("Determination due", "5 U.S.C. 552(a)(6)(A)(i); 6 CFR 5.5(a)"), stored
# once (migration 13): a hundred thousand requests share a few dozen of them.
deadline_texts = Table(
    "deadline_texts", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("label", String(80), nullable=False),
    Column("rule", Text, nullable=False),
    UniqueConstraint("label", "rule", name="uq_deadline_text"),
)

# The deadlines as stored (migration 13): the deadline engine's output for each request, its label
# and rule by number. Written by refresh.write_deadlines; read through the ``deadlines`` view.
deadline_rows = Table(
    "deadline_rows", metadata,
    Column("request_id", Integer, ForeignKey("requests.id"), nullable=False),
    Column("key", String(32), nullable=False),
    Column("text_id", Integer, ForeignKey("deadline_texts.id"), nullable=False),
    Column("party", String(10), nullable=False),     # "agency" | "requester": who must act
    Column("start", Date, nullable=False),
    Column("due", Date),                             # NULL while the clock is stopped (tolled)
    Column("open", Boolean, nullable=False),
    Column("closed_on", Date),
    PrimaryKeyConstraint("request_id", "key"),
    # The primary key is the table: no second copy of every row in a rowid table.
    sqlite_with_rowid=False,
)
# Only open deadlines are asked for by date (the morning view, the calendar export): an archive's
# closed ones stay out of the index, so it stays small and an import writes fewer of its pages.
# (Version 1 indexed every deadline on (open, key, due); migration 2 replaced it.)
# PostgreSQL's WHERE is given by postgresql_options() when a PostgreSQL store opens: naming it
# here would import SQLAlchemy's PostgreSQL dialect into every SQLite command (~12% of the
# tracker's import time).
# `open` is also a column of it: SQLite does not count a partial index's WHERE as covered in a
# WITHOUT ROWID table, and looked every counted deadline up in the table (the morning view's
# counts 20 times slower, 3 ms against 0.15 on 100,000 requests).
OPEN_DEADLINES_INDEX = Index("ix_deadlines_open_due", deadline_rows.c.key, deadline_rows.c.due, deadline_rows.c.open,
                             sqlite_where=deadline_rows.c.open == true())


def postgresql_options() -> None:
    """The PostgreSQL-only parts of the schema (the open deadlines' partial index)."""
    OPEN_DEADLINES_INDEX.dialect_options["postgresql"]["where"] = deadline_rows.c.open == true()
    for index in PARTIAL_INDEXES:
        index.dialect_options["postgresql"]["where"] = index.dialect_options["sqlite"]["where"]


# What the reads see: each deadline with its label and rule, a view over the two tables above
# (``DEADLINES_VIEW``; outside ``metadata``, which creates tables). Each text is a subquery of its
# own, which both backends evaluate only when a query reads it: the morning view's counts read
# deadline_rows and its index alone (a join was kept by SQLite's planner even when unused).
views = MetaData()
deadlines = Table(
    "deadlines", views,
    Column("request_id", Integer, nullable=False),
    Column("key", String(32), nullable=False),
    Column("label", String(80), nullable=False),
    Column("party", String(10), nullable=False),
    Column("start", Date, nullable=False),
    Column("due", Date),
    Column("rule", Text, nullable=False),
    Column("open", Boolean, nullable=False),
    Column("closed_on", Date),
)
DEADLINES_VIEW = ("CREATE VIEW deadlines AS SELECT d.request_id, d.key, "
                  "(SELECT t.label FROM deadline_texts t WHERE t.id = d.text_id) AS label, d.party, d.start, d.due, "
                  "(SELECT t.rule FROM deadline_texts t WHERE t.id = d.text_id) AS rule, d.open, d.closed_on "
                  "FROM deadline_rows d")

schema_migrations = Table(
    "schema_migrations", metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("name", String(200), nullable=False),
    Column("applied_at", String(32), nullable=False),
)

# Work in progress other commands must know about, one row per key (migration 5): "recompute"
# holds when a full `foia track recompute` started (a killed one leaves part of the queue
# counted by new rules and part by old); a full run that finishes deletes it.
tracker_state = Table(
    "tracker_state", metadata,
    Column("key", String(40), primary_key=True),
    Column("value", String(200), nullable=False),
)

# Tables created by migration 1, in dependency order.
V1_TABLES = (requests, request_tags, tracking_numbers, events, deadline_texts, deadline_rows)
