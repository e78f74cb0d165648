"""The tracker's clocks against the statute, on SQLite and PostgreSQL: what `foia track` prints
and stores. Dates counted by hand (weekends and 5 U.S.C. 6103 holidays skipped); "today" is
fixed at 2026-11-30 unless a test says otherwise.
"""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import create_engine, text

from foia.tracker.context import TrackerContext


@pytest.fixture(autouse=True)
def _user(monkeypatch):
    monkeypatch.setenv("FOIA_USER", "ana")


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    """Today is Monday 2026-11-30 for every command (dates in the future are refused)."""
    from datetime import date

    monkeypatch.setattr(TrackerContext, "today", lambda self: self._today or date(2026, 11, 30))


@pytest.fixture
def rows(db_url):
    """``rows(sql)``: the rows of a query on the tracker database (values other than numbers as text)."""
    engines = []

    def query(sql: str):
        engine = create_engine(db_url)
        engines.append(engine)
        with engine.connect() as conn:
            # dates as text: SQLite returns them so, PostgreSQL as date objects
            return [tuple(v if v is None or isinstance(v, (int, bool)) else str(v) for v in r)
                    for r in conn.execute(text(sql))]

    yield query
    for engine in engines:
        engine.dispose()


def refused(result, *needles: str) -> str:
    """A refusal: non-zero exit, one line starting "Error:", no traceback; returns the line."""
    assert result.exit_code != 0
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("Error: ")
    assert "Traceback" not in result.output
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def statuses(track, n=1):
    # "#N" lines of the timeline
    out = track("show", str(n)).output
    return [line.split()[2] for line in out.split("Timeline:")[1].splitlines() if line.strip()]


# -- 1. one request for information tolls the clock ----------------------------------------------


@pytest.mark.pure
def test_only_the_first_clarification_stop_tolls_the_determination(track):
    track("add", "--title", "t", "--office", "ice", "--on", "2026-11-02")
    track("update", "1", "--status", "awaiting-clarification", "--on", "2026-11-10")
    track("update", "1", "--status", "in-progress", "--on", "2026-11-17")
    second = track("update", "1", "--status", "awaiting-clarification", "--on", "2026-11-24")
    # The second request for information does not stop the clock: warned on the update that records it.
    assert "Warning: awaiting clarification again from 2026-11-24: a second request for information does " \
           "not stop the determination clock" in second.stderr
    out = track("update", "1", "--status", "in-progress", "--on", "2026-11-30").output
    # Mon 2026-11-02 + 20 working days (Veterans Day 11-11, Thanksgiving 11-26 skipped) = 2026-12-02;
    # tolled (11-10, 11-17]: 11-12, 11-13, 11-16, 11-17 = 4 working days -> Tue 2026-12-08. The
    # second stay (11-24, 11-30] would have added 3 more (to 12-11): it does not.
    assert "Determination due: 2026-12-08 (Tue) [open]" in out
    shown = track("show", "1").output
    assert "Warning: awaiting clarification again from 2026-11-24" in shown
    assert "5 U.S.C. 552(a)(6)(A)(ii)(I)" in shown


@pytest.mark.pure
def test_fee_stops_may_repeat(track):
    track("add", "--title", "t", "--office", "ice", "--on", "2026-11-02")
    track("update", "1", "--status", "awaiting-clarification", "--on", "2026-11-10")
    track("update", "1", "--status", "in-progress", "--on", "2026-11-17")
    out = track("update", "1", "--status", "awaiting-fees", "--on", "2026-11-24").output
    assert "Warning" not in out
    out = track("update", "1", "--status", "in-progress", "--on", "2026-11-30").output
    # 12-08 plus the fee stop (11-24, 11-30]: 11-25, 11-27, 11-30 = 3 working days -> Fri 2026-12-11.
    assert "Determination due: 2026-12-11 (Fri) [open]" in out


# -- 2. an appeal of a fee-waiver or expedite denial alone leaves the request in processing -------


def _expedite_denied(track):
    track("add", "--title", "t", "--office", "ice", "--on", "2026-11-10", "--expedite")
    track("update", "1", "--expedite-decision", "denied", "--on", "2026-11-23")


@pytest.mark.pure
def test_a_side_appeal_leaves_the_determination_clock_running(track, rows):
    _expedite_denied(track)
    out = track("update", "1", "--status", "appealed", "--on", "2026-11-24").output
    assert "recorded: Appealed on 2026-11-24 (of the expedite denial)" in out
    # Tue 2026-11-10 + 20 working days (11-11 Veterans Day, 11-26 Thanksgiving skipped) -> Thu 2026-12-10.
    shown = track("show", "1", "--today", "2026-12-15").output
    assert "Determination due: 2026-12-10 (Thu) [overdue, 3 working days late]" in shown
    assert "appealed (of the expedite denial)" in shown
    assert "Appeal deadline (expedite denial): 2027-04-05 (Mon) [closed 2026-11-24 (appealed)]" in shown
    due = track("due", "--today", "2026-12-15").output
    assert "#1 t (ice, appealed): determination due 2026-12-10, 3 working days late" in due
    assert rows("select status, agency_due from requests") == [("appealed", "2026-12-10")]
    # Processing goes on and a determination may follow, which opens its own window.
    track("update", "1", "--status", "in-progress", "--on", "2026-11-25")
    out = track("update", "1", "--status", "denied", "--on", "2026-11-30").output
    assert "Appeal deadline (denied): 2027-04-09 (Fri) [open]" in out
    shown = track("show", "1").output
    assert "Determination due: 2026-12-10 (Thu) [met 2026-11-30 (denied)]" in shown
    # The side appeal awaits its decision still: owed expeditious consideration (552(a)(6)(E)(ii)(II)),
    # at the latest 20 working days after 11-24 (Christmas skipped).
    assert "Appeal decision due (expeditious consideration): 2026-12-23 (Wed) [open]" in shown


