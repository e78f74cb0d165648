"""Team-mode accounts, signed-in sessions, lockouts and calendar tokens, in the tracker database.

Everything lives in the database (``foia.web.models``), so several `foia serve` processes behind
one proxy share it and none keeps state of its own. Secrets (session ids, calendar tokens, the
local start-up token) are random 256-bit values of which only the SHA-256 is stored; passwords
are argon2id hashes (argon2-cffi, the memory-hard winner of the Password Hashing Competition).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from foia.errors import FoiaError, NotFound, UsageError
from foia.naming import Field, Text
from foia.web.models import ROLES, web_calendar_tokens, web_sessions, web_settings, web_users

MAX_FAILED_LOGINS = 5                       # then the account is locked for LOCKOUT
LOCKOUT = timedelta(minutes=15)
SESSION_LIFETIME = timedelta(hours=8)       # a working day; then sign in again
MIN_PASSWORD = 10
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._@-]{0,199}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class LoginRefused(FoiaError):
    """Wrong name or password."""


@dataclass(frozen=True)
class Account:
    """Who is signed in. ``id`` None: local mode (one person on their own machine, an admin)."""

    id: int | None
    name: str
    role: str

    def can(self, role: str) -> bool:
        """Whether this account has at least ``role`` (viewer < staff < admin)."""
        return ROLES.index(self.role) <= ROLES.index(role)


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(timezone.utc)


def _stamp(t: datetime) -> str:
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse(stamp: str) -> datetime:
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _hasher():
    try:
        from argon2 import PasswordHasher
    except ImportError:
        raise FoiaError("accounts need argon2-cffi: pip install 'foia[web]'") from None
    return PasswordHasher()


def check_name(name: str, *, what: str = "NAME") -> str:
    name = (name or "").strip()
    if not _NAME.fullmatch(name):
        raise UsageError(f"{what}: {name!r} is not an account name; use letters, digits, spaces and . _ @ - "
                         "(at most 200), starting with a letter or digit")
    return name


def check_role(role: str, *, field: str = "role") -> str:
    role = (role or "").strip().lower()
    if role not in ROLES:
        raise UsageError(Text(Field(field), f": {role!r} is not a role; use one of {', '.join(ROLES)}"), field=field)
    return role


def check_password(password: str, *, what: str = "password") -> str:
    if len(password or "") < MIN_PASSWORD:
        raise UsageError(f"{what}: too short; use at least {MIN_PASSWORD} characters (a passphrase of a few words)")
    return password


def check_email(email: str | None, *, field: str = "email") -> str | None:
    if email is None or not email.strip():
        return None
    email = email.strip()
    if not _EMAIL.fullmatch(email) or len(email) > 320:
        raise UsageError(Text(Field(field), f": {email!r} is not an email address; give e.g. name@clinic.org"),
                         field=field)
    return email


# -- accounts --------------------------------------------------------------------------------


def add_user(store, name: str, *, role: str, password: str, email: str | None = None,
             now: datetime | None = None) -> Account:
    """Create an account; refused if the name is taken."""
    from sqlalchemy import func, insert, select

    name, role = check_name(name), check_role(role)
    email = check_email(email)
    hashed = _hasher().hash(check_password(password))

    def run(conn):
        taken = conn.execute(select(web_users.c.id).where(func.lower(web_users.c.name) == name.lower())).scalar()
        if taken is not None:
            raise UsageError(f"NAME: an account {name!r} exists already; see `foia users list`")
        uid = conn.execute(insert(web_users).values(
            name=name, role=role, email=email, password_hash=hashed, failed_logins=0,
            created_at=_stamp(_now(now))).returning(web_users.c.id)).scalar_one()
        return Account(uid, name, role)

    return store.write(run)


def _user_row(conn, name: str):
    from sqlalchemy import func, select

    row = conn.execute(select(web_users).where(func.lower(web_users.c.name) == name.strip().lower())).first()
    if row is None:
        raise NotFound(f"no account {name!r}; see `foia users list`")
    return row


def list_users(store) -> list[dict]:
    from sqlalchemy import select

    with store.read() as conn:
        rows = conn.execute(select(web_users).order_by(web_users.c.name)).all()
    return [{"name": r.name, "role": r.role, "email": r.email, "created_at": r.created_at,
             "locked_until": r.locked_until, "failed_logins": r.failed_logins} for r in rows]


def change_user(store, name: str, *, role: str | None = None, password: str | None = None,
                email: str | None = None, unlock: bool = False) -> Account:
    """Change an account's role, password or email, or lift its lockout. A new password or role
    ends the account's signed-in sessions (whoever had them signs in again)."""
    from sqlalchemy import delete, update

    values: dict = {}
    if role is not None:
        values["role"] = check_role(role)
    if password is not None:
        values["password_hash"] = _hasher().hash(check_password(password))
    if email is not None:
        values["email"] = check_email(email)
    if unlock or password is not None:
        values.update(failed_logins=0, locked_until=None)
    if not values:
        raise UsageError(Text("nothing to change; give ", Field("role"), ", ", Field("password"), ", ",
                              Field("email"), " or ", Field("unlock")))

    def run(conn):
        row = _user_row(conn, name)
        if values.get("role") not in (None, "admin") and row.role == "admin" and _admins(conn) <= 1:
            raise UsageError(f"{row.name} is the last admin; make another account admin first")
        conn.execute(update(web_users).where(web_users.c.id == row.id).values(**values))
        if "role" in values or "password_hash" in values:
            conn.execute(delete(web_sessions).where(web_sessions.c.user_id == row.id))
        return Account(row.id, row.name, values.get("role", row.role))

    return store.write(run)


