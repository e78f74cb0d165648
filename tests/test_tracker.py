"""`foia track`: adding, updating, listing, showing and the morning view, on SQLite and
PostgreSQL. Deadline dates were counted by hand (weekends and 5 U.S.C. 6103 holidays skipped).
"""

from __future__ import annotations

import json
from datetime import date

import pytest
from click.testing import CliRunner

from foia.cli import cli


@pytest.fixture(autouse=True)
def _user(monkeypatch):
    monkeypatch.setenv("FOIA_USER", "ana")


def test_add_then_show_gives_the_determination_date(track):
    out = track("add", "--title", "ICM records", "--office", "ICE", "--on", "2025-01-02",
                "--tracking-number", "2025-ICFO-12345").output
    assert out.splitlines()[0] == "Request 1 recorded: ICM records (ice), submitted."
    # Thu 2025-01-02 + 20 working days, MLK Day (Jan 20) skipped -> Fri 2025-01-31.
    assert "Determination due: 2025-01-31 (Fri)" in out
    shown = track("show", "1", "--today", "2025-01-20").output
    assert "Status:    submitted - Submitted (since 2025-01-02)" in shown
    assert "  2025-ICFO-12345  assigned  (since 2025-01-02)" in shown
    assert "Determination due: 2025-01-31 (Fri) [open]  5 U.S.C. 552(a)(6)(A)(i); 6 CFR 5.5(a)" in shown
    assert "2025-01-02  #2     submitted (ana)" in shown


def test_show_by_tracking_number_and_unknown_request(track):
    track("add", "--title", "A", "--office", "cbp", "--on", "2025-01-02", "--tracking-number", "CBP-1")
    assert track("show", "CBP-1").output.startswith("Request 1: A")
    bad = track("show", "99", ok=False)
    assert bad.exit_code == 1
    assert bad.output.strip() == "Error: no request 99; see `foia track list`"


@pytest.mark.pure
def test_tolling_moves_the_determination_and_explain_says_why(track):
    track("add", "--title", "A", "--office", "ice", "--on", "2025-01-02")
    track("update", "1", "--status", "acknowledged", "--on", "2025-01-06")
    out = track("update", "1", "--status", "awaiting-clarification", "--on", "2025-01-15").output
    assert "Determination due: clock stopped [stopped]" in out
    # 6 CFR 5.3(c): 30 working days after Wed 2025-01-15 (MLK, Presidents Day skipped) -> 2025-02-28.
    assert "Answer clarification by: 2025-02-28 (Fri)" in out
    out = track("update", "1", "--status", "in-progress", "--on", "2025-01-22").output
    # Stopped (Jan 15, Jan 22]: Jan 16, 17, 21, 22 = 4 working days: Jan 31 -> Thu Feb 6.
    assert "Determination due: 2025-02-06 (Thu)" in out
    shown = track("show", "1", "--explain", "--today", "2025-02-03").output
    assert "2025-01-16 to 2025-01-22 tolled (clock stopped): 4 working days not counted" in shown
    assert "Answer clarification by: 2025-02-28 (Fri) [closed 2025-01-22 (answered)]" in shown


@pytest.mark.pure
def test_extension_notice_adds_ten_working_days(track):
    track("add", "--title", "A", "--office", "ice", "--on", "2025-01-02")
    out = track("update", "1", "--extension-notice", "2025-01-21").output
    # Fri Jan 31 + 10 working days -> Fri Feb 14.
    assert "Determination due: 2025-02-14 (Fri)" in out


@pytest.mark.pure
def test_dates_the_engine_refuses_are_not_recorded(track):
    track("add", "--title", "A", "--office", "ice", "--on", "2025-03-03")
    bad = track("update", "1", "--extension-notice", "2025-01-01", ok=False)
    assert bad.exit_code == 1
    assert bad.output.startswith("Error: request 1: extension notice 2025-01-01 is dated before the request was "
                                 "received (2025-03-03)")
    assert bad.output.rstrip().endswith("; nothing was recorded")
    assert "extension notice" not in track("show", "1").output


