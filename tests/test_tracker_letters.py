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
    # The queue's title is the team's label, not what the office received: not pasted.
    assert "ICM records" not in text and "Ana Reporter" in text
    shown = track("show", "1").output
    assert "follow-up letter drafted" in shown and str(path) not in shown       # the path is hidden
    assert str(path) in track("show", "1", "--identity").output


def test_followup_without_a_tracking_number_names_the_filing(track, tmp_path):
    """An office that never answered never gave a number; `due` still says to follow up."""
    track("add", "--title", "ICM audit logs", "--office", "ice", "--on", "2025-01-02", "--sent-via", "portal")
    assert "followup 1\n" in track("due").output
    result = track("followup", "1", "--out", str(tmp_path), *SIGNER)
    text = next(tmp_path.glob("request-1-follow-up-*.txt")).read_text()
    assert "RE: Status of Freedom of Information Act request filed on January 2, 2025\n" in text
    assert ("I write about my Freedom of Information Act request filed on January 2, 2025 through the portal at "
            "https://www.dhs.gov/foia.") in text
    assert "Please also tell me the tracking number you gave it (5 U.S.C. 552(a)(7)(A))." in text
    assert "ended on January 31, 2025" in text
    assert "Wrote " in result.output


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


# -- the tracker's deadlines in the letters --------------------------------------------------


@pytest.fixture
def lib(tmp_path):
    """Tracker objects on one SQLite file with a fixed today, and a helper that drafts a letter
    and returns its text."""
    from datetime import date

    from foia.tracker import open_tracker
    from foia.tracker.filing import draft_letter

    url = f"sqlite:///{tmp_path / 'lib.db'}"
    opened = []

    def tracker(today: str):
        t = open_tracker(url, today=date.fromisoformat(today), actor="ana")
        opened.append(t)
        return t

    def letter(t, rid, kind, **kw):
        path, lt, _ = draft_letter(t, rid, kind, out_dir=tmp_path / "out", overwrite=True,
                                   requester={"requester_name": "Ana Reporter",
                                              "requester_email": "ana@example.org"}, **kw)
        return path.read_text(), lt

    yield tracker, letter
    for t in opened:
        t.store.dispose()


def _tolled_and_extended(t):
    """The reviewers' case: filed 2026-10-05, clarification asked 10-14 and answered 10-28, an
    extension notice of 11-02: the tracker says the determination is due 2026-12-03."""
    rid = t.add(title="ICM audit logs", office="ice", on="2026-10-05", tracking=["2027-ICFO-1"]).request_id
    t.update(rid, status="awaiting-clarification", on="2026-10-14")
    t.update(rid, status="in-progress", on="2026-10-28")
    t.update(rid, extension_notice="2026-11-02")
    assert next(d for d in t.show(rid)["deadlines"] if d["key"] == "determination")["due"] == "2026-12-03"
    return rid


def test_followup_uses_the_trackers_due_date_and_does_not_call_it_past(lib):
    tracker, letter = lib
    t = tracker("2026-11-30")
    rid = _tolled_and_extended(t)
    text, _ = letter(t, rid, "follow-up")
    assert "November 3, 2026" not in text and "ended on" not in text
    assert ("You asked me for clarification on October 14, 2026, and I answered on October 28, 2026; the time does "
            "not run while you await my answer (5 U.S.C. 552(a)(6)(A)(ii)(I)). Your notice of unusual circumstances "
            "dated November 2, 2026 extended the time by up to 10 working days (5 U.S.C. 552(a)(6)(B)(i)). Counting "
            "from the day I filed it, without the days it did not run, the 20 working days the statute allows for a "
            "determination (5 U.S.C. 552(a)(6)(A)(i)), with the 10 working days of the extension, end on "
            "December 3, 2026.") in text
    assert "5 U.S.C. 552(a)(7)(B)" in text


