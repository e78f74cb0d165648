"""When the requester may sue: exhaustion of the administrative remedies, actual (an appeal
denied) or constructive (the office or the appeal missed its limit, 5 U.S.C. 552(a)(6)(C)(i)),
and the end of the 6-year limitations period counted from it (28 U.S.C. 2401(a))."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Mapping, NamedTuple, Sequence

if TYPE_CHECKING:
    from foia.tracker.derive import Event, Tracked


def _six_years(d: date) -> date:
    """The end of the limitations period: 6 years after the right of action accrues (28 U.S.C.
    2401(a)); an accrual on Feb 29 ends on Feb 28."""
    try:
        return d.replace(year=d.year + 6)
    except ValueError:
        return d.replace(year=d.year + 6, day=28)


class Exhaustion(NamedTuple):
    """When the requester may sue: the day the right of action accrued, how, and the end of the
    6-year limitations period counted from it (28 U.S.C. 2401(a))."""

    on: date
    how: str
    limitations_end: date


def exhaustion(clocks: Mapping[str, Any], marks: Sequence[Event], *, from_sending: bool = False) -> Exhaustion | None:
    """Exhaustion, actual (an appeal denied) or constructive (the office or the appeal missed its
    limit, 552(a)(6)(C)(i)), from a FOIA request's clocks by key (a :class:`Tracked`, or a stored
    deadline row: anything with ``due`` and ``closed_on``) and its status marks; None when neither
    has happened or is due. ``from_sending``: the determination counts from the sending date (no
    receipt recorded), so an exhaustion counted from it may come later: the text says so."""
    from foia.tracker.derive import FROM_SENDING

    denied = next((m for m in reversed(marks) if m.status == "appeal-denied"), None)
    decision, det = clocks.get("appeal_decision"), clocks.get("determination")
    sent = f" ({FROM_SENDING})" if from_sending else ""
    if det is not None and det.due and det.closed_on is not None and det.closed_on > det.due:
        # The office's silence past its limit exhausted the remedies then; a later answer or an
        # appeal of the silence does not take that back.
        accrued = det.due + timedelta(days=1)
        how = f"constructive, no determination by {det.due.isoformat()}{sent}, 5 U.S.C. 552(a)(6)(C)(i)"
    elif denied is not None:
        accrued, how = denied.occurred_on, f"actual, the appeal was denied on {denied.occurred_on.isoformat()}"
    elif decision is not None and decision.due and (decision.closed_on is None or decision.closed_on > decision.due):
        accrued = decision.due + timedelta(days=1)
        pending = decision.closed_on is None
        how = f"constructive, {'if there is ' if pending else ''}no appeal decision by {decision.due.isoformat()}, " \
              "5 U.S.C. 552(a)(6)(C)(i)"
    elif det is not None and det.due and (det.closed_on is None or det.closed_on > det.due):
        accrued = det.due + timedelta(days=1)
        pending = det.closed_on is None
        how = f"constructive, {'if there is ' if pending else ''}no determination by {det.due.isoformat()}{sent}, " \
              "5 U.S.C. 552(a)(6)(C)(i)"
    else:
        return None
    return Exhaustion(accrued, how, _six_years(accrued))


def litigation_notes(deadlines: Sequence[Tracked], marks: Sequence[Event], *, from_sending: bool = False) -> list[str]:
    """When the requester may sue and until when (:func:`exhaustion`), as a line for ``show``."""
    found = exhaustion({t.key: t for t in deadlines}, marks, from_sending=from_sending)
    if found is None:
        return []
    return [f"Exhaustion: from {found.on.isoformat()} ({found.how}); the 6-year limitations period (28 U.S.C. "
            f"2401(a)) then ends on {found.limitations_end.isoformat()}."]
