"""`foia deadline`: the statutory clocks of one request, with the reasoning behind each date."""

from __future__ import annotations

import importlib.util

import click

DATE = "DATE"


def _closures(ctx, directory, cli_closures) -> tuple[dict, list[str]]:
    """Extra closure days: the directory's, then closures.yaml in the config dir, then --closure
    (later sources win for the same date)."""
    from foia.clocks.calendar import load_closures, parse_closure
    from foia.paths import config_dir

    merged, origins = {}, []
    if directory is not None:
        found = dict(getattr(directory, "closures", None) or {})
        if found:
            merged.update(found)
            origins.append(f"{len(found)} from the agency directory")
    path = config_dir() / "closures.yaml"
    if path.exists() or path.is_symlink():      # a folder or a device there is refused, not skipped
        found = load_closures(path)
        if found:
            merged.update(found)
            origins.append(f"{len(found)} from {path}")
    found = dict(parse_closure(text, "closure", default_name="closure (--closure)") for text in cli_closures)
    if found:
        merged.update(found)
        origins.append(f"{len(found)} from --closure")
    return merged, origins


def _load_directory(ctx):
    if importlib.util.find_spec("foia.directory") is None:
        return None
    from foia.directory.directory import load_directory

    return load_directory((ctx.obj or {}).get("directory_override"))


def _office_rules(directory, office: str):
    from foia.errors import FoiaError, UsageError

    if directory is None:
        raise FoiaError("--office needs the agency directory (foia/directory/), which is not installed")
    agency = directory.agency(office)
    if hasattr(agency, "clock_rules"):
        rules = agency.clock_rules()
    else:
        rules = directory.clock_rules(agency)
    if rules is None:
        raise UsageError(f"--office {office}: the directory has no FOIA clock for {agency.name}; "
                         "omit --office to use DHS defaults (6 CFR Part 5)")
    label = getattr(agency, "abbreviation", None) or office
    return agency, rules, f"{label} ({agency.name}), from the agency directory"


@click.command("deadline")
@click.option("--received", required=True, metavar=DATE,
              help="Date the right office received the request (YYYY-MM-DD).")
@click.option("--office", metavar="ID", help="Office whose clock rules apply (e.g. ICE); default DHS rules.")
@click.option("--first-received", metavar=DATE,
              help="Date another component first received it (misdirected request).")
@click.option("--extension-notice", metavar=DATE, help="Date of an unusual-circumstances extension notice.")
@click.option("--tolled", multiple=True, metavar="FROM:TO",
              help="Clock stopped from FROM (agency asked) to TO (your answer); 'FROM:' if still "
                   "stopped. Repeatable.")
@click.option("--expedite", is_flag=True, help="Expedited processing was requested: show its decision date.")
@click.option("--clarification-asked", metavar=DATE,
              help="Date the agency asked for clarification: show the answer-by date.")
@click.option("--determination", metavar=DATE, help="Date of an adverse determination: show the appeal deadline.")
@click.option("--appeal-received", metavar=DATE, help="Date the appeal was received: show its decision date.")
@click.option("--appeal-extension-notice", metavar=DATE, help="Date of an extension notice on the appeal.")
@click.option("--closure", multiple=True, metavar="DATE[:NAME]",
              help="An extra closure day (e.g. by executive order). Repeatable; also read from "
                   "closures.yaml in the config directory.")
