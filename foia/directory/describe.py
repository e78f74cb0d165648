"""Directory records as rows, dicts and text for people: provenance and conflicts always shown."""

from __future__ import annotations

from typing import Any

from foia.directory.directory import Directory
from foia.directory.records import Agency, Claim, Contact, Fact, Identifier, Record, System, Vendor

UNVERIFIED = "[unverified]"


def _mark(verified: bool) -> str:
    return "" if verified else f" {UNVERIFIED}"


def _src(d: Directory, sources) -> str:
    return "[" + ", ".join(sources) + "]"


def _footer(d: Directory, text: str) -> list[str]:
    """The titles of the sources cited in ``text`` (cited inline by id)."""
    cited = [sid for sid in d.sources if f"[{sid}" in text or f", {sid}" in text]
    if not cited:
        return []
    return ["", "Sources"] + [f"  {sid}: {d.source(sid).label()}" for sid in cited]


def _fact_line(d: Directory, f: Fact) -> str:
    note = f" ({f.note})" if f.note else ""
    return f"{f.text}{note}{_mark(f.verified)}  — {_src(d, f.sources)}"


def _with_footer(d: Directory, out: list[str]) -> str:
    body = "\n".join(out)
    return "\n".join([body, *_footer(d, body)])


def _clean(obj: Any) -> Any:
    """record -> JSON-ready dict, dropping empty values."""
    if isinstance(obj, Record):
        obj = obj.as_dict()
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items() if v not in (None, (), [], "")}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    return obj


def _origin(rec) -> str | None:
    if rec.overridden:
        return f"overridden by {rec.origin}: {', '.join(rec.overridden)}"
    if rec.origin and not rec.origin.endswith("agencies.yaml"):
        return f"added by {rec.origin}"
    return None


# ---- agencies ------------------------------------------------------------------------------


def agency_row(d: Directory, a: Agency) -> dict:
    how = d.how_to_file(a)
    office = how["office"]
    return {
        "id": a.id, "abbreviation": a.abbreviation, "name": a.name, "parent": a.parent,
        "files_with": office.abbreviation if office.id != a.id else "",
        "portal_only": how["portal_only"],
    }


def agency_dict(d: Directory, a: Agency) -> dict:
    how = d.how_to_file(a)
    data = _clean(a)
    data["how_to_file"] = {
        "office": how["office"].id,
        "portal_only": how["portal_only"],
        "portal": how["portal"],
        "portals": how["portals"],
        "policy": how["filing"].policy if how["filing"] else None,
        "channels": [_clean(c) for c in how["channels"]],
    }
    for attr in ("regulation", "clock", "appeal"):
        value, source = d.inherited(a, attr)
        if value is not None and source.id != a.id:
            data[attr] = {**_clean(value), "inherited_from": source.id}
    data["conflicts"] = [[_clean(c) for c in group] for group in d.conflicts(how["office"])]
    data["systems"] = [s.id for s in d.systems_for_agency(a.id)]
    data["origin_note"] = _origin(a)
    return data


def _contact_line(d: Directory, c: Contact) -> str:
    note = f" ({c.note})" if c.note else ""
    return f"{c.purpose:<10} {c.type:<6} {c.value}{note}{_mark(c.verified)}  — {_src(d, c.sources)}"


