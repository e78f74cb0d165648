"""Letters: the kinds, the render context built from the directory and the profile, and the
Jinja2 environment (packaged templates, overridable from the user's template directory).

The legal content of every letter (statute and regulation cites, the 6 CFR 5.21(e) identity
block, the 28 U.S.C. 1746 wording, the 6 CFR 5.11(k) factors, the 6 CFR 5.5(e) grounds, the
appeal marking, OGIS) comes from ../shared/reference/dhs-foia-facts.md and lives in the
templates; offices whose regulation is not DHS's 6 CFR Part 5 (the FBI) are cited the statute
only. Anything the directory marks unverified that a letter uses is reported in
``Letter.warnings``.
"""

from __future__ import annotations

import os
import re
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from foia.errors import FoiaError, UsageError
from foia.render import ESC, FORMATS, XML_UNSAFE, Block, MarkupError, parse, subject_of
from foia.render.markdown import to_markdown
from foia.render.text import to_text
from foia.vocab import SENT_VIA

if TYPE_CHECKING:
    from foia.directory import Agency, Contact, Directory
    from foia.profile import Profile

__all__ = ["KINDS", "LetterKind", "Field", "Letter", "build_letter", "write_letter", "letter_bytes",
           "default_stem", "packaged_templates_dir", "user_templates_dir", "template_source"]

# ---------------------------------------------------------------------------------------------
# Kinds and their fields


@dataclass(frozen=True)
class Field:
    """One letter option. ``name`` is the ``options`` key; the CLI spells it ``--kebab-case``."""

    name: str
    help: str
    type: str = "text"  # text | date | list | bool | amount | choice | dict
    required: bool = False
    choices: tuple[str, ...] = ()
    profile: str | None = None  # the profile key that supplies it when not given
    pii: bool = False  # never echoed in messages (dates of birth, A-Numbers)
    split: bool = False  # list given as "a,b" is split on commas
    cli: bool = True  # offered as a command-line option
    flag: str | None = None  # the CLI spelling when --kebab-name is taken (records --record-format)
    alias: str | None = None  # an older CLI spelling still accepted (appeal --exemptions)

    @property
    def option(self) -> str:
        return self.flag or "--" + self.name.replace("_", "-")

    def source_hint(self) -> str:
        hint = f"pass {self.option}"
        if self.profile:
            hint += f" or set {self.profile} in your profile (foia profile edit)"
        return hint


# Fee categories of 5 U.S.C. 552(a)(4)(A)(ii), from foia.profile.
REQUESTER_FIELDS = (
    Field("requester_name", "Your name (overrides profile name).", profile="name"),
    Field("requester_organization", "Organisation (overrides profile organization).", profile="organization"),
    Field("requester_title", "Your position (overrides profile title).", profile="title"),
    Field("requester_address", "Postal address, lines separated by newlines (overrides profile address).",
          profile="address"),
    Field("requester_email", "Email for the reply (overrides profile email).", profile="email"),
    Field("requester_phone", "Phone (overrides profile phone).", profile="phone"),
    Field("requester_fee_category", "Fee category: news-media, educational, scientific, other, commercial "
          "(overrides profile fee_category).", profile="fee_category"),
    Field("requester_publication_record", "Publication record (overrides profile publication_record).",
          profile="publication_record"),
    Field("requester_dissemination", "How you will share the records (overrides profile dissemination).",
          profile="dissemination"),
    Field("to_email", "Send to this email address instead of the directory's (eml output)."),
)

EXPEDITE_GROUNDS = {
    # code: (statute clause or None, 6 CFR 5.5(e) ground)  -- fact sheet, "5.5(e) expedited grounds"
    "threat": ("5 U.S.C. 552(a)(6)(E)(v)(I)", "(i)"),
    "urgency": ("5 U.S.C. 552(a)(6)(E)(v)(II)", "(ii)"),
    "due-process": (None, "(iii)"),
    "media-interest": (None, "(iv)"),
}

REQUEST_FIELDS = (
    Field("fee_waiver", "Ask for a fee waiver (5 U.S.C. 552(a)(4)(A)(iii); 6 CFR 5.11(k)).", type="bool"),
    Field("expedite", "Ask for expedited processing (5 U.S.C. 552(a)(6)(E); 6 CFR 5.5(e)).", type="bool"),
    Field("expedite_grounds", "Expedite ground(s): " + ", ".join(EXPEDITE_GROUNDS) + ".", type="list",
          choices=tuple(EXPEDITE_GROUNDS), split=True),
    Field("expedite_statement", "The facts showing the compelling need (certified in the letter)."),
    Field("fee_limit", "The most you agree to pay in fees, in dollars.", type="amount"),
    Field("news_media", "Ask to be treated as a representative of the news media for fees.", type="bool"),
)

# The systems a first-party letter asks an office to search when --systems is not given: those
# of these the office holds (TECS is CBP's, DHS/CBP-011), and IDENT/HART at every DHS office,
# since its SORNs (DHS/ALL-041, DHS/ALL-043) are department-wide (fact sheet, "Systems of records").
FIRST_PARTY_SYSTEMS = ("enforce-eid", "icm", "falcon", "ice-lpr", "tecs", "a-file", "ident-hart")

APPEAL_GROUNDS = ("withholding", "partial-withholding", "inadequate-search", "no-records",
                  "fee-waiver-denied", "expedite-denied", "no-response")

_PERSON = (
    ("date_of_birth", "Date of birth, YYYY-MM-DD.", "date"),
    ("place_of_birth", "Place of birth (city and country).", "text"),
    ("citizenship", "Country of citizenship or residency.", "text"),
    ("a_number", "Alien Registration Number (A-Number), optional.", "text"),
    ("passport_number", "Passport number, optional.", "text"),
    ("other_names", "Other names used (repeatable).", "list"),
)


def _person_fields(prefix: str, required: bool) -> tuple[Field, ...]:
    out = []
    for name, help_, type_ in _PERSON:
        out.append(Field(prefix + name, help_, type=type_, pii=True,
                         required=required and name in ("date_of_birth", "place_of_birth", "citizenship")))
    return tuple(out)


@dataclass(frozen=True)
class LetterKind:
    name: str
    title: str
    template: str
    fields: tuple[Field, ...]
    request: bool = False  # a new request: fee waiver, expedite, fee limit and news media apply

    @property
    def all_fields(self) -> tuple[Field, ...]:
        return self.fields + (REQUEST_FIELDS if self.request else ()) + REQUESTER_FIELDS

    def field(self, name: str) -> Field:
        for f in self.all_fields:
            if f.name == name:
                return f
        raise KeyError(name)

    def applies_to(self, agency: "Agency") -> bool:
        """Every kind is addressed to (or, for mediation, about) an agency's FOIA office; OGIS
        mediates and DOJ's Office of Information Policy decides appeals: neither is asked for
        records here."""
        return agency.kind not in ("mediator", "appeals")


_SYSTEMS_FIELD = Field("systems", "System ids to search (repeatable; default: "
                       + ", ".join(FIRST_PARTY_SYSTEMS) + ", those the office holds).", type="list", split=True)
_DETAILS_FIELD = Field("details", "Anything that helps find the records (dates, places, encounters).", pii=True)
# `format` is the records' form; the CLI's --format is the file format, so it is --record-format.
_FORMAT_FIELD = Field("format", "Form you want the records in: electronic (default), native, paper.",
                      type="choice", choices=("electronic", "native", "paper"), flag="--record-format")

# Follow-ups and appeals name a request the office may never have numbered (it never answered):
# then the filing date, the subject and how it was sent identify it.
_TRACKING_FIELD = Field("tracking_number", "The agency's tracking number (none yet: the letter names the filing "
                        "date, the subject and --sent-via instead).")
_FILED_FIELDS = (
    Field("sent_via", "How you sent the request: " + ", ".join(SENT_VIA) + ".", type="choice", choices=SENT_VIA),
    Field("sent_to", "Where the request was sent (the portal or email address).", cli=False),
    Field("other_numbers", "The request's other tracking numbers (a split or referral).", type="list", cli=False),
    Field("privacy_act", "The request was also made under the Privacy Act (first-party or third-party): the "
          "letter names both acts.", type="bool"),
)

