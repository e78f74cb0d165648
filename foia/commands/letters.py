"""`foia letters kinds|show|path` and `foia draft KIND --to ICE ...`: write letters."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

import click

from foia.cli import shown
from foia.commands import text_checked
from foia.letters import KINDS, Field, LetterKind
from foia.naming import flag
from foia.vocab import SENT_VIA


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
    decls = [f.option, *([flag(f.alias)] if f.alias else []), f.name]
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
# can be filed in the tracker as they are written: the kinds say which.
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


# Only a kind with an award (contract) can be filled from USAspending.
_LOOKUP = [
    click.Option(["--lookup"], is_flag=True,
                 help="Fill the award's number, parent award, recipient, amount, dates and modifications "
                      "from USAspending (needs network or --base-url)."),
    click.Option(["--base-url"], envvar="FOIA_USASPENDING_URL", metavar="URL",
                 help="USAspending API base URL for --lookup (env FOIA_USASPENDING_URL)."),
]


def _date_option(params: dict, name: str) -> date | None:
    from foia.parse import parse_day

    value = params.get(name)
    return parse_day(value, name) if value else None


def _instructions(letter, written: dict[str, Path]) -> list[str]:
    kind = KINDS.get(letter.kind)
    office = letter.fields["office"]
    # A letter to another office than the one it is about (mediation: OGIS) is filed there.
    who = office["abbreviation"] if kind is not None and kind.to else letter.fields["about"]["abbreviation"]
    text_file = written.get("txt") or written.get("md")
    if letter.portal_only:
        since = office.get("portal_only_since", "")
        rule_by = "DHS" if office.get("dhs") else office["abbreviation"]
        what = f"paste {text_file}" if text_file else f"upload {next(iter(written.values()))}"
        if letter.fields.get("portal_filing"):
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


def _progress(files):
    return click.progressbar(files, label="Writing letters", file=sys.stderr)


def _run_draft(kind: LetterKind, params: dict) -> None:
    options = {}
    for f in kind.all_fields:
        if not f.cli:
            continue
        value = params.get(f.name)
        if value in (None, (), False):
            continue
        options[f.name] = list(value) if isinstance(value, tuple) else value
    d = _directory(click.get_current_context())
    filed_on = _date_option(params, "filed_on")
    draft = dict(directory=d, offices=params["to"], options=options, profile_file=params["profile_file"],
                 use_profile=not params["no_profile"], letter_date=_date_option(params, "letter_date"),
                 filed_on=filed_on, formats=params["formats"], out=params["out"], stem=params["stem"],
                 overwrite=params["overwrite"], reproducible=params["reproducible"],
                 attach_docx=params["attach_docx"], lookup=bool(params.get("lookup")),
                 base_url=params.get("base_url"), progress=_progress)
    if params.get("track"):
        from foia.tracker.filing import draft_and_file

        drafted = draft_and_file(kind.name, db=params.get("db"), sent_via=params.get("sent_via"),
                                 assignee=params.get("assignee"), tags=params.get("tags") or (),
                                 notify=lambda message: click.echo(message, err=True), **draft)
    else:
        from foia.letters import draft_letters

        drafted = draft_letters(kind.name, **draft)
    command = click.get_current_context().command
    for letter in drafted.letters:
        written = drafted.written(letter)
        for path in written.values():
            click.echo(str(path))
        prefix = letter.fields["about"]["abbreviation"]
        if id(letter) in drafted.skipped:
            click.echo(f"{prefix}: no .eml written: {shown(drafted.skipped[id(letter)], command)}", err=True)
        if not written:
            continue
        for warning in (*letter.warnings, *drafted.notes):
            click.echo(f"{prefix}: {shown(warning, command)}", err=True)
        for line in _instructions(letter, written):
            click.echo(line, err=True)
        if id(letter) in drafted.tracked:
            rid, again = drafted.tracked[id(letter)]
            what = "already tracked, the same letter on the same day" if again else "tracked"
            click.echo(f"{prefix}: {what} as request {rid} (foia track show {rid})", err=True)


def _kind_command(kind: LetterKind) -> click.Command:
    fields = [f for f in kind.all_fields if f.cli]

    def callback(**params):
        _run_draft(kind, params)

    required = ", ".join(f.option for f in kind.fields if f.required)
    help_text = (f"{kind.title}\n\nOne letter per --to office, written into --out as DATE-OFFICE-{kind.name}.FORMAT "
                 "(user-only, 0600). Fields not given come from your profile (`foia profile show`)."
                 + (f" Required: {required}." if required else ""))
    extra = (_LOOKUP if kind.lookup else []) + (_TRACK if kind.trackable else [])
    return click.Command(kind.name, params=[*_COMMON, *extra, *(_field_option(f) for f in fields)], callback=callback,
                         help=help_text, short_help=kind.title)


class _Kinds(click.Group):
    """One subcommand per letter kind, read from the kinds table (foia.letters.kinds) when asked for."""

    def list_commands(self, ctx):
        return sorted(KINDS)

    def get_command(self, ctx, name):
        kind = KINDS.get(name)
        return text_checked(_kind_command(kind)) if kind is not None else None


@click.group(cls=_Kinds)
def draft():
    """Write letters: one per office, in txt, md, docx or eml.

    \b
    foia draft records --system icm --to ICE --format docx
    foia draft self --to ICE --to CBP --date-of-birth 1990-01-31 ...
    foia draft appeal --to ICE --tracking-number 2026-ICFO-12345 --grounds no-records ...
    """