@pytest.mark.pure
def test_impossible_moves_are_refused_with_one_line(track):
    track("add", "--title", "A", "--office", "ice", "--on", "2025-01-02")
    track("update", "1", "--status", "withdrawn", "--on", "2025-01-10")
    bad = track("update", "1", "--status", "fulfilled", "--on", "2025-01-20", ok=False)
    assert bad.exit_code == 1
    assert bad.output == ("Error: cannot move request 1 from withdrawn to fulfilled: a withdrawn request is "
                          "closed; record a new request instead\n")
    shown = track("show", "1").output
    assert "fulfilled" not in shown  # nothing was written


@pytest.mark.pure
def test_appeal_before_determination_is_refused_until_overdue(track):
    track("add", "--title", "A", "--office", "ice", "--on", "2025-01-02")
    early = track("update", "1", "--status", "appealed", "--on", "2025-01-15", ok=False)
    assert early.output == ("Error: cannot move request 1 from submitted to appealed: there is no determination "
                            "to appeal yet, and it is not due until 2025-01-31; appeal after a determination or "
                            "once it is overdue\n")
    # After the due date the silence is appealable (constructive exhaustion).
    out = track("update", "1", "--status", "appealed", "--on", "2025-02-10").output
    assert "Appeal decision due: 2025-03-11 (Tue)" in out  # Feb 10 + 20 working days (Presidents Day skipped)


@pytest.mark.pure
def test_backdated_status_must_fit_between_its_neighbours(track):
    track("add", "--title", "A", "--office", "ice", "--on", "2025-01-02")
    track("update", "1", "--status", "in-progress", "--on", "2025-01-20")
    # An acknowledgement recorded late, dated before in-progress: fits.
    track("update", "1", "--status", "acknowledged", "--on", "2025-01-06")
    # A denial dated before in-progress would be followed by in-progress: refused.
    bad = track("update", "1", "--status", "denied", "--on", "2025-01-10", ok=False)
    assert bad.exit_code == 1
    assert "cannot record denied on 2025-01-10 for request 1: it is followed by in-progress on 2025-01-20" in bad.output
    shown = track("show", "1").output
    assert "Status:    in-progress" in shown


@pytest.mark.pure
def test_future_dates_and_bad_input_are_usage_errors(track):
    track("add", "--title", "A", "--office", "ice", "--on", "2025-01-02")
    bad = track("update", "1", "--status", "denied", "--on", "2999-01-01", ok=False)
    assert bad.exit_code == 2
    assert bad.output == "Error: --on: 2999-01-01 is in the future; give the date it happened\n"
    bad = track("update", "1", "--status", "nonsense", ok=False)
    assert bad.exit_code == 2 and "is not a status; use one of draft, submitted" in bad.output
    bad = track("add", "--title", "B", "--office", "XYZ", ok=False)
    assert bad.output == "Error: --office: unknown office 'XYZ'; expected an id from `foia agencies list`\n"
    bad = track("update", "1", ok=False)
    assert bad.exit_code == 2 and "nothing to record" in bad.output
    bad = track("update", "1", "--fee-paid", "ten", ok=False)
    assert "--fee-paid: 'ten' is not an amount" in bad.output


def test_adverse_determination_opens_an_appeal_window_and_due_lists_it(track):
    track("add", "--title", "Denied one", "--office", "ice", "--on", "2025-01-02", "--tracking-number", "T-1")
    out = track("update", "1", "--status", "denied", "--on", "2025-03-03").output
    # 90 working days after Mon 2025-03-03: March 4-31 = 20, April 22, May 21 (Memorial Day
    # skipped), June 20 (Juneteenth skipped), July 1-3 and 7-10 = 7 (July 4 skipped) -> Thu 2025-07-10.
    assert "Appeal deadline (denied): 2025-07-10 (Thu)" in out
    due = track("due", "--today", "2025-07-01").output
    assert "Appeal windows closing within 14 days (1):" in due
    assert "#1 Denied one (ice, denied): appeal deadline (denied) 2025-07-10, 9 days left" in due
    assert due.splitlines()[-1].endswith(" appeal 1 --ground withholding")
    assert "Appeal windows" not in track("due", "--today", "2025-06-01").output
    # Appealing closes the window.
    track("update", "1", "--status", "appealed", "--on", "2025-07-02")
    assert "Appeal windows" not in track("due", "--today", "2025-07-03").output


