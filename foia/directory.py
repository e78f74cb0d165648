"""The sourced directory: agencies.yaml -> typed, validated records.

Every fact carries ``sources`` (ids from the directory's ``sources`` list) and ``verified``.
Validation is strict and reports every problem in a file together, each as
``FILE:LINE: PATH: what is wrong; what is expected``. A user's override file (``--directory``
or ``FOIA_DIRECTORY``) is validated the same way and merged over the packaged directory; the
records it touched remember that, so ``show`` can say so.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterable

from foia.errors import DirectoryError, NotFound

SECTIONS = ("sources", "closures", "agencies", "systems", "vendors", "contracts")

# ---------------------------------------------------------------------------------------------
# Records


@dataclass(frozen=True)
class Source:
    id: str
    title: str
    file: str | None = None
    url: str | None = None
    via: str | None = None

    def label(self) -> str:
        # The citation a reader can follow (foia/sources.json), not a path into the project's
        # working files, which are not shipped.
        from foia.sources import citation

        return citation(self)


@dataclass(frozen=True)
class Fact:
    """A sentence with its provenance (a description line, a note)."""

    text: str
    sources: tuple[str, ...]
    verified: bool
    note: str | None = None


@dataclass(frozen=True)
class Contact:
    purpose: str  # request | liaison | appeal | amendment | mediation
    type: str  # portal | web | email | mail | phone | fax
    value: str
    sources: tuple[str, ...]
    verified: bool
    note: str | None = None


@dataclass(frozen=True)
class Regulation:
    cite: str
    sources: tuple[str, ...]
    verified: bool


@dataclass(frozen=True)
class Filing:
    """How an office takes requests; DHS has been portal-only since 2026-01-22."""

    policy: str
    sources: tuple[str, ...]
    verified: bool
    portal: str | None = None
    portal_only_since: str | None = None


@dataclass(frozen=True)
class TrackingPattern:
    """How an office writes its tracking numbers (a regular expression matched whole, as a
    word), with one example it must match: `foia inbox` finds them in the agencies' mail."""

    pattern: str
    example: str
    reason: str  # the tracker's reason for the number: assigned (a request) | appeal
    sources: tuple[str, ...]
    verified: bool


@dataclass(frozen=True)
class Appeal:
    route: str
    sources: tuple[str, ...]
    verified: bool
    cite: str | None = None
    office: str | None = None  # the agency id that decides the appeals (DOJ's OIP for the FBI)


@dataclass(frozen=True)
class Clock:
    determination_working_days: int
    appeal_window_days: int
    appeal_window_unit: str
    sources: tuple[str, ...]
    verified: bool
    misdirected_max_working_days: int = 10
    extension_working_days: int = 10
    expedite_decision_days: int = 10
    expedite_decision_unit: str = "calendar"
    appeal_decision_working_days: int = 20
    clarification_close_working_days: int | None = None
    appeal_rule: str | None = None


@dataclass(frozen=True)
class USAspendingAgency:
    toptier_name: str
    sources: tuple[str, ...]
    verified: bool
    toptier_code: str | None = None
    subtier_name: str | None = None
    subtier_code: str | None = None


@dataclass(frozen=True)
class Identifier:
    """A SORN or PIA."""

    id: str
    sources: tuple[str, ...]
    verified: bool
    title: str | None = None
    date: str | None = None
    citations: tuple[str, ...] = ()
    note: str | None = None


@dataclass(frozen=True)
class Claim:
    """One source's account of a contract: amounts and dates exactly as precise as the source."""

    text: str
    sources: tuple[str, ...]
    verified: bool
    amount: Decimal | None = None
    basis: str | None = None  # award | ceiling | paid | obligated | total | annual | estimate
    qualifier: str | None = None  # about | more than | up to | less than
    date: str | None = None
    start: str | None = None
    end: str | None = None
    award_number: str | None = None

    def amount_text(self) -> str:
        if self.amount is None:
            return ""
        cents = self.amount != self.amount.to_integral_value()
        figure = f"${self.amount:,.2f}" if cents else f"${int(self.amount):,}"
        return f"{self.qualifier} {figure}" if self.qualifier else figure


@dataclass(frozen=True)
class Agency:
    id: str
    name: str
    abbreviation: str
    kind: str
    aliases: tuple[str, ...] = ()
    parent: str | None = None
    files_through: str | None = None
    office: str | None = None
    contacts: tuple[Contact, ...] = ()
    regulation: Regulation | None = None
    filing: Filing | None = None
    clock: Clock | None = None
    appeal: Appeal | None = None
    identity_form: Fact | None = None
    notes: tuple[Fact, ...] = ()
    usaspending: USAspendingAgency | None = None
    origin: str = ""
    overridden: tuple[str, ...] = ()
    tracking_patterns: tuple[TrackingPattern, ...] = ()


