"""The inbox tests' scenario: four requests the fixture mail (tests/mail/) answers."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from click.testing import CliRunner

from foia.cli import cli

MAIL = Path(__file__).parent / "mail"
TODAY = date(2026, 11, 20)
R1 = "<foia.r1-0001@clinic.example.org>"
R3 = "<foia.r3-0003@clinic.example.org>"


def tracker_on(url: str, today: date = TODAY):
    from foia.tracker.service import Tracker
    from foia.tracker.store import open_store

    return Tracker(open_store(url), today=today, actor="tester")


def scenario(url: str):
    """Requests 1-4 (see tests/mail/make_corpus.py); returns the Tracker."""
    t = tracker_on(url)
    t.add(title="Records of ICM use", office="ice", on=date(2026, 10, 1), message_id=R1)
    t.add(title="Palantir contract records", office="ice", on=date(2026, 10, 1), tracking=["2025-ICFO-01234"])
    t.add(title="CBP records about the client", office="cbp", on=date(2026, 10, 1), message_id=R3)
    t.add(title="Appeal of the ICM search", office="ice", on=date(2026, 10, 1),
          tracking=["2025-ICAP-00077:appeal"])
    return t


def mail(*names: str) -> list[Path]:
    return [MAIL / n for n in names]


def inbox_runner(url: str):
    def run(*args, ok=True, input=None, env=None):
        result = CliRunner().invoke(cli, ["inbox", "--db", url, *args], input=input, env=env)
        if ok:
            assert result.exit_code == 0, result.output
        else:
            assert result.exit_code != 0, result.output
        return result

    return run
