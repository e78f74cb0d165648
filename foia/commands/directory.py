"""`foia agencies|systems|vendors|search`: browse the sourced directory."""

from __future__ import annotations

import click

from foia.directory import describe
from foia.directory import Directory, load_directory
from foia.commands.output import emit, output_options, to_json


def _directory(ctx: click.Context) -> Directory:
    return load_directory((ctx.find_root().obj or {}).get("directory_override"))


# ---- agencies ------------------------------------------------------------------------------


@click.group()
def agencies():
    """Agencies and FOIA offices: where to file, clocks, contacts."""


@agencies.command("list")
@output_options()
@click.pass_context
def agencies_list(ctx, fmt):
    """List agencies, components and offices."""
    d = _directory(ctx)
    rows = [describe.agency_row(d, a) for a in d.agencies.values()]
    emit(rows, ["id", "abbreviation", "name", "parent", "files_with", "portal_only"], fmt)


@agencies.command("show")
@click.argument("agency_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def agencies_show(ctx, agency_id, as_json):
    """Show an agency: where to file, contacts (unverified ones marked), appeal route, clock."""
    d = _directory(ctx)
    a = d.agency(agency_id)
    if as_json:
        click.echo(to_json(describe.agency_dict(d, a)))
    else:
        click.echo(describe.agency_text(d, a))


# ---- systems -------------------------------------------------------------------------------


@click.group()
def systems():
    """Systems of records (ICM, FALCON, TECS...): SORNs, PIAs, what to ask for."""


@systems.command("list")
@output_options()
@click.pass_context
def systems_list(ctx, fmt):
    """List systems with their agencies, SORNs and PIAs."""
    d = _directory(ctx)
    rows = [describe.system_row(s) for s in d.systems.values()]
    emit(rows, ["id", "abbreviation", "name", "agencies", "sorns", "pias"], fmt)


@systems.command("show")
@click.argument("system_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def systems_show(ctx, system_id, as_json):
    """Show a system: operator, vendors, SORNs, PIAs, what it holds, what to request."""
    d = _directory(ctx)
    s = d.system(system_id)
    click.echo(to_json(describe.system_dict(d, s)) if as_json else describe.system_text(d, s))


# ---- vendors -------------------------------------------------------------------------------


@click.group()
def vendors():
    """Vendors and their contracts, with sources and conflicts."""


@vendors.command("list")
@output_options()
@click.pass_context
def vendors_list(ctx, fmt):
    """List vendors and how many contract records the directory holds for each."""
    d = _directory(ctx)
    rows = [describe.vendor_row(d, v) for v in d.vendors.values()]
    emit(rows, ["id", "name", "parent", "contracts", "products"], fmt)


@vendors.command("show")
@click.argument("vendor_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--check", is_flag=True,
              help="Compare the directory's contract claims with USAspending (needs network or --base-url).")
@click.option("--base-url", envvar="FOIA_USASPENDING_URL", default=None, metavar="URL",
              help="USAspending API base URL for --check (env FOIA_USASPENDING_URL).")
@click.option("--refresh", is_flag=True, help="With --check: ignore cached USAspending answers.")
@click.pass_context
def vendors_show(ctx, vendor_id, as_json, check, base_url, refresh):
    """Show a vendor's contracts: every claim with amount, dates and source; conflicts side by side."""
    d = _directory(ctx)
    v = d.vendor(vendor_id)
    report = None
    if check:
        from foia import contracts

        with contracts.make_client(base_url, refresh=refresh) as client:
            report = contracts.check_vendor_claims(d, v.id, client)
    if as_json:
        data = describe.vendor_dict(d, v)
        if report is not None:
            data["check"] = report.to_dict()
        click.echo(to_json(data))
        return
    click.echo(describe.vendor_text(d, v))
    if report is not None:
        click.echo("\nUSAspending check:")
        for line in report.lines():
            click.echo(f"  {line}")


# ---- search --------------------------------------------------------------------------------


@click.command()
@click.argument("text")
@click.option("--in", "where", type=click.Choice(["directory", "documents"]), default="directory", show_default=True,
              help="documents: every page of every stored document, with the tracker's titles and notes.")
@click.option("--request", metavar="ID", help="With --in documents: only this request.")
@click.option("--office", metavar="ID", help="With --in documents: only documents from this office (ICE, HSI...).")
@click.option("--identity", is_flag=True, help="With --in documents: also match and show clients' identity fields.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(min=1), help="At most this many hits.")
@click.option("--db", envvar="FOIA_DB", metavar="URL", help="With --in documents: the tracker database (env FOIA_DB).")
@output_options()
@click.pass_context
def search(ctx, text, where, request, office, identity, limit, db, fmt):
    """Search agencies, systems, vendors and contracts (names, SORNs, PIAs, award numbers, claims);
    with --in documents, the pages of the records received (words, "a phrase", OR, -word)."""
    if where == "documents":
        return _search_documents(ctx, text, request, office, identity, limit, db, fmt)
    if request or office or identity:
        raise click.UsageError("--request, --office and --identity go with --in documents")
    d = _directory(ctx)
    if len(text.strip()) < 2:
        raise click.BadParameter("give at least 2 characters to search for", param_hint="TEXT")
    rows = describe.search(d, text)
    emit(rows, ["type", "id", "name", "match"], fmt, empty=f"Nothing in the directory matches {text!r}.")


def _search_documents(ctx, text, request, office, identity, limit, db, fmt):
    from foia.commands.track_common import open_tracker as _tracker
    from foia.vault.search import search as search_documents

    ctx.ensure_object(dict)
    ctx.obj["db"] = db
    rows = search_documents(_tracker(ctx), text, request=request, office=office, identity=identity, limit=limit)
    if fmt != "json":
        for r in rows:
            r["where"] = (f"doc {r['document_id']} p. {r['page']}" if r["type"] == "page"
                          else f"event #{r['event_id']}" if r["type"] == "note" else r["type"])
    emit(rows, ["request_id", "where", "office", "snippet"], fmt, headers=["request", "where", "office", "snippet"],
         empty=f"Nothing in the documents or the tracker matches {text!r}.")