KINDS: dict[str, LetterKind] = {k.name: k for k in (
    LetterKind("records", "Records about a system, program or vendor.", "records.j2", (
        Field("subject", "What records: a short description (or give --system / --vendor)."),
        Field("system", "System id from the directory (foia systems list)."),
        Field("vendor", "Vendor id from the directory (foia vendors list)."),
        Field("date_from", "Earliest record date, YYYY-MM-DD.", type="date"),
        Field("date_to", "Latest record date, YYYY-MM-DD.", type="date"),
        Field("categories", "Record categories (repeatable; default: the directory's for the system).",
              type="list"),
        _FORMAT_FIELD,
    ), request=True),
    LetterKind("contract", "One contract award, by number or directory id.", "contract.j2", (
        Field("award", "Award number (PIID) or directory contract id.", required=True),
        Field("award_detail", "USAspending details of the award (from the contract lookup).", type="dict",
              cli=False),
        Field("categories", "Record categories (repeatable; default: award, modifications, SOW...).",
              type="list"),
        Field("verified_only", "List only the directory's verified claims about the award.", type="bool"),
        Field("date_from", "Earliest record date, YYYY-MM-DD.", type="date"),
        Field("date_to", "Latest record date, YYYY-MM-DD.", type="date"),
        _FORMAT_FIELD,
    ), request=True),
    LetterKind("self", "First-party FOIA and Privacy Act request for records about you.", "self.j2", (
        Field("full_name", "Your full name.", required=True, profile="name"),
        Field("address", "Your current address.", required=True, profile="address"),
        *_person_fields("", True),
        Field("outside_us", "You sign outside the United States (28 U.S.C. 1746 wording).", type="bool"),
        Field("judicial_redress", "The Judicial Redress Act applies: a citizen of a country the Attorney General "
              "designated (Pub. L. 114-126, 5 U.S.C. 552a note). Not assumed from the citizenship.", type="bool"),
        _SYSTEMS_FIELD, _DETAILS_FIELD,
    ), request=True),
    LetterKind("third-party", "Request for records about another person, with their consent.",
               "third-party.j2", (
        Field("subject_full_name", "The subject's full name.", required=True, pii=True),
        Field("subject_address", "The subject's current address.", pii=True),
        *_person_fields("subject_", False),
        Field("subject_outside_us", "The subject signs outside the United States.", type="bool"),
        Field("subject_deceased", "The subject has died (proof of death enclosed instead of consent).",
              type="bool"),
        Field("relationship", "Your relationship to the subject (e.g. attorney).", pii=True),
        Field("judicial_redress", "The Judicial Redress Act applies: the subject is a citizen of a country the Attorney General "
              "designated (Pub. L. 114-126, 5 U.S.C. 552a note). Not assumed from the citizenship.", type="bool"),
        _SYSTEMS_FIELD, _DETAILS_FIELD,
    ), request=True),
    LetterKind("follow-up", "Status inquiry asking for the estimated date of completion.", "follow-up.j2", (
        _TRACKING_FIELD,
        Field("request_date", "Date you filed the request, YYYY-MM-DD.", type="date", required=True),
        # Not required: the tracking number and filing date identify a request, and the tracker
        # leaves it out rather than paste a queue title the office never saw.
        Field("request_subject", "Short description of the request, as filed."),
        Field("estimated_completion", "Estimated completion date the agency gave, YYYY-MM-DD.", type="date"),
        *_FILED_FIELDS,
        # From the tracker (`foia track followup`): its deadlines, not a count from the filing date.
        Field("determination", "The determination clock as the tracker computed it ({\"open\": False}: none to "
              "describe).", type="dict", cli=False),
        Field("expedite_decision", "The open expedite decision clock (due date).", type="dict", cli=False),
        Field("pending_appeal", "The appeal awaiting a decision: the letter asks about it instead.", type="dict",
              cli=False),
        Field("side_appeal", "An appeal of a fee-waiver or expedite denial awaiting its decision while the "
              "determination is overdue: the letter asks about the determination and names the appeal.",
              type="dict", cli=False),
    )),
    LetterKind("appeal", "Freedom of Information Act Appeal of an adverse determination.", "appeal.j2", (
        _TRACKING_FIELD,
        Field("request_date", "Date you filed the request, YYYY-MM-DD.", type="date"),
        Field("request_subject", "Short description of the request."),
        Field("determination_date", "Date of the adverse determination appealed, YYYY-MM-DD.", type="date"),
        Field("grounds", "Ground(s): " + ", ".join(APPEAL_GROUNDS) + ".", type="list", required=True,
              choices=APPEAL_GROUNDS, split=True),
        Field("exemptions", "An exemption cited, e.g. (b)(6) or (b)(7)(C) (repeatable).", type="list", split=True,
              flag="--exemption", alias="--exemptions"),
        Field("details", "Your argument in your own words."),
        Field("appeal_deadline", "Last day to appeal, YYYY-MM-DD (default: computed from the office's rule).",
              type="date"),
        Field("fee_waiver_denial_date", "Date the fee waiver was denied, YYYY-MM-DD (with fee-waiver-denied and "
              "another ground).", type="date"),
        Field("expedite_denial_date", "Date expedited processing was denied, YYYY-MM-DD (with expedite-denied and "
              "another ground).", type="date"),
        *_FILED_FIELDS,
        Field("determination", "The determination clock as the tracker computed it (no-response).", type="dict",
              cli=False),
    )),
    LetterKind("mediation", "Request for OGIS dispute resolution (5 U.S.C. 552(h)).", "mediation.j2", (
        Field("tracking_number", "The agency's tracking number.", required=True),
        Field("request_date", "Date you filed the request, YYYY-MM-DD.", type="date"),
        Field("request_subject", "Short description of the request."),
        Field("dispute", "What the dispute is about.", required=True),
    )),
    LetterKind("amendment", "Privacy Act request to amend a record about you (5 U.S.C. 552a(d)(2)).",
               "amendment.j2", (
        Field("full_name", "Your full name.", required=True, profile="name"),
        Field("address", "Your current address.", required=True, profile="address"),
        *_person_fields("", True),
        Field("outside_us", "You sign outside the United States (28 U.S.C. 1746 wording).", type="bool"),
        Field("system", "System id from the directory holding the record (foia systems list)."),
        Field("record", "The record to amend: what it is and where it is (file, document, entry).", required=True,
              pii=True),
        Field("correction", "What is wrong in it, what it should say, and why.", required=True, pii=True),
    )),
    LetterKind("amendment-appeal", "Privacy Act appeal of a refusal to amend a record (5 U.S.C. 552a(d)(3)).",
               "amendment-appeal.j2", (
        Field("full_name", "Your full name.", required=True, profile="name"),
        Field("address", "Your current address.", required=True, profile="address"),
        *_person_fields("", True),
        Field("outside_us", "You sign outside the United States (28 U.S.C. 1746 wording).", type="bool"),
        Field("request_date", "Date of your amendment request, YYYY-MM-DD.", type="date", required=True),
        Field("refusal_date", "Date of the refusal, YYYY-MM-DD.", type="date", required=True),
        Field("record", "The record you asked to amend.", required=True, pii=True),
        Field("correction", "Why the refusal is wrong: what the record should say, and why.", required=True,
              pii=True),
    )),
)}

# Every option name -> how to supply it, for messages about missing template fields.
_HINTS: dict[str, str] = {}
for _k in KINDS.values():
    for _f in _k.all_fields:
        _HINTS.setdefault(_f.name, _f.source_hint())
        if _f.name.startswith("requester_"):
            _HINTS.setdefault("requester." + _f.name[len("requester_"):], _f.source_hint())

# ---------------------------------------------------------------------------------------------
# Option values


_US = {"united states", "united states of america", "usa", "u.s.", "u.s.a.", "us", "u.s. citizen"}


def normalize_exemption(text: str) -> str:
    """``b6``, ``(b)(6)``, ``b7c`` -> ``(b)(6)``, ``(b)(7)(C)`` (5 U.S.C. 552(b))."""
    from foia.exemptions import canonical

    key = canonical(text)
    if key is None:
        raise UsageError(f"--exemption: {text!r} is not an exemption; write it like (b)(5), (b)(6) or (b)(7)(C)")
    return key


def _parse_date(f: Field, value: Any) -> date:
    # Not foia.deadlines.parse_date: that one echoes the value, and a date of birth must not be.
    if isinstance(value, date):
        return value
    text = str(value).strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return date.fromisoformat(text)
    except ValueError:
        pass
    shown = "the value given" if f.pii else repr(text)
    raise UsageError(f"{f.option}: {shown} is not a date; use YYYY-MM-DD, e.g. 2026-01-31")


def _convert(f: Field, value: Any) -> Any:
    """One option value, checked and converted; None means not given."""
    if f.type == "bool":
        return bool(value)
    if value is None:
        return None
    if f.type == "dict":
        if not isinstance(value, dict):
            raise UsageError(f"{f.name}: expected a mapping of award details")
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
                    raise UsageError(f"{f.option}: {item!r} is not one of {', '.join(f.choices)}")
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
            raise UsageError(f"{f.option}: {value!r} is not an amount; give dollars like 50 or 125.50") from None
        return amount
    text = str(value).replace("\r\n", "\n").strip()
    if f.type == "choice":
        text = text.lower()
        if text and text not in f.choices:
            raise UsageError(f"{f.option}: {text!r} is not one of {', '.join(f.choices)}")
    return text or None


def _normalize(kind: LetterKind, options: dict) -> dict:
    known = {f.name: f for f in kind.all_fields}
    out: dict[str, Any] = {f.name: False for f in kind.all_fields if f.type == "bool"}
    for key, value in (options or {}).items():
        if key not in known:
            raise UsageError(f"--{key.replace('_', '-')} does not apply to {kind.name} letters; "
                             f"see `foia letters kinds`")
        converted = _convert(known[key], value)
        if converted is not None:
            out[key] = converted
    return out


