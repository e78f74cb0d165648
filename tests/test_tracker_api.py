"""The tracker through its Python API (``foia.tracker.open_tracker``), on SQLite and PostgreSQL:
what a web form or a script gets back, and errors that name the field they are about.

Dates counted by hand: ICE answers within 20 working days of receipt (5 U.S.C. 552(a)(6)(A)(i));
November 2026 has two federal holidays, Veterans Day (Wed 11th) and Thanksgiving (Thu 26th).
"""

from __future__ import annotations

from datetime import date

import pytest

from foia.errors import BadValue, FoiaError, MoveRefused, NotFound
from foia.tracker import open_tracker

TODAY = date(2026, 11, 30)


@pytest.fixture
def tracker(db_url):
    t = open_tracker(db_url, today=TODAY, actor="ana")
    yield t
    t.store.dispose()


def _add(tracker, **kw):
    args = {"title": "ICE ALPR contracts", "office": "ice", "on": "2026-11-02"}
    return tracker.add(**{**args, **kw})


def test_add_records_a_request_and_its_determination_clock(tracker):
    change = _add(tracker, tracking=["2026-ICFO-00001"], tags=["alpr, contracts"], assignee="Maria")
    assert (change.status, change.office, change.title) == ("submitted", "ice", "ICE ALPR contracts")
    # Nov 3-6 (4), 9-13 less the 11th (8), 16-20 (13), 23-27 less the 26th (17), 30 (18), Dec 1, Dec 2.
    det = next(t for t in change.deadlines if t.key == "determination")
    assert (det.due, det.party, det.open) == (date(2026, 12, 2), "agency", True)
    info = tracker.show(change.request_id)
    assert info["status"] == "submitted" and info["filed_on"] == "2026-11-02"
    assert info["tags"] == ["alpr", "contracts"] and info["assignee"] == "Maria"
    assert [n["number"] for n in info["tracking_numbers"]] == ["2026-ICFO-00001"]
    assert [e["summary"] for e in info["timeline"]] == [
        "recorded in the tracker", "Submitted", "tracking number 2026-ICFO-00001 (assigned)"]
    # A tracking number finds the request as its id does.
    assert tracker.get("2026-icfo-00001") == change.request_id


def test_identity_fields_are_hidden_unless_asked(tracker):
    rid = _add(tracker, client_name="Ana Example", client_dob="1980-02-03", client_a_number="A012345678").request_id
    hidden = tracker.show(rid)
    assert "client_name" not in hidden and "client_dob" not in hidden
    shown = tracker.show(rid, identity=True)
    assert (shown["client_name"], shown["client_dob"], shown["client_a_number"]) == (
        "Ana Example", "1980-02-03", "A012345678")
    assert "client_name" not in tracker.list()[0] and tracker.list(identity=True)[0]["client_name"] == "Ana Example"


def test_update_appends_events_and_moves_the_clocks(tracker):
    rid = _add(tracker).request_id
    tracker.update(rid, status="acknowledged", on="2026-11-04")
    change = tracker.update(rid, status="denied", on="2026-11-20", note="all withheld, (b)(7)(E)")
    assert change.status == "denied"
    det = next(t for t in change.deadlines if t.key == "determination")
    assert (det.open, det.closed_on, det.closed_by) == (False, date(2026, 11, 20), "denied")
    window = next(t for t in change.deadlines if t.key == "appeal")
    assert window.open and window.party == "requester"
    info = tracker.show(rid)
    assert [e["status"] for e in info["timeline"] if e["type"] == "status"] == ["submitted", "acknowledged",
                                                                                "denied"]
    assert info["timeline"][-1]["note"] == "all withheld, (b)(7)(E)"


def test_list_sorts_by_next_deadline_and_filters(tracker):
    late = _add(tracker, title="older", on="2026-10-01").request_id
    fresh = _add(tracker, title="newer", on="2026-11-20", assignee="Maria").request_id
    draft = _add(tracker, title="not sent", draft=True).request_id
    rows = tracker.list()
    assert [r["id"] for r in rows] == [late, fresh, draft]
    assert rows[0]["overdue"] is True and rows[1]["overdue"] is False and rows[2]["next_deadline"] is None
    assert [r["id"] for r in tracker.list(overdue=True)] == [late]
    assert [r["id"] for r in tracker.list(assignee="maria")] == [fresh]
    assert [r["id"] for r in tracker.list(status=["draft"])] == [draft]
    assert [r["id"] for r in tracker.list(order="id", descending=True)] == [draft, fresh, late]


def test_due_lists_an_overdue_determination_with_its_follow_up(tracker):
    rid = _add(tracker, title="older", on="2026-10-01", assignee="Maria").request_id
    report = tracker.due(within=14)
    overdue = next(s for s in report["sections"] if s["key"] == "overdue_determinations")
    assert overdue["total"] == 1
    item = overdue["items"][0]
    assert (item["id"], item["assignee"], item["command"]) == (rid, "Maria", f"foia track followup {rid}")
    assert item["working_days_late"] > 0
    assert tracker.due(assignee="someone else")["sections"][0]["total"] == 0


def test_correct_voids_or_moves_an_event(tracker):
    rid = _add(tracker).request_id
    tracker.update(rid, status="acknowledged", on="2026-11-04")
    event = next(e for e in tracker.show(rid)["timeline"] if e["status"] == "acknowledged")
    tracker.correct(rid, event["id"], on="2026-11-05")
    moved = next(e for e in tracker.show(rid)["timeline"] if e["id"] == event["id"])
    assert moved["occurred_on"] == "2026-11-05"
    change = tracker.correct(rid, event["id"], void=True)
    assert change.status == "submitted"
    voided = next(e for e in tracker.show(rid)["timeline"] if e["id"] == event["id"])
    assert voided.get("voided") is True


