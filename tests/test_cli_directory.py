"""CLI: `foia agencies|systems|vendors|search`, --help everywhere, and quick start-up."""

from __future__ import annotations

import json
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from foia.cli import COMMANDS, cli


def run(*args, env=None):
    result = CliRunner().invoke(cli, list(args), env=env or {}, catch_exceptions=False)
    return result


def _walk(group: click.Group, ctx: click.Context, prefix: list[str]):
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        yield prefix + [name], cmd
        if isinstance(cmd, click.Group):
            sub = click.Context(cmd, info_name=name, parent=ctx)
            yield from _walk(cmd, sub, prefix + [name])


def all_command_paths():
    ctx = click.Context(cli, info_name="foia")
    return [path for path, _ in _walk(cli, ctx, [])]


def test_root_help_lists_every_command_without_importing_them():
    result = run("--help")
    assert result.exit_code == 0
    for name in COMMANDS:
        assert name in result.output


@pytest.mark.parametrize("path", all_command_paths(), ids=lambda p: " ".join(p))
def test_every_command_has_help_text(path):
    result = run(*path, "--help")
    assert result.exit_code == 0, result.output
    assert "Usage: foia " + " ".join(path) in result.output
    ctx = click.Context(cli, info_name="foia")
    cmd = cli
    for part in path:
        cmd = cmd.get_command(ctx, part)
    assert (cmd.help or "").strip(), f"{' '.join(path)} has no docstring"


def test_agencies_list_table_and_json():
    result = run("agencies", "list")
    assert result.exit_code == 0
    assert "ice          ICE" in result.output and "hsi          HSI" in result.output
    data = json.loads(run("agencies", "list", "--json").output)
    rows = {r["id"]: r for r in data}
    assert rows["hsi"]["files_with"] == "ICE" and rows["hsi"]["portal_only"] is True
    assert rows["fbi"]["portal_only"] is False


def test_agencies_list_csv():
    out = run("agencies", "list", "--csv").output.splitlines()
    assert out[0] == "id,abbreviation,name,parent,files_with,portal_only"
    assert "hsi,HSI,Homeland Security Investigations,ice,ICE,yes" in out


def test_agencies_show_says_where_to_file_and_what_is_unverified():
    out = run("agencies", "show", "ice").output  # lower-case abbreviation works
    assert "ONLINE ONLY since 2026-01-22: file at https://www.dhs.gov/foia" in out
    assert "fax    (202) 732-4265 (conflicts with (202) 732-4266) [unverified]" in out
    assert "request fax: (202) 732-4265 [unverified]  vs  (202) 732-4266 [unverified]" in out
    assert "Regulation: 6 CFR Part 5" in out
    assert "appeal within 90 working days" in out
    assert ("fact-sheet: foia project, \"DHS / ICE FOIA and Privacy Act fact sheet, compiled from public sources\", "
            "2026-11-23, URL not on file") in out


def test_agencies_show_directorate_names_the_filing_office():
    out = run("agencies", "show", "ERO").output
    assert ("Requests go to the ICE FOIA Office (ICE); name Enforcement and Removal Operations (ERO) in the letter."
            in out)


def test_agencies_show_json_has_inherited_rules():
    data = json.loads(run("agencies", "show", "cbp", "--json").output)
    assert data["clock"]["inherited_from"] == "dhs" and data["clock"]["appeal_window_unit"] == "working"
    assert data["how_to_file"]["portals"] == ["SecureRelease", "https://www.dhs.gov/foia"]
    assert len(data["conflicts"]) == 1


def test_unknown_agency_is_one_line_and_exit_1():
    result = run("agencies", "show", "NSA")
    assert result.exit_code == 1
    assert result.output == "Error: no agency 'NSA'; see `foia agencies list` for the ids\n"


def test_systems_list_and_show():
    out = run("systems", "list").output
    assert "falcon" in out and "DHS/ICE-018" in out
    show = run("systems", "show", "FALCON").output
    assert "DHS/ICE-016, 82 FR 20905 (2017) (Folded into DHS/ICE-018 Analytical Records" in show
    assert "Lets agents search for people by their social media activity" in show and "[unverified]" in show
    data = json.loads(run("systems", "show", "icm", "--json").output)
    assert data["sorns"][0]["id"] == "DHS/ICE-009" and data["sorns"][0]["verified"] is False
    assert data["contracts"] == ["palantir-icm-2014", "palantir-icm-om-2022"]


def test_vendors_show_prints_conflicting_claims_side_by_side():
    out = run("vendors", "show", "palantir").output
    assert "$150,703,824.61 (total) | 2022-09-26 to 2026-05-04" in out
    assert "$139,300,000 (total): Total of $139.3 million. [unverified]" in out
    assert "* Award year: April 2025 (Wired) vs 2019 and 2017 (both in seed 003)." in out
    data = json.loads(run("vendors", "show", "palantir", "--json").output)
    ids = [c["id"] for c in data["contracts"]]
    assert ids == ["palantir-icm-2014", "palantir-icm-om-2022", "palantir-immigrationos"]