@dataclass(frozen=True)
class System:
    id: str
    name: str
    abbreviation: str
    agencies: tuple[str, ...]
    aliases: tuple[str, ...] = ()
    directorate: str | None = None
    vendors: tuple[str, ...] = ()
    description: tuple[Fact, ...] = ()
    pias: tuple[Identifier, ...] = ()
    sorns: tuple[Identifier, ...] = ()
    record_categories: tuple[str, ...] = ()
    origin: str = ""
    overridden: tuple[str, ...] = ()

    @property
    def verified(self) -> bool:
        """Whether a verified source describes the system at all: one known only from a seed
        article (NCIC, named as an ImmigrationOS data source) is listed with its unverified mark."""
        return any(f.verified for f in self.description)


@dataclass(frozen=True)
class Vendor:
    id: str
    name: str
    abbreviation: str | None = None
    aliases: tuple[str, ...] = ()
    parent: str | None = None
    usaspending_names: tuple[str, ...] = ()
    products: tuple[str, ...] = ()
    notes: tuple[Fact, ...] = ()
    origin: str = ""
    overridden: tuple[str, ...] = ()


@dataclass(frozen=True)
class Contract:
    id: str
    title: str
    vendors: tuple[str, ...]
    agency: str
    claims: tuple[Claim, ...]
    directorate: str | None = None
    system: str | None = None
    award_number: str | None = None
    parent_award: str | None = None
    conflicts: tuple[str, ...] = ()
    origin: str = ""
    overridden: tuple[str, ...] = ()


@dataclass(frozen=True)
class Closure:
    date: str
    name: str
    sources: tuple[str, ...]
    verified: bool


# ---------------------------------------------------------------------------------------------
# YAML with line numbers


class _Map(dict):
    line: int = 0
    key_lines: dict

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class _List(list):
    line: int = 0
    item_lines: list


@lru_cache(maxsize=1)
def _loader_class():
    """The YAML loader, built on first parse: a directory read from the per-user cache never
    imports PyYAML (about 35 ms of start-up)."""
    import yaml

    # libyaml's parser when PyYAML has it (5x faster start-up); the pure-Python one otherwise.
    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class _Loader(base):
        """SafeLoader that keeps line numbers, flags duplicate keys, and leaves dates as text
        (a malformed date then gets our own message, not a constructor traceback)."""

    _Loader.yaml_implicit_resolvers = {
        ch: [(tag, rx) for tag, rx in rs if tag != "tag:yaml.org,2002:timestamp"]
        for ch, rs in base.yaml_implicit_resolvers.items()
    }
    _Loader.add_constructor("tag:yaml.org,2002:map", _construct_map)
    _Loader.add_constructor("tag:yaml.org,2002:seq", _construct_list)
    return _Loader


def _construct_map(loader, node) -> _Map:
    loader.flatten_mapping(node)
    out = _Map()
    out.line = node.start_mark.line + 1
    out.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if not isinstance(key, str):
            loader.problems.append((line, str(key), "keys must be text"))
            continue
        if key in out:
            loader.problems.append((line, key, f"duplicate key {key!r} (first at line {out.key_lines[key]})"))
            continue
        out[key] = loader.construct_object(value_node, deep=True)
        out.key_lines[key] = line
    return out


def _construct_list(loader, node) -> _List:
    out = _List(loader.construct_object(child, deep=True) for child in node.value)
    out.line = node.start_mark.line + 1
    out.item_lines = [child.start_mark.line + 1 for child in node.value]
    return out


def _parse_yaml(text: str, filename: str) -> tuple[Any, list[str]]:
    import yaml

    loader = _loader_class()(text)
    loader.problems = []
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        what = exc.problem or exc.context or "malformed YAML"
        if exc.context and exc.context_mark and exc.problem:
            what += f" ({exc.context} started at line {exc.context_mark.line + 1})"
        return None, [f"{filename}:{line}: YAML syntax error: {what}; fix the YAML syntax"]
    except yaml.reader.ReaderError as exc:
        char = exc.character if isinstance(exc.character, str) else chr(exc.character)
        return None, [f"{filename}: character {char!r} at position {exc.position} is not allowed in YAML "
                      f"({exc.reason}); remove it or save the file as UTF-8 text"]
    except yaml.YAMLError as exc:
        return None, [f"{filename}: YAML error: {' '.join(str(exc).split())}; fix the YAML syntax"]
    except ValueError:
        # Python refuses to read an integer of more than 4,300 digits (sys.get_int_max_str_digits).
        return None, [f"{filename}: a number of thousands of digits; no directory value is that long, fix the file"]
    except RecursionError:
        return None, [f"{filename}: nested too deeply; fix the YAML syntax"]
    finally:
        loader.dispose()
    return data, [f"{filename}:{line}: {key}: {msg}" for line, key, msg in loader.problems]


# ---------------------------------------------------------------------------------------------
# Validation

ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
URL_RE = re.compile(r"^https?://[A-Za-z0-9.-]+\.[A-Za-z]{2,}(:\d+)?(/[^\s]*)?$")
EMAIL_RE = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")
PHONE_RE = re.compile(r"^[0-9 ()+.\-]{7,20}$")
DATE_RE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")

