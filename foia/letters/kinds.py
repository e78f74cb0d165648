"""THE table of letter kinds: a kind is added here, with its template, and nowhere else.

Each kind carries its fields, its template, the builder that fills its render context, where it
goes (the filing office's contact for ``purpose``, or another office), how it is addressed, and
whether `foia draft --track` can file it as a new request.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from foia.directory.records import Record
from foia.errors import UsageError
from foia.letters.builders import (build_amendment, build_contract, build_fields, build_records, build_self,
                                   build_third_party, contract_office, system_office)
from foia.letters.context import amendment_addressee, office_addressee
from foia.letters.fields import (APPEAL_GROUNDS, DETAILS_FIELD, FILED_FIELDS, FORMAT_FIELD, REQUEST_FIELDS,
                                 REQUESTER_FIELDS, SYSTEMS_FIELD, TRACKING_FIELD, Field, person_fields)
from foia.letters.followups import build_appeal, build_follow_up, build_mediation
from foia.naming import Text, flag

if TYPE_CHECKING:
    from foia.directory import Agency


class LetterKind(Record):
    """A kind of letter: its template, its fields and how its context is built (an immutable
    record like ``Field``)."""

    __slots__ = ("name", "title", "template", "fields", "build", "request", "trackable", "purpose", "to", "regarding",
                 "signed_by_subject", "privacy_act", "client_prefix", "addressee", "default_office", "lookup")
    DEFAULTS = {
        # Fills the render context: (directory, options, context, warnings, kind, letter date); by
        # default the kind's own fields go into it as given.
        "build": build_fields,
        "request": False,  # a new request: fee waiver, expedite, fee limit and news media apply
        "trackable": False,  # `foia draft --track` files it as a new request
        "purpose": "request",  # which of the office's contacts it goes to (request, appeal, mediation...)
        "to": None,  # the office it goes to, when not the one it is about (mediation: OGIS)
        "regarding": "request",  # what its closing lines call it ("appeal" whenever purpose is appeal)
        "signed_by_subject": False,  # the person whose records it concerns signs it (28 U.S.C. 1746)
        "privacy_act": False,  # a Privacy Act request too: fees for copies only (5 U.S.C. 552a(f)(5))
        "client_prefix": None,  # the options prefix of the person it is about (the tracker's client)
        "addressee": office_addressee,  # (kind, context) -> the addressee block's lines
        "default_office": None,  # (directory, options) -> the office when none is named
        "lookup": False,  # its award details can be filled from USAspending
    }

    @property
    def all_fields(self) -> tuple[Field, ...]:
        return self.fields + (REQUEST_FIELDS if self.request else ()) + REQUESTER_FIELDS

    def field(self, name: str) -> Field:
        for f in self.all_fields:
            if f.name == name:
                return f
        raise KeyError(name)

    def option_of(self, name: str) -> str:
        """The command-line option of field ``name``: the kind's own spelling (``exemptions``:
        ``--exemption``), else the field's name as an option."""
        try:
            return self.field(name).option
        except KeyError:
            return flag(name)

    def applies_to(self, agency: "Agency") -> bool:
        """Every kind is addressed to (or, for mediation, about) an agency's FOIA office; OGIS
        mediates and DOJ's Office of Information Policy decides appeals: neither is asked for
        records here."""
        return agency.kind not in ("mediator", "appeals")


