"""Shared inputs for the letters tests: a requester, and options that make each kind complete."""

from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import date

import pytest

from foia.profile import Profile

TODAY = date(2026, 11, 23)

PROFILE = Profile(
    name="Ana Ruiz",
    organization="Border Data Project",
    title="Researcher",
    address="100 Example Ave, Suite 2\nTucson, AZ 85701",
    email="ana@example.org",
    phone="(520) 555-0100",
    fee_category="other",
    publication_record="I have written twelve reports on immigration enforcement technology.",
    dissemination="I will publish the records and an analysis on the project's website and newsletter.",
)

# PII used in first-party letters: tests check it never reaches stdout or stderr.
DOB = "1988-04-09"
A_NUMBER = "A098765432"

OPTIONS = {
    "records": {"subject": "the use of license plate reader data", "date_from": "2020-01-01",
                "date_to": "2025-12-31"},
    "contract": {"award": "palantir-icm-om-2022"},
    "self": {"date_of_birth": DOB, "place_of_birth": "Hermosillo, Mexico", "citizenship": "Mexico",
             "a_number": A_NUMBER},
    "third-party": {"subject_full_name": "Luis Ortega", "subject_address": "5 Palm St, Yuma, AZ 85364",
                    "subject_date_of_birth": "1975-07-30", "subject_place_of_birth": "Yuma, Arizona",
                    "subject_citizenship": "United States", "relationship": "attorney"},
    "follow-up": {"tracking_number": "2026-ICFO-01234", "request_date": "2026-08-03",
                  "request_subject": "records about license plate reader queries"},
    "appeal": {"tracking_number": "2026-ICFO-01234", "request_date": "2026-08-03",
               "request_subject": "records about license plate reader queries",
               "determination_date": "2026-11-02", "grounds": ["partial-withholding", "inadequate-search"],
               "exemptions": ["(b)(6)", "b7c"]},
    "amendment": {"date_of_birth": DOB, "place_of_birth": "Hermosillo, Mexico", "citizenship": "Mexico",
                  "system": "enforce-eid", "record": "The encounter record of 2024-05-02 in ENFORCE/EID.",
                  "correction": "It gives my address as 12 Oak St, Yuma; I have never lived there. It should say "
                                "100 Example Ave, Tucson."},
    "amendment-appeal": {"date_of_birth": DOB, "place_of_birth": "Hermosillo, Mexico", "citizenship": "Mexico",
                         "request_date": "2026-09-01", "refusal_date": "2026-10-15",
                         "record": "The encounter record of 2024-05-02 in ENFORCE/EID.",
                         "correction": "The refusal gives no reason; my lease shows where I lived."},
    "mediation": {"tracking_number": "2026-ICFO-01234", "request_date": "2026-08-03",
                  "request_subject": "records about license plate reader queries",
                  "dispute": "The office has not answered my status inquiries since September."},
}


def shown(message, kind: str | None = None) -> str:
    """A library message (or an error carrying one) as the command line shows it: the library
    names fields (``date_of_birth``), `foia draft KIND` shows its options (``--date-of-birth``)."""
    from foia.cli import shown as as_options

    command = None
    if kind is not None:
        from foia.commands.letters import draft

        command = draft.get_command(None, kind)
    return as_options(message, command)


@contextmanager
def refused(exc_type, match: str, kind: str | None = None):
    """``pytest.raises(exc_type, match=...)``, matched against the message as the command line shows it."""
    with pytest.raises(exc_type) as err:
        yield err
    assert re.search(match, shown(err.value, kind)), shown(err.value, kind)
