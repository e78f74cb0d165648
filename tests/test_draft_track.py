"""`foia draft ... --track`: the letter written is the request filed, on both backends."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from foia.cli import cli

REQ = ["--no-profile", "--requester-name", "Sam Doe", "--requester-email", "sam@example.org", "--date", "2026-11-23"]


def run(*args):
    return CliRunner().invoke(cli, list(args))


def show(db, rid):
    r = run("track", "--db", db, "show", str(rid), "--json", "--identity")
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def test_draft_records_track_files_the_letter_as_written(db_url, tmp_path):
    out = tmp_path / "letters"
    r = run("draft", "records", "--system", "icm", "--to", "ICE", "--to", "CBP", *REQ, "--out", str(out),
            "--track", "--db", db_url, "--filed-on", "2026-11-23", "--assignee", "maria", "--tag", "palantir")
    assert r.exit_code == 0, r.output
    assert "ICE: tracked as request 1 (foia track show 1)" in r.stderr
    assert "CBP: tracked as request 2 (foia track show 2)" in r.stderr
    ice = show(db_url, 1)
    req = ice
    assert req["office"] == "ice" and req["status"] == "submitted" and req["systems"] == ["icm"]
    assert req["assignee"] == "maria" and req["expedite"] is False
    assert req["letter_text"] == (out / "2026-11-23-ice-records.txt").read_text()
    assert [d["key"] for d in ice["deadlines"]] == ["determination"]
    assert ice["deadlines"][0]["due"] == "2026-12-22"  # 20 working days, Thanksgiving skipped
    assert show(db_url, 2)["office"] == "cbp"


def test_draft_contract_track_links_the_award(db_url, tmp_path):
    r = run("draft", "contract", "--award", "70CTD022FR0000170", *REQ, "--out", str(tmp_path), "--track",
            "--db", db_url, "--expedite", "--expedite-grounds", "urgency",
            "--expedite-statement", "I report on ICE's contracts for a newspaper.", "--news-media",
            "--requester-publication-record", "Reporter at the Example Ledger since 2019.")
    assert r.exit_code == 0, r.output
    req = show(db_url, 1)
    assert req["requester"] == "Sam Doe"
    assert req["contracts"] == ["palantir-icm-om-2022"] and req["kind"] == "contract"
    # The directory ties the award to Palantir and to ICM: the request links them too.
    assert req["vendors"] == ["palantir"] and req["systems"] == ["icm"]
    shown = run("track", "--db", db_url, "show", "1").output
    assert "  Contracts: palantir-icm-om-2022 (award 70CTD022FR0000170)\n" in shown
    assert "  Vendors:   palantir\n" in shown and "  Systems:   icm\n" in shown
    assert req["expedite"] is True
    assert "expedite_decision" in [d["key"] for d in show(db_url, 1)["deadlines"]]


def test_bad_db_stops_before_any_letter_is_written(tmp_path):
    out = tmp_path / "letters"
    r = run("draft", "records", "--system", "icm", *REQ, "--out", str(out), "--track", "--db", "nosuch://x")
    assert r.exit_code != 0 and r.output.startswith("Error: ") and r.output.count("\n") == 1
    assert "--db" in r.output or "FOIA_DB" in r.output
    assert not out.exists()


def test_bad_filed_on_stops_before_any_letter_is_written(tmp_path):
    out = tmp_path / "letters"
    r = run("draft", "records", "--system", "icm", *REQ, "--out", str(out), "--track",
            "--db", f"sqlite:///{tmp_path / 'q.db'}", "--filed-on", "2026-02-30")
    assert r.exit_code == 2
    assert r.output == "Error: --filed-on: '2026-02-30' is not a date; use YYYY-MM-DD, e.g. 2025-11-21\n"
    assert not out.exists()


def test_draft_self_track_keeps_the_client_identity_private(db_url, tmp_path):
    r = run("draft", "self", "--to", "ICE", "--no-profile", "--requester-email", "ana@example.org", "--date",
            "2026-11-23", "--full-name", "Ana Reyes", "--address", "12 Main St, Oakland, CA",
            "--date-of-birth", "1990-01-31", "--place-of-birth", "Oaxaca, Mexico", "--citizenship", "Mexico",
            "--a-number", "A123456789", "--out", str(tmp_path), "--track", "--db", db_url)
    assert r.exit_code == 0, r.output
    assert "1990" not in r.output and "A123456789" not in r.output
    req = show(db_url, 1)
    assert (req["client_name"], req["client_dob"], req["client_a_number"]) == ("Ana Reyes", "1990-01-31", "A123456789")
    assert req["requester"] == "Ana Reyes"           # the person the letter is about signs it
    listing = run("track", "--db", db_url, "list", "--json")
    assert "A123456789" not in listing.output and "1990-01-31" not in listing.output


def test_file_request_reads_the_letters_own_expedite_and_fee_waiver(tmp_path):
    from foia.directory import load_directory
    from foia.letters import build_letter
    from foia.tracker import open_tracker
    from foia.tracker.filing import file_request

    d = load_directory()
    base = {"system": "icm", "requester_name": "Sam", "requester_email": "sam@example.org"}
    plain = build_letter("records", directory=d, office="ice", options=base)
    asked = build_letter("records", directory=d, office="ice", options={
        **base, "expedite": True, "expedite_grounds": ["urgency"], "expedite_statement": "I report on ICE.",
        "fee_waiver": True, "requester_publication_record": "Reporter", "requester_dissemination": "Newspaper"})
    tracker = open_tracker(f"sqlite:///{tmp_path / 'q.db'}")
    rows = {rid: tracker.show(rid) for rid in (file_request(tracker, letter=plain), file_request(tracker, letter=asked))}
    assert [(r["expedite"], r["fee_waiver"]) for r in rows.values()] == [(False, False), (True, True)]


@pytest.mark.pure
def test_tracked_first_and_third_party_titles_name_no_person(db_url, tmp_path):
    """Titles are printed everywhere and kept by purge: the client's name must not be in one."""
    who = ["--full-name", "Rosa Martinez", "--address", "12 Main St, Oakland, CA 94601", "--date-of-birth",
           "1990-01-31", "--place-of-birth", "Oaxaca, Mexico", "--citizenship", "Mexico"]
    r = run("draft", "self", "--to", "ICE", "--no-profile", "--requester-email", "r@example.org", *who,
            "--out", str(tmp_path / "a"), "--track", "--db", db_url, "--filed-on", "2026-10-01")
    assert r.exit_code == 0, r.output
    r = run("draft", "third-party", "--to", "CBP", *REQ, "--subject-full-name", "Luis Ortega", "--subject-address",
            "5 Palm St, Yuma, AZ 85364", "--subject-date-of-birth", "1975-07-30", "--subject-place-of-birth",
            "Yuma, Arizona", "--subject-citizenship", "United States", "--out", str(tmp_path / "b"),
            "--track", "--db", db_url)
    assert r.exit_code == 0, r.output
    assert show(db_url, 1)["title"] == "First-party request (Privacy Act + FOIA) to ICE"
    assert show(db_url, 2)["title"] == "Third-party request (Privacy Act + FOIA) to CBP"
    # The letters themselves still name the person (the agency needs it).
    assert "Rosa Martinez" in show(db_url, 1)["letter_text"]
    outputs = [run("track", "--db", db_url, *args, "--today", "2026-11-30").output
               for args in (["list"], ["show", "1"], ["show", "2"], ["due"])]
    outputs += [run("track", "--db", db_url, "export", "--format", fmt, *extra).output
                for fmt, extra in (("csv", ["--redact"]), ("json", ["--redact"]), ("ics", []))]
    for text in outputs:
        assert "Martinez" not in text and "Ortega" not in text, text
    assert "First-party request (Privacy Act + FOIA) to ICE" in outputs[0]
    for rid in ("1", "2"):
        assert run("track", "--db", db_url, "purge", rid, "--yes").exit_code == 0
    everything = run("track", "--db", db_url, "export", "--format", "json").output
    assert "Martinez" not in everything and "Ortega" not in everything


