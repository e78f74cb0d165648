"""Output formats shared by every listing: a plain table, ``--json`` and ``--csv``."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Iterable, Sequence

import click


def _default(obj: Any):
    if isinstance(obj, (date, datetime)):
        return obj.isoformat()
    if isinstance(obj, Decimal):
        return str(obj)
    if isinstance(obj, (set, frozenset, tuple)):
        return list(obj)
    raise TypeError(f"cannot serialise {type(obj).__name__}")


def to_json(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, default=_default)


def to_csv(rows: Sequence[dict], columns: Sequence[str]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _cell(row.get(k)) for k in columns})
    return buf.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return "; ".join(str(v) for v in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def table(rows: Sequence[dict], columns: Sequence[str], headers: Sequence[str] | None = None,
          max_width: int = 60) -> str:
    """A left-aligned text table; long cells are cut with an ellipsis."""
    headers = list(headers or [c.replace("_", " ") for c in columns])
    cells = [[_clip(_cell(r.get(c)), max_width) for c in columns] for r in rows]
    widths = [max([len(h)] + [len(row[i]) for row in cells]) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip() for row in cells]
    return "\n".join(lines)


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


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
    if fmt == "json":
        click.echo(to_json(list(rows)))
    elif fmt == "csv":
        click.echo(to_csv(rows, columns), nl=False)
    elif not rows:
        click.echo(empty)
    else:
        click.echo(table(rows, columns, list(headers) if headers else None))