KINDS: dict[str, LetterKind] = {k.name: k for k in (
    LetterKind("records", "Records about a system, program or vendor.", "records.j2", (
        Field("subject", "What records: a short description (or give --system / --vendor)."),
        Field("system", "System id from the directory (foia systems list)."),
        Field("vendor", "Vendor id from the directory (foia vendors list)."),
        Field("date_from", "Earliest record date, YYYY-MM-DD.", type="date"),
        Field("date_to", "Latest record date, YYYY-MM-DD.", type="date"),
        Field("categories", "Record categories (repeatable; default: the directory's for the system).",
              type="list"),
        FORMAT_FIELD,
    ), build_records, request=True, trackable=True, default_office=system_office),
    LetterKind("contract", "One contract award, by number or directory id.", "contract.j2", (
        Field("award", "Award number (PIID) or directory contract id.", required=True),
        Field("award_detail", "USAspending details of the award (from the contract lookup).", type="dict",
              cli=False),
        Field("categories", "Record categories (repeatable; default: award, modifications, SOW...).",
              type="list"),
        Field("verified_only", "List only the directory's verified claims about the award.", type="bool"),
        Field("date_from", "Earliest record date, YYYY-MM-DD.", type="date"),
        Field("date_to", "Latest record date, YYYY-MM-DD.", type="date"),
        FORMAT_FIELD,
    ), build_contract, request=True, trackable=True, default_office=contract_office, lookup=True),
    LetterKind("self", "First-party FOIA and Privacy Act request for records about you.", "self.j2", (
        Field("full_name", "Your full name.", required=True, profile="name"),
        Field("address", "Your current address.", required=True, profile="address"),
        *person_fields("", True),
        Field("outside_us", "You sign outside the United States (28 U.S.C. 1746 wording).", type="bool"),
        Field("judicial_redress", "The Judicial Redress Act applies: a citizen of a country the Attorney General "
              "designated (Pub. L. 114-126, 5 U.S.C. 552a note). Not assumed from the citizenship.", type="bool"),
        SYSTEMS_FIELD, DETAILS_FIELD,
    ), build_self, request=True, trackable=True, signed_by_subject=True, privacy_act=True, client_prefix=""),
    LetterKind("third-party", "Request for records about another person, with their consent.",
               "third-party.j2", (
        Field("subject_full_name", "The subject's full name.", required=True, pii=True),
        Field("subject_address", "The subject's current address.", pii=True),
        *person_fields("subject_", False),
        Field("subject_outside_us", "The subject signs outside the United States.", type="bool"),
        Field("subject_deceased", "The subject has died (proof of death enclosed instead of consent).",
              type="bool"),
        Field("relationship", "Your relationship to the subject (e.g. attorney).", pii=True),
        Field("judicial_redress", "The Judicial Redress Act applies: the subject is a citizen of a country the Attorney General "
              "designated (Pub. L. 114-126, 5 U.S.C. 552a note). Not assumed from the citizenship.", type="bool"),
        SYSTEMS_FIELD, DETAILS_FIELD,
    ), build_third_party, request=True, trackable=True, privacy_act=True, client_prefix="subject_"),
    LetterKind("follow-up", "Status inquiry asking for the estimated date of completion.", "follow-up.j2", (
        TRACKING_FIELD,
        Field("request_date", "Date you filed the request, YYYY-MM-DD.", type="date", required=True),
        # Not required: the tracking number and filing date identify a request, and the tracker
        # leaves it out rather than paste a queue title the office never saw.
        Field("request_subject", "Short description of the request, as filed."),
        Field("estimated_completion", "Estimated completion date the agency gave, YYYY-MM-DD.", type="date"),
        *FILED_FIELDS,
        # From the tracker (`foia track followup`): its deadlines, not a count from the filing date.
        Field("determination", "The determination clock as the tracker computed it ({\"open\": False}: none to "
              "describe).", type="dict", cli=False),
        Field("expedite_decision", "The open expedite decision clock (due date).", type="dict", cli=False),
        Field("pending_appeal", "The appeal awaiting a decision: the letter asks about it instead.", type="dict",
              cli=False),
        Field("side_appeal", "An appeal of a fee-waiver or expedite denial awaiting its decision while the "
              "determination is overdue: the letter asks about the determination and names the appeal.",
              type="dict", cli=False),
    ), build_follow_up),
    LetterKind("appeal", "Freedom of Information Act Appeal of an adverse determination.", "appeal.j2", (
        TRACKING_FIELD,
        Field("request_date", "Date you filed the request, YYYY-MM-DD.", type="date"),
        Field("request_subject", "Short description of the request."),
        Field("determination_date", "Date of the adverse determination appealed, YYYY-MM-DD.", type="date"),
        Field("grounds", "Ground(s): " + ", ".join(APPEAL_GROUNDS) + ".", type="list", required=True,
              choices=APPEAL_GROUNDS, split=True),
        Field("exemptions", "An exemption cited, e.g. (b)(6) or (b)(7)(C) (repeatable).", type="list", split=True,
              flag="exemption", alias="exemptions"),
        Field("details", "Your argument in your own words."),
        Field("appeal_deadline", "Last day to appeal, YYYY-MM-DD (default: computed from the office's rule).",
              type="date"),
        Field("fee_waiver_denial_date", "Date the fee waiver was denied, YYYY-MM-DD (with fee-waiver-denied and "
              "another ground).", type="date"),
        Field("expedite_denial_date", "Date expedited processing was denied, YYYY-MM-DD (with expedite-denied and "
              "another ground).", type="date"),
        *FILED_FIELDS,
        Field("determination", "The determination clock as the tracker computed it (no-response).", type="dict",
              cli=False),
    ), build_appeal, purpose="appeal"),
    LetterKind("mediation", "Request for OGIS dispute resolution (5 U.S.C. 552(h)).", "mediation.j2", (
        Field("tracking_number", "The agency's tracking number.", required=True),
        Field("request_date", "Date you filed the request, YYYY-MM-DD.", type="date"),
        Field("request_subject", "Short description of the request."),
        Field("dispute", "What the dispute is about.", required=True),
    ), build_mediation, purpose="mediation", to="ogis", regarding="letter"),
    LetterKind("amendment", "Privacy Act request to amend a record about you (5 U.S.C. 552a(d)(2)).",
               "amendment.j2", (
        Field("full_name", "Your full name.", required=True, profile="name"),
        Field("address", "Your current address.", required=True, profile="address"),
        *person_fields("", True),
        Field("outside_us", "You sign outside the United States (28 U.S.C. 1746 wording).", type="bool"),
        Field("system", "System id from the directory holding the record (foia systems list)."),
        Field("record", "The record to amend: what it is and where it is (file, document, entry).", required=True,
              pii=True),
        Field("correction", "What is wrong in it, what it should say, and why.", required=True, pii=True),
    ), build_amendment, purpose="amendment", signed_by_subject=True, addressee=amendment_addressee),
    LetterKind("amendment-appeal", "Privacy Act appeal of a refusal to amend a record (5 U.S.C. 552a(d)(3)).",
               "amendment-appeal.j2", (
        Field("full_name", "Your full name.", required=True, profile="name"),
        Field("address", "Your current address.", required=True, profile="address"),
        *person_fields("", True),
        Field("outside_us", "You sign outside the United States (28 U.S.C. 1746 wording).", type="bool"),
        Field("request_date", "Date of your amendment request, YYYY-MM-DD.", type="date", required=True),
        Field("refusal_date", "Date of the refusal, YYYY-MM-DD.", type="date", required=True),
        Field("record", "The record you asked to amend.", required=True, pii=True),
        Field("correction", "Why the refusal is wrong: what the record should say, and why.", required=True,
              pii=True),
    ), build_amendment, purpose="amendment-appeal", regarding="appeal", signed_by_subject=True,
        addressee=amendment_addressee),
)}


def hint(key: str) -> Text | None:
    """How to supply a field a template names (``a_number``, ``requester.email``), or None
    when no kind has it."""
    name = "requester_" + key[len("requester."):] if key.startswith("requester.") else key
    for k in KINDS.values():
        for f in k.all_fields:
            if f.name == name:
                return f.source_hint()
    return None


def letter_kind(name: str) -> LetterKind:
    """The kind named ``name``, or a refusal listing the kinds."""
    try:
        return KINDS[name]
    except KeyError:
        raise UsageError(f"no letter kind {name!r}; choose one of {', '.join(KINDS)}") from None
