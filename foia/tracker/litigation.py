"""In litigation: the agency's answer due 30 days after service of the complaint (5 U.S.C. 552(a)(4)(C)).

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
from typing import Iterable, NamedTuple

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