def test_due_morning_view_overdue_and_expedite(track, db_url):
    track("add", "--title", "Late one", "--office", "ice", "--on", "2025-01-02", "--expedite")
    track("add", "--title", "On time", "--office", "cbp", "--on", "2025-02-03")
    out = track("due", "--today", "2025-02-04").output
    lines = out.splitlines()
    assert lines[0] == "Due as of 2025-02-04 (Tue)"
    assert "Overdue determinations (1):" in lines
    # Due Fri Jan 31: Feb 3 and Feb 4 are 2 working days late.
    assert "  #1 Late one (ice, submitted): determination due 2025-01-31, 2 working days late" in lines
    assert any(line.strip().startswith("run: foia track --db ") and line.endswith("followup 1") for line in lines)
    # Expedite: 10 calendar days after Jan 2 -> Sun Jan 12.
    assert "Late expedite decisions (1):" in lines
    assert "  #1 Late one (ice, submitted): expedite decision due 2025-01-12, 16 working days late" in lines
    assert "On time" not in out
    data = json.loads(track("due", "--today", "2025-02-04", "--json").output)
    sections = {s["key"]: s for s in data["sections"]}
    assert sections["overdue_determinations"]["total"] == 1
    assert sections["overdue_determinations"]["items"][0]["command"] == "foia track followup 1"
    track("update", "1", "--expedite-decision", "granted", "--on", "2025-01-14")
    assert "Late expedite" not in track("due", "--today", "2025-02-04").output


def test_due_with_nothing(track):
    assert track("due").output.splitlines()[-1] == "Nothing due."


def test_list_sorts_by_next_deadline_and_filters(track):
    track("add", "--title", "Later", "--office", "ice", "--on", "2025-03-03", "--assignee", "bo", "--tag", "lpr")
    track("add", "--title", "Sooner", "--office", "cbp", "--on", "2025-01-02", "--tag", "lpr,icm")
    track("add", "--title", "Draft", "--office", "uscis", "--draft")
    rows = json.loads(track("list", "--json", "--today", "2025-02-01").output)
    assert [r["title"] for r in rows] == ["Sooner", "Later", "Draft"]
    assert rows[0]["next_deadline"] == "2025-01-31" and rows[0]["overdue"] is True
    assert rows[2]["next_deadline"] is None and rows[2]["status"] == "draft"
    titles = lambda *a: [r["title"] for r in json.loads(track("list", "--json", "--today", "2025-02-01", *a).output)]
    assert titles("--overdue") == ["Sooner"]
    assert titles("--assignee", "bo") == ["Later"]
    assert titles("--tag", "icm") == ["Sooner"]
    assert titles("--tag", "lpr") == ["Sooner", "Later"]
    assert titles("--status", "draft") == ["Draft"]
    assert titles("--office", "CBP") == ["Sooner"]
    assert titles("--due-within", "30") == ["Sooner"]      # Later is due 2025-03-31
    assert titles("--due-within", "60") == ["Sooner", "Later"]
    csv_out = track("list", "--csv", "--today", "2025-02-01").output
    assert csv_out.splitlines()[0].startswith("id,status,office,next_deadline,next_deadline_key,title")
    table = track("list", "--today", "2025-02-01").output
    assert "2025-01-31 OVERDUE determination" in table


@pytest.mark.pure
def test_hsi_files_through_ice_and_ogis_has_no_clock(track):
    out = track("add", "--title", "HSI records", "--office", "hsi", "--on", "2025-01-02").output
    assert "(hsi), submitted" in out
    # ICE's clock (HSI files through ICE), and the office named is kept: --office hsi finds only
    # HSI's requests, --office ice finds ICE's and its directorates'.
    assert "Determination due: 2025-01-31 (Fri)" in out
    track("add", "--title", "ERO records", "--office", "ERO", "--on", "2025-01-02")
    track("add", "--title", "ICE records", "--office", "ice", "--on", "2025-01-02")
    titles = lambda *a: sorted(r["title"] for r in json.loads(track("list", "--json", *a).output))
    assert titles("--office", "hsi") == ["HSI records"]
    assert titles("--office", "ero") == ["ERO records"]
    assert titles("--office", "ice") == ["ERO records", "HSI records", "ICE records"]
    shown = track("show", "1").output
    assert "Office:    HSI (Homeland Security Investigations)" in shown and "Filed with: ICE FOIA Office" in shown
    out = track("add", "--title", "Mediation", "--office", "ogis", "--on", "2025-01-02").output
    assert "Determination" not in out
    assert "Deadlines: none (this office has no statutory clock)" in track("show", "4").output


