"""Email reminders: each assignee gets their part of the morning view (`foia track remind`).

The view is ``Tracker.due()``; the assignee, office and tag filters are passed to it when it
takes them, and otherwise applied to its items from the requests ``Tracker.list()`` finds with
that filter (``due_for``), so the sections, numbers and follow-up actions are the same as
`foia track due`'s. Mail goes through the SMTP server named by a URL (stdlib smtplib).
"""

from __future__ import annotations

import inspect
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from foia.errors import FoiaError, UsageError
from foia.naming import Field, Text


def due_for(tracker, *, within: int = 14, limit: int = 50, assignee: str | None = None, office: str | None = None,
            tag: str | None = None) -> dict:
    """``tracker.due()`` narrowed to one assignee, office or tag, with each section's total
    counted after the filter."""
    wanted = {"assignee": assignee, "office": office, "tag": tag}
    accepted = inspect.signature(tracker.due).parameters
    native = {k: v for k, v in wanted.items() if v and k in accepted}
    rest = {k: v for k, v in wanted.items() if v and k not in accepted}
    if not rest:
        return tracker.due(within=within, limit=limit, **native)
    ids = {r["id"] for r in tracker.list(**rest)}
    report = tracker.due(within=within, limit=2 ** 31 - 1, **native)
    for s in report["sections"]:
        items = [it for it in s["items"] if it["id"] in ids]
        s["total"], s["items"] = len(items), items[:limit]
    return report


def _n(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def due_text(report: dict) -> str:
    """The report as `foia track due` prints it."""
    lines = [f"Due as of {report['today']}"]
    for s in report["sections"]:
        if not s["total"]:
            continue
        lines += ["", f"{s['title']} ({s['total']}):"]
        for it in s["items"]:
            if "working_days_late" in it:
                when = f"{it['due']}, {_n(it['working_days_late'], 'working day')} late"
            else:
                when = f"{it['due']}, {_n(it['days_left'], 'day')} left"
            lines.append(f"  #{it['id']} {it['title']} ({it['office']}, {it['status']}): {it['label'].lower()} {when}")
            if it.get("command"):
                lines.append(f"      run: {it['command']}")
        if s["total"] > len(s["items"]):
            lines.append(f"  ... and {s['total'] - len(s['items'])} more (foia track list --overdue / --due-within)")
    return "\n".join(lines) + "\n"


def _smtp(url: str):
    """An SMTP connection from ``smtp://[user:pass@]host[:port]`` (``smtp+starttls://`` upgrades
    with STARTTLS, ``smtps://`` is TLS from the start)."""
    import smtplib
    import ssl

    parts = urlsplit(url or "")
    if parts.scheme not in ("smtp", "smtp+starttls", "smtps") or not parts.hostname:
        raise UsageError(Text(Field("smtp_url"), f": {_shown(url)!r} is not an SMTP URL; give e.g. "
                              "smtp+starttls://user:pass@mail.example.org:587"), field="smtp_url")
    try:
        port = parts.port or {"smtps": 465, "smtp+starttls": 587}.get(parts.scheme, 25)
    except ValueError:
        raise UsageError(Text(Field("smtp_url"), f": the port of {_shown(url)} is not a number"),
                         field="smtp_url") from None
    try:
        if parts.scheme == "smtps":
            conn = smtplib.SMTP_SSL(parts.hostname, port, timeout=30, context=ssl.create_default_context())
        else:
            conn = smtplib.SMTP(parts.hostname, port, timeout=30)
            if parts.scheme == "smtp+starttls":
                conn.starttls(context=ssl.create_default_context())
        if parts.username:
            conn.login(unquote(parts.username), unquote(parts.password or ""))
    except (OSError, smtplib.SMTPException) as exc:
        raise FoiaError(Text(Field("smtp_url"), f": cannot send through {_shown(url)}: {exc}; check the host, "
                             "port and credentials"), field="smtp_url") from None
    return conn


def _shown(url: str) -> str:
    parts = urlsplit(url or "")
    if parts.password:
        return url.replace(":" + parts.password + "@", ":***@", 1)
    return url


def send_reminders(tracker, smtp_url: str, *, sender: str, within: int = 14, dry_run: bool = False) -> list[dict]:
    """Mail each account that has an email address (``foia users``) the requests assigned to
    it that are due; returns one dict per account (name, email, items, sent). Nothing due:
    no mail. ``dry_run``: build the mails, send nothing."""
    from foia.web.accounts import check_email, emails

    sender = check_email(sender, field="sender")
    if not sender:
        raise UsageError(Text(Field("sender"), ": give the address the reminders come from"), field="sender")
    out = []
    messages = []
    for name, email in sorted(emails(tracker.store).items()):
        report = due_for(tracker, within=within, assignee=name)
        count = sum(s["total"] for s in report["sections"])
        out.append({"name": name, "email": email, "items": count, "sent": False})
        if not count:
            continue
        msg = EmailMessage()
        msg["From"], msg["To"] = sender, email
        msg["Subject"] = f"foia: {_n(count, 'deadline')} to act on ({report['today']})"
        msg.set_content(due_text(report))
        messages.append((out[-1], msg))
    if dry_run or not messages:
        return out
    conn = _smtp(smtp_url)
    try:
        for row, msg in messages:
            conn.send_message(msg)
            row["sent"] = True
    finally:
        try:
            conn.quit()
        except Exception:  # noqa: BLE001 - the mails are sent; a failed goodbye changes nothing
            pass
    return out
