"""`foia track followup|appeal|bundle|remind`: the letters and files a request's state writes."""

from __future__ import annotations

import click

from foia.commands.track_common import MAX_DAYS, by_option, db_flag, open_tracker, plural, today_option


def _signer_option(f):
    f = click.option("--confirm-signer", is_flag=True, help="Send it with your profile's contact details although "
                     "the request's requester signs it.")(f)
    f = click.option("--profile", "profile_file", type=click.Path(dir_okay=False),
                     help="The signer's profile file, for what the request does not store (default: yours).")(f)
    f = click.option("--requester-phone", help="Phone for the reply (default: the request's, else the profile's).")(f)
    f = click.option("--requester-address", help="Postal address for the reply (default: the request's, else the "
                     "profile's).")(f)
    f = click.option("--requester-email", help="Email for the reply (default: the request's, else the profile's).")(f)
    return click.option("--requester-name", help="Who signs (default: the request's requester, else the "
                        "profile's name).")(f)


def _letter_command(ctx, request, kind, out, fmt, overwrite, by, **kw):
    from foia.cli import shown
    from foia.tracker.filing import draft_letters

    tracker = open_tracker(ctx)
    paths, letter, rid = draft_letters(tracker, request, kind, out_dir=out, formats=fmt, overwrite=overwrite, by=by,
                                       **kw)
    click.echo(f"Wrote {', '.join(map(str, paths))} ({kind} letter for request {rid}; recorded in its history).")
    for w in letter.warnings:
        click.echo(f"Warning: {shown(w, ctx.command)}", err=True)
    where = letter.portal or letter.to_email
    if where:
        click.echo(f"Send it via {where}.")
    if kind == "appeal":
        click.echo(f"When you have sent it: foia track {db_flag(ctx)}update {rid} --status appealed --on DATE")


def _letter_output_options(f):
    """--out, --format and --overwrite for the letters a request's state writes."""
    f = click.option("--overwrite", is_flag=True, help="Replace a letter of the same name.")(f)
    f = click.option("--format", "fmt", multiple=True, default=("txt",), show_default=True,
                     type=click.Choice(["txt", "md", "docx", "eml"]), help="Letter format (repeatable).")(f)
    return click.option("--out", default=".", show_default=True, type=click.Path(file_okay=False),
                        help="Folder for the letter.")(f)


@click.command("followup")
@click.argument("request")
@_letter_output_options
@_signer_option
@by_option
@click.pass_context
def track_followup(ctx, request, out, fmt, overwrite, requester_name, requester_email, requester_address,
                   requester_phone, profile_file, confirm_signer, by):
    """Write a status inquiry for a request from its history: its tracking number (or, with none, its
    filing date), the tracker's due dates; about the appeal while one awaits its decision. The reply
    details are the request's requester's, as recorded with it."""
    _letter_command(ctx, request, "follow-up", out, fmt, overwrite, by, requester_name=requester_name,
                    requester={"requester_email": requester_email, "requester_address": requester_address,
                               "requester_phone": requester_phone},
                    profile_file=profile_file, confirm_signer=confirm_signer)


@click.command("appeal")
@click.argument("request")
@click.option("--ground", "grounds", multiple=True, required=True,
              type=click.Choice(["withholding", "partial-withholding", "inadequate-search", "no-records",
                                 "fee-waiver-denied", "expedite-denied", "no-response"]),
              help="Ground of appeal (repeatable).")
@click.option("--exemption", "exemptions", multiple=True, metavar="(b)(N)", help="Exemption cited (repeatable).")
@click.option("--details", help="Your argument in your own words.")
@_letter_output_options
@_signer_option
@by_option
@click.pass_context
def track_appeal(ctx, request, grounds, exemptions, details, out, fmt, overwrite, requester_name, requester_email,
                 requester_address, requester_phone, profile_file, confirm_signer, by):
    """Write an appeal for a request (tracking number, dates and determination from its history; the
    reply details of its requester, as recorded with it).

    Appealing a withholding without --exemption cites the FOIA exemptions marked on the pages
    of the request's documents (`foia docs add`)."""
    if not exemptions and {"withholding", "partial-withholding"} & set(grounds):
        exemptions = _document_exemptions(ctx, request)
    _letter_command(ctx, request, "appeal", out, fmt, overwrite, by, grounds=grounds, exemptions=exemptions,
                    details=details, requester_name=requester_name,
                    requester={"requester_email": requester_email, "requester_address": requester_address,
                               "requester_phone": requester_phone},
                    profile_file=profile_file, confirm_signer=confirm_signer)


