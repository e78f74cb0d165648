"""What each field of a request may hold: one check per field, used by ``Tracker.add``,
``Tracker.update`` and the import.

A check takes the value as given (text from a command line, a CSV cell or a JSON value) and
returns it as stored, or raises :class:`~foia.errors.BadValue` naming the field (``exc.field``);
:func:`request_problems` runs every check of a request's own fields and returns the problems as
``(field, message)`` pairs instead, for a caller that reports them all (the import). Fields that
need the directory (office, systems, vendors, contracts) are checked by the tracker, which
holds it.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any, Callable, Mapping

from foia.errors import BadValue
from foia.parse import bad, check_utf8, parse_amount, parse_day, parse_tags, parse_text
from foia.vocab import SENT_VIA

# The longest value each text field holds (its column's size).
LIMITS = {"title": 500, "assignee": 200, "requester": 500, "client_name": 500, "client_a_number": 32,
          "note": 5000, "by": 200}
# A letter kind as stored with a request: the letter kinds, and any short lowercase word.
KIND = re.compile(r"[a-z0-9][a-z0-9-]{0,31}")
KINDS_HINT = "e.g. records, contract, self, third-party (the letter kinds)"
TRACKING_REASONS = {
    "assigned": "assigned by the office",
    "split": "request split into parts",
    "referral": "referred to another office",
    "appeal": "appeal number",
}
FEE_KINDS = ("estimated", "assessed", "paid", "waived", "waiver-denied", "advance")
EXPEDITE_DECISIONS = ("granted", "denied")
REQUESTER_CONTACT_KEYS = ("email", "address", "phone")
# Request ids are INTEGER columns (PostgreSQL: at most 2**31 - 1).
MAX_ID = 2**31 - 1
# The letter as sent, kept with a request: a few pages of text.
LETTER_MAX_BYTES = 1_000_000
# A client's date of birth before this many years ago is a typing mistake (0001-01-01).
OLDEST_CLIENT_YEARS = 130
# An A-Number: 8 or 9 digits after an optional "A" (spaces and dashes between them are allowed
# and kept as written).
_A_NUMBER = re.compile(r"[Aa]?[0-9]{8,9}")


def a_number_problem(text: str) -> str | None:
    """Why ``text`` is not an A-Number (never echoing it: an identity field), or None."""
    if _A_NUMBER.fullmatch(re.sub(r"[\s-]", "", text)):
        return None
    return "not an A-Number; write 8 or 9 digits, optionally after an A (e.g. A012345678)"


def dob_problem(dob: date, today: date) -> str | None:
    """Why ``dob`` cannot be a client's date of birth (never echoing it), or None."""
    if dob > today:
        return "the date of birth is in the future; check it (YYYY-MM-DD)"
    if dob.year < today.year - OLDEST_CLIENT_YEARS:
        return f"the date of birth is more than {OLDEST_CLIENT_YEARS} years ago; check it (YYYY-MM-DD)"
    return None


def text(value, field: str) -> str | None:
    """A one-line text field (title, assignee, requester, client_name, note...), None when empty."""
    return parse_text(value, field, limit=LIMITS[field])


def title(value) -> str:
    found = text(value, "title")
    if not found:
        raise bad("title", "give the request a title (what it asks for)")
    return found


def kind(value) -> str:
    found = (value or "records").strip().lower()
    if not KIND.fullmatch(found):
        raise bad("kind", f"{found!r} is not a kind; use lowercase letters and dashes, {KINDS_HINT}")
    return found


def sent_via(value) -> str | None:
    if value is None:
        return None
    found = value.strip().lower()
    if found not in SENT_VIA:
        raise bad("sent_via", f"{found!r} is not a way of sending; use one of {', '.join(SENT_VIA)}")
    return found


def client_dob(value, today: date) -> date | None:
    """The client's date of birth; a message never echoes it (an identity field)."""
    try:
        dob = parse_day(value, "client_dob")
    except BadValue:
        raise bad("client_dob", "not a date; use YYYY-MM-DD") from None
    problem = dob and dob_problem(dob, today)
    if problem:
        raise bad("client_dob", problem)
    return dob


def client_a_number(value) -> str | None:
    found = text(value, "client_a_number")
    problem = found and a_number_problem(found)
    if problem:
        raise bad("client_a_number", problem)
    return found


def letter_text(value) -> str | None:
    if value and "\x00" in value:
        raise bad("letter_text", "the text contains a NUL character; give the letter as plain text")
    return value if value and value.strip() else None


def fee_category(value) -> str | None:
    from foia.errors import UsageError
    from foia.profile import normalize_fee_category

    try:
        return normalize_fee_category(value, what="fee_category")
    except UsageError as exc:
        raise bad("fee_category", exc.message.split(": ", 1)[-1]) from None


def fee_limit(value) -> str | None:
    return parse_amount(value, "fee_limit") if value not in (None, "") else None


