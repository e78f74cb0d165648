"""The web app's tables (migration 10), on the tracker's ``metadata``.

- ``web_users``: team-mode accounts. The password is stored only as an argon2id hash; failed
  logins and the lockout end live here so every `foia serve` process behind one proxy sees them.
- ``web_sessions``: one row per signed-in browser. The cookie holds a random id and the table its
  SHA-256, so a copy of the database does not give anyone a live session; logout and expiry are
  checked here, which keeps the processes stateless.
- ``web_calendar_tokens``: each user's secret ICS subscription token (hashed), revocable.
- ``web_settings``: the cookie-signing key, shared by all processes, and local mode's one-time
  start-up token (hashed).
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, Text

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

WEB_TABLES = (web_users, web_sessions, web_calendar_tokens, web_settings)
