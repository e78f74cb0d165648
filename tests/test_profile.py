"""The requester profile: stored user-only, validated, edited without losing the old one."""

from __future__ import annotations

import json
import os
import stat

import pytest
from click.testing import CliRunner

from foia.cli import cli
from foia.errors import FoiaError
from foia.profile import Profile, load_profile, profile_path, save_profile


@pytest.fixture(autouse=True)
def env(_foia_dirs):
    return _foia_dirs


def run(*args, **kw):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False, **kw)


def test_path_follows_config_dir_and_env_override(env, monkeypatch):
    assert profile_path() == env / "config" / "profile.yaml"
    assert run("profile", "path").stdout.strip() == str(env / "config" / "profile.yaml")
    monkeypatch.setenv("FOIA_PROFILE", str(env / "elsewhere.yaml"))
    assert profile_path() == env / "elsewhere.yaml"


def test_no_profile_yet(env):
    assert load_profile() is None
    r = run("profile", "show")
    assert r.exit_code == 1 and "create one with `foia profile init`" in r.stderr


def test_init_from_options_is_user_only(env):
    r = run("profile", "init", "--no-input", "--name", "Ana Ruiz", "--email", "ana@example.org",
            "--fee-category", "News Media", "--address", "1 Main St\nTucson, AZ 85701")
    assert r.exit_code == 0, r.output
    path = env / "config" / "profile.yaml"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
    p = load_profile()
    assert p == Profile(name="Ana Ruiz", email="ana@example.org", fee_category="news-media",
                        address="1 Main St\nTucson, AZ 85701")
    r = run("profile", "init", "--no-input", "--name", "Other")
    assert r.exit_code == 1 and "already exists" in r.stderr
    assert load_profile().name == "Ana Ruiz"
    assert run("profile", "init", "--no-input", "--name", "Other", "--force").exit_code == 0
    assert load_profile().name == "Other"


def test_init_asks_for_missing_fields(env):
    answers = "Ana Ruiz\nBorder Data Project\n\n\nana@example.org\n\nother\n\n\n"
    r = run("profile", "init", input=answers)
    assert r.exit_code == 0, r.output
    p = load_profile()
    assert (p.name, p.organization, p.email, p.fee_category, p.phone) == \
        ("Ana Ruiz", "Border Data Project", "ana@example.org", "other", None)


def test_init_takes_a_multi_line_address_and_prompts_read_cleanly(env):
    answers = "Ana Ruiz\n\n\n1 Main St\nApt 4\nTucson, AZ 85701\n\nana@example.org\n\nother\n\n\n"
    r = run("profile", "init", input=answers)
    assert r.exit_code == 0, r.output
    assert load_profile().address == "1 Main St\nApt 4\nTucson, AZ 85701"
    assert ".:" not in r.output and "Your full name, as it will be signed:" in r.output
    assert "Postal address, one line at a time (an empty line ends it" in r.output
    r = run("profile", "show")
    assert "address:            1 Main St\n                    Apt 4\n" in r.stdout


def test_a_typed_backslash_n_is_a_line_break_in_the_address(env):
    r = run("profile", "init", "--no-input", "--name", "Ana Ruiz", "--address", "1 Main St\\nTucson, AZ 85701")
    assert r.exit_code == 0, r.output
    assert load_profile().address == "1 Main St\nTucson, AZ 85701"
    r = run("draft", "records", "--subject", "x", "--to", "ICE", "--out", str(env / "out"),
            "--requester-address", "9 Side Rd\\nMesa, AZ 85201")
    assert r.exit_code == 0, r.output
    text = next((env / "out").glob("*.txt")).read_text()
    assert "9 Side Rd\nMesa, AZ 85201\n" in text and "\\n" not in text


def test_show_prints_fields_and_json(env):
    save_profile(Profile(name="Ana Ruiz", address="1 Main St\nTucson, AZ 85701", fee_category="educational"))
    r = run("profile", "show")
    assert r.stdout == ("name:               Ana Ruiz\n"
                        "address:            1 Main St\n"
                        "                    Tucson, AZ 85701\n"
                        "fee_category:       educational\n")
    assert json.loads(run("profile", "show", "--json").stdout) == {
        "name": "Ana Ruiz", "address": "1 Main St\nTucson, AZ 85701", "fee_category": "educational"}


def test_edit_with_options_and_unset(env):
    save_profile(Profile(name="Ana Ruiz", phone="555"))
    r = run("profile", "edit", "--organization", "Clinic", "--unset", "phone")
    assert r.exit_code == 0
    assert load_profile() == Profile(name="Ana Ruiz", organization="Clinic")


