"""The inbox library on both backends: storing mail once, matching with reasons, proposals
accepted through Tracker.update, bad input refused whole."""

from __future__ import annotations

import hashlib
import mailbox
from datetime import date

import pytest
from inbox_support import MAIL, R1, mail, scenario, tracker_on

from foia.errors import FoiaError
from foia.inbox import attachments_of, messages_of, raw_message
from foia.inbox.rules import load_rules
from foia.inbox.service import Inbox


def _events(t, rid):
    return [e for e in t.show(rid)["timeline"]]


def test_each_way_of_matching_is_used_and_explained(db_url):
    box = Inbox(scenario(db_url))
    report = box.import_paths(mail("ack-ice-plain.eml", "extension-ice.eml", "bcc-reply.eml", "ambiguous.eml",
                                   "unknown-tracking.eml", "unmatched-newsletter.eml", "bounce-ice-dsn.eml"))
    got = {s.where.rsplit("/", 1)[1]: (s.request_id, s.how) for s in report.stored}
    assert got == {"ack-ice-plain.eml": (1, "reply"), "extension-ice.eml": (2, "tracking-number"),
                   "bcc-reply.eml": (1, "tag"), "ambiguous.eml": (None, "ambiguous"),
                   "unknown-tracking.eml": (None, "none"), "unmatched-newsletter.eml": (None, "none"),
                   "bounce-ice-dsn.eml": (1, "reply")}
    ids = {s.where.rsplit("/", 1)[1]: s.id for s in report.stored}
    why = box.show(ids["ack-ice-plain.eml"])["match"]["why"]
    assert why == [f"{R1} is the Message-ID of the letter filed as request 1"]
    why = box.show(ids["extension-ice.eml"])["match"]["why"]
    assert why[0].startswith("1. reply: no In-Reply-To")
    assert "tracking number 2025-ICFO-01234 (found in the mail by the office's pattern) is recorded on request 2" in why
    why = box.show(ids["bcc-reply.eml"])["match"]["why"]
    assert why[-1] == "the subject carries the tag [foia #1]"
    amb = box.show(ids["ambiguous.eml"])
    assert amb["state"] == "unmatched" and amb["match"]["candidates"] == [1, 3]
    assert "2 requests match (1, 3)" in amb["match"]["why"][-1]
    unknown = box.show(ids["unknown-tracking.eml"])["match"]
    assert "2024-ICFO-99999 found, but on no request in the tracker" in unknown["why"][1]
    # The sender's office and the titles only suggest: request 2's shares "palantir" and "records", 1's "records".
    assert unknown["suggestions"] == [2, 1] and "suggested: request 2, 1 (by title" in unknown["why"][-1]
    news = box.show(ids["unmatched-newsletter.eml"])["match"]["why"]
    assert news[-1] == "4. sender: example.com is no office's mail domain in the directory"
    assert [m["id"] for m in box.list(state="unmatched")] == [ids["ambiguous.eml"], ids["unknown-tracking.eml"],
                                                              ids["unmatched-newsletter.eml"]]


def test_a_message_is_stored_once_as_received(db_url):
    t = scenario(db_url)
    box = Inbox(t)
    first = box.import_paths(mail("ack-ice-plain.eml", "dup-ack-ice-plain.eml"))
    assert len(first.stored) == 1 and first.duplicates == [(str(MAIL / "dup-ack-ice-plain.eml"), 1)]
    events_before = len(_events(t, 1))
    again = box.import_paths(mail("ack-ice-plain.eml"))
    assert again.stored == [] and again.duplicates == [(str(MAIL / "ack-ice-plain.eml"), 1)]
    assert len(_events(t, 1)) == events_before and len(box.list()) == 1
    raw = (MAIL / "ack-ice-plain.eml").read_bytes()
    assert raw_message(t, 1) == raw
    listed = messages_of(t, 1)
    assert [(m["id"], m["sha256"], m["name"], m["from"]) for m in listed] == [
        (1, hashlib.sha256(raw).hexdigest(), "2026-11-02-message-1.eml", "ice-foia@ice.dhs.gov")]