def test_identity_fields_are_hidden_unless_asked(track):
    track("add", "--title", "A-File", "--office", "uscis", "--on", "2025-01-02", "--client-name", "Jane Roe",
          "--client-dob", "1980-02-03", "--client-a-number", "A123456789", "--requester", "Clinic Lawyer")
    out = track("update", "1", "--documents", "3", "--pages", "120", "--file", "roe-afile.pdf",
                "--on", "2025-02-01").output
    assert "roe-afile.pdf" not in out and "3 documents, 120 pages" in out
    for args in (("show", "1"), ("list",), ("list", "--json"), ("list", "--csv"), ("show", "1", "--json")):
        out = track(*args).output
        for secret in ("Jane Roe", "1980-02-03", "A123456789", "Clinic Lawyer", "roe-afile.pdf"):
            assert secret not in out, (args, secret)
    shown = track("show", "1", "--identity").output
    assert "Jane Roe" in shown and "A123456789" in shown and "roe-afile.pdf" in shown
    assert "3 documents, 120 pages" in track("show", "1").output


def test_purge_removes_identity_keeps_history(track, db_url):
    track("add", "--title", "A-File", "--office", "uscis", "--on", "2025-01-02", "--client-name", "Jane Roe",
          "--client-dob", "1980-02-03", "--client-a-number", "A123456789")
    track("update", "1", "--documents", "1", "--file", "roe.pdf", "--on", "2025-02-01", "--note", "scan")
    refused = track("purge", "1", ok=False)
    assert refused.exit_code == 2 and "--yes" in refused.output
    out = track("purge", "1", "--yes").output
    assert out.startswith("Request 1: identity data purged: client_name, client_dob, client_a_number.")
    shown = track("show", "1", "--identity").output
    for secret in ("Jane Roe", "1980-02-03", "A123456789", "roe.pdf"):
        assert secret not in shown
    assert "note: scan" in shown                      # notes kept unless --notes
    assert "2025-01-02  #2     submitted (ana)" in shown   # dated history kept
    assert "identity data purged" in shown
    exported = track("export", "--format", "json").output
    assert "Jane Roe" not in exported and "roe.pdf" not in exported
    again = track("purge", "1", "--yes", ok=False)
    assert again.exit_code == 1 and again.output.startswith("Error: request 1 holds no identity data (already purged ")
    assert again.output.endswith("; nothing to purge\n") and "never" not in again.output
    if db_url.startswith("sqlite"):
        path = db_url.split("///", 1)[1]
        raw = b"".join(open(p, "rb").read() for p in (path, path + "-wal") if __import__("os").path.exists(p))
        assert b"Jane Roe" not in raw and b"A123456789" not in raw   # secure_delete + checkpoint


def test_corrections_are_new_events(track):
    track("add", "--title", "A", "--office", "ice", "--on", "2025-01-02")
    track("update", "1", "--status", "denied", "--on", "2025-01-20")
    # The denial really came on 2025-03-03.
    out = track("correct", "1", "3", "--on", "2025-03-03", "--note", "letter was dated March 3").output
    assert "Appeal deadline (denied): 2025-07-10 (Thu)" in out
    shown = track("show", "1").output
    assert "#3     denied [date corrected]" in shown
    assert "event 3 moved to 2025-03-03" in shown
    # Void it: back to submitted, determination clock open again.
    track("correct", "1", "3", "--void")
    shown = track("show", "1", "--today", "2025-01-10").output
    assert "Status:    submitted" in shown and "[voided]" in shown
    assert "Determination due: 2025-01-31 (Fri) [open]" in shown
    bad = track("correct", "1", "1", "--void", ok=False)
    assert "cannot be corrected" in bad.output


@pytest.mark.pure
def test_fee_waiver_denial_opens_its_own_appeal_window(track):
    track("add", "--title", "A", "--office", "ice", "--on", "2025-01-02", "--fee-waiver")
    out = track("update", "1", "--fee-denied", "120", "--on", "2025-03-03").output
    assert "Appeal deadline (fee waiver denial): 2025-07-10 (Thu)" in out
    assert "  recorded: fee waiver denied: $120.00 on 2025-03-03" in out
    assert "fee waiver denied: $120.00" in track("show", "1").output