def _admins(conn) -> int:
    from sqlalchemy import func, select

    return conn.execute(select(func.count()).select_from(web_users).where(web_users.c.role == "admin")).scalar()


def remove_user(store, name: str) -> str:
    """Delete an account with its sessions and calendar tokens. The history keeps its name as
    the actor of what it recorded (events are never rewritten)."""
    from sqlalchemy import delete

    def run(conn):
        row = _user_row(conn, name)
        if row.role == "admin" and _admins(conn) <= 1:
            raise UsageError(f"{row.name} is the last admin; make another account admin first")
        conn.execute(delete(web_sessions).where(web_sessions.c.user_id == row.id))
        conn.execute(delete(web_calendar_tokens).where(web_calendar_tokens.c.user_id == row.id))
        conn.execute(delete(web_users).where(web_users.c.id == row.id))
        return row.name

    return store.write(run)


def has_accounts(store) -> bool:
    from sqlalchemy import select

    with store.read() as conn:
        return conn.execute(select(web_users.c.id).limit(1)).first() is not None


def has_admin(store) -> bool:
    with store.read() as conn:
        return _admins(conn) > 0


def emails(store) -> dict[str, str]:
    """Account name -> email, for the accounts that have one."""
    from sqlalchemy import select

    with store.read() as conn:
        return {n: e for n, e in conn.execute(select(web_users.c.name, web_users.c.email))
                if e}


# -- signing in ------------------------------------------------------------------------------


def authenticate(store, name: str, password: str, *, now: datetime | None = None) -> Account:
    """The account if the password is right. Each wrong password counts; after
    MAX_FAILED_LOGINS in a row the account is locked for LOCKOUT, even to the right password.
    An unknown name and a wrong password get the same answer."""
    from argon2.exceptions import InvalidHashError, VerificationError
    from sqlalchemy import func, select, update

    t = _now(now)
    hasher = _hasher()
    wrong = LoginRefused("wrong name or password")

    def run(conn):
        row = conn.execute(select(web_users).where(func.lower(web_users.c.name) == (name or "").strip().lower())
                           ).first()
        if row is None:
            return wrong
        if row.locked_until and _parse(row.locked_until) > t:
            return LoginRefused(Text(f"this account is locked after {MAX_FAILED_LOGINS} wrong passwords until "
                                     f"{row.locked_until[:16].replace('T', ' ')} UTC; an admin can lift it "
                                     f"(foia users change {row.name} ", Field("unlock"), ")"))
        try:
            hasher.verify(row.password_hash, password or "")
        except (VerificationError, InvalidHashError):
            failed = (row.failed_logins or 0) + 1
            locked = _stamp(t + LOCKOUT) if failed >= MAX_FAILED_LOGINS else None
            conn.execute(update(web_users).where(web_users.c.id == row.id).values(
                failed_logins=0 if locked else failed, locked_until=locked))
            return wrong
        conn.execute(update(web_users).where(web_users.c.id == row.id).values(failed_logins=0, locked_until=None))
        return Account(row.id, row.name, row.role)

    # The failure count is committed even though the login is refused.
    result = store.write(run)
    if isinstance(result, LoginRefused):
        raise result
    return result


def new_session(store, account: Account, *, lifetime: timedelta = SESSION_LIFETIME,
                now: datetime | None = None) -> str:
    """A new signed-in session; returns its secret id (for the cookie)."""
    from sqlalchemy import delete, insert

    raw = secrets.token_urlsafe(32)
    t = _now(now)

    def run(conn):
        # Expired sessions are cleared as new ones open: the table stays the size of the team.
        conn.execute(delete(web_sessions).where(web_sessions.c.expires_at < _stamp(t)))
        conn.execute(insert(web_sessions).values(id_hash=digest(raw), user_id=account.id, created_at=_stamp(t),
                                                 expires_at=_stamp(t + lifetime)))

    store.write(run)
    return raw