def test_no_response_appeal_waits_for_the_trackers_due_date(lib):
    from foia.errors import FoiaError

    tracker, letter = lib
    rid = _tolled_and_extended(tracker("2026-11-30"))
    with pytest.raises(FoiaError) as err:
        letter(tracker("2026-12-03"), rid, "appeal", grounds=["no-response"])
    assert err.value.message == (
        f"request {rid}: the determination is not due until 2026-12-03; a no-response appeal needs an overdue "
        f"determination (5 U.S.C. 552(a)(6)(C)(i)); until then send a status inquiry: foia track followup {rid}")
    text, _ = letter(tracker("2026-12-04"), rid, "appeal", grounds=["no-response"])
    assert "with the 10 working days of the extension, ended on December 3, 2026." in text
    assert "November 3, 2026" not in text
    assert "Under 5 U.S.C. 552(a)(6)(C)(i) I am therefore deemed to have exhausted my administrative remedies" in text
    assert "treat the request as denied" not in text
    # The day after the due date the tracker itself lets the appeal be recorded.
    tracker("2026-12-04").update(rid, status="appealed", on="2026-12-04")


def test_followup_counts_from_receipt_and_from_a_misdirected_first_receipt(lib):
    tracker, letter = lib
    t = tracker("2026-11-30")
    rid = t.add(title="A", office="ice", on="2026-09-01", tracking=["T-1"]).request_id
    t.update(rid, received="2026-09-15")
    text, _ = letter(t, rid, "follow-up")
    due = next(d for d in t.show(rid)["deadlines"] if d["key"] == "determination")["due"]
    assert due == "2026-10-14"
    assert ("You received it on September 15, 2026. Counting from the day you received it, the 20 working days the "
            "statute allows for a determination (5 U.S.C. 552(a)(6)(A)(i)) ended on October 14, 2026.") in text
    other = t.add(title="B", office="ice", on="2026-09-01", tracking=["T-2"]).request_id
    t.update(other, received="2026-10-20", first_received="2026-09-02")
    text, _ = letter(t, other, "follow-up")
    assert ("It first reached another office on September 2, 2026; the time runs from receipt by your office, but no "
            "later than 10 working days after that first receipt (5 U.S.C. 552(a)(6)(A)(ii); 6 CFR 5.5(a)). "
            "Counting from September 17, 2026, the 20 working days") in text


def test_followup_about_an_overdue_appeal_decision_asks_about_the_appeal(track, tmp_path):
    track("add", "--title", "ICM audit logs", "--office", "ice", "--on", "2025-01-02", "--tracking-number",
          "2025-ICFO-1")
    track("update", "1", "--status", "denied", "--on", "2025-02-03")
    track("update", "1", "--status", "appealed", "--on", "2025-03-03", "--received", "2025-03-05",
          "--tracking-number", "2025-ICAP-00154:appeal")
    assert "Overdue appeal decisions (1)" in track("due").output
    result = track("followup", "1", "--out", str(tmp_path), *SIGNER)
    text = next(tmp_path.glob("request-1-follow-up-*.txt")).read_text()
    assert "\nFOIA Appeals Officer\nU.S. Immigration and Customs Enforcement\n" in text
    assert "RE: Status of Freedom of Information Act Appeal 2025-ICAP-00154 (request 2025-ICFO-1)\n" in text
    assert "Dear Appeals Officer:" in text
    assert ("I write about my appeal 2025-ICAP-00154, sent on March 3, 2025 and received on March 5, 2025, "
            "concerning my Freedom of Information Act request 2025-ICFO-1, filed on January 2, 2025. "
            "Counting from the day you received it, the 20 working days the statute allows for a decision on "
            "an appeal (5 U.S.C. 552(a)(6)(A)(ii); 6 CFR 5.8(d)) ended on April 2, 2025.") in text
    assert "Please tell me the status of the appeal" in text
    assert "determination (5 U.S.C. 552(a)(6)(A)(i))" not in text and "552(a)(7)(B)" not in text
    assert "unverified: The address and email of ICE's appeals office" in result.stderr


