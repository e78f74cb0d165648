"""The tracker's clocks as a practitioner checks them (issue 14), on SQLite and PostgreSQL. Dates
counted by hand; "today" is 2026-11-30. Each test fails on the tracker as it was before it."""

from __future__ import annotations

import csv
import io
import json

import pytest

from foia.tracker.context import TrackerContext


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    from datetime import date

    monkeypatch.setenv("FOIA_USER", "ana")
    monkeypatch.setattr(TrackerContext, "today", lambda self: self._today or date(2026, 11, 30))


# -- 3. a late extension notice does not take away constructive exhaustion --------------------------


@pytest.mark.pure
def test_late_extension_notice_keeps_the_statutory_date_and_the_appeal_of_silence(track):
    # Thu 2026-10-01 + 20 working days (10-12 Columbus Day skipped) -> Fri 2026-10-30.
    track("add", "--title", "t", "--office", "ice", "--on", "2026-10-01")
    track("update", "1", "--received", "2026-10-01")
    out = track("update", "1", "--extension-notice", "2026-11-05").output
    assert "Determination due: 2026-10-30 (Fri) [overdue" in out
    shown = track("show", "1").output
    assert "Statutory due date 2026-10-30; the notice would claim up to 2026-11-16" in shown
    assert "Exhaustion: from 2026-10-31 (constructive, if there is no determination by 2026-10-30" in shown
    # Refused before: the notice had moved the due date to 2026-11-16.
    out = track("update", "1", "--status", "appealed", "--appeal-of", "no-response", "--on", "2026-11-10").output
    assert "Appealed on 2026-11-10 (of the agency's silence)" in out
    assert "Exhaustion: from 2026-10-31 (constructive, no determination by 2026-10-30" in track("show", "1").output


# -- 6. the appeal of an expedite denial is owed expeditious consideration ---------------------------


@pytest.mark.pure
def test_appeal_of_an_expedite_denial_is_owed_expeditious_consideration(track):
    track("add", "--title", "t", "--office", "ice", "--on", "2026-11-02", "--expedite")
    track("update", "1", "--expedite-decision", "denied", "--on", "2026-11-05")
    track("update", "1", "--status", "appealed", "--on", "2026-11-24", "--appeal-of", "expedite-denial")
    shown = track("show", "1").output
    assert "Appeal decision due (expeditious consideration): 2026-12-23 (Wed) [open]  5 U.S.C. " \
           "552(a)(6)(E)(ii)(II); at the latest" in shown
    assert "is owed expeditious consideration (5 U.S.C. 552(a)(6)(E)(ii)(II)), not a 20-working-day allowance" \
        in shown


# -- 8. closures lengthen the agency's clocks but not the requester's windows -------------------------


@pytest.mark.pure
def test_closures_do_not_lengthen_the_appeal_window(track):
    # Determination 2025-12-22: 90 working days without the Executive Order 14371 closures
    # (Dec 24, 26) end on 2026-05-01; counting them would give until 2026-05-05.
    track("add", "--title", "t", "--office", "ice", "--on", "2025-11-21")
    out = track("update", "1", "--status", "denied", "--on", "2025-12-22").output
    assert "Appeal deadline (denied): 2026-05-01 (Fri)" in out
    shown = track("show", "1").output
    assert "act by 2026-05-01, counted without the closures" in shown
    assert "counting them would give until 2026-05-05" in shown


@pytest.mark.pure
def test_closures_lengthen_the_determination(track):
    # Mon 2025-12-08 + 20 working days, with Dec 24 and 26 closed -> Fri 2026-01-09 (not 01-07).
    track("add", "--title", "t", "--office", "ice", "--on", "2025-12-08")
    assert "Determination due: 2026-01-09 (Fri)" in track("show", "1").output


# -- 9. no receipt date: counted from sending -----------------------------------------------------


@pytest.mark.pure
def test_without_a_receipt_date_the_clock_says_it_counts_from_sending(track, tmp_path):
    track("add", "--title", "t", "--office", "ice", "--on", "2026-11-02", "--sent-via", "mail")
    shown = track("show", "1").output
    assert "6 CFR 5.5(a); counted from sending, not receipt" in shown
    assert "Determination due counted from sending, not receipt: the office's receipt date is not recorded" in shown
    ics = track("export", "--format", "ics").output
    # iCalendar folds long lines and escapes commas (RFC 5545).
    assert "counted from sending\\, not receipt" in ics.replace("\r\n ", "").replace("\n ", "")
    track("update", "1", "--received", "2026-11-04")
    assert "counted from sending" not in track("show", "1").output