def session_account(store, raw: str | None, *, local_name: str = "local", now: datetime | None = None
                    ) -> Account | None:
    """Who holds the session ``raw``, or None (unknown, ended or expired)."""
    from sqlalchemy import select

    if not raw:
        return None
    s, u = web_sessions.c, web_users.c
    with store.read() as conn:
        row = conn.execute(select(s.user_id, s.expires_at, u.name, u.role)
                           .select_from(web_sessions.outerjoin(web_users, u.id == s.user_id))
                           .where(s.id_hash == digest(raw))).first()
        # A local-mode session ends when the first account is made: team mode from then on.
        local_over = row is not None and row.user_id is None and \
            conn.execute(select(web_users.c.id).limit(1)).first() is not None
    if row is None or local_over or _parse(row.expires_at) <= _now(now):
        return None
    if row.user_id is None:
        return Account(None, local_name, "admin")
    return Account(row.user_id, row.name, row.role)


def end_session(store, raw: str | None) -> None:
    from sqlalchemy import delete

    if raw:
        store.write(lambda conn: conn.execute(delete(web_sessions).where(web_sessions.c.id_hash == digest(raw))))


# -- settings: the signing key, local mode's start-up token -----------------------------------


def _setting(conn, key: str) -> str | None:
    from sqlalchemy import select

    return conn.execute(select(web_settings.c.value).where(web_settings.c.key == key)).scalar()


def _put(conn, key: str, value: str) -> None:
    from sqlalchemy import delete, insert

    conn.execute(delete(web_settings).where(web_settings.c.key == key))
    conn.execute(insert(web_settings).values(key=key, value=value))


def secret_key(store) -> str:
    """The key signing cookies and CSRF tokens: made once, kept in the database, so every
    process serving this database accepts the others' cookies."""

    def run(conn):
        found = _setting(conn, "secret_key")
        if found is None:
            found = secrets.token_hex(32)
            _put(conn, "secret_key", found)
        return found

    return store.write(run)


def new_local_token(store) -> str:
    """Local mode's start-up token (printed in the URL, as Jupyter does); replaces the last one."""
    raw = secrets.token_urlsafe(32)
    store.write(lambda conn: _put(conn, "local_token", digest(raw)))
    return raw


def local_token_ok(store, raw: str | None) -> bool:
    if not raw:
        return False
    with store.read() as conn:
        found = _setting(conn, "local_token")
    return found is not None and secrets.compare_digest(found, digest(raw))


# -- calendar subscription tokens ---------------------------------------------------------------


def new_calendar_token(store, account: Account, *, now: datetime | None = None) -> str:
    """A new secret calendar URL token for ``account``; its earlier ones are revoked."""
    from sqlalchemy import insert

    raw = secrets.token_urlsafe(32)

    def run(conn):
        _revoke(conn, account, now)
        conn.execute(insert(web_calendar_tokens).values(token_hash=digest(raw), user_id=account.id,
                                                        created_at=_stamp(_now(now))))

    store.write(run)
    return raw


def _revoke(conn, account: Account, now) -> int:
    from sqlalchemy import update

    c = web_calendar_tokens.c
    owner = c.user_id.is_(None) if account.id is None else c.user_id == account.id
    return conn.execute(update(web_calendar_tokens).where(owner, c.revoked_at.is_(None))
                        .values(revoked_at=_stamp(_now(now)))).rowcount


def revoke_calendar_tokens(store, account: Account, *, now: datetime | None = None) -> int:
    return store.write(lambda conn: _revoke(conn, account, now))


def has_calendar_token(store, account: Account) -> bool:
    from sqlalchemy import select

    c = web_calendar_tokens.c
    owner = c.user_id.is_(None) if account.id is None else c.user_id == account.id
    with store.read() as conn:
        return conn.execute(select(c.token_hash).where(owner, c.revoked_at.is_(None)).limit(1)).first() is not None


def calendar_owner(store, raw: str, *, local_name: str = "local") -> Account | None:
    """The account a live calendar token belongs to, or None."""
    from sqlalchemy import select

    c, u = web_calendar_tokens.c, web_users.c
    with store.read() as conn:
        row = conn.execute(select(c.user_id, c.revoked_at, u.name, u.role)
                           .select_from(web_calendar_tokens.outerjoin(web_users, u.id == c.user_id))
                           .where(c.token_hash == digest(raw or ""))).first()
    if row is None or row.revoked_at is not None:
        return None
    if row.user_id is None:
        return Account(None, local_name, "admin")
    return Account(row.user_id, row.name, row.role)
