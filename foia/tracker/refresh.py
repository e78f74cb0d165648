"""The rows derived from the events: each request's cached status and next deadlines, its
tracking numbers and its deadlines, recomputed from the whole history after every change
(:meth:`Refresh.refresh`) or for the whole queue (:meth:`Refresh.recompute`)."""

from __future__ import annotations

from typing import Callable, Sequence

from foia.errors import FoiaError
from foia.tracker import derive as dv
from foia.tracker.events import load_events
from foia.tracker.models import deadline_rows, deadline_texts, deadlines, events, requests, tracker_state, \
    tracking_numbers
from foia.tracker.codec import stamp_value
from foia.tracker.store import utcnow


def recompute_started_statement():
    """When the unfinished full recompute started (no row: none is unfinished); foia.tracker.sqlite_reads
    keeps its SQLite text."""
    from sqlalchemy import select

    return select(tracker_state.c.value).where(tracker_state.c.key == "recompute")


class Refresh:
    """The recomputing half of :class:`foia.tracker.service.Tracker`."""

    def recompute(self, request_id=None, *, batch: int = 10_000,
                  progress: Callable[[int, int], None] | None = None) -> int:
        """Recompute stored statuses, tracking numbers and deadlines from the events (after the
        closures, the directory's clocks or foia's rules changed). Every request: a batch of
        requests per transaction, read and written in bulk; ``progress(done, total)`` after each."""
        from sqlalchemy import select

        if request_id is not None:
            rid = self.get(request_id)
            self.store.write(lambda conn: (self.lock(conn, rid), self.refresh(conn, rid)))
            return 1
        with self.store.read() as conn:
            ids = [r for (r,) in conn.execute(select(requests.c.id).order_by(requests.c.id))]
        # Each batch commits on its own: a run killed half-way leaves the queue half recounted.
        # The mark says so to `list` and `due` until a full run gets to the end.
        self.store.write(lambda conn: set_state(conn, "recompute", utcnow()))
        for start in range(0, len(ids), batch):
            chunk = ids[start:start + batch]
            self.store.write(lambda conn: self._refresh_range(conn, chunk[0], chunk[-1]))
            if progress is not None:
                progress(start + len(chunk), len(ids))
        self.store.write(lambda conn: set_state(conn, "recompute", None))
        return len(ids)

    def unfinished_recompute(self) -> str | None:
        """When a full recompute that never finished started (UTC timestamp), or None."""
        with self.store.read() as conn:
            return conn.execute(recompute_started_statement()).scalar()

    def _refresh_range(self, conn, first: int, last: int) -> None:
        """``_refresh`` for the requests with ids from ``first`` to ``last``: the same stored rows,
        read and written a table at a time (a million requests in minutes, not an hour). Only
        what changed is written: rules that moved a few deadlines rewrite those requests' rows,
        and an unchanged queue is left exactly as it was (no row rewritten, no updated_at moved)."""
        from sqlalchemy import Date, delete, select

        from foia.tracker.bulk import execute_many, insert_statements

        r, d, t = requests.c, deadlines.c, tracking_numbers.c
        cached = [getattr(r, name) for name in CACHED_COLUMNS]
        rows = conn.execute(select(r.id, r.office, r.expedite, r.kind, *cached).where(r.id.between(first, last))
                            .with_for_update()).all()
        history: dict[int, list[dv.Event]] = {}
        for e in conn.execute(select(events).where(events.c.request_id.between(first, last))
                              .order_by(events.c.request_id, events.c.id)):
            history.setdefault(e.request_id, []).append(dv.event_from_row(e))
        stored_deadlines: dict[int, set] = {}
        for row in conn.execute(select(deadlines).where(d.request_id.between(first, last))):
            stored_deadlines.setdefault(row.request_id, set()).add(_deadline_key(row._mapping))
        stored_numbers: dict[int, list] = {}
        for row in conn.execute(select(t.request_id, t.number, t.reason, t.recorded_on)
                                .where(t.request_id.between(first, last)).order_by(t.request_id, t.id)):
            stored_numbers.setdefault(row.request_id, []).append((row.number, row.reason, row.recorded_on))
        calendar, dl, tn, cache, redo_dl, redo_tn = self.calendar(), [], [], [], [], []
        for row in rows:
            evs = dv.effective(history.get(row.id, ()))
            # The stored rows hold dates, not explanations (show recomputes those).
            state = dv.derive(evs, expedite=row.expedite, rules=self.rules(row.office), calendar=calendar,
                              already_effective=True, explain=False, kind=row.kind)
            new_dl = deadline_dicts(row.id, state)
            if {_deadline_key(x) for x in new_dl} != stored_deadlines.get(row.id, set()):
                redo_dl.append(row.id)
                dl += new_dl
            new_tn = tracking_rows(row.id, evs)
            if [(x["number"], x["reason"], x["recorded_on"]) for x in new_tn] != stored_numbers.get(row.id, []):
                redo_tn.append(row.id)
                tn += new_tn
            values = cache_values(state)
            if any(values[name] != getattr(row, name) for name in CACHED_COLUMNS):
                cache.append((*(values[name] for name in CACHED_COLUMNS), row.id))
        for start in range(0, len(redo_dl), 500):
            conn.execute(delete(deadline_rows).where(deadline_rows.c.request_id.in_(redo_dl[start:start + 500])))
        for start in range(0, len(redo_tn), 500):
            conn.execute(delete(tracking_numbers).where(t.request_id.in_(redo_tn[start:start + 500])))
        # Through the driver, as the import writes: SQLAlchemy's processing of every parameter
        # of every row was a fifth of a recompute that rewrites every request.
        dialect = conn.dialect.name
        writes = deadline_statements(conn, dl) + insert_statements(dialect, tracking_numbers, tn)
        if cache:
            mark = "?" if dialect == "sqlite" else "%s"
            dated = [isinstance(getattr(r, name).type, Date) and dialect == "sqlite" for name in CACHED_COLUMNS]
            # Written past the column types: the timestamp as models.Stamp stores it.
            now = stamp_value(utcnow()) if dialect == "sqlite" else utcnow()
            writes.append((f"UPDATE requests SET {', '.join(f'{n} = {mark}' for n in CACHED_COLUMNS)}, "
                           f"updated_at = {mark} WHERE id = {mark}",
                           [(*(v.isoformat() if iso and v is not None else v for v, iso in zip(row, dated)), now,
                             row[-1]) for row in cache]))
        execute_many(conn, writes)

    def refresh(self, conn, rid: int) -> dv.State:
        """Recompute status, tracking numbers and deadlines of one request from its events."""
        from sqlalchemy import delete, insert, select, update

        row = conn.execute(select(requests.c.office, requests.c.expedite, requests.c.kind)
                           .where(requests.c.id == rid)).one()
        evs = dv.effective(load_events(conn, rid))
        state = dv.derive(evs, expedite=row.expedite, rules=self.rules(row.office), calendar=self.calendar(),
                          already_effective=True, kind=row.kind)
        conn.execute(delete(deadline_rows).where(deadline_rows.c.request_id == rid))
        write_deadlines(conn, deadline_dicts(rid, state))
        conn.execute(delete(tracking_numbers).where(tracking_numbers.c.request_id == rid))
        tn = tracking_rows(rid, evs)
        if tn:
            conn.execute(insert(tracking_numbers), tn)
        conn.execute(update(requests).where(requests.c.id == rid).values(**cache_values(state), updated_at=utcnow()))
        return state