def test_followup_about_a_late_expedite_decision_names_it(track, tmp_path):
    track("add", "--title", "A", "--office", "ice", "--on", "2025-01-02", "--tracking-number", "T-1", "--expedite")
    assert "Late expedite decisions (1)" in track("due").output
    track("followup", "1", "--out", str(tmp_path), *SIGNER)
    text = next(tmp_path.glob("request-1-follow-up-*.txt")).read_text()
    assert ("I asked for expedited processing of the request. A decision on it was due within 10 calendar days "
            "(5 U.S.C. 552(a)(6)(E)(ii)(I); 6 CFR 5.5(e)(4)), by January 12, 2025, and I have not received it. "
            "Please tell me your decision on expedited processing.") in text


def test_followup_cites_the_offices_own_number(track, tmp_path):
    track("add", "--title", "A", "--office", "ice", "--on", "2025-01-02", "--tracking-number", "2025-ICFO-7")
    track("update", "1", "--tracking-number", "CBP-2025-9:referral", "--on", "2025-02-01")
    track("followup", "1", "--out", str(tmp_path), *SIGNER)
    text = next(tmp_path.glob("request-1-follow-up-*.txt")).read_text()
    assert "RE: Status of Freedom of Information Act request 2025-ICFO-7\n" in text
    assert "request 2025-ICFO-7 (also numbered CBP-2025-9), filed on January 2, 2025" in text


def test_appeal_on_several_grounds_cites_the_determination_appealed(track, tmp_path):
    track("add", "--title", "A", "--office", "ice", "--on", "2025-01-02", "--tracking-number", "T-9", "--expedite")
    track("update", "1", "--expedite-decision", "denied", "--on", "2025-01-10")
    track("update", "1", "--status", "denied", "--on", "2025-03-03")
    track("appeal", "1", "--ground", "withholding", "--ground", "expedite-denied", "--exemption", "b6",
          "--out", str(tmp_path), *SIGNER)
    text = next(tmp_path.glob("request-1-appeal-*.txt")).read_text()
    assert "I appeal the determination of March 3, 2025 on my Freedom of Information Act request T-9" in text
    assert "January 10, 2025" in text and "denied my request for expedited processing on January 10, 2025." in text
    assert ("The ICE FOIA Office withheld the requested records in full, citing exemption (b)(6) of 5 U.S.C. 552. "
            "I ask you to review each withholding, release every record or part of a record that the cited exemption "
            "does not cover") in text


def test_appeal_without_exemptions_names_the_option_that_exists(track, tmp_path):
    track("add", "--title", "A", "--office", "cbp", "--on", "2025-01-02", "--tracking-number", "T-9")
    track("update", "1", "--status", "denied", "--on", "2025-03-03")
    result = track("appeal", "1", "--ground", "withholding", "--out", str(tmp_path), *SIGNER)
    assert ('Warning: note: name each exemption the agency cited (--exemption "(b)(6)", repeated for each) so the '
            "appeal answers each") in result.output
    text = next(tmp_path.glob("request-1-appeal-*.txt")).read_text()
    assert "1. U.S. Customs and Border Protection withheld the requested records in full." in text
    result = track("appeal", "1", "--ground", "withholding", "--exemption", "b6", "--exemption", "(b)(7)(C)",
                   "--out", str(tmp_path), "--overwrite", *SIGNER)
    text = next(tmp_path.glob("request-1-appeal-*.txt")).read_text()
    assert "citing exemptions (b)(6) and (b)(7)(C) of 5 U.S.C. 552" in text and "cited exemptions do not" in text