@pytest.mark.pure
def test_the_side_appeal_outcome_may_come_while_processing(track):
    _expedite_denied(track)
    track("update", "1", "--status", "appealed", "--on", "2026-11-24")
    track("update", "1", "--status", "in-progress", "--on", "2026-11-25")
    out = track("update", "1", "--status", "appeal-denied", "--on", "2026-11-27").output
    assert "Determination due: 2026-12-10 (Thu) [open]" in out
    shown = track("show", "1").output
    assert "Appeal decision due (expeditious consideration): 2026-12-23 (Wed) [met 2026-11-27 (appeal-denied)]" \
        in shown
    out = track("update", "1", "--status", "no-records", "--on", "2026-11-30").output
    assert "Appeal deadline (no records): 2027-04-09 (Fri) [open]" in out


@pytest.mark.pure
def test_appeal_of_says_what_is_appealed_when_the_determination_is_overdue_too(track):
    for n in (1, 2):
        track("add", "--title", "t", "--office", "ice", "--on", "2026-10-28", "--expedite")
        track("update", str(n), "--expedite-decision", "denied", "--on", "2026-11-05")
    # Wed 2026-10-28 + 20 working days (11-11, 11-26 skipped) -> Fri 2026-11-27: overdue on 11-30.
    # By default the appeal is of both, and the determination clock closes.
    out = track("update", "1", "--status", "appealed", "--on", "2026-11-30").output
    assert "(of the agency's silence and expedite denial)" in out
    assert "Determination due: 2026-11-27 (Fri) [closed 2026-11-30 (appealed)]" in track("show", "1").output
    # Appealing the expedite denial alone leaves the silence to be followed up.
    out = track("update", "2", "--status", "appealed", "--on", "2026-11-30", "--appeal-of", "expedite-denial").output
    assert "(of the expedite denial)" in out
    assert "Determination due: 2026-11-27 (Fri) [overdue, 1 working day late]" in track("show", "2").output
    # ... and may be appealed in its turn.
    out = track("update", "2", "--status", "appealed", "--on", "2026-11-30", "--appeal-of", "no-response").output
    assert "Determination due" not in out
    assert "Determination due: 2026-11-27 (Fri) [closed 2026-11-30 (appealed)]" in track("show", "2").output


@pytest.mark.pure
def test_appeal_of_must_name_what_is_open_to_appeal(track):
    _expedite_denied(track)
    bad = track("update", "1", "--status", "appealed", "--on", "2026-11-24", "--appeal-of", "no-response", ok=False)
    refused(bad, "--appeal-of no-response: request 1 has no overdue determination open to appeal on 2026-11-24",
            "open to appeal: expedite-denial")
    bad = track("update", "1", "--status", "in-progress", "--appeal-of", "expedite-denial", ok=False)
    refused(bad, "--appeal-of: give it with --status appealed")
    assert statuses(track) == ["recorded", "submitted", "expedited"]     # the created event opens the timeline


@pytest.mark.pure
def test_a_determination_may_follow_an_appeal_of_the_agency_silence(track):
    track("add", "--title", "t", "--office", "ice", "--on", "2026-10-28")
    out = track("update", "1", "--status", "appealed", "--on", "2026-11-30").output
    assert "Appealed on 2026-11-30 (of the agency's silence)" in out
    out = track("update", "1", "--status", "partial", "--on", "2026-11-30").output
    # The new adverse determination opens its appeal window: 90 working days after Mon 2026-11-30.
    assert "Appeal deadline (partial): 2027-04-09 (Fri) [open]" in out
    track("update", "1", "--status", "appealed", "--on", "2026-11-30")
    shown = track("show", "1").output
    assert "Appeal deadline (partial): 2027-04-09 (Fri) [closed 2026-11-30 (appealed)]" in shown
    assert "appealed (of the determination)" in shown
    # Processing moves stay refused after an appeal of the silence: only the answer may come.
    track("add", "--title", "u", "--office", "ice", "--on", "2026-10-28")
    track("update", "2", "--status", "appealed", "--on", "2026-11-30")
    refused(track("update", "2", "--status", "in-progress", ok=False), "cannot move request 2 from appealed to in-progress")


# -- 3. dates in an impossible order are refused, nothing written --------------------------------


