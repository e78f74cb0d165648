"""`foia draft`, `foia letters`: files written, what is printed, and clean failures."""

from __future__ import annotations

import email
import io
import os
import stat
from email import policy

import docx
import pytest
from click.testing import CliRunner

from foia.cli import cli
from foia.profile import save_profile
from letters_support import A_NUMBER, DOB, PROFILE

SELF = ["--date-of-birth", DOB, "--place-of-birth", "Hermosillo, Mexico", "--citizenship", "Mexico",
        "--a-number", A_NUMBER]


@pytest.fixture(autouse=True)
def env(_foia_dirs):
    """conftest's private folders, with the test profile saved in them."""
    save_profile(PROFILE)
    return _foia_dirs


def run(*args, **kw):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False, **kw)


def test_draft_writes_one_letter_per_office_and_prints_paths(env):
    out = env / "out"
    r = run("draft", "records", "--system", "icm", "--to", "ICE", "--to", "hsi", "--to", "FBI", "--out", str(out),
            "--date", "2026-11-23")
    assert r.exit_code == 0, r.output
    paths = r.stdout.splitlines()
    assert paths == [str((out / f"2026-11-23-{o}-records.txt").resolve()) for o in ("ice", "hsi", "fbi")]
    for p in paths:
        assert stat.S_IMODE(os.stat(p).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o700
    ice_txt = (out / "2026-11-23-ice-records.txt").read_text()
    assert "ICE FOIA Office" in ice_txt and "Investigative Case Management (ICM)" in ice_txt
    assert ("ICE: File at https://www.dhs.gov/foia (DHS accepts requests online only since 2026-01-22): "
            f"paste {paths[0]}") in r.stderr
    assert "HSI: File at https://www.dhs.gov/foia" in r.stderr
    # The FBI's email is unverified and its portal is verified: the portal is suggested.
    assert f"FBI: file at https://efoia.fbi.gov: paste {paths[2]}" in r.stderr
    assert "FBI: unverified: FBI mail 170 Marcel Drive" in r.stderr
    assert "ICE: unverified: SORN DHS/ICE-009 for ICM" in r.stderr


def test_draft_infers_the_office_from_a_contract(env):
    r = run("draft", "contract", "--award", "70CTD022FR0000170", "--out", str(env), "--date", "2026-11-23",
            "--format", "md", "--format", "eml")
    assert r.exit_code == 0, r.output
    # DHS takes requests online only: no .eml is addressed to the office's email, and the user is told why.
    assert r.stdout.splitlines() == [str(env / "2026-11-23-hsi-contract.md")]
    assert ("HSI: no .eml written: ICE FOIA Office takes requests online only (DHS rule since 2026-01-22), so a "
            "request emailed to ice-foia@ice.dhs.gov is not filed") in r.stderr
    r = run("draft", "contract", "--award", "70CTD022FR0000170", "--out", str(env), "--date", "2026-11-23",
            "--format", "eml", "--to-email", "ice-foia@ice.dhs.gov")
    assert r.exit_code == 0, r.output
    raw = (env / "2026-11-23-hsi-contract.eml").read_bytes()
    assert max(len(line) for line in raw.split(b"\r\n")) <= 78
    msg = email.message_from_bytes(raw, policy=policy.default)
    assert msg["To"] == "ICE FOIA Office <ice-foia@ice.dhs.gov>"
    assert msg["Subject"] == "Freedom of Information Act Request: award 70CTD022FR0000170 (Palantir Technologies)"
    assert "conflict: palantir-icm-om-2022" in r.stderr


def test_draft_needs_to_when_it_cannot_be_inferred(env):
    r = run("draft", "records", "--subject", "x", "--out", str(env))
    assert r.exit_code == 2 and "Error: records letter needs --to" in r.stderr
    assert not list(env.glob("*.txt"))


def test_first_party_pii_stays_in_the_file(env):
    out = env / "out"
    r = run("draft", "self", "--to", "ICE", "--to", "OBIM", "--out", str(out), "--date", "2026-11-23",
            "--format", "txt", "--format", "docx", "--format", "eml", "--attach-docx", "--reproducible", *SELF)
    assert r.exit_code == 0, r.output
    for secret in (DOB, A_NUMBER, "April 9, 1988", "Hermosillo"):
        assert secret not in r.stdout and secret not in r.stderr
    text = (out / "2026-11-23-ice-self.txt").read_text()
    assert "Date of birth: April 9, 1988" in text and f"A-Number: {A_NUMBER}" in text
    doc = docx.Document(str(out / "2026-11-23-ice-self.docx"))
    assert any(p.text == f"A-Number: {A_NUMBER}" and p.style.name == "Line Block" for p in doc.paragraphs)
    # Unverified OBIM contacts are flagged.
    assert "OBIM: unverified: OBIM email OBIM-FOIA@ice.dhs.gov" in r.stderr


def test_bad_pii_value_is_refused_without_echo(env):
    r = run("draft", "self", "--to", "ICE", "--out", str(env), *SELF[:-4], "--date-of-birth", "88-4-9",
            "--citizenship", "Mexico")
    assert r.exit_code == 2
    assert "--date-of-birth: the value given is not a date" in r.stderr and "88-4-9" not in r.output


def test_existing_files_are_refused_before_anything_is_written(env):
    out = env / "out"
    out.mkdir()
    (out / "2026-11-23-cbp-records.txt").write_text("mine")
    r = run("draft", "records", "--subject", "x", "--to", "ICE", "--to", "CBP", "--out", str(out),
            "--date", "2026-11-23")
    assert r.exit_code == 1
    assert "2026-11-23-cbp-records.txt already exists; pass --overwrite" in r.stderr
    assert sorted(p.name for p in out.iterdir()) == ["2026-11-23-cbp-records.txt"]
    assert (out / "2026-11-23-cbp-records.txt").read_text() == "mine"
    r = run("draft", "records", "--subject", "x", "--to", "ICE", "--to", "CBP", "--out", str(out),
            "--date", "2026-11-23", "--overwrite")
    assert r.exit_code == 0 and "Border Data Project" in (out / "2026-11-23-cbp-records.txt").read_text()


def test_each_office_gets_the_formats_it_can_take(env):
    out = env / "out"
    r = run("draft", "self", "--to", "ICE", "--to", "CBP", "--out", str(out), "--date", "2026-11-23",
            "--format", "txt", "--format", "eml", *SELF)
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in out.iterdir()) == ["2026-11-23-cbp-self.txt", "2026-11-23-ice-self.txt"]
    assert "CBP: no .eml written: CBP FOIA has no email address in the directory" in r.stderr
    assert "ICE: no .eml written: ICE FOIA Office takes requests online only" in r.stderr
    # Only .eml asked and no office can take one: nothing is written, and the reasons are given.
    only = env / "only"
    r = run("draft", "records", "--subject", "x", "--to", "ICE", "--to", "CBP", "--out", str(only), "--format", "eml")
    assert r.exit_code == 1
    assert r.stderr.startswith("Error: nothing written: ICE FOIA Office takes requests online only")
    assert "; CBP FOIA has no email address in the directory" in r.stderr
    assert not only.exists() or not list(only.iterdir())


