"""The inbox's listing counts each listed message's pending proposals, and only theirs."""

from __future__ import annotations

from inbox_support import mail, scenario

from foia.inbox import messages_of
from foia.inbox.service import Inbox


def test_a_requests_mail_counts_its_own_pending_proposals_only(db_url):
    from sqlalchemy import event

    t = scenario(db_url)
    box = Inbox(t)
    box.import_paths(mail("ack-ice-plain.eml", "fee-ice.eml", "extension-ice.eml", "short-exemptions.eml"))
    everything = box.list()
    expected = {m["id"]: sum(p["state"] == "pending" for p in box.show(m["id"])["proposals"]) for m in everything}
    assert sorted(expected.values()) != [0] * len(expected)
    assert {m["id"]: m["pending_proposals"] for m in everything} == expected
    box.accept(everything[0]["id"])
    expected[everything[0]["id"]] = 0
    seen = []
    event.listen(t.store.engine, "before_cursor_execute",
                 lambda conn, cur, stmt, params, ctx, many: seen.append((stmt, params)))
    mine = messages_of(t, 2)
    assert mine and {m["request_id"] for m in mine} == {2}
    assert {m["id"]: m["pending_proposals"] for m in mine} == {m["id"]: expected[m["id"]] for m in mine}
    counted = [(s, p) for s, p in seen if "count(" in s.lower() and "inbox_proposals" in s]
    assert len(counted) == 1
    ids = counted[0][1]
    ids = list(ids.values()) if isinstance(ids, dict) else list(ids)
    assert sorted(i for i in ids if isinstance(i, int)) == sorted(m["id"] for m in mine)