@pytest.mark.pure
def test_an_appeal_received_before_it_was_sent_is_refused(track, rows):
    track("add", "--title", "t", "--office", "ice", "--on", "2026-10-01")
    track("update", "1", "--status", "denied", "--on", "2026-11-05")
    before = rows("select id, type, status from events order by id")
    bad = track("update", "1", "--status", "appealed", "--on", "2026-11-25", "--received", "2026-11-02", ok=False)
    refused(bad, "--received: the appeal cannot have been received on 2026-11-02, before it was sent "
                 "(--on 2026-11-25)")
    assert rows("select id, type, status from events order by id") == before
    assert rows("select key from deadlines where key = 'appeal_decision'") == []
    # Received on the day it was sent, or later, is fine.
    out = track("update", "1", "--status", "appealed", "--on", "2026-11-25", "--received", "2026-11-25").output
    assert "Appeal decision due: 2026-12-24 (Thu) [open]" in out


@pytest.mark.pure
def test_a_receipt_or_fee_before_the_filing_is_refused(track, rows):
    track("add", "--title", "t", "--office", "obim", "--on", "2026-11-16")
    before = rows("select id, type from events order by id")
    refused(track("update", "1", "--received", "2026-11-01", ok=False),
            "--received: 2026-11-01 is before request 1 was filed (2026-11-16)")
    refused(track("update", "1", "--first-received", "2026-11-01", ok=False),
            "--first-received: 2026-11-01 is before request 1 was filed (2026-11-16)")
    refused(track("update", "1", "--fee-estimated", "10", "--on", "2020-01-01", ok=False),
            "--on: 2020-01-01 is before request 1 was filed (2026-11-16)")
    refused(track("update", "1", "--tracking-number", "X-1", "--on", "2026-11-13", ok=False),
            "--on: 2026-11-13 is before request 1 was filed")
    assert rows("select id, type from events order by id") == before
    # Mon 2026-11-16 + 20 working days (Thanksgiving skipped) -> Tue 2026-12-15, unchanged.
    assert rows("select agency_due from requests") == [("2026-12-15",)]
    # A note may be dated before the filing.
    track("update", "1", "--note", "called the office first", "--on", "2026-11-10")


@pytest.mark.pure
def test_a_correction_may_not_put_a_fact_before_the_filing(track, rows):
    track("add", "--title", "t", "--office", "obim", "--on", "2026-11-16")
    track("update", "1", "--received", "2026-11-18")
    before = rows("select id from events order by id")
    refused(track("correct", "1", "2", "--on", "2026-11-20", ok=False),
            "cannot correct event 2 of request 1: received by the office (event 3) on 2026-11-18 would come "
            "before the request was filed (2026-11-20)")
    assert rows("select id from events order by id") == before


# -- 11. dates outside the working-day calendar -------------------------------------------------


@pytest.mark.pure
def test_dates_outside_the_calendar_are_refused(track, rows, tmp_path):
    refused(track("add", "--title", "x", "--office", "ice", "--on", "1800-01-01", ok=False),
            "--on: 1800-01-01 is outside the years foia's working-day calendar covers (1900-")
    assert rows("select count(*) from requests") == [(0,)]
    track("add", "--title", "x", "--office", "ice", "--on", "2026-11-02")
    refused(track("update", "1", "--note", "n", "--on", "1899-12-31", ok=False), "--on: 1899-12-31 is outside")
    refused(track("update", "1", "--estimated-completion", "2150-01-01", ok=False),
            "--estimated-completion: 2150-01-01 is outside")
    refused(track("correct", "1", "2", "--on", "1899-12-31", ok=False), "--on: 1899-12-31 is outside")
    assert rows("select count(*) from events") == [(2,)]
    csv = tmp_path / "old.csv"
    csv.write_text("title,office,filed_on\na,ice,1850-01-01\n", encoding="utf-8")
    bad = track("import", str(csv), ok=False)
    assert "row 2, column filed_on: 1850-01-01 is outside the years foia's working-day calendar covers" in bad.output
    assert rows("select count(*) from requests") == [(1,)]


# -- 4. list sees an open window behind a lapsed one --------------------------------------------


def _two_windows(track):
    track("add", "--title", "t", "--office", "ice", "--on", "2026-10-09", "--expedite")
    track("update", "1", "--expedite-decision", "denied", "--on", "2026-10-20")
    track("update", "1", "--status", "denied", "--on", "2026-11-24")
    # Windows: 90 working days after Tue 2026-10-20 -> Wed 2027-03-03 (expedite denial); after
    # Tue 2026-11-24 -> Tue 2027-04-06 (the denial).


def test_list_shows_the_window_still_open_behind_a_lapsed_one(track, rows):
    _two_windows(track)
    assert rows("select requester_due, requester_due_last from requests") == [("2027-03-03", "2027-04-06")]
    out = track("list", "--today", "2027-03-02").output
    assert "2027-03-03 appeal expedite" in out
    out = track("list", "--today", "2027-03-10").output
    assert "1   denied  ice     2027-04-06 appeal  t" in out
    assert "1   denied" in track("list", "--today", "2027-03-10", "--due-within", "30").output
    assert track("list", "--today", "2027-03-10", "--due-within", "20").output.strip() == "No requests."
    assert "No requests." not in track("list", "--today", "2027-03-10", "--limit", "5", "--status", "denied").output
    # Once both lapse: nothing next.
    out = track("list", "--today", "2027-04-07", "--json").output
    assert '"next_deadline": null' in out
    csv = track("export", "--format", "csv").output     # today is 2026-11-30: the expedite window is next
    assert "2027-03-03,appeal_expedite" in csv


