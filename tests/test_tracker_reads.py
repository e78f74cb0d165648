"""The tracker's reads and upkeep at scale: what `list` reads through its indexes, and a
recompute that writes only what changed."""

from __future__ import annotations

import pytest

from tracker_support import track_runner


@pytest.fixture(autouse=True)
def _user(monkeypatch):
    monkeypatch.setenv("FOIA_USER", "ana")


def _queue(run):
    for i in range(12):
        run("add", "--title", f"R{i}", "--office", ["ice", "fbi", "cbp", "hsi"][i % 4], "--on", f"2025-01-{i + 2:02d}",
            "--tracking-number", f"N-{i}", "--assignee", ["Maria", "bo", "maria"][i % 3], "--tag", f"t{i % 2}")
        if i % 3 == 1:
            run("update", str(i + 1), "--status", "awaiting-clarification", "--on", "2025-01-20")
        if i % 4 == 2:
            run("update", str(i + 1), "--status", "denied", "--on", "2025-02-20")


def _stored(url):
    """Every row a recompute could write, with what would show a rewrite: the requests'
    updated_at, the tracking numbers' ids (a new row gets a new id)."""
    from sqlalchemy import select

    from foia.tracker.models import deadlines, requests, tracking_numbers
    from foia.tracker.store import open_store

    store = open_store(url)
    try:
        with store.read() as conn:
            return ([tuple(r) for r in conn.execute(select(requests).order_by(requests.c.id))],
                    [tuple(r) for r in conn.execute(select(tracking_numbers).order_by(tracking_numbers.c.id))],
                    [tuple(r) for r in conn.execute(select(deadlines).order_by(deadlines.c.request_id,
                                                                               deadlines.c.key))])
    finally:
        store.dispose()


def test_recompute_of_an_unchanged_queue_writes_no_row_and_rewrites_only_what_changed(db_url):
    from sqlalchemy import update

    from foia.tracker.models import requests
    from foia.tracker.service import Tracker
    from foia.tracker.store import open_store

    run = track_runner(db_url)
    _queue(run)
    before = _stored(db_url)
    store = open_store(db_url)
    try:
        changes = []
        if store.is_sqlite:
            from sqlalchemy import event

            # SQLite counts every row a statement inserts, updates or deletes on the connection.
            event.listen(store.engine, "commit", lambda conn: changes.append(
                conn.connection.dbapi_connection.total_changes))
        tracker = Tracker(store)
        assert tracker.recompute(batch=5) == 12
        assert _stored(db_url) == before
        if store.is_sqlite:
            # Rows written by each transaction (a read, the recompute mark, three batches, the
            # mark cleared): the mark is all that was written.
            assert [b - a for a, b in zip([0] + changes, changes)] == [0, 1, 0, 0, 0, 1]
        # A stale cache on one request: that request alone is rewritten.
        store.write(lambda c: c.execute(update(requests).where(requests.c.id == 1).values(
            agency_due=None, updated_at="2000-01-01T00:00:00.000000Z")))
        tracker.recompute(batch=5)
    finally:
        store.dispose()
    after = _stored(db_url)
    assert after[1:] == before[1:]
    assert [r for r in after[0] if r[0] != 1] == [r for r in before[0] if r[0] != 1]
    fixed = next(r for r in after[0] if r[0] == 1)
    was = next(r for r in before[0] if r[0] == 1)
    assert fixed != was and "2000-01-01T00:00:00.000000Z" not in fixed
    assert [v for v, c in zip(fixed, requests.c) if c.name != "updated_at"] == \
        [v for v, c in zip(was, requests.c) if c.name != "updated_at"]


@pytest.mark.parametrize("filters", [{"office": "ice"}, {"status": ["submitted"]},
                                     {"status": ["submitted", "awaiting-clarification"], "office": "fbi"},
                                     {"assignee": "MARIA"}, {"assignee": "maria", "office": "ice"}, {"tag": "T1"},
                                     {"tag": "t0", "status": ["submitted", "denied"]}])
