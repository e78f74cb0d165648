"""The listing options every command shares (``--json``, ``--csv``) and printing a listing in
the format chosen (foia.output's table, JSON or CSV)."""

from __future__ import annotations

from typing import Iterable, Sequence

import click

__all__ = ["emit", "output_options", "to_json"]


def to_json(data) -> str:
    """:func:`foia.output.to_json` (imported when used: a plain listing needs no json, csv or decimal)."""
    from foia.output import to_json as dumps

    return dumps(data)


def output_options(*, csv_option: bool = True):
    """``--json`` (and ``--csv``) for a listing command, as one ``fmt`` argument."""

    def decorator(f):
        f = click.option("--json", "fmt", flag_value="json", help="Print JSON.")(f)
        if csv_option:
            f = click.option("--csv", "fmt", flag_value="csv", help="Print CSV.")(f)
        return f

    return decorator


def emit(rows: Sequence[dict], columns: Sequence[str], fmt: str | None, *, headers: Iterable[str] | None = None,
         empty: str = "Nothing found.") -> None:
    from foia.output import table, to_csv

    if fmt == "json":
        click.echo(to_json(list(rows)))
    elif fmt == "csv":
        click.echo(to_csv(rows, columns), nl=False)
    elif not rows:
        click.echo(empty)
    else:
        click.echo(table(rows, columns, list(headers) if headers else None))