def test_list_limit_picks_the_same_rows_as_the_full_sort(track):
    # A mix: overdue determinations, open and lapsed windows, nothing due.
    track("add", "--title", "a", "--office", "ice", "--on", "2026-10-01")                      # 1 overdue
    track("add", "--title", "b", "--office", "ice", "--on", "2026-10-09", "--expedite")        # 2
    track("update", "2", "--expedite-decision", "denied", "--on", "2026-10-20")
    track("update", "2", "--status", "denied", "--on", "2026-11-24")
    track("add", "--title", "c", "--office", "ice", "--on", "2026-11-02")                      # 3 open
    track("add", "--title", "d", "--office", "ice", "--on", "2026-10-01")                      # 4 withdrawn
    track("update", "4", "--status", "withdrawn", "--on", "2026-10-02")
    track("add", "--title", "e", "--office", "ice", "--on", "2026-11-02")                      # 5 fulfilled
    track("update", "5", "--status", "fulfilled", "--on", "2026-11-03")
    for today in ("2026-11-30", "2027-03-10", "2027-05-01"):
        full = [line.split()[0] for line in track("list", "--today", today).output.splitlines()[2:]]
        for n in range(1, 6):
            out = track("list", "--today", today, "--limit", str(n)).output
            assert [line.split()[0] for line in out.splitlines()[2:]] == full[:n], (today, n)
    assert full[-2:] == ["4", "5"]      # no deadline: last, by id
    out = track("list", "--today", "2027-03-10", "--limit", "2").output.splitlines()
    # Thu 2026-10-01 + 20 working days (Columbus Day 10-12 skipped) -> Fri 2026-10-30.
    assert out[2].split()[:4] == ["1", "submitted", "ice", "2026-10-30"]
    assert out[3].split()[:4] == ["3", "submitted", "ice", "2026-12-02"]


def test_an_older_database_gets_the_latest_window_column(db_url):
    from foia.tracker import open_tracker
    from foia.tracker.store import LATEST, open_store

    t = open_tracker(db_url)
    t.add(title="A", office="ice", on="2026-10-09", expedite=True)
    t.update(1, expedite_decision="denied", on="2026-10-20")
    t.update(1, status="denied", on="2026-11-24")

    def back_to_2(c):
        c.exec_driver_sql("DROP INDEX ix_requests_requester_due_last")
        for name in ("status", "office", "assignee"):    # migration 11's, on the column too
            c.exec_driver_sql(f"DROP INDEX IF EXISTS ix_requests_{name}_requester_due_last")
        c.exec_driver_sql("ALTER TABLE requests DROP COLUMN requester_due_last")
        c.exec_driver_sql("DELETE FROM schema_migrations WHERE version >= 3")

    t.store.write(back_to_2)
    t.store.dispose()
    store = open_store(db_url)
    try:
        assert store.schema_version() == LATEST
        with store.read() as conn:
            got = conn.exec_driver_sql("SELECT requester_due, requester_due_last FROM requests").one()
        assert [str(v) for v in got] == ["2027-03-03", "2027-04-06"]
    finally:
        store.dispose()


def test_the_csv_export_shows_the_window_behind_a_lapsed_one(track, db_url, tmp_path):
    from datetime import date

    from foia.tracker.export import export
    from foia.tracker.service import Tracker
    from foia.tracker.store import open_store

    _two_windows(track)
    store = open_store(db_url)
    try:
        export(Tracker(store, today=date(2027, 3, 10)), "csv", tmp_path / "q.csv")
    finally:
        store.dispose()
    text = (tmp_path / "q.csv").read_text(encoding="utf-8")
    assert text.splitlines()[1].endswith(",2027-04-06,appeal")


# -- 5. a late extension notice is a visible warning ---------------------------------------------


@pytest.mark.pure
def test_a_late_extension_notice_warns_on_update_and_in_show(track):
    track("add", "--title", "t", "--office", "dhs-privacy", "--on", "2026-10-22")
    # Thu 2026-10-22 + 20 working days (Veterans Day skipped) -> Fri 2026-11-20; the notice of
    # 11-25 comes after it and extends nothing (552(a)(6)(B)(i)): the statutory date stays, beside
    # the Mon 2026-12-07 the notice would claim.
    out = track("update", "1", "--extension-notice", "2026-11-25")
    assert "Determination due: 2026-11-20 (Fri) [overdue" in out.stdout
    assert ("Warning: Determination due: the extension notice is dated 2026-11-25, after the time limit ran out "
            "on 2026-11-20: it does not extend it") in out.stderr
    shown = track("show", "1").output
    assert "Statutory due date 2026-11-20; the notice would claim up to 2026-12-07" in shown
    # A notice in time says nothing.
    track("add", "--title", "u", "--office", "dhs-privacy", "--on", "2026-10-22")
    out = track("update", "2", "--extension-notice", "2026-11-19")
    assert "Warning" not in out.output and "Warning" not in track("show", "2").output


