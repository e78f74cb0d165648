"""How letters word things: addresses as lines, dollar amounts, long dates, names with their
article, lists joined with "and", sentences from profile text."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

def address_lines(value: str | None) -> list[str]:
    """A postal address as lines: as typed when it has line breaks, else the street part and
    "City, ST ZIP" split at the last two commas."""
    if not value:
        return []
    # A typed "\n" (a shell does not turn it into a line break) separates lines too: no address has one.
    value = value.replace("\\n", "\n")
    if "\n" in value:
        return [ln.strip() for ln in value.splitlines() if ln.strip()]
    parts = [p.strip() for p in value.split(",") if p.strip()]
    if len(parts) >= 3 and re.search(r"\d", parts[-1]):
        return [", ".join(parts[:-2]), f"{parts[-2]}, {parts[-1]}"]
    return [value.strip()]


def money(amount: Decimal | int | float | str | None) -> str:
    """``$1,250`` or ``$125.50``; empty for no amount."""
    if amount is None or amount == "":
        return ""
    amount = Decimal(str(amount))
    cents = amount != amount.to_integral_value()
    return f"${amount:,.2f}" if cents else f"${int(amount):,}"


def long_date(value: date | str) -> str:
    """``January 31, 2026``; text that is not an ISO date comes back as it is."""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            return value
    return f"{value:%B} {value.day}, {value.year}"


def with_article(name: str) -> str:
    """"the Federal Bureau of Investigation"; names that begin "U.S." read without the article."""
    return name if name.startswith(("U.S.", "the ", "The ")) else f"the {name}"


def join_and(items) -> str:
    items = [str(i) for i in items]
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + ", and " + items[-1]


def capfirst(value: Any) -> str:
    """The first letter upper-cased, the rest as it is ("the ICE FOIA Office" -> "The ICE FOIA Office")."""
    text = str(value)
    return text[:1].upper() + text[1:]


def sentence(value: Any) -> str:
    """Text from the profile as a sentence: a final period added when it has no end mark, so
    two profile statements do not run together."""
    text = str(value).strip()
    return text if not text or text.rstrip("\"')\u201d\u2019")[-1:] in (".", "!", "?") else text + "."


def same_name(a: str, b: str) -> bool:
    """Whether two names are the same, spacing and case aside."""
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


