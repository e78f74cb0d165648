"""`foia track export|import|backup|compact|purge|recompute`: the queue as files, and its upkeep."""

from __future__ import annotations

import click

from foia.commands.track_common import by_option, open_tracker, plural, today_option


@click.command("export")
@click.option("--format", "fmt", required=True, type=click.Choice(["csv", "json", "ics"]), help="Output format.")
@click.option("--out", type=click.Path(dir_okay=False), help="File to write (created user-only); default stdout.")
@click.option("--redact", is_flag=True, help="Leave out identity fields, letter text, file references and notes.")
@click.option("--keep-notes", is_flag=True, help="With --redact: keep the notes (check them for names first).")
@click.option("--remind", "reminders", multiple=True, type=click.IntRange(min=0, max=366), metavar="DAYS",
              help="ics: an alarm DAYS days before each requester deadline (repeatable; default 7 and 1).")
@click.option("--no-reminders", is_flag=True, help="ics: no alarms.")
@click.option("--assignee", metavar="NAME", help="ics: only the deadlines of requests handed to NAME.")
@today_option
@click.pass_context
def track_export(ctx, fmt, out, redact, keep_notes, reminders, no_reminders, assignee, today):
    """Export every request: json (everything, re-importable), csv (one row per request), ics (deadlines,
    with reminders before yours, the assignee, OVERDUE and LAPSED marked)."""
    from foia.tracker.export import DEFAULT_REMINDERS, export

    if keep_notes and not redact:
        raise click.UsageError("--keep-notes works with --redact (an export without --redact keeps everything)")
    if fmt != "ics" and (reminders or no_reminders or assignee):
        raise click.UsageError("--remind, --no-reminders and --assignee shape the calendar: use them with "
                               "--format ics")
    if reminders and no_reminders:
        raise click.UsageError("give --remind DAYS or --no-reminders, not both")
    tracker = open_tracker(ctx, today)
    n = export(tracker, fmt, out, redact=redact, keep_notes=keep_notes, assignee=assignee,
               reminders=() if no_reminders else (reminders or DEFAULT_REMINDERS))
    if out:
        what = "calendar event" if fmt == "ics" else "request"
        click.echo(f"Wrote {plural(n, what)} to {out}" + (" (redacted)" if redact else ""), err=True)


@click.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), help="Default: from the file's extension.")
@click.pass_context
def track_import(ctx, file, fmt):
    """Import requests from CSV or JSON: all rows or none; every bad row is reported."""
    from foia.tracker.bulk import ImportRejected, import_file

    tracker = open_tracker(ctx)
    try:
        result = import_file(tracker, file, fmt=fmt)
    except ImportRejected as exc:
        click.echo(exc.report(), err=True)
        ctx.exit(1)
    ids = f"requests {result['first_id']}-{result['last_id']}" if result["requests"] > 1 else \
        f"request {result['first_id']}"
    click.echo(f"Imported {plural(result['requests'], 'request')} ({ids}) with {plural(result['events'], 'event')} "
               f"from {file}.")
    if result.get("messages"):
        click.echo(f"Restored {plural(result['messages'], 'mail message')} kept by the inbox (foia inbox list).")
    if result["renumbered"]:
        click.echo("The file's request ids were taken in this database: the requests got new ids.")
    if (fmt or file.rsplit(".", 1)[-1]).lower() == "csv":
        click.echo("Note: a CSV row holds a request's status, not its history: each history was rebuilt as "
                   "submitted on filed_on, then the status on status_on (marked 'from a CSV summary' in `show`), "
                   "with the extension notices and expedite decisions its columns give, and the deadlines counted "
                   "from those; nothing the row does not state was added (receipt dates, stops, fees and what an "
                   "appeal is of are not in a CSV; move a queue with its history by `export --format json`).",
                   err=True)


@click.command("backup")
@click.option("--out", type=click.Path(dir_okay=False), help="Backup file (default: backups/ in the data directory).")
@click.pass_context
def track_backup(ctx, out):
    """Back up the whole tracker (SQLite: a consistent copy; PostgreSQL: a JSON export)."""
    from foia.tracker.backup import backup

    tracker = open_tracker(ctx)
    path, kind = backup(tracker, out)
    click.echo(f"Backed up to {path} ({'SQLite database' if kind == 'sqlite' else 'JSON export'}, user-only).")


@click.command("compact")
@click.pass_context
def track_compact(ctx):
    """Give the space the database no longer uses back to the disk (SQLite: VACUUM, which rewrites the
    file: it needs as much free disk space again, and other foia commands wait until it is done)."""
    from foia.tracker.compact import vacuum

    tracker = open_tracker(ctx)
    sizes = vacuum(tracker.store)
    if sizes is None:
        click.echo("PostgreSQL reuses the space freed inside its tables itself (autovacuum): nothing to do.")
        return
    before, after = sizes
    click.echo(f"Compacted {tracker.store.path}: {before / 1e6:,.1f} MB -> {after / 1e6:,.1f} MB.")


@click.command("purge")
@click.argument("request")
@click.option("--yes", is_flag=True, help="Confirm: this cannot be undone.")
@click.option("--notes", is_flag=True, help="Also blank the free-text notes of its history.")
@by_option
@click.pass_context
def track_purge(ctx, request, yes, notes, by):
    """Remove a client's identity data from a request, keeping its dated history."""
    from foia.errors import UsageError

    if not yes:
        raise UsageError(f"purge removes identity data for good; run again with --yes: foia track purge {request} --yes")
    tracker = open_tracker(ctx)
    change = tracker.purge(request, notes=notes, by=by)
    click.echo(f"Request {change.request_id}: {change.recorded[0]}. The dated history is kept. Backups made "
               "before now still hold the old data.")
    for line in change.notes:
        click.echo(f"  {line}")
    for w in change.warnings:
        click.echo(f"Warning: {w}", err=True)


@click.command("recompute")
@click.argument("request", required=False)
@click.pass_context
def track_recompute(ctx, request):
    """Recompute stored deadlines (after closures or the directory's clocks changed)."""
    import sys

    tracker = open_tracker(ctx)
    bar = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            # On stderr, and drawn only on a terminal: a million requests take a few minutes.
            bar = click.progressbar(length=total, label="Recomputing", file=sys.stderr)
        bar.update(done - bar.pos)

    try:
        n = tracker.recompute(request, progress=progress)
    finally:
        if bar is not None:
            bar.render_finish()
    click.echo(f"Recomputed the deadlines of {n} request{'s' if n != 1 else ''}.")