@pytest.mark.pure
def test_tracked_records_and_contract_titles_say_what_is_asked(db_url, tmp_path):
    r = run("draft", "records", "--system", "icm", *REQ, "--out", str(tmp_path), "--track", "--db", db_url)
    assert r.exit_code == 0, r.output
    r = run("draft", "contract", "--award", "70CTD022FR0000170", *REQ, "--out", str(tmp_path), "--track",
            "--db", db_url)
    assert r.exit_code == 0, r.output
    assert show(db_url, 1)["title"] == "Records about Investigative Case Management (ICM)"
    assert show(db_url, 2)["title"].startswith("Records about award 70CTD022FR0000170 (Palantir")


@pytest.mark.pure
def test_filed_on_dates_the_letter_the_tracker_keeps(db_url, tmp_path):
    args = ["draft", "records", "--system", "icm", "--no-profile", "--requester-name", "Sam Doe",
            "--requester-email", "sam@example.org", "--out", str(tmp_path), "--track", "--db", db_url]
    r = run(*args, "--filed-on", "2026-10-01")
    assert r.exit_code == 0, r.output
    path = tmp_path / "2026-10-01-hsi-records.txt"
    text = path.read_text()
    assert "\nOctober 1, 2026\n" in text
    req = show(db_url, 1)
    assert req["filed_on"] == "2026-10-01" and req["letter_text"] == text
    # An explicit --date wins, and the difference is said.
    r = run(*args, "--filed-on", "2026-10-01", "--date", "2026-09-30")
    assert r.exit_code == 0, r.output
    assert ("HSI: note: the letter is dated 2026-09-30 (--date) but filed on 2026-10-01 (--filed-on); "
            "the tracker keeps this letter as the one filed") in r.stderr


@pytest.mark.pure
def test_followup_of_a_tracked_contract_request_reads_as_a_sentence(db_url, tmp_path):
    r = run("draft", "contract", "--award", "70CTD022FR0000170", *REQ, "--out", str(tmp_path), "--track",
            "--db", db_url, "--filed-on", "2026-10-01")
    assert r.exit_code == 0, r.output
    # A request filed before titles stopped copying the RE line reads the same way.
    r = run("track", "--db", db_url, "add", "--title", "Freedom of Information Act Request: award 70CTD022FR0000170",
            "--office", "ice", "--on", "2026-10-01")
    assert r.exit_code == 0, r.output
    for rid in ("1", "2"):
        r = run("track", "--db", db_url, "followup", rid, "--out", str(tmp_path / rid), "--requester-name", "Sam Doe",
                "--requester-email", "sam@example.org")
        assert r.exit_code == 0, r.output
        text = next((tmp_path / rid).glob("*.txt")).read_text()
        assert "filed on October 1, 2026" in text and ", for records about award 70CTD022FR0000170" in text
        assert "for Freedom of Information Act Request" not in text
