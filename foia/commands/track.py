"""`foia track`: the request tracker (a thin layer over foia.tracker.service)."""

from __future__ import annotations

import click

from foia.commands.track_common import (DATE, MAX_DAYS, by_option, db_flag, deadline_line, open_reader, open_tracker,
                                        plural, print_change, today_option, warn_unfinished_recompute)
from foia.commands.output import emit, output_options, to_json
from foia.tracker.appeals import APPEAL_TARGETS
from foia.vocab import FROM_SENDING, SENT_VIA


@click.group("track")
@click.option("--db", "db", envvar="FOIA_DB", metavar="URL",
              help="Tracker database: a SQLAlchemy URL (sqlite:///file.db, postgresql://user@host/db) or a "
                   "file path (env FOIA_DB; default: foia.db in the user data directory).")
@click.pass_context
def track(ctx, db):
    """Track requests: statuses, tracking numbers, history, deadlines, letters.

    One SQLite file by default (created user-only); --db / FOIA_DB points at PostgreSQL for a
    team sharing one queue. Every change is an event with the date it happened (--on); the
    deadlines are recomputed from the events after each one.
    """
    from click.core import ParameterSource

    ctx.ensure_object(dict)
    ctx.obj["db"] = db
    ctx.obj["db_from_option"] = ctx.get_parameter_source("db") == ParameterSource.COMMANDLINE


@track.command("path")
@click.pass_context
def track_path(ctx):
    """Print where the tracker database is (the file, or the URL without password); nothing is
    opened or created."""
    from foia.tracker.store import location

    click.echo(location((ctx.find_object(dict) or {}).get("db")))


@track.command("add")
@click.option("--title", required=True, help="What the request asks for, in a few words (no client names).")
@click.option("--office", required=True, metavar="ID", help="Office it was filed with (`foia agencies list`).")
@click.option("--kind", default="records", show_default=True,
              help="Kind: records, contract, self, third-party; amendment and amendment-appeal run the Privacy "
                   "Act clocks (552a(d)(2)-(3)).")
@click.option("--on", metavar=DATE, help="Date it was filed (default today).")
@click.option("--draft", is_flag=True, help="Not sent yet: record a draft (no clock runs).")
@click.option("--sent-via", type=click.Choice(SENT_VIA), help="How it was sent.")
@click.option("--requester", help="Who filed it (identity field).")
@click.option("--requester-email", help="The requester's email for replies (identity field; the letters use it).")
@click.option("--requester-address", help="The requester's postal address (identity field; the letters use it).")
@click.option("--requester-phone", help="The requester's phone (identity field; the letters use it).")
@click.option("--client-name", help="The client the records are about (identity field).")
@click.option("--client-dob", metavar=DATE, help="The client's date of birth (identity field).")
@click.option("--client-a-number", help="The client's A-Number (identity field).")
@click.option("--assignee", help="Who in the team handles it.")
@click.option("--tag", "tags", multiple=True, help="A tag (repeatable, or comma-separated).")
@click.option("--letter", "letter_file", type=click.Path(dir_okay=False, exists=True),
              help="The letter text as sent (a text file).")
@click.option("--fee-category", help="news-media, educational, scientific, other, commercial.")
@click.option("--fee-limit", metavar="AMOUNT", help="Most you agreed to pay, in dollars.")
@click.option("--fee-waiver", is_flag=True, help="A fee waiver was asked.")
@click.option("--expedite", is_flag=True, help="Expedited processing was asked.")
@click.option("--system", "systems", multiple=True, metavar="ID", help="Linked system (repeatable).")
@click.option("--vendor", "vendors", multiple=True, metavar="ID", help="Linked vendor (repeatable).")
@click.option("--contract", "contracts", multiple=True, metavar="ID", help="Linked contract award (repeatable).")
@click.option("--tracking-number", "tracking", multiple=True, metavar="NUMBER[:REASON]",
              help="Tracking number (reason: assigned, split, referral, appeal). Repeatable.")
