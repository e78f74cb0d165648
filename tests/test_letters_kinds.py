"""A letter kind is added in one place: a row of the kinds table (foia/letters/kinds.py) and its
template. Nothing else (no command, no builder table, no tracker code) is told about it."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from foia.cli import cli
from foia.letters.fields import Field
from foia.letters.kinds import KINDS, LetterKind

INQUIRY = LetterKind("inquiry", "A question to a FOIA office about how it processes requests.", "inquiry.j2", (
    Field("question", "What you ask.", required=True),
    Field("asked_on", "When you asked before, YYYY-MM-DD.", type="date"),
    Field("topics", "A topic (repeatable).", type="list"),
), trackable=True)

TEMPLATE = """{% include "partials/_head.j2" %}
@re
Question about {{ office.abbreviation }} processing
@salutation
Dear FOIA Officer:
@body
{{ question }}
{% if asked_on is given %}I first asked on {{ asked_on }}.{% endif %}
{% if topics is given %}It concerns {{ topics | join_and }}.{% endif %}
{% include "partials/_contact.j2" %}
{% include "partials/_signature.j2" %}
"""

REQUESTER = ["--no-profile", "--requester-name", "Sam Doe", "--requester-email", "sam@example.org"]


@pytest.fixture
def inquiry(_foia_dirs, monkeypatch):
    """The kind registered in the table and its template in the template folder: nothing else."""
    monkeypatch.setitem(KINDS, INQUIRY.name, INQUIRY)
    templates = _foia_dirs / "templates"
    templates.mkdir()
    (templates / "inquiry.j2").write_text(TEMPLATE, encoding="utf-8")
    monkeypatch.setenv("FOIA_TEMPLATES", str(templates))
    return _foia_dirs


def run(*args):
    return CliRunner().invoke(cli, list(args))


def test_a_kind_in_the_table_is_drafted_listed_checked_and_tracked(inquiry, tmp_path):
    out = tmp_path / "out"
    r = run("draft", "inquiry", "--to", "ICE", "--question", "How long is your complex-track queue?",
            "--asked-on", "2026-10-01", "--topics", "queues", "--topics", "backlogs", *REQUESTER,
            "--date", "2026-11-23", "--out", str(out))
    assert r.exit_code == 0, r.output
    text = (out / "2026-11-23-ice-inquiry.txt").read_text()
    assert "RE: Question about ICE processing" in text
    assert "How long is your complex-track queue?" in text
    assert "I first asked on October 1, 2026." in text and "It concerns queues and backlogs." in text
    assert "Sam Doe" in text and "sam@example.org" in text

    listed = json.loads(run("letters", "kinds", "--json").output)
    assert [k["fields"] for k in listed if k["kind"] == "inquiry"][0][0]["option"] == "--question"
    assert "inquiry" in run("draft", "--help").output

    # Its fields are checked by type, and refusals name its options.
    r = run("draft", "inquiry", "--to", "ICE", *REQUESTER, "--out", str(out))
    assert (r.exit_code, r.output) == (2, "Error: inquiry letter needs question: pass --question\n")
    r = run("draft", "inquiry", "--to", "ICE", "--question", "Q?", "--asked-on", "last week", *REQUESTER,
            "--out", str(out))
    assert (r.exit_code, r.output) == (2, "Error: --asked-on: 'last week' is not a date; use YYYY-MM-DD, "
                                          "e.g. 2026-01-31\n")

    # A trackable kind is filed by `draft --track` with no tracker code of its own.
    db = f"sqlite:///{tmp_path / 'q.db'}"
    r = run("draft", "inquiry", "--to", "ICE", "--question", "Q?", *REQUESTER, "--out", str(tmp_path / "t"),
            "--track", "--db", db, "--filed-on", "2026-11-23")
    assert r.exit_code == 0, r.output
    assert "ICE: tracked as request 1 (foia track show 1)" in r.stderr
    shown = json.loads(run("track", "--db", db, "show", "1", "--json").output)
    assert (shown["kind"], shown["office"], shown["status"]) == ("inquiry", "ice", "submitted")


def test_without_the_table_row_the_kind_does_not_exist(_foia_dirs):
    r = run("draft", "inquiry", "--to", "ICE")
    assert r.exit_code == 2 and "No such command 'inquiry'" in r.output


def test_the_letters_package_stands_alone_and_names_fields_not_options():
    """foia.letters never imports the tracker (foia.tracker.filing imports it), and no string in
    it or in filing begins with an option: messages name fields, the command line shows options."""
    import ast
    import subprocess
    import sys
    from pathlib import Path

    import foia

    code = "import sys, foia.letters; print(sorted(m for m in sys.modules if m.startswith('foia.tracker')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    root = Path(foia.__file__).parent
    flags = [f"{path.name}:{node.lineno}" for path in [*(root / "letters").glob("*.py"), root / "tracker" / "filing.py"]
             for node in ast.walk(ast.parse(path.read_text())) if isinstance(node, ast.Constant)
             and isinstance(node.value, str) and node.value.startswith("--")]
    assert flags == []


def test_kinds_and_fields_are_immutable_values():
    import pickle

    again = LetterKind("inquiry", INQUIRY.title, "inquiry.j2", INQUIRY.fields, trackable=True)
    assert again == INQUIRY and hash(again) == hash(INQUIRY) and again.purpose == "request"
    assert INQUIRY.replace(title="Other") != INQUIRY and INQUIRY.fields[0] == Field("question", "What you ask.",
                                                                                     required=True)
    for record, name in ((INQUIRY, "trackable"), (INQUIRY.fields[0], "required")):
        with pytest.raises(AttributeError):
            setattr(record, name, False)
    assert pickle.loads(pickle.dumps(KINDS["records"])) == KINDS["records"]
    with pytest.raises(TypeError, match="missing required argument: 'help'"):
        Field("question")
