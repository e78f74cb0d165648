"""The inbox's tables (SQLAlchemy Core, on the tracker's ``metadata``; migration 8 builds them).

- ``inbox_messages``: every message once (unique SHA-256 of its raw bytes), the raw RFC 822
  bytes unchanged (the proof for an appeal or a court), what was read from them, the request
  it belongs to and why (``match``). ``state``: matched, unmatched (none or several
  candidates), ignored.
- ``inbox_proposals``: the next steps the rules read in a matched message, waiting for a
  person to accept (recorded through ``Tracker.update``) or reject them.
- ``inbox_sources``: where an IMAP fetch stopped (folder, UIDVALIDITY, last UID), so the
  next fetch resumes after the last message it fully stored.
"""

from __future__ import annotations

from sqlalchemy import JSON, Column, Date, ForeignKey, Index, Integer, LargeBinary, String, Table, Text

from foia.tracker.models import metadata

inbox_messages = Table(
    "inbox_messages", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("sha256", String(64), nullable=False, unique=True),
    Column("message_id", Text),
    Column("raw", LargeBinary, nullable=False),
    Column("size", Integer, nullable=False),
    Column("sent_at", String(32)),             # the Date header, ISO-8601 UTC; NULL when absent or unreadable
    Column("sent_on", Date),                   # its day: the date of the request's mail event
    Column("sender", Text),
    Column("sender_domain", String(255)),
    Column("subject", Text),
    Column("refs", JSON),                      # In-Reply-To and References
    Column("attachments", JSON),               # [{filename, media_type, size}]
    Column("source", Text),                    # the file, or server/folder/UID, it came from
    Column("imported_at", String(32), nullable=False),
    Column("state", String(16), nullable=False),
    Column("request_id", Integer, ForeignKey("requests.id")),
    Column("match", JSON),                     # {"how", "why": [lines], "candidates": [ids], "suggestions"}
    Column("event_uid", String(36)),           # the request's mail event
    sqlite_autoincrement=True,
)
Index("ix_inbox_messages_request", inbox_messages.c.request_id)
Index("ix_inbox_messages_state", inbox_messages.c.state)
Index("ix_inbox_messages_message_id", inbox_messages.c.message_id)

inbox_proposals = Table(
    "inbox_proposals", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("message", Integer, ForeignKey("inbox_messages.id"), nullable=False),
    Column("request_id", Integer, ForeignKey("requests.id"), nullable=False),
    Column("rule", String(64), nullable=False),
    Column("summary", Text, nullable=False),
    Column("params", JSON, nullable=False),    # keyword arguments of Tracker.update
    Column("evidence", Text),                  # the words of the message the rule read
    Column("state", String(16), nullable=False),   # pending | accepted | rejected
    Column("decided_at", String(32)),
    Column("decided_by", String(200)),
)
Index("ix_inbox_proposals_message", inbox_proposals.c.message)
Index("ix_inbox_proposals_state", inbox_proposals.c.state)

inbox_sources = Table(
    "inbox_sources", metadata,
    Column("key", String(400), primary_key=True),  # user@host:port/folder
    Column("uidvalidity", String(20), nullable=False),
    Column("last_uid", Integer, nullable=False),
)

INBOX_TABLES = (inbox_messages, inbox_proposals, inbox_sources)
