"""In litigation, the answer due 30 days after service (issue 14, item 18; 5 U.S.C. 552(a)(4)(C),
unverified: foia/tracker/litigation.py), on SQLite and PostgreSQL. "Today" is 2026-11-30; each
test fails on the tracker as it was before it (no --served, no answer date)."""

from __future__ import annotations

import csv
import io
import json

import pytest

from foia.tracker import service as service_module

UNVERIFIED = ("UNVERIFIED: from https://foia.wiki/wiki/Service_and_Answers, not foia's fact sheet; calendar days, "
              "not moved off a weekend or holiday; check the summons and the court's orders")


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    from datetime import date

    monkeypatch.setenv("FOIA_USER", "ana")
    monkeypatch.setattr(service_module.Tracker, "today", lambda self: self._today or date(2026, 11, 30))


def _sued(track):
    track("add", "--title", "ICM audit logs", "--office", "ice", "--on", "2026-08-03")
    track("update", "1", "--received", "2026-08-03")
    track("update", "1", "--status", "denied", "--on", "2026-08-20")
    track("update", "1", "--status", "appealed", "--on", "2026-09-01")
    track("update", "1", "--status", "appeal-denied", "--on", "2026-09-15")


def test_show_and_exports_give_the_answer_due_30_days_after_service(track):
    _sued(track)
    out = track("update", "1", "--status", "in-litigation", "--on", "2026-10-05", "--served", "2026-10-09").output
    # 2026-10-09 + 30 calendar days = Sun 2026-11-08 (not moved: foia's sources do not say it is).
    line = ("Answer due: 2026-11-08 (30 days after service on 2026-10-09, 5 U.S.C. 552(a)(4)(C); "
            f"{UNVERIFIED}).")
    assert line in out
    shown = track("show", "1").output
    assert line in shown and "2026-10-09  #8     complaint served on the agency (ana)" in shown
    # Exhaustion stays as it was.
    assert "Exhaustion: from 2026-09-15 (actual, the appeal was denied on 2026-09-15)" in shown
    row = next(csv.DictReader(io.StringIO(track("export", "--format", "csv").output)))
    assert (row["answer_due"], row["answer_due_how"]) == (
        "2026-11-08", f"30 days after service on 2026-10-09, 5 U.S.C. 552(a)(4)(C); {UNVERIFIED}")
    derived = json.loads(track("export", "--format", "json").output)["requests"][0]["derived"]
    assert derived["answer_due"] == "2026-11-08" and UNVERIFIED in derived["answer_due_how"]


def test_a_later_service_moves_the_answer_and_a_request_without_one_has_none(track):
    _sued(track)
    track("add", "--title", "other", "--office", "ice", "--on", "2026-08-03")
    track("update", "1", "--status", "in-litigation", "--on", "2026-10-05")
    assert "Answer due" not in track("show", "1").output
    track("update", "1", "--served", "2026-10-09")
    track("update", "1", "--served", "2026-10-20")   # served again (an amended complaint)
    assert "Answer due: 2026-11-19 (30 days after service on 2026-10-20" in track("show", "1").output
    rows = list(csv.DictReader(io.StringIO(track("export", "--format", "csv").output)))
    assert [r["answer_due"] for r in rows] == ["2026-11-19", ""]


def test_served_is_refused_outside_litigation_and_in_the_future(track):
    _sued(track)
    bad = track("update", "1", "--served", "2026-10-09", ok=False)
    assert bad.exit_code == 2
    assert bad.output.strip().splitlines() == [
        "Error: --served: request 1 is not in litigation on 2026-10-09; record the lawsuit with --status "
        "in-litigation --on DATE (the day the complaint was filed), then the service"]
    # Served before the complaint was filed: refused too, and nothing is written.
    bad = track("update", "1", "--status", "in-litigation", "--on", "2026-10-05", "--served", "2026-10-01", ok=False)
    assert bad.exit_code == 2 and "is not in litigation on 2026-10-01" in bad.output
    assert "in-litigation" not in track("show", "1").output
    track("update", "1", "--status", "in-litigation", "--on", "2026-10-05")
    future = track("update", "1", "--served", "2026-12-09", ok=False)
    assert future.exit_code != 0 and "--served" in future.output and "Traceback" not in future.output
