"""Which status changes, corrections and dates the history allows: a status recorded on a day
must follow the one before it and lead to the one after, a correction must leave a history
that reads in order, and dates must come in a possible order. Refusals raise
:class:`~foia.errors.MoveRefused` (or :class:`~foia.errors.BadValue` naming a field); nothing
is recorded."""

from __future__ import annotations

from datetime import date
from typing import Sequence

from foia.errors import BadValue, FoiaError, MoveRefused
from foia.naming import Field, Text
from foia.parse import bad
from foia.tracker import derive as dv
from foia.tracker import lifecycle as lc
from foia.tracker.appeals import SIDE_TARGETS, appealable, transition_context


def status_at(evs: Sequence[dv.Event], on: date) -> str | None:
    marks = [e for e in dv.status_events(evs) if e.occurred_on <= on]
    return marks[-1].status if marks else None

def check_dates(rid: int, state: dv.State, *, on: date, new_status: str | None, received: date | None,
                 first_received: date | None, facts: bool) -> None:
    """Refuse dates in an impossible order: a date counted from them would hide the typing
    mistake (an appeal received before it was sent would start its decision clock early)."""
    if new_status == "appealed":
        if received is not None and received < on:
            raise BadValue(Text(Field("received"), f": the appeal cannot have been received on {received.isoformat()}, "
                                "before it was sent (", Field("on"), f" {on.isoformat()}); give the date the office "
                                "received it, on or after ", Field("on")), field="received")
        received = None       # the appeal's receipt, not the request's
    filed = state.filed_on or (on if new_status == "submitted" else None)
    if filed is None:
        return
    for value, field in ((received, "received"), (first_received, "first_received")):
        if value is not None and value < filed:
            raise bad(field, f"{value.isoformat()} is before request {rid} was filed ({filed.isoformat()}); an "
                             "office cannot receive a request before it is sent: check the date")
    if facts and on < filed:
        raise BadValue(Text(Field("on"), f": {on.isoformat()} is before request {rid} was filed "
                            f"({filed.isoformat()}); fees, tracking numbers, decisions and documents come after "
                            "filing: check ", Field("on")), field="on")


def check_insert(rid: int, evs: list[dv.Event], new: str, on: date, state: dv.State,
                  data: dict | None = None) -> None:
    """A status recorded on ``on`` must follow the status before it and lead to the one after."""
    marks = dv.status_events(evs)
    if new == "submitted":
        # A draft is dated the day it was typed, not a step the submission must follow.
        marks = [e for e in marks if e.status != "draft"]
    prev = [e for e in marks if e.occurred_on <= on]
    later = [e for e in marks if e.occurred_on > on]
    p = prev[-1] if prev else None
    context = appealable(evs, on, state)[1] if new == "appealed" else {}
    # An appeal of a fee-waiver or expedite denial alone runs beside the request, whatever
    # its status (a remand, an appeal decided): only its own window limits it.
    side = new == "appealed" and bool((data or {}).get("of")) and set(data["of"]) <= SIDE_TARGETS
    lc.check_transition(rid, p.status if p else None, new, on=on, since=p.occurred_on if p else None,
                        new_side_appeal=side, **context, **transition_context(prev))
    if later:
        n = later[0]
        me = dv.Event(id=10**12, uid="", type="status", occurred_on=on, status=new, data=data or {})
        try:
            lc.check_transition(rid, new, n.status, on=n.occurred_on, has_determination=True,
                                **transition_context(prev + [me]))
        except FoiaError as exc:
            raise MoveRefused(Text(f"cannot record {new} on {on.isoformat()} for request {rid}: it is followed by "
                                   f"{n.status} on {n.occurred_on.isoformat()} (", exc.args[0], "); check ",
                                   Field("on")), field="on") from None

def check_sequence(rid, after, *, around, voided, before, target) -> None:
    marks = dv.status_events(after)
    if voided:
        # the statuses either side of the voided one must now follow each other
        old = dv.status_events(before)
        i = next(i for i, e in enumerate(old) if e.uid == target.uid)
        pairs = [(old[i - 1] if i > 0 else None, old[i + 1] if i + 1 < len(old) else None)]
        history = old[:i]
    else:
        i = next(i for i, e in enumerate(marks) if e.uid == around)
        pairs = [(marks[i - 1] if i > 0 else None, marks[i]),
                 (marks[i], marks[i + 1] if i + 1 < len(marks) else None)]
    for a, b in pairs:
        if b is None:
            continue
        upto = (history if voided else marks[:marks.index(a) + 1]) if a is not None else []
        try:
            lc.check_transition(rid, a.status if a else None, b.status, on=b.occurred_on, has_determination=True,
                                **transition_context(upto))
        except FoiaError as exc:
            raise MoveRefused(Text(f"cannot correct event {target.id} of request {rid}: the history would read "
                                   f"{a.status if a else '(start)'} then {b.status} on {b.occurred_on.isoformat()} "
                                   "(", exc.args[0], ")")) from None


def news(before: Sequence[str], after: Sequence[str]) -> list[str]:
    """What a change made appear: a warning the history already carried was printed when it
    first appeared (and `show` prints them all)."""
    return [x for x in after if x not in before]


def refuse_new_problems(rid: int, before: dv.State, after: dv.State) -> None:
    """A change that makes the deadline engine refuse the request's dates (an extension notice
    before receipt...) is refused, and the transaction rolls back."""
    new = [w for w in after.warnings if w not in before.warnings]
    if new:
        raise FoiaError(f"request {rid}: {new[0].removeprefix('deadlines not computed: ')}; nothing was recorded")
