"""The tracker's clocks against the statute, on SQLite and PostgreSQL: what `foia track` prints
and stores. Dates counted by hand (weekends and 5 U.S.C. 6103 holidays skipped); "today" is
fixed at 2026-11-30 unless a test says otherwise.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from foia.cli import cli
from foia.tracker import service as service_module


@pytest.fixture(autouse=True)
def _user(monkeypatch):
    monkeypatch.setenv("FOIA_USER", "ana")


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    """Today is Monday 2026-11-30 for every command (dates in the future are refused)."""
    from datetime import date

    monkeypatch.setattr(service_module.Tracker, "today", lambda self: self._today or date(2026, 11, 30))


@pytest.fixture
def track(db_url):
    """Run `foia track --db URL ...`; returns the click Result."""

    def run(*args, ok=True):
        result = CliRunner().invoke(cli, ["track", "--db", db_url, *args])
        if ok:
            assert result.exit_code == 0, result.output
        else:
            assert result.exit_code != 0, result.output
        return result

    return run


@pytest.fixture
def rows(db_url):
    """``rows(sql)``: the rows of a query on the tracker database."""
    engines = []

    def query(sql: str):
        engine = create_engine(db_url)
        engines.append(engine)
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql))]

    yield query
    for engine in engines:
        engine.dispose()


def refused(result, *needles: str) -> str:
    """A refusal: non-zero exit, one line starting "Error:", no traceback; returns the line."""
    assert result.exit_code != 0
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("Error: ")
    assert "Traceback" not in result.output
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def statuses(track, n=1):
    # "#N" lines of the timeline
    out = track("show", str(n)).output
    return [line.split()[2] for line in out.split("Timeline:")[1].splitlines() if line.strip()]


# -- 1. one request for information tolls the clock ----------------------------------------------


def test_only_the_first_clarification_stop_tolls_the_determination(track):
    track("add", "--title", "t", "--office", "ice", "--on", "2026-11-02")
    track("update", "1", "--status", "awaiting-clarification", "--on", "2026-11-10")
    track("update", "1", "--status", "in-progress", "--on", "2026-11-17")
    second = track("update", "1", "--status", "awaiting-clarification", "--on", "2026-11-24")
    # The second request for information does not stop the clock: warned on the update that records it.
    assert "Warning: awaiting clarification again from 2026-11-24: a second request for information does " \
           "not stop the determination clock" in second.stderr
    out = track("update", "1", "--status", "in-progress", "--on", "2026-11-30").output
    # Mon 2026-11-02 + 20 working days (Veterans Day 11-11, Thanksgiving 11-26 skipped) = 2026-12-02;
    # tolled (11-10, 11-17]: 11-12, 11-13, 11-16, 11-17 = 4 working days -> Tue 2026-12-08. The
    # second stay (11-24, 11-30] would have added 3 more (to 12-11): it does not.
    assert "Determination due: 2026-12-08 (Tue) [open]" in out
    shown = track("show", "1").output
    assert "Warning: awaiting clarification again from 2026-11-24" in shown
    assert "5 U.S.C. 552(a)(6)(A)(ii)(I)" in shown


def test_fee_stops_may_repeat(track):
    track("add", "--title", "t", "--office", "ice", "--on", "2026-11-02")
    track("update", "1", "--status", "awaiting-clarification", "--on", "2026-11-10")
    track("update", "1", "--status", "in-progress", "--on", "2026-11-17")
    out = track("update", "1", "--status", "awaiting-fees", "--on", "2026-11-24").output
    assert "Warning" not in out
    out = track("update", "1", "--status", "in-progress", "--on", "2026-11-30").output
    # 12-08 plus the fee stop (11-24, 11-30]: 11-25, 11-27, 11-30 = 3 working days -> Fri 2026-12-11.
    assert "Determination due: 2026-12-11 (Fri) [open]" in out