@pytest.mark.parametrize("call, field", [
    (lambda t: _add(t, on="2026-13-01"), "on"),
    (lambda t: _add(t, on=""), "on"),
    (lambda t: _add(t, on="2026-12-01"), "on"),          # after today
    (lambda t: _add(t, title="  "), "title"),
    (lambda t: _add(t, office="nowhere"), "office"),
    (lambda t: _add(t, kind="Not A Kind"), "kind"),
    (lambda t: _add(t, sent_via="pigeon"), "sent_via"),
    (lambda t: _add(t, client_dob="2030-01-01"), "client_dob"),
    (lambda t: _add(t, client_a_number="12"), "client_a_number"),
    (lambda t: _add(t, tracking=["A1", "A1"]), "tracking_number"),
    (lambda t: _add(t, tracking=["A1:bogus"]), "tracking_number"),
    (lambda t: _add(t, fee_limit="1e3"), "fee_limit"),
    (lambda t: _add(t, tags=["two words"]), "tags"),
    (lambda t: _add(t, requester_contact={"email": "not-an-address"}), "requester_email"),
    (lambda t: _add(t, systems=["no-such-system"]), "systems"),
    (lambda t: t.list(order="colour"), "order"),
    (lambda t: t.list(due_within=-1), "due_within"),
    (lambda t: t.due(within=-1), "within"),
    (lambda t: t.due(stale_days=-1), "stale_days"),
])
def test_a_bad_value_names_its_field_not_an_option(tracker, call, field):
    with pytest.raises(BadValue) as exc:
        call(tracker)
    assert exc.value.field == field
    assert exc.value.exit_code == 2
    assert "--" not in str(exc.value)
    assert tracker.list() == []            # nothing half-written


@pytest.mark.parametrize("kwargs, field", [
    ({"status": "granted-maybe"}, "status"),
    ({"on": "2026-11-01", "tracking": ["X1"]}, "on"),      # a fact before the filing
    ({"fees": [("paid", "ten dollars")]}, "fee_paid"),
    ({"fees": [("waiver-denied", "-5")]}, "fee_denied"),
    ({"estimated_completion": "1899-01-01"}, "estimated_completion"),
    ({"received": "2026-10-30"}, "received"),
    ({"documents": -1}, "documents"),
    ({"appeal_of": ["determination"]}, "appeal_of"),           # without status appealed
    ({"appeal_of": ["everything"], "status": "appealed"}, "appeal_of"),
    ({"remove_tags": ["a b"]}, "remove_tags"),
])
def test_update_refusals_name_their_field_and_record_nothing(tracker, kwargs, field):
    rid = _add(tracker).request_id
    before = tracker.show(rid)["timeline"]
    with pytest.raises(BadValue) as exc:
        tracker.update(rid, **kwargs)
    assert exc.value.field == field and "--" not in str(exc.value)
    assert tracker.show(rid)["timeline"] == before


def test_a_refused_move_says_why_and_names_the_date_field(tracker):
    rid = _add(tracker).request_id
    with pytest.raises(MoveRefused) as exc:
        tracker.update(rid, status="appealed", on="2026-11-03")
    assert exc.value.exit_code == 1
    assert str(exc.value).startswith(f"cannot move request {rid} from submitted to appealed: there is no "
                                     "determination to appeal yet, and it is not due until 2026-12-02")
    tracker.update(rid, status="denied", on="2026-11-20")
    with pytest.raises(MoveRefused) as exc:
        tracker.update(rid, status="withdrawn", on="2026-11-10")
    assert str(exc.value).startswith(f"cannot record withdrawn on 2026-11-10 for request {rid}: it is followed by "
                                     "denied on 2026-11-20 (cannot move request")
    assert exc.value.field == "on" and str(exc.value).endswith("; check on")
    with pytest.raises(FoiaError) as exc:
        tracker.correct(rid, 1)
    assert exc.value.field == "on"


def test_unknown_requests_are_not_found(tracker):
    with pytest.raises(NotFound):
        tracker.show("2026-ICFO-404")
    with pytest.raises(NotFound):
        tracker.update(99, note="x")


def test_the_next_deadline_of_list_and_of_the_exports_is_one_rule(tracker):
    """`list` sorts by the rule as SQL; the exports read it in Python from the same row: they agree,
    including for a request whose first appeal window lapsed while a later one is open."""
    from sqlalchemy import select

    from foia.tracker.models import requests
    from foia.tracker.queries import next_deadline, next_deadline_sql

    _add(tracker, title="agency owes", on="2026-11-20")
    rid = _add(tracker, title="denied").request_id
    tracker.update(rid, status="denied", on="2026-11-10")
    both = _add(tracker, title="two windows", on="2026-06-01").request_id
    tracker.update(both, status="denied", on="2026-07-01")
    tracker.update(both, fees=[("waiver-denied", "40")], on="2026-11-16")
    _add(tracker, title="draft", draft=True)
    listed = {r["id"]: (r["next_deadline"], r["next_deadline_key"]) for r in tracker.list()}
    due, key, _ = next_deadline_sql(TODAY)
    with tracker.store.read() as conn:
        rows = conn.execute(select(requests)).all()
        first = {i: (d, k) for i, d, k in conn.execute(select(requests.c.id, due, key))}
    for row in rows:
        m = row._mapping
        nd, nk = next_deadline(m, TODAY, first[row.id])
        assert (nd.isoformat() if nd else None, nk) == listed[row.id], row.title
    assert listed[both][1] == "appeal_fee_waiver"     # its determination's window lapsed in October
