"""The parts of a letter's render context every kind shares: the office (its address, portal
and regulation, and the warnings when the directory has not confirmed them), the systems a
letter names, the clock rules, and the addressee block.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from foia.letters.fields import FIRST_PARTY_SYSTEMS
from foia.letters.wording import address_lines, join_and, with_article

if TYPE_CHECKING:
    from foia.directory import Agency, Contact, Directory

class Section(dict):
    """A dict whose missing keys the template error names as ``prefix.key``."""

    def __init__(self, prefix: str, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.prefix = prefix


def compact(prefix: str, values: dict) -> Section:
    """A Section of the values that are given (not None or empty)."""
    return Section(prefix, {k: v for k, v in values.items() if v not in (None, "", [], ())})


def labels(d: "Directory", sources, *, for_letter: bool = False) -> str:
    """Source titles; the fact sheet (our compilation) is named only when it is the only one."""
    ids = [s for s in sources if s != "fact-sheet"] or list(sources)
    titles = []
    for sid in ids:
        src = d.sources.get(sid)
        if src is None:
            titles.append(sid)
        elif for_letter and sid == "fact-sheet":
            titles.append("public sources")
        elif for_letter:
            # The agency reads the outlet's name, not how our compilation describes it.
            titles.append(re.sub(r",? *(\(not read directly\)|unnamed in the fact sheet)", "", src.title).strip())
        else:
            titles.append(src.title)
    return "; ".join(titles)


class Warnings(list):
    """The warnings of one letter, each once, in the order they arose."""

    def add(self, text: str) -> None:
        if text not in self:
            self.append(text)


def pick_contact(d: "Directory", office: "Agency", purpose: str, type_: str, warnings: Warnings,
                  *, put: str) -> "Contact | None":
    """The office's contact for ``purpose``/``type_``: a verified one if any; else a single
    unverified one (reported); conflicting unverified values are reported and not used."""
    contacts = [c for c in office.contacts if c.purpose == purpose and c.type == type_]
    verified = [c for c in contacts if c.verified]
    if verified:
        return verified[0]
    if len(contacts) == 1:
        c = contacts[0]
        note = f"{c.note}; " if c.note else ""
        warnings.add(f"unverified: {office.abbreviation} {type_} {c.value} ({note}source: "
                     f"{labels(d, c.sources)}), {put}; confirm it before you send")
        return c
    if contacts:
        values = " or ".join(c.value for c in contacts)
        warnings.add(f"unverified: {office.abbreviation} {type_} conflict: {values} (source: "
                     f"{labels(d, contacts[0].sources)}); none was {put}: confirm which is current")
    return None


def office_context(d: "Directory", office: "Agency", purpose: str, warnings: Warnings) -> Section:
    reg, _ = d.inherited(office, "regulation")
    how = d.how_to_file(office)
    mail = pick_contact(d, office, purpose, "mail", warnings, put="put in the addressee block")
    if reg is not None and not reg.verified:
        warnings.add(f"unverified: {office.abbreviation} regulation {reg.cite} (source: {labels(d, reg.sources)})")
    filing = how["filing"]
    if filing is not None and how["portal_only"] and not filing.verified:
        warnings.add(f"unverified: {office.abbreviation} online-only filing since {filing.portal_only_since} "
                     f"(source: {labels(d, filing.sources)})")
    dhs = bool(reg and reg.cite.startswith("6 CFR"))
    return compact("office", {
        "id": office.id,
        "abbreviation": office.abbreviation,
        "name": office.office or office.name,
        "agency_name": office.name,
        "agency": with_article(office.name),
        # Who acted, as a sentence names it: "the ICE FOIA Office"; an office named like "CBP FOIA"
        # is not a noun, so the agency acts ("U.S. Customs and Border Protection").
        "actor": with_article(office.office if office.office and office.office.endswith("Office") else office.name),
        "address_lines": address_lines(mail.value) if mail else [],
        "portal": how["portal"],
        "portal_only": how["portal_only"],
        "portal_only_since": filing.portal_only_since if filing and how["portal_only"] else None,
        "regulation": reg.cite if reg else None,
        "dhs": dhs,
    })


def _identifier_text(i, folded: tuple[str, ...] = ()) -> str:
    text = i.id + (f" {i.title}" if i.title else "")
    extra = [*i.citations]
    if i.date and not i.citations:
        extra.append(i.date)
    if extra:
        text += f", {'; '.join(extra)}" if i.title else f" ({'; '.join(extra)})"
    if i.note and i.verified and not folded_into(i):
        note = i.note.rstrip(".")
        if len(note) > 1 and note[1].islower():
            note = note[0].lower() + note[1:]
        text += f"; {note}"
    if folded:
        text += ", which replaced " + join_and(folded)
    return text


_FOLDED = re.compile(r"\b(?:folded|merged) into (\S+)", re.I)


def folded_into(i) -> str | None:
    """The SORN an older one was folded into, as its note says ("Folded into DHS/ICE-018 ...")."""
    m = _FOLDED.search(i.note or "")
    return m.group(1).rstrip(".,;)") if m else None


def _notices(items) -> tuple[list[str], list[str]]:
    """SORNs or PIAs as a letter names them: (confirmed, understood). A SORN folded into another
    one listed too is named once, as what the current one replaced (DHS/ICE-016 into DHS/ICE-018,
    86 FR 15246), not as a second notice. An unconfirmed one is "understood" to apply: the letter
    says so as a lawyer would, and the user is warned."""
    ids = {i.id for i in items}
    replaced: dict[str, list[str]] = {}
    for i in items:
        into = folded_into(i)
        if into in ids:
            old = i.id + (f" ({'; '.join(i.citations)})" if i.citations else "")
            replaced.setdefault(into, []).append(old)
    confirmed, understood = [], []
    for i in items:
        if folded_into(i) in ids:
            continue
        (confirmed if i.verified else understood).append(_identifier_text(i, tuple(replaced.get(i.id, ()))))
    return confirmed, understood


def system_context(d: "Directory", system, warnings: Warnings, agency: "Agency | None" = None) -> Section:
    for kind, items in (("PIA", system.pias), ("SORN", system.sorns)):
        for i in items:
            if not i.verified:
                warnings.add(f"unverified: {kind} {i.id} for {system.abbreviation} (source: "
                             f"{labels(d, i.sources)}); the letter says you understand it to apply: "
                             "confirm it before you send")
    if not system.verified:
        warnings.add(f"unverified: {system.abbreviation} is known to the directory only from "
                     f"{labels(d, [s for f in system.description for s in f.sources])}; the letter says "
                     "you understand it to be a system of the office: confirm it before you send")
    pias, pias_understood = _notices(system.pias)
    sorns, sorns_understood = _notices(system.sorns)
    holders = [d.agencies[a] for a in ((system.directorate,) if system.directorate else system.agencies)
               if a in d.agencies]
    ctx = compact("system", {
        "id": system.id, "name": system.name, "abbreviation": system.abbreviation,
        "label": system.name if system.abbreviation in system.name else f"{system.name} ({system.abbreviation})",
        "categories": list(system.record_categories),
        "verified": system.verified,
        # Whose system it is, as the directory says: a letter to another office asks for that
        # office's copies of its records and for its access to it.
        "holder": join_and(f"{h.name} ({h.abbreviation}) of {with_article(d.agencies[h.parent].name)}"
                           if h.kind == "directorate" and h.parent in d.agencies else with_article(h.name)
                           for h in holders),
        "held_here": agency is None or holds(d, system, agency),
    })
    ctx.update(pias=pias, pias_understood=pias_understood, sorns=sorns, sorns_understood=sorns_understood)
    return ctx


def holds(d: "Directory", system, agency: "Agency") -> bool:
    ids = {a.id for a in d.lineage(agency)} | {agency.id}
    office = d.filing_office(agency)
    held_by = set(system.agencies) | ({system.directorate} if system.directorate else set())
    expanded = set(held_by)
    for aid in held_by:
        if aid in d.agencies:
            expanded.add(d.filing_office(d.agencies[aid]).id)
    return bool(expanded & (ids | {office.id}))


# Phrases in the directory's record categories that read "the subject"; a first-party letter
# says "me" instead.
_ME = (("the subject of the request", "me"), ("the subject's", "my"), ("about the subject", "about me"),
       ("the subject", "me"))


def _personal_categories(system, *, first_person: bool) -> list[str]:
    out = []
    for cat in system.record_categories:
        if "subject" not in cat:
            continue
        if first_person:
            for a, b in _ME:
                cat = cat.replace(a, b)
        else:
            cat = cat.replace("the subject of the request", "the subject")
        out.append(cat)
    return out


def _department_wide(d: "Directory", system, agency: "Agency") -> bool:
    """A system whose SORNs are all DHS/ALL-* is covered department-wide: a DHS office may hold
    its records (IDENT/HART's biometrics) though another office runs it."""
    return bool(system.sorns) and all(i.id.startswith("DHS/ALL-") for i in system.sorns) and \
        any(a.id == "dhs" for a in d.lineage(d.filing_office(agency)))


def systems_for_person(d: "Directory", about: "Agency", chosen: list[str] | None, warnings: Warnings,
                        *, first_person: bool) -> list[Section]:
    if chosen:
        systems = [d.system(s) for s in chosen]
        for s in systems:
            if not holds(d, s, about):
                warnings.add(f"note: the directory does not list {about.abbreviation} as holding "
                             f"{s.abbreviation}; it is searched only if {about.abbreviation} holds it")
    else:
        systems = [d.systems[s] for s in FIRST_PARTY_SYSTEMS if s in d.systems
                   and (holds(d, d.systems[s], about) or _department_wide(d, d.systems[s], about))]
        if about.kind == "directorate":
            systems = [s for s in systems if s.directorate == about.id or about.id in s.agencies
                       or _department_wide(d, s, about)]
        if not [s for s in systems if holds(d, s, about)]:
            systems = [s for s in d.systems_for_agency(about.id)] + [s for s in systems if not holds(d, s, about)]
    out = []
    for s in systems:
        ctx = system_context(d, s, warnings, about)
        ctx["personal"] = _personal_categories(s, first_person=first_person)
        out.append(ctx)
    return out


# Commercial data services the directory knows ICE queried: a first-party letter to an office
# that holds one of their contracts asks for the queries run on the person in them, naming the
# products as the directory names them (Thomson Reuters CLEAR; LexisNexis, which replaced CLEAR
# at ICE in 2021) and no further.
DATA_BROKERS = ("thomson-reuters", "lexisnexis")


def data_brokers(d: "Directory", about: "Agency") -> list[str]:
    office = d.filing_office(about).id
    out = []
    for vid in DATA_BROKERS:
        v = d.vendors.get(vid)
        if v is None or not any(d.filing_office(d.agencies[c.agency]).id == office
                                for c in d.contracts_for_vendor(vid) if c.agency in d.agencies):
            continue
        name = f"{v.name} {join_and(v.products)}" if v.products else v.name
        notes = [n.text.rstrip(".") for n in v.notes if n.verified and n.text.lower().startswith("replaced")]
        if notes:
            name += " (which " + notes[0][0].lower() + notes[0][1:] + ")"
        out.append(name)
    return out



def clock_context(d: "Directory", agency: "Agency") -> Section | None:
    clock, _ = d.inherited(agency, "clock")
    if clock is None:
        return None
    return Section("clock", {
        "determination_working_days": clock.determination_working_days,
        "expedite_decision_days": clock.expedite_decision_days,
        "expedite_decision_unit": clock.expedite_decision_unit,
        "appeal_window_days": clock.appeal_window_days,
        "appeal_window_unit": clock.appeal_window_unit,
        "appeal_window": f"{clock.appeal_window_days} {clock.appeal_window_unit} days",
        "appeal_rule": clock.appeal_rule or "5 U.S.C. 552(a)(6)(A)(i)(III)(aa)",
        "appeal_decision_working_days": clock.appeal_decision_working_days,
        "misdirected_working_days": clock.misdirected_max_working_days,
        "extension_working_days": clock.extension_working_days,
    })


def office_addressee(kind, ctx: dict) -> list[str]:
    """The addressee block of a letter to a FOIA office, or to the office that decides its appeals."""
    office = ctx["office"]
    if ctx.get("appeal_office"):
        # Another office decides the appeals (DOJ's OIP for the FBI, 28 CFR 16.8(a)).
        appeals = ctx["appeal_office"]
        lines = [appeals["name"], appeals["agency_name"]] + list(appeals.get("address_lines", []))
        return lines
    if kind.purpose == "appeal" or ctx.get("pending_appeal"):
        # Appeals are decided by an appeals officer, not the FOIA office that answered.
        lines = ["FOIA Appeals Officer", office["agency_name"]]
    elif office["agency_name"].startswith(office["name"]):
        lines = [office["agency_name"]]
    elif office["agency_name"] in office["name"]:
        lines = [office["name"]]
    else:
        lines = [office["name"], office["agency_name"]]
    return lines + list(office.get("address_lines", []))


def amendment_addressee(kind, ctx: dict) -> list[str]:
    """A Privacy Act amendment goes to the Privacy Office (when the directory has its address),
    the appeal of a refusal to the Privacy Act Appeals Officer."""
    office = ctx["office"]
    head = "Privacy Office" if kind.purpose == "amendment" and office.get("address_lines") else \
        ("Privacy Act Appeals Officer" if kind.purpose == "amendment-appeal" else office["name"])
    return [head, office["agency_name"]] + list(office.get("address_lines", []))
