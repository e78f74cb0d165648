"""Small values shared by the contracts modules: durations, dollar amounts, numbers and
text from USAspending's answers."""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from foia.errors import UsageError
from foia.naming import Field, Text


def parse_duration(text: str | float | int, field: str = "cache_ttl", *, source: str | None = None) -> float:
    """Seconds from ``3600``, ``90s``, ``30m``, ``24h`` or ``7d``; an error names ``field``, or
    ``source`` (such as an environment variable) when the text came from there."""
    name = source or Field(field)
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        if text < 0 or not math.isfinite(text):
            raise UsageError(Text(name, f" {text!r} must be 0 or more"), field=field)
        return float(text)
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", str(text or ""), re.IGNORECASE)
    if not m:
        raise UsageError(Text(name, f" {text!r} is not a duration; use seconds or e.g. 30m, 24h, 7d"),
                         field=field)
    scale = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2).lower()]
    return float(m.group(1)) * scale


def money(amount: Decimal | None) -> str:
    """``$1,234.50`` (empty for an unknown amount)."""
    if amount is None:
        return ""
    sign = "-" if amount < 0 else ""
    return f"{sign}${abs(amount):,.2f}"


def decimal_or_none(value: Any) -> Decimal | None:
    """A finite Decimal from a JSON number or numeric text; None for null; ValueError otherwise."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError
    try:
        out = Decimal(str(value).strip() if isinstance(value, str) else repr(value))
    except InvalidOperation:
        raise ValueError from None
    if not out.is_finite():
        raise ValueError
    return out


def shorten(text: str, width: int = 160) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: width - 3] + "..."


def kind_of(v: Any) -> str:
    """What a JSON value is, in words ("an object", "a list", "text"...)."""
    if isinstance(v, dict):
        return "an object"
    if isinstance(v, list):
        return "a list"
    if v is None:
        return "null"
    if isinstance(v, str):
        return "text"
    return "a number" if isinstance(v, (int, float)) and not isinstance(v, bool) else type(v).__name__
