"""`foia inbox`: the agencies' replies (a thin layer over foia.inbox)."""

from __future__ import annotations

import click

from foia.commands.output import emit, output_options, to_json

DATE = "DATE"


def _inbox(ctx: click.Context, today: str | None = None):
    from foia.commands.track_common import open_tracker as _tracker
    from foia.inbox.service import Inbox

    return Inbox(_tracker(ctx, today))


def _today_option(f):
    return click.option("--today", metavar=DATE, help="Pretend today is DATE (YYYY-MM-DD).")(f)


def _by_option(f):
    return click.option("--by", metavar="NAME", help="Who records this (default: FOIA_USER, else your login).")(f)


@click.group("inbox")
@click.option("--db", "db", envvar="FOIA_DB", metavar="URL",
              help="Tracker database: a SQLAlchemy URL or a file path (env FOIA_DB; default: foia.db in the user "
                   "data directory).")
@click.pass_context
def inbox(ctx, db):
    """The agencies' replies: import or fetch mail, see what matched and why, accept proposals.

    \b
    foia inbox fetch --host imap.example.org --user me@example.org --since 2026-11-01
    foia inbox import replies.mbox Maildir/ letter.eml
    foia inbox unmatched            mail waiting to be filed by hand (assign, ignore)
    foia inbox review               the next steps the mail proposes (accept, reject)
    foia inbox show 12 --explain    one message as text, and why it matched
    """
    from click.core import ParameterSource

    ctx.ensure_object(dict)
    ctx.obj["db"] = db
    ctx.obj["db_from_option"] = ctx.get_parameter_source("db") == ParameterSource.COMMANDLINE


def _report(report) -> None:
    for s in report.stored:
        where = f"request {s.request_id} ({s.how})" if s.request_id else (
            "waiting: several requests match" if s.how == "ambiguous" else "waiting: no request matched")
        extra = f", {s.proposals} proposal{'s' if s.proposals != 1 else ''}" if s.proposals else ""
        click.echo(f"  message {s.id}: {where}{extra}  [{s.where}]")
    for where, mid in report.duplicates:
        click.echo(f"  already stored as message {mid}, unchanged: {where}")
    matched = sum(1 for s in report.stored if s.request_id)
    click.echo(f"{len(report.stored)} new message{'s' if len(report.stored) != 1 else ''} stored "
               f"({matched} matched, {len(report.stored) - matched} waiting), {len(report.duplicates)} already stored.")
    if len(report.stored) - matched:
        click.echo("See them with `foia inbox unmatched`; file one with `foia inbox assign MSG REQUEST`.")
    if any(s.proposals for s in report.stored):
        click.echo("Next steps proposed: `foia inbox review`.")


@inbox.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@_today_option
@click.pass_context
def inbox_import(ctx, paths, today):
    """Store the mail in PATHS (.eml files, mbox files, Maildir folders) and match it to requests.

    Each message is kept as received (its raw bytes and SHA-256); one already stored is
    skipped and said so. All or nothing: a malformed message stores nothing and is named.
    """
    report = _inbox(ctx, today).import_paths(list(paths))
    _report(report)


@inbox.command("fetch")
@click.option("--host", envvar="FOIA_IMAP_HOST", required=True, help="IMAP server (env FOIA_IMAP_HOST).")
@click.option("--port", type=int, help="Port (default 993 with --security tls, 143 with starttls).")
@click.option("--user", envvar="FOIA_IMAP_USER", required=True, help="Login name (env FOIA_IMAP_USER).")
@click.option("--password-env", default="FOIA_IMAP_PASSWORD", show_default=True, metavar="VAR",
              help="Environment variable holding the password; asked for (hidden) when it is not set. The "
                   "password is never stored or printed.")
@click.option("--folder", default="INBOX", show_default=True, help="Mailbox folder to read.")
@click.option("--since", metavar=DATE, help="Only mail dated on or after DATE (IMAP SINCE).")
@click.option("--security", type=click.Choice(["tls", "starttls"]), default="tls", show_default=True,
              help="TLS from the start (port 993) or STARTTLS on the plain port (143).")
