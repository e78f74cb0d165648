"""The context builders of the request letters (records, contract, self, third-party) and of
the Privacy Act amendments, and the fee and expedite sections every new request shares."""

from __future__ import annotations

import re

from foia.errors import UsageError
from foia.letters.context import Section, Warnings, compact, data_brokers, holds, labels, system_context, \
    systems_for_person
from foia.letters.fields import EXPEDITE_GROUNDS, PERSON
from foia.letters.options import missing_field
from foia.letters.wording import address_lines, join_and, long_date, money
from foia.naming import Field as Named
from foia.naming import Text

_US = {"united states", "united states of america", "usa", "u.s.", "u.s.a.", "us", "u.s. citizen"}


def _is_us(country: str | None) -> bool:
    return bool(country) and country.strip().lower().rstrip(".") in {c.rstrip(".") for c in _US}


def refusal_after_letter(field: str, what: str) -> UsageError:
    """A date of a decision later than the letter."""
    return UsageError(Text(Named(field), f" is after the letter date; give the date on {what}"), field=field)


def build_fields(d, o, ctx, w, kind, today):
    """The context a kind with no builder of its own gets: its own fields, as given (checked and
    converted by type), beside what every letter has (office, about, requester, clock...)."""
    ctx.update({f.name: o[f.name] for f in kind.fields if f.name in o})


def build_records(d, o, ctx, w, kind, today):
    system = d.system(o["system"]) if o.get("system") else None
    vendor = d.vendor(o["vendor"]) if o.get("vendor") else None
    if not (o.get("subject") or system or vendor):
        raise UsageError(Text("records letter needs what records: pass ", Named("subject"), ", ", Named("system"),
                              " or ", Named("vendor")), field="subject")
    about = ctx["about"]
    agency = d.agencies[about["id"]]
    office_name = ctx["office"]["agency"]
    if system:
        ctx["system"] = system_context(d, system, w, agency)
        if not holds(d, system, agency):
            w.add(Text(f"note: the directory does not list {about['abbreviation']} as holding {system.abbreviation} "
                  f"(held by {', '.join(system.agencies)}); the letter asks {about['abbreviation']} for its copies "
                  "of the system's records and its access to the system; check ", Named("to")))
    if vendor:
        contracts = [c for c in d.contracts_for_vendor(vendor.id)
                     if d.filing_office(d.agencies[c.agency]).id == ctx["office"]["id"]]
        ctx["vendor"] = compact("vendor", {
            "id": vendor.id, "name": vendor.name,
            "contracts": [c.title + (f" (award {c.award_number})" if c.award_number else "") for c in contracts],
        })
        for c in contracts:
            _check_award_number(d, c, w)
    if o.get("subject"):
        subject = o["subject"]
    elif system and vendor:
        subject = f"{system.name} ({system.abbreviation}) and {vendor.name}"
    elif system:
        subject = f"{system.name} ({system.abbreviation})"
    else:
        subject = f"{office_name}'s use of products and services of {vendor.name}"
    ctx["subject"] = subject
    categories = o.get("categories")
    if not categories:
        if system:
            categories = _system_records(system)
            if vendor:
                categories.append(f"communications between {office_name} and {vendor.name} about "
                                  f"{system.abbreviation}")
        elif vendor:
            v = vendor.name
            categories = [
                f"contracts, task orders, purchase orders and agreements with {v}, with all modifications",
                "statements of work, performance work statements and other requirements documents",
                f"invoices and records of payments to {v}",
                f"deliverables {v} provided, including reports and design documents",
                f"Privacy Impact Assessments and privacy threshold analyses covering products or services of {v}",
                f"data-sharing agreements and memoranda of understanding involving {v}",
                f"training material, user manuals and rules of behavior for products of {v}",
                f"audit logs, usage statistics and reports of use of products of {v}",
                f"communications between {office_name} and {v}",
            ]
        else:
            categories = list(_GENERIC_CATEGORIES)
    ctx["categories"] = categories
    ctx["topic"] = subject
    _date_range(o, ctx)
    _format(o, ctx, kind)


_GENERIC_CATEGORIES = (
    "policies, directives, guidance and standard operating procedures",
    "Privacy Impact Assessments, privacy threshold analyses and system of records notices",
    "contracts, statements of work and modifications",
    "training material and user manuals",
    "data-sharing agreements and memoranda of understanding",
    "audit reports and statistics of use",
    "communications with vendors and other agencies",
)


