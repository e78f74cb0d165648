"""A letter's options: each value checked and converted by its field's type.

Errors name the field (``exemptions``, ``date_of_birth``); the command line shows its option.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from foia.errors import FoiaError, UsageError
from foia.letters.fields import Field
from foia.naming import Field as Named
from foia.naming import Text
from foia.parse import parse_date

if TYPE_CHECKING:
    from foia.letters.kinds import LetterKind



def refusal(field: str, text: str) -> UsageError:
    """A refusal of the value of ``field``: "<field>: <text>"."""
    return UsageError(Text(Named(field), f": {text}"), field=field)


def normalize_exemption(text: str) -> str:
    """``b6``, ``(b)(6)``, ``b7c`` -> ``(b)(6)``, ``(b)(7)(C)`` (5 U.S.C. 552(b))."""
    from foia.exemptions import canonical

    key = canonical(text)
    if key is None:
        raise refusal("exemptions", f"{text!r} is not an exemption; write it like (b)(5), (b)(6) or (b)(7)(C)")
    return key


def _parse_date(f: Field, value: Any) -> date:
    if isinstance(value, date):
        return value
    text = str(value).strip()
    try:
        return parse_date(text, f.name)
    except UsageError:
        # Its own message: parse_date's echoes the value, and a date of birth must not be.
        shown = "the value given" if f.pii else repr(text)
        raise refusal(f.name, f"{shown} is not a date; use YYYY-MM-DD, e.g. 2026-01-31") from None


def _convert(f: Field, value: Any) -> Any:
    """One option value, checked and converted; None means not given."""
    if f.type == "bool":
        return bool(value)
    if value is None:
        return None
    if f.type == "dict":
        if not isinstance(value, dict):
            raise refusal(f.name, "expected a mapping of award details")
        return dict(value)
    if f.type == "list":
        items = [value] if isinstance(value, str) else list(value)
        out: list[str] = []
        for item in items:
            parts = str(item).split(",") if f.split else [str(item)]
            out += [" ".join(p.split()) for p in parts if p.strip()]
        if f.choices:
            out = [item.lower().replace("_", "-") for item in out]
            for item in out:
                if item not in f.choices:
                    raise refusal(f.name, f"{item!r} is not one of {', '.join(f.choices)}")
        out = list(dict.fromkeys(out))  # a ground or system named twice is asked once
        return out or None
    if f.type == "date":
        return None if str(value).strip() == "" else _parse_date(f, value)
    if f.type == "amount":
        text = str(value).strip().replace("$", "").replace(",", "")
        try:
            amount = Decimal(text)
            if not amount.is_finite() or amount < 0:
                raise InvalidOperation
        except InvalidOperation:
            raise refusal(f.name, f"{value!r} is not an amount; give dollars like 50 or 125.50") from None
        return amount
    text = str(value).replace("\r\n", "\n").strip()
    if f.type == "choice":
        text = text.lower()
        if text and text not in f.choices:
            raise refusal(f.name, f"{text!r} is not one of {', '.join(f.choices)}")
    return text or None


def normalize_options(kind: "LetterKind", options: dict) -> dict:
    """The options of a ``kind`` letter, checked and converted (unknown ones refused)."""
    known = {f.name: f for f in kind.all_fields}
    out: dict[str, Any] = {f.name: False for f in kind.all_fields if f.type == "bool"}
    for key, value in (options or {}).items():
        if key not in known:
            raise UsageError(Text(Named(key), f" does not apply to {kind.name} letters; see `foia letters kinds`"),
                             field=key)
        converted = _convert(known[key], value)
        if converted is not None:
            out[key] = converted
    return out


def missing_field(kind: "LetterKind", name: str, what: str | None = None) -> FoiaError:
    """A ``kind`` letter lacks ``name``: what it needs and how to give it."""
    f = kind.field(name)
    return UsageError(Text(f"{kind.name} letter needs {what or name.replace('_', ' ')}: ", f.source_hint()),
                      field=name)