# -- 10. a full grant opens an appeal window ------------------------------------------------------


@pytest.mark.pure
def test_a_full_grant_opens_an_appeal_window_with_its_caveat(track, tmp_path):
    track("add", "--title", "t", "--office", "ice", "--on", "2026-11-02")
    out = track("update", "1", "--status", "fulfilled", "--on", "2026-11-20").output
    # Fri 2026-11-20 + 90 working days: 5 fewer than from 2026-11-30 (2027-04-09, test_tracker_clock)
    # -> Fri 2027-04-02.
    assert "Appeal deadline (full grant: adequacy of the search): 2027-04-02 (Fri) [open]" in out
    assert "the adequacy of the search may be appealed in it" in track("show", "1").output
    written = track("appeal", "1", "--ground", "inadequate-search", "--out", str(tmp_path), "--requester-name",
                    "Ana Ruiz", "--requester-email", "ana@example.org").output
    assert "Wrote" in written


# -- 18. litigation readiness ---------------------------------------------------------------------


def _appeal_denied(track):
    """Request 1: denied 2026-08-20, its appeal denied 2026-09-15."""
    track("add", "--title", "t", "--office", "ice", "--on", "2026-08-03")
    track("update", "1", "--received", "2026-08-03")
    track("update", "1", "--status", "denied", "--on", "2026-08-20")
    track("update", "1", "--status", "appealed", "--on", "2026-09-01")
    track("update", "1", "--status", "appeal-denied", "--on", "2026-09-15")


@pytest.mark.pure
def test_show_gives_actual_exhaustion_and_the_limitations_period(track):
    _appeal_denied(track)
    assert "Exhaustion: from 2026-09-15 (actual, the appeal was denied on 2026-09-15); the 6-year limitations " \
           "period (28 U.S.C. 2401(a)) then ends on 2032-09-15." in track("show", "1").output


# In litigation, the answer due 30 days after service (5 U.S.C. 552(a)(4)(C), unverified:
# foia/tracker/litigation.py).

ANSWER_UNVERIFIED = ("UNVERIFIED: from https://foia.wiki/wiki/Service_and_Answers, not foia's fact sheet; "
                     "calendar days, not moved off a weekend or holiday; check the summons and the court's orders")


def test_show_and_exports_give_the_answer_due_30_days_after_service(track):
    _appeal_denied(track)
    out = track("update", "1", "--status", "in-litigation", "--on", "2026-10-05", "--served", "2026-10-09").output
    # 2026-10-09 + 30 calendar days = Sun 2026-11-08 (not moved: foia's sources do not say it is).
    line = ("Answer due: 2026-11-08 (30 days after service on 2026-10-09, 5 U.S.C. 552(a)(4)(C); "
            f"{ANSWER_UNVERIFIED}).")
    assert line in out
    shown = track("show", "1").output
    assert line in shown and "2026-10-09  #8     complaint served on the agency (ana)" in shown
    # Exhaustion stays as it was.
    assert "Exhaustion: from 2026-09-15 (actual, the appeal was denied on 2026-09-15)" in shown
    row = next(csv.DictReader(io.StringIO(track("export", "--format", "csv").output)))
    assert (row["answer_due"], row["answer_due_how"]) == (
        "2026-11-08", f"30 days after service on 2026-10-09, 5 U.S.C. 552(a)(4)(C); {ANSWER_UNVERIFIED}")
    derived = json.loads(track("export", "--format", "json").output)["requests"][0]["derived"]
    assert derived["answer_due"] == "2026-11-08" and ANSWER_UNVERIFIED in derived["answer_due_how"]


