"""The deadline engine: hand-checked dates, explanations, and properties of the calendar.

Expected dates in the tables below were counted by hand on calendars printed with Python's
``calendar`` module (not with foia's code). Each row's comment lists the count. Holidays used
(5 U.S.C. 6103(a), Saturday -> Friday before, Sunday -> Monday after):
  2025: Thanksgiving Thu 11-27, Christmas Thu 12-25;  2026: New Year Thu 01-01, MLK Mon 01-19,
  Washington Mon 02-16, Juneteenth Fri 06-19, Independence Sat 07-04 -> Fri 07-03, Christmas Fri
  12-25;  2027: New Year Fri 01-01, MLK Mon 01-18, Juneteenth Sat 06-19 -> Fri 06-18,
  Independence Sun 07-04 -> Mon 07-05, Veterans Thu 11-11, Thanksgiving Thu 11-25, Christmas Sat
  12-25 -> Fri 12-24, New Year 2028 Sat 01-01 -> Fri 2027-12-31;  2028: Veterans Sat 11-11 ->
  Fri 11-10, Thanksgiving Thu 11-23, Christmas Mon 12-25;  2029: New Year Mon 01-01, MLK Mon 01-15.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from foia.clocks import (ClockRules, Deadline, WorkingCalendar, appeal_deadline, appeal_decision_due,
                         clarification_close_due, default_calendar, determination_due, expedite_decision_due,
                         load_closures, parse_closure, parse_tolled, request_deadlines)
from foia.clocks import parse_day as parse_date
from foia.errors import FoiaError, UsageError
from foia.naming import as_flags

D = date.fromisoformat
CAL = default_calendar()


# --------------------------------------------------------------------------------------------
# Hand-checked determination dates (20 working days after receipt)

DETERMINATION = [
    # Fri before Thanksgiving week 2025: Nov 24,25,26 = 1-3; 27 Thanksgiving skipped; 28 = 4;
    # Dec 1-5 = 5-9; 8-12 = 10-14; 15-19 = 15-19; Mon Dec 22 = 20.
    ("2025-11-21", "2025-12-22"),
    # Received on the Saturday: day 1 is still Mon Nov 24, so the same due date.
    ("2025-11-22", "2025-12-22"),
    # Received on Thanksgiving itself: Nov 28 = 1; Dec 1-5 = 2-6; 8-12 = 7-11; 15-19 = 12-16;
    # 22,23,24 = 17-19; 25 Christmas skipped; Fri Dec 26 = 20.
    ("2025-11-27", "2025-12-26"),
    # Across Christmas 2025 and New Year 2026: Dec 9-12 = 1-4; 15-19 = 5-9; 22,23,24 = 10-12
    # (Christmas Eve is not a legal public holiday); 25 skipped; 26 = 13; 29,30,31 = 14-16;
    # Jan 1 skipped; Jan 2 = 17; Jan 5,6,7 = 18-20.
    ("2025-12-08", "2026-01-07"),
    # Juneteenth 2026 on a Friday, Independence Day on a Saturday (observed Fri Jul 3):
    # Jun 16,17,18 = 1-3; 19 skipped; 22-26 = 4-8; 29,30, Jul 1,2 = 9-12; Jul 3 skipped;
    # Jul 6-10 = 13-17; 13,14,15 = 18-20.
    ("2026-06-15", "2026-07-15"),
    # Christmas 2026 and New Year 2027 on Fridays, MLK Day Mon Jan 18: Dec 21-24 = 1-4; 25
    # skipped; 28-31 = 5-8; Jan 1 skipped; Jan 4-8 = 9-13; 11-15 = 14-18; 18 skipped; 19,20 = 19-20.
    ("2026-12-18", "2027-01-20"),
    # Juneteenth 2027 on a Saturday (observed Fri Jun 18), Independence Day on a Sunday
    # (observed Mon Jul 5): Jun 15,16,17 = 1-3; 18 skipped; 21-25 = 4-8; 28-Jul 2 = 9-13;
    # Jul 5 skipped; 6-9 = 14-17; 12,13,14 = 18-20.
    ("2027-06-14", "2027-07-14"),
    # Fri before Thanksgiving week 2027: Nov 22,23,24 = 1-3; 25 skipped; 26 = 4; Nov 29-Dec 3 =
    # 5-9; Dec 6-10 = 10-14; 13-17 = 15-19; Mon Dec 20 = 20.
    ("2027-11-19", "2027-12-20"),
    # Christmas 2027 and New Year 2028 both on Saturdays: observed Fri Dec 24 and Fri Dec 31
    # (a 2028 holiday observed in 2027): Dec 9,10 = 1-2; 13-17 = 3-7; 20-23 = 8-11; 24 skipped;
    # 27-30 = 12-15; 31 skipped; Jan 3-7 2028 = 16-20.
    ("2027-12-08", "2028-01-07"),
    # Veterans Day 2028 on a Saturday (observed Fri Nov 10) and Thanksgiving Nov 23:
    # Nov 6-9 = 1-4; 10 skipped; 13-17 = 5-9; 20,21,22 = 10-12; 23 skipped; 24 = 13;
    # Nov 27-Dec 1 = 14-18; Dec 4,5 = 19-20.
    ("2028-11-03", "2028-12-05"),
    # Christmas 2028 and New Year 2029 on Mondays, MLK 2029 Mon Jan 15: Dec 18-22 = 1-5; 25
    # skipped; 26-29 = 6-9; Jan 1 skipped; Jan 2-5 = 10-13; 8-12 = 14-18; 15 skipped; 16,17 = 19-20.
    ("2028-12-15", "2029-01-17"),
]


@pytest.mark.parametrize("received, due", DETERMINATION)
def test_determination_due_hand_checked(received, due):
    deadline = determination_due(D(received))
    assert deadline.due == D(due)
    assert deadline.start == D(received)
    assert deadline.rule == "5 U.S.C. 552(a)(6)(A)(i); 6 CFR 5.5(a)"
    assert deadline.explanation[-1] == f"Due: {due} ({D(due).strftime('%a')})."


OTHER_CLOCKS = [
    # Appeal window, DHS: 90 working days after Mon 2026-01-05. Jan 6-9 = 1-4; weeks of Jan 12
    # (5-9), Jan 19 minus MLK (10-13), Jan 26 (14-18), Feb 2 (19-23), Feb 9 (24-28), Feb 16 minus
    # Washington's Birthday (29-32), Feb 23 (33-37), then 5 a week from Mar 2 to May 4 (38-87);
    # May 11,12,13 = 88-90.
    (appeal_deadline, "2026-01-05", {}, "2026-05-13"),
    # Appeal decision: 20 working days after Mon 2026-02-02. Feb 3-6 = 1-4; 9-13 = 5-9;
    # Feb 16 skipped; 17-20 = 10-13; 23-27 = 14-18; Mar 2,3 = 19-20.
    (appeal_decision_due, "2026-02-02", {}, "2026-03-03"),
    # Clarification (6 CFR 5.3(c)): 30 working days after Mon 2025-12-01. Dec 2-5 = 1-4; 8-12 =
    # 5-9; 15-19 = 10-14; 22,23,24 = 15-17; 25 skipped; 26 = 18; 29,30,31 = 19-21; Jan 1 skipped;
    # Jan 2 = 22; Jan 5-9 = 23-27; Jan 12,13,14 = 28-30.
    (clarification_close_due, "2025-12-01", {}, "2026-01-14"),
    # Expedite decision: 10 calendar days after Fri 2025-11-21 = Mon 2025-12-01.
    (expedite_decision_due, "2025-11-21", {}, "2025-12-01"),
    # Expedite decision counted in calendar days ignores the holiday: Nov 20 + 10 = Nov 30, a
    # Sunday, not moved.
    (expedite_decision_due, "2025-11-20", {}, "2025-11-30"),
    # Expedite in working days (an office rule): Nov 24,25,26 = 1-3; 27 skipped; 28 = 4;
    # Dec 1-5 = 5-9; Dec 8 = 10.
    (expedite_decision_due, "2025-11-21", {"expedite_decision_unit": "working"}, "2025-12-08"),
    # Appeal window of 90 calendar days (the statute's floor): 2026-01-05 + 90 days: 26 days to
    # Jan 31, 28 in Feb (54), 31 in Mar (85), Apr 5 (90), a Sunday, not moved.
    (appeal_deadline, "2026-01-05",
     {"appeal_window_unit": "calendar", "appeal_rule": "5 U.S.C. 552(a)(6)(A)(i)(III)(aa)"}, "2026-04-05"),
]


@pytest.mark.parametrize("clock, start, rules, due", OTHER_CLOCKS)
def test_other_clocks_hand_checked(clock, start, rules, due):
    assert clock(D(start), rules=ClockRules(**rules)).due == D(due)


def test_misdirected_request_starts_no_later_than_ten_working_days_after_first_receipt():
    # First receipt Mon 2027-11-01: Nov 2-5 = 1-4; 8,9,10 = 5-7; 11 Veterans Day skipped;
    # 12 = 8; 15,16 = 9-10 -> the clock starts by Tue 2027-11-16. Then 20 working days:
    # Nov 17,18,19 = 1-3; 22,23,24 = 4-6; 25 skipped; 26 = 7; Nov 29-Dec 3 = 8-12;
    # Dec 6-10 = 13-17; 13,14,15 = 18-20.
    late = determination_due(D("2027-12-10"), first_received=D("2027-11-01"))
    assert late.start == D("2027-11-16")
    assert late.due == D("2027-12-15")
    assert any("5 U.S.C. 552(a)(6)(A)(ii); 6 CFR 5.5(a)" in line for line in late.explanation)
    assert any("2027-11-11 Veterans Day skipped" in line for line in late.explanation)
    # Received by the right office within the 10 days: the count starts from that receipt.
    # Wed 2027-11-10: 11 skipped; 12 = 1; 15-19 = 2-6; 22,23,24 = 7-9; 25 skipped; 26 = 10;
    # Nov 29-Dec 3 = 11-15; Dec 6-10 = 16-20.
    prompt = determination_due(D("2027-11-10"), first_received=D("2027-11-01"))
    assert prompt.start == D("2027-11-10")
    assert prompt.due == D("2027-12-10")
    with pytest.raises(UsageError, match="first receipt 2027-11-12 is after"):
        determination_due(D("2027-11-10"), first_received=D("2027-11-12"))


def test_tolling_moves_the_due_date_by_the_tolled_working_days():
    # Received Fri 2025-11-21 (due 2025-12-22). The agency asks Mon Dec 1 and the requester
    # answers Fri Dec 5: working days Dec 2-5 (4) are tolled. Nov 24,25,26,28 = 1-4; Dec 1 = 5;
    # Dec 8-12 = 6-10; 15-19 = 11-15; 22,23,24 = 16-18; 25 skipped; 26 = 19; Mon Dec 29 = 20.
    tolled = determination_due(D("2025-11-21"), tolled=[(D("2025-12-01"), D("2025-12-05"))])
    assert tolled.due == D("2025-12-29")
    text = "\n".join(tolled.explanation)
    assert "4 working days in (2025-12-01, 2025-12-05] not counted" in text
    assert "2025-12-02 to 2025-12-05 tolled (clock stopped): 4 working days not counted" in text
    assert "2025-12-01 (Mon): working day 5 counted" in text


def test_open_tolling_period_stops_the_clock():
    # Nov 24,25,26,28 and Dec 1 are days 1-5 before the stop: 15 remain.
    stopped = determination_due(D("2025-11-21"), tolled=[(D("2025-12-01"), None)])
    assert stopped.due is None
    assert stopped.to_dict()["due"] is None
    assert "Clock stopped since 2025-12-01 (Mon)" in stopped.explanation[-1]
    assert "15 working days remain" in stopped.explanation[-1]


def test_tolling_outside_the_running_clock_does_not_move_it():
    before = determination_due(D("2025-11-21"), tolled=[(D("2025-11-01"), D("2025-11-20"))])
    after = determination_due(D("2025-11-21"), tolled=[(D("2025-12-22"), D("2026-01-10"))])
    assert before.due == after.due == D("2025-12-22")
    assert any("ends before the clock started: ignored" in line for line in before.explanation)
    assert any("starts on or after the due date 2025-12-22" in line for line in after.explanation)


def test_overlapping_tolling_periods_are_not_counted_twice():
    once = determination_due(D("2025-11-21"), tolled=[(D("2025-12-01"), D("2025-12-05"))])
    twice = determination_due(D("2025-11-21"), tolled=[(D("2025-12-01"), D("2025-12-04")),
                                                      (D("2025-12-03"), D("2025-12-05"))])
    assert twice.due == once.due == D("2025-12-29")
    with pytest.raises(UsageError, match="ends before it starts"):
        determination_due(D("2025-11-21"), tolled=[(D("2025-12-05"), D("2025-12-01"))])


def test_extension_notice_adds_ten_working_days():
    # Due 2025-12-22; +10: Dec 23,24 = 1-2; 25 skipped; 26 = 3; 29,30,31 = 4-6; Jan 1 skipped;
    # Jan 2 = 7; Jan 5,6,7 = 8-10.
    extended = determination_due(D("2025-11-21"), extension_notice=D("2025-12-10"))
    assert extended.due == D("2026-01-07")
    text = "\n".join(extended.explanation)
    assert "5 U.S.C. 552(a)(6)(B)(i)" in text
    assert "(extension)" in text
    assert "Warning" not in text
    # A notice dated after the limit ran out extends nothing (552(a)(6)(B)(i): notice while it
    # runs): the statutory date stays, beside the date the notice would claim.
    late = determination_due(D("2025-11-21"), extension_notice=D("2025-12-23"))
    assert late.due == D("2025-12-22")
    assert any(line.startswith("Warning: the extension notice is dated 2025-12-23, after the time limit ran out on "
                               "2025-12-22: it does not extend it") and "would claim up to 2026-01-07" in line
               and "Exhaustion accrued on 2025-12-23" in line for line in late.explanation)


def test_appeal_decision_extension():
    # 2026-03-03 + 10 working days: Mar 4,5,6 = 1-3; 9-13 = 4-8; 16,17 = 9-10.
    assert appeal_decision_due(D("2026-02-02"), extension_notice=D("2026-02-20")).due == D("2026-03-17")


def test_explanation_names_each_holiday_and_weekend():
    text = "\n".join(determination_due(D("2025-11-21")).explanation)
    assert "2025-11-27 Thanksgiving Day skipped" in text
    assert "2025-11-22 Saturday, 2025-11-23 Sunday skipped" in text
    assert "2025-11-24 (Mon) to 2025-11-26 (Wed): working days 1-3 counted" in text
    year_end = "\n".join(determination_due(D("2027-12-08")).explanation)
    assert ("2027-12-24 Christmas Day (observed), 2027-12-25 Saturday (Christmas Day, observed "
            "2027-12-24), 2027-12-26 Sunday skipped") in year_end
    assert "2027-12-31 New Year's Day (observed)" in year_end


def test_calendar_day_appeal_window_is_not_rolled_and_quotes_the_statute():
    rules = ClockRules(appeal_window_unit="calendar", appeal_rule="5 U.S.C. 552(a)(6)(A)(i)(III)(aa)")
    appeal = appeal_deadline(D("2026-01-05"), rules=rules)
    text = "\n".join(appeal.explanation)
    assert appeal.due == D("2026-04-05") and appeal.due.weekday() == 6
    assert '"not less than 90 days' in text
    assert "not a working day (Sunday)" in text and "it is not moved" in text
    # Not a DHS office: no 6 CFR citation.
    assert appeal.rule == "5 U.S.C. 552(a)(6)(A)(i)(III)(aa)"
    assert "6 CFR" not in determination_due(D("2026-01-05"), rules=rules).rule


def test_dhs_appeal_mentions_electronic_filing_cutoff():
    appeal = appeal_deadline(D("2026-01-05"))
    assert appeal.rule == "6 CFR 5.8(a); 5 U.S.C. 552(a)(6)(A)(i)(III)(aa)"
    assert any("11:59:59 p.m. Eastern" in line for line in appeal.explanation)


def test_clarification_clock_absent_when_the_office_has_none():
    assert clarification_close_due(D("2025-12-01"), rules=ClockRules(clarification_close_working_days=None)) is None


def test_request_deadlines_lists_only_the_clocks_asked_for():
    keys = [d.key for d in request_deadlines(D("2025-11-21"))]
    assert keys == ["determination"]
    keys = [d.key for d in request_deadlines(D("2025-11-21"), expedite=True, determination=D("2026-01-05"),
                                              appeal_received=D("2026-02-02"),
                                              clarification_asked=D("2025-12-01"))]
    assert keys == ["determination", "expedite_decision", "clarification_close", "appeal", "appeal_decision"]


def test_deadline_to_dict_is_json_ready():
    import json

    d = determination_due(D("2025-11-21")).to_dict()
    assert json.loads(json.dumps(d)) == d
    assert d["due"] == "2025-12-22" and d["due_weekday"] == "Mon" and d["start"] == "2025-11-21"
    assert d["key"] == "determination" and d["label"] == "Determination due"


# --------------------------------------------------------------------------------------------
# Calendar


@pytest.mark.parametrize("day, reason", [
    ("2025-11-27", "Thanksgiving Day"),
    ("2026-07-03", "Independence Day (observed)"),
    ("2026-07-04", "Saturday"),
    ("2027-06-18", "Juneteenth National Independence Day (observed)"),
    ("2027-07-05", "Independence Day (observed)"),
    ("2027-12-31", "New Year's Day (observed)"),
    ("2028-11-10", "Veterans Day (observed)"),
    ("2025-11-23", "Sunday"),
    # Working days: Christmas Eve 2025 (a Wednesday, not a legal public holiday) and Inauguration
    # Day 2033 (Thu Jan 20; a holiday only for D.C.-area employees, 5 U.S.C. 6103(c)).
    ("2025-12-24", None),
    ("2033-01-20", None),
])
def test_reason_closed(day, reason):
    assert CAL.reason_closed(D(day)) == reason
    assert CAL.is_working_day(D(day)) is (reason is None)


def test_closures_are_non_working_days():
    cal = WorkingCalendar({D("2025-12-24"): "Executive order closure"})
    assert cal.reason_closed(D("2025-12-24")) == "closure: Executive order closure"
    # Dec 9-12 = 1-4; 15-19 = 5-9; 22,23 = 10-11; 24 closed; 25 skipped; 26 = 12; 29,30,31 =
    # 13-15; Jan 1 skipped; Jan 2 = 16; Jan 5-8 = 17-20.
    deadline = determination_due(D("2025-12-08"), calendar=cal)
    assert deadline.due == D("2026-01-08")
    assert any("2025-12-24 closure: Executive order closure" in line for line in deadline.explanation)
    # The default calendar is unchanged and shared.
    assert CAL.is_working_day(D("2025-12-24"))
    assert default_calendar() is default_calendar()
    assert default_calendar({D("2025-12-24"): "x"}).reason_closed(D("2025-12-24")) == "closure: x"


def test_working_days_between_and_list():
    # (Fri Nov 21, Mon Dec 1]: Nov 24,25,26,28, Dec 1.
    assert CAL.working_days_between(D("2025-11-21"), D("2025-12-01")) == 5
    assert CAL.working_days_between(D("2025-12-01"), D("2025-11-21")) == -5
    assert CAL.working_days(D("2025-11-21"), D("2025-12-01")) == [
        D("2025-11-24"), D("2025-11-25"), D("2025-11-26"), D("2025-11-28"), D("2025-12-01")]
    assert CAL.add_working_days(D("2025-11-22"), 0) == D("2025-11-22")
    with pytest.raises(ValueError):
        CAL.add_working_days(D("2025-11-22"), -1)


def test_calendar_grows_on_demand_and_refuses_dates_without_holiday_data():
    cal = WorkingCalendar()
    assert cal.span is None
    cal.is_working_day(D("2025-06-02"))
    assert cal.span == (2015, 2035)   # built around the first date asked about
    # 2094-12-25 is a Saturday (Python's calendar): Christmas observed Fri Dec 24.
    assert cal.reason_closed(D("2094-12-24")) == "Christmas Day (observed)"
    assert cal.add_working_days(D("1985-12-24"), 1) == D("1985-12-26")   # Wed Dec 25 skipped
    assert cal.span == (1975, 2099)   # the holidays package knows US holidays up to 2099
    # A count that runs past the index grows it: 4000 working days from 2030 reach ~2046.
    small = WorkingCalendar()
    assert small.add_working_days(D("2030-01-02"), 4000) == CAL.add_working_days(D("2030-01-02"), 4000)
    assert small.span[1] > 2040
    with pytest.raises(UsageError, match=r"2100-01-04 is outside the years .* \(1900-2099, "):
        cal.add_working_days(D("2100-01-04"), 20)
    with pytest.raises(UsageError, match="past the years"):
        cal.add_working_days(D("2099-12-20"), 20)
    with pytest.raises(UsageError, match="outside the years"):
        determination_due(D("1850-01-01"))


def test_add_working_days_many_matches_one_by_one():
    dates = [D("2025-11-21"), D("2027-12-08"), D("2001-01-01"), D("2090-07-03")]
    cal = WorkingCalendar()
    assert cal.add_working_days_many(dates, 20) == [CAL.add_working_days(d, 20) for d in dates]
    assert cal.add_working_days_many(dates, 0) == dates
    assert cal.add_working_days_many([], 20) == []


def test_clock_rules_validation():
    with pytest.raises(FoiaError, match="appeal_window_unit"):
        ClockRules(appeal_window_unit="weeks")
    with pytest.raises(FoiaError, match="determination_working_days"):
        ClockRules(determination_working_days=-1)


# --------------------------------------------------------------------------------------------
# Input


def test_parse_date():
    assert parse_date("2025-11-21") == D("2025-11-21")
    for bad in ("2025-11-31", "21/11/2025", "20251121", "", "2025-1-5"):
        with pytest.raises(UsageError, match=r"--received: .* is not a date; use YYYY-MM-DD"):
            parse_date(bad, what="--received")


def test_parse_tolled_and_closure():
    assert parse_tolled("2025-12-01:2025-12-05") == (D("2025-12-01"), D("2025-12-05"))
    assert parse_tolled("2025-12-01:") == (D("2025-12-01"), None)
    for bad in ("2025-12-01", "2025-12-01:soon", ":2025-12-01", "2025-12-05:2025-12-01", "2025-02-30:"):
        with pytest.raises(UsageError) as exc:
            parse_tolled(bad)
        assert as_flags(exc.value).startswith("--tolled: ")   # the library names the field; the CLI its flag
    assert parse_closure("2025-12-24:Executive order") == (D("2025-12-24"), "Executive order")
    assert parse_closure("2025-12-24")[0] == D("2025-12-24")
    with pytest.raises(UsageError) as exc:
        parse_closure("Dec 24")
    assert as_flags(exc.value).startswith("--closure: ")


def test_load_closures(tmp_path):
    good = tmp_path / "closures.yaml"
    good.write_text("- {date: 2025-12-24, name: Executive order closure}\n"
                    "- date: '2026-12-24'\n  name: Another closure\n")
    assert load_closures(good) == {D("2025-12-24"): "Executive order closure",
                                   D("2026-12-24"): "Another closure"}
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    assert load_closures(empty) == {}
    cases = {
        "- {date: 2025-13-01, name: x}\n": "entry 1: date '2025-13-01' is not YYYY-MM-DD",
        "- {date: 2025-12-24}\n": "entry 1 (2025-12-24): give a name",
        "- {date: 2025-12-24, name: a}\n- {date: 2025-12-24, name: b}\n": "entry 2: 2025-12-24 is listed twice",
        "- {day: 2025-12-24, name: a}\n": "entry 1: expected {date: YYYY-MM-DD, name: ...}",
        "closures: []\n": "expected a list",
        "- [unclosed\n": "not valid YAML",
    }
    for text, message in cases.items():
        bad = tmp_path / "bad.yaml"
        bad.write_text(text)
        with pytest.raises(FoiaError) as info:
            load_closures(bad)
        assert str(bad) in info.value.message and message in info.value.message
    with pytest.raises(FoiaError, match="cannot read"):
        load_closures(tmp_path / "missing.yaml")


# --------------------------------------------------------------------------------------------
# Properties

_HOLIDAYS = None


def _naive_add(d: date, n: int) -> date:
    """Day-by-day stepping against the holidays package directly: the reference."""
    global _HOLIDAYS
    if _HOLIDAYS is None:
        import holidays

        _HOLIDAYS = holidays.US(years=range(1999, 2102), observed=True)
    while n:
        d += timedelta(days=1)
        if d.weekday() < 5 and d not in _HOLIDAYS:
            n -= 1
    return d


days = st.dates(min_value=date(2000, 1, 1), max_value=date(2095, 12, 31))
counts = st.integers(min_value=0, max_value=120)


@settings(max_examples=300, deadline=None)
@given(days, counts)
def test_add_working_days_matches_day_stepping(d, n):
    assert CAL.add_working_days(d, n) == _naive_add(d, n)


@settings(max_examples=200, deadline=None)
@given(days, st.integers(min_value=1, max_value=120))
def test_working_days_between_inverts_add(d, n):
    assert CAL.working_days_between(d, CAL.add_working_days(d, n)) == n


@settings(max_examples=200, deadline=None)
@given(days, st.integers(min_value=1, max_value=40), st.sampled_from([None, 5, 15]),
       st.booleans())
def test_due_date_is_never_a_non_working_day(d, n, tolled_after, extended):
    rules = ClockRules(determination_working_days=n)
    tolled = []
    if tolled_after is not None:
        start = d + timedelta(days=tolled_after)
        tolled = [(start, start + timedelta(days=9))]
    deadline = determination_due(d, rules=rules, tolled=tolled,
                                 extension_notice=d + timedelta(days=3) if extended else None)
    assert CAL.is_working_day(deadline.due)
    for clock in (appeal_deadline, appeal_decision_due, clarification_close_due):
        assert CAL.is_working_day(clock(d).due)


@settings(max_examples=200, deadline=None)
@given(days, st.integers(min_value=0, max_value=30))
def test_due_dates_never_move_earlier_when_the_start_moves_later(d, later):
    e = d + timedelta(days=later)
    assert determination_due(d).due <= determination_due(e).due
    assert appeal_deadline(d).due <= appeal_deadline(e).due


@settings(max_examples=200, deadline=None)
@given(days, counts, counts)
def test_adding_n_then_m_equals_adding_n_plus_m(d, n, m):
    assert CAL.add_working_days(CAL.add_working_days(d, n), m) == CAL.add_working_days(d, n + m)


@settings(max_examples=200, deadline=None)
@given(days, st.integers(min_value=0, max_value=19), st.integers(min_value=0, max_value=40))
def test_tolling_by_k_working_days_moves_due_by_k(received, ask_after, length):
    untolled = determination_due(received).due
    # The agency asks on the received date or a day before the due date (while the clock runs).
    ask = CAL.add_working_days(received, ask_after) if ask_after else received
    assert ask < untolled
    answer = ask + timedelta(days=length)
    k = CAL.working_days_between(ask, answer)
    tolled = determination_due(received, tolled=[(ask, answer)])
    assert tolled.due == CAL.add_working_days(untolled, k)
    assert CAL.working_days_between(untolled, tolled.due) == k


@settings(max_examples=100, deadline=None)
@given(days)
def test_explanation_counts_exactly_the_working_days(d):
    deadline = determination_due(d, extension_notice=d)
    # The last run of counted days ends on the due date with day 30 (20 + 10 extension days),
    # and the runs number the days 1..30 without gaps.
    runs = [re.search(r"working days? (\d+)(?:-(\d+))?", line) for line in deadline.explanation
            if line.endswith(" counted")]
    numbers = [(int(m[1]), int(m[2] or m[1])) for m in runs]
    assert numbers[0][0] == 1 and numbers[-1][1] == 30
    assert all(b[0] == a[1] + 1 for a, b in zip(numbers, numbers[1:]))
    last_run = [line for line in deadline.explanation if line.endswith(" counted")][-1]
    assert str(deadline.due) in last_run
    assert isinstance(deadline, Deadline)


# --------------------------------------------------------------------------------------------
# Review findings: inputs that used to give a wrong date, a hidden warning or a traceback


@pytest.mark.parametrize("field", ["determination_working_days", "appeal_window_days",
                                   "appeal_decision_working_days", "clarification_close_working_days",
                                   "expedite_decision_days"])
def test_zero_day_clocks_are_refused(field):
    # A 0-day clock would be "due" on its start day, a Saturday here (2025-11-22): never a
    # statutory deadline.
    with pytest.raises(FoiaError, match=f"clock rules: {field} must be a whole number of days >= 1"):
        ClockRules(**{field: 0})


def test_zero_extension_and_misdirected_limits_still_make_sense():
    # 0 extension days: a notice changes nothing. 0 misdirected days: the clock starts on first
    # receipt, Sat 2025-11-15 -> Nov 17-21 = 1-5; 24,25,26 = 6-8; 27 skipped; 28 = 9; Dec 1-5 =
    # 10-14; 8-12 = 15-19; Mon Dec 15 = 20.
    assert determination_due(D("2025-11-21"), rules=ClockRules(extension_working_days=0),
                             extension_notice=D("2025-12-01")).due == D("2025-12-22")
    assert determination_due(D("2025-11-22"), rules=ClockRules(misdirected_max_working_days=0),
                             first_received=D("2025-11-15")).due == D("2025-12-15")


def test_dates_near_the_end_of_pythons_calendar_give_a_usage_error():
    with pytest.raises(UsageError, match="9999-12-31 is outside the years"):
        appeal_deadline(D("9999-12-31"))
    with pytest.raises(UsageError, match="9999-12-31 is outside the years"):
        appeal_deadline(D("9999-12-31"), rules=ClockRules(appeal_window_unit="calendar"))
    with pytest.raises(UsageError, match="9999-12-25 is outside the years"):
        expedite_decision_due(D("9999-12-25"))
    # 2099-12-31 + 90 calendar days is in 2100, past the holiday data.
    with pytest.raises(UsageError, match="90 calendar days after 2099-12-31 is past the years"):
        appeal_deadline(D("2099-12-31"), rules=ClockRules(appeal_window_unit="calendar"))


def test_extension_notice_before_receipt_is_an_error():
    with pytest.raises(UsageError, match=r"extension notice 2020-01-01 is dated before the request "
                                         r"was received \(2025-11-21\)"):
        determination_due(D("2025-11-21"), extension_notice=D("2020-01-01"))
    # Misdirected: a notice after the first receipt is possible (the error names the first receipt).
    assert determination_due(D("2027-11-10"), first_received=D("2027-11-01"),
                             extension_notice=D("2027-11-05")).due is not None
    with pytest.raises(UsageError, match=r"before the request was received \(2027-11-01\)"):
        determination_due(D("2027-11-10"), first_received=D("2027-11-01"), extension_notice=D("2027-10-29"))
    with pytest.raises(UsageError, match=r"extension notice 2026-01-30 is dated before the appeal "
                                         r"was received \(2026-02-02\)"):
        appeal_decision_due(D("2026-02-02"), extension_notice=D("2026-01-30"))


@pytest.mark.parametrize("kwargs, message", [
    ({"determination": D("2025-01-01")},
     r"determination 2025-01-01 is before the request was received \(2025-11-21\)"),
    ({"determination": D("2025-12-10"), "appeal_received": D("2025-12-09")},
     r"appeal received 2025-12-09 is before the determination it appeals \(2025-12-10\)"),
    ({"appeal_received": D("2025-11-20")},
     r"appeal received 2025-11-20 is before the request was received \(2025-11-21\)"),
    ({"clarification_asked": D("2025-11-20")},
     r"clarification asked 2025-11-20 is before the request was received \(2025-11-21\)"),
    ({"appeal_extension_notice": D("2026-01-05")},
     "an appeal extension notice needs the date the appeal was received"),
])
def test_request_deadlines_refuses_dates_in_an_impossible_order(kwargs, message):
    with pytest.raises(UsageError, match=message):
        request_deadlines(D("2025-11-21"), **kwargs)


def test_misdirected_request_dates_count_from_the_first_receipt():
    # The agency had the request from the first receipt: a determination between the first
    # receipt and the right office's receipt is possible, not an error.
    found = request_deadlines(D("2025-11-21"), first_received=D("2025-11-10"), determination=D("2025-11-14"))
    assert [d.key for d in found] == ["determination", "appeal"]


def test_calendar_day_agency_clock_gives_no_advice_to_act_early():
    # The expedite decision is the agency's deadline: "act by the working day before it" is
    # advice for the requester's own deadline (the calendar-day appeal window) only.
    expedite = "\n".join(expedite_decision_due(D("2025-11-20")).explanation)
    assert "it is not moved" in expedite and "Act by" not in expedite
    rules = ClockRules(appeal_window_unit="calendar", appeal_rule="5 U.S.C. 552(a)(6)(A)(i)(III)(aa)")
    assert "Act by the working day before it" in "\n".join(appeal_deadline(D("2026-01-05"), rules=rules).explanation)


def test_tolling_periods_that_do_not_move_the_date_are_warnings():
    before = determination_due(D("2025-11-21"), tolled=[(D("2025-11-01"), D("2025-11-20"))])
    after = determination_due(D("2025-11-21"), tolled=[(D("2025-12-22"), D("2026-01-10"))])
    assert any(line.startswith("Warning: tolled period 2025-11-01:2025-11-20 ends before the clock "
                               "started: ignored") for line in before.explanation)
    assert any(line.startswith("Warning: tolled period 2025-12-22:2026-01-10 starts on or after the "
                               "due date 2025-12-22") for line in after.explanation)


def test_tolled_period_starting_before_receipt_is_clipped_with_a_warning():
    # 0001-01-01 is a typing mistake: the agency cannot ask about a request it has not received.
    # The period counts from receipt, (Fri 2025-11-21, Mon Dec 1] = 5 working days: Dec 22 + 5 =
    # Dec 23,24,26,29,30 -> Tue 2025-12-30; the warning says so.
    clipped = determination_due(D("2025-11-21"), tolled=[(D("0001-01-01"), D("2025-12-01"))])
    assert clipped.due == D("2025-12-30")
    assert any(line.startswith("Warning: tolled period 0001-01-01:2025-12-01 starts before the "
                               "request was received (2025-11-21)") for line in clipped.explanation)
    # Misdirected: a stop after the first receipt but before the clock started is no mistake.
    ok = determination_due(D("2027-12-10"), first_received=D("2027-11-01"),
                           tolled=[(D("2027-11-05"), D("2027-11-20"))])
    assert not any(line.startswith("Warning") for line in ok.explanation)


# --------------------------------------------------------------------------------------------
# explain=False (the tracker's bulk import stores dates only): same dates, same errors, no text

any_day = st.dates(min_value=date(1899, 12, 1), max_value=date(2100, 1, 31))
near = st.integers(min_value=-40, max_value=200).map(lambda k: timedelta(days=k))
rule_sets = st.builds(
    ClockRules,
    determination_working_days=st.integers(min_value=1, max_value=40),
    misdirected_max_working_days=st.integers(min_value=0, max_value=15),
    extension_working_days=st.integers(min_value=0, max_value=15),
    expedite_decision_days=st.integers(min_value=1, max_value=20),
    expedite_decision_unit=st.sampled_from(["calendar", "working"]),
    appeal_window_days=st.integers(min_value=1, max_value=120),
    appeal_window_unit=st.sampled_from(["working", "calendar"]),
    appeal_decision_working_days=st.integers(min_value=1, max_value=30),
    clarification_close_working_days=st.one_of(st.none(), st.integers(min_value=1, max_value=40)),
    appeal_rule=st.sampled_from(["6 CFR 5.8(a)", "28 CFR 16.8(a)", "5 U.S.C. 552(a)(6)(A)(i)(III)(aa)"]),
)
EXPLAIN_CAL = WorkingCalendar({D("2026-12-24"): "Executive order", D("2025-11-28"): "Executive order"})


def _outcome(fn, *args, **kwargs):
    """What a caller sees from a clock: its dates and citation, or the error it raises."""
    try:
        d = fn(*args, **kwargs)
    except (FoiaError, ValueError, OverflowError) as exc:
        return "error", type(exc).__name__, str(exc)
    if d is None:
        return None
    return "ok", d.key, d.label, d.start, d.due, d.rule, len(d.explanation) > 0


@settings(max_examples=400, deadline=None)
@given(any_day, rule_sets, st.sampled_from([CAL, EXPLAIN_CAL]),
       st.one_of(st.none(), near), st.one_of(st.none(), near),
       st.lists(st.tuples(near, st.one_of(st.none(), st.integers(min_value=0, max_value=60))), max_size=3))
def test_clocks_without_explanations_give_the_same_dates_and_errors(day, rules, cal, first, notice, stops):
    first_received = day - first if first is not None else None
    extension = day + notice if notice is not None else None
    tolled = [(day + a, None if b is None else day + a + timedelta(days=b)) for a, b in stops]
    calls = [
        (determination_due, dict(first_received=first_received, extension_notice=extension, tolled=tolled)),
        (expedite_decision_due, {}),
        (appeal_deadline, {}),
        (appeal_decision_due, dict(extension_notice=extension)),
        (clarification_close_due, {}),
    ]
    for fn, kwargs in calls:
        kwargs = dict(kwargs, rules=rules, calendar=cal)
        full = _outcome(fn, day, **kwargs)
        bare = _outcome(fn, day, explain=False, **kwargs)
        if full is not None and full[0] == "ok":
            assert full[-1], f"{fn.__name__}: explained clock without explanation"
            assert bare == full[:-1] + (False,), fn.__name__
        else:
            assert bare == full, fn.__name__


def test_a_late_extension_notice_at_the_calendar_edge_is_explained_not_refused():
    # Found by the property above: the explanation counted the date a late notice would claim,
    # which past 2099 raised where the clock itself (explain=False) answered.
    rules = ClockRules(determination_working_days=1, misdirected_max_working_days=0, extension_working_days=1,
                       expedite_decision_days=1, expedite_decision_unit="calendar", appeal_window_days=1,
                       appeal_window_unit="working", appeal_decision_working_days=1,
                       clarification_close_working_days=None, appeal_rule="6 CFR 5.8(a)")
    day = date(2100, 1, 1)
    kwargs = dict(first_received=day - timedelta(days=2), extension_notice=day, tolled=[], rules=rules, calendar=CAL)
    full = determination_due(day, **kwargs)
    assert full.due == determination_due(day, explain=False, **kwargs).due == date(2099, 12, 31)
    assert any("past the years the calendar covers" in line for line in full.explanation)


def test_clock_inputs_name_their_field_and_the_cli_its_flag():
    from foia.clocks import in_calendar

    for call, field, flag_text in [
        (lambda: parse_date("2025-13-01", "first_received"), "first_received",
         "--first-received: '2025-13-01' is not a date; use YYYY-MM-DD, e.g. 2025-11-21"),
        (lambda: parse_tolled("soon", "tolled"), "tolled",
         "--tolled: 'soon' is not a period; use FROM:TO as YYYY-MM-DD:YYYY-MM-DD, or YYYY-MM-DD: while the clock "
         "is still stopped"),
        (lambda: parse_tolled("2025-02-30:", "tolled"), "tolled",
         "--tolled: '2025-02-30:' is not a period of real dates; use FROM:TO as YYYY-MM-DD:YYYY-MM-DD, or "
         "YYYY-MM-DD: while the clock is still stopped"),
        (lambda: in_calendar(D("1850-01-02"), "on"), "on",
         "--on: 1850-01-02 is outside the years foia's working-day calendar covers"),
    ]:
        with pytest.raises(UsageError) as exc:
            call()
        assert exc.value.field == field
        assert as_flags(exc.value).startswith(flag_text)
        assert str(exc.value).startswith(field + ": ")     # what a web form or an importer shows beside it