def _missing(kind: LetterKind, name: str, what: str | None = None) -> FoiaError:
    f = kind.field(name)
    return UsageError(f"{kind.name} letter needs {what or name.replace('_', ' ')}: {f.source_hint()}")


# ---------------------------------------------------------------------------------------------
# Context helpers


class Section(dict):
    """A dict whose missing keys the template error names as ``prefix.key``."""

    def __init__(self, prefix: str, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.prefix = prefix


def _compact(prefix: str, values: dict) -> Section:
    return Section(prefix, {k: v for k, v in values.items() if v not in (None, "", [], ())})


def _labels(d: "Directory", sources, *, for_letter: bool = False) -> str:
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
    if amount is None or amount == "":
        return ""
    amount = Decimal(str(amount))
    cents = amount != amount.to_integral_value()
    return f"${amount:,.2f}" if cents else f"${int(amount):,}"


def long_date(value: date | str) -> str:
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


class _Warnings(list):
    def add(self, text: str) -> None:
        if text not in self:
            self.append(text)


def _pick_contact(d: "Directory", office: "Agency", purpose: str, type_: str, warnings: _Warnings,
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
                     f"{_labels(d, c.sources)}), {put}; confirm it before you send")
        return c
    if contacts:
        values = " or ".join(c.value for c in contacts)
        warnings.add(f"unverified: {office.abbreviation} {type_} conflict: {values} (source: "
                     f"{_labels(d, contacts[0].sources)}); none was {put}: confirm which is current")
    return None


def _office_context(d: "Directory", office: "Agency", purpose: str, warnings: _Warnings) -> Section:
    reg, _ = d.inherited(office, "regulation")
    how = d.how_to_file(office)
    mail = _pick_contact(d, office, purpose, "mail", warnings, put="put in the addressee block")
    if reg is not None and not reg.verified:
        warnings.add(f"unverified: {office.abbreviation} regulation {reg.cite} (source: {_labels(d, reg.sources)})")
    filing = how["filing"]
    if filing is not None and how["portal_only"] and not filing.verified:
        warnings.add(f"unverified: {office.abbreviation} online-only filing since {filing.portal_only_since} "
                     f"(source: {_labels(d, filing.sources)})")
    dhs = bool(reg and reg.cite.startswith("6 CFR"))
    return _compact("office", {
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


def _system_context(d: "Directory", system, warnings: _Warnings, agency: "Agency | None" = None) -> Section:
    for kind, items in (("PIA", system.pias), ("SORN", system.sorns)):
        for i in items:
            if not i.verified:
                warnings.add(f"unverified: {kind} {i.id} for {system.abbreviation} (source: "
                             f"{_labels(d, i.sources)}); the letter says you understand it to apply: "
                             "confirm it before you send")
    if not system.verified:
        warnings.add(f"unverified: {system.abbreviation} is known to the directory only from "
                     f"{_labels(d, [s for f in system.description for s in f.sources])}; the letter says "
                     "you understand it to be a system of the office: confirm it before you send")
    pias, pias_understood = _notices(system.pias)
    sorns, sorns_understood = _notices(system.sorns)
    holders = [d.agencies[a] for a in ((system.directorate,) if system.directorate else system.agencies)
               if a in d.agencies]
    ctx = _compact("system", {
        "id": system.id, "name": system.name, "abbreviation": system.abbreviation,
        "label": system.name if system.abbreviation in system.name else f"{system.name} ({system.abbreviation})",
        "categories": list(system.record_categories),
        "verified": system.verified,
        # Whose system it is, as the directory says: a letter to another office asks for that
        # office's copies of its records and for its access to it.
        "holder": join_and(f"{h.name} ({h.abbreviation}) of {with_article(d.agencies[h.parent].name)}"
                           if h.kind == "directorate" and h.parent in d.agencies else with_article(h.name)
                           for h in holders),
        "held_here": agency is None or _holds(d, system, agency),
    })
    ctx.update(pias=pias, pias_understood=pias_understood, sorns=sorns, sorns_understood=sorns_understood)
    return ctx


def _holds(d: "Directory", system, agency: "Agency") -> bool:
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


def _systems_for_person(d: "Directory", about: "Agency", chosen: list[str] | None, warnings: _Warnings,
                        *, first_person: bool) -> list[Section]:
    if chosen:
        systems = [d.system(s) for s in chosen]
        for s in systems:
            if not _holds(d, s, about):
                warnings.add(f"note: the directory does not list {about.abbreviation} as holding "
                             f"{s.abbreviation}; it is searched only if {about.abbreviation} holds it")
    else:
        systems = [d.systems[s] for s in FIRST_PARTY_SYSTEMS if s in d.systems
                   and (_holds(d, d.systems[s], about) or _department_wide(d, d.systems[s], about))]
        if about.kind == "directorate":
            systems = [s for s in systems if s.directorate == about.id or about.id in s.agencies
                       or _department_wide(d, s, about)]
        if not [s for s in systems if _holds(d, s, about)]:
            systems = [s for s in d.systems_for_agency(about.id)] + [s for s in systems if not _holds(d, s, about)]
    out = []
    for s in systems:
        ctx = _system_context(d, s, warnings, about)
        ctx["personal"] = _personal_categories(s, first_person=first_person)
        out.append(ctx)
    return out


# Commercial data services the directory knows ICE queried: a first-party letter to an office
# that holds one of their contracts asks for the queries run on the person in them, naming the
# products as the directory names them (Thomson Reuters CLEAR; LexisNexis, which replaced CLEAR
# at ICE in 2021) and no further.
DATA_BROKERS = ("thomson-reuters", "lexisnexis")


def _data_brokers(d: "Directory", about: "Agency") -> list[str]:
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


def _is_us(country: str | None) -> bool:
    return bool(country) and country.strip().lower().rstrip(".") in {c.rstrip(".") for c in _US}


# ---------------------------------------------------------------------------------------------
# Per-kind context


def _ctx_records(d, o, ctx, w, kind):
    system = d.system(o["system"]) if o.get("system") else None
    vendor = d.vendor(o["vendor"]) if o.get("vendor") else None
    if not (o.get("subject") or system or vendor):
        raise UsageError("records letter needs what records: pass --subject, --system or --vendor")
    about = ctx["about"]
    agency = d.agencies[about["id"]]
    office_name = ctx["office"]["agency"]
    if system:
        ctx["system"] = _system_context(d, system, w, agency)
        if not _holds(d, system, agency):
            w.add(f"note: the directory does not list {about['abbreviation']} as holding {system.abbreviation} "
                  f"(held by {', '.join(system.agencies)}); the letter asks {about['abbreviation']} for its copies "
                  "of the system's records and its access to the system; check --to")
    if vendor:
        contracts = [c for c in d.contracts_for_vendor(vendor.id)
                     if d.filing_office(d.agencies[c.agency]).id == ctx["office"]["id"]]
        ctx["vendor"] = _compact("vendor", {
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
        raise UsageError("--date-from is after --date-to; give the earlier date first")
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
        raise _missing(kind, "requester_address", "your postal address for paper copies")


def _unnamed(d, sources) -> bool:
    """Whether every source is one the fact sheet leaves unnamed ("Other outlets")."""
    titles = [d.sources[s].title for s in sources if s in d.sources and s != "fact-sheet"]
    return bool(titles) and all("unnamed" in t.lower() for t in titles)


def _check_award_number(d, contract, w: _Warnings) -> None:
    """An award number the letter names is unverified unless a verified claim gives it."""
    number = contract.award_number
    if number and not any(c.verified and c.award_number == number for c in contract.claims):
        w.add(f"unverified: award number {number} ({contract.title}) named in the letter (source: "
              f"{_labels(d, [s for c in contract.claims for s in c.sources])}); check it on USAspending")


CONTRACT_CATEGORIES = (
    "the award document (contract, task order or delivery order) with its attachments, and every modification",
    "the statement of work or performance work statement",
    "invoices and records of payments",
    "deliverables, including reports, design documents and acceptance records",
    "any justification for other than full and open competition",
    "communications between {agency} and {vendor} about the award",
    "Privacy Impact Assessments and data-sharing agreements for the work under the award",
)


def _ctx_contract(d, o, ctx, w, kind):
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
                      f"({_labels(d, c.sources)}) is not named")
                continue
            claims.append(Section("claim", {"text": c.text, "source": _labels(d, c.sources, for_letter=True),
                                            "verified": c.verified}))
            if not c.verified:
                w.add(f"unverified: claim about {contract.id} \"{c.text}\" (source: {_labels(d, c.sources)}); "
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
    ctx["award"] = _compact("award", {
        "number": number, "parent": parent, "title": title, "vendors": vendor_text,
        "claims": claims,
    })
    if detail:
        mods = detail.get("modifications")
        if isinstance(mods, (list, tuple)):
            mods = len(mods)
        ctx["award_detail"] = _compact("award_detail", {
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
    values = {name: o.get(prefix + name) for name, _, _ in _PERSON}
    values["full_name"] = o.get(prefix + "full_name")
    # Lines as address_lines reads them (a typed "\n" included), so the identity block joins them.
    values["address"] = "\n".join(address_lines(o.get(prefix + "address"))) or None
    values["outside_us"] = bool(o.get(prefix + "outside_us"))
    values["us_citizen"] = _is_us(values.get("citizenship"))
    return _compact(ctx_prefix, values)


def _subject_fields(o, ctx, kind) -> None:
    """The person whose records a first-party letter concerns: their name and address default to
    the requester's; the identity fields the letter needs must all be given."""
    req = ctx["requester"]
    for name, key in (("full_name", "name"), ("address", "address")):
        if not o.get(name) and req.get(key):
            o[name] = req[key]
    for name in ("full_name", "address", "date_of_birth", "place_of_birth", "citizenship"):
        if not o.get(name):
            raise _missing(kind, name)


def _ctx_self(d, o, ctx, w, kind):
    _subject_fields(o, ctx, kind)
    person = _person(o, "", "person")
    ctx["person"] = person
    _first_party(d, o, ctx, w, person, first_person=True)


def _ctx_third_party(d, o, ctx, w, kind):
    if not o.get("subject_deceased"):
        for name in ("subject_address", "subject_date_of_birth", "subject_place_of_birth", "subject_citizenship"):
            if not o.get(name):
                raise UsageError(f"third-party letter needs the subject's {name[8:].replace('_', ' ')} "
                                 f"(6 CFR 5.21(g) asks for the subject's verified identity): pass "
                                 f"--{name.replace('_', '-')}, or --subject-deceased with proof of death")
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
    ctx["systems"] = _systems_for_person(d, about, o.get("systems"), w, first_person=first_person)
    # A non-citizen may have no Privacy Act right of access (552a(a)(2)); asking under FOIA as
    # well loses nothing (fact sheet). The Judicial Redress Act covers citizens of countries the
    # Attorney General designates only (Pub. L. 114-126): claimed only when the user says so.
    ctx["non_citizen"] = not person["us_citizen"]
    ctx["judicial_redress"] = bool(o.get("judicial_redress"))
    option = "--judicial-redress"
    if ctx["judicial_redress"] and person["us_citizen"]:
        w.add(f"note: {option} given for a U.S. citizen, who has Privacy Act rights (5 U.S.C. 552a(a)(2)); the "
              "letter claims the Judicial Redress Act as asked")
    elif ctx["non_citizen"] and not ctx["judicial_redress"]:
        w.add(f"note: the Judicial Redress Act covers only citizens of countries the Attorney General designates "
              f"(Pub. L. 114-126); the letter does not claim it: pass {option} if it applies")
    ctx["data_brokers"] = _data_brokers(d, about)
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


def _deadlines():
    try:
        from foia import deadlines
    except ImportError:  # pragma: no cover - the deadline engine ships with foia
        return None
    return deadlines


def _calendar(d):
    dl = _deadlines()
    return dl.default_calendar(d.closures) if dl else None


def _as_date(value) -> date | None:
    """A date from the tracker's values (ISO text or a date); None stays None."""
    if value in (None, ""):
        return None
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _request_ref(o, ctx, kind):
    """What identifies the request in a follow-up or an appeal: its tracking number (the
    office's own), else, when the office never gave one, the filing date, subject and how it
    was sent."""
    for k in ("tracking_number", "request_date", "request_subject", "sent_via", "sent_to"):
        if o.get(k):
            ctx[k] = o[k]
    ctx["other_numbers"] = [n for n in o.get("other_numbers") or [] if n != o.get("tracking_number")]
    ctx["privacy_act"] = bool(o.get("privacy_act"))
    if not o.get("tracking_number") and not o.get("request_date"):
        raise UsageError(f"{kind.name} letter needs the request's tracking number (--tracking-number) or, when the "
                         "office gave none, the date you filed it (--request-date)")
    if o.get("request_date") and o["request_date"] > ctx["letter_date"]:
        raise UsageError("--request-date is after the letter date; give the date you filed the request")


_TOLLED_ABOUT = {
    # status: (what the agency asked, the clause of 5 U.S.C. 552(a)(6)(A)(ii) that stops the clock)
    "awaiting-clarification": ("for clarification", "I"),
    "awaiting-fees": ("to clarify the fees", "II"),
}


def _determination_context(d, o, ctx, w, today) -> Section | None:
    """The determination clock: the tracker's (receipt, misdirected first receipt, stops while
    the office awaited the requester, extension notice), else counted from the filing date."""
    given = o.get("determination")
    if given is not None and given.get("open") is False:
        return None  # the tracker says the office has answered (or the clock ended otherwise)
    if given is None:
        agency = d.agencies[ctx["office"]["id"]]
        rules = d.clock_rules(agency)
        dl = _deadlines()
        if not o.get("request_date") or rules is None or dl is None:
            return None
        given = {"due": dl.determination_due(o["request_date"], rules=rules, calendar=_calendar(d)).due,
                 "start": o["request_date"], "filed": o["request_date"]}
    due, start = _as_date(given.get("due")), _as_date(given.get("start"))
    filed = _as_date(given.get("filed")) or o.get("request_date")
    received = _as_date(given.get("received"))
    received = received if received and received != filed else None
    first = _as_date(given.get("first_received"))
    if first and start != (received or filed):
        counted_from = "date"  # the misdirected limit started the count before receipt
    elif received and start == received:
        counted_from = "receipt"
    elif start == filed:
        counted_from = "filing"
    else:
        counted_from = "date"
    tolled = []
    for t in given.get("tolled") or ():
        about, clause = _TOLLED_ABOUT.get(t.get("status"), _TOLLED_ABOUT["awaiting-clarification"])
        tolled.append(Section("tolled", {"about": about, "clause": clause, "from": _as_date(t["from"]),
                                         "to": _as_date(t.get("to"))}))
    # A later request for clarification did not stop the time (one may, 552(a)(6)(A)(ii)(I)).
    not_tolled = [Section("not_tolled", {"from": _as_date(t["from"]), "to": _as_date(t.get("to"))})
                  for t in given.get("not_tolled") or ()]
    if due is None:
        w.add("note: the office is awaiting your answer, so the determination clock is stopped "
              "(5 U.S.C. 552(a)(6)(A)(ii)); it runs again once you answer")
    return Section("determination", {
        "due": due, "start": start, "received": received, "first_received": first if counted_from == "date" else None,
        "counted_from": counted_from, "tolled": tolled, "not_tolled": not_tolled,
        "extension_notice": _as_date(given.get("extension_notice")),
        "stopped": due is None, "passed": bool(due and due < today), "due_today": due == today,
    })


_SIDE_DENIED = {"fee-waiver-denial": "a fee waiver", "expedite-denial": "expedited processing"}


def _appeal_section(name: str, given: dict, today: date) -> Section:
    """An appeal awaiting its decision; ``denied``: what a side appeal is of ("my request for a
    fee waiver"), else None."""
    due = _as_date(given.get("due"))
    asked = [_SIDE_DENIED[a] for a in given.get("of") or () if a in _SIDE_DENIED]
    denied = None
    if asked:
        denied = ("the denial of my request for " if len(asked) == 1 else "the denials of my requests for ") + \
            " and for ".join(asked)
    return Section(name, {
        "tracking_number": given.get("tracking_number"), "date": _as_date(given.get("date")),
        "received": _as_date(given.get("received")), "denied": denied,
        "extension_notice": _as_date(given.get("extension_notice")),
        "due": due, "passed": bool(due and due < today), "due_today": due == today,
    })


def _ctx_follow_up(d, o, ctx, w, kind, today):
    _request_ref(o, ctx, kind)
    pending = o.get("pending_appeal")
    if pending:
        ctx["pending_appeal"] = _appeal_section("pending_appeal", pending, today)
        _appeal_route(d, d.agencies[ctx["office"]["id"]], w)
    else:
        det = _determination_context(d, o, ctx, w, today)
        if det is not None:
            ctx["determination"] = det
        if o.get("side_appeal"):
            ctx["side_appeal"] = _appeal_section("side_appeal", o["side_appeal"], today)
        exp = o.get("expedite_decision")
        if exp and _as_date(exp.get("due")):
            due = _as_date(exp["due"])
            ctx["expedite_decision"] = Section("expedite_decision", {
                "due": due, "passed": due < today, "due_today": due == today})
    if o.get("estimated_completion"):
        ctx["estimated_completion"] = o["estimated_completion"]
        ctx["estimate_passed"] = o["estimated_completion"] < today


def _appeal_route(d, agency, w) -> None:
    """Where appeals go, as the directory says (and whether that is confirmed)."""
    appeal, _ = d.inherited(agency, "appeal")
    if appeal is not None:
        w.add(("note: " if appeal.verified else "unverified: ") + "appeal route: " + " ".join(appeal.route.split()))
    else:
        w.add(f"note: the directory gives no appeal route for {agency.abbreviation}; find where its appeals "
              "go before you send this")
    for n in agency.notes:
        if "appeal" in n.text.lower() and not n.verified:
            w.add("unverified: " + n.text)


def _ctx_appeal(d, o, ctx, w, kind, today):
    _request_ref(o, ctx, kind)
    if o.get("details"):
        ctx["details"] = o["details"]
    grounds = o["grounds"]
    ctx["grounds"] = grounds
    ctx["timely"] = False
    agency = d.agencies[ctx["office"]["id"]]
    rules = d.clock_rules(agency)
    dl = _deadlines()
    # The determination appealed is the office's answer to the request; a fee-waiver or an
    # expedite denial is a decision of its own, with its own date, named in its paragraph. Only
    # when nothing else is appealed is such a denial the determination appealed.
    answer_grounds = [g for g in grounds if g not in ("fee-waiver-denied", "expedite-denied", "no-response")]
    denials = {g: o.get(f) for g, f in (("fee-waiver-denied", "fee_waiver_denial_date"),
                                       ("expedite-denied", "expedite_denial_date")) if g in grounds}
    det = o.get("determination_date")
    if det is None and not answer_grounds and "no-response" not in grounds:
        given = [v for v in denials.values() if v]
        det = max(given) if given else None
    if det is None and (answer_grounds or (denials and "no-response" not in grounds)):
        raise _missing(kind, "determination_date", "the date of the adverse determination")
    if not answer_grounds:
        denials = {g: v or det for g, v in denials.items()}
    side_windows: list[Section] = []
    ctx["side_windows"] = side_windows
    # The appeal of an expedite denial is owed "expeditious consideration" (552(a)(6)(E)(ii)(II)).
    ctx["expeditious"] = "expedite-denied" in grounds
    ctx["others"] = [g for g in grounds if g != "expedite-denied"]
    ctx["timely_what"] = "the determination" if answer_grounds or "fee-waiver-denied" in denials else \
        "the denial of expedited processing"
    for g, on in denials.items():
        what = "fee waiver denial" if g == "fee-waiver-denied" else "expedite denial"
        if on is None:
            option = kind.field("fee_waiver_denial_date" if g == "fee-waiver-denied" else "expedite_denial_date").option
            w.add(f"note: the letter gives no date for the {what}; pass {option}")
            continue
        if on > today:
            raise UsageError(f"the {what} date {on.isoformat()} is after the letter date; give the date on the "
                             "decision")
        ctx["fee_waiver_denial_date" if g == "fee-waiver-denied" else "expedite_denial_date"] = on
        if on != det and rules is not None and dl is not None:
            # Each decision's window runs from its own date: the letter states each one, so an
            # earlier expedite denial is not said to be timely by the determination's later window.
            due = dl.appeal_deadline(on, rules=rules, calendar=_calendar(d)).due
            if due < today:
                w.add(f"late: the appeal window for the {what} of {on.isoformat()} "
                      f"({ctx['clock']['appeal_window']}) ended on {due.isoformat()}")
            else:
                side_windows.append(Section("window", {
                    "what": "the denial of expedited processing" if g == "expedite-denied" else
                            "the denial of the fee waiver", "on": on, "due": due}))
    exemptions = [normalize_exemption(e) for e in o.get("exemptions") or []]
    if exemptions:
        ctx["exemptions"] = list(dict.fromkeys(exemptions))
        if {"withholding", "partial-withholding"} & set(grounds):
            from foia import exemptions as _ex  # what the appeal asks about each (issue 14, item 16)

            ctx["exemption_args"] = _ex.arguments(ctx["exemptions"])
            w.add(_ex.warning(ctx["exemptions"]))
    elif {"withholding", "partial-withholding"} & set(grounds):
        w.add(f"note: name each exemption the agency cited ({kind.field('exemptions').option} \"(b)(6)\", "
              "repeated for each) so the appeal answers each")
    if det is not None:
        if det > today:
            raise UsageError("--determination-date is after the letter date; give the date on the determination")
        ctx["determination_date"] = det
        due = o.get("appeal_deadline")
        if due is None and rules is not None and dl is not None:
            due = dl.appeal_deadline(det, rules=rules, calendar=_calendar(d)).due
        if due is not None:
            ctx["appeal_deadline"] = due
            if due < today:
                w.add(f"late: the appeal window ({ctx['clock']['appeal_window']}) ended on {due.isoformat()}; "
                      "the letter does not claim the appeal is timely")
            ctx["timely"] = due >= today
    if "no-response" in grounds:
        silence = _determination_context(d, o, ctx, w, today)
        if silence is not None:
            if silence["stopped"]:
                raise UsageError("a no-response appeal needs an overdue determination (5 U.S.C. 552(a)(6)(C)(i)), "
                                 "and the clock is stopped while the office awaits your answer; answer it instead")
            if not silence["passed"]:
                raise UsageError(f"a no-response appeal needs an overdue determination (5 U.S.C. 552(a)(6)(C)(i)), "
                                 f"and it is not due until {silence['due'].isoformat()}; until then write a "
                                 "status inquiry (a follow-up letter)")
            ctx["determination"] = silence
    if "expedite-denied" in grounds and ctx["office"].get("dhs"):
        w.add("note: a denial of expedited processing may also be taken to court directly (6 CFR 5.8(e))")
    if ctx["privacy_act"]:
        for a in d.lineage(agency):
            for n in a.notes:
                if "privacy act appeal" in n.text.lower() and not n.verified:
                    w.add("unverified: " + " ".join(n.text.split()) + " The letter does not cite it.")
    _appeal_route(d, agency, w)


def _ctx_mediation(d, o, ctx, w, kind, today):
    ctx.update({k: o[k] for k in ("tracking_number", "request_date", "request_subject", "dispute") if k in o})


# ---------------------------------------------------------------------------------------------
# Templates


@lru_cache(maxsize=1)  # the package does not move while foia runs
def packaged_templates_dir() -> Path:
    """templates/ inside the installed package (foia/_data/templates), else at the repository root."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "_data" / "templates", here.parent / "templates"):
        if (candidate / "records.j2").is_file():
            return candidate
    raise FoiaError("letter templates not found next to the foia package; reinstall foia")


def user_templates_dir() -> Path:
    """Your template overrides: ``FOIA_TEMPLATES``, else ``<config dir>/templates``."""
    env = os.environ.get("FOIA_TEMPLATES")
    if env:
        return Path(env).expanduser()
    from foia.paths import config_dir

    return config_dir() / "templates"


def _user_overrides(user: Path) -> tuple[str, ...]:
    try:
        return tuple(sorted(p.relative_to(user).as_posix() for p in user.rglob("*.j2") if p.is_file()))
    except OSError:
        return ()


class _MissingField(jinja2.UndefinedError):
    pass


class _LetterUndefined(jinja2.StrictUndefined):
    """StrictUndefined whose error names the field and the option or profile key for it."""

    __slots__ = ()

    @property
    def _undefined_message(self) -> str:
        name = self._undefined_name
        obj = self._undefined_obj
        prefix = getattr(obj, "prefix", None) if obj is not jinja2.utils.missing else None
        key = f"{prefix}.{name}" if prefix else str(name)
        hint = _HINTS.get(key) or _HINTS.get(str(name) if not prefix else key)
        if hint:
            return f"field {key!r} is missing: {hint}"
        return f"field {key!r} is not known to letters; see `foia letters kinds` for the fields"


def _finalize(value: Any) -> str:
    """Every printed value: dates in long form, and ESC before each line so a value is always
    plain text to the markup parser."""
    if value is None:
        return ""
    if isinstance(value, date):
        value = long_date(value)
    # Control characters mean nothing in a letter, and XML (DOCX) cannot hold them.
    text = XML_UNSAFE.sub("", str(value).replace(ESC, "").replace("\r\n", "\n").replace("\r", "\n"))
    return ESC + text.replace("\n", "\n" + ESC)


def _given(value: Any) -> bool:
    """``x is given``: defined, and neither None, False nor empty."""
    if isinstance(value, jinja2.Undefined):
        return False
    return bool(value)


def capfirst(value: Any) -> str:
    """The first letter upper-cased, the rest as it is ("the ICE FOIA Office" -> "The ICE FOIA Office")."""
    text = str(value)
    return text[:1].upper() + text[1:]


def sentence(value: Any) -> str:
    """Text from the profile as a sentence: a final period added when it has no end mark, so
    two profile statements do not run together."""
    text = str(value).strip()
    return text if not text or text.rstrip("\"')\u201d\u2019")[-1:] in (".", "!", "?") else text + "."


def _configure(env: jinja2.Environment) -> jinja2.Environment:
    env.filters.update(longdate=long_date, money=money, join_and=join_and, capfirst=capfirst, sentence=sentence)
    env.tests["given"] = _given
    return env


# Limits on user templates (a clinic's shared template folder must not freeze every
# colleague's `draft`): the largest text, list or width a template may build in one step
# ('x' * N, center(N), indent(N), a str method given N), the most items range() may give in
# one render, the largest power, and the longest render. A packaged template is far below all.
TEMPLATE_MAX_SIZE = 1_000_000
TEMPLATE_MAX_RANGE_ITEMS = 1_000_000
TEMPLATE_MAX_EXPONENT = 64
TEMPLATE_MAX_SECONDS = 10


class _TemplateLimit(Exception):
    """A user template went past one of the limits above; the message says which."""


def _size_ok(n: int, what: str) -> None:
    if n > TEMPLATE_MAX_SIZE:
        raise _TemplateLimit(f"{what} of {n:,} characters or items is past the limit of {TEMPLATE_MAX_SIZE:,}")


_WIDE = re.compile(r"[0-9]{7,}")
# str methods that build a text as wide as a number they are given.
_WIDENING = {"center", "ljust", "rjust", "zfill", "expandtabs"}


def _format_ok(text: Any) -> None:
    """A format string ("%10000000000s", "{:10000000000}") asks for no width past the limit."""
    if isinstance(text, str):
        for digits in _WIDE.findall(text):
            _size_ok(int(digits[:12]), "a formatted width")


class _LimitedSandbox(SandboxedEnvironment):
    """The sandbox with the resource limits above (the sandbox alone bounds only range())."""

    intercepted_binops = frozenset(["*", "**", "%", "+"])

    def wrap_str_format(self, value):
        # "{:>10000000000}".format(x): the format string is checked when the method is taken.
        wrapped = super().wrap_str_format(value)
        if wrapped is not None:
            _format_ok(value.__self__)
        return wrapped

    def call_binop(self, context, operator, left, right):
        if operator == "%":
            _format_ok(left)
        elif operator == "+" and isinstance(left, (str, list, tuple)) and isinstance(right, type(left)):
            _size_ok(len(left) + len(right), "a joined text or list")
        elif operator == "*":
            for seq, n in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and isinstance(n, int):
                    _size_ok(len(seq) * max(n, 0), "a repetition")
        elif operator == "**" and isinstance(right, (int, float)) and right > TEMPLATE_MAX_EXPONENT:
            raise _TemplateLimit(f"a power of {right} is past the limit of {TEMPLATE_MAX_EXPONENT}")
        return super().call_binop(context, operator, left, right)

    def call(__self, __context, __obj, *args, **kwargs):  # noqa: N805 - Jinja's own signature
        name = getattr(__obj, "__name__", "")
        if isinstance(getattr(__obj, "__self__", None), str):
            if name in _WIDENING:
                for value in (*args, *kwargs.values()):
                    if isinstance(value, int) and not isinstance(value, bool):
                        _size_ok(abs(value), f"a width given to {name}")
        return super().call(__context, __obj, *args, **kwargs)


def _limited_filter(name: str, original):
    """A filter whose width arguments are checked first (center(3000000000), indent(10**10))."""

    def checked(*args, **kwargs):
        if name == "format":
            _format_ok(args[0] if args else None)
            return original(*args, **kwargs)
        for value in (*args[1:], *kwargs.values()):
            if isinstance(value, int) and not isinstance(value, bool):
                _size_ok(abs(value), f"a width given to {name}")
        return original(*args, **kwargs)

    checked.__name__ = name
    for attr in ("jinja_pass_arg",):
        if hasattr(original, attr):
            setattr(checked, attr, getattr(original, attr))
    return checked


_RANGE_BUDGET = __import__("threading").local()


def _counted_range(*args):
    """range() for user templates: at most TEMPLATE_MAX_RANGE_ITEMS items in one render, all
    loops together (nested range(100000) loops would otherwise run for hours)."""
    from jinja2.sandbox import safe_range

    for item in safe_range(*args):
        _RANGE_BUDGET.left = getattr(_RANGE_BUDGET, "left", TEMPLATE_MAX_RANGE_ITEMS) - 1
        if _RANGE_BUDGET.left < 0:
            raise _TemplateLimit(f"its loops went past {TEMPLATE_MAX_RANGE_ITEMS:,} range() items")
        yield item


@contextmanager
def _render_deadline(seconds: float):
    """Raise _TemplateLimit in the render after ``seconds`` (SIGALRM: only in the main thread,
    where the CLI renders; elsewhere the size and range limits still hold)."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def expired(signum, frame):
        raise _TemplateLimit(f"rendering took longer than {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@lru_cache(maxsize=8)
def _environment(packaged: str, user: str | None) -> jinja2.Environment:
    options = dict(undefined=_LetterUndefined, autoescape=False, trim_blocks=True, lstrip_blocks=True,
                   keep_trailing_newline=True, finalize=_finalize)
    if user is None:
        return _configure(jinja2.Environment(loader=jinja2.FileSystemLoader(packaged), **options))
    # User templates are data from outside the package: they run sandboxed (no access to
    # Python internals), and a user template of the same name wins over the packaged one.
    loader = jinja2.ChoiceLoader([jinja2.FileSystemLoader(user), jinja2.FileSystemLoader(packaged)])
    env = _configure(_LimitedSandbox(loader=loader, **options))
    for name in ("center", "indent", "wordwrap", "format", "slice"):
        env.filters[name] = _limited_filter(name, env.filters[name])
    env.globals["range"] = _counted_range
    return env


def _env_for_now() -> tuple[jinja2.Environment, Path | None]:
    user = user_templates_dir()
    overrides = _user_overrides(user) if user.is_dir() else ()
    packaged = packaged_templates_dir()
    if overrides:
        return _environment(str(packaged), str(user)), user
    return _environment(str(packaged), None), None


def template_source(kind: str) -> tuple[str, Path]:
    """The source of the template a kind renders with (your override if any) and its path."""
    k = _kind(kind)
    user = user_templates_dir()
    for base in (user, packaged_templates_dir()):
        path = base / k.template
        if path.is_file():
            return path.read_text(encoding="utf-8"), path
    raise FoiaError(f"template {k.template} not found; reinstall foia")  # pragma: no cover


def _template_frame(exc: BaseException) -> str | None:
    import traceback

    names = [f"{Path(fr.filename).name}:{fr.lineno}" for fr in traceback.extract_tb(exc.__traceback__)
             if fr.filename.endswith(".j2")]
    return names[-1] if names else None


def _render(kind: LetterKind, ctx: dict) -> str:
    from jinja2.sandbox import SecurityError

    env, user = _env_for_now()
    where = "your template" if user else "template"
    try:
        template = env.get_template(kind.template)
        if user is None:
            return template.render(ctx)
        _RANGE_BUDGET.left = TEMPLATE_MAX_RANGE_ITEMS
        size, parts = 0, []
        with _render_deadline(TEMPLATE_MAX_SECONDS):
            for part in template.generate(ctx):
                size += len(part)
                _size_ok(size, "a letter")
                parts.append(part)
        return "".join(parts)
    except _TemplateLimit as exc:
        frame = _template_frame(exc) or kind.template
        raise FoiaError(f"{where} {frame} was stopped: {exc}; make the template simpler (or remove it to use the "
                        "packaged one)") from None
    except jinja2.TemplateSyntaxError as exc:
        name = exc.name or kind.template
        raise FoiaError(f"{where} {name} line {exc.lineno}: {exc.message}; fix the template "
                        "(or remove it to use the packaged one)") from None
    except SecurityError as exc:
        frame = _template_frame(exc) or kind.template
        raise FoiaError(f"{where} {frame} was refused by the sandbox: {exc}; user templates may "
                        "only use the letter's fields") from None
    except jinja2.UndefinedError as exc:
        frame = _template_frame(exc) or kind.template
        raise FoiaError(f"{where} {frame}: {exc.message}") from None
    except jinja2.TemplateNotFound as exc:
        raise FoiaError(f"{where} {kind.template}: includes {exc.name!r}, which does not exist") from None
    except FoiaError:
        raise
    except Exception as exc:  # a user template can fail in any way Jinja can
        if user is None:
            raise
        frame = _template_frame(exc) or kind.template
        raise FoiaError(f"{where} {frame} failed: {type(exc).__name__}: {exc}") from None


# ---------------------------------------------------------------------------------------------
# Letters


@dataclass(frozen=True)
class Letter:
    kind: str
    office_id: str
    office_name: str
    subject: str  # the RE line
    text: str
    markdown: str
    to_email: str | None
    portal: str | None
    portal_only: bool
    warnings: tuple[str, ...]
    fields: dict  # the full render context
    blocks: tuple[Block, ...] = ()
    about_id: str = ""  # the agency the letter is about (HSI for --to HSI; ICE for mediation)
    date: date | None = None


def _kind(name: str) -> LetterKind:
    try:
        return KINDS[name]
    except KeyError:
        raise UsageError(f"no letter kind {name!r}; choose one of {', '.join(KINDS)}") from None


def _requester(kind: LetterKind, profile: "Profile | None", o: dict) -> Section:
    from foia.profile import FEE_CATEGORIES, merge, normalize_fee_category

    overrides = {f.name[len("requester_"):]: o.get(f.name) for f in REQUESTER_FIELDS if f.name.startswith("requester_")}
    overrides["fee_category"] = normalize_fee_category(overrides["fee_category"], what="--requester-fee-category")
    p = merge(profile, overrides)
    if not p.name:
        raise _missing(kind, "requester_name", "your name")
    if not (p.email or p.address):
        raise UsageError(f"{kind.name} letter needs a way to reach you: pass --requester-email or "
                         "--requester-address, or set email or address in your profile (foia profile edit)")
    values = p.to_dict()
    if p.fee_category:
        values["fee_category_label"] = FEE_CATEGORIES[p.fee_category]
    requester = _compact("requester", values)
    requester["address_lines"] = address_lines(p.address)  # always a list, maybe empty
    return requester


def _same_name(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def _self_signer(o: dict, profile: "Profile | None", w: _Warnings) -> "Profile | None":
    """A first-party letter is signed by the person whose records it asks for: the 28 U.S.C.
    1746 declaration above the signature is theirs. With --full-name, that person signs; a
    profile belonging to someone else lends only its email and phone (for the reply), not its
    name, title, organization or address. Returns the profile to sign with."""
    import dataclasses

    full = o.get("full_name")
    if not full:
        return profile  # the profile's own name is the person: they sign
    given = o.get("requester_name")
    if given and not _same_name(given, full):
        raise UsageError("--requester-name differs from --full-name: a first-party (self) letter is signed by "
                         "the person whose records it asks for; drop --requester-name (the letter is then "
                         "signed with --full-name), or write `foia draft third-party` for another person")
    o["requester_name"] = given or full
    if profile is None or not profile.name or _same_name(profile.name, full):
        return profile
    if not o.get("address"):
        raise UsageError("self letter needs the current address of the person in --full-name: pass --address "
                         "(your profile's address is your own)")
    o.setdefault("requester_address", o["address"])
    w.add("note: signed with --full-name, not your profile's name: a first-party letter is signed by the person "
          "whose records it asks for; your profile's title, organization and address are left out, its email "
          "and phone are kept for the reply (--requester-email, --requester-phone change them)")
    return dataclasses.replace(profile, name=None, title=None, organization=None, address=None)


def _fees(kind: LetterKind, o: dict, ctx: dict, w: _Warnings) -> None:
    """The optional request sections: fee category, fee limit, fee waiver, news media, expedite."""
    req = ctx["requester"]
    office = ctx["office"]
    privacy_act = kind.name in ("self", "third-party")
    if privacy_act:
        # The Privacy Act allows fees for copies only, not search or review (5 U.S.C. 552a(f)(5)):
        # a first- or third-party letter claims no FOIA fee category and concedes no search fee.
        if o.get("news_media"):
            raise UsageError(f"--news-media does not apply to {kind.name} letters: the Privacy Act allows fees "
                             "for copies only (5 U.S.C. 552a(f)(5)), so no fee category is claimed")
        if req.get("fee_category"):
            w.add(f"note: your fee category ({req['fee_category']}) is not claimed: under the Privacy Act the "
                  "letter asks for copying fees only (5 U.S.C. 552a(f)(5))")
            req.pop("fee_category", None)
            req.pop("fee_category_label", None)
    news = bool(o.get("news_media")) or req.get("fee_category") == "news-media"
    if o.get("news_media") and req.get("fee_category") not in (None, "news-media"):
        w.add(f"conflict: --news-media given but your fee category is {req['fee_category']}; "
              "the letter asks for news-media status")
    if news:
        req["fee_category"] = "news-media"
        from foia.profile import FEE_CATEGORIES

        req["fee_category_label"] = FEE_CATEGORIES["news-media"]
        if not req.get("publication_record"):
            raise _missing(kind, "requester_publication_record",
                           "your publication record to support news-media status")
    waiver = bool(o.get("fee_waiver"))
    if waiver:
        if not req.get("dissemination"):
            raise _missing(kind, "requester_dissemination",
                           "how you will share the records (for the fee waiver, 6 CFR 5.11(k))")
        if req.get("fee_category") == "commercial":
            w.add("conflict: a fee waiver needs disclosure not primarily in your commercial interest "
                  "(6 CFR 5.11(k)), but your fee category is commercial")
    grounds = o.get("expedite_grounds") or []
    statement = o.get("expedite_statement")
    expedite = bool(o.get("expedite") or grounds or statement)
    if expedite:
        if not grounds:
            raise _missing(kind, "expedite_grounds", "the expedite grounds (" + ", ".join(EXPEDITE_GROUNDS) + ")")
        if not statement:
            raise _missing(kind, "expedite_statement", "the facts for expedited processing")
        if not office.get("dhs"):
            regulation_only = [g for g in grounds if EXPEDITE_GROUNDS[g][0] is None]
            if regulation_only:
                raise UsageError(f"--expedite-grounds {', '.join(regulation_only)}: these grounds are in DHS's "
                                 f"6 CFR 5.5(e) and {office['abbreviation']} is not under it; use threat or urgency")
        if "urgency" in grounds and not req.get("publication_record"):
            w.add("note: the urgency ground is for a person primarily engaged in disseminating information; "
                  "add your publication record (--requester-publication-record)")
        if "media-interest" in grounds:
            w.add("note: DHS decides the media-interest ground through the Senior Director of FOIA Operations, "
                  "Privacy Office (6 CFR 5.5(e)); the letter asks for it to be forwarded there")
    # Plain values for callers that record the request (the tracker reads these keys).
    ctx["fee_category"] = req.get("fee_category")
    ctx["fee_waiver"] = waiver
    ctx["fee_limit"] = o.get("fee_limit")
    ctx["fees"] = _compact("fees", {
        "waiver": waiver, "news_media": news, "limit": money(o["fee_limit"]) if "fee_limit" in o else None,
        "privacy_act": privacy_act,
    })
    ctx["expedite"] = _compact("expedite", {
        "requested": expedite,
        "grounds": [Section("ground", {"code": g, "statute": EXPEDITE_GROUNDS[g][0],
                                       "regulation": EXPEDITE_GROUNDS[g][1]}) for g in grounds],
        "statement": statement,
    })


def _clock(d: "Directory", agency: "Agency") -> Section | None:
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


AMENDMENT_KINDS = ("amendment", "amendment-appeal")


def _ctx_amendment(d, o, ctx, w, kind):
    """A Privacy Act amendment (552a(d)(2): acknowledged within 10 working days, then corrected or
    refused promptly) or the appeal of a refusal (552a(d)(3): decided within 30 working days
    unless extended for good cause); the person whose record it is signs a 28 U.S.C. 1746
    declaration. Fact sheet, "Additions of 2026-12-03"."""
    _subject_fields(o, ctx, kind)
    ctx["person"] = _person(o, "", "person")
    ctx["record"], ctx["correction"] = o["record"], o["correction"]
    if o.get("system"):
        system = d.system(o["system"])
        ctx["system"] = _system_context(d, system, w, d.agencies[ctx["about"]["id"]])
    if kind.name == "amendment-appeal":
        if o["refusal_date"] < o["request_date"]:
            raise UsageError("--refusal-date is before --request-date; give the date of your request first")
        if o["refusal_date"] > ctx["letter_date"]:
            raise UsageError("--refusal-date is after the letter date; give the date on the refusal")
        ctx["request_date"], ctx["refusal_date"] = o["request_date"], o["refusal_date"]
        w.add("unverified: the directory gives no address for Privacy Act appeals (6 CFR 5.25 is not confirmed); "
              "find where the office takes them before you send this")
    elif not ctx["office"].get("address_lines"):
        w.add(f"note: the directory gives no address for amendments at {ctx['office']['abbreviation']}; "
              "find where the office takes them before you send this")
    w.add("note: sign the declaration by hand (or have the letter notarized) before you send it (28 U.S.C. 1746)")


_BUILDERS: dict[str, Callable] = {
    "records": _ctx_records, "contract": _ctx_contract, "self": _ctx_self, "third-party": _ctx_third_party,
    "amendment": _ctx_amendment, "amendment-appeal": _ctx_amendment,
}
_DATED_BUILDERS: dict[str, Callable] = {
    "follow-up": _ctx_follow_up, "appeal": _ctx_appeal, "mediation": _ctx_mediation,
}


def build_context(kind_name: str, *, directory: "Directory", office: str, profile: "Profile | None" = None,
                  options: dict | None = None, today: date | None = None) -> tuple[dict, list[str]]:
    """The render context for one letter and the warnings it produced."""
    kind = _kind(kind_name)
    d = directory
    today = today or date.today()
    o = _normalize(kind, options or {})
    for f in kind.fields:
        if f.required and not f.profile and f.name not in o:
            raise _missing(kind, f.name)
    w = _Warnings()
    about = d.agency(office)
    if not kind.applies_to(about):
        raise UsageError(f"{about.abbreviation} is not a FOIA office to write {kind.name} letters to; "
                         + ("--to names the agency in dispute, and the letter goes to OGIS"
                            if kind.name == "mediation" else "choose an agency (foia agencies list)"))
    filing = d.filing_office(about)
    if kind.name == "mediation":
        addressee_office = d.agency("ogis")
        purpose = "mediation"
    elif kind.name in AMENDMENT_KINDS:
        # Amendments go where the directory says (ICE Privacy Office, Stop 5004); the review of a
        # refusal (552a(d)(3)) has no address in foia's sources (6 CFR 5.25 is unverified).
        addressee_office = filing
        purpose = "amendment" if kind.name == "amendment" else "amendment-appeal"
    else:
        addressee_office = filing
        # A follow-up about a pending appeal goes where the appeal went.
        purpose = "appeal" if kind.name == "appeal" or o.get("pending_appeal") else "request"
    office_ctx = _office_context(d, addressee_office, purpose, w)
    deciding = d.appeal_office(filing) if purpose == "appeal" else addressee_office
    if kind.name in ("self", *AMENDMENT_KINDS):
        profile = _self_signer(o, profile, w)
    ctx: dict[str, Any] = {
        "kind": kind.name,
        "regarding": "appeal" if purpose == "appeal" else {"mediation": "letter", "amendment-appeal": "appeal"}.get(kind.name, "request"),
        "letter_date": today,
        "office": office_ctx,
        "about": _compact("about", {
            "id": about.id, "name": about.name, "abbreviation": about.abbreviation,
            "directorate": about.kind == "directorate", "files_with": filing.office or filing.name,
            "agency_name": filing.name, "agency": with_article(filing.name), "filing_id": filing.id,
        }),
        "requester": _requester(kind, profile, o),
    }
    clock = _clock(d, filing)
    if clock is not None:
        ctx["clock"] = clock
    if kind.name == "mediation":
        ctx["disputed"] = _office_context(d, filing, "request", _Warnings())
    if deciding.id != addressee_office.id:
        # Appeals of DOJ components go to DOJ's Office of Information Policy (28 CFR 16.8(a)).
        appeals = _office_context(d, deciding, "appeal", w)
        portal = _pick_contact(d, deciding, "appeal", "portal", w, put="given as where to file")
        appeals["portal"] = portal.value if portal else None
        rule, _ = d.inherited(filing, "appeal")
        appeals["cite"] = rule.cite if rule else None
        ctx["appeal_office"] = appeals
        addressee_office = deciding
    if kind.request:
        _fees(kind, o, ctx, w)
    if kind.name in _BUILDERS:
        _BUILDERS[kind.name](d, o, ctx, w, kind)
    else:
        _DATED_BUILDERS[kind.name](d, o, ctx, w, kind, today)
    ctx["addressee"] = _addressee(kind, ctx)
    email = o.get("to_email")
    if email:
        w.add(f"note: sending to {email} (--to-email), not an address from the directory")
    else:
        c = _pick_contact(d, addressee_office, purpose, "email", w, put="used as the email recipient")
        email = c.value if c else None
        ctx["to_email_verified"] = bool(c and c.verified)
    ctx["to_email"] = email
    ctx["to_email_given"] = bool(o.get("to_email"))
    return ctx, list(w)


def _addressee(kind: LetterKind, ctx: dict) -> list[str]:
    office = ctx["office"]
    if kind.name in AMENDMENT_KINDS:
        head = "Privacy Office" if kind.name == "amendment" and office.get("address_lines") else \
            ("Privacy Act Appeals Officer" if kind.name == "amendment-appeal" else office["name"])
        return [head, office["agency_name"]] + list(office.get("address_lines", []))
    if ctx.get("appeal_office"):
        # Another office decides the appeals (DOJ's OIP for the FBI, 28 CFR 16.8(a)).
        appeals = ctx["appeal_office"]
        lines = [appeals["name"], appeals["agency_name"]] + list(appeals.get("address_lines", []))
        return lines
    if kind.name == "appeal" or ctx.get("pending_appeal"):
        # Appeals are decided by an appeals officer, not the FOIA office that answered.
        lines = ["FOIA Appeals Officer", office["agency_name"]]
    elif office["agency_name"].startswith(office["name"]):
        lines = [office["agency_name"]]
    elif office["agency_name"] in office["name"]:
        lines = [office["name"]]
    else:
        lines = [office["name"], office["agency_name"]]
    return lines + list(office.get("address_lines", []))


def build_letter(kind: str, *, directory: "Directory", office: str, profile: "Profile | None" = None,
                 options: dict | None = None, today: date | None = None) -> Letter:
    """Render one letter of ``kind`` to ``office`` (an id, abbreviation or name)."""
    k = _kind(kind)
    today = today or date.today()
    ctx, warnings = build_context(kind, directory=directory, office=office, profile=profile, options=options,
                                  today=today)
    markup = _render(k, ctx)
    try:
        blocks = parse(markup, template=k.template)
    except MarkupError as exc:
        raise FoiaError(f"template {exc}") from None
    subject = subject_of(blocks)
    if not subject:
        raise FoiaError(f"template {k.template} has no @re section; a letter needs its RE line")
    office_ctx = ctx["office"]
    request_kind = k.request
    ctx["markup"] = markup
    return Letter(
        kind=k.name,
        office_id=office_ctx["id"],
        office_name=office_ctx["name"],
        subject=subject,
        text=to_text(blocks),
        markdown=to_markdown(blocks),
        to_email=ctx["to_email"],
        portal=ctx.get("appeal_office", office_ctx).get("portal"),
        portal_only=bool(request_kind and office_ctx.get("portal_only")),
        warnings=tuple(warnings),
        fields=ctx,
        blocks=blocks,
        about_id=ctx["about"]["id"],
        date=today,
    )


# ---------------------------------------------------------------------------------------------
# Files


_SLUG = re.compile(r"[^a-z0-9]+")


def slug(text: str) -> str:
    return _SLUG.sub("-", text.lower()).strip("-")[:80] or "letter"


def default_stem(letter: Letter) -> str:
    """``2026-11-23-ice-records``; mediation letters name OGIS and the agency in dispute."""
    who = letter.about_id or letter.office_id
    if letter.kind == "mediation":
        who = f"{letter.office_id}-{who}"
    day = (letter.date or date.today()).isoformat()
    return f"{day}-{slug(who)}-{slug(letter.kind)}"


def check_stem(stem: str) -> str:
    if not stem or stem in (".", "..") or "/" in stem or "\\" in stem or "\x00" in stem or stem.startswith("."):
        raise UsageError(f"--stem {stem!r}: give a plain file name without folders or a leading dot")
    if not stem.isprintable():
        # A newline or other control character in a file name breaks every listing of the folder.
        raise UsageError(f"--stem {stem!r}: contains a control character (a line break, a tab); give a plain "
                         "file name")
    return stem


def target_path(letter: Letter, out_dir: Path, fmt: str, stem: str | None = None) -> Path:
    from foia.files import inside

    if fmt not in FORMATS:
        raise UsageError(f"--format {fmt!r}: choose one of {', '.join(FORMATS)}")
    name = f"{check_stem(stem) if stem else default_stem(letter)}.{fmt}"
    return inside(Path(out_dir), name)


def letter_bytes(letter: Letter, fmt: str, *, reproducible: bool = False, attach_docx: bool = False,
                 message_id: str | None = None, request_id: int | None = None,
                 attachment_name: str | None = None) -> bytes:
    """The file content of ``letter`` in ``fmt`` (txt, md, docx, eml); an .eml gets
    ``message_id`` and the tracked ``request_id``'s subject tag (foia.render.email.to_eml);
    ``attachment_name``: the name of the DOCX attached to an .eml (the file written beside it)."""
    if fmt == "txt":
        return letter.text.encode("utf-8")
    if fmt == "md":
        return letter.markdown.encode("utf-8")
    if fmt == "docx":
        from foia.render.docx import to_docx

        return to_docx(letter, reproducible=reproducible)
    if fmt == "eml":
        from foia.render.email import to_eml

        return to_eml(letter, reproducible=reproducible, attach_docx=attach_docx, message_id=message_id,
                      request_id=request_id, attachment_name=attachment_name)
    raise UsageError(f"--format {fmt!r}: choose one of {', '.join(FORMATS)}")


def write_letter(letter: Letter, out_dir: Path, fmt: str, *, stem: str | None = None, overwrite: bool = False,
                 reproducible: bool = False, attach_docx: bool = False, message_id: str | None = None,
                 request_id: int | None = None) -> Path:
    """Write ``letter`` into ``out_dir`` atomically, user-only (0600); returns the path."""
    from foia.files import atomic_write
    from foia.paths import ensure_private_dir

    path = target_path(letter, out_dir, fmt, stem)
    if path.exists() and not overwrite:
        raise FoiaError(f"{path} already exists; pass --overwrite or choose another --out folder")
    data = letter_bytes(letter, fmt, reproducible=reproducible, attach_docx=attach_docx, message_id=message_id,
                        request_id=request_id, attachment_name=target_path(letter, out_dir, "docx", stem).name)
    ensure_private_dir(path.parent)
    return atomic_write(path, data, mode=0o600, overwrite=overwrite)