def _system_records(system) -> list[str]:
    """A system's record categories for a records letter, which has no subject person: the
    audit logs without "about the subject of the request", the other personal ones left out."""
    out = []
    for cat in system.record_categories:
        if "subject" not in cat:
            out.append(cat)
        elif cat.startswith("audit logs"):
            out.append(re.sub(r"\s+(and records\s+)?about the subject( of the request)?", "", cat))
    return out or list(_GENERIC_CATEGORIES)


def _date_range(o, ctx):
    f, t = o.get("date_from"), o.get("date_to")
    if f and t and f > t:
        raise UsageError(Text(Named("date_from"), " is after ", Named("date_to"), "; give the earlier date first"),
                         field="date_from")
    if f:
        ctx["date_from"] = f
    if t:
        ctx["date_to"] = t
    if f and t:
        ctx["period"] = f"created or received from {long_date(f)} to {long_date(t)}"
    elif f:
        ctx["period"] = f"created or received from {long_date(f)} to the date of your search"
    elif t:
        ctx["period"] = f"created or received up to {long_date(t)}"


def _format(o, ctx, kind):
    ctx["format"] = o.get("format", "electronic")
    if ctx["format"] == "paper" and not ctx["requester"].get("address"):
        raise missing_field(kind, "requester_address", "your postal address for paper copies")


def _unnamed(d, sources) -> bool:
    """Whether every source is one the fact sheet leaves unnamed ("Other outlets")."""
    titles = [d.sources[s].title for s in sources if s in d.sources and s != "fact-sheet"]
    return bool(titles) and all("unnamed" in t.lower() for t in titles)


def _check_award_number(d, contract, w: Warnings) -> None:
    """An award number the letter names is unverified unless a verified claim gives it."""
    number = contract.award_number
    if number and not any(c.verified and c.award_number == number for c in contract.claims):
        w.add(f"unverified: award number {number} ({contract.title}) named in the letter (source: "
              f"{labels(d, [s for c in contract.claims for s in c.sources])}); check it on USAspending")


CONTRACT_CATEGORIES = (
    "the award document (contract, task order or delivery order) with its attachments, and every modification",
    "the statement of work or performance work statement",
    "invoices and records of payments",
    "deliverables, including reports, design documents and acceptance records",
    "any justification for other than full and open competition",
    "communications between {agency} and {vendor} about the award",
    "Privacy Impact Assessments and data-sharing agreements for the work under the award",
)


def build_contract(d, o, ctx, w, kind, today):
    from foia.errors import NotFound

    award = o["award"]
    try:
        contract = d.contract(award)
    except NotFound:
        contract = None
    detail = o.get("award_detail") or {}
    office_name = ctx["office"]["agency"]
    claims = []
    if contract:
        vendors = [d.vendors[v].name for v in contract.vendors if v in d.vendors]
        number = contract.award_number or (award if award != contract.id else None)
        holder = d.agencies[contract.directorate or contract.agency]
        if d.filing_office(holder).id != ctx["office"]["id"]:
            w.add(f"note: the directory lists {contract.id} as {holder.abbreviation}'s; "
                  f"this letter goes to {ctx['office']['abbreviation']}")
        for c in contract.claims:
            if o.get("verified_only") and not c.verified:
                continue
            if _unnamed(d, c.sources):
                # The agency is cited named sources only: "other outlets" is no source to it.
                w.add(f"note: claim about {contract.id} \"{c.text}\" left out of the letter: its source "
                      f"({labels(d, c.sources)}) is not named")
                continue
            claims.append(Section("claim", {"text": c.text, "source": labels(d, c.sources, for_letter=True),
                                            "verified": c.verified}))
            if not c.verified:
                w.add(f"unverified: claim about {contract.id} \"{c.text}\" (source: {labels(d, c.sources)}); "
                      "the letter marks it unconfirmed")
        for conflict in contract.conflicts:
            w.add(f"conflict: {contract.id}: {conflict}")
        if number and number == contract.award_number:
            _check_award_number(d, contract, w)
        title = contract.title
        parent = contract.parent_award
    else:
        if not detail:
            w.add(f"note: award {award} is not in the directory; check the number (foia contracts show {award})")
        vendors = [detail["recipient"]] if detail.get("recipient") else []
        number, title, parent = award, detail.get("description"), None
    number = detail.get("piid") or number
    parent = detail.get("parent_piid") or parent
    vendor_text = join_and(vendors) if vendors else "the contractor"
    ctx["award"] = compact("award", {
        "number": number, "parent": parent, "title": title, "vendors": vendor_text,
        "claims": claims,
    })
    if detail:
        mods = detail.get("modifications")
        if isinstance(mods, (list, tuple)):
            mods = len(mods)
        ctx["award_detail"] = compact("award_detail", {
            "piid": detail.get("piid"), "parent_piid": detail.get("parent_piid"),
            "recipient": detail.get("recipient"),
            "amount": money(detail["amount"]) if detail.get("amount") not in (None, "") else None,
            "start_date": detail.get("start_date"), "end_date": detail.get("end_date"),
            "description": detail.get("description"), "modifications": mods,
        })
    what = f"award {number}" if number else title
    ctx["subject"] = f"{what} ({vendor_text})" if vendors else what
    ctx["categories"] = o.get("categories") or [
        c.format(agency=office_name, vendor=vendor_text) for c in CONTRACT_CATEGORIES]
    ctx["topic"] = f"{office_name}'s {what} to {vendor_text}" if vendors else f"{office_name}'s {what}"
    _date_range(o, ctx)
    _format(o, ctx, kind)