def test_a_later_service_moves_the_answer_and_a_request_without_one_has_none(track):
    _appeal_denied(track)
    track("add", "--title", "other", "--office", "ice", "--on", "2026-08-03")
    track("update", "1", "--status", "in-litigation", "--on", "2026-10-05")
    assert "Answer due" not in track("show", "1").output
    track("update", "1", "--served", "2026-10-09")
    track("update", "1", "--served", "2026-10-20")   # served again (an amended complaint)
    assert "Answer due: 2026-11-19 (30 days after service on 2026-10-20" in track("show", "1").output
    rows = list(csv.DictReader(io.StringIO(track("export", "--format", "csv").output)))
    assert [r["answer_due"] for r in rows] == ["2026-11-19", ""]


@pytest.mark.pure
def test_served_is_refused_outside_litigation_and_in_the_future(track):
    _appeal_denied(track)
    bad = track("update", "1", "--served", "2026-10-09", ok=False)
    assert bad.exit_code == 2
    assert bad.output.strip().splitlines() == [
        "Error: --served: request 1 is not in litigation on 2026-10-09; record the lawsuit with --status "
        "in-litigation --on DATE (the day the complaint was filed), then the service"]
    # Served before the complaint was filed: refused too, and nothing is written.
    bad = track("update", "1", "--status", "in-litigation", "--on", "2026-10-05", "--served", "2026-10-01", ok=False)
    assert bad.exit_code == 2 and "is not in litigation on 2026-10-01" in bad.output
    assert "in-litigation" not in track("show", "1").output
    track("update", "1", "--status", "in-litigation", "--on", "2026-10-05")
    future = track("update", "1", "--served", "2026-12-09", ok=False)
    assert future.exit_code != 0 and "--served" in future.output and "Traceback" not in future.output


# -- 19. expedite asked later; fee thresholds ----------------------------------------------------------


@pytest.mark.pure
def test_expedite_asked_after_filing_runs_ten_days_from_its_own_date(track):
    track("add", "--title", "t", "--office", "ice", "--on", "2026-11-02")
    out = track("update", "1", "--expedite-asked", "2026-11-16").output
    # 10 calendar days from 2026-11-16 (not from the filing on 11-02, which would be 11-12).
    assert "Expedite decision due: 2026-11-26 (Thu)" in out
    track("add", "--title", "u", "--office", "ice", "--on", "2026-11-02", "--expedite")
    bad = track("update", "2", "--expedite-asked", "2026-11-16", ok=False)
    assert bad.exit_code != 0 and "asked for expedited processing when it was filed" in bad.output


@pytest.mark.pure
def test_fee_events_are_checked_against_the_thresholds(track):
    track("add", "--title", "t", "--office", "ice", "--on", "2026-11-02")
    out = track("update", "1", "--fee-advance", "100").output
    assert "advance payment may be required only when the fee is likely to exceed $250" in out
    assert "(5 U.S.C. 552(a)(4)(A)(v))" in out
    out = track("update", "1", "--fee-assessed", "60").output
    assert "without an earlier estimate: filing commits you to pay up to $25" in out
    track("add", "--title", "u", "--office", "ice", "--on", "2026-11-02")
    track("update", "2", "--fee-estimated", "300")
    out = track("update", "2", "--fee-advance", "300", "--fee-assessed", "300").output
    assert "Warning" not in out


# -- 17. referrals --------------------------------------------------------------------------------


def test_a_referral_is_a_tracked_child_with_its_own_clock_shown_under_its_parent(track):
    track("add", "--title", "First-party request to ICE", "--office", "ice", "--on", "2026-10-01")
    out = track("add", "--title", "NCIC entries referred by ICE", "--office", "fbi", "--on", "2026-11-02",
                "--referred-from", "1", "--tracking-number", "1234567-000:referral").output
    assert "Request 2 recorded" in out
    # Its own receipt date and clock: Wed 2026-11-04 + 20 working days (11-11, 11-26 skipped) -> Fri 12-04.
    out = track("update", "2", "--received", "2026-11-04").output
    assert "Determination due: 2026-12-04 (Fri) [open]" in out
    parent = track("show", "1").output
    assert "Referrals:\n  #2 fbi: submitted; tracking 1234567-000; agency due 2026-12-04" in parent
    assert "referred to fbi" in parent
    assert "Referred from request 1" in track("show", "2").output
    bad = track("add", "--title", "x", "--office", "fbi", "--on", "2026-09-01", "--referred-from", "1", ok=False)
    assert "a referral comes after request 1 was filed" in bad.output