def test_the_request_timeline_shows_the_mail_on_the_day_it_was_sent(db_url):
    t = scenario(db_url)
    Inbox(t).import_paths(mail("no-records-ice.eml"))
    mails = [e for e in t.show(1)["timeline"] if e["type"] == "mail-received"]
    assert len(mails) == 1 and mails[0]["occurred_on"] == "2026-11-10"
    assert t.show(1)["status"] == "submitted"       # nothing recorded until a person accepts


@pytest.mark.pure
def test_future_and_missing_dates_are_today(db_url):
    t = scenario(db_url)
    box = Inbox(t)
    box.import_paths(mail("future-date.eml", "no-date.eml"))
    days = [e["occurred_on"] for e in t.show(2)["timeline"] if e["type"] == "mail-received"]
    assert days == ["2026-11-20", "2026-11-20"]


@pytest.mark.pure
@pytest.mark.parametrize("rule,example", [(r.id, e) for r in load_rules() for e in r.examples])
def test_every_shipped_rule_proposes_on_its_fixture_mail(db_url, rule, example):
    box = Inbox(scenario(db_url))
    (stored,) = box.import_paths(mail(example)).stored
    assert stored.request_id is not None
    assert any(rule in p["rule"].split("+") for p in box.review()), box.review()


def test_every_shipped_rule_names_its_fixture_mail():
    assert all(r.examples and all((MAIL / e).is_file() for e in r.examples) for r in load_rules())


@pytest.mark.pure
def test_proposals_read_what_the_mail_says(db_url):
    box = Inbox(scenario(db_url))
    box.import_paths(mail("ack-ice-plain.eml", "fee-ice.eml", "final-partial-ice-pdf.eml", "extension-ice.eml",
                          "fee-waived.eml", "fee-no-amount.eml", "short-exemptions.eml", "bounce-ice-dsn.eml"))
    got = {(p["request_id"], p["summary"]) for p in box.review()}
    assert got == {
        (1, "record status acknowledged, tracking number 2026-ICFO-00311 on 2026-11-02"),
        (2, "record status awaiting-fees, fees estimated $1125.50 on 2026-11-02"),
        (2, 'record status partial, note "exemptions cited: (b)(6), (b)(7)(C)" on 2026-11-11'),
        (2, "record extension notice of 2026-11-02 on 2026-11-02"),
        (2, 'record status partial, note "exemptions cited: (b)(6), (b)(7)(C)" on 2026-11-02'),
        (1, "record delivery failed on 2026-11-02: smtp; 550 5.1.1 mailbox unavailable"),
    }


def test_accept_records_through_track_update(db_url):
    t = scenario(db_url)
    box = Inbox(t)
    box.import_paths(mail("ack-ice-plain.eml"))
    (change,) = box.accept(1, by="tester")
    assert change.status == "acknowledged"
    shown = t.show(1)
    assert shown["status"] == "acknowledged"
    assert [n["number"] for n in shown["tracking_numbers"]] == ["2026-ICFO-00311"]
    status = [e for e in shown["timeline"] if e["type"] == "status"][-1]
    assert status["occurred_on"] == "2026-11-02" and status["note"] == "from inbox message 1"
    assert box.review() == [] and box.show(1)["proposals"][0]["state"] == "accepted"
    with pytest.raises(FoiaError, match="no pending proposal"):
        box.accept(1)


def test_accept_is_refused_as_track_update_refuses_and_nothing_is_recorded(db_url):
    t = scenario(db_url)
    box = Inbox(t)
    box.import_paths(mail("no-records-ice.eml", "ack-ice-plain.eml"))
    box.accept(1)                                   # no records, 2026-11-10
    before = t.show(1)
    late = {"status": "acknowledged", "on": "2026-11-12", "tracking": ["2026-ICFO-00311:assigned"]}
    with pytest.raises(FoiaError) as refused:
        box.accept(2, edit=late)                    # acknowledged after the determination: no such move
    with pytest.raises(FoiaError) as direct:
        t.update(1, **late)
    assert refused.value.message == direct.value.message
    assert t.show(1)["timeline"] == before["timeline"]
    assert [p["state"] for p in box.show(2)["proposals"]] == ["pending"]