def test_first_party_letters_name_both_acts_and_are_signed_by_the_client(track, tmp_path):
    track("add", "--title", "First-party request (Privacy Act + FOIA) to ICE", "--kind", "self", "--office", "ice",
          "--on", "2025-01-02", "--tracking-number", "T-5", "--client-name", "Rosa Martinez", "--requester",
          "Ana Reporter")
    track("followup", "1", "--out", str(tmp_path), "--requester-email", "rosa@example.org")
    text = next(tmp_path.glob("request-1-follow-up-*.txt")).read_text()
    assert "RE: Status of Privacy Act and Freedom of Information Act request T-5\n" in text
    assert "my Privacy Act and Freedom of Information Act request T-5, filed on January 2, 2025, for records about me" \
        in text
    assert text.endswith("Sincerely,\n\nRosa Martinez\n") and "Ana Reporter" not in text
    track("update", "1", "--status", "denied", "--on", "2025-03-03")
    result = track("appeal", "1", "--ground", "withholding", "--exemption", "b6", "--out", str(tmp_path),
                   "--requester-email", "rosa@example.org")
    text = next(tmp_path.glob("request-1-appeal-*.txt")).read_text()
    assert "RE: Privacy Act and Freedom of Information Act Appeal: request T-5\n" in text
    assert ("I made the request under the Privacy Act, 5 U.S.C. 552a, and the Freedom of Information Act, "
            "5 U.S.C. 552, and I appeal under both, to the extent each allows.") in text
    assert "5.25" not in text
    assert "unverified: Privacy Act appeals: 90 working days to the component Appeals Officer (6 CFR 5.25" \
        in result.output
    refused = track("appeal", "1", "--ground", "withholding", "--out", str(tmp_path), "--overwrite",
                    "--requester-name", "Ana Reporter", ok=False)
    assert refused.exit_code == 2 and refused.output.startswith("Error: --requester-name: request 1 is a first-party")


def test_followup_after_the_answer_does_not_recount_the_deadline(track, tmp_path):
    track("add", "--title", "A", "--office", "ice", "--on", "2025-01-02", "--tracking-number", "T-1")
    track("update", "1", "--status", "partial", "--on", "2025-03-03")
    track("followup", "1", "--out", str(tmp_path), *SIGNER)
    text = next(tmp_path.glob("request-1-follow-up-*.txt")).read_text()
    assert "I write about my Freedom of Information Act request T-1, filed on January 2, 2025.\n" in text
    assert "working days" not in text


# -- letters state what the clocks applied; on SQLite and PostgreSQL, today 2026-11-30 --------


@pytest.fixture
def both(db_url, monkeypatch):
    """`foia track --db URL ...` on each backend (conftest's db_url), today fixed at Mon 2026-11-30."""
    from datetime import date

    from tracker_support import track_runner

    from foia.tracker.context import TrackerContext

    monkeypatch.setenv("FOIA_USER", "ana")
    monkeypatch.setattr(TrackerContext, "today", lambda self: self._today or date(2026, 11, 30))
    return track_runner(db_url)


def _letter(run, tmp_path, kind="followup", *args):
    out = tmp_path / "letters"
    run(kind, "1", *args, "--out", str(out), "--overwrite", *SIGNER)
    return next(out.glob(f"request-1-{kind.replace('followup', 'follow-up')}-*.txt")).read_text()


def _one_error(result, needle):
    lines = result.output.strip().splitlines()
    assert result.exit_code != 0 and len(lines) == 1 and lines[0].startswith("Error: "), result.output
    assert needle in lines[0], lines[0]


def _filed(run, on="2025-03-03"):
    run("add", "--title", "Records about X", "--office", "ice", "--on", on, "--tracking-number", "N1")