@click.option("--note", help="A note for the history.")
@click.option("--referred-from", metavar="REQUEST", help="The request an office referred to this one (e.g. ICE to "
              "the FBI for NCIC entries): tracked with its own clock and shown under its parent.")
@by_option
@click.pass_context
def track_add(ctx, title, office, kind, on, draft, sent_via, requester, requester_email, requester_address,
              requester_phone, client_name, client_dob, client_a_number,
              assignee, tags, letter_file, fee_category, fee_limit, fee_waiver, expedite, systems, vendors,
              contracts, tracking, note, referred_from, by):
    """Record a request (submitted on --on, default today; or --draft)."""
    letter_text = _letter_text(letter_file) if letter_file else None
    tracker = open_tracker(ctx)
    change = tracker.add(title=title, office=office, kind=kind, on=on, draft=draft, sent_via=sent_via,
                         requester=requester, client_name=client_name, client_dob=client_dob,
                         client_a_number=client_a_number, assignee=assignee, tags=tags, letter_text=letter_text,
                         fee_category=fee_category, fee_limit=fee_limit, fee_waiver=fee_waiver, expedite=expedite,
                         systems=systems, vendors=vendors, contracts=contracts, tracking=tracking, note=note, by=by,
                         requester_contact={"email": requester_email, "address": requester_address,
                                            "phone": requester_phone},
                         referred_from=referred_from)
    click.echo(f"Request {change.request_id} recorded: {change.title} ({change.office}), {change.status}.")
    print_change(change, tracker)


def _letter_text(path: str) -> str:
    from foia.errors import FoiaError, UsageError
    from foia.files import read_regular_text
    from foia.tracker.fields import LETTER_MAX_BYTES

    try:
        return read_regular_text(path, what="--letter", limit=LETTER_MAX_BYTES)
    except FoiaError as exc:
        raise UsageError(exc.message) from None
    except UnicodeDecodeError:
        raise UsageError(f"--letter: {path} is not UTF-8 text; give the letter as it was sent, saved as plain "
                         "text (.txt)") from None


@track.command("list")
@click.option("--status", "statuses", multiple=True, help="Only this status (repeatable).")
@click.option("--office", metavar="ID", help="Only this office.")
@click.option("--assignee", help="Only this assignee.")
@click.option("--tag", help="Only requests with this tag.")
@click.option("--overdue", is_flag=True, help="Only requests with an agency deadline past due.")
@click.option("--due-within", type=click.IntRange(min=0, max=MAX_DAYS), metavar="DAYS", help="Only requests with a deadline within DAYS days "
              "(overdue ones included).")
@click.option("--limit", type=click.IntRange(min=1), help="At most this many rows.")
@click.option("--identity", is_flag=True, help="Include identity fields (requester, client).")
@today_option
@output_options()
@click.pass_context
def track_list(ctx, statuses, office, assignee, tag, overdue, due_within, limit, identity, today, fmt):
    """List requests, soonest deadline first."""
    tracker = open_tracker(ctx, today)
    warn_unfinished_recompute(tracker)
    rows = tracker.list(status=statuses, office=office, assignee=assignee, tag=tag, overdue=overdue,
                        due_within=due_within, limit=limit, identity=identity)
    columns = ["id", "status", "office", "next_deadline", "next_deadline_key", "title", "tracking_number",
               "assignee", "tags", "filed_on", "status_on", "overdue", "kind"]
    if identity:
        columns += ["requester", "client_name", "client_dob", "client_a_number"]
    if fmt:
        emit(rows, columns, fmt)
        return
    shown = []
    for r in rows:
        nd = r["next_deadline"] or ""
        if nd and r["overdue"]:
            nd += " OVERDUE"
        shown.append(dict(r, next=(f"{nd} {(r['next_deadline_key'] or '').replace('_', ' ')}").strip()))
    cols = ["id", "status", "office", "next", "title", "tracking_number", "assignee"]
    if identity:
        cols += ["client_name"]
    emit(shown, cols, None, headers=[c.replace("_", " ") for c in cols], empty="No requests.")