def _person(o: dict, prefix: str, ctx_prefix: str) -> Section:
    values = {name: o.get(prefix + name) for name, _, _ in PERSON}
    values["full_name"] = o.get(prefix + "full_name")
    # Lines as address_lines reads them (a typed "\n" included), so the identity block joins them.
    values["address"] = "\n".join(address_lines(o.get(prefix + "address"))) or None
    values["outside_us"] = bool(o.get(prefix + "outside_us"))
    values["us_citizen"] = _is_us(values.get("citizenship"))
    return compact(ctx_prefix, values)


def _subject_fields(o, ctx, kind) -> None:
    """The person whose records a first-party letter concerns: their name and address default to
    the requester's; the identity fields the letter needs must all be given."""
    req = ctx["requester"]
    for name, key in (("full_name", "name"), ("address", "address")):
        if not o.get(name) and req.get(key):
            o[name] = req[key]
    for name in ("full_name", "address", "date_of_birth", "place_of_birth", "citizenship"):
        if not o.get(name):
            raise missing_field(kind, name)


def build_self(d, o, ctx, w, kind, today):
    _subject_fields(o, ctx, kind)
    person = _person(o, "", "person")
    ctx["person"] = person
    _first_party(d, o, ctx, w, person, first_person=True)


def build_third_party(d, o, ctx, w, kind, today):
    if not o.get("subject_deceased"):
        for name in ("subject_address", "subject_date_of_birth", "subject_place_of_birth", "subject_citizenship"):
            if not o.get(name):
                raise UsageError(Text(f"third-party letter needs the subject's {name[8:].replace('_', ' ')} "
                                      "(6 CFR 5.21(g) asks for the subject's verified identity): pass ", Named(name),
                                      ", or ", Named("subject_deceased"), " with proof of death"), field=name)
    person = _person(o, "subject_", "person")
    person["deceased"] = bool(o.get("subject_deceased"))
    dhs = ctx["office"].get("dhs")
    if o.get("relationship"):
        person["relationship"] = o["relationship"]
    ctx["person"] = person
    _first_party(d, o, ctx, w, person, first_person=False)
    if person["deceased"]:
        w.add("note: enclose proof of the subject's death" + (" (6 CFR 5.21(g))" if dhs else ""))
    else:
        w.add("note: the subject must sign the consent and declaration (by hand, or have it notarized) "
              "before you file" + (" (6 CFR 5.21(e), (g))" if dhs else " (28 U.S.C. 1746)"))