def _document_exemptions(ctx, request) -> tuple[str, ...]:
    """The FOIA (b) exemptions marked in the request's documents, announced on stderr."""
    from foia.vault.documents import exemptions_of

    found = exemptions_of(open_tracker(ctx), request)
    foia_marks = tuple(k for k in found if k.startswith("(b)"))
    if found:
        click.echo("Exemptions marked in this request's documents: " + ", ".join(f"{k} x{v}" for k, v in found.items())
                   + (f"; citing {', '.join(foia_marks)} (choose with --exemption)" if foia_marks else ""), err=True)
    return foia_marks


@click.command("bundle")
@click.argument("request", required=False)
@click.option("--out", type=click.Path(dir_okay=False), help="The case file to write (a .zip, created user-only).")
@click.option("--bates-prefix", default="", metavar="PREFIX", help="Put before each Bates number (e.g. ICE-).")
@click.option("--bates-start", default=1, show_default=True, type=int, metavar="N", help="The first Bates number.")
@click.option("--overwrite", is_flag=True, help="Replace an existing file.")
@click.option("--verify", "verify_zip", type=click.Path(dir_okay=False), metavar="ZIP",
              help="Instead: re-check a case file's MANIFEST.sha256.")
@click.pass_context
def track_bundle(ctx, request, out, bates_prefix, bates_start, overwrite, verify_zip):
    """Write a request's case file for an appeal or a lawsuit: chronology (CSV, DOCX), the
    correspondence, the production Bates-stamped with its log, the withheld pages (a Vaughn
    index request) and a SHA-256 manifest."""
    from foia.errors import UsageError

    if verify_zip:
        from foia.vault.bundle import verify

        r = verify(verify_zip)
        for p in r["problems"]:
            click.echo(f"FAILED {p}")
        if r["problems"]:
            raise UsageError(f"{verify_zip}: {plural(len(r['problems']), 'problem')} in {r['files']} files")
        click.echo(f"{verify_zip}: all {r['files']} files match MANIFEST.sha256.")
        return
    if not request or not out:
        raise UsageError("give REQUEST and --out case.zip (or --verify case.zip)")
    from foia.vault.bundle import bundle

    r = bundle(open_tracker(ctx), request, out, prefix=bates_prefix, start=bates_start, overwrite=overwrite)
    bates = f", Bates {r['first']}-{r['last']}" if r["first"] else ""
    click.echo(f"Wrote {out}: request {r['request_id']}, {plural(r['stamped'], 'PDF')} ({plural(r['pages'], 'page')}{bates}), "
               f"{plural(r['withheld_pages'], 'page')} withheld or redacted, {r['files']} files with MANIFEST.sha256.")
    if r["exhaustion"]:
        click.echo(f"Exhaustion ({r['exhaustion']['kind']}): {r['exhaustion']['date']} ({r['exhaustion']['rule']}).")


@click.command("remind")
@click.option("--smtp", "smtp_url", required=True, envvar="FOIA_SMTP", metavar="URL",
              help="SMTP server: smtp://host:25, smtp+starttls://user:pass@host:587 or smtps://user:pass@host "
                   "(env FOIA_SMTP).")
@click.option("--from", "sender", required=True, envvar="FOIA_MAIL_FROM", help="Sender address (env FOIA_MAIL_FROM).")
@click.option("--within", default=14, show_default=True, type=click.IntRange(min=0, max=MAX_DAYS), metavar="DAYS",
              help="Look this many days ahead, as `due --within`.")
@click.option("--dry-run", is_flag=True, help="Say who would get how many items; send nothing.")
@today_option
@click.pass_context
def track_remind(ctx, smtp_url, sender, within, dry_run, today):
    """Email each assignee their part of the `due` view (for cron). Addresses are the accounts'
    (`foia users add NAME --email ...`, NAME as the requests' assignee); nothing due, no mail."""
    from foia.tracker.remind import send_reminders

    for row in send_reminders(open_tracker(ctx, today), smtp_url, sender=sender, within=within, dry_run=dry_run):
        done = "sent" if row["sent"] else ("would send" if dry_run and row["items"] else "nothing due")
        click.echo(f"{row['name']} <{row['email']}>: {plural(row['items'], 'item')}, {done}")
