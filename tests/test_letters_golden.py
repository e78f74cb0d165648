"""Golden files: the exact text of each kind of letter.

A change to a template or to the directory shows up here as a diff to review. After checking
that the new text is right, regenerate the files with:

    FOIA_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_letters_golden.py
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from foia.directory import load_directory
from foia.letters import build_letter
from letters_support import OPTIONS, PROFILE, TODAY

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("FOIA_UPDATE_GOLDEN") == "1"

CASES = {
    # file name: (kind, office, extra options)
    "records-ice.txt": ("records", "ice", {"fee_waiver": True, "fee_limit": "50"}),
    "records-hsi-system.txt": ("records", "hsi", {"system": "icm", "subject": None, "date_from": None,
                                                  "date_to": None, "format": "native"}),
    "records-fbi-expedite.txt": ("records", "fbi", {"expedite_grounds": ["threat"],
                                                    "expedite_statement": "A person is detained today."}),
    "contract-ice.txt": ("contract", "ice", {}),
    "self-ice.txt": ("self", "ice", {}),
    "self-fbi-outside-us.txt": ("self", "fbi", {"outside_us": True}),
    "third-party-ice.txt": ("third-party", "ice", {}),
    "follow-up-ice.txt": ("follow-up", "ice", {"estimated_completion": "2026-10-30"}),
    "appeal-ice.txt": ("appeal", "ice", {}),
    "appeal-fbi-no-response.txt": ("appeal", "fbi", {"grounds": ["no-response"], "determination_date": None}),
    "mediation-ice.txt": ("mediation", "ice", {}),
    "amendment-ice.txt": ("amendment", "ice", {}),
    "amendment-appeal-ice.txt": ("amendment-appeal", "ice", {}),
    "records-ice.md": ("records", "ice", {"fee_waiver": True, "fee_limit": "50"}),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden(name):
    kind, office, extra = CASES[name]
    options = {k: v for k, v in {**OPTIONS[kind], **extra}.items() if v is not None}
    lt = build_letter(kind, directory=load_directory(), office=office, profile=PROFILE, options=options,
                      today=TODAY)
    got = lt.markdown if name.endswith(".md") else lt.text
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(exist_ok=True)
        path.write_text(got, encoding="utf-8")
    assert path.exists(), f"{path} is missing; run FOIA_UPDATE_GOLDEN=1 pytest {__file__}"
    assert got == path.read_text(encoding="utf-8")


def test_every_kind_has_a_golden_file():
    from foia.letters import KINDS

    assert {kind for kind, _, _ in CASES.values()} == set(KINDS)
