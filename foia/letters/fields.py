"""The fields a letter takes: what each holds, and the groups of them that kinds share.

A field is named by its ``options`` key (``date_of_birth``); the command line spells it
``--date-of-birth`` (or ``flag`` when that name is taken), a web form by its input's label.
"""

from __future__ import annotations

from foia import naming
from foia.directory.records import Record
from foia.naming import Text
from foia.vocab import SENT_VIA


class Field(Record):
    """One letter option. ``name`` is the ``options`` key.

    An immutable record like the directory's (not a frozen dataclass: generating a dataclass's
    methods is paid at every start of `foia draft`)."""

    __slots__ = ("name", "help", "type", "required", "choices", "profile", "pii", "split", "cli", "flag", "alias")
    DEFAULTS = {
        "type": "text",  # text | date | list | bool | amount | choice | dict
        "required": False,
        "choices": (),  # tuple[str, ...]
        "profile": None,  # the profile key that supplies it when not given
        "pii": False,  # never echoed in messages (dates of birth, A-Numbers)
        "split": False,  # list given as "a,b" is split on commas
        "cli": True,  # offered as a command-line option
        "flag": None,  # the command-line name when the field's own is taken (records: record-format)
        "alias": None,  # an older command-line name still accepted (appeal: exemptions)
    }

    @property
    def option(self) -> str:
        """The command-line option for the field (``--exemption`` for ``exemptions``)."""
        return naming.flag(self.flag or self.name)

    def source_hint(self) -> Text:
        """How to give the field: "pass <field>", and the profile key that supplies it, if one does."""
        hint = Text("pass ", naming.Field(self.name))
        if self.profile:
            hint = Text(hint, f" or set {self.profile} in your profile (foia profile edit)")
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

PERSON = (
    ("date_of_birth", "Date of birth, YYYY-MM-DD.", "date"),
    ("place_of_birth", "Place of birth (city and country).", "text"),
    ("citizenship", "Country of citizenship or residency.", "text"),
    ("a_number", "Alien Registration Number (A-Number), optional.", "text"),
    ("passport_number", "Passport number, optional.", "text"),
    ("other_names", "Other names used (repeatable).", "list"),
)


def person_fields(prefix: str, required: bool) -> tuple[Field, ...]:
    out = []
    for name, help_, type_ in PERSON:
        out.append(Field(prefix + name, help_, type=type_, pii=True,
                         required=required and name in ("date_of_birth", "place_of_birth", "citizenship")))
    return tuple(out)


SYSTEMS_FIELD = Field("systems", "System ids to search (repeatable; default: "
                       + ", ".join(FIRST_PARTY_SYSTEMS) + ", those the office holds).", type="list", split=True)
DETAILS_FIELD = Field("details", "Anything that helps find the records (dates, places, encounters).", pii=True)
# `format` is the records' form; the CLI's --format is the file format, so it is --record-format.
FORMAT_FIELD = Field("format", "Form you want the records in: electronic (default), native, paper.",
                      type="choice", choices=("electronic", "native", "paper"), flag="record-format")

# Follow-ups and appeals name a request the office may never have numbered (it never answered):
# then the filing date, the subject and how it was sent identify it.
TRACKING_FIELD = Field("tracking_number", "The agency's tracking number (none yet: the letter names the filing "
                        "date, the subject and --sent-via instead).")
FILED_FIELDS = (
    Field("sent_via", "How you sent the request: " + ", ".join(SENT_VIA) + ".", type="choice", choices=SENT_VIA),
    Field("sent_to", "Where the request was sent (the portal or email address).", cli=False),
    Field("other_numbers", "The request's other tracking numbers (a split or referral).", type="list", cli=False),
    Field("privacy_act", "The request was also made under the Privacy Act (first-party or third-party): the "
          "letter names both acts.", type="bool"),
)