# -- 6. an extension notice extends the clock running on its date --------------------------------


@pytest.mark.pure
def test_an_extension_notice_is_classified_by_its_date(track):
    track("add", "--title", "t", "--office", "ice", "--on", "2026-10-01")
    track("update", "1", "--status", "denied", "--on", "2026-10-20")
    track("update", "1", "--status", "appealed", "--on", "2026-11-20")
    # Typed while appealed, dated before the denial: it extended the request's clock.
    out = track("update", "1", "--extension-notice", "2026-10-15").output
    assert "recorded: extension notice on 2026-10-15\n" in out
    shown = track("show", "1").output
    # Thu 2026-10-01 + 20 working days (Columbus Day) -> Fri 10-30; +10 (Veterans Day) -> Mon 11-16.
    assert "Determination due: 2026-11-16 (Mon) [met 2026-10-20 (denied)]" in shown
    # Dated after the appeal: it extends the appeal's decision, 20 + 10 working days after Fri
    # 2026-11-20 (Thanksgiving, Christmas, New Year's Day skipped) -> Wed 2027-01-06.
    out = track("update", "1", "--extension-notice", "2026-11-23").output
    assert "recorded: extension notice on 2026-11-23 (appeal)" in out
    assert "Appeal decision due: 2027-01-06 (Wed) [open]" in out
    shown = track("show", "1").output
    assert "2026-10-15  #5     extension notice (ana)" in shown
    assert "2026-11-23  #6     extension notice (appeal) (ana)" in shown


@pytest.mark.pure
def test_a_notice_during_a_side_appeal_is_refused_as_ambiguous(track, rows):
    _expedite_denied(track)
    track("update", "1", "--status", "appealed", "--on", "2026-11-24")
    bad = track("update", "1", "--extension-notice", "2026-11-25", ok=False)
    refused(bad, "--extension-notice 2026-11-25: on that day request 1 awaited both its determination and the "
                 "decision on an appeal of a fee-waiver or expedite denial")
    assert rows("select count(*) from events where type = 'extension-notice'") == [(0,)]
    # Before the side appeal it is the request's.
    out = track("update", "1", "--extension-notice", "2026-11-23").output
    # 2026-12-10 + 10 working days (Christmas skipped) -> Thu 2026-12-24.
    assert "Determination due: 2026-12-24 (Thu) [open]" in out


# -- 7. a draft may be recorded as submitted on an earlier day ------------------------------------


@pytest.mark.pure
def test_a_draft_typed_today_may_be_submitted_earlier(track, rows):
    track("add", "--title", "t", "--office", "ice", "--draft")
    out = track("update", "1", "--status", "submitted", "--on", "2026-11-27").output
    # Fri 2026-11-27 + 20 working days (Christmas skipped) -> Mon 2026-12-28.
    assert "Determination due: 2026-12-28 (Mon) [open]" in out
    assert rows("select status, status_on, filed_on from requests") == [("submitted", "2026-11-27", "2026-11-27")]
    shown = track("show", "1").output
    assert "Status:    submitted - Submitted (since 2026-11-27)" in shown
    assert "2026-11-30  #1     recorded as a draft (ana)" in shown
    track("update", "1", "--status", "acknowledged", "--on", "2026-11-30")
    # Not twice.
    refused(track("update", "1", "--status", "submitted", "--on", "2026-11-26", ok=False), "submitted")


# -- 12. small things ------------------------------------------------------------------------------


@pytest.mark.pure
def test_a_draft_cannot_be_acknowledged_before_it_is_submitted(track):
    track("add", "--title", "t", "--office", "ice", "--draft")
    refused(track("update", "1", "--status", "acknowledged", ok=False),
            "cannot move request 1 from draft to acknowledged: a draft has not been submitted; record the "
            "submission first (foia track update 1 --status submitted --on DATE)")


# -- 8. CSV import: an appeal's outcome closes the determination; an appeal is what the row states -


def test_an_imported_appeal_outcome_closes_the_determination_clock(track, rows, tmp_path):
    csv = tmp_path / "q.csv"
    csv.write_text("title,office,status,status_on,filed_on\n"
                   "a,ice,appeal-denied,2026-11-01,2026-06-01\n"
                   "b,ice,remanded,2026-11-01,2026-06-01\n"
                   "c,ice,appealed,2026-11-30,2026-10-01\n", encoding="utf-8")
    track("import", str(csv))
    shown = track("show", "1").output
    assert "Determination due: 2026-06-30 (Tue) [closed 2026-11-01 (appeal-denied)]" in shown
    assert "Determination due: 2026-06-30 (Tue) [closed 2026-11-01 (remanded)]" in track("show", "2").output
    # Request 3 was appealed: filed Thu 2026-10-01, due Fri 2026-10-30 (Columbus Day). The row does not say
    # what the appeal is of (a denial, or the silence): the history does not claim either.
    shown = track("show", "3").output
    assert "Determination due: 2026-10-30 (Fri) [closed 2026-11-30 (appealed)]" in shown
    assert "silence" not in shown and "appealed [from a CSV summary]" in shown
    assert rows("select id from requests where agency_due < '2026-11-30' order by id") == []
    assert track("due").output.count("Overdue determinations") == 0


