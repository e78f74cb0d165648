"""Output formats shared by every listing: a plain table, JSON and CSV (with the one CSV writer of
foia's outputs, which every CSV file and listing goes through). The command line's options for
them are foia.commands.output's."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Sequence


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


# CSV injection (OWASP, "CSV Injection"): a spreadsheet runs a cell that starts with =, +, -, @,
# tab or carriage return as a formula (=HYPERLINK(...) in a request title, a USAspending recipient
# name). Every CSV foia writes goes through CsvWriter, which prefixes such a cell with a single
# quote, as OWASP advises: the spreadsheet shows the text, runs nothing. A cell already starting
# with quotes before one of those characters gets one more quote, so `unescape_cell` (used by
# `foia track import`) gives back exactly the original text. A plain number (-12.50, a
# deobligation) cannot be a formula and is left as it is, so spreadsheets still add it up.
_FORMULA = re.compile(r"'*[=+\-@\t\r]")
_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_QUOTED_FORMULA = re.compile(r"'+[=+\-@\t\r]")
_FIRST = frozenset("=+-@\t\r'")


def escape_cell(text: str) -> str:
    """``text`` safe to open in a spreadsheet (see _FORMULA)."""
    # The first character is looked at first: a million cells are written in an export.
    if text and text[0] in _FIRST and _FORMULA.match(text) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def unescape_cell(text: str) -> str:
    """The original text of a cell that ``escape_cell`` wrote."""
    if text[:1] == "'" and _QUOTED_FORMULA.match(text):
        return text[1:]
    return text


class CsvWriter:
    """The one CSV writer of foia's outputs: a header, then one row per dict, every cell made
    text (``_cell``) and escaped against formula injection (``escape_cell``)."""

    def __init__(self, fh, columns: Sequence[str]):
        self.columns = list(columns)
        self._writer = csv.writer(fh, lineterminator="\n")

    def writeheader(self) -> None:
        self._writer.writerow([escape_cell(c) for c in self.columns])

    def writerow(self, row: dict) -> None:
        # Written for speed (an export writes millions of cells): most cells are text that
        # starts with a letter or a digit, and pass two cheap tests.
        self._writer.writerow([c if c.__class__ is str and not (c and c[0] in _FIRST) else escape_cell(_cell(c))
                               for c in map(row.get, self.columns)])


def to_csv(rows: Sequence[dict], columns: Sequence[str]) -> str:
    buf = io.StringIO()
    writer = CsvWriter(buf, columns)
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
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