@pytest.mark.pure
def test_followup_states_only_the_clarification_stop_that_stopped_the_clock(both, tmp_path):
    _filed(both)
    for status, on in (("awaiting-clarification", "2025-03-10"), ("in-progress", "2025-03-20"),
                       ("awaiting-clarification", "2025-03-24"), ("in-progress", "2025-04-20")):
        both("update", "1", "--status", status, "--on", on)
    text = " ".join(_letter(both, tmp_path).split())
    # Mon 2025-03-03 + 20 working days -> Mon 03-31; the first stay (03-10, 03-20] skips 8 -> Thu 04-10.
    # The second stay does not stop the clock, and the letter says so.
    assert ("You asked me for clarification on March 10, 2025, and I answered on March 20, 2025; the time does not "
            "run while you await my answer (5 U.S.C. 552(a)(6)(A)(ii)(I)). You asked me for clarification again on "
            "March 24, 2025, and I answered on April 20, 2025; the time may be stopped only once to ask for "
            "information (5 U.S.C. 552(a)(6)(A)(ii)(I)), so it ran meanwhile. Counting from the day I filed it, "
            "without the days it did not run, the 20 working days the statute allows for a determination "
            "(5 U.S.C. 552(a)(6)(A)(i)) ended on April 10, 2025.") in text
    assert "Determination due: 2025-04-10 (Thu) [overdue" in both("show", "1").output


@pytest.mark.pure
def test_followup_does_not_end_a_stop_at_the_drafts_typing_date(both, tmp_path):
    both("add", "--title", "t", "--office", "ice", "--draft")
    both("update", "1", "--status", "submitted", "--on", "2026-10-01")
    both("update", "1", "--status", "awaiting-clarification", "--on", "2026-10-10")
    text = " ".join(_letter(both, tmp_path).split())
    assert ("You asked me for clarification on October 10, 2026; the time does not run while you await my answer "
            "(5 U.S.C. 552(a)(6)(A)(ii)(I)).") in text
    assert "I answered" not in text and "working days" not in text


@pytest.mark.pure
def test_followup_names_the_extension_notice_the_appeal_clock_counted(both, tmp_path):
    _filed(both, "2025-01-02")
    # Typed before the appeal, dated after it: derive counts it on the appeal's clock.
    both("update", "1", "--extension-notice", "2025-02-20")
    both("update", "1", "--status", "appealed", "--on", "2025-02-18")
    assert "Appeal decision due: 2025-04-01 (Tue)" in both("show", "1").output
    text = " ".join(_letter(both, tmp_path).split())
    # Tue 2025-02-18 + 20 working days -> Tue 03-18; + 10 -> Tue 2025-04-01.
    assert ("Your notice of unusual circumstances dated February 20, 2025 extended the time by up to 10 working days "
            "(5 U.S.C. 552(a)(6)(B)(i)). Counting from the day I sent it, the 20 working days the statute allows for "
            "a decision on an appeal (5 U.S.C. 552(a)(6)(A)(ii); 6 CFR 5.8(d)), with the 10 working days of the "
            "extension, ended on April 1, 2025.") in text


@pytest.mark.pure
def test_no_appeal_letter_for_the_determination_a_remand_decided(both, tmp_path):
    _filed(both)
    for status, on in (("denied", "2026-08-20"), ("appealed", "2026-09-01"), ("remanded", "2026-10-01")):
        both("update", "1", "--status", status, "--on", on)
    for ground in ("withholding", "no-response"):
        result = both("appeal", "1", "--ground", ground, "--out", str(tmp_path / "letters"), *SIGNER, ok=False)
        _one_error(result, "request 1 was remanded on 2026-10-01 and no new determination has been recorded since")
    assert not (tmp_path / "letters").exists()
    assert "letter drafted" not in both("show", "1").output
    # The new determination is the one appealed.
    both("update", "1", "--status", "denied", "--on", "2026-11-02")
    text = " ".join(_letter(both, tmp_path, "appeal", "--ground", "withholding").split())
    assert "I appeal the determination of November 2, 2026 on my" in text and "August 20, 2026" not in text
    both("update", "1", "--status", "appealed", "--on", "2026-11-30")


