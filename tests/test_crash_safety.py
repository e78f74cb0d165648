"""SIGKILL in the middle of a bulk draft: every letter on disk is whole, never half-written."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ARGS = ["draft", "records", "--subject", "contracts with Palantir", "--format", "txt", "--format", "md",
        "--format", "docx", "--no-profile", "--requester-name", "Sam Doe", "--requester-email", "sam@example.org",
        "--date", "2026-11-23", "--reproducible"]
for office in ("DHS", "ICE", "HSI", "ERO", "CBP", "USCIS", "OBIM", "OIG", "FBI"):
    ARGS += ["--to", office]


def _draft(out: Path, env: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "foia", *ARGS, "--out", str(out)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@pytest.mark.slow
def test_sigkill_mid_bulk_draft_leaves_only_whole_letters(tmp_path):
    env = {**os.environ, "FOIA_CONFIG_DIR": str(tmp_path / "cfg"), "FOIA_DATA_DIR": str(tmp_path / "data")}
    reference = tmp_path / "reference"
    assert _draft(reference, env).wait(timeout=120) == 0
    expected = {p.name: p.read_bytes() for p in reference.iterdir()}
    assert len(expected) == 27

    partial_runs = 0
    for k in (1, 5, 10, 15, 20):
        out = tmp_path / f"killed-{k}"
        proc = _draft(out, env)
        # Kill as soon as k letters are in place: mid-run, while the next one is being written.
        deadline = time.monotonic() + 60
        while proc.poll() is None and time.monotonic() < deadline:
            if out.exists() and sum(not p.name.startswith(".") for p in out.iterdir()) >= k:
                break
            time.sleep(0.002)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        visible = [p for p in out.iterdir() if not p.name.startswith(".")]
        leftovers = [p.name for p in out.iterdir() if p.name.startswith(".")]
        # A kill can leave only foia's own hidden temporary file, never a visible part-letter.
        assert all(re.fullmatch(r"\.2026-11-23-[a-z-]+-records\.(txt|md|docx)\.[^.]+\.tmp", n) for n in leftovers)
        for p in visible:
            assert p.read_bytes() == expected[p.name], f"{p.name} is not whole"
        if len(visible) < len(expected):
            partial_runs += 1
    # The kills must land mid-run, or this test proved nothing.
    assert partial_runs >= 3
