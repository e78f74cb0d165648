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
TRACKER = ("foia.tracker.models", "foia.tracker.service", "foia.tracker.queries", "foia.tracker.derive")
CASES = [
    (["--help"], HEAVY),
    (["agencies", "list"], HEAVY),
    (["agencies", "show", "ice"], HEAVY),
    (["deadline", "--received", "2026-03-02", "--office", "ICE"], HEAVY),
    (["draft", "records", "--to", "ICE", "--system", "icm", "--no-profile", "--requester-name", "A B",
      "--requester-email", "a@example.org", "--date", "2026-06-01", "--overwrite", "--out", "{tmp}/l"],
     ("sqlalchemy", "psycopg", "httpx", "docx", "lxml", "icalendar", "holidays", "yaml", "email")),
    # The DOCX skeleton comes from the per-user cache: python-docx and lxml are not imported; the
    # email package only for an .eml.
    (["draft", "records", "--to", "ICE", "--system", "icm", "--no-profile", "--requester-name", "A B",
      "--requester-email", "a@example.org", "--date", "2026-06-01", "--overwrite", "--out", "{tmp}/l",
      "--format", "docx"],
     ("sqlalchemy", "psycopg", "httpx", "docx", "lxml", "icalendar", "holidays", "yaml", "email")),
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
    code = ("import sys\nfrom foia.cli import main\n"
            f"try:\n    main({argv!r})\nexcept SystemExit as exc:\n    assert not exc.code, exc.code\n"
            "print('MODULES', ' '.join(sorted(sys.modules)), file=sys.stderr)")
    for _ in range(2):  # the first run builds the per-user caches
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
        assert "MODULES" in proc.stderr, proc.stderr
    loaded = proc.stderr.split("MODULES", 1)[1].split()
    heavy = sorted({m for m in loaded if any(m == f or m.startswith(f + ".") for f in forbidden)})
    assert heavy == [], f"{' '.join(argv)} imports {heavy}"


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