@click.option("--cafile", type=click.Path(dir_okay=False, exists=True),
              help="Certificate authority file to trust (a clinic's own server); default: the system's.")
@click.option("--mark-seen", is_flag=True, help="Mark fetched mail as read (default: the mailbox is left as it is).")
@_today_option
@click.pass_context
def inbox_fetch(ctx, host, port, user, password_env, folder, since, security, cafile, mark_seen, today):
    """Fetch new mail from an IMAP server (read-only by default), store it and match it.

    Each message is stored as soon as it is fully read, with where the fetch reached: a fetch
    cut off midway keeps those, and the next one resumes after them.
    """
    import os

    from foia.inbox.imap import fetch

    password = os.environ.get(password_env) if password_env else None
    if not password:
        password = click.prompt(f"IMAP password for {user}@{host}", hide_input=True, err=True)
    box = _inbox(ctx, today)
    report = fetch(box, host=host, port=port, user=user, password=password, folder=folder, since=since,
                   security=security, cafile=cafile, mark_seen=mark_seen)
    _report(report)


_COLUMNS = ("id", "sent_on", "from", "subject", "state", "request_id", "how", "pending_proposals")
_HEADERS = ("msg", "sent", "from", "subject", "state", "request", "matched by", "proposals")


@inbox.command("list")
@click.option("--state", type=click.Choice(["matched", "unmatched", "ignored"]), help="Only messages in this state.")
@click.option("--request", metavar="ID", help="Only the mail filed with this request (id or tracking number).")
@output_options()
@click.pass_context
def inbox_list(ctx, state, request, fmt):
    """List the stored messages."""
    emit(_inbox(ctx).list(state=state, request=request), _COLUMNS, fmt, headers=_HEADERS,
         empty="No messages.")


@inbox.command("unmatched")
@output_options()
@click.pass_context
def inbox_unmatched(ctx, fmt):
    """Mail that matched no request, or several: file it with `assign` or set it aside with `ignore`."""
    rows = _inbox(ctx).list(state="unmatched")
    emit(rows, _COLUMNS, fmt, headers=_HEADERS, empty="No message is waiting.")