# "appeals": an office that decides other offices' appeals and takes no requests here (DOJ's OIP).
AGENCY_KINDS = ("department", "component", "directorate", "office", "agency", "mediator", "appeals")
CONTACT_PURPOSES = ("request", "liaison", "appeal", "amendment", "mediation", "status")
CONTACT_TYPES = ("portal", "web", "email", "mail", "phone", "fax")
BASES = ("award", "ceiling", "paid", "obligated", "total", "annual", "estimate")
QUALIFIERS = ("about", "more than", "up to", "less than")
UNITS = ("working", "calendar")


class _Ctx:
    """Collects problems with file and line."""

    def __init__(self, filename: str):
        self.filename = filename
        self.problems: list[str] = []

    def err(self, line: int, path: str, msg: str) -> None:
        self.problems.append(f"{self.filename}:{line}: {path}: {msg}")


# A field spec: name -> (checker, required). A checker takes (ctx, value, line, path) and
# returns the converted value (or None after reporting a problem).
Checker = Callable[[_Ctx, Any, int, str], Any]


def _text(ctx, v, line, path):
    if isinstance(v, bool) or not isinstance(v, (str, int, float)) or (isinstance(v, str) and not v.strip()):
        ctx.err(line, path, f"expected text, got {_show(v)}")
        return None
    return str(v).strip()


def _int(ctx, v, line, path):
    if isinstance(v, bool) or not isinstance(v, int) or v < 0:
        ctx.err(line, path, f"expected a whole number of days (0 or more), got {_show(v)}")
        return None
    return v


def _days(ctx, v, line, path):
    if isinstance(v, bool) or not isinstance(v, int) or v < 1:
        ctx.err(line, path, f"expected a whole number of days, 1 or more, got {_show(v)}")
        return None
    return v


def _bool(ctx, v, line, path):
    if not isinstance(v, bool):
        ctx.err(line, path, f"expected true or false, got {_show(v)}")
        return None
    return v


def _id(ctx, v, line, path):
    if not isinstance(v, str) or not ID_RE.match(v):
        ctx.err(line, path, f"expected an id of lowercase letters, digits and dashes, got {_show(v)}")
        return None
    return v


def _url(ctx, v, line, path):
    if not isinstance(v, str) or not URL_RE.match(v):
        ctx.err(line, path, f"expected a URL starting with https:// or http://, got {_show(v)}")
        return None
    return v


def _date(ctx, v, line, path, *, partial=True):
    text = str(v) if isinstance(v, (str, int)) and not isinstance(v, bool) else None
    m = DATE_RE.match(text or "")
    ok = bool(m) and (partial or m.group(3) is not None)
    if ok:
        import datetime as _dt

        y, mo, d = int(m.group(1)), int(m.group(2) or 1), int(m.group(3) or 1)
        try:
            _dt.date(y, mo, d)
        except ValueError:
            ok = False
    if not ok:
        form = "YYYY, YYYY-MM or YYYY-MM-DD" if partial else "YYYY-MM-DD"
        ctx.err(line, path, f"expected a date {form}, got {_show(v)}")
        return None
    return text


def _full_date(ctx, v, line, path):
    return _date(ctx, v, line, path, partial=False)


def _amount(ctx, v, line, path):
    try:
        if isinstance(v, bool) or not isinstance(v, (int, float, str)):
            raise InvalidOperation
        amount = Decimal(str(v))
        if not amount.is_finite() or amount < 0:
            raise InvalidOperation
    except InvalidOperation:
        ctx.err(line, path, f"expected a dollar amount like 42000000 or \"150703824.61\", got {_show(v)}")
        return None
    return amount


def _enum(*choices):
    def check(ctx, v, line, path):
        if v not in choices:
            ctx.err(line, path, f"expected one of: {', '.join(choices)}; got {_show(v)}")
            return None
        return v

    return check


def _list_of(item: Checker, *, nonempty=False):
    def check(ctx, v, line, path):
        if not isinstance(v, list) or (nonempty and not v):
            need = "a non-empty list" if nonempty else "a list"
            ctx.err(line, path, f"expected {need}, got {_show(v)}")
            return None
        lines = getattr(v, "item_lines", [line] * len(v))
        out = tuple(item(ctx, x, ln, f"{path}[{i}]") for i, (x, ln) in enumerate(zip(v, lines)))
        return None if any(x is None for x in out) else out

    return check


def _record(spec: dict[str, tuple[Checker, bool]], build: Callable[..., Any], *, partial: bool = False):
    """Check a mapping against ``spec``; with ``partial`` (an override patching an existing
    entry) required fields may be absent and the checked fields come back as a dict."""

    def check(ctx, v, line, path):
        if not isinstance(v, dict):
            ctx.err(line, path, f"expected a mapping of fields, got {_show(v)}")
            return None
        line = getattr(v, "line", line)
        ok = True
        values = {}
        for key in v:
            if key not in spec:
                known = ", ".join(spec)
                ctx.err(v.line_of(key), f"{path}.{key}", f"unknown field; expected one of: {known}")
                ok = False
        for key, (checker, required) in spec.items():
            if key not in v or v[key] is None:
                if required and not partial:
                    ctx.err(line, f"{path}.{key}", "missing required field")
                    ok = False
                continue
            converted = checker(ctx, v[key], v.line_of(key), f"{path}.{key}")
            if converted is None:
                ok = False
            else:
                values[key] = converted
        if not ok:
            return None
        return values if partial else build(**values)

    return check