def agency_text(d: Directory, a: Agency) -> str:
    how = d.how_to_file(a)
    office = how["office"]
    out = [f"{a.name} ({a.abbreviation})", f"  id: {a.id}   kind: {a.kind}"]
    if a.parent:
        out.append(f"  part of: {d.agencies[a.parent].name}")
    if note := _origin(a):
        out.append(f"  {note}")
    out.append("")
    out.append("Where to file")
    if office.id != a.id:
        out.append(f"  Requests go to the {office.office or office.name} ({office.abbreviation});"
                   f" name {a.name} ({a.abbreviation}) in the letter.")
    elif office.office:
        out.append(f"  Office: {office.office}")
    filing = how["filing"]
    if how["portal_only"]:
        out.append(f"  ONLINE ONLY since {filing.portal_only_since}: file at {' or '.join(how['portals'])}"
                   f"{_mark(filing.verified)}")
        out.append(f"  {filing.policy}  — {_src(d, filing.sources)}")
    elif how["portal"]:
        out.append(f"  Portal: {how['portal']}")
    for c in how["channels"]:
        out.append(f"  {_contact_line(d, c)}")
    others = [c for c in office.contacts if c.purpose != "request"]
    if others:
        out.append("")
        out.append("Other contacts")
        out += [f"  {_contact_line(d, c)}" for c in others]
    conflicts = d.conflicts(office)
    if conflicts:
        out.append("")
        out.append("Conflicting claims (kept side by side; nothing picked)")
        for group in conflicts:
            out.append(f"  {group[0].purpose} {group[0].type}: " + "  vs  ".join(
                f"{c.value}{_mark(c.verified)}" for c in group))
    if office.identity_form:
        out.append("")
        out.append(f"Identity: {_fact_line(d, office.identity_form)}")
    reg, reg_from = d.inherited(a, "regulation")
    appeal, appeal_from = d.inherited(office, "appeal")
    clock, clock_from = d.inherited(a, "clock")
    out.append("")
    out.append("Rules")
    out.append(f"  Regulation: {reg.cite}{_mark(reg.verified)}" if reg else
               "  Regulation: none on file (the statute, 5 U.S.C. 552, applies)")
    if appeal:
        out.append(f"  Appeals: {appeal.route}{_mark(appeal.verified)}")
        if appeal.office and appeal.office in d.agencies and appeal.office != office.id:
            deciding = d.agencies[appeal.office]
            out.append(f"  Appeals office: {deciding.office or deciding.name}, {deciding.name} ({deciding.id})")
            out += [f"    {_contact_line(d, c)}" for c in deciding.contacts if c.purpose == "appeal"]
    if clock:
        via = f" (from {clock_from.abbreviation})" if clock_from.id != a.id else ""
        out.append(
            f"  Clock{via}: decision in {clock.determination_working_days} working days; "
            f"expedite decision in {clock.expedite_decision_days} {clock.expedite_decision_unit} days; "
            f"appeal within {clock.appeal_window_days} {clock.appeal_window_unit} days; "
            f"appeal decided in {clock.appeal_decision_working_days} working days"
            + (f"; unanswered clarification may close the request after "
               f"{clock.clarification_close_working_days} working days" if clock.clarification_close_working_days else "")
            + f"{_mark(clock.verified)}  — {_src(d, clock.sources)}")
    else:
        out.append("  Clock: none (this office decides other offices' appeals)" if a.kind == "appeals" else
                   "  Clock: none (this office does not decide FOIA requests)")
    notes = [n for agency in d.lineage(a) for n in agency.notes] if a.id == office.id else list(a.notes) + list(office.notes)
    if notes:
        out.append("")
        out.append("Notes")
        out += [f"  - {_fact_line(d, n)}" for n in notes]
    systems_here = d.systems_for_agency(a.id)
    if systems_here:
        out.append("")
        out.append("Systems: " + ", ".join(f"{s.abbreviation} ({s.id}){_mark(s.verified)}" for s in systems_here))
    unverified = sum(1 for c in office.contacts if not c.verified)
    if unverified:
        out.append("")
        out.append(f"{unverified} contact detail(s) above are unverified: confirm them with the office before relying on them.")
    return _with_footer(d, out)


# ---- systems -------------------------------------------------------------------------------


def _ident_line(d: Directory, i: Identifier) -> str:
    bits = [i.id]
    if i.title:
        bits.append(i.title)
    if i.date:
        bits.append(i.date)
    if i.citations:
        bits.append("; ".join(i.citations))
    note = f" ({i.note})" if i.note else ""
    return ", ".join(bits) + note + _mark(i.verified) + f"  — {_src(d, i.sources)}"


def system_row(s: System) -> dict:
    return {"id": s.id, "abbreviation": s.abbreviation, "name": s.name + ("" if s.verified else " [unverified]"),
            "agencies": list(s.agencies),
            "sorns": [x.id + ("" if x.verified else "?") for x in s.sorns],
            "pias": [x.id for x in s.pias]}


def system_dict(d: Directory, s: System) -> dict:
    data = _clean(s)
    data["origin_note"] = _origin(s)
    data["contracts"] = [c.id for c in d.contracts.values() if c.system == s.id]
    return data


def system_text(d: Directory, s: System) -> str:
    out = [f"{s.name} ({s.abbreviation}){_mark(s.verified)}", f"  id: {s.id}"]
    operators = ", ".join(d.agencies[x].abbreviation for x in s.agencies)
    if s.directorate:
        operators += f" ({d.agencies[s.directorate].name})"
    out.append(f"  operated by: {operators}")
    if s.vendors:
        out.append(f"  vendors: {', '.join(d.vendors[v].name for v in s.vendors)}")
    if note := _origin(s):
        out.append(f"  {note}")
    out.append("")
    out.append("What it is")
    out += [f"  - {_fact_line(d, f)}" for f in s.description]
    out.append("")
    out.append("Systems of records notices (SORNs)")
    out += [f"  - {_ident_line(d, x)}" for x in s.sorns] or ["  none on file"]
    out.append("Privacy impact assessments (PIAs)")
    out += [f"  - {_ident_line(d, x)}" for x in s.pias] or ["  none on file"]
    if s.record_categories:
        out.append("")
        out.append("Records to ask for")
        out += [f"  - {c}" for c in s.record_categories]
    contracts = [c for c in d.contracts.values() if c.system == s.id]
    if contracts:
        out.append("")
        out.append("Contracts: " + ", ".join(c.id for c in contracts) + "  (foia vendors show VENDOR)")
    out.append("")
    filing = [d.filing_office(d.agencies[x]) for x in s.agencies]
    names = list(dict.fromkeys(f.abbreviation for f in filing))
    out.append(f"Request from: {', '.join(names)}  (foia agencies show {names[0].lower()})")
    return _with_footer(d, out)