def requester_contact(contact: Mapping[str, Any] | None) -> dict | None:
    """The requester's contact details to store (email, address, phone), checked; None when empty.
    Each is the field ``requester_<key>``."""
    from foia.directory.schema import EMAIL_RE

    if not contact:
        return None
    out = {}
    for key in REQUESTER_CONTACT_KEYS:
        value = parse_text(contact.get(key), f"requester_{key}", limit=1000)
        if value:
            out[key] = value
    if out.get("email") and not EMAIL_RE.match(out["email"]):
        raise bad("requester_email", "not an email address; use name@example.org")
    if out.get("address"):
        # Lines as typed; a "\n" typed in a shell is a line break too.
        out["address"] = "\n".join(ln.strip() for ln in out["address"].replace("\\n", "\n").splitlines()
                                   if ln.strip())
    return out or None


def tracking_number(value, field: str = "tracking_number") -> tuple[str, str]:
    """``NUMBER`` or ``NUMBER:reason`` (reason: assigned, split, referral, appeal)."""
    given = check_utf8((value or "").strip(), field)
    number, sep, reason = given.rpartition(":")
    if sep and reason.strip().lower() not in TRACKING_REASONS and reason.strip().isalpha():
        # "X:bogus" is a mistyped reason far more often than a number with a colon in it.
        raise bad(field, f"{reason.strip()!r} in {value!r} is not a reason; use NUMBER[:reason] with "
                         f"reason one of {', '.join(TRACKING_REASONS)}")
    if not sep or reason.strip().lower() not in TRACKING_REASONS:
        number, reason = given, "assigned"
    number, reason = number.strip(), reason.strip().lower()
    if not number or len(number) > 100 or len(number.split()) != 1:
        raise bad(field, f"{value!r} is not a tracking number; use NUMBER[:reason] with reason one of "
                         f"{', '.join(TRACKING_REASONS)}, e.g. 2025-ICFO-12345:assigned")
    return number, reason


def tracking_numbers(values, field: str = "tracking_number") -> list[tuple[str, str]]:
    numbers = [tracking_number(v, field) for v in values]
    if len({n for n, _ in numbers}) != len(numbers):
        raise bad(field, "the same number is given twice")
    return numbers


def tags(values, field: str = "tags") -> list[str]:
    return parse_tags(values, field)


def fee(kind_: str, amount, field: str | None = None) -> tuple[str, str]:
    """A fee event's kind (FEE_KINDS) and amount; ``field`` defaults to the kind's own field
    (``fee_estimated``..., ``fee_denied`` for a fee waiver denied)."""
    if kind_ not in FEE_KINDS:
        raise BadValue(f"fee kind {kind_!r}: use one of {', '.join(FEE_KINDS)}", field="fees")
    return kind_, parse_amount(amount, field or fee_field(kind_))


def fee_field(kind_: str) -> str:
    return "fee_denied" if kind_ == "waiver-denied" else f"fee_{kind_}"


def expedite_decision(value) -> str | None:
    if value is None:
        return None
    found = value.strip().lower()
    if found not in EXPEDITE_DECISIONS:
        raise bad("expedite_decision", "use granted or denied")
    return found


def count(value, field: str) -> int | None:
    """A number of documents or pages: a whole number >= 0."""
    if value is not None and (isinstance(value, bool) or int(value) < 0):
        raise bad(field, "give a whole number >= 0")
    return value


# The request's own fields in the order add() checks them: field -> (the check, does it need today).
_CHECKS: dict[str, tuple[Callable, bool]] = {
    "title": (title, False), "kind": (kind, False), "sent_via": (sent_via, False),
    "client_dob": (client_dob, True), "client_a_number": (client_a_number, False),
    "tracking_numbers": (tracking_numbers, False), "letter_text": (letter_text, False),
    "assignee": (lambda v: text(v, "assignee"), False), "requester": (lambda v: text(v, "requester"), False),
    "requester_contact": (requester_contact, False), "client_name": (lambda v: text(v, "client_name"), False),
    "fee_category": (fee_category, False), "fee_limit": (fee_limit, False), "tags": (tags, False),
    "note": (lambda v: text(v, "note"), False),
}


def check_request(values: Mapping[str, Any], *, today: date) -> dict:
    """The request's own fields in ``values`` (any of ``_CHECKS``' keys), checked and as stored;
    the first bad one raises :class:`BadValue` naming its field."""
    return {name: (check(values[name], today) if needs_today else check(values[name]))
            for name, (check, needs_today) in _CHECKS.items() if name in values}


def request_problems(values: Mapping[str, Any], *, today: date) -> tuple[dict, list[tuple[str, str]]]:
    """Every field of ``values`` checked: the values as stored (the bad ones left out) and the
    problems as ``(field, message)`` pairs, the message without the field's name."""
    clean: dict[str, Any] = {}
    problems: list[tuple[str, str]] = []
    for name, (check, needs_today) in _CHECKS.items():
        if name not in values:
            continue
        try:
            clean[name] = check(values[name], today) if needs_today else check(values[name])
        except BadValue as exc:
            problems.append((exc.field or name, str(exc.message).split(": ", 1)[-1]))
    return clean, problems


def calendar_day(day: date, field: str) -> date:
    """``day`` when foia's working-day calendar covers it (a clock can be counted from it)."""
    from foia.clocks.calendar import calendar_problem

    problem = calendar_problem(day)
    if problem:
        raise bad(field, problem)
    return day
