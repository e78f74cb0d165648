"""Parsers of typed values from text, one per kind of value: a date, a dollar amount, a
one-line text, a list of tags. A value that does not parse is a one-line
:class:`~foia.errors.BadValue` carrying the field it came from (the message names the field
with :class:`~foia.naming.Field`, so the command line shows its option)."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Iterable

from foia.errors import BadValue
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
        raise BadValue(Text(Field(field), f" {text!r} is not a date; use YYYY-MM-DD, e.g. 2014-01-01"),
                       field=field) from None


def bad(field: str, text: str, cls: type[BadValue] = BadValue) -> BadValue:
    """The error for ``field``: ``Text(Field(field), ": " + text)`` (``--on: ...`` on the command line)."""
    return cls(Text(Field(field), ": " + text), field=field)


_ISO = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_day(value, field: str) -> date | None:
    """A day given as YYYY-MM-DD (a ``date`` passes through, None stays None); an empty text is
    an error, not "today": an unset shell variable must not silently mean today."""
    if value is None or isinstance(value, date):
        return value
    text = str(value)
    if not text.strip():
        raise bad(field, "empty; give a date as YYYY-MM-DD")
    stripped = text.strip()
    if _ISO.fullmatch(stripped):
        try:
            return date.fromisoformat(stripped)
        except ValueError:
            pass
    raise bad(field, f"{text!r} is not a date; use YYYY-MM-DD, e.g. 2025-11-21")


_AMOUNT = re.compile(r"\d+\.?\d{0,2}|\.\d{1,2}")


def parse_amount(text: str | Decimal | int | float, field: str) -> str:
    """A dollar amount as a canonical string with cents ("25.00")."""
    raw = str(text).strip().lstrip("$").replace(",", "")
    not_amount = f"{text!r} is not an amount; use dollars like 25 or 25.50"
    # Decimal also reads "1e3", "NaN" and "+5": dollars are digits with at most two decimals.
    if not isinstance(text, (Decimal, int, float)) and not _AMOUNT.fullmatch(raw):
        raise bad(field, not_amount)
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise bad(field, not_amount) from None
    if value.is_finite() and value >= 10**9:
        raise bad(field, f"{text!r} is a billion dollars or more; check the amount")
    if not value.is_finite() or value < 0 or value != value.quantize(Decimal("0.01")):
        raise bad(field, not_amount)
    return f"{value:.2f}"


def utf8_problem(text: str) -> str | None:
    """Why ``text`` cannot be written anywhere, or None: a lone surrogate, what Python makes of
    bytes that are not UTF-8 (a command-line argument from a Latin-1 terminal arrives as
    ``'\\udcff'`` for the byte 0xff), which no database, file or terminal then accepts."""
    if text.isascii():
        return None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        code = ord(text[exc.start])
        if 0xDC80 <= code <= 0xDCFF:
            return (f"not valid UTF-8 text (byte 0x{code - 0xDC00:02x}); type it again as UTF-8 "
                    "(set your terminal or file to UTF-8)")
        return f"contains half of a surrogate pair (U+{code:04X}), not a character; fix the text"
    return None


def check_utf8(text: str, field: str) -> str:
    """``text`` as given, or the error naming ``field`` when it is not UTF-8 (:func:`utf8_problem`)."""
    problem = utf8_problem(text)
    if problem:
        raise bad(field, problem)
    return text


def parse_text(value, field: str, limit: int = 2000) -> str | None:
    """A text of at most ``limit`` characters, None when empty. Up to 2,000 characters it is one
    line (runs of spaces and line breaks become one space); longer texts keep their lines."""
    if value is None:
        return None
    text = " ".join(str(value).split()) if limit <= 2000 else str(value).strip()
    if not text:
        return None
    check_utf8(text, field)
    if "\x00" in text:
        # PostgreSQL cannot store it; SQLite would, and the queue could then never move there.
        raise bad(field, "contains a NUL character; remove it")
    if len(text) > limit:
        raise bad(field, f"longer than {limit} characters; shorten it")
    return text


# An email address, as the directory's contacts, the profile and the tracker's requester check it
# (the agency answers at this address: a typo loses the reply).
EMAIL_RE = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")

# A tag: one word, no spaces, commas or semicolons (they separate tags), up to 100 characters.
TAG = re.compile(r"[^\s,;]{1,100}")


def parse_tags(tags: Iterable[str], field: str = "tag") -> list[str]:
    """Tags from texts that may each hold several (``a,b;c``), once each, in the order given."""
    out: list[str] = []
    for raw in tags:
        for t in re.split(r"[,;]", check_utf8(str(raw), field)):
            t = t.strip()
            if not t:
                continue
            if not TAG.fullmatch(t):
                raise bad(field, f"{t!r} is not a tag; use one word (no spaces), up to 100 characters")
            if t not in out:
                out.append(t)
    return out
