"""The rest of issue 14, on SQLite and PostgreSQL: Privacy Act amendment clocks (item 15), dates
counted from sending in `due` and the exports (item 9), exhaustion and the limitations period in
the exports (item 18). Dates counted by hand; "today" is 2026-11-30. Each test fails on the
tracker as it was before it."""

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


# -- 15. Privacy Act amendment: 10 days to acknowledge, 30 to decide the review ---------------------


@pytest.mark.pure
def test_an_amendment_request_runs_the_privacy_act_clocks_not_the_foia_ones(track, tmp_path):
    track("add", "--title", "Correct the ICM entry", "--office", "ice", "--kind", "amendment", "--on", "2026-11-02")
    out = track("update", "1", "--received", "2026-11-02").output
    # Mon 2026-11-02 + 10 working days (11-11 Veterans Day skipped) -> Tue 2026-11-17.
    assert "Amendment acknowledgement due: 2026-11-17 (Tue) [overdue, 8 working days late]  (5 U.S.C. 552a(d)(2))" \
        in out
    shown = track("show", "1").output
    assert "Determination due" not in shown and "Exhaustion" not in shown
    assert "promptly correct the record or refuse (5 U.S.C. 552a(d)(2)): the statute sets no number of days" in shown
    due = track("due").output
    assert "Overdue Privacy Act amendment clocks (1):\n  #1 Correct the ICM entry (ice, submitted): amendment " \
           "acknowledgement due 2026-11-17, 8 working days late" in due
    assert "followup 1" not in due
    refused = track("followup", "1", "--out", str(tmp_path), "--requester-name", "Ana Ruiz", ok=False)
    assert refused.exit_code != 0 and "request 1 is a Privacy Act amendment" in refused.output

    out = track("update", "1", "--status", "denied", "--on", "2026-11-20").output
    assert "Appeal deadline" not in out
    assert "you may ask for a review of the refusal (5 U.S.C. 552a(d)(3))" in out
    # Mon 2026-11-23 + 30 working days (Thanksgiving, Christmas, New Year's Day skipped) -> Thu 2027-01-07.
    out = track("update", "1", "--status", "appealed", "--on", "2026-11-23").output
    assert "Amendment review decision due: 2027-01-07 (Thu) [open]  (5 U.S.C. 552a(d)(3))" in out
    shown = track("show", "1").output
    assert "Amendment acknowledgement due: 2026-11-17 (Tue) [late 2026-11-20 (denied)]" in shown
    assert "Appeal decision due" not in shown and "Exhaustion:" not in shown
    assert "No exhaustion or limitations date is computed for a Privacy Act amendment" in shown


@pytest.mark.pure
def test_a_tracked_amendment_appeal_runs_the_30_day_review_and_an_extension_ends_it(track):
    track("add", "--title", "Review of the refusal", "--office", "ice", "--kind", "amendment-appeal",
          "--on", "2026-10-01")
    track("update", "1", "--received", "2026-10-01")
    # Thu 2026-10-01 + 30 working days (Columbus Day, Veterans Day skipped) -> Mon 2026-11-16.
    shown = track("show", "1").output
    assert "Amendment review decision due: 2026-11-16 (Mon) [overdue, 9 working days late]  5 U.S.C. 552a(d)(3)" \
        in shown
    assert "Determination due" not in shown
    assert "amendment review decision due 2026-11-16, 9 working days late" in track("due").output
    data = json.loads(track("due", "--json").output)
    section = next(s for s in data["sections"] if s["key"] == "overdue_amendment_clocks")
    assert [(i["id"], i["key"], i["due"]) for i in section["items"]] == [(1, "amendment_review", "2026-11-16")]
    # Extended for good cause (552a(d)(3)): no length in the statute, so no new date.
    out = track("update", "1", "--extension-notice", "2026-11-10").output
    assert "[overdue" not in out
    shown = track("show", "1").output
    assert "Amendment review decision due: 2026-11-16 (Mon) [closed 2026-11-10 (extended)]" in shown
    assert "extended for good cause on 2026-11-10" in shown
    assert "Overdue Privacy Act amendment clocks" not in track("due").output


