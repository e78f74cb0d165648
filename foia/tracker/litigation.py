"""Litigation: when the requester may sue, and the agency's answer once the complaint is served.

Exhaustion of the administrative remedies, actual (an appeal denied) or constructive (the office
or the appeal missed its limit, 5 U.S.C. 552(a)(6)(C)(i)), and the end of the 6-year limitations
period counted from it (28 U.S.C. 2401(a)): :func:`exhaustion`, :func:`litigation_notes`.

In litigation: the agency's answer due 30 days after service of the complaint (5 U.S.C. 552(a)(4)(C)).

Not in foia's fact sheet. The rule was read from the Reporters Committee for Freedom of the
Press's FOIA wiki, "Service and Answers" (:data:`SOURCE`): "A defendant agency must file an
answer within 30 days of service", citing 5 U.S.C. 552(a)(4)(C); the statute's own words were not
found in foia's sources. So every date this module gives says it is UNVERIFIED. The 30 days are
calendar days counted from the day after service, not moved off a weekend or holiday: the
court's rules and the summons decide that, and foia does not have them.

The service date is a ``served`` event (`foia track update N --served DATE`), recorded on a
request in litigation.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Iterable, Mapping, NamedTuple, Sequence

if TYPE_CHECKING:
    from foia.tracker.derive import Event, Tracked

ANSWER_DAYS = 30
RULE = "5 U.S.C. 552(a)(4)(C)"
SOURCE = "https://foia.wiki/wiki/Service_and_Answers"
UNVERIFIED = (f"UNVERIFIED: from {SOURCE}, not foia's fact sheet; calendar days, not moved off a weekend or "
              "holiday; check the summons and the court's orders")


class Answer(NamedTuple):
    served: date
    due: date
    how: str


def answer(events: Iterable) -> Answer | None:
    """The answer due after the latest service recorded (events with ``type`` and ``occurred_on``,
    corrections already applied); None when no service is recorded."""
    served = None
    for e in events:
        if e.type == "served" and (served is None or e.occurred_on >= served):
            served = e.occurred_on
    if served is None:
        return None
    due = served + timedelta(days=ANSWER_DAYS)
    return Answer(served, due, f"{ANSWER_DAYS} days after service on {served.isoformat()}, {RULE}; {UNVERIFIED}")


def answer_note(found: Answer) -> str:
    """The line `show` gives."""
    return f"Answer due: {found.due.isoformat()} ({found.how})."


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
    from foia.vocab import FROM_SENDING

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