def test_tracking_numbers_with_reasons(track):
    track("add", "--title", "A", "--office", "ice", "--on", "2025-01-02", "--tracking-number", "2025-ICFO-1")
    track("update", "1", "--tracking-number", "2025-ICFO-2:split", "--tracking-number", "2023-ICAP-00154:appeal")
    shown = track("show", "1").output
    assert "  2025-ICFO-2  split" in shown and "  2023-ICAP-00154  appeal" in shown
    dup = track("update", "1", "--tracking-number", "2025-ICFO-1", ok=False)
    assert dup.output == "Error: tracking number 2025-ICFO-1 is already recorded on request 1\n"


def test_assignee_and_tags_are_recorded_as_events(track):
    track("add", "--title", "A", "--office", "ice", "--on", "2025-01-02", "--tag", "x")
    track("update", "1", "--assignee", "bo", "--tag", "y", "--untag", "x", "--on", "2025-01-03")
    info = json.loads(track("show", "1", "--json").output)
    assert info["assignee"] == "bo" and info["tags"] == ["y"]
    assert any(e["summary"] == "assignee bo; tags + y; tags - x" for e in info["timeline"])


def test_appeal_flow_to_litigation(track):
    track("add", "--title", "A", "--office", "ice", "--on", "2025-01-02")
    track("update", "1", "--status", "partial", "--on", "2025-02-03")
    track("update", "1", "--status", "appealed", "--on", "2025-02-10", "--received", "2025-02-12")
    track("update", "1", "--status", "appeal-denied", "--on", "2025-03-20")
    bad = track("update", "1", "--status", "remanded", "--on", "2025-03-21", ok=False)
    assert "the appeal was denied; what may follow is OGIS mediation" in bad.output
    track("update", "1", "--status", "in-litigation", "--on", "2025-04-01")
    info = json.loads(track("show", "1", "--json").output)
    decision = next(d for d in info["deadlines"] if d["key"] == "appeal_decision")
    # Appeal received Wed Feb 12 + 20 working days (Presidents Day skipped) -> Thu Mar 13; decided Mar 20.
    assert decision["due"] == "2025-03-13" and decision["state"] == "late"


