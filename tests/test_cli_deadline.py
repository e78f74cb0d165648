"""`foia deadline`: what the user sees. Dates were counted by hand (see tests/test_deadlines.py)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from foia.cli import cli


def run(*args):
    return CliRunner().invoke(cli, ["deadline", *args])


def test_default_table():
    result = run("--received", "2025-11-21")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "Request received 2025-11-21 (Fri); rules: DHS defaults (6 CFR Part 5)"
    # The directory's closures (Executive Order 14371) are listed.
    assert lines[1] == ("Extra closures: 2 from the agency directory: 2025-12-24 Executive Order 14371 closure, "
                        "2025-12-26 Executive Order 14371 closure")
    assert lines[2].split() == ["Clock", "Due", "Rule"]
    # Fri before Thanksgiving week: 20 working days -> Mon 2025-12-22.
    assert lines[3].split(None, 4)[:4] == ["Determination", "due", "2025-12-22", "Mon"]
    assert lines[3].endswith("5 U.S.C. 552(a)(6)(A)(i); 6 CFR 5.5(a)")
    assert len(lines) == 4


def test_explain_names_the_holiday_and_counts():
    result = run("--received", "2025-11-21", "--explain")
    assert result.exit_code == 0, result.output
    assert "    2025-11-27 Thanksgiving Day skipped" in result.output
    assert "    2025-11-24 (Mon) to 2025-11-26 (Wed): working days 1-3 counted" in result.output
    assert "    Due: 2025-12-22 (Mon)." in result.output


def test_every_clock_and_options():
    result = run("--received", "2025-11-21", "--expedite", "--clarification-asked", "2025-12-01",
                 "--determination", "2026-01-05", "--appeal-received", "2026-02-02",
                 "--tolled", "2025-12-01:2025-12-05", "--extension-notice", "2025-12-10")
    assert result.exit_code == 0, result.output
    due = {line[:23].strip(): line[23:].split()[0:2] for line in result.output.splitlines()[3:]}
    # Tolled 4 working days: Dec 22 + 4, with Dec 24 and 26 closed (Executive Order 14371) =
    # 2025-12-31; then +10: Jan 1 skipped; Jan 2 = 1; Jan 5-9 = 2-6; Jan 12-15 = 7-10. The
    # clarification window is the requester's: counted without the closures.
    assert due["Determination due"] == ["2026-01-15", "Thu"]
    assert due["Expedite decision due"] == ["2025-12-01", "Mon"]
    assert due["Answer clarification by"] == ["2026-01-14", "Wed"]
    assert due["Appeal deadline"] == ["2026-05-13", "Wed"]
    assert due["Appeal decision due"] == ["2026-03-03", "Tue"]


def test_json_output():
    result = run("--received", "2025-11-21", "--tolled", "2025-12-01:", "--determination", "2026-01-05",
                 "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["inputs"]["received"] == "2025-11-21"
    assert data["inputs"]["tolled"] == ["2025-12-01:"]
    assert data["office"] is None
    assert data["rules"]["appeal_window_unit"] == "working"
    keys = [d["key"] for d in data["deadlines"]]
    assert keys == ["determination", "appeal"]
    determination, appeal = data["deadlines"]
    assert determination["due"] is None
    assert any("Clock stopped since 2025-12-01" in line for line in determination["explanation"])
    assert appeal["due"] == "2026-05-13" and appeal["due_weekday"] == "Wed"


def test_open_tolling_shows_stopped_in_the_table():
    result = run("--received", "2025-11-21", "--tolled", "2025-12-01:")
    assert result.exit_code == 0, result.output
    assert "stopped" in result.output.splitlines()[3]
    assert "Clock stopped since 2025-12-01 (Mon)" in result.output


@pytest.mark.parametrize("args, message", [
    (["--received", "2025-11-31"], "Error: --received: '2025-11-31' is not a date; use YYYY-MM-DD"),
    (["--received", "11/21/2025"], "Error: --received: '11/21/2025' is not a date; use YYYY-MM-DD"),
    (["--received", "2025-11-21", "--tolled", "2025-12-01"], "Error: --tolled: '2025-12-01' is not a period"),
    (["--received", "2025-11-21", "--tolled", "2025-12-05:2025-12-01"], "Error: --tolled: '2025-12-05:2025-12-01' ends before it starts"),
    (["--received", "2025-11-21", "--determination", "soon"], "Error: --determination: 'soon' is not a date"),
    (["--received", "2025-11-21", "--closure", "xmas"], "Error: --closure: 'xmas' is not DATE[:NAME]"),
    (["--received", "2025-11-21", "--first-received", "2025-11-24"], "Error: first receipt 2025-11-24 is after"),
])
def test_bad_input_is_one_line_exit_2(args, message):
    result = run(*args)
    assert result.exit_code == 2
    assert result.output.startswith(message)
    assert len(result.output.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_closure_from_option_and_config_file(tmp_path):
    # The directory closes Dec 24 and 26 2025 (Executive Order 14371): received 2025-12-08 is
    # due 2026-01-09 instead of 2026-01-07. --closure renames a day; another one adds a day.
    plain = run("--received", "2025-12-08")
    assert "2026-01-09 Fri" in plain.output
    closed = run("--received", "2025-12-08", "--closure", "2025-12-24:Executive order", "--closure",
                 "2026-01-02:Day of mourning", "--explain")
    assert closed.exit_code == 0, closed.output
    assert "2026-01-12 Mon" in closed.output
    assert ("Extra closures: 2 from the agency directory; 2 from --closure: 2025-12-24 Executive order, "
            "2025-12-26 Executive Order 14371 closure, 2026-01-02 Day of mourning") in closed.output
    assert "2025-12-24 closure: Executive order, 2025-12-25 Christmas Day" in closed.output

    config = tmp_path / "config"
    config.mkdir()
    (config / "closures.yaml").write_text("- {date: 2026-01-02, name: Day of mourning}\n")
    from_file = run("--received", "2025-12-08", "--json")
    data = json.loads(from_file.output)
    assert data["closures"] == {"2025-12-24": "Executive Order 14371 closure",
                                "2025-12-26": "Executive Order 14371 closure", "2026-01-02": "Day of mourning"}
    assert data["deadlines"][0]["due"] == "2026-01-12"

    (config / "closures.yaml").write_text("- {date: 2025-12-24}\n")
    broken = run("--received", "2025-12-08")
    assert broken.exit_code == 1
    assert broken.output.startswith(f"Error: {config / 'closures.yaml'}: entry 1 (2025-12-24): give a name")


def test_office_rules_from_the_directory():
    ice = run("--received", "2025-11-21", "--office", "ICE", "--determination", "2026-01-05")
    assert ice.exit_code == 0, ice.output
    assert "rules: ICE (U.S. Immigration and Customs Enforcement), from the agency directory" in ice.output
    assert "2026-05-13 Wed  6 CFR 5.8(a)" in ice.output
    lower = run("--received", "2025-11-21", "--office", "ice", "--json")
    assert json.loads(lower.output)["office"] == "ice"
    missing = run("--received", "2025-11-21", "--office", "nosuch")
    assert missing.exit_code == 1
    assert missing.output.startswith("Error: no agency 'nosuch'")


def test_office_with_calendar_day_appeal_window_flags_a_weekend_due_date():
    # The directory gives the FBI the statute's 90 calendar days: 2026-01-05 + 90 = Sun 2026-04-05.
    result = run("--received", "2025-11-21", "--office", "FBI", "--determination", "2026-01-05")
    assert result.exit_code == 0, result.output
    assert "2026-04-05 Sun" in result.output
    assert "note: 2026-04-05 is not a working day (Sunday); it is not moved" in result.output
    assert "6 CFR" not in result.output


def test_help_lists_the_command():
    result = CliRunner().invoke(cli, ["--help"])
    assert "deadline" in result.output
    result = run("--help")
    assert result.exit_code == 0
    assert "--tolled FROM:TO" in result.output


@pytest.mark.parametrize("args, message", [
    # Used to end in an OverflowError traceback (the 90-day floor past date.max).
    (["--received", "2025-11-21", "--determination", "9999-12-31"], "Error: 9999-12-31 is outside the years"),
    (["--received", "2025-11-21", "--extension-notice", "2020-01-01"],
     "Error: extension notice 2020-01-01 is dated before the request was received (2025-11-21)"),
    (["--received", "2025-11-21", "--determination", "2025-01-01"],
     "Error: determination 2025-01-01 is before the request was received (2025-11-21)"),
    (["--received", "2025-11-21", "--appeal-extension-notice", "2026-01-05"],
     "Error: --appeal-extension-notice needs --appeal-received"),
])
def test_impossible_dates_are_one_line_exit_2(args, message):
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert result.output.startswith(message)
    assert len(result.output.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_empty_office_is_an_error_not_dhs_defaults():
    result = run("--received", "2025-11-21", "--office", "")
    assert result.exit_code == 1
    assert result.output.startswith("Error: no agency ''")


def test_warnings_are_shown_without_explain():
    # A notice dated after the due date it extends extends nothing (552(a)(6)(B)(i)): the table
    # shows the statutory date and the warning under it, not only with --explain.
    result = run("--received", "2025-11-21", "--extension-notice", "2025-12-23",
                 "--tolled", "2025-11-01:2025-11-20")
    assert result.exit_code == 0, result.output
    assert "2025-12-22 Mon" in result.output
    assert "    Warning: the extension notice is dated 2025-12-23, after the time limit ran out on 2025-12-22" \
        in result.output
    assert "    Warning: tolled period 2025-11-01:2025-11-20 ends before the clock started: ignored." in result.output
