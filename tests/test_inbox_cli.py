"""`foia inbox`: what a clinic sees each morning, on both backends."""

from __future__ import annotations

import os
import stat
import sys

import pytest
from click.testing import CliRunner
from inbox_support import MAIL, R1, inbox_runner, mail, scenario
from tracker_support import track_runner

from foia.cli import cli


@pytest.fixture
def run(db_url):
    scenario(db_url)
    return inbox_runner(db_url)


def test_import_says_what_matched_and_what_waits(run):
    result = run("import", *map(str, mail("ack-ice-plain.eml", "unmatched-newsletter.eml", "dup-ack-ice-plain.eml")),
                 "--today", "2026-11-20")
    assert result.output.splitlines() == [
        f"  message 1: request 1 (reply), 1 proposal  [{MAIL / 'ack-ice-plain.eml'}]",
        f"  message 2: waiting: no request matched  [{MAIL / 'unmatched-newsletter.eml'}]",
        f"  already stored as message 1, unchanged: {MAIL / 'dup-ack-ice-plain.eml'}",
        "2 new messages stored (1 matched, 1 waiting), 1 already stored.",
        "See them with `foia inbox unmatched`; file one with `foia inbox assign MSG REQUEST`.",
        "Next steps proposed: `foia inbox review`.",
    ]
    again = run("import", str(MAIL / "ack-ice-plain.eml"))
    assert "0 new messages stored (0 matched, 0 waiting), 1 already stored." in again.output


def test_show_explain_unmatched_assign_and_ignore(run):
    run("import", *map(str, mail("ack-ice-plain.eml", "ambiguous.eml", "unmatched-newsletter.eml")),
        "--today", "2026-11-20")
    shown = run("show", "1", "--explain").output
    assert "Message 1  (matched, request 1)" in shown
    assert f"Why:\n  {R1} is the Message-ID of the letter filed as request 1\n" in shown
    assert "Proposal (pending, rule acknowledgement): record status acknowledged, tracking number 2026-ICFO-00311 " \
           "on 2026-11-02" in shown
    assert shown.rstrip().endswith("ICE FOIA Office")
    waiting = run("unmatched").output
    assert [line.split()[0] for line in waiting.splitlines()[2:]] == ["2", "3"]
    assert "several requests" not in waiting and "ambiguous" in waiting
    assert "Message 2 filed with request 3." in run("assign", "2", "3").output
    assert "Message 3 ignored" in run("ignore", "3").output
    assert run("unmatched").output == "No message is waiting.\n"
    raw = run("show", "1", "--raw").stdout_bytes
    assert raw == (MAIL / "ack-ice-plain.eml").read_bytes()
    bad = run("show", "x1", ok=False)
    assert bad.output == "Error: 'x1' is not a message number; see `foia inbox list`\n"


def test_review_accept_and_reject_then_the_timeline_shows_the_mail(run, db_url):
    run("import", *map(str, mail("ack-ice-plain.eml", "extension-ice.eml")), "--today", "2026-11-20")
    review = run("review").output
    assert "record status acknowledged, tracking number 2026-ICFO-00311 on 2026-11-02" in review
    assert "record extension notice of 2026-11-02 on 2026-11-02" in review
    accepted = run("accept", "1", "--today", "2026-11-20", "--by", "ana").output
    assert accepted.startswith("Request 1 (ice): acknowledged.\n")
    assert "  recorded: Acknowledged on 2026-11-02" in accepted
    assert "  recorded: tracking number 2026-ICFO-00311 (assigned)" in accepted
    assert run("reject", "2").output == "1 proposal rejected.\n"
    assert run("review").output == "No proposal is waiting.\n"
    timeline = track_runner(db_url)("show", "1", "--today", "2026-11-20").output
    assert "mail received from ice-foia@ice.dhs.gov (foia inbox show 1)" in timeline
    again = run("accept", "1", ok=False)
    assert again.output == "Error: message 1 has no pending proposal; see `foia inbox review`\n"


def test_accept_edit_opens_the_proposal_in_the_editor(run, db_url, tmp_path):
    run("import", str(MAIL / "fee-ice.eml"), "--today", "2026-11-20")
    editor = tmp_path / "editor.py"
    editor.write_text("import sys\np = sys.argv[1]\ntext = open(p).read().replace('1125.50', '900.00')\n"
                      "text = text.replace('status: awaiting-fees\\n', '')\nopen(p, 'w').write(text)\n")
    editor.chmod(editor.stat().st_mode | stat.S_IXUSR)
    result = run("accept", "1", "--edit", "--today", "2026-11-20",
                 env={"EDITOR": f"{sys.executable} {editor}", "VISUAL": f"{sys.executable} {editor}"})
    assert "recorded: fees estimated: $900.00 on 2026-11-02" in result.output
    assert "Request 2 (ice): submitted." in result.output


@pytest.mark.pure
def test_a_bad_file_is_one_line_and_nothing_is_stored(run, tmp_path):
    pdf = tmp_path / "scan.pdf"
    pdf.write_bytes(b"%PDF-1.4\n")
    result = run("import", str(MAIL / "ack-ice-plain.eml"), str(pdf), ok=False)
    assert result.output == (f"Error: {pdf}: not an email message (no header lines); give .eml, mbox or Maildir "
                             "files\n")
    assert run("list").output == "No messages.\n"


def test_rules_lists_the_shipped_rules_and_an_override_replaces_one(tmp_path):
    result = CliRunner().invoke(cli, ["inbox", "rules", "--path"])
    path = result.output.strip()
    assert path == str(tmp_path / "config" / "inbox-rules.yaml")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as fh:
        fh.write("rules:\n  - id: extension\n    enabled: false\n  - id: mine\n    match: ['we need more time']\n"
                 "    propose: {extension_notice: true}\n")
    listed = CliRunner().invoke(cli, ["inbox", "rules"]).output
    assert "extension:" not in listed and "mine: mine  -> extension_notice: True" in listed
    with open(path, "w") as fh:
        fh.write("rules:\n  - id: broken\n    match: ['(']\n    propose: {status: acknowledged}\n")
    bad = CliRunner().invoke(cli, ["inbox", "rules"])
    assert bad.exit_code == 1 and bad.output.startswith(f"Error: {path}: rule broken: match: '(' is not a regular")


@pytest.mark.parametrize("command", ["import", "fetch", "list", "unmatched", "show", "assign", "ignore", "review",
                                     "accept", "reject", "rules"])
def test_every_inbox_command_has_help(command):
    result = CliRunner().invoke(cli, ["inbox", command, "--help"])
    assert result.exit_code == 0 and len(result.output.splitlines()) > 3