def test_bad_database_url_is_one_line(tmp_path):
    result = CliRunner().invoke(cli, ["track", "--db", "postgresql://nobody@127.0.0.1:1/none", "list"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: tracker database postgresql+psycopg://nobody@127.0.0.1:1/none: ")
    assert result.output.rstrip().endswith("check --db / FOIA_DB") and result.output.count("\n") == 1
    result = CliRunner().invoke(cli, ["track", "--db", "nosuchdialect://x", "list"])
    assert result.exit_code == 1 and "check --db / FOIA_DB" in result.output


def test_env_foia_db_and_path(tmp_path, monkeypatch):
    target = tmp_path / "clinic.db"
    monkeypatch.setenv("FOIA_DB", str(target))
    result = CliRunner().invoke(cli, ["track", "path"])
    assert result.exit_code == 0 and result.output.strip() == str(target)
    assert not target.exists()                  # `path` only says where; it opens nothing
    assert CliRunner().invoke(cli, ["track", "list"]).exit_code == 0
    assert target.exists() and (target.stat().st_mode & 0o777) == 0o600


def test_path_hides_passwords_and_does_not_connect(monkeypatch):
    for url, shown in [("postgresql://u:hunter2@127.0.0.1:1/x", "postgresql+psycopg://u:***@127.0.0.1:1/x"),
                       ("postgresql://u@127.0.0.1:1/x?password=hunter2&sslmode=disable",
                        "postgresql+psycopg://u@127.0.0.1:1/x?password=***&sslmode=disable")]:
        monkeypatch.setenv("FOIA_DB", url)
        result = CliRunner().invoke(cli, ["track", "path"])      # port 1: nothing listens, nothing is asked
        assert result.exit_code == 0 and result.output.strip() == shown
        result = CliRunner().invoke(cli, ["track", "list"])
        assert result.exit_code == 1 and "hunter2" not in result.output and "***" in result.output


def test_default_database_is_private(monkeypatch, tmp_path):
    monkeypatch.setenv("FOIA_DATA_DIR", str(tmp_path / "data"))
    result = CliRunner().invoke(cli, ["track", "add", "--title", "A", "--office", "ice", "--on", "2025-01-02"])
    assert result.exit_code == 0, result.output
    db = tmp_path / "data" / "foia.db"
    assert (db.stat().st_mode & 0o777) == 0o600
    assert ((tmp_path / "data").stat().st_mode & 0o777) == 0o700
    for extra in (tmp_path / "data").glob("foia.db-*"):
        assert (extra.stat().st_mode & 0o777) == 0o600


def test_library_api(db_url):
    from foia.tracker import open_tracker

    t = open_tracker(db_url, today=date(2025, 2, 4), actor="lib")
    change = t.add(title="Via the library", office="ice", on=date(2025, 1, 2))
    assert change.request_id == 1 and change.status == "submitted"
    t.update(1, status="acknowledged", on="2025-01-03", tracking=["X-1"])
    assert t.list(overdue=True)[0]["id"] == 1
    info = t.show("X-1")
    assert info["status"] == "acknowledged" and info["timeline"][-1]["actor"] == "lib"
    t.store.dispose()


def test_every_track_command_has_help_and_documentation():
    from pathlib import Path

    from foia.commands.track import track as group

    docs = (Path(__file__).resolve().parents[1] / "docs" / "tracker.md").read_text(encoding="utf-8")
    for name, command in group.commands.items():
        assert command.help and command.help.strip(), name
        assert f"foia track {name}" in docs or f"foia track [--db URL] {name}" in docs, name
        result = CliRunner().invoke(cli, ["track", name, "--help"])
        assert result.exit_code == 0 and "Usage: " in result.output


def test_filters_and_tracking_numbers_ignore_case(track):
    track("add", "--title", "A", "--office", "ice", "--on", "2025-01-02", "--assignee", "Maria", "--tag", "Palantir",
          "--tracking-number", "2025-ICFO-00042")
    track("add", "--title", "B", "--office", "ice", "--on", "2025-01-02", "--assignee", "maria", "--tag", "palantir")
    track("add", "--title", "C", "--office", "ice", "--on", "2025-01-02", "--assignee", "Mario", "--tag", "lpr")
    titles = lambda *a: sorted(r["title"] for r in json.loads(track("list", "--json", *a).output))
    assert titles("--assignee", "MARIA") == ["A", "B"]
    assert titles("--assignee", "maria") == ["A", "B"]
    assert titles("--tag", "PALANTIR") == ["A", "B"]
    assert titles("--tag", "Lpr") == ["C"]
    assert titles("--assignee", "nobody") == []
    assert track("show", "2025-icfo-00042").output.startswith("Request 1: A")


def test_a_tracking_number_of_digits_finds_its_request_in_every_command(track):
    track("add", "--title", "A", "--office", "fbi", "--on", "2025-01-02", "--tracking-number", "1651234")
    assert track("update", "1651234", "--note", "called RIDS").output.startswith("Request 1 (fbi)")
    assert "note: called RIDS" in track("show", "1651234").output


def test_the_same_assigned_number_at_one_office_is_flagged(track):
    track("add", "--title", "A", "--office", "ice", "--on", "2025-01-02", "--tracking-number", "2025-ICFO-1")
    out = track("add", "--title", "A again", "--office", "ice", "--on", "2025-01-03", "--tracking-number", "2025-ICFO-1")
    assert ("Warning: tracking number 2025-ICFO-1 is also on request 1 at the same office: the same request "
            "recorded twice? (`foia track show 1`)") in out.output
    # A referral's number on the referring request, and the number at another office: no warning.
    track("add", "--title", "B", "--office", "cbp", "--on", "2025-01-02", "--tracking-number", "CBP-7")
    out = track("update", "1", "--tracking-number", "CBP-7:referral")
    assert "Warning" not in out.output


def test_a_login_name_too_long_for_the_column_is_one_line(track, monkeypatch):
    monkeypatch.setenv("FOIA_USER", "x" * 250)
    result = track("add", "--title", "A", "--office", "ice", ok=False)
    assert result.exit_code == 2
    assert result.output.strip() == "Error: FOIA_USER (or your login name): longer than 200 characters; shorten it"