def test_a_filtered_list_reads_index_ranges_and_returns_what_the_full_sort_returns(tmp_path, filters):
    import sqlite3

    from sqlalchemy import event

    from foia.tracker.service import Tracker
    from foia.tracker.store import open_store

    url = f"sqlite:///{tmp_path / 'q.db'}"
    run = track_runner(url)
    _queue(run)
    store = open_store(url)
    try:
        tracker = Tracker(store)
        seen = []
        event.listen(store.engine, "before_cursor_execute",
                     lambda conn, cur, stmt, params, ctx, many: seen.append((stmt, params)))
        limited = tracker.list(limit=2, **filters)
        full = tracker.list(**filters)          # no limit: one sort of every row the filter keeps
    finally:
        store.dispose()
    assert len(full) > 2
    assert [r["id"] for r in limited] == [r["id"] for r in full[:2]]
    assert limited == full[:2]
    stmt, params = next(s for s in seen if "UNION" in s[0] and "RECURSIVE" not in s[0])
    db = sqlite3.connect(tmp_path / "q.db")
    plan = " | ".join(row[3] for row in db.execute("EXPLAIN QUERY PLAN " + stmt, params))
    db.close()
    # Each part reads a range of an index on one of the filters with its deadline column (a tag
    # alone: of the deadline's own index, then of the tag's in id order), never the whole table.
    assert "SCAN requests" not in plan and "SCAN request_tags" not in plan, plan
    columns = [c for c in ("status", "assignee", "office") if c in filters]
    for due in ("agency_due", "requester_due_last"):
        ranges = [f"INDEX ix_requests_{c}_{due} ({c}=? AND {due}>?)" for c in columns] or \
            [f"INDEX ix_requests_{due} ({due}>?)"]
        assert any(r in plan for r in ranges), plan
    if columns:
        assert any(f"INDEX ix_requests_{c}_agency_due ({c}=? AND agency_due=?)" in plan for c in columns), plan
    else:
        assert "INDEX ix_request_tags_tag_request (tag=?)" in plan, plan
    if "status" in filters:
        # A status drives every part, the requester windows' too (their indexes are partial since
        # migration 15, and SQLite then took an office's when both cost it the same).
        assert "ix_requests_office_" not in plan and "ix_requests_assignee_" not in plan, plan


def test_names_and_tags_match_the_spellings_stored_whatever_the_case(db_url):
    """The spellings `list` reads through the index are those lower() finds on the whole column."""
    from sqlalchemy import insert, select

    from foia.tracker.models import request_tags, requests
    from foia.tracker.queries import spellings, stored_spellings
    from foia.tracker.service import Tracker
    from foia.tracker.store import open_store

    run = track_runner(db_url)
    _queue(run)
    names = ["MARIA", "mAria", "Mario", "María", "MARÍA", "maría", "Zoë", "ZOË", "a", "A", "", "maria-x", "Ma"]
    store = open_store(db_url)
    try:
        ids = Tracker(store).list()
        store.write(lambda c: c.execute(insert(request_tags), [{"request_id": r["id"], "tag": n}
                                                               for r, n in zip(ids, names) if n]))
        store.write(lambda c: [c.execute(requests.update().where(requests.c.id == r["id"]).values(assignee=n))
                               for r, n in zip(ids, names)])
        with store.read() as conn:
            for column in (requests.c.assignee, request_tags.c.tag):
                for asked in names + ["maria", " Maria ", "MARÍA", "zoë", "b", "zz", "t0"]:
                    old = sorted(conn.execute(select(column).where(column.in_(spellings(column, asked)))
                                              .distinct()).scalars())
                    assert stored_spellings(conn, column, asked) == old, (column, asked)
            assert stored_spellings(conn, requests.c.assignee, "maria") == ["MARIA", "mAria"]
        tracker = Tracker(store)
        for filters in ({"assignee": "nobody"}, {"tag": "nothing"}, {"tag": "t0", "assignee": "nobody"}):
            assert tracker.list(limit=5, **filters) == tracker.list(**filters) == []
        assert [r["id"] for r in tracker.list(limit=5, assignee="mario")] == [ids[2]["id"]]
    finally:
        store.dispose()
