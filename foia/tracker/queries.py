"""Reading the tracker: one request (``show``), the queue (``list``), the morning view (``due``),
and THE rule of a request's next deadline (:func:`next_deadline_rule`), from which both the SQL
that `list` sorts by and the Python function the exports use come."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Sequence

from foia.errors import FoiaError, NotFound
from foia.parse import bad
from foia.tracker import derive as dv
from foia.tracker import lifecycle as lc
from foia.tracker.events import load_events
from foia.tracker.fields import MAX_ID
from foia.tracker.models import IDENTITY_COLUMNS, deadlines, events, request_tags, requests, tracking_numbers
from foia.tracker.morning import STALE_STATUSES, due_report
from foia.tracker.views import deadline_dict, event_dict, request_dict

# What `list` can sort by (its ``order``): the name -> the requests column ("deadline": the next
# deadline, agency's or requester's, computed for --today).
LIST_ORDERS = {"deadline": None, "id": "id", "filed": "filed_on", "status": "status",
               "status_on": "status_on", "office": "office", "assignee": "assignee", "title": "title"}


def request_number(text: str) -> int | None:
    """``text`` as a request id when it can be one (ASCII digits, within the column's range)."""
    if text.isascii() and text.isdigit() and len(text) <= 10 and int(text) <= MAX_ID:
        return int(text)
    return None


def spellings(column, value: str):
    """The stored values of ``column`` equal to ``value`` ignoring case, as a subquery."""
    from sqlalchemy import func, select

    return select(column).where(func.lower(column) == value.strip().lower()).distinct().scalar_subquery()



# SQLite's lower() folds the ASCII letters only.
_ASCII_CAPITALS = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def stored_spellings(conn, column, value: str) -> list[str]:
    """The stored values of ``column`` equal to ``value`` ignoring case (as the database's
    lower() folds it), sorted.

    ``lower(column) = value`` reads the lower case of every row (SQLite has no index on it: 1.1M
    index entries, 60 ms and more), so the distinct values are walked instead, one seek of the
    column's index each: a few dozen people or tags. On SQLite only the values that differ
    from ``value`` by ASCII capitals are walked: in the binary order of its index they lie
    between ``value`` in ASCII capitals and ``value`` in lower case."""
    from sqlalchemy import text

    folded = value.strip().lower()
    quote = conn.dialect.identifier_preparer.quote
    col, table = quote(column.name), quote(column.table.name)
    low, high = (folded.translate(_ASCII_CAPITALS), folded) if conn.dialect.name == "sqlite" else ("", None)
    walk = text(f"WITH RECURSIVE walk(v) AS (SELECT min({col}) FROM {table} WHERE {col} >= :low "
                f"UNION ALL SELECT (SELECT min({col}) FROM {table} WHERE {col} > walk.v) FROM walk "
                f"WHERE walk.v IS NOT NULL{' AND walk.v < :high' if high is not None else ''}) "
                f"SELECT v FROM walk WHERE lower(v) = :folded ORDER BY v")
    params = {"low": low, "folded": folded} | ({"high": high} if high is not None else {})
    return list(conn.execute(walk, params).scalars())


class _Sql:
    """The rule's operations as SQL expressions (NULL compares as unknown: false in a CASE)."""

    @staticmethod
    def all(*conds):
        from sqlalchemy import and_

        return and_(*conds)

    @staticmethod
    def any(*conds):
        from sqlalchemy import or_

        return or_(*conds)

    @staticmethod
    def case(*whens, else_):
        from sqlalchemy import case

        return case(*whens, else_=else_)

    none = staticmethod(lambda a: a.is_(None))
    on_or_after = staticmethod(lambda a, b: a >= b)
    before = staticmethod(lambda a, b: a < b)


class _Src:
    """The same operations as Python source (None compares as SQL's NULL: false), compiled once
    into :func:`next_deadline`: a conditional expression evaluates only the branch it takes."""

    all = staticmethod(lambda *conds: "(" + " and ".join(conds) + ")")
    any = staticmethod(lambda *conds: "(" + " or ".join(conds) + ")")
    none = staticmethod(lambda a: f"({a} is None)")
    on_or_after = staticmethod(lambda a, b: f"({a} is not None and {b} is not None and {a} >= {b})")
    before = staticmethod(lambda a, b: f"({a} is not None and {b} is not None and {a} < {b})")

    @staticmethod
    def case(*whens, else_):
        out = str(else_)
        for cond, value in reversed(whens):
            out = f"({value} if {cond} else {out})"
        return out


def next_deadline_rule(r, today: date, first, first_key, op):
    """THE next deadline of a request on ``today`` (and its key, and the requester's next window
    alone): the agency's earliest open deadline (an overdue one stays: the agency still owes
    it) or the requester's earliest window not lapsed on ``today``, whichever is sooner.

    ``r``: the request's cached columns (``agency_due``, ``agency_due_key``, ``requester_due``,
    ``requester_due_key`` and ``requester_due_last``, the latest open requester window);
    ``first``/``first_key``: its earliest open requester window on or after ``today``, read
    from its deadlines only when the earliest window has lapsed while a later one has not.
    ``op``: :class:`_Sql` (SQL expressions) or :class:`_Src` (Python source).

    The cached columns answer for nearly every request, in the order a million-row scan
    evaluates them cheapest: the earliest requester window still open; else, when the latest
    has lapsed too, the agency's."""
    cached = op.all(op.on_or_after(r.requester_due, today),
                    op.any(op.none(r.agency_due), op.before(r.requester_due, r.agency_due)))
    behind = op.all(op.on_or_after(r.requester_due_last, today), op.before(r.requester_due, today))
    behind_sooner = op.any(op.none(r.agency_due), op.before(first, r.agency_due))
    due = op.case((cached, r.requester_due), (behind, op.case((behind_sooner, first), else_=r.agency_due)),
                  else_=r.agency_due)
    key = op.case((cached, r.requester_due_key),
                  (behind, op.case((behind_sooner, first_key), else_=r.agency_due_key)), else_=r.agency_due_key)
    requester = op.case((op.on_or_after(r.requester_due, today), r.requester_due), (behind, first), else_=None)
    return due, key, requester


def next_deadline_sql(today: date):
    """:func:`next_deadline_rule` as SQL on the requests table: (due, key, requester's next)."""
    from sqlalchemy import and_, select, true

    r, d = requests.c, deadlines.c
    later = and_(d.request_id == r.id, d.open == true(), d.party == dv.REQUESTER, d.due >= today)
    first = select(d.due).where(later).order_by(d.due, d.key).limit(1).scalar_subquery()
    first_key = select(d.key).where(later).order_by(d.due, d.key).limit(1).scalar_subquery()
    return next_deadline_rule(r, today, first, first_key, _Sql)


_CACHED = ("agency_due", "agency_due_key", "requester_due", "requester_due_key", "requester_due_last")


def _compiled():
    """:func:`next_deadline_rule` as a Python function of a row's cached columns (built once)."""
    from types import SimpleNamespace

    due, key, _ = next_deadline_rule(SimpleNamespace(**{c: c for c in _CACHED}), "today", "first", "first_key",
                                     _Src)
    source = (f"def rule({', '.join(_CACHED)}, today, first, first_key):\n"
              f"    return {due}, {key}\n")
    scope: dict = {}
    exec(compile(source, "<next_deadline_rule>", "exec"), scope)     # our own source, from the rule above
    return scope["rule"]


_rule = _compiled()


def next_deadline(m, today: date, first: tuple | None = None) -> tuple[date | None, str | None]:
    """:func:`next_deadline_rule` on a request row's mapping ``m`` (its cached columns): (due, key).
    ``first``: the request's earliest open requester window on or after ``today`` as (due, key),
    needed only when its earliest window has lapsed while a later one has not."""
    return _rule(m["agency_due"], m["agency_due_key"], m["requester_due"], m["requester_due_key"],
                 m["requester_due_last"], today, *(first or (None, None)))


def same_number_elsewhere(conn, rid: int, numbers: Sequence[tuple[str, str]], filing: dict[str, str]) -> list[str]:
    """Warnings for numbers an office assigned that another request filed with that office also
    has: an office gives one number per request, so it is likely the same request recorded twice
    (a referral's number on the referring request is expected, and not reported). ``filing``:
    office id -> the office it files with (HSI's numbers are ICE's)."""
    from sqlalchemy import and_, select

    assigned = [n for n, reason in numbers if reason == "assigned"]
    if not assigned:
        return []
    tn, r = tracking_numbers.c, requests.c
    mine = conn.execute(select(r.office).where(r.id == rid)).scalar()
    rows = conn.execute(select(tn.number, tn.request_id, r.office).join(requests, r.id == tn.request_id).where(and_(
        tn.number.in_(assigned), tn.reason == "assigned", tn.request_id != rid)))
    return [f"tracking number {number} is also on request {other} at the same office: the same request recorded "
            f"twice? (`foia track show {other}`)" for number, other, office in rows
            if filing.get(office, office) == filing.get(mine, mine)]


def first_number(status: str, numbers: Sequence[tuple[str, str]]) -> str | None:
    """The tracking number `list` shows: the first recorded, except that while an appeal awaits
    its decision the office answers to the appeal's number. ``numbers``: (number, reason) in the
    order recorded."""
    if status == "appealed":
        for number, reason in numbers:
            if reason == "appeal":
                return number
    return numbers[0][0] if numbers else None



def _tagged(tags: list[str] | None) -> list:
    """The condition that a request bears one of ``tags`` (stored spellings), if a tag is asked for."""
    from sqlalchemy import exists

    if tags is None:
        return []
    t = request_tags.c
    return [exists().where(t.request_id == requests.c.id, t.tag.in_(tags))]


def _first_by_deadline(filters: list, tags: list[str] | None, dated: list, today: date, req_due, limit: int):
    """The ids among which `list`'s first ``limit`` requests by next deadline are: a UNION of
    parts that each read at most ``limit`` entries of an index range, in the index's order.

    Sorting a million rows by an expression of --today reads them all. The first `limit` by
    next deadline are among the first `limit` by agency deadline, the first `limit` by
    requester window (only requests with a window still open on --today), and the first
    `limit` with neither: the sort runs on those few. ``filters``: (column, values) of the
    status, office and assignee filters; the first drives, one set of parts per value, each a
    range of that column's index with the deadline column (models.FILTER_INDEXES), the others
    checked on the rows read. With a tag alone the deadline indexes drive, the tag checked by
    primary key, and the requests with neither deadline come from the tag's index in id order
    (a rare tag would otherwise read the whole queue). ``dated``: conditions on the deadlines
    (--overdue, --due-within), which leave out the requests with neither."""
    from sqlalchemy import and_, or_, select, union

    r, t = requests.c, request_tags.c
    heads = [(r.agency_due.is_not(None), (r.agency_due, r.id)), (r.requester_due_last >= today, (req_due, r.id))]
    neither = and_(r.agency_due.is_(None), or_(r.requester_due_last.is_(None), r.requester_due_last < today))
    parts = []
    if filters:
        (driver, values), others = filters[0], filters[1:]
        checked = [col.in_(vals) for col, vals in others] + _tagged(tags) + dated
        for value in values:
            parts += [select(r.id).where(driver == value, *checked, cond).order_by(*by) for cond, by in heads]
            if not dated:
                # Under a status, ordered by (agency_due, id), the same order (agency_due is
                # NULL in every row here), which the status index gives: by id alone
                # PostgreSQL walked the primary key through all 100,000 requests (53 ms) looking
                # for an open status's few such rows. (An office's or a person's are many: the
                # primary key finds the first ones at once, while sorting them took 85 ms.)
                by = (r.agency_due, r.id) if driver is r.status else (r.id,)
                parts.append(select(r.id).where(driver == value, *checked, neither).order_by(*by))
    else:
        parts += [select(r.id).where(*_tagged(tags), *dated, cond).order_by(*by) for cond, by in heads]
        if not dated and tags is None:
            parts.append(select(r.id).where(neither).order_by(r.id))
        elif not dated:
            parts += [select(t.request_id.label("id")).join_from(request_tags, requests, r.id == t.request_id)
                      .where(t.tag == value, neither).order_by(t.request_id) for value in tags]
    return union(*(select(part.limit(limit).subquery().c.id) for part in parts))

class Reads:
    """The reading half of :class:`foia.tracker.service.Tracker`."""

    def get(self, key) -> int:
        """A request id from an id or a tracking number."""
        from sqlalchemy import select

        text = str(key).strip().lstrip("#")
        with self.store.read() as conn:
            if request_number(text) is not None:
                found = conn.execute(select(requests.c.id).where(requests.c.id == int(text))).scalar()
                if found is not None:
                    return found
            hits = sorted({r for (r,) in conn.execute(select(tracking_numbers.c.request_id).where(
                tracking_numbers.c.number == text))})
            if not hits:
                # Agencies print numbers in capitals; people type them in any case.
                hits = sorted({r for (r,) in conn.execute(select(tracking_numbers.c.request_id).where(
                    tracking_numbers.c.number.in_(spellings(tracking_numbers.c.number, text))))})
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            raise FoiaError(f"tracking number {text} is on requests {', '.join(map(str, hits))}; give the request id")
        raise NotFound(f"no request {text}; see `foia track list`")

    def show(self, key, *, identity: bool = False) -> dict:
        """Everything about one request: fields, tracking numbers, timeline, every deadline
        (recomputed live, with explanations)."""
        return self.view(key, identity=identity)[0]

    def view(self, key, *, identity: bool = False) -> tuple[dict, dv.State, list[dv.Event]]:
        """``show``'s dict, with the derived state and the effective history it came from (the
        letters state what the clocks applied, and check what is open to appeal)."""
        from sqlalchemy import select

        rid = self.get(key)
        with self.store.read() as conn:
            row = conn.execute(select(requests).where(requests.c.id == rid)).one()
            raw = load_events(conn, rid)
            numbers = conn.execute(select(tracking_numbers).where(tracking_numbers.c.request_id == rid)
                                   .order_by(tracking_numbers.c.id)).all()
            tags = sorted(t for (t,) in conn.execute(select(request_tags.c.tag).where(
                request_tags.c.request_id == rid)))
        evs = dv.effective(raw)
        state = dv.derive(evs, expedite=row.expedite, rules=self.rules(row.office), calendar=self.calendar(),
                          already_effective=True, kind=row.kind)
        out = request_dict(row, identity=identity)
        out["tags"] = tags
        out["tracking_numbers"] = [{"number": n.number, "reason": n.reason,
                                    "recorded_on": n.recorded_on.isoformat() if n.recorded_on else None}
                                   for n in numbers]
        live = {e.uid: e for e in evs}
        timeline = []
        # The `created` event is dated the day it was typed, often after the events it records
        # (a request added with --on months back): it opens the timeline instead of closing it.
        for e in sorted(raw, key=lambda e: (e.type != "created",
                                            live[e.uid].occurred_on if e.uid in live else e.occurred_on, e.id)):
            shown = live.get(e.uid)
            timeline.append(event_dict(shown or e, identity=identity, voided=shown is None and e.type != "correction"))
        out["timeline"] = timeline
        out["deadlines"] = [self.deadline_dict(t) for t in state.deadlines]
        from foia.clocks.due import RESUME_HINT

        for d in out["deadlines"]:
            # The engine speaks to `foia deadline --tolled FROM:TO`; here the answer is recorded.
            d["explanation"] = [x.replace(RESUME_HINT, f"record the answer: foia track update {rid} --status "
                                                       "in-progress --on DATE.") for x in d["explanation"]]
        out["warnings"] = state.warnings + state.notices
        out["notes"] = state.notes
        agency = self.directory.agencies.get(row.office)
        # The award number (PIID) is what the office and USAspending know an award by.
        out["contract_awards"] = {}
        for cid in out.get("contracts") or []:
            c = self.directory.contracts.get(cid)
            if c is not None and c.award_number:
                out["contract_awards"][cid] = c.award_number
        out["office_name"] = agency.name if agency else row.office
        out["office_abbreviation"] = agency.abbreviation if agency else row.office
        out["clock"] = "none" if self.rules(row.office) is None else "statutory"
        out["referrals"], out["referred_from"] = self._referrals(evs)
        return out, state, evs

    def _referrals(self, evs) -> tuple[list[dict], int | None]:
        """The requests this one was referred to (each with its office, status, tracking numbers
        and next agency deadline), and the request it was referred from."""
        from sqlalchemy import select

        children = [e.data.get("request_uid") for e in evs if e.type == "referral" and e.data.get("request_uid")]
        parent = next((e.data.get("referred_from") for e in evs if e.type == "created" and e.data.get("referred_from")),
                      None)
        if not children and not parent:
            return [], None
        out, parent_id = [], None
        with self.store.read() as conn:
            if parent:
                parent_id = conn.execute(select(requests.c.id).where(requests.c.uid == parent)).scalar()
            for uid in children:
                r = conn.execute(select(requests).where(requests.c.uid == uid)).one_or_none()
                if r is None:
                    continue
                numbers = [n for (n,) in conn.execute(select(tracking_numbers.c.number).where(
                    tracking_numbers.c.request_id == r.id).order_by(tracking_numbers.c.id))]
                out.append({"id": r.id, "office": r.office, "status": r.status, "tracking_numbers": numbers,
                            "agency_due": r.agency_due.isoformat() if getattr(r, "agency_due", None) else None})
        return out, parent_id

    def deadline_dict(self, t: dv.Tracked) -> dict:
        """A deadline as `show` gives it, with its state on the tracker's today."""
        return deadline_dict(t, self.today(), self.calendar())

    def list(self, *, status: Sequence[str] = (), office: str | None = None, assignee: str | None = None,
             tag: str | None = None, overdue: bool = False, due_within: int | None = None,
             limit: int | None = None, identity: bool = False, order: str = "deadline",
             descending: bool = False) -> list[dict]:
        """Requests sorted by their next deadline (soonest first, none last), filtered.

        ``order`` sorts instead by one of LIST_ORDERS (``descending``: latest or highest first),
        then by id."""
        from sqlalchemy import or_, select

        today = self.today()
        codes = [lc.normalize_status(s) for s in status]
        r = requests.c
        next_due, next_key, req_due = next_deadline_sql(today)
        next_due = next_due.label("next_due")
        cols = [r.id, r.title, r.office, r.status, r.status_on, r.filed_on, r.assignee, r.kind,
                next_due, next_key.label("next_key")]
        if identity:
            cols += [getattr(r, c) for c in IDENTITY_COLUMNS if c != "letter_text"]
        offices = self.offices_of(office) if office else None
        if due_within is not None and due_within < 0:
            raise bad("due_within", "give a number of days >= 0")
        if order not in LIST_ORDERS:
            raise bad("order", f"{order!r} is not a column to sort by; use one of {', '.join(LIST_ORDERS)}")
        # The stored spellings of a name or tag are read first, in the same snapshot as the rows.
        with self.store.read(snapshot=bool(assignee or tag)) as conn:
            # Names and tags match whatever their case (assignee "maria" finds "Maria").
            names = stored_spellings(conn, r.assignee, assignee) if assignee else None
            tags_of = stored_spellings(conn, request_tags.c.tag, tag) if tag else None
            if names == [] or tags_of == []:
                return []       # no request bears that name or tag
            # (column, the values it may take). The first drives the union below: a status's
            # rows without a deadline are few when it is open and mostly match when it is closed,
            # and one person has fewer requests than an office.
            filters = [(col, values) for col, values in ((r.status, codes or None), (r.assignee, names),
                                                         (r.office, offices)) if values is not None]
            # What needs a deadline (--overdue, --due-within).
            dated = []
            if overdue:
                dated.append(r.agency_due < today)
            if due_within is not None:
                horizon = today + timedelta(days=due_within)
                dated.append(or_(r.agency_due <= horizon, req_due <= horizon))
            where = [col.in_(values) for col, values in filters] + _tagged(tags_of) + dated
            q = select(*cols)
            if order != "deadline":
                column = getattr(r, LIST_ORDERS[order])
                sort = column.desc() if descending else column.asc()
                q = q.where(*where).order_by(sort.nulls_last(), r.id.desc() if descending else r.id)
                if limit:
                    q = q.limit(limit)
            else:
                if limit and not descending:
                    # The filters are applied by the union's parts: the outer query reads the
                    # few ids they found by primary key (repeated here, SQLite drove it from
                    # the filter's index through every row of the office).
                    found = _first_by_deadline(filters, tags_of, dated, today, req_due, limit)
                    q = q.where(r.id.in_(select(found.subquery().c.id)))
                else:
                    q = q.where(*where)
                q = q.order_by((next_due.desc() if descending else next_due.asc()).nulls_last(),
                               r.id.desc() if descending else r.id)      # the label: evaluated once
                if limit:
                    q = q.limit(limit)
            rows = conn.execute(q).all()
            ids = [row.id for row in rows]
            tags: dict[int, list[str]] = {}
            numbers: dict[int, list] = {}
            tn = tracking_numbers.c
            for start in range(0, len(ids), 500):
                chunk = ids[start:start + 500]
                for rid, t in conn.execute(select(request_tags.c.request_id, request_tags.c.tag)
                                           .where(request_tags.c.request_id.in_(chunk))):
                    tags.setdefault(rid, []).append(t)
                # The rows returned only, not every row the filter and the sort read.
                for rid, number, reason in conn.execute(select(tn.request_id, tn.number, tn.reason)
                                                        .where(tn.request_id.in_(chunk)).order_by(tn.id)):
                    numbers.setdefault(rid, []).append((number, reason))
            # Sorted here, not by the database: PostgreSQL's collation would order them unlike SQLite.
            for found in tags.values():
                found.sort()
        out = []
        for row in rows:
            m = {}
            for name, value in row._mapping.items():
                m[name] = value
                if name == "next_key":       # where the number's column was (the JSON's key order)
                    m["tracking_number"] = first_number(row.status, numbers.get(row.id, []))
            nd = m.pop("next_due")
            key = m.pop("next_key")
            m["next_deadline"] = nd.isoformat() if nd else None
            m["next_deadline_key"] = key
            m["overdue"] = bool(nd and nd < today)
            for k in ("status_on", "filed_on"):
                m[k] = m[k].isoformat() if m[k] else None
            m["tags"] = tags.get(row.id, [])
            out.append(m)
        return out

    def due(self, *, within: int = 14, limit: int = 50, assignee: str | None = None,
            lapsed_days: int = 7, stale_days: int = 30) -> dict:
        """The morning view (:func:`foia.tracker.morning.due_report`), read in one transaction."""
        with self.store.read() as conn:
            return due_report(lambda shape, params: conn.execute(due_statement(shape), params),
                              today=self.today(), calendar=self.calendar, within=within, limit=limit,
                              assignee=assignee, lapsed_days=lapsed_days, stale_days=stale_days)


# The morning view's statements, built once per shape (lapsed windows shown or not, one assignee
# or all) with their dates, limit and assignee as parameters: building and compiling them cost
# about as much as running them. Each section's total comes with its rows: an uncorrelated count
# (one index-range count, evaluated once) beside the first `limit` rows in deadline order.
_STATEMENTS: dict = {}


def due_statement(shape: tuple):
    """The statement of one of foia.tracker.morning's ``SHAPES``."""
    kind, *flags = shape
    return {"due": _due_statement, "stale": _stale_statement, "quiet": _quiet_statement}[kind](*flags)


def _mine(column):
    """``column`` equal to the ``assignee`` parameter ignoring case: the stored spellings are found
    first, so the outer query still uses the column's index."""
    from sqlalchemy import bindparam, func, select

    return column.in_(select(column).where(func.lower(column) == bindparam("assignee")).distinct()
                      .scalar_subquery())


def _due_statement(lapsed: bool, mine: bool):
    """One statement for every deadline section of ``due``: its rows (``section``: the index in
    ``due``'s list, ``total``: that section's count), ordered by section, due date and request."""
    shape = ("due", lapsed, mine)
    if shape in _STATEMENTS:
        return _STATEMENTS[shape]
    from sqlalchemy import Date, Integer, and_, bindparam, func, literal, select, true, union_all

    today, horizon = bindparam("today", type_=Date), bindparam("horizon", type_=Date)
    # (keys, from, to): agency deadlines are late when due strictly before today (no "from");
    # requester windows count from the first day to the last inclusive.
    ranges = [(("determination",), None, today), (dv.APPEAL_WINDOWS, today, horizon),
              (("expedite_decision",), None, today), (("appeal_decision",), None, today),
              (("clarification_close",), today, horizon), (dv.AMENDMENT_CLOCKS, None, today)]
    if lapsed:
        # A requester window stays open in the table once its day has passed (nothing closed
        # it): the days just after are when a late appeal can still be argued or a new
        # request filed, so it is shown instead of vanishing.
        ranges.append((dv.APPEAL_WINDOWS + ("clarification_close",), bindparam("lapsed_from", type_=Date),
                       bindparam("lapsed_to", type_=Date)))
    parts = []
    for number, (keys, lo, hi) in enumerate(ranges):
        def where(d, r):
            cond = [d.open == true(), d.key.in_(keys), d.due.is_not(None)]
            cond += [d.due < hi] if lo is None else [d.due >= lo, d.due <= hi]
            # lower(assignee) rather than the stored spellings: the deadlines' index then drives
            # the query (a section's few rows), not every request of one assignee per section.
            return and_(*cond, *([func.lower(r.assignee) == bindparam("assignee")] if mine else []))

        cd, cr = deadlines.alias("cd"), requests.alias("cr")
        counted = select(func.count()).select_from(cd)
        if mine:
            counted = counted.join(cr, cr.c.id == cd.c.request_id)
        total = counted.where(where(cd.c, cr.c)).scalar_subquery()
        d, r = deadlines.c, requests.c
        parts.append(select(literal(number, Integer).label("section"), total.label("total"), d.request_id, d.key,
                            d.label, d.start, d.due, d.rule, r.title, r.office, r.status, r.assignee)
                     .join_from(deadlines, requests, r.id == d.request_id).where(where(d, r))
                     .order_by(d.due, d.request_id).limit(bindparam("limit")).subquery())
    every = union_all(*(select(p) for p in parts)).subquery()
    c = every.c
    _STATEMENTS[shape] = statement = select(every).order_by(c.section, c.due, c.request_id)
    return statement


def _stale_statement(mine: bool):
    """The stale section of ``due``: its first `limit` rows, each with the section's total."""
    shape = ("stale", mine)
    if shape in _STATEMENTS:
        return _STATEMENTS[shape]
    from sqlalchemy import Date, bindparam, func, or_, select

    r, e = requests.c, events.c
    cutoff = bindparam("cutoff", type_=Date)
    # Recording, correcting or purging is bookkeeping, not movement of the request. The
    # latest event of each candidate is one look-up in ix_events_request; a request whose
    # status changed after the cutoff moved (that change is an event) and is not a candidate.
    last_on = (select(func.max(e.occurred_on)).where(
        e.request_id == r.id, e.type.not_in(["correction", "purged"]),
        or_(e.type != "created", e.status == "draft")).scalar_subquery()).label("last_on")
    # The ids by status first: on "agency_due IS NULL" alone SQLite would read that index's
    # entries for every closed request of an archive; the few waiting ones are what to read.
    waiting = select(r.id).where(r.status.in_(sorted(STALE_STATUSES))).scalar_subquery()
    candidates = select(r.id, r.title, r.office, r.status, r.assignee, r.status_on, last_on).where(
        r.id.in_(waiting), or_(r.status_on.is_(None), r.status_on <= cutoff),
        r.agency_due.is_(None), or_(r.requester_due_last.is_(None),
                                    r.requester_due_last < bindparam("today", type_=Date)),
        *([_mine(r.assignee)] if mine else [])).subquery()
    c = candidates.c
    # The count over the same rows, before the limit: the candidates are read once.
    _STATEMENTS[shape] = statement = (
        select(c.id, c.title, c.office, c.status, c.assignee, c.last_on, func.count().over().label("total"))
        .where(c.last_on <= cutoff).order_by(c.last_on, c.id).limit(bindparam("limit")))
    return statement


def _quiet_statement(mine: bool):
    """A quiet morning's one row: the open requests' count and the soonest deadline ahead (its
    columns NULL when there is none)."""
    shape = ("quiet", mine)
    if shape in _STATEMENTS:
        return _STATEMENTS[shape]
    from sqlalchemy import Date, bindparam, func, select, true

    d, r = deadlines.c, requests.c
    counted = requests.alias("o")
    opened = (select(func.count()).select_from(counted)
              .where(counted.c.status.not_in(sorted(lc.END_STATES | {"draft"})),
                     *([_mine(counted.c.assignee)] if mine else [])).scalar_subquery())
    ahead = [d.open == true(), d.due >= bindparam("today", type_=Date)]
    if mine:
        ahead.append(d.request_id.in_(select(r.id).where(_mine(r.assignee))))
    nxt = (select(d.request_id, d.label, d.due, r.office).join_from(deadlines, requests, r.id == d.request_id)
           .where(*ahead).order_by(d.due, d.request_id).limit(1).subquery())
    one = select(opened.label("open")).subquery()
    _STATEMENTS[shape] = statement = select(one.c.open, nxt).select_from(one.outerjoin(nxt, true()))
    return statement
