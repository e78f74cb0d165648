"""Parsers of typed values from text; a value that does not parse is a one-line
:class:`~foia.errors.UsageError` carrying the field it came from."""

from __future__ import annotations

import re
from datetime import date

from foia.errors import UsageError
from foia.naming import Field, Text

_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_date(text: str | date | None, field: str) -> date | None:
    """A YYYY-MM-DD date (a ``date`` or None passes through), or an error naming ``field``."""
    if text is None or isinstance(text, date):
        return text
    try:
        if not _DAY.match(text.strip()):
            raise ValueError
        return date.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(Text(Field(field), f" {text!r} is not a date; use YYYY-MM-DD, e.g. 2014-01-01"),
                         field=field) from None