@click.option("--explain", is_flag=True, help="Show each counted and skipped day under each date.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON: the inputs and every deadline.")
@click.pass_context
def deadline(ctx, received, office, first_received, extension_notice, tolled, expedite,
             clarification_asked, determination, appeal_received, appeal_extension_notice,
             closure, explain, as_json):
    """Statutory FOIA deadlines for one request, with the days counted and skipped.

    Working days exclude weekends, federal legal public holidays (5 U.S.C. 6103) and extra
    closures. N working days after a date is the Nth working day strictly after it.

    \b
    Example:
      foia deadline --received 2025-11-21 --office ICE --explain
    """
    from foia.clocks.calendar import default_calendar, parse_day, weekday
    from foia.clocks.due import parse_tolled, request_deadlines
    from foia.clocks.rules import ClockRules

    def day(value, field):
        # The field is the option's own name: the CLI names it as the option (--first-received).
        return parse_day(value, field) if value is not None else None

    inputs = {
        "received": day(received, "received"),
        "first_received": day(first_received, "first_received"),
        "extension_notice": day(extension_notice, "extension_notice"),
        "tolled": [parse_tolled(text, "tolled") for text in tolled],
        "expedite": expedite,
        "clarification_asked": day(clarification_asked, "clarification_asked"),
        "determination": day(determination, "determination"),
        "appeal_received": day(appeal_received, "appeal_received"),
        "appeal_extension_notice": day(appeal_extension_notice, "appeal_extension_notice"),
    }
    if appeal_extension_notice is not None and appeal_received is None:
        from foia.errors import UsageError

        raise UsageError("--appeal-extension-notice needs --appeal-received (the date the appeal "
                         "was received)")
    # The directory is loaded even without --office: the closures it lists are non-working days.
    directory = _load_directory(ctx)
    if office is not None:
        agency, rules, rules_label = _office_rules(directory, office)
    else:
        agency, rules, rules_label = None, ClockRules(), "DHS defaults (6 CFR Part 5)"
    closures, origins = _closures(ctx, directory, closure)
    calendar = default_calendar(closures)
    found = request_deadlines(rules=rules, calendar=calendar, **inputs)

    if as_json:
        import json

        shown = {k: _iso(v) for k, v in inputs.items()}
        click.echo(json.dumps({
            "inputs": shown,
            "office": getattr(agency, "id", None),
            "rules_source": rules_label,
            "rules": rules.to_dict(),
            "closures": {d.isoformat(): name for d, name in sorted(closures.items())},
            "deadlines": [d.to_dict() for d in found],
        }, indent=2))
        return

    click.echo(f"Request received {inputs['received'].isoformat()} ({weekday(inputs['received'])}); "
               f"rules: {rules_label}")
    if origins:
        click.echo("Extra closures: " + "; ".join(origins) + ": "
                   + ", ".join(f"{d.isoformat()} {n}" for d, n in sorted(closures.items())))
    rows = [(d.label, f"{d.due.isoformat()} {weekday(d.due)}" if d.due else "stopped", d.rule)
            for d in found]
    width = max(len(r[0]) for r in rows + [("Clock", "", "")])
    if inputs["clarification_asked"] and rules.clarification_close_working_days is None:
        click.echo("Note: these rules have no administrative-closure clock; --clarification-asked "
                   "has no deadline to show")
    click.echo(f"{'Clock':<{width}}  {'Due':<14}  Rule")
    for d, (label, due, rule) in zip(found, rows):
        click.echo(f"{label:<{width}}  {due:<14}  {rule}")
        if explain:
            for line in d.explanation:
                click.echo(f"    {line}")
            click.echo("")
            continue
        # A warning (a notice dated after the due date, a tolled period that moved nothing)
        # changes how far the date can be trusted: shown even without --explain.
        for line in d.explanation:
            if line.startswith("Warning:"):
                click.echo(f"    {line}")
        if d.due is None:
            click.echo(f"    {d.explanation[-1]}")
        elif not calendar.is_working_day(d.due):
            # Calendar-day clocks are not moved off weekends and holidays: say so in the table.
            click.echo(f"    note: {d.due.isoformat()} is not a working day "
                       f"({calendar.reason_closed(d.due)}); it is not moved (see --explain)")


def _iso(value):
    if isinstance(value, list):
        return [f"{a.isoformat()}:{b.isoformat() if b else ''}" for a, b in value]
    return value.isoformat() if hasattr(value, "isoformat") else value