# -- 9. a date counted from sending says so in due and the exports -----------------------------------


def test_due_and_the_exports_say_when_a_date_counts_from_sending(track):
    track("add", "--title", "Mailed", "--office", "ice", "--on", "2026-10-01", "--sent-via", "mail")
    due = track("due").output
    assert "  #1 Mailed (ice, submitted): determination due 2026-10-30, 19 working days late\n" \
           "      counted from sending, not receipt (no receipt date recorded); record it: foia track " in due
    assert "update 1 --received DATE\n" in due
    item = json.loads(track("due", "--json").output)["sections"][0]["items"][0]
    assert item["counted_from_sending"] is True
    row = next(csv.DictReader(io.StringIO(track("export", "--format", "csv").output)))
    assert row["next_deadline"] == "2026-10-30" and row["next_deadline_note"] == "counted from sending, not receipt"
    assert row["exhaustion_how"] == ("constructive, if there is no determination by 2026-10-30 (counted from "
                                     "sending, not receipt), 5 U.S.C. 552(a)(6)(C)(i)")
    derived = json.loads(track("export", "--format", "json").output)["requests"][0]["derived"]
    assert derived["next_deadline_note"] == "counted from sending, not receipt"
    # Received two days later: Mon 2026-10-05 + 20 working days (Columbus, Veterans Day) -> Tue 2026-11-03.
    track("update", "1", "--received", "2026-10-05")
    assert "counted from sending" not in track("due").output
    assert json.loads(track("due", "--json").output)["sections"][0]["items"][0]["counted_from_sending"] is False
    row = next(csv.DictReader(io.StringIO(track("export", "--format", "csv").output)))
    assert (row["next_deadline"], row["next_deadline_note"]) == ("2026-11-03", "")


# -- 18. exhaustion and the limitations period in the exports ----------------------------------------


def test_the_exports_give_exhaustion_and_the_end_of_the_limitations_period(track):
    track("add", "--title", "t", "--office", "ice", "--on", "2026-08-03")
    track("update", "1", "--received", "2026-08-03")
    track("update", "1", "--status", "denied", "--on", "2026-08-20")
    track("update", "1", "--status", "appealed", "--on", "2026-09-01")
    track("update", "1", "--status", "appeal-denied", "--on", "2026-09-15")
    track("add", "--title", "u", "--office", "ice", "--on", "2026-10-01")
    track("update", "2", "--received", "2026-10-01")      # due Fri 2026-10-30, still open
    track("add", "--title", "Amend", "--office", "ice", "--kind", "amendment", "--on", "2026-11-02")
    rows = list(csv.DictReader(io.StringIO(track("export", "--format", "csv").output)))
    got = [(r["exhaustion_on"], r["exhaustion_how"], r["limitations_period_ends"]) for r in rows]
    assert got == [
        ("2026-09-15", "actual, the appeal was denied on 2026-09-15", "2032-09-15"),
        ("2026-10-31", "constructive, if there is no determination by 2026-10-30, 5 U.S.C. 552(a)(6)(C)(i)",
         "2032-10-31"),
        ("", "", ""),     # a Privacy Act amendment: foia's sources give no such dates for it
    ]
    requests = json.loads(track("export", "--format", "json").output)["requests"]
    assert [(r["derived"]["exhaustion_on"], r["derived"]["limitations_period_ends"]) for r in requests] == [
        ("2026-09-15", "2032-09-15"), ("2026-10-31", "2032-10-31"), (None, None)]
    # The same dates `show` gives.
    assert "Exhaustion: from 2026-10-31 (constructive, if there is no determination by 2026-10-30" \
        in track("show", "2").output