def test_edit_in_editor_validates_before_saving(env, monkeypatch):
    save_profile(Profile(name="Ana Ruiz"))
    monkeypatch.setattr("click.edit", lambda text, **kw: text + "dissemination: I publish a newsletter.\n")
    assert run("profile", "edit").exit_code == 0
    assert load_profile().dissemination == "I publish a newsletter."
    monkeypatch.setattr("click.edit", lambda text, **kw: text + "nickname: A\n")
    r = run("profile", "edit")
    assert r.exit_code == 1 and "unknown field 'nickname'" in r.stderr
    monkeypatch.setattr("click.edit", lambda text, **kw: "name: [unclosed\n")
    r = run("profile", "edit")
    assert r.exit_code == 1 and "not valid YAML" in r.stderr and "nothing was saved" in r.stderr
    assert load_profile().dissemination == "I publish a newsletter."


def test_bad_files_fail_with_one_line(env):
    path = env / "config" / "profile.yaml"
    path.parent.mkdir(parents=True)
    path.write_text("fee_category: billionaire\n")
    with pytest.raises(FoiaError, match="'billionaire' is not a fee category; use one of news-media"):
        load_profile()
    path.write_text("- a list\n")
    with pytest.raises(FoiaError, match="expected a mapping of fields"):
        load_profile()
    path.write_text("name: {a: 1}\n")
    with pytest.raises(FoiaError, match="name must be text"):
        load_profile()
    with pytest.raises(FoiaError, match="not found"):
        load_profile(env / "missing.yaml")


def test_bad_fee_category_option(env):
    r = run("profile", "init", "--no-input", "--name", "A", "--fee-category", "rich")
    assert r.exit_code == 1 and "not a fee category" in r.stderr
    assert not (env / "config" / "profile.yaml").exists()


def test_draft_uses_an_explicit_profile_file(env, tmp_path):
    other = tmp_path / "clinic.yaml"
    save_profile(Profile(name="Clinic Intake", email="intake@example.edu"), other)
    r = run("draft", "records", "--subject", "x", "--to", "ICE", "--profile", str(other), "--out", str(tmp_path / "o"),
            "--date", "2026-11-23")
    assert r.exit_code == 0, r.output
    assert (tmp_path / "o" / "2026-11-23-ice-records.txt").read_text().startswith("Clinic Intake\n")


def test_a_typed_backslash_n_in_a_first_party_address_reads_as_lines(env):
    args = ["draft", "self", "--to", "ICE", "--out", str(env / "self"), "--full-name", "Ana Ruiz",
            "--address", "1 Main St\\nTucson, AZ 85701", "--date-of-birth", "1988-04-09", "--place-of-birth",
            "Hermosillo, Mexico", "--citizenship", "Mexico", "--requester-email", "ana@example.org"]
    r = run(*args)
    assert r.exit_code == 0, r.output
    text = next((env / "self").glob("*.txt")).read_text()
    assert "Current address: 1 Main St, Tucson, AZ 85701" in text and "\\n" not in text


def _draft_first_line(env, out: str) -> str:
    r = run("draft", "records", "--subject", "x", "--to", "ICE", "--out", str(env / out), "--date", "2026-11-23")
    assert r.exit_code == 0, r.output
    return (env / out / "2026-11-23-ice-records.txt").read_text().splitlines()[0]


def test_the_parsed_profile_is_kept_per_user_and_every_edit_is_seen(env):
    path = env / "config" / "profile.yaml"
    path.parent.mkdir(parents=True)
    cache = env / "cache" / "profile-yaml.pickle"
    letters = []
    for n, name in enumerate(("Ana Ruiz", "Ana Ruiz", "Eva Ruiz", "Ana Ruiz")):
        path.write_text(f"name: {name}\nemail: ana@example.org\n")
        # Same size and the same second: an mtime alone would not tell the edits apart.
        os.utime(path, ns=(1_700_000_000_000_000_000, 1_700_000_000_000_000_000))
        letters.append(_draft_first_line(env, f"o{n}"))
        assert stat.S_IMODE(os.stat(cache).st_mode) == 0o600
    assert letters == ["Ana Ruiz", "Ana Ruiz", "Eva Ruiz", "Ana Ruiz"]
    # A broken cache file only costs a parse.
    cache.write_bytes(b"not a pickle")
    assert load_profile() == Profile(name="Ana Ruiz", email="ana@example.org")
    assert cache.read_bytes() != b"not a pickle"


def test_a_profile_with_errors_is_never_kept_and_no_copy_outlives_the_profile(env):
    path = env / "config" / "profile.yaml"
    path.parent.mkdir(parents=True)
    cache = env / "cache" / "profile-yaml.pickle"
    path.write_text("name: Ana Ruiz\nfee_category: billionaire\n")
    for _ in range(2):
        with pytest.raises(FoiaError, match="'billionaire' is not a fee category"):
            load_profile()
        assert not cache.exists()
    path.write_text("name: Ana Ruiz\nemail: ana@example.org\n")
    assert load_profile().name == "Ana Ruiz" and cache.exists()
    # Saved through foia: the copy is dropped (the next load keeps the new text).
    save_profile(Profile(name="Eva Ruiz", email="eva@example.org"))
    assert not cache.exists()
    assert load_profile().name == "Eva Ruiz" and cache.exists()
    # Deleted: the next run that looks for it finds none and drops the copy too.
    path.unlink()
    assert load_profile() is None and not cache.exists()
