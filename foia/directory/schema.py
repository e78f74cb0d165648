"""The directory's file format: a YAML loader that keeps line numbers, and the checks of every
section and field (what agencies.yaml and an override file may hold).

Every problem is reported together, each as ``FILE:LINE: PATH: what is wrong; what is
expected``. Imported only when a file is parsed: a directory read from the per-user cache
never loads this module or PyYAML.

To add a field to a record: add it to the record's class in ``records.py`` and to its spec
below (``AGENCY_SPEC``...), with its checker and whether it is required.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, Callable, Iterable

from foia.directory.records import (Agency, Appeal, Claim, Clock, Closure, Contact, Contract, Fact, Filing,
                                    Identifier, Regulation, Source, System, TrackingPattern, USAspendingAgency,
                                    Vendor)
from foia.parse import EMAIL_RE

SECTIONS = ("sources", "closures", "agencies", "systems", "vendors", "contracts")

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
class Parsed:
    """One file's records, with the line each id was defined on."""

    filename: str
    records: dict[str, dict[str, Any]] = field(default_factory=dict)  # section -> id -> record
    lines: dict[tuple[str, str], int] = field(default_factory=dict)
    raw_keys: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)


def parse_file(text: str, filename: str, *, packaged: bool,
                existing: dict[str, dict] | None = None) -> tuple[Parsed, list[str]]:
    """Parse and check one file. ``existing`` holds the packaged records an override may patch."""
    data, problems = _parse_yaml(text, filename)
    ctx = _Ctx(filename)
    ctx.problems.extend(problems)
    parsed = Parsed(filename)
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



def check_references(parsed: Parsed) -> list[str]:
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

