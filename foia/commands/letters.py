"""`foia letters kinds|show|path` and `foia draft KIND --to ICE ...`: write letters."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

import click

from foia.errors import FoiaError, NotFound, UsageError
from foia.letters import KINDS, Field, LetterKind
from foia.vocab import SENT_VIA

PROGRESS_FROM = 4  # letters; from this many on, show a progress bar on stderr


def _directory(ctx: click.Context):
    from foia.directory import load_directory

    return load_directory((ctx.find_root().obj or {}).get("directory_override"))


# ---- letters -------------------------------------------------------------------------------


@click.group()
def letters():
    """Letter kinds, their fields and templates (your overrides included)."""


@letters.command("kinds")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def letters_kinds(as_json):
    """List the letter kinds and the fields each takes (as `foia draft` options)."""
    rows = []
    for k in KINDS.values():
        rows.append({
            "kind": k.name, "title": k.title, "template": k.template, "request": k.request,
            "fields": [{"option": f.option, "name": f.name, "type": f.type, "required": f.required,
                        "profile": f.profile, "help": f.help} for f in k.fields if f.cli],
        })
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        click.echo(f"{row['kind']}: {row['title']}")
        for f in row["fields"]:
            need = " (required)" if f["required"] else ""
            click.echo(f"  {f['option']:<28} {f['help']}{need}")
    click.echo("\nEvery request kind (records, contract, self, third-party) also takes --fee-waiver, --expedite "
               "--expedite-grounds --expedite-statement, --fee-limit and --news-media; every kind takes "
               "--requester-* options that override your profile (see `foia draft KIND --help`).")


@letters.command("show")
@click.argument("kind", type=click.Choice(list(KINDS)))
def letters_show(kind):
    """Print the template KIND renders with: your override if you have one, else the packaged one."""
    from foia.letters import template_source

    source, path = template_source(kind)
    click.echo(f"# {path}", err=True)
    click.echo(source, nl=False)


@letters.command("exemptions")
@click.argument("exemption", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def letters_exemptions(exemption, as_json):
    """The FOIA exemptions, 5 U.S.C. 552(b)(1)-(9): the statute's words and what an appeal asks.

    EXEMPTION (e.g. b7e or "(b)(6)") shows only those. Every entry is UNVERIFIED: the words come
    from the Reporters Committee's FOIA wiki (address given), not from foia's fact sheet. An
    appeal (`foia draft appeal --exemption b7e`, `foia track appeal`) cites each exemption by
    number and asks the office what is shown here, without quoting the words.
    """
    from foia.exemptions import TABLE, UNVERIFIED, lookup

    rows = [lookup(e) for e in exemption] if exemption else list(TABLE)
    if as_json:
        click.echo(json.dumps([r.as_dict() for r in rows], indent=2))
        return
    click.echo(UNVERIFIED + "\n")
    for r in rows:
        click.echo(f"{r.cite}: {r.name} (UNVERIFIED)")
        click.echo(f'  Words: "{r.words}"')
        click.echo(f"  Source: {r.source}")
        click.echo(f"  An appeal asks the office {r.argument}.\n")
    click.echo("Every appeal of a withholding also asks for the reasonably segregable portions, with the exemption "
               "marked at each deletion (5 U.S.C. 552(b)), withholding only on foreseeable harm (5 U.S.C. "
               "552(a)(8)(A)(i)), and a page-by-page list of what was withheld with the exemption and justification "
               "for each, and an estimate of the volume withheld (5 U.S.C. 552(a)(6)(F)).")


@letters.command("path")
@click.option("--packaged", is_flag=True, help="Print the packaged templates folder instead.")
def letters_path(packaged):
    """Print the folder for your template overrides (FOIA_TEMPLATES, else <config>/templates).

    A file there named like a packaged template (records.j2, partials/_signature.j2) replaces it;
    your templates run in Jinja2's sandbox.
    """
    from foia.letters import packaged_templates_dir, user_templates_dir

    click.echo(str(packaged_templates_dir() if packaged else user_templates_dir()))


# ---- draft ---------------------------------------------------------------------------------


def _field_option(f: Field) -> click.Option:
    # The bare name is the parameter's name: the options key.
    decls = [f.option, *([f.alias] if f.alias else []), f.name]
    if f.type == "bool":
        return click.Option(decls, is_flag=True, default=None, help=f.help)
    if f.type == "list":
        return click.Option(decls, multiple=True, help=f.help)
    if f.type == "choice":
        return click.Option(decls, type=click.Choice(f.choices, case_sensitive=False), help=f.help)
    metavar = {"date": "YYYY-MM-DD", "amount": "DOLLARS"}.get(f.type, "TEXT")
    return click.Option(decls, metavar=metavar, help=f.help)


_COMMON = [
    click.Option(["--to", "to"], multiple=True, metavar="AGENCY",
                 help="Office to write to (id or abbreviation, case-insensitive; repeatable). HSI and ERO go "
                      "to the ICE FOIA Office. Mediation letters go to OGIS; --to names the agency in dispute."),
    click.Option(["--out", "out"], type=click.Path(file_okay=False), default=".", show_default=True,
                 help="Folder to write the letters into."),
    click.Option(["--format", "formats"], multiple=True, type=click.Choice(["txt", "md", "docx", "eml"]),
                 help="Output format (repeatable; default txt)."),
    click.Option(["--date", "letter_date"], metavar="YYYY-MM-DD", help="Date of the letter (default today)."),
    click.Option(["--stem"], help="File name without extension (one office only; default DATE-OFFICE-KIND)."),
    click.Option(["--overwrite"], is_flag=True, help="Replace files that already exist."),
    click.Option(["--reproducible"], is_flag=True,
                 help="Fixed DOCX/eml timestamps, so the same input gives the same bytes."),
    click.Option(["--attach-docx"], is_flag=True, help="Attach the DOCX to the .eml."),
    click.Option(["--profile", "profile_file"], type=click.Path(dir_okay=False),
                 help="Profile file to use (default: `foia profile path`)."),
    click.Option(["--no-profile"], is_flag=True, help="Ignore your profile; give --requester-* options."),
]


# Requests (not follow-ups, appeals or mediation, which belong to a tracked request already)
# can be filed in the tracker as they are written.
TRACKABLE = ("records", "contract", "self", "third-party")
_TRACK = [
    click.Option(["--track"], is_flag=True,
                 help="File each letter in the tracker as a submitted request (see `foia track`)."),
    click.Option(["--db"], envvar="FOIA_DB", metavar="URL",
                 help="With --track: the tracker database URL (env FOIA_DB; default the SQLite file)."),
    click.Option(["--filed-on"], metavar="YYYY-MM-DD",
                 help="The date you send it (default today): the letters are dated on it and, with --track, "
                      "it starts the statutory clock."),
    click.Option(["--sent-via"], type=click.Choice(SENT_VIA),
                 help="With --track: how you send it (default: the office's portal or email)."),
    click.Option(["--assignee"], help="With --track: who in the team handles it."),
    click.Option(["--tag", "tags"], multiple=True, help="With --track: a tag (repeatable)."),
]


def _filed_on(params: dict) -> date | None:
    """--filed-on as a date, checked before any letter is built: it dates the letters too."""
    from foia.deadlines import in_calendar, parse_date

    value = params.get("filed_on")
    if not value:
        return None
    if not isinstance(value, date):
        value = parse_date(value, what="--filed-on")
        if value > date.today():
            raise UsageError(f"--filed-on: {value.isoformat()} is in the future; give the day you send it "
                             "(the tracker records what has happened)")
        in_calendar(value, "--filed-on")
        params["filed_on"] = value
    return value


def _open_tracker(params: dict, d):
    """Open the tracker before any letter is written, so a bad --db stops the run with nothing
    written."""
    from foia.tracker.service import Tracker
    from foia.tracker.store import open_store

    _filed_on(params)
    store = open_store(params.get("db"), notify=lambda message: click.echo(message, err=True))
    return Tracker(store, directory=d)


def _track_letters(tracker, built: list, options: dict, params: dict,
                   message_ids: dict[int, str] | None = None) -> dict[int, tuple[int, bool]]:
    """File each letter in the tracker, linking the systems, vendors and award it names, with
    the Message-ID of its .eml (``message_ids`` keyed by id(letter)); returns (request id,
    already tracked) keyed by id(letter). A letter already recorded (the same command run
    again) is not filed twice."""
    from foia.tracker.filing import file_request, find_filed

    systems = [options["system"]] if options.get("system") else list(options.get("systems") or [])
    vendors = [options["vendor"]] if options.get("vendor") else []
    contracts = [options["award"]] if options.get("award") else []
    if contracts:
        # A contract request is also about the vendor and the system the award pays for; the
        # request records them as a records letter about that vendor or system would.
        try:
            known = tracker.directory.contract(contracts[0])
        except NotFound:
            known = None
        if known is not None:
            vendors += [v for v in known.vendors if v not in vendors]
            if known.system and known.system not in systems:
                systems.append(known.system)
    # The person whose records are sought is the clinic's client (identity fields: stored 0600,
    # printed only with --identity, erased by `foia track purge`).
    prefix = {"self": "", "third-party": "subject_"}.get(built[0].kind) if built else None
    client = {}
    if prefix is not None:
        client = {"client_name": options.get(prefix + "full_name"),
                  "client_dob": options.get(prefix + "date_of_birth"),
                  "client_a_number": options.get(prefix + "a_number")}
    out = {}
    for letter in built:
        known = find_filed(tracker, letter, filed_on=params.get("filed_on"))
        if known is not None:
            out[id(letter)] = (known, True)
            continue
        out[id(letter)] = (file_request(tracker, letter=letter, sent_via=params.get("sent_via"),
                                        filed_on=params.get("filed_on"), assignee=params.get("assignee"),
                                        tags=params.get("tags") or (), systems=systems, vendors=vendors,
                                        contracts=contracts, expedite=bool(options.get("expedite")),
                                        fee_waiver=bool(options.get("fee_waiver")),
                                        requester=(letter.fields.get("requester") or {}).get("name"),
                                        message_id=(message_ids or {}).get(id(letter)), **client),
                           False)
    return out


# Only the contract letter can be filled from USAspending.
_LOOKUP = [
    click.Option(["--lookup"], is_flag=True,
                 help="Fill the award's number, parent award, recipient, amount, dates and modifications "
                      "from USAspending (needs network or --base-url)."),
    click.Option(["--base-url"], envvar="FOIA_USASPENDING_URL", metavar="URL",
                 help="USAspending API base URL for --lookup (env FOIA_USASPENDING_URL)."),
]


def _lookup_award(options: dict, params: dict, d, offices: list[str]) -> None:
    """Put USAspending's account of the award into the letter's ``award_detail``."""
    from foia.contracts import letter_fields_for_award, make_client

    award = options["award"]
    try:
        award = d.contract(award).award_number or award
    except NotFound:
        pass
    with make_client(params.get("base_url")) as client:
        options["award_detail"] = letter_fields_for_award(award, client, directory=d,
                                                          agency=offices[0] if offices else None)


def _default_offices(kind: LetterKind, options: dict, d) -> list[str]:
    """--to when it can be read from the directory: a contract's agency, a system's holder."""
    from foia.errors import NotFound

    if kind.name == "contract" and options.get("award"):
        try:
            c = d.contract(options["award"])
            return [c.directorate or c.agency]
        except NotFound:
            pass
    if kind.name == "records" and options.get("system"):
        s = d.system(options["system"])
        return [s.directorate or s.agencies[0]]
    raise UsageError(f"{kind.name} letter needs --to: the office to write to (e.g. --to ICE); "
                     "see `foia agencies list`")


def _instructions(letter, written: dict[str, Path]) -> list[str]:
    office = letter.fields["office"]
    who = letter.fields["about"]["abbreviation"] if letter.kind != "mediation" else office["abbreviation"]
    text_file = written.get("txt") or written.get("md")
    if letter.portal_only:
        since = office.get("portal_only_since", "")
        rule_by = "DHS" if office.get("dhs") else office["abbreviation"]
        what = f"paste {text_file}" if text_file else f"upload {next(iter(written.values()))}"
        if letter.kind in ("self", "third-party"):
            # A pasted text carries no signature: the signed declaration goes with it as an attachment.
            what = letter.fields["portal_filing"] + (f" (the text: {text_file})" if text_file else "")
        return [f"{who}: File at {letter.portal} ({rule_by} accepts requests online only since {since}): {what}"]
    # A verified email first; else the portal; an unverified email only when nothing else is known.
    if letter.to_email and (letter.fields.get("to_email_verified", True) or not letter.portal):
        f = written.get("eml") or next(iter(written.values()))
        return [f"{who}: send {f} to {letter.to_email}"]
    if letter.portal:
        return [f"{who}: file at {letter.portal}: " + (f"paste {text_file}" if text_file else
                                                       f"upload {next(iter(written.values()))}")]
    return [f"{who}: mail {next(iter(written.values()))} to the address in the letter"]


def _run_draft(kind: LetterKind, params: dict) -> None:
    from foia.letters import build_letter, letter_bytes, target_path
    from foia.profile import load_profile
    from foia.render.email import eml_refusal

    ctx = click.get_current_context()
    options = {}
    for f in kind.all_fields:
        if not f.cli:
            continue
        value = params.get(f.name)
        if value in (None, (), False):
            continue
        options[f.name] = list(value) if isinstance(value, tuple) else value
    d = _directory(ctx)
    filed_on = _filed_on(params)
    notes = []
    if params["letter_date"]:
        from foia.deadlines import parse_date

        today = parse_date(params["letter_date"], what="--date")
        if filed_on and filed_on != today:
            notes.append(f"note: the letter is dated {today.isoformat()} (--date) but filed on "
                         f"{filed_on.isoformat()} (--filed-on); the tracker keeps this letter as the one filed")
    else:
        # The letter the tracker keeps is the one filed: it bears the filing date.
        today = filed_on or date.today()
    if params["no_profile"]:
        profile = None
    else:
        profile = load_profile(params["profile_file"])
    offices = list(params["to"]) or _default_offices(kind, options, d)
    if params.get("lookup"):
        _lookup_award(options, params, d, offices)
    formats = list(dict.fromkeys(params["formats"] or ("txt",)))
    if params["stem"] and len(offices) > 1:
        raise UsageError("--stem names one file: use it with a single --to")
    if params["attach_docx"] and "eml" not in formats:
        raise UsageError("--attach-docx attaches the DOCX to the .eml: add --format eml")

    # Everything is built and checked before the first file is written: a bad office, a
    # missing field or an existing file stops the run with nothing half-done.
    seen, built = set(), []
    for office in offices:
        agency = d.agency(office)
        if agency.id in seen:
            continue
        seen.add(agency.id)
        built.append(build_letter(kind.name, directory=d, office=agency.id, profile=profile, options=options,
                                  today=today))
    out = Path(params["out"])
    jobs, skipped = [], {}
    for letter in built:
        for fmt in formats:
            # Each office gets what it can take: no .eml for one with no email or online-only filing.
            refusal = eml_refusal(letter) if fmt == "eml" else None
            if refusal:
                skipped[id(letter)] = refusal
                continue
            path = target_path(letter, out, fmt, params["stem"])
            if path.exists() and not params["overwrite"]:
                raise FoiaError(f"{path} already exists; pass --overwrite or choose another --out folder")
            jobs.append((letter, fmt, path))
    if not jobs:
        raise FoiaError("nothing written: " + "; ".join(skipped.values()))
    payloads = [(letter, fmt, path, letter_bytes(letter, fmt, reproducible=params["reproducible"],
                                                  attach_docx=params["attach_docx"],
                                                  attachment_name=target_path(letter, out, "docx",
                                                                              params["stem"]).name))
                for letter, fmt, path in jobs]
    tracker = _open_tracker(params, d) if params.get("track") else None
    tracked = {}
    if tracker:
        # Filed before the files are written: a tracked .eml carries its request's subject tag
        # and a Message-ID the tracker recorded, which replies quote (`foia inbox`). Every
        # payload was rendered once above, so a letter that cannot be written stops the run
        # before anything is filed. A letter none of whose formats could be written is not filed.
        from foia.render.email import message_id_for

        written_letters = [letter for letter in built if any(l2 is letter for l2, _, _, _ in payloads)]
        with_eml = {id(l2) for l2, fmt, _, _ in payloads if fmt == "eml"}
        message_ids = {id(letter): message_id_for(letter) for letter in written_letters if id(letter) in with_eml}
        tracked = _track_letters(tracker, written_letters, options, params, message_ids)
        payloads = [(letter, fmt, path, data if fmt != "eml" else letter_bytes(
                        letter, fmt, reproducible=params["reproducible"], attach_docx=params["attach_docx"],
                        attachment_name=target_path(letter, out, "docx", params["stem"]).name,
                        message_id=message_ids[id(letter)], request_id=tracked[id(letter)][0]))
                    for letter, fmt, path, data in payloads]
    _write_all(payloads, out, progress=len(built) >= PROGRESS_FROM)

    for letter in built:
        written = {fmt: path for l2, fmt, path, _ in payloads if l2 is letter}
        for path in written.values():
            click.echo(str(path))
        prefix = letter.fields["about"]["abbreviation"]
        if id(letter) in skipped:
            click.echo(f"{prefix}: no .eml written: {skipped[id(letter)]}", err=True)
        if not written:
            continue
        for warning in (*letter.warnings, *notes):
            click.echo(f"{prefix}: {warning}", err=True)
        for line in _instructions(letter, written):
            click.echo(line, err=True)
        if id(letter) in tracked:
            rid, again = tracked[id(letter)]
            what = "already tracked, the same letter on the same day" if again else "tracked"
            click.echo(f"{prefix}: {what} as request {rid} (foia track show {rid})", err=True)


def _write_all(payloads, out: Path, *, progress: bool) -> None:
    from foia.files import atomic_write
    from foia.paths import ensure_private_dir

    ensure_private_dir(out)
    if progress:
        with click.progressbar(payloads, label="Writing letters", file=sys.stderr) as bar:
            for _, _, path, data in bar:
                atomic_write(path, data, mode=0o600)
    else:
        for _, _, path, data in payloads:
            atomic_write(path, data, mode=0o600)


def _kind_command(kind: LetterKind) -> click.Command:
    fields = [f for f in kind.all_fields if f.cli]

    def callback(**params):
        _run_draft(kind, params)

    required = ", ".join(f.option for f in kind.fields if f.required)
    help_text = (f"{kind.title}\n\nOne letter per --to office, written into --out as DATE-OFFICE-{kind.name}.FORMAT "
                 "(user-only, 0600). Fields not given come from your profile (`foia profile show`)."
                 + (f" Required: {required}." if required else ""))
    extra = (_LOOKUP if kind.name == "contract" else []) + (_TRACK if kind.name in TRACKABLE else [])
    return click.Command(kind.name, params=[*_COMMON, *extra, *(_field_option(f) for f in fields)], callback=callback,
                         help=help_text, short_help=kind.title)


@click.group()
def draft():
    """Write letters: one per office, in txt, md, docx or eml.

    \b
    foia draft records --system icm --to ICE --format docx
    foia draft self --to ICE --to CBP --date-of-birth 1990-01-31 ...
    foia draft appeal --to ICE --tracking-number 2026-ICFO-12345 --grounds no-records ...
    """


for _kind in KINDS.values():
    draft.add_command(_kind_command(_kind))