@pytest.mark.pure
def test_followup_about_an_overdue_determination_asks_the_foia_office_during_a_side_appeal(both, tmp_path):
    _filed(both)
    both("update", "1", "--fee-denied", "100", "--on", "2025-03-05")
    both("update", "1", "--status", "appealed", "--appeal-of", "fee-waiver-denial", "--on", "2025-03-06")
    assert "Overdue determinations (1)" in both("due").output
    raw = _letter(both, tmp_path)
    text = " ".join(raw.split())
    assert "\nICE FOIA Office\n" in raw and "Dear FOIA Officer:" in text and "Appeals Officer" not in text
    assert ("Counting from the day I filed it, the 20 working days the statute allows for a determination "
            "(5 U.S.C. 552(a)(6)(A)(i)) ended on March 31, 2025. My appeal of the denial of my request for a fee "
            "waiver, sent on March 6, 2025, awaits a decision as well: the 20 working days the statute allows for "
            "it (5 U.S.C. 552(a)(6)(A)(ii); 6 CFR 5.8(d)) ended on April 3, 2025.") in text
    assert "as 5 U.S.C. 552(a)(7)(B) requires" in text


@pytest.mark.pure
def test_followup_during_a_side_appeal_asks_the_appeals_officer_while_the_determination_is_not_due(both, tmp_path):
    _filed(both, "2026-11-02")     # determination due Wed 2026-12-02
    both("update", "1", "--fee-denied", "100", "--on", "2026-11-05")
    both("update", "1", "--status", "appealed", "--appeal-of", "fee-waiver-denial", "--on", "2026-11-06")
    text = " ".join(_letter(both, tmp_path).split())
    assert "Dear Appeals Officer:" in text
    assert ("I write about my appeal of the denial of my request for a fee waiver, sent on November 6, 2026, "
            "concerning my Freedom of Information Act request N1") in text


def test_followup_describes_the_request_as_filed_not_by_its_queue_title(track, tmp_path):
    letter = tmp_path / "sent.txt"
    letter.write_text("Ana Reporter\n\nRE: Freedom of Information Act Request: award 70CTD022FR0000170 (Palantir "
                      "Technologies)\n\nDear FOIA Officer:\n")
    track("add", "--title", "ICE Palantir ImmigrationOS contract", "--office", "ice", "--on", "2025-01-02",
          "--tracking-number", "2025-ICFO-7", "--letter", str(letter))
    track("followup", "1", "--out", str(tmp_path / "out"), *SIGNER)
    text = next((tmp_path / "out").glob("request-1-follow-up-*.txt")).read_text()
    assert ("request 2025-ICFO-7, filed on January 2, 2025, for records about award 70CTD022FR0000170 (Palantir "
            "Technologies).") in text
    assert "ImmigrationOS" not in text


def test_followup_writes_every_format_asked(track, tmp_path):
    import email
    from email import policy

    track("add", "--title", "ICM records", "--office", "ice", "--on", "2025-01-02", "--tracking-number", "T-2")
    out = tmp_path / "out"
    result = track("followup", "1", "--out", str(out), "--format", "docx", "--format", "eml", "--format", "txt",
                   *SIGNER)
    names = sorted(p.name for p in out.iterdir())
    stem = names[0].rsplit(".", 1)[0]
    assert names == [f"{stem}.docx", f"{stem}.eml", f"{stem}.txt"]
    assert f"Wrote {out / names[0]}, {out / names[1]}, {out / names[2]} (follow-up letter" in result.output
    raw = (out / f"{stem}.eml").read_bytes()
    msg = email.message_from_bytes(raw, policy=policy.default)
    assert msg["To"] == "ICE FOIA Office <ice-foia@ice.dhs.gov>"
    assert msg.get_body(("plain",)).get_content().replace("\r\n", "\n") == (out / f"{stem}.txt").read_text()
    assert max(len(line) for line in raw.split(b"\r\n")) <= 78
    # One letter event for the three files; asking again refuses before writing anything.
    assert track("show", "1").output.count("follow-up letter drafted") == 1
    again = track("followup", "1", "--out", str(out), "--format", "md", "--format", "txt", *SIGNER, ok=False)
    assert "already exists; pass --overwrite" in again.output
    assert not (out / f"{stem}.md").exists()


def _profile(path, name, email, address):
    from foia.profile import Profile, save_profile

    return save_profile(Profile(name=name, email=email, address=address), path)


