"""`foia contracts search|show`: contract awards on USAspending."""

from __future__ import annotations

import click

from foia.commands.output import emit, output_options, to_json


def client_options(f):
    """Where USAspending is and how its answers are cached; shared by every contracts command."""
    f = click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=30.0, show_default=True,
                     help="Seconds each USAspending request may take in all (connecting, waiting and reading).")(f)
    f = click.option("--no-cache", is_flag=True, help="Neither read nor write the on-disk cache.")(f)
    f = click.option("--refresh", is_flag=True, help="Ignore cached answers and fetch (and cache) them anew.")(f)
    f = click.option("--cache-ttl", metavar="DURATION", default=None,
                     help="How long cached answers stay fresh: seconds or 30m, 24h, 7d "
                          "(env FOIA_CACHE_TTL; default 24h).")(f)
    f = click.option("--base-url", envvar="FOIA_USASPENDING_URL", metavar="URL", default=None,
                     help="USAspending API root (env FOIA_USASPENDING_URL; default https://api.usaspending.gov).")(f)
    return f


def _client(base_url, cache_ttl, refresh, no_cache, timeout):
    from foia.contracts import make_client

    return make_client(base_url, cache_ttl=cache_ttl, refresh=refresh, no_cache=no_cache, timeout=timeout)


def _directory(ctx: click.Context):
    from foia.directory import load_directory

    return load_directory((ctx.find_root().obj or {}).get("directory_override"))


@click.group()
def contracts():
    """Contract awards on USAspending: search them, show one with its modifications."""


@contracts.command("search")
@click.argument("vendor_args", metavar="[VENDOR]...", nargs=-1)
@click.option("--vendor", multiple=True, metavar="VENDOR",
              help="A directory vendor id or alias (searches its USAspending names), or a recipient name. Repeatable.")
@click.option("--agency", multiple=True, metavar="OFFICE",
              help="A directory office (ICE, HSI, CBP...) mapped to USAspending's awarding agency. Repeatable.")
@click.option("--keyword", multiple=True, metavar="TEXT", help="Words to search for (3 characters or more). Repeatable.")
@click.option("--since", metavar="YYYY-MM-DD", help="Awards with actions on or after this day (2007-10-01 at the earliest).")
@click.option("--until", metavar="YYYY-MM-DD", help="Awards with actions on or before this day.")
@click.option("--max-results", type=click.IntRange(min=0), default=500, show_default=True,
              help="Stop after this many awards (0: fetch every page).")
@click.option("--sort", type=click.Choice(["amount", "start-date", "end-date", "award-id", "recipient"]),
              default="amount", show_default=True, help="Order of the results.")
@click.option("--order", type=click.Choice(["desc", "asc"]), default="desc", show_default=True)
@output_options()
@client_options
@click.pass_context
def contracts_search(ctx, vendor_args, vendor, agency, keyword, since, until, max_results, sort, order, fmt,
                     base_url, cache_ttl, refresh, no_cache, timeout):
    """Search contract awards (types A-D): award number, recipient, amount, dates, office.

    VENDOR, given bare or with --vendor, is a directory vendor id or alias, or a recipient name.

    Example: foia contracts search palantir --agency ICE --since 2014-01-01
    """
    from foia.contracts import AwardRow, build_search
    from foia.naming import as_flags  # the library names fields (max_results); users see --max-results

    query, notes = build_search(_directory(ctx), vendors=(*vendor_args, *vendor), agencies=agency, keywords=keyword,
                                since=since, until=until, sort=sort, order=order)
    # The client checks --base-url and --cache-ttl: a bad one fails before anything is printed.
    with _client(base_url, cache_ttl, refresh, no_cache, timeout) as client:
        for note in notes:
            click.echo(as_flags(note), err=True)
        result = client.search_awards(query, max_results=max_results)
    for note in result.notes:
        click.echo(as_flags(note), err=True)
    if fmt in ("json", "csv"):
        emit([a.to_dict() for a in result.awards], AwardRow.COLUMNS, fmt)
    else:
        emit([a.table_row() for a in result.awards],
             ["award_id", "recipient", "amount", "start_date", "end_date", "awarding_sub_agency", "description"],
             None, headers=["AWARD ID", "RECIPIENT", "AMOUNT", "START", "END", "SUB AGENCY", "DESCRIPTION"],
             empty="No contract awards found on USAspending.")
    click.echo(as_flags(result.summary()), err=True)


@contracts.command("show")
@click.argument("award")
@click.option("--agency", metavar="OFFICE",
              help="When an award number matches awards at several agencies, keep this office's.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@client_options
@click.pass_context
def contracts_show(ctx, award, agency, as_json, base_url, cache_ttl, refresh, no_cache, timeout):
    """Show an award and its modifications (transactions).

    AWARD is an award number (PIID, e.g. 70CTD022FR0000170) or a USAspending id (CONT_AWD_...).
    """
    from foia.contracts import award_text, letter_fields_for_award

    directory = _directory(ctx) if agency else None
    with _client(base_url, cache_ttl, refresh, no_cache, timeout) as client:
        fields = letter_fields_for_award(award, client, directory=directory, agency=agency)
    click.echo(to_json(fields) if as_json else award_text(fields))
