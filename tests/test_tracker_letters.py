"""`foia track followup` and `foia track appeal`: letters built from the request's history."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from foia.cli import cli

SIGNER = ["--requester-name", "Ana Reporter", "--requester-email", "ana@example.org"]


@pytest.fixture
def track(tmp_path, monkeypatch):
    monkeypatch.setenv("FOIA_USER", "ana")
    url = f"sqlite:///{tmp_path / 'q.db'}"

    def run(*args, ok=True):
        result = CliRunner().invoke(cli, ["track", "--db", url, *args])
        if ok:
            assert result.exit_code == 0, result.output
        return result

    return run


def test_followup_uses_tracking_number_dates_and_estimate(track, tmp_path):
    track("add", "--title", "ICM records", "--office", "ice", "--on", "2025-01-02", "--tracking-number",
          "2025-ICFO-12345")
    track("update", "1", "--estimated-completion", "2025-06-01", "--on", "2025-02-01")
    out = tmp_path / "letters"
    result = track("followup", "1", "--out", str(out), *SIGNER)
    path = next(out.glob("request-1-follow-up-*.txt"))
    assert f"Wrote {path} (follow-up letter for request 1; recorded in its history)." in result.output
    assert (path.stat().st_mode & 0o777) == 0o600
    text = path.read_text()
    assert "2025-ICFO-12345" in text and "January 2, 2025" in text and "June 1, 2025" in text
    assert "ICM records" in text and "Ana Reporter" in text
    shown = track("show", "1").output
    assert "follow-up letter drafted" in shown and str(path) not in shown       # the path is hidden
    assert str(path) in track("show", "1", "--identity").output


def test_followup_needs_a_tracking_number(track, tmp_path):
    track("add", "--title", "A", "--office", "ice", "--on", "2025-01-02")
    result = track("followup", "1", "--out", str(tmp_path), *SIGNER, ok=False)
    assert result.exit_code == 1
    assert result.output == ("Error: request 1 has no tracking number, and the letter needs one; record it with "
                             "`foia track update 1 --tracking-number NUMBER`\n")


def test_appeal_takes_the_determination_date_from_the_history(track, tmp_path):
    track("add", "--title", "FALCON records", "--office", "ice", "--on", "2025-01-02", "--tracking-number", "T-9")
    missing = track("appeal", "1", "--ground", "withholding", "--out", str(tmp_path), *SIGNER, ok=False)
    assert "request 1 has no determination recorded" in missing.output
    track("update", "1", "--status", "partial", "--on", "2025-03-03")
    result = track("appeal", "1", "--ground", "partial-withholding", "--exemption", "(b)(6)", "--out",
                   str(tmp_path), "--format", "md", *SIGNER)
    path = next(tmp_path.glob("request-1-appeal-*.md"))
    text = path.read_text()
    assert "Freedom of Information Act Appeal" in text and "T-9" in text and "March 3, 2025" in text
    assert "(b)(6)" in text
    assert "When you have sent it: foia track --db " in result.output and "update 1 --status appealed --on DATE" \
        in result.output
    # Drafting an appeal does not change the status: sending it does.
    assert "Status:    partial" in track("show", "1").output


def test_no_response_appeal_without_determination(track, tmp_path):
    track("add", "--title", "A", "--office", "ice", "--on", "2025-01-02", "--tracking-number", "T-1")
    track("appeal", "1", "--ground", "no-response", "--out", str(tmp_path), *SIGNER)
    assert list(tmp_path.glob("request-1-appeal-*.txt"))


def test_file_request_stores_the_letter_and_the_office_as_filed(tmp_path):
    from datetime import date

    from foia.directory import load_directory
    from foia.letters import build_letter
    from foia.tracker import file_request, open_tracker

    url = f"sqlite:///{tmp_path / 'q.db'}"
    d = load_directory()
    letter = build_letter("records", directory=d, office="ice", today=date(2025, 1, 2),
                          options={"system": "icm", "requester_name": "Ana Reporter",
                                   "requester_email": "ana@example.org", "fee_waiver": True,
                                   "requester_dissemination": "Articles and a public database."})
    rid = file_request(url, letter=letter, filed_on=date(2025, 1, 2), requester="Ana Reporter",
                       today=date(2025, 1, 10))
    t = open_tracker(url, today=date(2025, 1, 10))
    info = t.show(rid, identity=True)
    assert info["letter_text"] == letter.text and info["requester"] == "Ana Reporter"
    assert info["kind"] == "records" and info["status"] == "submitted" and info["filed_on"] == "2025-01-02"
    assert info["sent_via"] == "portal"              # DHS components: portal only (directory)
    assert info["fee_waiver"] is True
    snap = info["office_snapshot"]
    assert snap["office"] == "ice" and snap["portal"] == "https://www.dhs.gov/foia" and snap["taken_on"] == "2025-01-10"   # recorded on, from that day's directory
    assert any(c["type"] == "mail" for c in snap["channels"])
    assert "letter_text" not in t.show(rid)          # identity field: hidden unless asked
    t.store.dispose()


def test_bad_date_of_birth_is_not_echoed(track):
    result = track("add", "--title", "A", "--office", "uscis", "--client-dob", "03/02/1980", ok=False)
    assert result.exit_code == 2
    assert result.output == "Error: --client-dob: not a date; use YYYY-MM-DD\n"