# ---- vendors -------------------------------------------------------------------------------


def vendor_row(d: Directory, v: Vendor) -> dict:
    return {"id": v.id, "name": v.name, "parent": v.parent or "",
            "contracts": len(d.contracts_for_vendor(v.id)), "products": list(v.products)}


def _claim_dict(d: Directory, c: Claim) -> dict:
    data = _clean(c)
    data["source_titles"] = [d.source(s).title for s in c.sources]
    return data


def vendor_dict(d: Directory, v: Vendor) -> dict:
    data = _clean(v)
    data["origin_note"] = _origin(v)
    data["contracts"] = []
    for c in d.contracts_for_vendor(v.id):
        cd = _clean(c)
        cd["claims"] = [_claim_dict(d, cl) for cl in c.claims]
        data["contracts"].append(cd)
    return data


def _when(c: Claim) -> str:
    if c.start or c.end:
        return f"{c.start or '?'} to {c.end or '?'}"
    return c.date or ""


def vendor_text(d: Directory, v: Vendor) -> str:
    out = [v.name + (f" ({v.abbreviation})" if v.abbreviation else ""), f"  id: {v.id}"]
    if v.parent:
        out.append(f"  part of: {d.vendors[v.parent].name}")
    if v.products:
        out.append(f"  products: {', '.join(v.products)}")
    if note := _origin(v):
        out.append(f"  {note}")
    if v.notes:
        out.append("")
        out += [f"  - {_fact_line(d, n)}" for n in v.notes]
    contracts = d.contracts_for_vendor(v.id)
    if not contracts:
        out.append("")
        out.append("No contract claims on file.")
    for c in contracts:
        out.append("")
        where = d.agencies[c.agency].abbreviation + (f"/{d.agencies[c.directorate].abbreviation}" if c.directorate else "")
        head = f"{c.title}  [{c.id}]  {where}"
        if c.system:
            head += f", system {d.systems[c.system].abbreviation}"
        out.append(head)
        if c.award_number:
            out.append(f"  award: {c.award_number}" + (f" (parent {c.parent_award})" if c.parent_award else ""))
        for cl in c.claims:
            figure = cl.amount_text()
            basis = f" ({cl.basis})" if cl.basis and figure else ""
            when = _when(cl)
            parts = [p for p in (f"{figure}{basis}" if figure else "", when) if p]
            out.append(f"  - {' | '.join(parts) + ': ' if parts else ''}{cl.text}{_mark(cl.verified)}")
            out.append(f"      sources: {_src(d, cl.sources)}")
        if c.conflicts:
            out.append("  Conflicting claims (kept side by side; nothing picked):")
            out += [f"    * {x}" for x in c.conflicts]
    return _with_footer(d, out)


# ---- search --------------------------------------------------------------------------------


def search(d: Directory, text: str) -> list[dict]:
    """Every record with ``text`` (case-insensitive) in a name, id, identifier, description or claim."""
    needle = text.strip().casefold()
    rows: list[dict] = []

    def hit(kind: str, rec_id: str, name: str, fields: list[tuple[str, str | None]]):
        for label, value in fields:
            if value and needle in value.casefold():
                rows.append({"type": kind, "id": rec_id, "name": name, "match": f"{label}: {value}"})
                return

    for a in d.agencies.values():
        hit("agency", a.id, a.name, [("id", a.id), ("abbreviation", a.abbreviation), ("name", a.name),
                                      *(("alias", x) for x in a.aliases), ("office", a.office),
                                      *(("note", n.text) for n in a.notes)])
    for s in d.systems.values():
        hit("system", s.id, s.name, [("id", s.id), ("abbreviation", s.abbreviation), ("name", s.name),
                                     *(("alias", x) for x in s.aliases),
                                     *(("SORN", f"{x.id} {x.title or ''}".strip()) for x in s.sorns),
                                     *(("PIA", x.id) for x in s.pias),
                                     *(("description", f.text) for f in s.description)])
    for v in d.vendors.values():
        hit("vendor", v.id, v.name, [("id", v.id), ("name", v.name), *(("alias", x) for x in v.aliases),
                                     *(("product", x) for x in v.products),
                                     *(("note", n.text) for n in v.notes)])
    for c in d.contracts.values():
        hit("contract", c.id, c.title, [("id", c.id), ("title", c.title), ("award", c.award_number),
                                        ("parent award", c.parent_award),
                                        *(("claim", cl.text) for cl in c.claims)])
    return rows
