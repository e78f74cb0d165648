"""What the `foia track` commands share: their options, opening the tracker, and printing a change or a
deadline (also used by `foia inbox`, `foia docs` and `foia agencies`)."""

from __future__ import annotations

import click


DATE = "DATE"
MAX_DAYS = 3653     # how far ahead a look can reach: ten years


def today_option(f):
    return click.option("--today", metavar=DATE, hidden=False,
                        help="Pretend today is DATE (YYYY-MM-DD): see what a day will look like.")(f)


def by_option(f):
    return click.option("--by", metavar="NAME", help="Who records this (default: FOIA_USER, else your login).")(f)


def _today(today: str | None):
    from foia.parse import parse_day

    day = parse_day(today, "today") if today else None
    if day is not None:
        from foia.clocks.calendar import in_calendar

        in_calendar(day, "--today")
    return day


def open_tracker(ctx: click.Context, today: str | None = None):
    from foia.tracker.service import Tracker
    from foia.tracker.store import open_store

    day = _today(today)
    obj = ctx.find_object(dict) or {}
    store = open_store(obj.get("db"), notify=lambda message: click.echo(message, err=True))
    ctx.call_on_close(store.dispose)
    return Tracker(store, directory_override=(ctx.find_root().obj or {}).get("directory_override"), today=day)


def open_reader(ctx: click.Context, today: str | None = None):
    """What `track due` reads through: foia.tracker.sqlite_reads's reader when it certainly applies
    (a SQLite file at this foia's schema: no SQLAlchemy to import), else the tracker itself."""
    from foia.tracker.sqlite_reads import open_reader as sqlite_reader

    day = _today(today)
    reader = sqlite_reader((ctx.find_object(dict) or {}).get("db"), today=day,
                           directory_override=(ctx.find_root().obj or {}).get("directory_override"))
    if reader is None:
        return open_tracker(ctx, today)
    ctx.call_on_close(reader.close)
    return reader


def db_flag(ctx: click.Context) -> str:
    """``--db URL `` to repeat in a printed command, when the user gave --db (never a password)."""
    from foia.tracker.store import shown_url

    obj = ctx.find_object(dict) or {}
    return f"--db {shown_url(obj['db'])} " if obj.get("db_from_option") else ""


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def deadline_line(d: dict) -> str:
    due = f"{d['due']} ({d['due_weekday']})" if d.get("due") else "clock stopped"
    state = d["state"]
    extra = ""
    if state == "overdue":
        extra = f", {plural(d['working_days_late'], 'working day')} late"
    elif state in ("met", "late", "closed") and d.get("closed_on"):
        extra = f" {d['closed_on']}" + (f" ({d['closed_by']})" if d.get("closed_by") else "")
    return f"{d['label']}: {due} [{state}{extra}]"


def warn_unfinished_recompute(tracker) -> None:
    started = tracker.unfinished_recompute()
    if started:
        click.echo(f"Warning: a recompute started {started} did not finish, so some stored deadlines may still be "
                   "counted by older rules: run foia track recompute again", err=True)


def print_change(change, tracker) -> None:
    for line in change.recorded:
        click.echo(f"  recorded: {line}")
    open_ = [t for t in change.deadlines if t.open]
    for t in open_:
        click.echo("  " + deadline_line(tracker.deadline_dict(t)) + f"  ({t.deadline.rule})")
    for line in change.notes:
        click.echo(f"  {line}")
    for w in change.warnings:
        click.echo(f"Warning: {w}", err=True)