@inbox.command("show")
@click.argument("message")
@click.option("--explain", is_flag=True, help="Say why it matched its request (or why it did not).")
@click.option("--raw", is_flag=True, help="Print the message exactly as received (RFC 822), nothing else.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def inbox_show(ctx, message, explain, raw, as_json):
    """One message: headers, its text (HTML shown as text, never rendered), attachments and proposals."""
    box = _inbox(ctx)
    if raw:
        click.echo(box.raw(message), nl=False)
        return
    m = box.show(message)
    if as_json:
        click.echo(to_json(m))
        return
    click.echo(f"Message {m['id']}  ({m['state']}" + (f", request {m['request_id']}" if m["request_id"] else "") + ")")
    for label, key in (("From", "from"), ("Date", "date"), ("Subject", "subject"), ("Message-ID", "message_id"),
                       ("SHA-256", "sha256"), ("Source", "source")):
        click.echo(f"  {label + ':':<12}{m.get(key) or '-'}")
    for a in m["attachments"]:
        click.echo(f"  {'Attachment:':<12}{a['filename']} ({a['media_type']}, {a['size']} bytes)")
    if explain:
        click.echo("Why:")
        for line in m["match"].get("why") or []:
            click.echo(f"  {line}")
        if m["match"].get("suggestions"):
            click.echo(f"  suggested: request {', '.join(map(str, m['match']['suggestions']))}")
    for p in m["proposals"]:
        click.echo(f"Proposal ({p['state']}, rule {p['rule']}): {p['summary']}")
        if p.get("evidence"):
            click.echo(f"  read: \"{p['evidence']}\"")
    click.echo("")
    click.echo(m["text"] or "(no text)")


@inbox.command("assign")
@click.argument("message")
@click.argument("request")
@_by_option
@click.pass_context
def inbox_assign(ctx, message, request, by):
    """File a waiting MESSAGE with REQUEST (an id or tracking number) by hand."""
    s = _inbox(ctx).assign(message, request, by=by)
    click.echo(f"Message {s.id} filed with request {s.request_id}"
               + (f"; {s.proposals} proposal(s): foia inbox review" if s.proposals else "") + ".")


@inbox.command("ignore")
@click.argument("message")
@click.pass_context
def inbox_ignore(ctx, message):
    """Set a waiting MESSAGE aside (kept, no longer listed as unmatched)."""
    mid = _inbox(ctx).ignore(message)
    click.echo(f"Message {mid} ignored (still stored; `foia inbox assign` files it later).")


@inbox.command("review")
@output_options()
@click.pass_context
def inbox_review(ctx, fmt):
    """The next steps the mail proposes, waiting for `accept` or `reject`."""
    rows = _inbox(ctx).review()
    if fmt or not rows:
        emit(rows, ("message", "request_id", "sent_on", "rule", "summary", "evidence"), fmt,
             empty="No proposal is waiting.")
        return
    for r in rows:
        click.echo(f"message {r['message']} -> request {r['request_id']} (sent {r['sent_on'] or 'undated'}, "
                   f"from {r['sender']}), rule {r['rule']}:")
        click.echo(f"  {r['summary']}")
        if r.get("evidence"):
            click.echo(f"  read: \"{r['evidence']}\"")
    click.echo("Accept with `foia inbox accept MSG` (--edit to change it first), or `foia inbox reject MSG`.")


@inbox.command("accept")
@click.argument("message")
@click.option("--edit", is_flag=True, help="Change the proposal in your editor ($EDITOR) before it is recorded.")
@_by_option
@_today_option
@click.pass_context
def inbox_accept(ctx, message, edit, by, today):
    """Record MESSAGE's proposals, as `foia track update` would (same checks, same refusals,
    deadlines recomputed)."""
    box = _inbox(ctx, today)
    changes_to = None
    if edit:
        import yaml

        from foia.errors import UsageError

        shown = box.show(message)
        pending = [p for p in shown["proposals"] if p["state"] == "pending"]
        if len(pending) != 1:
            raise UsageError(f"message {shown['id']} has {len(pending)} pending proposals; --edit changes one")
        text = click.edit(yaml.safe_dump(pending[0]["params"], sort_keys=False, allow_unicode=True), extension=".yaml")
        if text is None:
            raise UsageError("--edit: the editor was closed without saving; nothing recorded")
        try:
            changes_to = yaml.safe_load(text)
        except yaml.YAMLError:
            raise UsageError("--edit: what was saved is not valid YAML; nothing recorded") from None
        if not isinstance(changes_to, dict):
            raise UsageError("--edit: save a mapping (status: ..., on: ...); nothing recorded")
        changes_to = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in changes_to.items()}
    from foia.commands.track_common import print_change as _print_change

    for change in box.accept(message, edit=changes_to, by=by):
        if isinstance(change, str):
            click.echo(change[0].upper() + change[1:] + ".")
        else:
            click.echo(f"Request {change.request_id} ({change.office}): {change.status}.")
            _print_change(change, box.tracker)


@inbox.command("reject")
@click.argument("message")
@_by_option
@click.pass_context
def inbox_reject(ctx, message, by):
    """Drop MESSAGE's pending proposals (kept as rejected; nothing is recorded on the request)."""
    n = _inbox(ctx).reject(message, by=by)
    click.echo(f"{n} proposal{'s' if n != 1 else ''} rejected.")


@inbox.command("rules")
@click.option("--path", "show_path", is_flag=True, help="Print where your own rules file goes, and nothing else.")
def inbox_rules(show_path):
    """The rules that read matched mail and propose next steps (yours from inbox-rules.yaml included)."""
    from foia.inbox.rules import load_rules, rules_path

    if show_path:
        click.echo(str(rules_path()))
        return
    for r in load_rules():
        what = ", ".join(f"{k}: {v}" for k, v in r.propose.items())
        click.echo(f"{r.id}: {r.label}  -> {what}")