@track.command("show")
@click.argument("request")
@click.option("--explain", is_flag=True, help="Show how each deadline was counted.")
@click.option("--identity", is_flag=True, help="Show identity fields (requester, client; with --json also the "
              "letter text).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@today_option
@click.pass_context
def track_show(ctx, request, explain, identity, as_json, today):
    """Show a request (by id or tracking number): fields, tracking numbers, deadlines, timeline."""
    tracker = open_tracker(ctx, today)
    info = tracker.show(request, identity=identity)
    if as_json:
        if not explain:
            for d in info["deadlines"]:
                d.pop("explanation", None)
        click.echo(to_json(info))
        return
    click.echo(_show_text(info, explain=explain, identity=identity))


def _show_text(info: dict, *, explain: bool, identity: bool) -> str:
    from foia.tracker.lifecycle import label

    lines = [f"Request {info['id']}: {info['title']}",
             f"  Office:    {info['office_abbreviation']} ({info['office_name']})",
             f"  Status:    {info['status']} - {label(info['status'])}"
             + (f" (since {info['status_on']})" if info.get("status_on") else ""),
             f"  Kind:      {info['kind']}" + (f"; sent via {info['sent_via']}" if info.get("sent_via") else "")
             + (f"; filed {info['filed_on']}" if info.get("filed_on") else "")]
    if info.get("assignee"):
        lines.append(f"  Assignee:  {info['assignee']}")
    if info.get("tags"):
        lines.append(f"  Tags:      {', '.join(info['tags'])}")
    fees = []
    if info.get("fee_category"):
        fees.append(f"category {info['fee_category']}")
    if info.get("fee_limit"):
        fees.append(f"limit ${info['fee_limit']}")
    if info.get("fee_waiver"):
        fees.append("fee waiver asked")
    if info.get("expedite"):
        fees.append("expedited processing asked")
    if fees:
        lines.append(f"  Fees:      {'; '.join(fees)}")
    awards = info.get("contract_awards") or {}
    for k in ("systems", "vendors", "contracts"):
        if info.get(k):
            names = [f"{v} (award {awards[v]})" if k == "contracts" and v in awards else v for v in info[k]]
            lines.append(f"  {k.capitalize() + ':':<10} {', '.join(names)}")
    if identity:
        for k in ("requester", "client_name", "client_dob", "client_a_number"):
            if info.get(k):
                lines.append(f"  {k.replace('_', ' ').capitalize() + ':':<10} {info[k]}")
        contact = info.get("requester_contact") or {}
        if contact:
            shown = [contact[k].replace("\n", ", ") for k in ("email", "phone", "address") if contact.get(k)]
            lines.append(f"  Reply to:  {'; '.join(shown)}")
    if info.get("purged_at"):
        lines.append(f"  Identity data purged {info['purged_at']}")
    snap = info.get("office_snapshot") or {}
    if snap:
        how = snap.get("portal") or ", ".join(f"{c['type']} {c['value']}" for c in snap.get("channels", [])[:2])
        lines.append(f"  Filed with: {snap.get('office_name') or snap.get('name')} ({how}), details as recorded "
                     f"on {snap.get('taken_on')}")
    lines.append("Tracking numbers:" if info["tracking_numbers"] else "Tracking numbers: none")
    for n in info["tracking_numbers"]:
        lines.append(f"  {n['number']}  {n['reason']}" + (f"  (since {n['recorded_on']})" if n.get("recorded_on")
                                                          else ""))
    if info["clock"] == "none":
        lines.append("Deadlines: none (this office has no statutory clock)")
    else:
        lines.append("Deadlines:" if info["deadlines"] else "Deadlines: none yet (not submitted)")
    for d in info["deadlines"]:
        lines.append(f"  {deadline_line(d)}  {d['rule']}")
        if explain:
            lines.extend(f"      {x}" for x in d["explanation"])
    for note in info.get("notes") or []:
        lines.append(f"  {note}")
    for w in info.get("warnings") or []:
        lines.append(f"  Warning: {w}")
    if info.get("referred_from"):
        lines.append(f"Referred from request {info['referred_from']}")
    if info.get("referrals"):
        lines.append("Referrals:")
        for r in info["referrals"]:
            lines.append(f"  #{r['id']} {r['office']}: {r['status']}"
                         + (f"; tracking {', '.join(r['tracking_numbers'])}" if r["tracking_numbers"] else "")
                         + (f"; agency due {r['agency_due']}" if r.get("agency_due") else ""))
    lines.append("Timeline:")
    for e in info["timeline"]:
        who = f" ({e['actor']})" if e.get("actor") else ""
        flag = " [voided]" if e.get("voided") else ""
        flag += " [date corrected]" if e.get("corrected") else ""
        # A CSV row gives a status and its date only: the history before it is not known.
        flag += " [from a CSV summary]" if (e.get("data") or {}).get("summary") == "csv" else ""
        text = e["summary"]
        if e["type"] == "status":
            from foia.tracker.appeals import appeal_of_text

            text = (f"{e['status']}" + (f" (of the {appeal_of_text(e['data']['of'])})" if e["data"].get("of") else "")
                    + (f" (appeal received {e['data']['received']})" if e["data"].get("received") else ""))
        lines.append(f"  {e['occurred_on']}  #{e['id']:<5} {text}{flag}{who}")
        if e.get("note"):
            lines.append(f"                     note: {e['note']}")
    return "\n".join(lines)


@track.command("update")
@click.argument("request")
@click.option("--status", help="New status (e.g. acknowledged, in-progress, awaiting-clarification, denied).")
@click.option("--on", metavar=DATE, help="Date it happened (default today); not the date you type it.")
@click.option("--note", help="A note for the history.")
@click.option("--tracking-number", "tracking", multiple=True, metavar="NUMBER[:REASON]",
              help="Tracking number (reason: assigned, split, referral, appeal). Repeatable.")
@click.option("--fee-estimated", metavar="AMOUNT", help="Fees the office estimated.")
@click.option("--fee-assessed", metavar="AMOUNT", help="Fees the office assessed.")
@click.option("--fee-paid", metavar="AMOUNT", help="Fees you paid.")
@click.option("--fee-waived", metavar="AMOUNT", help="Fees waived (fee waiver granted).")
@click.option("--fee-denied", metavar="AMOUNT", help="Fee waiver denied (amount at stake): opens an appeal window.")
@click.option("--fee-advance", metavar="AMOUNT", help="Advance payment the office asks for (checked against the "
              "$250 threshold of 5 U.S.C. 552(a)(4)(A)(v)).")
@click.option("--expedite-asked", metavar=DATE, help="You asked for expedited processing after filing, on this date: "
              "its 10-day decision clock runs from it.")
@click.option("--served", metavar=DATE, help="In litigation: the day the complaint was served on the agency; "
              "`show` gives the answer due 30 days later (5 U.S.C. 552(a)(4)(C), unverified).")
@click.option("--estimated-completion", metavar=DATE, help="Estimated completion date the office gave.")
@click.option("--extension-notice", metavar=DATE, help="Date of an unusual-circumstances extension notice.")
@click.option("--received", metavar=DATE, help="Date the office received the request (with --status appealed: "
              "the appeal).")
@click.option("--first-received", metavar=DATE, help="Date another office first received it (misdirected).")
@click.option("--expedite-decision", type=click.Choice(["granted", "denied"]), help="The expedite decision.")
@click.option("--appeal-of", "appeal_of", multiple=True,
              type=click.Choice(APPEAL_TARGETS),
              help="With --status appealed: what the appeal is of (repeatable; default: all that is open to "
                   "appeal). An appeal of a fee-waiver or expedite denial alone leaves the determination "
                   "clock running.")
@click.option("--documents", type=int, metavar="N", help="Number of documents received.")
@click.option("--pages", type=int, metavar="N", help="Number of pages received.")
@click.option("--file", "files", multiple=True, metavar="REF", help="Where the received records are (repeatable).")
@click.option("--assignee", help="Hand the request to someone (empty to clear).")
@click.option("--tag", "add_tags", multiple=True, help="Add a tag.")
@click.option("--untag", "remove_tags", multiple=True, help="Remove a tag.")
@by_option
@click.pass_context
def track_update(ctx, request, status, on, note, tracking, fee_estimated, fee_assessed, fee_paid, fee_waived,
                 fee_denied, fee_advance, expedite_asked, served, estimated_completion, extension_notice, received,
                 first_received, expedite_decision,
                 appeal_of, documents, pages, files, assignee, add_tags, remove_tags, by):
    """Record what happened to a request; its deadlines are recomputed."""
    fees = [(k, v) for k, v in (("estimated", fee_estimated), ("assessed", fee_assessed), ("paid", fee_paid),
                                ("waived", fee_waived), ("waiver-denied", fee_denied), ("advance", fee_advance))
            if v is not None]
    tracker = open_tracker(ctx)
    change = tracker.update(request, status=status, on=on, note=note, tracking=tracking, fees=fees,
                            estimated_completion=estimated_completion, extension_notice=extension_notice,
                            received=received, first_received=first_received, expedite_decision=expedite_decision,
                            documents=documents, pages=pages, files=files, assignee=assignee, add_tags=add_tags,
                            remove_tags=remove_tags, by=by, appeal_of=appeal_of, expedite_asked=expedite_asked,
                            served=served)
    click.echo(f"Request {change.request_id} ({change.office}): {change.status}.")
    print_change(change, tracker)


@track.command("correct")
@click.argument("request")
@click.argument("event", type=int)
@click.option("--on", metavar=DATE, help="The date it really happened.")
@click.option("--void", is_flag=True, help="It did not happen (recorded by mistake).")
@click.option("--note", help="Why (kept in the history).")
@by_option
@click.pass_context
def track_correct(ctx, request, event, on, void, note, by):
    """Correct an event (see its #number in `show`) with a new correction event."""
    tracker = open_tracker(ctx)
    change = tracker.correct(request, event, on=on, void=void, note=note, by=by)
    click.echo(f"Request {change.request_id} ({change.office}): {change.status}.")
    print_change(change, tracker)


@track.command("due")
@click.option("--within", default=14, show_default=True, type=click.IntRange(min=0, max=MAX_DAYS), metavar="DAYS",
              help="Look this many days ahead for appeal windows and clarification answers.")
@click.option("--assignee", metavar="NAME", help="Only the requests handed to NAME (any case).")
@click.option("--mine", is_flag=True, help="Only your requests: the assignee named by FOIA_USER (else your login).")
@click.option("--lapsed-days", default=7, show_default=True, type=click.IntRange(min=0, max=MAX_DAYS),
              metavar="DAYS", help="Show requester windows (appeal, clarification) that closed in the last DAYS "
              "days (0: none).")
@click.option("--stale-days", default=30, show_default=True, type=click.IntRange(min=0, max=MAX_DAYS),
              metavar="DAYS", help="Show requests remanded, awaiting fees or a clarification, in mediation, or "
              "still drafts, with no event for DAYS days (0: none).")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(min=1),
              help="At most this many requests per section.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@today_option
@click.pass_context
def track_due(ctx, within, assignee, mine, lapsed_days, stale_days, limit, as_json, today):
    """The morning view: overdue determinations (with the follow-up to run), appeal windows
    closing soon, late expedite decisions, overdue appeal decisions, clarifications due, windows
    that just lapsed and requests with no movement; each with its assignee."""
    from foia.clocks.calendar import weekday
    from datetime import date

    from foia.errors import UsageError

    if mine:
        if assignee:
            raise UsageError("give --assignee NAME or --mine, not both")
        from foia.tracker.events import default_actor

        assignee = default_actor()
        if not assignee:
            raise UsageError("--mine: set FOIA_USER to your name as the queue's assignees spell it")
    tracker = open_reader(ctx, today)
    warn_unfinished_recompute(tracker)
    report = tracker.due(within=within, limit=limit, assignee=assignee, lapsed_days=lapsed_days,
                         stale_days=stale_days)
    if as_json:
        click.echo(to_json(report))
        return
    day = date.fromisoformat(report["today"])
    click.echo(f"Due as of {report['today']} ({weekday(day)})" + (f" for {assignee}" if assignee else ""))
    prefix = f"foia track {db_flag(ctx)}"
    anything = False
    for s in report["sections"]:
        if not s["total"]:
            continue
        anything = True
        click.echo("")
        click.echo(f"{s['title']} ({s['total']}):")
        for it in s["items"]:
            who = f"; {it['assignee']}" if it.get("assignee") and not assignee else ""
            head = f"  #{it['id']} {it['title']} ({it['office']}, {it['status']}{who})"
            if s["key"] == "stale":
                click.echo(f"{head}: nothing since {it['last_event_on']} ({plural(it['days_quiet'], 'day')}); "
                           f"{it['why']}")
            else:
                if "working_days_late" in it:
                    when = f"{it['due']}, {plural(it['working_days_late'], 'working day')} late"
                elif "days_ago" in it:
                    when = f"{it['due']}, lapsed {plural(it['days_ago'], 'day')} ago"
                else:
                    when = f"{it['due']}, {plural(it['days_left'], 'day')} left"
                click.echo(f"{head}: {it['label'].lower()} {when}")
                if it.get("counted_from_sending"):
                    click.echo(f"      {FROM_SENDING} (no receipt date recorded); record it: "
                               f"{prefix}update {it['id']} --received DATE")
            if it.get("command"):
                click.echo(f"      run: {it['command'].replace('foia track ', prefix, 1)}")
        if s["total"] > len(s["items"]):
            click.echo(f"  ... and {s['total'] - len(s['items'])} more (foia track list --overdue / --due-within)")
    if not anything:
        click.echo("Nothing due.")
        if report["open"]:
            nxt = report["next"]
            ahead = (f"; next: #{nxt['id']} {nxt['label'].lower()} {nxt['due']} ({nxt['office']})" if nxt
                     else "; no deadline ahead")
            click.echo(f"{plural(report['open'], 'open request')}{ahead}.")
    else:
        overdue = next(s for s in report["sections"] if s["key"] == "overdue_determinations")
        if overdue["total"]:
            click.echo("")
            click.echo("An overdue determination may also be appealed or taken to court: the agency's silence "
                       "counts as exhaustion (5 U.S.C. 552(a)(6)(C)(i)).")


# The letters and the data commands live in their own modules.
from foia.commands.track_data import (track_backup, track_compact, track_export, track_import,  # noqa: E402
                                      track_purge, track_recompute)
from foia.commands.track_letters import track_appeal, track_bundle, track_followup, track_remind  # noqa: E402

for _command in (track_followup, track_appeal, track_bundle, track_remind, track_export, track_import, track_backup,
                 track_compact, track_purge, track_recompute):
    track.add_command(_command)


def _db_after_subcommand(ctx: click.Context, param, value):
    # `foia track due --db X` as well as `foia track --db X due`: the place users type it after
    # `foia draft ... --db X`. Given here, it wins over the group's (and FOIA_DB).
    if value is not None:
        ctx.ensure_object(dict)
        ctx.obj["db"] = value
        ctx.obj["db_from_option"] = True
    return value


for _command in track.commands.values():
    _command.params.append(click.Option(
        ["--db"], metavar="URL", expose_value=False, is_eager=True, callback=_db_after_subcommand,
        help="Tracker database (as `foia track --db URL`; either place works)."))