def test_an_imported_appeal_is_what_the_row_states_not_an_appeal_of_the_silence(track, rows, tmp_path):
    # Denied, then appealed a day later: the CSV row says "appealed" only. It is not turned into an
    # appeal of the agency's silence, nor refused for coming before the determination was due.
    csv = tmp_path / "q.csv"
    csv.write_text("title,office,status,status_on,filed_on\n"
                   "b,ice,appealed,2026-11-30,2026-11-02\n", encoding="utf-8")
    track("import", str(csv))
    shown = track("show", "1").output
    assert "silence" not in shown
    assert "2026-11-30  #2     appealed [from a CSV summary]" in shown
    assert "Determination due: 2026-12-02 (Wed) [closed 2026-11-30 (appealed)]" in shown
    assert "Overdue determinations" not in track("due", "--today", "2027-01-04").output


def test_a_csv_export_re_imported_keeps_its_extension_and_expedite_decision(track, new_db_url, tmp_path):
    from tracker_support import track_runner

    # Filed Thu 2026-10-01: due Fri 2026-10-30 (Columbus Day); the extension notice of 2026-10-20
    # adds 10 working days (Veterans Day skipped): Mon 2026-11-16. Expedite denied on 2026-10-05.
    track("add", "--title", "t", "--office", "ice", "--on", "2026-10-01", "--expedite")
    track("update", "1", "--expedite-decision", "denied", "--on", "2026-10-05")
    track("update", "1", "--extension-notice", "2026-10-20")
    out = tmp_path / "q.csv"
    track("export", "--format", "csv", "--out", str(out))
    exported = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert exported[0]["extension_notices"] == "2026-10-20:request"
    assert exported[0]["expedite_decisions"] == "2026-10-05:denied"
    other = track_runner(new_db_url())
    other("import", str(out))
    shown = other("show", "1").output
    assert "Determination due: 2026-11-16 (Mon)" in shown
    assert "Expedite decision due: 2026-10-11 (Sun) [met 2026-10-05 (decision)]" in shown
    assert "Appeal deadline (expedite denial): 2027-02-17 (Wed) [open]" in shown
    assert "2026-10-20  #2     extension notice [from a CSV summary]" in shown
    assert "2026-10-05  #3     expedited processing denied [from a CSV summary]" in shown
    due = other("due", "--today", "2026-10-20").output
    assert "expedite" not in due.lower()
    # Exported again, the same facts.
    again = list(csv.DictReader(io.StringIO(other("export", "--format", "csv").output)))
    assert (again[0]["extension_notices"], again[0]["expedite_decisions"]) == ("2026-10-20:request",
                                                                               "2026-10-05:denied")


def test_a_voided_extension_notice_is_not_exported(track, tmp_path):
    track("add", "--title", "t", "--office", "ice", "--on", "2026-10-01")
    track("update", "1", "--extension-notice", "2026-10-20")
    track("update", "1", "--extension-notice", "2026-10-22")
    track("correct", "1", "3", "--void")     # event 3: the notice of 2026-10-20
    out = track("export", "--format", "csv").output
    assert list(csv.DictReader(io.StringIO(out)))[0]["extension_notices"] == "2026-10-22:request"