def _first_party(d, o, ctx, w, person, *, first_person: bool):
    about = d.agencies[ctx["about"]["id"]]
    ctx["topic"] = f"{ctx['about']['agency']}'s collection and use of personal information"
    ctx["systems"] = systems_for_person(d, about, o.get("systems"), w, first_person=first_person)
    # A non-citizen may have no Privacy Act right of access (552a(a)(2)); asking under FOIA as
    # well loses nothing (fact sheet). The Judicial Redress Act covers citizens of countries the
    # Attorney General designates only (Pub. L. 114-126): claimed only when the user says so.
    ctx["non_citizen"] = not person["us_citizen"]
    ctx["judicial_redress"] = bool(o.get("judicial_redress"))
    option = Named("judicial_redress")
    if ctx["judicial_redress"] and person["us_citizen"]:
        w.add(Text("note: ", option, " given for a U.S. citizen, who has Privacy Act rights (5 U.S.C. 552a(a)(2)); "
                   "the letter claims the Judicial Redress Act as asked"))
    elif ctx["non_citizen"] and not ctx["judicial_redress"]:
        w.add(Text("note: the Judicial Redress Act covers only citizens of countries the Attorney General designates "
                   "(Pub. L. 114-126); the letter does not claim it: pass ", option, " if it applies"))
    ctx["data_brokers"] = data_brokers(d, about)
    if o.get("details"):
        ctx["details"] = o["details"]
    office = d.filing_office(about)
    form, _ = d.inherited(office, "identity_form")
    if form is not None:
        w.add(("note: " if form.verified else "unverified: ") + form.text + (f" ({form.note})" if form.note else ""))
    cite = "6 CFR 5.21(e); 28 U.S.C. 1746" if ctx["office"].get("dhs") else "28 U.S.C. 1746"
    signer = "sign the declaration" if first_person else "have the subject sign the consent and declaration"
    # Portal-only offices take the letter's text as the request description; a pasted text is
    # unsigned, so the signed declaration goes as an attachment. The directory does not say
    # whether a portal takes attachments: say so rather than guess.
    ctx["portal_filing"] = (f"{signer} on the printed letter (the DOCX), or have it notarized, attach the signed "
                            f"copy to the portal submission, and give the letter's text as the request "
                            f"description; the directory does not say whether this portal takes attachments: "
                            f"if it does not, ask the office how to send the signed declaration ({cite})")
    if ctx["office"].get("portal_only"):
        w.add("note: " + ctx["portal_filing"])
    elif first_person:
        w.add(f"note: sign the declaration by hand (or have the letter notarized) before you file ({cite})")
    if not ctx["office"].get("dhs"):
        # The Privacy Act and 28 U.S.C. 1746 apply to every agency; 6 CFR Part 5 only to DHS.
        w.add(f"note: {office.abbreviation} is not under DHS's regulation; the letter cites the statutes only")


