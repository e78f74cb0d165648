"""Start-up: the per-user directory cache is never stale, and each command imports only what it uses.

Speed itself is measured by benchmarks/startup.py (ratios against `import click`); these tests
pin the causes so start-up cannot silently regress.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def foia(*args, env=None, cwd=None):
    return subprocess.run([sys.executable, "-m", "foia", *args], capture_output=True, text=True,
                          env=env or os.environ.copy(), cwd=cwd)


OVERRIDE = """\
agencies:
  - id: county-sheriff
    name: {name}
    abbreviation: ECSO
    kind: agency
"""


def test_the_directory_cache_sees_every_edit_of_the_override(tmp_path):
    over = tmp_path / "clinic.yaml"
    env = dict(os.environ, FOIA_DIRECTORY=str(over))
    names = []
    for name in ("Example County Sheriff", "Example County Sheriff's Office", "Example County Sheriff"):
        over.write_text(OVERRIDE.format(name=name))
        # Same size and the same second: an mtime alone would not tell the edits apart.
        os.utime(over, ns=(1_700_000_000_000_000_000, 1_700_000_000_000_000_000))
        proc = foia("agencies", "show", "ECSO", "--json", env=env)
        assert proc.returncode == 0, proc.stderr
        names.append(json.loads(proc.stdout)["name"])
    assert names == ["Example County Sheriff", "Example County Sheriff's Office", "Example County Sheriff"]
    cached = list((tmp_path / "cache").glob("directory-*.pickle"))
    assert len(cached) == 1 and cached[0].stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "cache").stat().st_mode & 0o777 == 0o700


def test_a_broken_override_is_reported_every_time_and_a_fixed_one_is_read(tmp_path):
    over = tmp_path / "clinic.yaml"
    env = dict(os.environ, FOIA_DIRECTORY=str(over))
    over.write_text("agencies:\n  - id: x\n    kind: bureau\n")
    for _ in range(2):
        proc = foia("agencies", "list", env=env)
        assert proc.returncode == 1 and "kind: expected one of" in proc.stderr and "Traceback" not in proc.stderr
    over.write_text(OVERRIDE.format(name="Example County Sheriff"))
    proc = foia("agencies", "show", "ECSO", env=env)
    assert proc.returncode == 0 and "Example County Sheriff" in proc.stdout


def test_a_corrupt_cache_file_is_rebuilt(tmp_path):
    assert foia("agencies", "show", "ice").returncode == 0
    [cached] = (tmp_path / "cache").glob("directory-*.pickle")
    cached.write_bytes(b"not a pickle")
    proc = foia("agencies", "show", "ice")
    assert proc.returncode == 0 and "U.S. Immigration and Customs Enforcement" in proc.stdout
    assert cached.read_bytes() != b"not a pickle"


# What each command must NOT import (module prefixes). Run in a fresh interpreter after a first
# run has built the per-user caches, as a user's second and later runs do.
HEAVY = ("sqlalchemy", "psycopg", "httpx", "docx", "lxml", "icalendar", "holidays", "yaml", "jinja2")
DRAFT_HEAVY = ("sqlalchemy", "psycopg", "httpx", "docx", "lxml", "icalendar", "holidays", "yaml", "email",
               "foia.directory.schema", "foia.render.email", "foia.clocks", "dataclasses")
TRACKER = ("foia.tracker.models", "foia.tracker.service", "foia.tracker.queries", "foia.tracker.derive")
CASES = [
    (["--help"], HEAVY),
    (["agencies", "list"], HEAVY),
    (["agencies", "show", "ice"], HEAVY),
    (["deadline", "--received", "2026-03-02", "--office", "ICE"], HEAVY),
    # The requester's email is checked without the directory's YAML schema module, --date
    # without the working-day calendar (only --filed-on needs it); the .eml writer (and the
    # email package) only for an .eml; the letters' value classes are not dataclasses (whose
    # generated methods each start paid for).
    (["draft", "records", "--to", "ICE", "--system", "icm", "--no-profile", "--requester-name", "A B",
      "--requester-email", "a@example.org", "--date", "2026-06-01", "--overwrite", "--out", "{tmp}/l"],
     (*DRAFT_HEAVY, "foia.render.docx")),
    # The DOCX skeleton comes from the per-user cache: python-docx and lxml are not imported.
    (["draft", "records", "--to", "ICE", "--system", "icm", "--no-profile", "--requester-name", "A B",
      "--requester-email", "a@example.org", "--date", "2026-06-01", "--overwrite", "--out", "{tmp}/l",
      "--format", "docx"],
     DRAFT_HEAVY),
    # On a SQLite file at this foia's schema `track due` reads through sqlite3 (the first run,
    # which creates the file, goes through SQLAlchemy): no tracker tables, no clocks' derive, and
    # JSON and CSV only when asked for.
    (["track", "--db", "sqlite:///{tmp}/t.db", "due"], HEAVY + TRACKER + ("json", "csv")),
    (["track", "due", "--db", "sqlite:///{tmp}/t.db", "--mine", "--json"], HEAVY + TRACKER),
]


@pytest.mark.slow
@pytest.mark.parametrize("argv,forbidden", CASES, ids=[" ".join(c[0][:2] + c[0][-1:]) for c in CASES])
def test_each_command_imports_only_what_it_uses(tmp_path, argv, forbidden):
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    heavy = _heavy_imports(tmp_path, argv, forbidden)
    assert heavy == [], f"{' '.join(argv)} imports {heavy}"


def _heavy_imports(tmp_path, argv: list[str], forbidden) -> list[str]:
    code = ("import sys\nfrom foia.cli import main\n"
            f"try:\n    main({argv!r})\nexcept SystemExit as exc:\n    assert not exc.code, exc.code\n"
            "print('MODULES', ' '.join(sorted(sys.modules)), file=sys.stderr)")
    for _ in range(2):  # the first run builds the per-user caches
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
        assert "MODULES" in proc.stderr, proc.stderr
    loaded = proc.stderr.split("MODULES", 1)[1].split()
    return sorted({m for m in loaded if any(m == f or m.startswith(f + ".") for f in forbidden)})


@pytest.mark.slow
def test_draft_with_a_profile_reads_it_without_pyyaml_once_it_is_cached(tmp_path):
    profile = tmp_path / "config" / "profile.yaml"
    profile.parent.mkdir(parents=True)
    profile.write_text("name: Ana Ruiz\nemail: ana@example.org\n")
    argv = ["draft", "records", "--to", "ICE", "--system", "icm", "--date", "2026-06-01", "--overwrite",
            "--out", str(tmp_path / "l")]
    assert _heavy_imports(tmp_path, argv, DRAFT_HEAVY) == []
    assert (tmp_path / "l" / "2026-06-01-ice-records.txt").read_text().startswith("Ana Ruiz\n")


_GC_STATE = ("import gc, sys\n{run}\n"
             "print('GC', gc.get_freeze_count(), gc.isenabled(), file=sys.stderr)")


@pytest.mark.slow
def test_the_program_keeps_its_imports_out_of_the_collector_and_the_group_alone_does_not(tmp_path):
    # `foia` as a program: what the command's imports made is frozen (the collector walks none of
    # it again, at exit included), and the collector is on for what the command makes.
    argv = ["draft", "records", "--to", "ICE", "--system", "icm", "--no-profile", "--requester-name", "A B",
            "--requester-email", "a@example.org", "--date", "2026-06-01", "--overwrite", "--out", str(tmp_path / "l")]
    program = (f"from foia.cli import main\ntry:\n    main({argv!r})\nexcept SystemExit as exc:\n"
               "    assert not exc.code, exc.code")
    # The group called in-process (CliRunner in tests, an app): the caller's collector is left alone.
    group = (f"from click.testing import CliRunner\nfrom foia.cli import cli\n"
             f"assert CliRunner().invoke(cli, {argv!r}).exit_code == 0")
    states = []
    for run in (program, group):
        proc = subprocess.run([sys.executable, "-c", _GC_STATE.format(run=run)], capture_output=True, text=True,
                              cwd=tmp_path)
        assert "GC" in proc.stderr, proc.stderr
        frozen, enabled = proc.stderr.split("GC", 1)[1].split()
        states.append((int(frozen), enabled))
    (program_frozen, program_enabled), group_state = states
    assert program_frozen > 10_000 and program_enabled == "True"
    assert group_state == (0, "True")
    assert (tmp_path / "l" / "2026-06-01-ice-records.txt").stat().st_mode & 0o777 == 0o600


def test_a_corrupt_docx_skeleton_is_rebuilt_and_letters_read_back(tmp_path):
    import io

    import docx

    args = ["draft", "records", "--to", "ICE", "--system", "icm", "--no-profile", "--requester-name", "A B",
            "--requester-email", "a@example.org", "--date", "2026-06-01", "--overwrite", "--out", str(tmp_path / "l"),
            "--format", "docx", "--reproducible"]
    assert foia(*args).returncode == 0
    [skeleton] = (tmp_path / "cache").glob("docx-skeleton-*.pickle")
    assert skeleton.stat().st_mode & 0o777 == 0o600
    first = (tmp_path / "l" / "2026-06-01-ice-records.docx").read_bytes()
    skeleton.write_bytes(b"not a pickle")
    proc = foia(*args)
    assert proc.returncode == 0, proc.stderr
    again = (tmp_path / "l" / "2026-06-01-ice-records.docx").read_bytes()
    assert again == first and skeleton.read_bytes() != b"not a pickle"
    doc = docx.Document(io.BytesIO(again))
    assert doc.paragraphs[0].text == "A B" and any(p.style.name == "Subject Line" for p in doc.paragraphs)