def test_accept_with_edits_and_reject(db_url):
    t = scenario(db_url)
    box = Inbox(t)
    box.import_paths(mail("fee-ice.eml", "extension-ice.eml"))
    (change,) = box.accept(1, edit={"fees": [["estimated", "1000"]], "on": "2026-11-03"})
    assert change.status == "submitted"
    fees = [e for e in t.show(2)["timeline"] if e["type"] == "fee"]
    assert [(f["occurred_on"], f["data"]["amount"], f["note"]) for f in fees] == [
        ("2026-11-03", "1000.00", "from inbox message 1")]
    with pytest.raises(FoiaError, match="'colour' is not something to record"):
        box.accept(2, edit={"colour": "red"})
    assert box.reject(2) == 1
    assert box.review() == [] and not any(e["type"] == "extension-notice" for e in t.show(2)["timeline"])


def test_a_bounce_is_recorded_as_delivery_failed(db_url):
    t = scenario(db_url)
    box = Inbox(t)
    box.import_paths(mail("bounce-ice-dsn.eml"))
    assert box.accept(1) == ["request 1: delivery failed recorded on 2026-11-02"]
    failed = [e for e in t.show(1)["timeline"] if e["type"] == "delivery-failed"]
    assert failed[0]["data"]["reason"] == "smtp; 550 5.1.1 mailbox unavailable"


def test_assign_and_ignore_the_waiting_mail(db_url):
    t = scenario(db_url)
    box = Inbox(t)
    box.import_paths(mail("ambiguous.eml", "unmatched-newsletter.eml", "appeal-ack-ice.eml"))
    filed = box.assign(1, 3)
    assert (filed.request_id, filed.how) == (3, "assigned")
    assert box.show(1)["match"]["why"][-1].startswith("assigned by hand to request 3 by tester")
    with pytest.raises(FoiaError, match="already filed with request 3"):
        box.assign(1, 1)
    assert box.ignore(2) == 2
    assert [m["id"] for m in box.list(state="unmatched")] == []
    with pytest.raises(FoiaError, match="is filed with request 4"):
        box.ignore(3)
    with pytest.raises(FoiaError, match="no message 99"):
        box.show(99)


def test_mbox_and_maildir_are_read_like_eml_files(db_url, tmp_path):
    names = ["ack-ice-plain.eml", "extension-ice.eml", "final-partial-ice-pdf.eml"]
    box = Inbox(scenario(db_url))
    mb = mailbox.mbox(tmp_path / "replies.mbox")
    md = mailbox.Maildir(tmp_path / "Maildir")
    for n in names:
        mb.add((MAIL / n).read_bytes())
    md.add((MAIL / "bcc-reply.eml").read_bytes())
    mb.flush()
    report = box.import_paths([tmp_path / "replies.mbox", tmp_path / "Maildir"])
    assert [(s.request_id, s.how) for s in report.stored] == [(1, "reply"), (2, "tracking-number"),
                                                             (2, "tracking-number"), (1, "tag")]
    assert report.stored[0].where == f"{tmp_path / 'replies.mbox'} message 1"
    (att,) = attachments_of(box.tracker, 3)
    assert att[0] == "2025-ICFO-01234 release.pdf" and att[1] == "application/pdf" and att[2].startswith(b"%PDF-1.4")


@pytest.mark.pure
def test_html_is_shown_as_text_and_nothing_is_followed(db_url):
    box = Inbox(scenario(db_url))
    box.import_paths(mail("html-script-image.eml", "ack-ice-html-only.eml"))
    text = box.show(1)["text"]
    assert text == "Your request is in process."
    assert box.show(2)["text"] == "We have received your request.\n\nTracking number: 2026-ICFO-00412"
    for shown in (box.show(1)["text"], box.show(2)["text"]):
        assert "<" not in shown and "http" not in shown and "alert" not in shown and "color" not in shown


@pytest.mark.pure
def test_attachment_names_are_made_safe(db_url):
    box = Inbox(scenario(db_url))
    box.import_paths(mail("unsafe-attachment-name.eml"))
    assert [(n, t) for n, t, _ in attachments_of(box.tracker, 1)] == [
        ("passwd", "application/octet-stream"), ("attachment-2.pdf", "application/pdf")]