def _show(v: Any) -> str:
    if isinstance(v, dict):
        return "a mapping"
    if isinstance(v, list):
        return "a list"
    if v is None:
        return "nothing"
    text = repr(v)
    return text if len(text) <= 60 else text[:57] + "..."


_SOURCES = (_list_of(_id, nonempty=True), True)
_VERIFIED = (_bool, True)

_fact = _record({"text": (_text, True), "sources": _SOURCES, "verified": _VERIFIED, "note": (_text, False)}, Fact)


def _contact(ctx, v, line, path):
    c = _record({
        "purpose": (_enum(*CONTACT_PURPOSES), True), "type": (_enum(*CONTACT_TYPES), True),
        "value": (_text, True), "sources": _SOURCES, "verified": _VERIFIED, "note": (_text, False),
    }, Contact)(ctx, v, line, path)
    if c is None:
        return None
    vline = v.line_of("value")
    if c.type == "email" and not EMAIL_RE.match(c.value):
        ctx.err(vline, f"{path}.value", f"expected an email address like name@agency.gov, got {c.value!r}")
        return None
    if c.type == "web" and not URL_RE.match(c.value):
        ctx.err(vline, f"{path}.value", f"expected a URL starting with https:// or http://, got {c.value!r}")
        return None
    if c.type == "portal" and c.value.startswith("http") and not URL_RE.match(c.value):
        ctx.err(vline, f"{path}.value", f"expected a portal URL or name, got {c.value!r}")
        return None
    if c.type in ("phone", "fax") and not PHONE_RE.match(c.value):
        ctx.err(vline, f"{path}.value", f"expected a phone number like (202) 555-0100, got {c.value!r}")
        return None
    return c


def _tracking_pattern(ctx, v, line, path):
    t = _record({"pattern": (_text, True), "example": (_text, True), "reason": (_enum("assigned", "appeal"), True),
                 "sources": _SOURCES, "verified": _VERIFIED}, TrackingPattern)(ctx, v, line, path)
    if t is None:
        return None
    try:
        compiled = re.compile(t.pattern)
    except re.error as exc:
        ctx.err(v.line_of("pattern"), f"{path}.pattern", f"not a regular expression ({exc}); fix {t.pattern!r}")
        return None
    if not compiled.fullmatch(t.example):
        ctx.err(v.line_of("example"), f"{path}.example",
                f"{t.example!r} does not match the pattern {t.pattern!r}; fix one of them")
        return None
    return t


# A clock of 0 days would put a due date on its start day; only the misdirected-request limit
# and the extension may be 0 (no such allowance).
_clock = _record({
    "determination_working_days": (_days, True), "misdirected_max_working_days": (_int, False),
    "extension_working_days": (_int, False), "expedite_decision_days": (_days, False),
    "expedite_decision_unit": (_enum(*UNITS), False), "appeal_window_days": (_days, True),
    "appeal_window_unit": (_enum(*UNITS), True), "appeal_decision_working_days": (_days, False),
    "clarification_close_working_days": (_days, False), "appeal_rule": (_text, False),
    "sources": _SOURCES, "verified": _VERIFIED,
}, Clock)

_identifier = _record({
    "id": (_text, True), "title": (_text, False), "date": (_date, False),
    "citations": (_list_of(_text), False), "note": (_text, False),
    "sources": _SOURCES, "verified": _VERIFIED,
}, Identifier)

_claim = _record({
    "text": (_text, True), "amount": (_amount, False), "basis": (_enum(*BASES), False),
    "qualifier": (_enum(*QUALIFIERS), False), "date": (_date, False), "start": (_date, False),
    "end": (_date, False), "award_number": (_text, False), "sources": _SOURCES, "verified": _VERIFIED,
}, Claim)

