"""The morning view for a team (issue 19): assignees, lapsed windows, stale requests, a quiet
morning's summary; `--db` after the subcommand."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from foia.cli import cli


def test_due_shows_and_filters_by_assignee(track, monkeypatch):
    track("add", "--title", "Hers", "--office", "ice", "--on", "2025-01-02", "--assignee", "Maria")
    track("add", "--title", "His", "--office", "cbp", "--on", "2025-01-02", "--assignee", "bo")
    out = track("due", "--today", "2025-02-04").output
    assert "  #1 Hers (ice, submitted; Maria): determination due 2025-01-31, 2 working days late" in out
    assert "  #2 His (cbp, submitted; bo): determination due 2025-01-31, 2 working days late" in out
    mine = track("due", "--today", "2025-02-04", "--assignee", "maria").output
    assert mine.splitlines()[0] == "Due as of 2025-02-04 (Tue) for maria"
    assert "Overdue determinations (1):" in mine and "#1 Hers (ice, submitted)" in mine and "His" not in mine
    monkeypatch.setenv("FOIA_USER", "Bo")
    mine = track("due", "--today", "2025-02-04", "--mine").output
    assert "#2 His (cbp, submitted)" in mine and "Hers" not in mine
    data = json.loads(track("due", "--today", "2025-02-04", "--json").output)
    items = {s["key"]: s for s in data["sections"]}["overdue_determinations"]["items"]
    assert [(i["id"], i["assignee"]) for i in items] == [(1, "Maria"), (2, "bo")]
    both = track("due", "--mine", "--assignee", "x", ok=False)
    assert both.output.strip() == "Error: give --assignee NAME or --mine, not both"


def test_a_lapsed_requester_window_shows_for_a_few_days(track):
    track("add", "--title", "Denied one", "--office", "ice", "--on", "2025-01-02")
    track("update", "1", "--status", "denied", "--on", "2025-03-03")      # appeal window: 2025-07-10
    out = track("due", "--today", "2025-07-13").output
    assert "Lapsed in the last 7 days (1):" in out
    assert "  #1 Denied one (ice, denied): appeal deadline (denied) 2025-07-10, lapsed 3 days ago" in out
    assert "Lapsed" not in track("due", "--today", "2025-07-13", "--lapsed-days", "0").output
    assert "Lapsed" not in track("due", "--today", "2025-07-18").output
    assert "Lapsed in the last 10 days (1):" in track("due", "--today", "2025-07-18", "--lapsed-days", "10").output
    data = json.loads(track("due", "--today", "2025-07-13", "--json").output)
    lapsed = {s["key"]: s for s in data["sections"]}["lapsed_windows"]
    assert lapsed["items"][0]["days_ago"] == 3 and lapsed["items"][0]["key"] == "appeal"


def test_requests_with_no_movement_show_per_status(track):
    track("add", "--title", "Fees", "--office", "ice", "--on", "2025-01-02")
    track("update", "1", "--status", "awaiting-fees", "--on", "2025-01-10")
    track("add", "--title", "Remand", "--office", "ice", "--on", "2025-01-02")
    track("update", "2", "--status", "denied", "--on", "2025-01-20")
    track("update", "2", "--status", "appealed", "--on", "2025-01-27")
    track("update", "2", "--status", "remanded", "--on", "2025-02-03")
    track("add", "--title", "Moving", "--office", "ice", "--on", "2025-02-10")
    out = track("due", "--today", "2025-02-23").output
    assert "No movement for 30 days or more (1):" in out
    assert ("  #1 Fees (ice, awaiting-fees): nothing since 2025-01-10 (44 days); the agency awaits a fee answer "
            "or payment (its clock is stopped)") in out
    later = track("due", "--today", "2025-03-20").output
    assert "No movement for 30 days or more (2):" in later
    assert "#2 Remand (ice, remanded): nothing since 2025-02-03 (45 days); remanded" in later
    assert "Moving" not in later.split("No movement")[1]
    assert "No movement" not in track("due", "--today", "2025-03-20", "--stale-days", "0").output
    assert "No movement for 60 days or more (1):" in track("due", "--today", "2025-03-20", "--stale-days", "60").output


def test_a_quiet_morning_says_what_is_open_and_next(track):
    assert track("due").output.splitlines()[-1] == "Nothing due."
    track("add", "--title", "First", "--office", "ice", "--on", "2026-12-03")
    lines = track("due", "--today", "2026-12-03").output.splitlines()
    assert lines[-2:] == ["Nothing due.", "1 open request; next: #1 determination due 2027-01-04 (ice)."]
    data = json.loads(track("due", "--today", "2026-12-03", "--json").output)
    assert data["open"] == 1 and data["next"] == {"id": 1, "label": "Determination due", "due": "2027-01-04",
                                                  "office": "ice"}


@pytest.mark.pure
def test_db_is_accepted_after_the_subcommand(db_url):
    runner = CliRunner()
    added = runner.invoke(cli, ["track", "add", "--title", "T", "--office", "ice", "--on", "2025-01-02",
                                "--db", db_url])
    assert added.exit_code == 0, added.output
    due = runner.invoke(cli, ["track", "due", "--today", "2025-02-04", "--db", db_url])
    assert due.exit_code == 0, due.output
    assert "#1 T (ice, submitted)" in due.output
    listed = runner.invoke(cli, ["track", "list", "--json", "--db", db_url])
    assert [r["title"] for r in json.loads(listed.output)] == ["T"]


def test_a_draft_left_unsent_shows_as_stale(track):
    track("add", "--title", "Unsent", "--office", "ice", "--draft")
    data = json.loads(track("due", "--json", "--today", "2027-02-01").output)
    stale = {s["key"]: s for s in data["sections"]}["stale"]
    assert [(i["id"], i["status"]) for i in stale["items"]] == [(1, "draft")]


def test_add_show_and_list_read_as_filed(track):
    added = track("add", "--title", "Old one", "--office", "ice", "--on", "2025-01-02",
                  "--tracking-number", "2025-ICFO-1").output
    assert "recorded in the tracker" not in added
    assert added.splitlines()[1] == "  recorded: Submitted on 2025-01-02"
    track("update", "1", "--status", "denied", "--on", "2025-02-03")
    track("update", "1", "--status", "appealed", "--on", "2025-02-10", "--tracking-number", "2025-APP-9:appeal")
    timeline = track("show", "1").output.split("Timeline:\n")[1].splitlines()
    assert "recorded in the tracker" in timeline[0]
    assert [line.split()[0] for line in timeline[1:]] == ["2025-01-02", "2025-01-02", "2025-02-03", "2025-02-10",
                                                          "2025-02-10"]
    rows = json.loads(track("list", "--json").output)
    assert rows[0]["tracking_number"] == "2025-APP-9"
    track("update", "1", "--status", "appeal-denied", "--on", "2025-03-03")
    assert json.loads(track("list", "--json").output)[0]["tracking_number"] == "2025-ICFO-1"
