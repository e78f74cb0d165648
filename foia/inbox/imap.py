"""`foia inbox fetch`: new mail from an IMAP server (stdlib imaplib), over TLS or STARTTLS.

Read-only by default: the folder is opened with EXAMINE and messages are read with
``BODY.PEEK[]``, so nothing on the server changes (``mark_seen`` selects the folder for
writing and reads with ``BODY[]``, which sets \\Seen, RFC 3501 6.4.5). Each message is stored in
its own transaction together with the UID the fetch reached (``inbox_sources``): a fetch cut
off midway keeps what it stored, and the next one asks only for UIDs after it (if the
folder's UIDVALIDITY changed, its UIDs mean other messages: it starts over, and messages
already stored are recognised by their SHA-256). The password is used to log in, never
stored or printed.
"""

from __future__ import annotations

import imaplib
import socket
import ssl
from datetime import date

from foia.errors import FoiaError, UsageError
from foia.naming import Field, Text
from foia.inbox.service import ImportReport

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    if isinstance(exc, bytes):
        text = exc.decode("utf-8", "replace")
    return text[:200] or type(exc).__name__


def _imap_date(d: date) -> str:
    """RFC 3501 date: 1-Nov-2026 (month names are English whatever the locale)."""
    return f"{d.day}-{_MONTHS[d.month - 1]}-{d.year}"


def connect(*, host: str, port: int | None, security: str, cafile: str | None, timeout: float):
    where = f"IMAP server {host}:{port}"
    context = ssl.create_default_context(cafile=cafile)
    try:
        if security == "tls":
            conn = imaplib.IMAP4_SSL(host, port, ssl_context=context, timeout=timeout)
        elif security == "starttls":
            conn = imaplib.IMAP4(host, port, timeout=timeout)
            conn.starttls(ssl_context=context)
        else:
            raise UsageError(Text(Field("security"), f": {security!r}; use tls or starttls"), field="security")
    except ssl.SSLCertVerificationError as exc:
        raise FoiaError(Text(f"{where}: its certificate is not trusted ({exc.verify_message}); give the server's "
                             "certificate authority with ", Field("cafile")), field="cafile") from None
    except (OSError, ssl.SSLError, imaplib.IMAP4.error) as exc:
        raise FoiaError(Text(f"{where}: cannot connect ({_reason(exc)}); check ", Field("host"), ", ", Field("port"),
                             " and ", Field("security"))) from None
    return conn


def fetch(box, *, host: str, user: str, password: str, port: int | None = None, folder: str = "INBOX",
          since=None, security: str = "tls", cafile: str | None = None, mark_seen: bool = False,
          timeout: float = 60) -> ImportReport:
    """Fetch the folder's new mail into ``box`` (foia.inbox.service.Inbox); see the module."""
    from foia.parse import parse_day

    port = port or (993 if security == "tls" else 143)
    since_day = parse_day(since, "since") if since else None
    where = f"IMAP server {host}:{port}"
    conn = connect(host=host, port=port, security=security, cafile=cafile, timeout=timeout)
    report = ImportReport()
    try:
        try:
            conn.login(user, password)
        except imaplib.IMAP4.error:
            raise FoiaError(Text(f"{where}: login refused for {user}; check ", Field("user"), " and the password"),
                            field="user") from None
        quoted = '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'
        typ, data = conn.select(quoted, readonly=not mark_seen)
        if typ != "OK":
            raise FoiaError(Text(f"{where}: no folder {folder!r} ({_reason(data[0] if data else typ)}); check ",
                                 Field("folder")), field="folder")
        uidvalidity = (conn.response("UIDVALIDITY")[1] or [b"0"])[0]
        uidvalidity = (uidvalidity.decode() if isinstance(uidvalidity, bytes) else str(uidvalidity or "0"))
        key = f"{user}@{host}:{port}/{folder}"
        last = _resume_point(box, key, uidvalidity)
        criteria = [f"UID {last + 1}:*"] + ([f"SINCE {_imap_date(since_day)}"] if since_day else [])
        typ, data = conn.uid("SEARCH", *criteria)
        if typ != "OK":
            raise FoiaError(f"{where}: the search failed ({_reason(data[0] if data else typ)})")
        # "N:*" always names the last message, even when its UID is below N (RFC 3501 6.4.8).
        uids = sorted(u for u in (int(x) for x in (data[0] or b"").split()) if u > last)
        part = "(BODY[])" if mark_seen else "(BODY.PEEK[])"
        stored_to = last
        for uid in uids:
            try:
                typ, data = conn.uid("FETCH", str(uid), part)
            except (OSError, imaplib.IMAP4.abort) as exc:
                raise FoiaError(f"{where}: the connection dropped while fetching UID {uid} of {folder} "
                                f"({_reason(exc)}); {len(report.stored)} new message(s) were stored, and the next "
                                "fetch resumes after them") from None
            raw = next((item[1] for item in data or [] if isinstance(item, tuple) and len(item) > 1), None)
            if typ != "OK" or raw is None:
                continue        # deleted by another client since the search: nothing to take
            box.store_fetched(raw, f"{host}/{folder} UID {uid}", key=key, uidvalidity=uidvalidity, uid=uid,
                              report=report)
            stored_to = uid
        if not uids:
            box.store_fetched(None, "", key=key, uidvalidity=uidvalidity, uid=stored_to, report=report)
        return report
    except (OSError, imaplib.IMAP4.abort) as exc:
        raise FoiaError(f"{where}: the connection dropped ({_reason(exc)}); {len(report.stored)} new message(s) "
                        "were stored, and the next fetch resumes after them") from None
    finally:
        try:
            conn.logout()
        except (OSError, imaplib.IMAP4.error, socket.timeout):
            pass


def _resume_point(box, key: str, uidvalidity: str) -> int:
    from sqlalchemy import select

    from foia.inbox.models import inbox_sources

    with box.tracker.store.read() as conn:
        row = conn.execute(select(inbox_sources).where(inbox_sources.c.key == key)).first()
    if row is None or row.uidvalidity != uidvalidity:
        return 0
    return row.last_uid