AGENCY_SPEC = {
    "id": (_id, True), "name": (_text, True), "abbreviation": (_text, True),
    "kind": (_enum(*AGENCY_KINDS), True), "aliases": (_list_of(_text), False),
    "parent": (_id, False), "files_through": (_id, False), "office": (_text, False),
    "contacts": (_list_of(_contact), False),
    "regulation": (_record({"cite": (_text, True), "sources": _SOURCES, "verified": _VERIFIED}, Regulation), False),
    "filing": (_record({"policy": (_text, True), "portal": (_url, False), "portal_only_since": (_full_date, False),
                        "sources": _SOURCES, "verified": _VERIFIED}, Filing), False),
    "clock": (_clock, False),
    "appeal": (_record({"route": (_text, True), "cite": (_text, False), "office": (_id, False),
                        "sources": _SOURCES, "verified": _VERIFIED}, Appeal), False),
    "identity_form": (_fact, False),
    "notes": (_list_of(_fact), False),
    "usaspending": (_record({"toptier_name": (_text, True), "toptier_code": (_text, False),
                             "subtier_name": (_text, False), "subtier_code": (_text, False),
                             "sources": _SOURCES, "verified": _VERIFIED}, USAspendingAgency), False),
    "tracking_patterns": (_list_of(_tracking_pattern), False),
}
SYSTEM_SPEC = {
    "id": (_id, True), "name": (_text, True), "abbreviation": (_text, True),
    "agencies": (_list_of(_id, nonempty=True), True), "aliases": (_list_of(_text), False),
    "directorate": (_id, False), "vendors": (_list_of(_id), False),
    "description": (_list_of(_fact, nonempty=True), True), "pias": (_list_of(_identifier), False),
    "sorns": (_list_of(_identifier), False), "record_categories": (_list_of(_text), False),
}
VENDOR_SPEC = {
    "id": (_id, True), "name": (_text, True), "abbreviation": (_text, False),
    "aliases": (_list_of(_text), False), "parent": (_id, False),
    "usaspending_names": (_list_of(_text), False), "products": (_list_of(_text), False),
    "notes": (_list_of(_fact), False),
}
CONTRACT_SPEC = {
    "id": (_id, True), "title": (_text, True), "vendors": (_list_of(_id, nonempty=True), True),
    "agency": (_id, True), "directorate": (_id, False), "system": (_id, False),
    "award_number": (_text, False), "parent_award": (_text, False),
    "claims": (_list_of(_claim, nonempty=True), True), "conflicts": (_list_of(_text), False),
}
SOURCE_SPEC = {"id": (_id, True), "title": (_text, True), "file": (_text, False), "url": (_url, False),
               "via": (_id, False)}
CLOSURE_SPEC = {"date": (_full_date, True), "name": (_text, True), "sources": _SOURCES, "verified": _VERIFIED}

SPECS: dict[str, tuple[dict, type]] = {
    "sources": (SOURCE_SPEC, Source), "agencies": (AGENCY_SPEC, Agency), "systems": (SYSTEM_SPEC, System),
    "vendors": (VENDOR_SPEC, Vendor), "contracts": (CONTRACT_SPEC, Contract), "closures": (CLOSURE_SPEC, Closure),
}


@dataclass
class _Parsed:
    """One file's records, with the line each id was defined on."""

    filename: str
    records: dict[str, dict[str, Any]] = field(default_factory=dict)  # section -> id -> record
    lines: dict[tuple[str, str], int] = field(default_factory=dict)
    raw_keys: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)


def _parse_file(text: str, filename: str, *, packaged: bool,
                existing: dict[str, dict] | None = None) -> tuple[_Parsed, list[str]]:
    """Parse and check one file. ``existing`` holds the packaged records an override may patch."""
    data, problems = _parse_yaml(text, filename)
    ctx = _Ctx(filename)
    ctx.problems.extend(problems)
    parsed = _Parsed(filename)
    if data is None and not problems:
        ctx.err(1, "(file)", "the file is empty; expected a mapping with version and sections "
                             + ", ".join(SECTIONS))
    if data is None or ctx.problems and not isinstance(data, dict):
        return parsed, ctx.problems
    if not isinstance(data, dict):
        ctx.err(1, "(file)", f"expected a mapping with sections {', '.join(SECTIONS)}, got {_show(data)}")
        return parsed, ctx.problems
    for key in data:
        if key not in SECTIONS and key != "version":
            ctx.err(data.line_of(key), key, f"unknown section; expected one of: version, {', '.join(SECTIONS)}")
    version = data.get("version")
    if packaged and version is None:
        ctx.err(1, "version", "missing required field; expected version: 1")
    elif version is not None and version != 1:
        ctx.err(data.line_of("version"), "version", f"unsupported version {_show(version)}; expected 1")
    for section in SECTIONS:
        items = data.get(section)
        if items is None:
            continue
        if not isinstance(items, list):
            ctx.err(data.line_of(section), section, f"expected a list, got {_show(items)}")
            continue
        spec, build = SPECS[section]
        parsed.records[section] = {}
        for i, (item, line) in enumerate(zip(items, items.item_lines)):
            key_field = "date" if section == "closures" else "id"
            ident = item.get(key_field) if isinstance(item, dict) else None
            label = f"{section}[{i}]" + (f" ({ident})" if isinstance(ident, str) else "")
            patch = bool(existing) and section not in ("sources", "closures") and \
                isinstance(ident, str) and ident in existing.get(section, {})
            record = _record(spec, build, partial=patch)(ctx, item, line, label)
            if record is None:
                continue
            rid = record["id"] if patch else getattr(record, key_field)
            if rid in parsed.records[section]:
                ctx.err(getattr(item, "line", line), f"{label}.{key_field}",
                        f"duplicate {key_field} {rid!r} (first at line {parsed.lines[(section, rid)]}); "
                        f"give each entry its own {key_field}")
                continue
            parsed.records[section][rid] = record
            parsed.lines[(section, rid)] = getattr(item, "line", line)
            parsed.raw_keys[(section, rid)] = tuple(item.keys())
    return parsed, ctx.problems


# ---------------------------------------------------------------------------------------------
# The directory


