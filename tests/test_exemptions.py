"""Exemptions on appeal (issue 14, item 16): the table of 5 U.S.C. 552(b)(1)-(9), what an appeal
asks of each exemption cited, and how the unverified words are kept out of the agency's letter."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from foia.cli import cli
from foia.directory import load_directory
from foia.exemptions import BY_KEY, TABLE
from letters_support import OPTIONS, PROFILE, TODAY

SIGNER = ["--requester-name", "Ana Reporter", "--requester-email", "ana@example.org"]
B7E_WORDS = "would disclose techniques and procedures for law enforcement investigations"


def draft(**extra):
    from foia.letters import build_letter

    options = {k: v for k, v in {**OPTIONS["appeal"], **extra}.items() if v is not None}
    return build_letter("appeal", directory=load_directory(), office="ice", profile=PROFILE, options=options,
                        today=TODAY)


def test_the_table_has_every_exemption_each_unverified_with_its_source():
    keys = [e.key for e in TABLE]
    assert keys == [f"(b)({n})" for n in range(1, 7)] + ["(b)(7)"] + [f"(b)(7)({c})" for c in "ABCDEF"] + \
        ["(b)(8)", "(b)(9)"]
    for e in TABLE:
        assert e.verified is False
        assert e.source.startswith("https://foia.wiki/wiki/Exemption_")
        assert e.words and e.argument and e.cite == "5 U.S.C. 552" + e.key
    # Public-interest balancing is what an appeal asks of the two privacy exemptions.
    for key in ("(b)(6)", "(b)(7)(C)"):
        assert "weigh it against the public interest" in BY_KEY[key].argument


def test_appeal_argues_the_exemption_cited_and_does_not_quote_unverified_words():
    lt = draft(grounds=["partial-withholding"], exemptions=["b7e"])
    assert "For each exemption in particular, I ask you:\n\n- 5 U.S.C. 552(b)(7)(E): to show that each record was " \
           "compiled for law enforcement purposes, and to release techniques and procedures already known to the " \
           "public" in lt.text
    assert "how its disclosure could reasonably be expected to risk circumvention of the law." in lt.text
    assert B7E_WORDS not in lt.text
    # The page-by-page (Vaughn-style) list is asked for beside it.
    assert "a list of what was withheld, page by page, with the exemption and the justification for each" in lt.text
    warning = next(w for w in lt.warnings if w.startswith("unverified: the words of 5 U.S.C. 552(b)(7)(E)"))
    assert "https://foia.wiki/wiki/Exemption_7(E)" in warning and "without quoting it" in warning
    # Only the exemptions cited are argued; none cited, none argued and no warning.
    assert "552(b)(6):" not in lt.text
    bare = draft(grounds=["no-records"])
    assert "For each exemption in particular" not in bare.text
    assert not any(w.startswith("unverified: the words") for w in bare.warnings)


def test_privacy_exemptions_ask_for_public_interest_balancing():
    lt = draft(grounds=["withholding"], exemptions=["(b)(6)", "b7c"])
    for cite in ("5 U.S.C. 552(b)(6): to identify the privacy interest", "5 U.S.C. 552(b)(7)(C): to show that each"):
        assert cite in lt.text
    assert lt.text.count("to weigh it against the public interest in what the records show about the operations "
                         "or activities of the government") == 2


def test_track_appeal_exemption_b7e_argues_it(tmp_path, monkeypatch):
    monkeypatch.setenv("FOIA_USER", "ana")
    url = f"sqlite:///{tmp_path / 'q.db'}"

    def track(*args):
        result = CliRunner().invoke(cli, ["track", "--db", url, *args])
        assert result.exit_code == 0, result.output
        return result

    track("add", "--title", "ICM audit logs", "--office", "ice", "--on", "2025-01-02", "--tracking-number", "T-9")
    track("update", "1", "--status", "partial", "--on", "2025-03-03")
    out = tmp_path / "out"
    result = track("appeal", "1", "--ground", "partial-withholding", "--exemption", "b7e", "--out", str(out), *SIGNER)
    assert "Warning: unverified: the words of 5 U.S.C. 552(b)(7)(E)" in result.output
    text = next(out.glob("request-1-appeal-*.txt")).read_text()
    assert "- 5 U.S.C. 552(b)(7)(E): to show that each record was compiled for law enforcement purposes" in text
    assert B7E_WORDS not in text


def test_letters_exemptions_shows_the_table_marked_unverified():
    runner = CliRunner()
    result = runner.invoke(cli, ["letters", "exemptions"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("UNVERIFIED: not in foia's fact sheet")
    assert result.output.count("(UNVERIFIED)") == len(TABLE)
    assert f'"{BY_KEY["(b)(5)"].words}"' in result.output and "Source: https://foia.wiki/wiki/Exemption_5" in \
        result.output
    one = runner.invoke(cli, ["letters", "exemptions", "b7e", "--json"])
    rows = json.loads(one.output)
    assert [r["exemption"] for r in rows] == ["(b)(7)(E)"] and rows[0]["verified"] is False
    assert B7E_WORDS in rows[0]["words"]


@pytest.mark.parametrize("bad", ["b10", "(b)(6)(C)", "seven"])
def test_letters_exemptions_refuses_what_is_not_an_exemption(bad):
    result = CliRunner().invoke(cli, ["letters", "exemptions", bad])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "is not an exemption; write it like b6, (b)(6) or (b)(7)(C)" in lines[0]
    assert "Traceback" not in result.output