def test_a_failing_office_stops_the_run_with_nothing_written(env):
    out = env / "out"
    r = run("draft", "records", "--subject", "x", "--to", "ICE", "--to", "NOPE", "--out", str(out))
    assert r.exit_code != 0 and "NOPE" in r.stderr
    assert not out.exists() or not list(out.iterdir())


def test_stem_cannot_leave_the_output_folder(env):
    out = env / "out"
    for stem in ("../evil", "/tmp/evil", "sub/evil"):
        r = run("draft", "records", "--subject", "x", "--to", "ICE", "--out", str(out), "--stem", stem)
        assert r.exit_code == 2 and "plain file name" in r.stderr
    assert not (env / "evil.txt").exists()
    r = run("draft", "records", "--subject", "x", "--to", "ICE", "--to", "CBP", "--out", str(out), "--stem", "a")
    assert r.exit_code == 2 and "--stem names one file" in r.stderr
    r = run("draft", "records", "--subject", "x", "--to", "ICE", "--out", str(out), "--stem", "my letter")
    assert r.exit_code == 0 and (out / "my letter.txt").exists()


def test_progress_bar_with_many_offices(env):
    r = run("draft", "records", "--subject", "x", "--out", str(env / "o"),
            *[a for o in ("ICE", "CBP", "USCIS", "OBIM", "FBI") for a in ("--to", o)])
    assert r.exit_code == 0 and "Writing letters" in r.stderr
    assert len(r.stdout.splitlines()) == 5