class Directory:
    """The merged, validated directory. Look-ups are case-insensitive by id, abbreviation or alias."""

    def __init__(self, parsed: _Parsed, files: tuple[str, ...]):
        self.files = files
        r = parsed.records
        self.sources: dict[str, Source] = r.get("sources", {})
        self.agencies: dict[str, Agency] = r.get("agencies", {})
        self.systems: dict[str, System] = r.get("systems", {})
        self.vendors: dict[str, Vendor] = r.get("vendors", {})
        self.contracts: dict[str, Contract] = r.get("contracts", {})
        self._closures: dict[str, Closure] = r.get("closures", {})
        self._lines = parsed.lines

    # -- look-ups --------------------------------------------------------------------------
    def _find(self, table: dict, key: str, what: str, names: Callable[[Any], Iterable[str]]):
        wanted = key.strip().casefold()
        if wanted in table:
            return table[wanted]
        for rec in table.values():
            if any(n.casefold() == wanted for n in names(rec) if n):
                return rec
        raise NotFound(f"no {what} {key!r}; see `foia {what_plural(what)} list` for the ids")

    def agency(self, key: str) -> Agency:
        return self._find(self.agencies, key, "agency", lambda a: (a.abbreviation, a.name, *a.aliases))

    def system(self, key: str) -> System:
        return self._find(self.systems, key, "system", lambda s: (s.abbreviation, s.name, *s.aliases))

    def vendor(self, key: str) -> Vendor:
        return self._find(self.vendors, key, "vendor", lambda v: (v.abbreviation, v.name, *v.aliases))

    def contract(self, key: str) -> Contract:
        return self._find(self.contracts, key, "contract",
                          lambda c: (c.award_number, *(cl.award_number for cl in c.claims)))

    def source(self, sid: str) -> Source:
        return self.sources[sid]

    @property
    def closures(self) -> dict:
        import datetime as _dt

        return {_dt.date.fromisoformat(c.date): c.name for c in self._closures.values()}

    # -- inheritance -----------------------------------------------------------------------
    def lineage(self, agency: Agency) -> list[Agency]:
        """The agency and its parents, nearest first."""
        chain = [agency]
        while chain[-1].parent and chain[-1].parent in self.agencies and len(chain) < 10:
            chain.append(self.agencies[chain[-1].parent])
        return chain

    def inherited(self, agency: Agency, attr: str):
        """The agency's own value for ``attr``, else its nearest parent's (with that parent)."""
        for a in self.lineage(agency):
            value = getattr(a, attr)
            if value:
                return value, a
        return None, None

    def filing_office(self, agency: Agency) -> Agency:
        """Where requests about ``agency`` are filed (HSI and ERO file through ICE)."""
        seen = {agency.id}
        while agency.files_through and agency.files_through in self.agencies:
            agency = self.agencies[agency.files_through]
            if agency.id in seen:
                break
            seen.add(agency.id)
        return agency

    def clock_rules(self, agency: Agency):
        """The deadline engine's rules for this office (inherited from its parent when unset)."""
        from foia.deadlines import ClockRules

        clock, _ = self.inherited(agency, "clock")
        if clock is None:
            return None
        return ClockRules(
            determination_working_days=clock.determination_working_days,
            misdirected_max_working_days=clock.misdirected_max_working_days,
            extension_working_days=clock.extension_working_days,
            expedite_decision_days=clock.expedite_decision_days,
            expedite_decision_unit=clock.expedite_decision_unit,
            appeal_window_days=clock.appeal_window_days,
            appeal_window_unit=clock.appeal_window_unit,
            appeal_decision_working_days=clock.appeal_decision_working_days,
            clarification_close_working_days=clock.clarification_close_working_days,
            appeal_rule=clock.appeal_rule or "5 U.S.C. 552(a)(6)(A)(i)(III)(aa)",
        )

    def contacts(self, agency: Agency, purpose: str | None = None, type: str | None = None) -> list[Contact]:
        office = self.filing_office(agency)
        return [c for c in office.contacts
                if (purpose is None or c.purpose == purpose) and (type is None or c.type == type)]

    def conflicts(self, agency: Agency) -> list[list[Contact]]:
        """Groups of contacts that disagree: more than one value for the same purpose and type."""
        groups: dict[tuple[str, str], list[Contact]] = {}
        for c in agency.contacts:
            groups.setdefault((c.purpose, c.type), []).append(c)
        return [g for g in groups.values() if len(g) > 1]

    def how_to_file(self, agency: Agency) -> dict:
        """Where a request to ``agency`` goes: the filing office, portal rule and channels."""
        office = self.filing_office(agency)
        filing, filing_from = self.inherited(office, "filing")
        # The office's own verified portals first (CBP's SecureRelease), then the department's
        # (DHS accepts requests "through the web portal at https://www.dhs.gov/foia or other
        # acceptable ... DHS Component websites", FR doc. 2025-23783).
        portals = [c.value for c in self.contacts(office, "request", "portal") if c.verified]
        if filing and filing.portal and filing.portal not in portals:
            portals.append(filing.portal)
        urls = [p for p in portals if p.startswith("http")]
        return {
            "office": office,
            "filing": filing,
            "filing_from": filing_from,
            "portal_only": bool(filing and filing.portal_only_since),
            "portal": urls[0] if urls else (portals[0] if portals else None),
            "portals": portals,
            "channels": self.contacts(office, "request"),
        }

    def appeal_office(self, agency: Agency) -> Agency:
        """Where appeals about ``agency`` go: the office its appeal rule names (DOJ's Office of
        Information Policy for the FBI, 28 CFR 16.8(a)), else its filing office."""
        office = self.filing_office(agency)
        appeal, _ = self.inherited(office, "appeal")
        if appeal is not None and appeal.office and appeal.office in self.agencies:
            return self.agencies[appeal.office]
        return office

    def contracts_for_vendor(self, vendor_id: str) -> list[Contract]:
        ids = {vendor_id} | {v.id for v in self.vendors.values() if v.parent == vendor_id}
        return [c for c in self.contracts.values() if ids & set(c.vendors)]

    def systems_for_agency(self, agency_id: str) -> list[System]:
        return [s for s in self.systems.values() if agency_id in s.agencies or s.directorate == agency_id]

    def line_of(self, section: str, rid: str) -> int | None:
        return self._lines.get((section, rid))