# The requests columns cache_values() sets.
CACHED_COLUMNS = ("status", "status_on", "filed_on", "agency_due", "agency_due_key", "requester_due",
                  "requester_due_key", "requester_due_last")
_DEADLINE_COLUMNS = ("key", "label", "party", "start", "due", "rule", "open", "closed_on")


def _deadline_key(m) -> tuple:
    """A deadline row's stored values, comparable with the row recomputed for it."""
    return tuple(bool(m[c]) if c == "open" else m[c] for c in _DEADLINE_COLUMNS)


def text_ids(conn, pairs, known: dict | None = None) -> dict:
    """``{(label, rule): deadline_texts.id}`` for ``pairs``, adding the texts not stored yet. ``known``:
    the answer of an earlier call in the same transaction (an import's chunks), extended."""
    from sqlalchemy import insert, select

    known = {} if known is None else known
    missing = set(pairs) - known.keys()
    for attempt in (1, 2):
        if not missing - known.keys():
            return known
        if attempt == 2:
            new = sorted(missing - known.keys())
            # Another writer may add the same text at the same moment: each keeps the one stored first.
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql("INSERT INTO deadline_texts (label, rule) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                                     new)
            else:
                conn.execute(insert(deadline_texts).prefix_with("OR IGNORE"), [{"label": a, "rule": b} for a, b in new])
        for id_, label, rule in conn.execute(select(deadline_texts.c.id, deadline_texts.c.label,
                                                    deadline_texts.c.rule)):
            known[(label, rule)] = id_      # a few dozen rows: read them all
    if missing - known.keys():
        raise FoiaError("another foia process was storing the same deadline texts; try again")
    return known


def deadline_statements(conn, rows: list[dict]) -> list[tuple[str, list]]:
    """Deadline rows (``deadline_dicts``) as driver-level INSERTs of ``deadline_rows`` (bulk's
    ``insert_statements``), their label and rule by number."""
    from foia.tracker.bulk import insert_statements

    if not rows:
        return []
    ids = text_ids(conn, {(r["label"], r["rule"]) for r in rows})
    numbered = [{**{k: v for k, v in r.items() if k not in ("label", "rule")}, "text_id": ids[(r["label"], r["rule"])]}
                for r in rows]
    return insert_statements(conn.dialect.name, deadline_rows, numbered)


def write_deadlines(conn, rows: list[dict]) -> None:
    """Store deadline rows (``deadline_dicts``): their label and rule by number."""
    from sqlalchemy import insert

    if not rows:
        return
    ids = text_ids(conn, {(r["label"], r["rule"]) for r in rows})
    conn.execute(insert(deadline_rows), [{**{k: v for k, v in r.items() if k not in ("label", "rule")},
                                          "text_id": ids[(r["label"], r["rule"])]} for r in rows])


def deadline_dicts(rid: int, state: dv.State) -> list[dict]:
    return [{"request_id": rid, "key": t.key, "label": t.deadline.label, "party": t.party,
             "start": t.deadline.start, "due": t.due, "rule": t.deadline.rule, "open": t.open,
             "closed_on": t.closed_on} for t in state.deadlines]


def tracking_rows(rid: int, evs: Sequence[dv.Event]) -> list[dict]:
    seen: dict[str, dict] = {}
    for e in evs:
        if e.type == "tracking-number" and e.data.get("number"):
            seen[e.data["number"]] = {"request_id": rid, "number": e.data["number"],
                                      "reason": e.data.get("reason") or "assigned", "recorded_on": e.occurred_on}
    return list(seen.values())


def cache_values(state: dv.State) -> dict:
    # state.due(AGENCY) and state.due(REQUESTER) in one pass (the bulk import calls this per
    # request), and the latest open requester deadline: `list` needs it to see a window still
    # open behind a lapsed one.
    earliest = {dv.AGENCY: None, dv.REQUESTER: None}
    last = None
    for t in state.deadlines:
        due = t.deadline.due
        if t.open and due and t.party in earliest:
            pair = (due, t.deadline.key)
            best = earliest[t.party]
            if best is None or pair < best:
                earliest[t.party] = pair
            if t.party == dv.REQUESTER and (last is None or due > last):
                last = due
    agency_due, agency_key = earliest[dv.AGENCY] or (None, None)
    requester_due, requester_key = earliest[dv.REQUESTER] or (None, None)
    return {"status": state.status, "status_on": state.status_on, "filed_on": state.filed_on,
            "agency_due": agency_due, "agency_due_key": agency_key,
            "requester_due": requester_due, "requester_due_key": requester_key, "requester_due_last": last}


def set_state(conn, key: str, value: str | None) -> None:
    """Set (or, with None, clear) one ``tracker_state`` row."""
    from sqlalchemy import delete, insert

    conn.execute(delete(tracker_state).where(tracker_state.c.key == key))
    if value is not None:
        conn.execute(insert(tracker_state).values(key=key, value=value))
