"""The project's promises about itself: README and CI agree, the wheel carries its data."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _readme_commands():
    spec = importlib.util.spec_from_file_location("readme_commands", ROOT / ".ci" / "readme_commands.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.commands((ROOT / "README.md").read_text(encoding="utf-8"))


def test_readme_opens_with_setup_and_test_commands():
    setup, tests = _readme_commands()
    assert "python3 -m venv .venv" in setup and "pip install -e '.[test]'" in setup
    assert ".venv/bin/foia " in setup  # it runs the main job, not only the install
    assert tests == ".venv/bin/python -m pytest -q -n auto"


def test_ci_runs_exactly_the_readme_commands():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "python3 .ci/readme_commands.py README.md" in ci
    assert 'bash -euo pipefail -c "${commands[0]}"' in ci and 'bash -euo pipefail -c "${commands[1]}"' in ci
    assert "FOIA_REQUIRE_PG=1" in ci


@pytest.mark.slow
def test_wheel_ships_the_directory_and_templates(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    wheel = next(tmp_path.glob("foia-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "foia/_data/agencies.yaml" in names
    assert "foia/sources.json" in names          # the sources' citations (issue 19)
    templates = {n for n in names if n.startswith("foia/_data/templates/")}
    packaged = {"foia/_data/templates/" + p.relative_to(ROOT / "templates").as_posix()
                for p in (ROOT / "templates").rglob("*") if p.is_file()}
    assert packaged and packaged <= templates


def test_the_readme_main_job_runs_twice_in_one_checkout(tmp_path, monkeypatch):
    """The first block's foia commands, run twice in the same folder with the same queue: the
    second run replaces its demo letter and does not file the request twice."""
    import json
    import shlex

    setup, _ = _readme_commands()
    steps = [step.strip() for step in setup.split("&&") if step.strip().startswith(".venv/bin/foia ")]
    assert [s.split()[1] for s in steps] == ["draft", "track"]
    monkeypatch.chdir(tmp_path)
    foia = [sys.executable, "-m", "foia"]
    runs = []
    for _ in (1, 2):
        for step in steps:
            proc = subprocess.run(foia + shlex.split(step)[1:], capture_output=True, text=True)
            assert proc.returncode == 0, (step, proc.stderr)
            runs.append(proc)
    assert "ICE: tracked as request 1" in runs[0].stderr
    assert "ICE: already tracked, the same letter on the same day as request 1" in runs[2].stderr
    assert "1 open request; next: #1 determination due" in runs[3].stdout
    listed = subprocess.run(foia + ["track", "list", "--json"], capture_output=True, text=True)
    assert len(json.loads(listed.stdout)) == 1
    assert [p.name for p in (tmp_path / "letters").iterdir()] == [runs[0].stdout.strip().rsplit("/", 1)[1]]


def _library_modules() -> set[str]:
    return {p.relative_to(ROOT).as_posix() for p in (ROOT / "foia").rglob("*.py")}


def test_architecture_names_every_module_and_no_module_is_over_700_lines():
    """docs/architecture.md has a line for each module of foia/ (a module added without one, or one
    named there that no longer exists, fails here); none is over 700 lines."""
    import re

    named, package = set(), None
    for line in (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8").splitlines():
        head = re.match(r"^`foia/(\w+)/`", line)
        if head:
            package = f"foia/{head.group(1)}/"
        elif line == "Top level":
            package = "foia/"
        elif line.startswith("## ") and package:
            break
        elif line.startswith("- ") and package:
            named |= {package + m for m in re.findall(r"`(?:foia/)?([\w/]+\.py)`", line)}
    modules = _library_modules()
    assert named - modules == set()
    assert {m for m in modules if not m.endswith("/__init__.py")} - named == set()
    long = {m: n for m in modules if (n := len((ROOT / m).read_text(encoding="utf-8").splitlines())) > 700}
    assert long == {}


# Strings starting with "--" the library may hold: the option rule itself, and the options of an
# external program (ocrmypdf). The tracker store's and the inbox list's refusals are being moved
# to fields on another branch (issue 13).
# naming.flag() itself, and ocrmypdf's own options in the argv foia passes it (not messages).
_FLAG_LITERALS_ALLOWED = {"foia/naming.py": 1, "foia/vault/documents.py": 3}


def test_the_library_names_fields_not_command_line_options():
    """Outside foia/commands/ and foia/cli.py no string literal starts with "--": library errors
    name fields (foia.naming), and each caller shows them its own way."""
    import io
    import re
    import tokenize

    found = {}
    for m in sorted(_library_modules()):
        if m.startswith("foia/commands/") or m == "foia/cli.py":
            continue
        source = (ROOT / m).read_text(encoding="utf-8")
        tokens = tokenize.generate_tokens(io.StringIO(source).readline)
        count = sum(1 for t in tokens if t.type in (tokenize.STRING, getattr(tokenize, "FSTRING_START", -1))
                    and re.match(r"^[rbfRBF]*[\"']--", t.string))
        if count:
            found[m] = count
    assert {m: n for m, n in found.items() if n > _FLAG_LITERALS_ALLOWED.get(m, 0)} == {}