def what_plural(what: str) -> str:
    return {"agency": "agencies", "system": "systems", "vendor": "vendors", "contract": "vendors"}[what]


def _check_references(parsed: _Parsed) -> list[str]:
    r = parsed.records
    problems: list[str] = []

    def need(section: str, rid: str, field_path: str, target: str, value: str | None):
        if value is None or value in r.get(target, {}):
            return
        line = parsed.lines.get((section, rid), 0)
        where = getattr(r[section][rid], "origin", "") or parsed.filename
        problems.append(f"{where}:{line}: {section} ({rid}).{field_path}: unknown {target[:-1] if target != 'agencies' else 'agency'} id "
                        f"{value!r}; expected one of: {', '.join(sorted(r.get(target, {})))}")

    def facts(obj) -> Iterable[tuple[str, Any]]:
        for name in ("regulation", "filing", "clock", "appeal", "identity_form", "usaspending"):
            f = getattr(obj, name, None)
            if f is not None:
                yield name, f
        for name in ("contacts", "notes", "description", "pias", "sorns", "claims", "tracking_patterns"):
            for i, f in enumerate(getattr(obj, name, ()) or ()):
                yield f"{name}[{i}]", f

    for section in ("agencies", "systems", "vendors", "contracts", "closures"):
        for rid, rec in r.get(section, {}).items():
            for path, fact in ([("", rec)] if section == "closures" else facts(rec)):
                for sid in fact.sources:
                    need(section, rid, f"{path}.sources" if path else "sources", "sources", sid)
    for sid, src in r.get("sources", {}).items():
        need("sources", sid, "via", "sources", src.via)
    for aid, a in r.get("agencies", {}).items():
        need("agencies", aid, "parent", "agencies", a.parent)
        need("agencies", aid, "files_through", "agencies", a.files_through)
        need("agencies", aid, "appeal.office", "agencies", a.appeal.office if a.appeal else None)
    for sid, s in r.get("systems", {}).items():
        for i, ag in enumerate(s.agencies):
            need("systems", sid, f"agencies[{i}]", "agencies", ag)
        need("systems", sid, "directorate", "agencies", s.directorate)
        for i, v in enumerate(s.vendors):
            need("systems", sid, f"vendors[{i}]", "vendors", v)
    for vid, v in r.get("vendors", {}).items():
        need("vendors", vid, "parent", "vendors", v.parent)
    for cid, c in r.get("contracts", {}).items():
        for i, v in enumerate(c.vendors):
            need("contracts", cid, f"vendors[{i}]", "vendors", v)
        need("contracts", cid, "agency", "agencies", c.agency)
        need("contracts", cid, "directorate", "agencies", c.directorate)
        need("contracts", cid, "system", "systems", c.system)
    # Parent chains must end: a cycle would make inheritance loop.
    for aid in r.get("agencies", {}):
        seen, cur = set(), aid
        while cur in r["agencies"] and r["agencies"][cur].parent:
            if cur in seen:
                line = parsed.lines.get(("agencies", aid), 0)
                problems.append(f"{parsed.filename}:{line}: agencies ({aid}).parent: parent chain loops "
                                f"back to {cur!r}; break the cycle")
                break
            seen.add(cur)
            cur = r["agencies"][cur].parent
    return problems


def _merge(base: _Parsed, over: _Parsed) -> _Parsed:
    """Lay the override's entries over the packaged ones: fields it sets replace the packaged
    fields; new ids are added. Each touched record remembers its origin and fields."""
    merged = _Parsed(base.filename, {s: dict(v) for s, v in base.records.items()}, dict(base.lines),
                     dict(base.raw_keys))
    for section, recs in over.records.items():
        target = merged.records.setdefault(section, {})
        for rid, rec in recs.items():
            keys = tuple(k for k in over.raw_keys[(section, rid)] if k not in ("id",))
            if isinstance(rec, dict):
                changes = {k: v for k, v in rec.items() if k != "id"}
                target[rid] = replace(target[rid], **changes, origin=over.filename, overridden=keys)
            elif section in ("sources", "closures"):
                target[rid] = rec
            else:
                target[rid] = replace(rec, origin=over.filename, overridden=keys)
            merged.lines[(section, rid)] = over.lines[(section, rid)]
    return merged