def test_letters_carry_the_requesters_contact_details_recorded_with_the_request(track, tmp_path):
    _profile(None, "Ana Ruiz", "ana@example.org", "9 Side Rd\nMesa, AZ 85201")        # whoever runs the command
    track("add", "--title", "ICM records", "--office", "ice", "--on", "2025-01-02", "--tracking-number", "T-3",
          "--requester", "Atty Jane Roe", "--requester-email", "jane@clinic.example.org",
          "--requester-address", "1 Court St\\nTucson, AZ 85701", "--requester-phone", "520-555-0100")
    track("followup", "1", "--out", str(tmp_path / "a"))
    text = next((tmp_path / "a").glob("*.txt")).read_text()
    assert text.startswith("Atty Jane Roe\n1 Court St\nTucson, AZ 85701\njane@clinic.example.org\n520-555-0100\n")
    assert "ana@example.org" not in text and "Mesa" not in text and text.rstrip().endswith("Atty Jane Roe")
    # Identity data: shown on request only, gone after a purge.
    assert "jane@clinic" not in track("show", "1").output
    assert ("  Reply to:  jane@clinic.example.org; 520-555-0100; 1 Court St, Tucson, AZ 85701"
            in track("show", "1", "--identity").output)
    track("purge", "1", "--yes")
    assert "Reply to" not in track("show", "1", "--identity").output


def test_a_signer_who_is_not_the_profiles_owner_is_refused_unless_confirmed(track, tmp_path):
    _profile(None, "Ana Ruiz", "ana@example.org", "9 Side Rd\nMesa, AZ 85201")
    jane = _profile(tmp_path / "jane.yaml", "Atty Jane Roe", "jane@clinic.example.org", "1 Court St\nTucson, AZ")
    track("add", "--title", "ICM records", "--office", "ice", "--on", "2025-01-02", "--tracking-number", "T-4",
          "--requester", "Atty Jane Roe")
    refused = track("followup", "1", "--out", str(tmp_path / "x"), ok=False)
    assert refused.output.strip() == (
        "Error: request 1 is signed by its requester, who is not the person in the profile used: the letter would "
        "give the agency the profile's email and address for the reply; pass --profile FILE (the signer's), "
        "--requester-email/--requester-address, or --confirm-signer to send it so")
    assert not (tmp_path / "x").exists()
    track("followup", "1", "--out", str(tmp_path / "j"), "--profile", str(jane))
    assert "jane@clinic.example.org" in next((tmp_path / "j").glob("*.txt")).read_text()
    track("followup", "1", "--out", str(tmp_path / "c"), "--confirm-signer", "--format", "md")
    assert "ana@example.org" in next((tmp_path / "c").glob("*.md")).read_text()
    missing = track("appeal", "1", "--ground", "no-response", "--profile", str(tmp_path / "none.yaml"), ok=False)
    assert "none.yaml not found; create it with `foia profile init` or check --profile" in missing.output


def test_draft_track_keeps_the_contact_details_of_the_letter(tmp_path, monkeypatch):
    import json

    url = f"sqlite:///{tmp_path / 'q.db'}"
    r = CliRunner().invoke(cli, ["draft", "records", "--system", "icm", "--to", "ICE", "--requester-name", "Bo Lee",
                                 "--requester-email", "bo@example.org", "--requester-phone", "555-0101",
                                 "--out", str(tmp_path / "l"), "--track", "--db", url])
    assert r.exit_code == 0, r.output
    shown = json.loads(CliRunner().invoke(cli, ["track", "--db", url, "show", "1", "--identity", "--json"]).output)
    assert shown["requester"] == "Bo Lee"
    assert shown["requester_contact"] == {"email": "bo@example.org", "phone": "555-0101"}
    redacted = json.loads(CliRunner().invoke(cli, ["track", "--db", url, "export", "--format", "json",
                                                   "--redact"]).output)
    assert "requester_contact" not in redacted["requests"][0]
