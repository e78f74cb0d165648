"""The web app's tables (migration 10), on the tracker's ``metadata``.

- ``web_users``: team-mode accounts. The password is stored only as an argon2id hash; failed
  logins and the lockout end live here so every `foia serve` process behind one proxy sees them.
- ``web_sessions``: one row per signed-in browser. The cookie holds a random id and the table its
  SHA-256, so a copy of the database does not give anyone a live session; logout and expiry are
  checked here, which keeps the processes stateless.
- ``web_calendar_tokens``: each user's secret ICS subscription token (hashed), revocable.
- ``web_settings``: the cookie-signing key, shared by all processes, and local mode's one-time
  start-up token (hashed).
- ``web_jobs``: an admin's export, import or backup running in the background: its progress
  (rows or bytes done of the total), its result (the file, kept an hour) or the library's
  refusal, so the job's page can be answered by any `foia serve` process. Created by
  migration 10 on new databases and by ``foia.web.jobs.ensure_table`` on older ones.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKey, Index, Integer, LargeBinary, String, Table, Text

from foia.tracker.models import metadata

ROLES = ("admin", "staff", "viewer")

web_users = Table(
    "web_users", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    Column("email", String(320)),
    Column("password_hash", Text, nullable=False),
    Column("failed_logins", Integer, nullable=False, default=0),
    Column("locked_until", String(32)),
    Column("created_at", String(32), nullable=False),
    Column("disabled_at", String(32)),
)

web_sessions = Table(
    "web_sessions", metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("web_users.id")),   # NULL: the local-mode session
    Column("created_at", String(32), nullable=False),
    Column("expires_at", String(32), nullable=False),
)
Index("ix_web_sessions_user", web_sessions.c.user_id)

web_calendar_tokens = Table(
    "web_calendar_tokens", metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("web_users.id")),   # NULL: the local-mode calendar
    Column("created_at", String(32), nullable=False),
    Column("revoked_at", String(32)),
)

web_settings = Table(
    "web_settings", metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

web_jobs = Table(
    "web_jobs", metadata,
    Column("id", String(32), primary_key=True),          # random: the job page's address
    Column("kind", String(16), nullable=False),          # export | import | backup
    Column("label", String(200), nullable=False),        # "Export (CSV, redacted)"
    Column("owner", String(200)),
    Column("state", String(16), nullable=False),         # running | done | failed
    Column("unit", String(16), nullable=False),          # rows | bytes
    Column("done", BigInteger, nullable=False, default=0),
    Column("total", BigInteger),                         # NULL: not known
    Column("message", Text),                             # the outcome, or the library's refusal
    Column("result_name", String(200)),
    Column("result", LargeBinary),
    Column("created_at", String(32), nullable=False),
    Column("heartbeat_at", String(32), nullable=False),
    Column("finished_at", String(32)),
)
Index("ix_web_jobs_created", web_jobs.c.created_at)

WEB_TABLES = (web_users, web_sessions, web_calendar_tokens, web_settings, web_jobs)