def test_to_is_case_insensitive_and_deduplicated(env):
    r = run("draft", "records", "--subject", "x", "--to", "ice", "--to", "ICE", "--to",
            "Immigration and Customs Enforcement", "--out", str(env))
    assert r.exit_code == 0 and len(r.stdout.splitlines()) == 1


def test_unknown_office_and_bad_choice(env):
    r = run("draft", "records", "--subject", "x", "--to", "NSA", "--out", str(env))
    assert r.exit_code == 1 and "no agency 'NSA'" in r.stderr
    r = run("draft", "appeal", "--to", "ICE", "--tracking-number", "1", "--grounds", "because",
            "--determination-date", "2026-11-02", "--out", str(env))
    assert r.exit_code == 2 and "--grounds: 'because' is not one of withholding" in r.stderr


def test_reproducible_docx_same_bytes(env):
    args = ["draft", "appeal", "--to", "ICE", "--tracking-number", "2026-ICFO-1", "--grounds", "no-records",
            "--determination-date", "2026-11-02", "--date", "2026-11-23", "--format", "docx", "--reproducible",
            "--overwrite"]
    run(*args, "--out", str(env / "a"))
    run(*args, "--out", str(env / "b"))
    a = (env / "a" / "2026-11-23-ice-appeal.docx").read_bytes()
    assert a == (env / "b" / "2026-11-23-ice-appeal.docx").read_bytes()
    doc = docx.Document(io.BytesIO(a))
    subject = [p.text for p in doc.paragraphs if p.style.name == "Subject Line"]
    assert subject == ["RE: Freedom of Information Act Appeal: request 2026-ICFO-1"]


def test_no_profile_uses_requester_options(env):
    r = run("draft", "follow-up", "--to", "ICE", "--no-profile", "--requester-name", "Sam Lee",
            "--requester-email", "sam@example.net", "--tracking-number", "2026-ICFO-9", "--request-date",
            "2026-06-01", "--request-subject", "ICM audit logs", "--out", str(env), "--date", "2026-11-23")
    assert r.exit_code == 0, r.output
    text = (env / "2026-11-23-ice-follow-up.txt").read_text()
    assert text.startswith("Sam Lee\nsam@example.net\n") and "Ana Ruiz" not in text
    r = run("draft", "follow-up", "--to", "ICE", "--no-profile", "--tracking-number", "1", "--request-date",
            "2026-06-01", "--request-subject", "x", "--out", str(env / "x"))
    assert r.exit_code == 2 and "--requester-name or set name in your profile" in r.stderr


def test_draft_help_lists_kind_fields(env):
    r = run("draft", "self", "--help")
    assert r.exit_code == 0
    for opt in ("--date-of-birth", "--outside-us", "--a-number", "--fee-waiver", "--requester-name", "--to"):
        assert opt in r.stdout
    assert "--grounds" not in r.stdout
    r = run("draft", "--help")
    for kind in ("records", "contract", "self", "third-party", "follow-up", "appeal", "mediation"):
        assert kind in r.stdout


def test_letters_kinds_show_and_path(env, monkeypatch):
    r = run("letters", "kinds")
    assert r.exit_code == 0
    assert "appeal: Freedom of Information Act Appeal" in r.stdout and "--determination-date" in r.stdout
    assert "--record-format" in r.stdout
    import json

    kinds = json.loads(run("letters", "kinds", "--json").stdout)
    assert [k["kind"] for k in kinds] == ["records", "contract", "self", "third-party", "follow-up", "appeal",
                                          "mediation", "amendment", "amendment-appeal"]
    r = run("letters", "show", "appeal")
    assert r.exit_code == 0 and "Freedom of Information Act Appeal" in r.stdout
    assert run("letters", "path").stdout.strip() == str(env / "config" / "templates")
    monkeypatch.setenv("FOIA_TEMPLATES", str(env / "mine"))
    assert run("letters", "path").stdout.strip() == str(env / "mine")
    (env / "mine").mkdir()
    (env / "mine" / "appeal.j2").write_text("@re\nmine\n@body\nx\n")
    assert run("letters", "show", "appeal").stdout == "@re\nmine\n@body\nx\n"
    assert run("letters", "path", "--packaged").stdout.strip().endswith("templates")