def _stamp_origin(parsed: _Parsed) -> None:
    for section, recs in parsed.records.items():
        if section in ("sources", "closures"):
            continue
        for rid, rec in recs.items():
            if not isinstance(rec, dict):
                recs[rid] = replace(rec, origin=parsed.filename)


def packaged_path() -> Path:
    """agencies.yaml inside the installed package, else at the repository root."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "_data" / "agencies.yaml", here.parent / "agencies.yaml"):
        if candidate.is_file():
            return candidate
    raise DirectoryError(["agencies.yaml not found next to the foia package; reinstall foia"])


def _read(path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DirectoryError([f"{path}: {what} not found; check the path (--directory / FOIA_DIRECTORY)"]) from None
    except IsADirectoryError:
        raise DirectoryError([f"{path}: {what} is a directory; give a YAML file"]) from None
    except UnicodeDecodeError:
        raise DirectoryError([f"{path}: {what} is not UTF-8 text; save it as UTF-8 YAML"]) from None
    except OSError as exc:
        raise DirectoryError([f"{path}: cannot read {what}: {exc.strerror}"]) from None


def parse_directory(text: str, filename: str = "agencies.yaml", *, override_text: str | None = None,
                    override_name: str = "override.yaml") -> Directory:
    """Validate and build a directory from YAML text (and an optional override's text)."""
    base, problems = _parse_file(text, filename, packaged=True)
    _stamp_origin(base)
    files = (filename,)
    if override_text is not None:
        over, more = _parse_file(override_text, override_name, packaged=False, existing=base.records)
        problems += more
        _stamp_origin(over)
        base = _merge(base, over)
        files += (override_name,)
    if not problems:
        problems = _check_references(base)
    if problems:
        raise DirectoryError(problems)
    return Directory(base, files)


@lru_cache(maxsize=8)
def _load_cached(path: str, mtime: float, override: str | None, omtime: float | None) -> Directory:
    base = Path(path)
    text = _read(base, "directory")
    override_text = _read(Path(override), "override file") if override else None
    return _load_from_user_cache(base, text, override, override_text)


# The parsed directory is kept per user (FOIA_CACHE_DIR) as a pickle: reading it costs about
# 1 ms where PyYAML, the parse and the validation cost 150 ms at every start. The key holds
# what the result depends on: foia's version and this module's file (the record classes), each
# file's path and a digest of its bytes (an edit is seen even within one mtime tick, and a
# rewrite with the same bytes keeps the cache). Any problem with the cache file only costs a
# parse: a directory with errors is never cached, so its messages are shown every time.
CACHE_NAME = "directory-{digest}.pickle"


def _cache_key(base: Path, text: str, override: str | None, override_text: str | None) -> tuple:
    import hashlib

    from foia import __version__

    here = Path(__file__).stat()

    def digest(t: str | None) -> str | None:
        return None if t is None else hashlib.blake2b(t.encode("utf-8"), digest_size=16).hexdigest()

    return (__version__, str(Path(__file__).resolve()), here.st_size, here.st_mtime_ns,
            str(base.resolve()), digest(text), str(Path(override).resolve()) if override else None,
            digest(override_text))


def directory_cache_path(key: tuple) -> Path:
    """Where the parsed directory for ``key`` is kept (one file per base and override file)."""
    import hashlib

    from foia.paths import cache_dir

    slot = hashlib.blake2b(repr((key[1], key[4], key[6])).encode("utf-8"), digest_size=8).hexdigest()
    return cache_dir() / CACHE_NAME.format(digest=slot)


def _load_from_user_cache(base: Path, text: str, override: str | None, override_text: str | None) -> Directory:
    import pickle

    key = _cache_key(base, text, override, override_text)
    path = directory_cache_path(key)
    try:
        with open(path, "rb") as fh:
            stored_key, directory = pickle.load(fh)
        if stored_key == key and isinstance(directory, Directory):
            return directory
    except Exception:  # missing, unreadable, from another Python or foia: parse again
        pass
    directory = parse_directory(text, str(base), override_text=override_text, override_name=override or "")
    try:
        from foia.files import atomic_write

        atomic_write(path, pickle.dumps((key, directory), protocol=pickle.HIGHEST_PROTOCOL))
    except Exception:  # a read-only or full cache folder: the next start parses again
        pass
    return directory


def load_directory(override: str | os.PathLike | None = None) -> Directory:
    """The packaged directory, with the user's override file (``FOIA_DIRECTORY``) merged over it."""
    if override is None:
        override = os.environ.get("FOIA_DIRECTORY") or None
    base = packaged_path()
    ov = str(override) if override else None
    omtime = None
    if ov:
        try:
            omtime = Path(ov).stat().st_mtime
        except OSError:
            omtime = None
    return _load_cached(str(base), base.stat().st_mtime, ov, omtime)