@pytest.mark.pure
def test_charsets_and_encoded_subjects_are_decoded(db_url):
    box = Inbox(scenario(db_url))
    box.import_paths(mail("latin1-charset.eml", "encoded-subject.eml", "forwarded-as-attachment.eml"))
    assert box.show(1)["text"] == "Señora Ruiz: su solicitud 2025-ICFO-01234 está en proceso."
    assert box.show(2)["subject"] == "Respuesta: solicitud FOIA ñ [foia #1]"
    assert "Your request 2025-ICFO-01234 has been received." in box.show(3)["text"]


# -- bad input: one line naming it, nothing stored --------------------------------------------


def _nothing_stored(box):
    assert box.list() == []


@pytest.mark.pure
def test_malformed_and_non_mail_files_store_nothing(db_url, tmp_path):
    box = Inbox(scenario(db_url))
    bad = tmp_path / "bad.eml"
    bad.write_bytes(b"From: a@b.org\nSubject: x\nthis line is no header\n\nbody\n")
    with pytest.raises(FoiaError, match=rf"{bad}: malformed message: a line in its header section is not a header"):
        box.import_paths(mail("ack-ice-plain.eml") + [bad])
    _nothing_stored(box)
    pdf = tmp_path / "scan.pdf"
    pdf.write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    with pytest.raises(FoiaError, match=rf"{pdf}: not an email message"):
        box.import_paths([pdf])
    folder = tmp_path / "folder"
    folder.mkdir()
    with pytest.raises(FoiaError, match="not a Maildir"):
        box.import_paths([folder])
    with pytest.raises(FoiaError, match="no such file"):
        box.import_paths([tmp_path / "missing.mbox"])
    _nothing_stored(box)


@pytest.mark.pure
def test_a_truncated_mbox_stores_nothing(db_url, tmp_path):
    box = Inbox(scenario(db_url))
    raw = b"".join(b"From x@y Mon Nov  2 10:00:00 2026\n" + (MAIL / n).read_bytes().replace(b"\r\n", b"\n") + b"\n"
                   for n in ("ack-ice-plain.eml", "extension-ice.eml"))
    cut = tmp_path / "cut.mbox"
    cut.write_bytes(raw[:-30])
    with pytest.raises(FoiaError, match=rf"{cut}: message 2 is truncated"):
        box.import_paths([cut])
    _nothing_stored(box)


@pytest.mark.pure
def test_huge_messages_and_attachment_bombs_are_refused(db_url, tmp_path, monkeypatch):
    import foia.inbox.parse as p

    box = Inbox(scenario(db_url))
    big = tmp_path / "big.eml"
    with big.open("wb") as fh:
        fh.write(b"From: a@b.org\nSubject: big\n\n")
        fh.write(b"x" * (p.MAX_MESSAGE_BYTES + 10))
    with pytest.raises(FoiaError, match=rf"{big}: the message is 50 MB, more than foia takes"):
        box.import_paths([big])
    deep = tmp_path / "deep.eml"
    head = b"From: a@b.org\nSubject: deep\nMIME-Version: 1.0\n"
    body = b""
    for i in range(40):
        body += f"Content-Type: multipart/mixed; boundary=\"b{i}\"\n\n--b{i}\n".encode()
    deep.write_bytes(head + body + b"Content-Type: text/plain\n\nx\n")
    with pytest.raises(FoiaError, match=rf"{deep}: MIME nesting too deep"):
        box.import_paths([deep])
    many = tmp_path / "many.eml"
    parts = b"".join(b"--m\nContent-Type: text/plain\n\nx\n" for _ in range(3000))
    many.write_bytes(b"From: a@b.org\nSubject: many\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=m\n\n"
                     + parts + b"--m--\n")
    with pytest.raises(FoiaError, match=rf"{many}: the message has thousands of MIME parts"):
        box.import_paths([many])
    _nothing_stored(box)