def test_sandbox_escape_fails_with_one_line(env, monkeypatch):
    monkeypatch.setenv("FOIA_TEMPLATES", str(env / "mine"))
    (env / "mine").mkdir()
    (env / "mine" / "records.j2").write_text("@re\n{{ ''.__class__.__base__.__subclasses__() }}\n@body\nx\n")
    r = run("draft", "records", "--subject", "x", "--to", "ICE", "--out", str(env / "o"))
    assert r.exit_code == 1
    assert r.stderr.count("\n") == 1 and "was refused by the sandbox" in r.stderr
    assert not (env / "o").exists()


def test_self_letter_is_signed_by_the_person_it_is_about(env):
    """PROFILE is Ana Ruiz's; a first-party letter for someone else is signed by them, without
    Ana's title, organization or address, and says so."""
    out = env / "out"
    base = ["draft", "self", "--to", "ICE", *SELF, "--out", str(out), "--date", "2026-11-23"]
    r = run(*base, "--full-name", "Rosa Martinez", "--address", "12 Main St, Oakland, CA 94601")
    assert r.exit_code == 0, r.output
    text = (out / "2026-11-23-ice-self.txt").read_text()
    assert text.startswith("Rosa Martinez\n12 Main St\nOakland, CA 94601\nana@example.org\n")
    assert text.endswith("Sincerely,\n\nRosa Martinez\n")
    assert "Ana Ruiz" not in text and "Border Data Project" not in text and "Tucson" not in text
    assert "ICE: note: signed with --full-name, not your profile's name" in r.stderr
    # Without a profile, --full-name is enough to sign.
    r = run(*base, "--no-profile", "--full-name", "Rosa Martinez", "--address", "12 Main St",
            "--requester-email", "rosa@example.org", "--overwrite")
    assert r.exit_code == 0, r.output
    assert (out / "2026-11-23-ice-self.txt").read_text().endswith("Sincerely,\n\nRosa Martinez\n")


@pytest.mark.parametrize("extra, message", [
    (["--full-name", "Rosa Martinez", "--requester-name", "Ana Ruiz", "--address", "12 Main St"],
     "Error: --requester-name differs from --full-name: a first-party (self) letter is signed by the person whose "
     "records it asks for; drop --requester-name (the letter is then signed with --full-name), or write "
     "`foia draft third-party` for another person\n"),
    (["--full-name", "Rosa Martinez"],
     "Error: self letter needs the current address of the person in --full-name: pass --address (your profile's "
     "address is your own)\n"),
])
def test_self_letter_refuses_a_signer_who_is_not_the_subject(env, extra, message):
    r = CliRunner().invoke(cli, ["draft", "self", "--to", "ICE", *SELF, "--out", str(env / "out"), *extra])
    assert r.exit_code == 2 and r.output == message
    assert not (env / "out").exists()


def test_follow_up_without_a_tracking_number_and_appeal_exemption_spellings(env):
    r = run("draft", "follow-up", "--to", "ICE", "--request-date", "2026-06-01", "--request-subject",
            "records about ICM", "--sent-via", "mail", "--privacy-act", "--out", str(env), "--date", "2026-11-23")
    assert r.exit_code == 0, r.output
    text = (env / "2026-11-23-ice-follow-up.txt").read_text()
    assert "RE: Status of Privacy Act and Freedom of Information Act request filed on June 1, 2026\n" in text
    assert ("I write about my Privacy Act and Freedom of Information Act request filed on June 1, 2026 by mail, for "
            "records about ICM.") in text
    base = ["draft", "appeal", "--to", "ICE", "--tracking-number", "T-1", "--grounds", "withholding",
            "--determination-date", "2026-11-02", "--date", "2026-11-23", "--overwrite", "--out", str(env)]
    for spelling in ("--exemption", "--exemptions"):       # the old plural spelling still works
        r = run(*base, spelling, "b6")
        assert r.exit_code == 0, r.output
        assert "citing exemption (b)(6) of 5 U.S.C. 552" in (env / "2026-11-23-ice-appeal.txt").read_text()
