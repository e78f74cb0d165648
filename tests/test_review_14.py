"""Issue 14 read once more from its words (a review): `due` and the exports say when a date is
counted from sending (item 9), and the exports give the exhaustion date and the end of the
limitations period (item 18), on SQLite and PostgreSQL. "Today" is 2026-11-30."""

from __future__ import annotations

import csv
import io

import pytest

from foia.tracker import service as service_module


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    from datetime import date

    monkeypatch.setenv("FOIA_USER", "ana")
    monkeypatch.setattr(service_module.Tracker, "today", lambda self: self._today or date(2026, 11, 30))


def _rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def test_due_says_an_overdue_determination_is_counted_from_sending(track):
    # Mon 2026-09-14 + 20 working days (10-12 Columbus Day skipped) -> Tue 2026-10-13.
    track("add", "--title", "mailed", "--office", "cbp", "--on", "2026-09-14", "--sent-via", "mail")
    track("add", "--title", "received", "--office", "cbp", "--on", "2026-09-14", "--sent-via", "mail")
    track("update", "2", "--received", "2026-09-14")
    out = track("due").output
    mailed = next(line for line in out.splitlines() if line.startswith("  #1 "))
    received = next(line for line in out.splitlines() if line.startswith("  #2 "))
    assert "determination due 2026-10-13" in mailed
    assert "counted from sending, not receipt" in mailed
    assert "counted from sending" not in received


def test_csv_export_says_counted_from_sending_and_gives_exhaustion(track, new_db_url, tmp_path):
    from tracker_support import track_runner

    track("add", "--title", "mailed", "--office", "cbp", "--on", "2026-09-14", "--sent-via", "mail")
    track("add", "--title", "denied", "--office", "cbp", "--on", "2026-03-02")
    track("update", "2", "--received", "2026-03-02")
    track("update", "2", "--status", "denied", "--on", "2026-03-20")
    track("update", "2", "--status", "appealed", "--on", "2026-04-01")
    track("update", "2", "--status", "appeal-denied", "--on", "2026-06-10")
    track("add", "--title", "fresh", "--office", "cbp", "--on", "2026-11-25")
    track("update", "3", "--received", "2026-11-25")
    for redact in ([], ["--redact"]):
        out = tmp_path / f"e{len(redact)}.csv"
        track("export", "--format", "csv", "--out", str(out), *redact)
        rows = {r["title"]: r for r in _rows(out.read_text())}
        assert rows["mailed"]["next_deadline_note"] == "counted from sending, not receipt"
        assert rows["mailed"]["exhaustion_on"] == "2026-10-14"
        assert rows["mailed"]["limitations_end"] == "2032-10-14"
        assert rows["denied"]["next_deadline_note"] == ""
        assert rows["denied"]["exhaustion_on"] == "2026-06-10"
        assert rows["denied"]["limitations_end"] == "2032-06-10"
        assert rows["fresh"]["exhaustion_on"] == rows["fresh"]["limitations_end"] == ""
    # The columns are the export's own: the export still imports into another tracker.
    other = track_runner(new_db_url())
    other("import", str(tmp_path / "e0.csv"))
    assert sorted(r["title"] for r in _rows(other("list", "--csv").output)) == ["denied", "fresh", "mailed"]