def test_draft_track_eml_carries_a_message_id_that_replies_match(db_url, tmp_path, monkeypatch):
    """A letter filed with `draft --track --format eml`: its Message-ID is recorded, its subject
    carries the tag, and the office's reply quoting it is matched."""
    import email
    from email import policy

    from click.testing import CliRunner

    from foia.cli import cli

    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["draft", "records", "--to", "ICE", "--system", "icm", "--format", "eml",
                                      "--format", "txt", "--out", str(out), "--no-profile", "--requester-name",
                                      "Ana Ruiz", "--requester-email", "ana@clinic.example.org", "--track",
                                      # ICE takes requests online only: an .eml needs the address chosen.
                                      "--to-email", "ice-foia@ice.dhs.gov", "--db", db_url])
    assert result.exit_code == 0, result.output
    (eml,) = out.glob("*.eml")
    sent = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert sent["Subject"].endswith(" [foia #1]")
    assert sent["Message-ID"].startswith("<foia.") and sent["Message-ID"].endswith("@clinic.example.org>")
    reply = tmp_path / "reply.eml"
    reply.write_bytes(f"From: ice-foia@ice.dhs.gov\nTo: ana@clinic.example.org\nSubject: RE: your request\n"
                      f"Date: Mon, 02 Nov 2026 10:00:00 -0500\nIn-Reply-To: {sent['Message-ID']}\n\n"
                      "This acknowledges your request.\n".encode())
    t = tracker_on(db_url, today=date.today())
    (stored,) = Inbox(t).import_paths([reply]).stored
    assert (stored.request_id, stored.how) == (1, "reply")


def test_export_and_import_carry_the_mail_raw_bytes_included(new_db_url, tmp_path):
    from inbox_support import inbox_runner
    from tracker_support import track_runner

    first = new_db_url()
    t = scenario(first)
    box = Inbox(t)
    box.import_paths(mail("ack-ice-plain.eml", "fee-ice.eml", "unmatched-newsletter.eml"))
    box.accept(1)
    out = tmp_path / "backup.json"
    track_runner(first)("export", "--format", "json", "--out", str(out))
    second = new_db_url()
    result = track_runner(second)("import", str(out))
    assert "Restored 3 mail messages kept by the inbox" in result.output
    t2 = tracker_on(second)
    assert raw_message(t2, 1) == (MAIL / "ack-ice-plain.eml").read_bytes()
    assert [(m["id"], m["request_id"], m["state"]) for m in Inbox(t2).list()] == [
        (1, 1, "matched"), (2, 2, "matched"), (3, None, "unmatched")]
    assert [(p["message"], p["state"]) for p in Inbox(t2).review()] == [(2, "pending")]
    shown = inbox_runner(second)("show", "1", "--explain").output
    assert f"{R1} is the Message-ID of the letter filed as request 1" in shown
    # A redacted export leaves the mail out: it names the people it is about.
    redacted = tmp_path / "redacted.json"
    track_runner(first)("export", "--format", "json", "--redact", "--out", str(redacted))
    assert '"inbox"' not in redacted.read_text()
    # A changed message is refused with the whole import.
    import json

    doc = json.loads(out.read_text())
    doc["inbox"][0]["raw"] = doc["inbox"][1]["raw"]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    third = new_db_url()
    result = track_runner(third)("import", str(bad), ok=False)
    assert "inbox message 1: the message's bytes do not match its sha256" in result.output
    assert Inbox(tracker_on(third)).list() == []


def test_purge_erases_the_mail_filed_with_the_request(db_url):
    t = scenario(db_url)
    box = Inbox(t)
    box.import_paths(mail("ack-ice-plain.eml", "extension-ice.eml"))
    t.purge(1)
    assert [m["request_id"] for m in box.list()] == [2]
    with pytest.raises(FoiaError, match="no message 1"):
        raw_message(t, 1)
    purged = [e for e in t.show(1)["timeline"] if e["type"] == "purged"][0]
    assert purged["data"]["messages"] == 1
    mails = [e for e in t.show(1)["timeline"] if e["type"] == "mail-received"]
    assert mails[0]["data"]["sha256"] == hashlib.sha256((MAIL / "ack-ice-plain.eml").read_bytes()).hexdigest()