def test_vendors_show_parent_includes_subsidiaries_contracts():
    data = json.loads(run("vendors", "show", "thomson-reuters", "--json").output)
    assert {c["id"] for c in data["contracts"]} == {"tr-clear-hsi", "trss-ero-2018", "trss-risk-mitigation",
                                                   "west-vigilant-lpr"}


def test_vendors_list_counts_contracts():
    data = json.loads(run("vendors", "list", "--json").output)
    assert {r["id"]: r["contracts"] for r in data}["palantir"] == 3


def test_search_across_everything():
    data = json.loads(run("search", "70CTD022", "--json").output)
    assert data == [{"type": "contract", "id": "palantir-icm-om-2022", "name": "ICM operations and maintenance task order",
                     "match": "award: 70CTD022FR0000170"}]
    out = run("search", "license plate").output
    assert "ice-lpr" in out and "west-vigilant-lpr" in out
    assert run("search", "zzzz").output == "Nothing in the directory matches 'zzzz'.\n"


def test_search_needs_two_characters():
    result = run("search", "x")
    assert result.exit_code == 2 and "give at least 2 characters" in result.output


def test_override_via_environment_shows_in_show(tmp_path):
    over = tmp_path / "local.yaml"
    over.write_text("agencies:\n  - id: ogis\n    office: OGIS (corrected by our clinic)\n")
    out = run("agencies", "show", "ogis", env={"FOIA_DIRECTORY": str(over)}).output
    assert f"overridden by {over}: office" in out
    out = run("--directory", str(over), "agencies", "show", "ogis").output
    assert "Office: OGIS (corrected by our clinic)" in out


def test_broken_override_lists_every_problem_and_exits_1(tmp_path):
    over = tmp_path / "bad.yaml"
    over.write_text("agencies:\n  - id: cbp\n    kind: bureau\n  - id: new\n")
    result = CliRunner().invoke(cli, ["--directory", str(over), "agencies", "list"])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"{over}:3: agencies[0] (cbp).kind: expected one of: department, component, directorate, office, agency, "
        "mediator, appeals; got 'bureau'",
        f"{over}:4: agencies[1] (new).name: missing required field",
        f"{over}:4: agencies[1] (new).abbreviation: missing required field",
        f"{over}:4: agencies[1] (new).kind: missing required field",
    ]
    assert "Traceback" not in result.output


def test_directory_commands_do_not_import_heavy_libraries():
    code = ("import sys; from foia.cli import main\n"
            "try:\n    main(['agencies', 'list'])\nexcept SystemExit: pass\n"
            "heavy = [m for m in ('httpx', 'docx', 'sqlalchemy', 'icalendar') if m in sys.modules]\n"
            "print('HEAVY', heavy, file=sys.stderr)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "HEAVY []" in proc.stderr, proc.stderr


def test_python_dash_m_foia_works():
    proc = subprocess.run([sys.executable, "-m", "foia", "--version"], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.strip() == "foia, version 0.1.0"


@pytest.mark.parametrize("argv,message", [
    (["nope"], "Error: No such command 'nope'. (see 'foia --help')"),
    (["agencies", "list", "--bogus"], "Error: No such option '--bogus'. (see 'foia agencies list --help')"),
    (["agencies", "show"], "Error: Missing argument 'AGENCY_ID'. (see 'foia agencies show --help')"),
])
def test_click_usage_errors_are_one_line_with_a_help_hint(argv, message):
    result = CliRunner().invoke(cli, argv)
    assert result.exit_code == 2
    assert result.output == message + "\n"


def test_the_identity_form_says_what_is_on_file():
    from click.testing import CliRunner

    from foia.cli import cli

    out = CliRunner().invoke(cli, ["agencies", "show", "ice"]).output
    line = next(x for x in out.splitlines() if x.startswith("Identity: "))
    assert "Certification of Identity form" in line
    assert "form number and download link not on file" in line and "https://www.ice.gov/foia" in line


def test_sources_are_cited_as_a_reader_can_find_them_not_by_working_file_paths():
    from click.testing import CliRunner

    from foia.cli import cli
    from foia.directory import load_directory
    from foia.sources import catalogue

    d = load_directory()
    assert set(d.sources) <= set(catalogue()), "every source in agencies.yaml has a citation"
    for args in (["vendors", "show", "palantir"], ["agencies", "show", "ice"], ["systems", "show", "falcon"]):
        out = CliRunner().invoke(cli, args).output
        block = out.split("\nSources\n")[1]
        assert "shared/" not in out and "(via fact-sheet)" not in out
        assert all(line.startswith("  ") for line in block.splitlines() if line)
    out = CliRunner().invoke(cli, ["vendors", "show", "palantir"]).output
    assert ("  seed-000: Bay City News (BCN), \"Activists again call for Palo Alto's Palantir to end contracts with "
            "ICE\", date not on file, URL not on file") in out
    assert "  fcw-2019: FCW, title not on file, 2019-08-21, URL not on file; as cited in fact-sheet" in out
    src = d.sources["mijente-2018"]
    assert src.label() == ("Mijente et al., \"Who's Behind ICE? The Tech and Data Companies Fueling Deportations\", "
                           "2018-10-23, URL not on file; as cited in fact-sheet")