def request_fees(kind, o: dict, ctx: dict, w: Warnings) -> None:
    """The optional request sections: fee category, fee limit, fee waiver, news media, expedite."""
    req = ctx["requester"]
    office = ctx["office"]
    privacy_act = kind.privacy_act
    if privacy_act:
        # The Privacy Act allows fees for copies only, not search or review (5 U.S.C. 552a(f)(5)):
        # a first- or third-party letter claims no FOIA fee category and concedes no search fee.
        if o.get("news_media"):
            raise UsageError(Text(Named("news_media"), f" does not apply to {kind.name} letters: the Privacy Act "
                                  "allows fees for copies only (5 U.S.C. 552a(f)(5)), so no fee category is claimed"),
                             field="news_media")
        if req.get("fee_category"):
            w.add(f"note: your fee category ({req['fee_category']}) is not claimed: under the Privacy Act the "
                  "letter asks for copying fees only (5 U.S.C. 552a(f)(5))")
            req.pop("fee_category", None)
            req.pop("fee_category_label", None)
    news = bool(o.get("news_media")) or req.get("fee_category") == "news-media"
    if o.get("news_media") and req.get("fee_category") not in (None, "news-media"):
        w.add(Text("conflict: ", Named("news_media"), f" given but your fee category is {req['fee_category']}; "
                   "the letter asks for news-media status"))
    if news:
        req["fee_category"] = "news-media"
        from foia.profile import FEE_CATEGORIES

        req["fee_category_label"] = FEE_CATEGORIES["news-media"]
        if not req.get("publication_record"):
            raise missing_field(kind, "requester_publication_record",
                           "your publication record to support news-media status")
    waiver = bool(o.get("fee_waiver"))
    if waiver:
        if not req.get("dissemination"):
            raise missing_field(kind, "requester_dissemination",
                           "how you will share the records (for the fee waiver, 6 CFR 5.11(k))")
        if req.get("fee_category") == "commercial":
            w.add("conflict: a fee waiver needs disclosure not primarily in your commercial interest "
                  "(6 CFR 5.11(k)), but your fee category is commercial")
    grounds = o.get("expedite_grounds") or []
    statement = o.get("expedite_statement")
    expedite = bool(o.get("expedite") or grounds or statement)
    if expedite:
        if not grounds:
            raise missing_field(kind, "expedite_grounds", "the expedite grounds (" + ", ".join(EXPEDITE_GROUNDS) + ")")
        if not statement:
            raise missing_field(kind, "expedite_statement", "the facts for expedited processing")
        if not office.get("dhs"):
            regulation_only = [g for g in grounds if EXPEDITE_GROUNDS[g][0] is None]
            if regulation_only:
                raise UsageError(Text(Named("expedite_grounds"), f" {', '.join(regulation_only)}: these grounds are in "
                                      f"DHS's 6 CFR 5.5(e) and {office['abbreviation']} is not under it; use threat or "
                                      "urgency"), field="expedite_grounds")
        if "urgency" in grounds and not req.get("publication_record"):
            w.add(Text("note: the urgency ground is for a person primarily engaged in disseminating information; "
                  "add your publication record (", Named("requester_publication_record"), ")"))
        if "media-interest" in grounds:
            w.add("note: DHS decides the media-interest ground through the Senior Director of FOIA Operations, "
                  "Privacy Office (6 CFR 5.5(e)); the letter asks for it to be forwarded there")
    # Plain values for callers that record the request (the tracker reads these keys).
    ctx["fee_category"] = req.get("fee_category")
    ctx["fee_waiver"] = waiver
    ctx["fee_limit"] = o.get("fee_limit")
    ctx["fees"] = compact("fees", {
        "waiver": waiver, "news_media": news, "limit": money(o["fee_limit"]) if "fee_limit" in o else None,
        "privacy_act": privacy_act,
    })
    ctx["expedite"] = compact("expedite", {
        "requested": expedite,
        "grounds": [Section("ground", {"code": g, "statute": EXPEDITE_GROUNDS[g][0],
                                       "regulation": EXPEDITE_GROUNDS[g][1]}) for g in grounds],
        "statement": statement,
    })


def build_amendment(d, o, ctx, w, kind, today):
    """A Privacy Act amendment (552a(d)(2): acknowledged within 10 working days, then corrected or
    refused promptly) or the appeal of a refusal (552a(d)(3): decided within 30 working days
    unless extended for good cause); the person whose record it is signs a 28 U.S.C. 1746
    declaration. Fact sheet, "Additions of 2026-12-03"."""
    _subject_fields(o, ctx, kind)
    ctx["person"] = _person(o, "", "person")
    ctx["record"], ctx["correction"] = o["record"], o["correction"]
    if o.get("system"):
        system = d.system(o["system"])
        ctx["system"] = system_context(d, system, w, d.agencies[ctx["about"]["id"]])
    if kind.purpose == "amendment-appeal":
        if o["refusal_date"] < o["request_date"]:
            raise UsageError(Text(Named("refusal_date"), " is before ", Named("request_date"),
                                  "; give the date of your request first"), field="refusal_date")
        if o["refusal_date"] > ctx["letter_date"]:
            raise refusal_after_letter("refusal_date", "the refusal")
        ctx["request_date"], ctx["refusal_date"] = o["request_date"], o["refusal_date"]
        w.add("unverified: the directory gives no address for Privacy Act appeals (6 CFR 5.25 is not confirmed); "
              "find where the office takes them before you send this")
    elif not ctx["office"].get("address_lines"):
        w.add(f"note: the directory gives no address for amendments at {ctx['office']['abbreviation']}; "
              "find where the office takes them before you send this")
    w.add("note: sign the declaration by hand (or have the letter notarized) before you send it (28 U.S.C. 1746)")




def system_office(d, o: dict) -> str | None:
    """The office a records letter about a system goes to when none is named: the system's holder."""
    if o.get("system"):
        s = d.system(o["system"])
        return s.directorate or s.agencies[0]
    return None


def contract_office(d, o: dict) -> str | None:
    """The office a contract letter goes to when none is named: the award's agency, when the
    directory knows the award."""
    from foia.errors import NotFound

    if o.get("award"):
        try:
            c = d.contract(o["award"])
        except NotFound:
            return None
        return c.directorate or c.agency
    return None