def test_a_csv_row_states_extensions_and_expedite_decisions_on_past_dates_after_filing(track, rows, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("title,office,filed_on,expedite,extension_notices,expedite_decisions\n"
                   "a,ice,2026-10-01,yes,2026-09-30,2026-10-05:maybe\n"
                   "b,ice,2026-10-01,yes,2026-12-20:request,2026-10-05\n"
                   "c,ice,,yes,2026-10-20:later,\n", encoding="utf-8")
    shown = track("import", str(bad), ok=False).output
    assert "row 2, column extension_notices: 2026-09-30 is before filed_on 2026-10-01" in shown
    assert "row 2, column expedite_decisions: '2026-10-05:maybe' is not DATE:granted|denied" in shown
    assert "row 3, column extension_notices: 2026-12-20 is in the future" in shown
    assert "row 3, column expedite_decisions: '2026-10-05' is not DATE:granted|denied" in shown
    assert "row 4, column extension_notices: '2026-10-20:later' is not DATE[:request|appeal]" in shown
    assert rows("select count(*) from requests") == [(0,)]
    # A bare date: the notice extends the clock running on that day (here the determination's).
    good = tmp_path / "good.csv"
    good.write_text("title,office,filed_on,extension_notices\na,ice,2026-10-01,2026-10-20\n", encoding="utf-8")
    track("import", str(good))
    assert "Determination due: 2026-11-16 (Mon)" in track("show", "1").output


# -- 9. litigation closes appeal windows; the appeal ground comes from what opened the window ------


@pytest.mark.pure
def test_litigation_closes_the_appeal_window(track):
    track("add", "--title", "t", "--office", "fbi", "--on", "2026-10-21")
    track("update", "1", "--status", "denied", "--on", "2026-11-05")
    assert "Appeal windows closing" in track("due", "--today", "2027-01-25", "--within", "30").output
    track("update", "1", "--status", "in-litigation", "--on", "2026-11-30")
    assert track("due", "--today", "2027-01-25", "--within", "30").output.splitlines()[-2:] == [
        "Nothing due.", "1 open request; no deadline ahead."]
    assert "[closed 2026-11-30 (in-litigation)]" in track("show", "1").output


def test_due_gives_the_ground_that_fits_the_window_or_no_command(track):
    track("add", "--title", "a", "--office", "ice", "--on", "2026-10-21")
    track("update", "1", "--status", "rejected", "--on", "2026-11-05")
    track("add", "--title", "b", "--office", "ice", "--on", "2026-10-21")
    track("update", "2", "--status", "partial", "--on", "2026-11-05")
    track("update", "2", "--status", "in-mediation", "--on", "2026-11-06")
    out = track("due", "--today", "2027-03-10", "--within", "30").output
    # 90 working days after Thu 2026-11-05 -> Fri 2027-03-19.
    assert "#1 a (ice, rejected): appeal deadline (rejected) 2027-03-19, 9 days left\n  #2" in out
    assert "#2 b (ice, in-mediation): appeal deadline (partial) 2027-03-19, 9 days left\n      run: foia track" in out
    assert out.rstrip().endswith(" appeal 2 --ground partial-withholding")   # after "--db URL"
    assert "--ground ..." not in out


# -- 10. no clock after a remand, and no re-appeal of the old determination ----------------------


@pytest.mark.pure
def test_a_remanded_request_has_no_invented_clock_and_no_reappeal(track, rows):
    track("add", "--title", "t", "--office", "dhs-privacy", "--on", "2026-11-12")
    for status, on in (("partial", "2026-11-13"), ("appealed", "2026-11-16"), ("remanded", "2026-11-24")):
        track("update", "1", "--status", status, "--on", on)
    out = track("update", "1", "--status", "in-progress", "--on", "2026-11-25").output
    assert "Determination due" not in out
    shown = track("show", "1").output
    assert "  No statutory clock after remand (remanded 2026-11-24): foia knows no deadline for reprocessing" in shown
    assert rows("select agency_due, requester_due from requests") == [(None, None)]
    before = rows("select count(*) from events")
    refused(track("update", "1", "--status", "appealed", "--on", "2026-11-30", ok=False),
            "cannot move request 1 from in-progress to appealed: the request was remanded on 2026-11-24 and no new "
            "determination has been recorded since")
    assert rows("select count(*) from events") == before
    # The new determination opens its window and may be appealed; the remand line goes.
    out = track("update", "1", "--status", "denied", "--on", "2026-11-27").output
    assert "Appeal deadline (denied): 2027-04-08 (Thu) [open]" in out
    track("update", "1", "--status", "appealed", "--on", "2026-11-30")
    assert "No statutory clock after remand" not in track("show", "1").output


@pytest.mark.pure
def test_a_correction_to_the_same_date_is_refused(track, rows):
    track("add", "--title", "t", "--office", "ice", "--on", "2026-11-02")
    before = rows("select count(*) from events")
    refused(track("correct", "1", "2", "--on", "2026-11-02", ok=False),
            "event 2 of request 1 is already dated 2026-11-02; nothing to change")
    assert rows("select count(*) from events") == before
    track("correct", "1", "2", "--on", "2026-11-03")
    refused(track("correct", "1", "2", "--on", "2026-11-03", ok=False), "already dated 2026-11-03")


@pytest.mark.pure
def test_explain_says_how_to_record_the_answer_to_a_stopped_clock(track):
    track("add", "--title", "t", "--office", "ice", "--on", "2026-11-02")
    track("update", "1", "--status", "awaiting-clarification", "--on", "2026-11-20")
    out = track("show", "1", "--explain").output
    assert "It resumes the day after the answer arrives: record the answer: foia track update 1 --status " \
           "in-progress --on DATE." in out
    assert "FROM:TO" not in out


# -- 13. a full grant opens an appeal window (search adequacy), with its caveat ---------------------


@pytest.mark.pure
def test_a_fulfilled_request_gets_a_window_and_show_says_why(track, rows):
    track("add", "--title", "t", "--office", "ice", "--on", "2026-11-02")
    track("update", "1", "--status", "fulfilled", "--on", "2026-11-20")
    assert rows("select key from deadlines order by key") == [("appeal",), ("determination",)]
    shown = track("show", "1").output
    assert "  Appeal window after a full grant: 6 CFR 5.8(a) counts the appeal time from the office's response, " \
           "so the adequacy of the search may be appealed in it" in shown
    # An adverse determination gets its window and no such line.
    track("add", "--title", "u", "--office", "ice", "--on", "2026-11-02")
    track("update", "2", "--status", "no-records", "--on", "2026-11-20")
    assert "after a full grant" not in track("show", "2").output


# -- 14. a side appeal that outlives the determination ---------------------------------------------


def _side_appeal(track, denied_on="2025-03-05", appealed_on="2025-03-06"):
    """Filed Mon 2025-03-03 (determination due Mon 2025-03-31); a fee waiver denied and its denial
    appealed alone (a side appeal)."""
    track("add", "--title", "Records about X", "--office", "ice", "--on", "2025-03-03", "--tracking-number", "N1")
    track("update", "1", "--fee-denied", "100", "--on", denied_on)
    track("update", "1", "--status", "appealed", "--appeal-of", "fee-waiver-denial", "--on", appealed_on)


@pytest.mark.pure
@pytest.mark.parametrize("outcome", ["appeal-denied", "appeal-granted"])
def test_a_side_appeal_outcome_may_follow_the_determination(track, rows, outcome):
    _side_appeal(track)
    track("update", "1", "--status", "denied", "--on", "2025-03-20")
    assert "Overdue appeal decisions (1)" in track("due").output
    out = track("update", "1", "--status", outcome, "--on", "2025-04-01").output
    assert f"recorded: {outcome.replace('-', ' ').capitalize()} on 2025-04-01" in out
    shown = track("show", "1").output
    # Thu 2025-03-06 + 20 working days -> Thu 2025-04-03: decided in time, no longer overdue.
    assert f"Appeal decision due: 2025-04-03 (Thu) [met 2025-04-01 ({outcome})]" in shown
    assert "Determination due: 2025-03-31 (Mon) [met 2025-03-20 (denied)]" in shown
    assert "Overdue appeal decisions" not in track("due").output
    assert rows("select status, agency_due from requests") == [(outcome, None)]
    # The request stays determined: no processing, no second determination; the denial may be appealed.
    refused(track("update", "1", "--status", "in-progress", "--on", "2025-04-02", ok=False),
            f"cannot move request 1 from {outcome} to in-progress: from {outcome} a request can move to appealed, "
            "in-litigation, in-mediation")
    out = track("update", "1", "--status", "appealed", "--on", "2025-04-02").output
    assert "Appealed on 2025-04-02 (of the determination)" in out


@pytest.mark.pure
def test_an_extension_notice_during_a_side_appeal_after_the_determination_is_the_appeals(track, rows):
    _side_appeal(track, denied_on="2025-03-20", appealed_on="2025-04-10")
    # Typed in the other order: the determination came before the side appeal.
    track("update", "1", "--status", "partial", "--on", "2025-04-01")
    out = track("update", "1", "--extension-notice", "2025-04-20").output
    assert "recorded: extension notice on 2025-04-20 (appeal)" in out
    # Thu 2025-04-10 + 20 working days -> Thu 05-08; + 10 -> Thu 2025-05-22.
    assert "Appeal decision due: 2025-05-22 (Thu) [overdue" in out
    assert "Determination due: 2025-03-31 (Mon) [late 2025-04-01 (partial)]" in track("show", "1").output
    assert rows("select count(*) from events where type = 'extension-notice'") == [(1,)]


@pytest.mark.pure
def test_a_remand_of_a_side_appeal_is_no_remand_of_the_determination(track, rows):
    _side_appeal(track)
    track("update", "1", "--status", "remanded", "--on", "2025-03-20")
    shown = track("show", "1").output
    # The determination is still owed, on its own clock.
    # (Executive Order 14371 closed 2025-12-24 and 12-26: two working days fewer.)
    assert "Determination due: 2025-03-31 (Mon) [overdue, 415 working days late]" in shown
    assert "No statutory clock after remand" not in shown
    assert "Overdue determinations (1)" in track("due").output
    # The agency's silence may be appealed.
    out = track("update", "1", "--status", "appealed", "--on", "2025-05-01").output
    assert "Appealed on 2025-05-01 (of the agency's silence)" in out
    assert "Determination due: 2025-03-31 (Mon) [closed 2025-05-01 (appealed)]" in track("show", "1").output
    assert rows("select status, agency_due from requests") == [("appealed", "2025-05-30")]


@pytest.mark.pure
def test_a_fee_waiver_denial_may_be_appealed_after_a_remand_of_the_determination(track):
    track("add", "--title", "X", "--office", "ice", "--on", "2026-06-01", "--tracking-number", "N1")
    track("update", "1", "--fee-denied", "100", "--on", "2026-06-10")
    track("update", "1", "--status", "denied", "--on", "2026-08-20")
    track("update", "1", "--status", "appealed", "--appeal-of", "determination", "--on", "2026-09-01")
    track("update", "1", "--status", "remanded", "--on", "2026-10-01")
    # The denial's own window (90 working days from 2026-06-10) is still open on 2026-10-05.
    out = track("update", "1", "--status", "appealed", "--appeal-of", "fee-waiver-denial", "--on", "2026-10-05")
    assert "Appealed on 2026-10-05 (of the fee-waiver denial)" in out.output
    track("update", "1", "--status", "in-progress", "--on", "2026-10-10")      # processing goes on
    again = track("update", "1", "--status", "appealed", "--appeal-of", "determination", "--on", "2026-10-12",
                  ok=False)
    assert again.output.strip() == ("Error: --appeal-of determination: request 1 has no determination open to "
                                    "appeal on 2026-10-12 (open to appeal: nothing); check --appeal-of and --on")
