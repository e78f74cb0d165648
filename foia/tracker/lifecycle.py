"""Statuses, end states and the moves between them.

Statuses are (code, label) pairs; users type the code (``--status no-records``). Every status
change is an event, and the event records the status it set, so the history is the source of
truth and the request row only caches the latest.

End states (``END_STATES``) close the processing of a request, but only ``withdrawn`` is
final: an appeal may be recorded after any determination (fulfilled included: the search may
have been inadequate; no appeal window is computed for it, as the statute's follows an adverse
determination), mediation or litigation may follow an appeal decision, and ``remanded``
re-opens processing.
"""

from __future__ import annotations

from datetime import date

from foia.errors import MoveRefused, UsageError
from foia.naming import Field, Text
from foia.parse import bad

STATUSES: dict[str, str] = {
    "draft": "Draft",
    "submitted": "Submitted",
    "acknowledged": "Acknowledged",
    "in-progress": "In progress",
    "awaiting-clarification": "Awaiting the requester: clarification (clock stopped)",
    "awaiting-fees": "Awaiting the requester: fees (clock stopped)",
    "fulfilled": "Fulfilled",
    "partial": "Partially granted",
    "denied": "Denied",
    "no-records": "No records",
    "withdrawn": "Withdrawn",
    "rejected": "Rejected",
    "appealed": "Appealed",
    "appeal-granted": "Appeal granted",
    "appeal-denied": "Appeal denied",
    "remanded": "Remanded",
    "in-mediation": "In OGIS mediation",
    "in-litigation": "In litigation",
}

END_STATES = frozenset({"fulfilled", "partial", "denied", "no-records", "withdrawn", "rejected",
                        "appeal-granted", "appeal-denied"})
FINAL = frozenset({"withdrawn"})
# The agency still owes a determination in these.
PROCESSING = frozenset({"submitted", "acknowledged", "in-progress", "awaiting-clarification",
                        "awaiting-fees", "remanded"})
# The determination clock stops while the agency awaits the requester's answer
# (5 U.S.C. 552(a)(6)(A)(ii)(I)-(II)).
TOLLED = frozenset({"awaiting-clarification", "awaiting-fees"})
DETERMINATIONS = frozenset({"fulfilled", "partial", "denied", "no-records", "rejected"})
# Adverse determinations open an appeal window (5 U.S.C. 552(a)(6)(A)(i)(III)(aa)). A
# rejection (the agency refused to process the request) is treated as one: it denies access.
ADVERSE = frozenset({"partial", "denied", "no-records", "rejected"})
APPEAL_DECISIONS = frozenset({"appeal-granted", "appeal-denied", "remanded"})

_OPEN_MOVES = ({"in-progress", "awaiting-clarification", "awaiting-fees", "withdrawn", "appealed",
                "in-mediation", "in-litigation"} | DETERMINATIONS)
_AFTER_DETERMINATION = {"appealed", "in-mediation", "in-litigation"}

TRANSITIONS: dict[str, frozenset[str]] = {
    "draft": frozenset({"submitted", "withdrawn"}),
    "submitted": frozenset(_OPEN_MOVES | {"acknowledged"}),
    "acknowledged": frozenset(_OPEN_MOVES),
    "in-progress": frozenset(_OPEN_MOVES - {"in-progress"}),
    "awaiting-clarification": frozenset(_OPEN_MOVES - {"awaiting-clarification"}),
    "awaiting-fees": frozenset(_OPEN_MOVES - {"awaiting-fees"}),
    "fulfilled": frozenset(_AFTER_DETERMINATION),
    "partial": frozenset(_AFTER_DETERMINATION),
    "denied": frozenset(_AFTER_DETERMINATION),
    "no-records": frozenset(_AFTER_DETERMINATION),
    "rejected": frozenset(_AFTER_DETERMINATION),
    "withdrawn": frozenset(),
    "appealed": frozenset({"appeal-granted", "appeal-denied", "remanded", "in-mediation",
                           "in-litigation", "withdrawn"}),
    "appeal-granted": frozenset({"remanded", "in-progress", "in-mediation", "in-litigation"} | DETERMINATIONS),
    "appeal-denied": frozenset({"in-mediation", "in-litigation"}),
    "remanded": frozenset((_OPEN_MOVES - {"appealed"}) | {"acknowledged"}),
    "in-mediation": frozenset({"in-progress", "appealed", "appeal-granted", "appeal-denied", "remanded",
                               "in-litigation", "withdrawn"} | DETERMINATIONS),
    "in-litigation": frozenset({"in-progress", "remanded", "in-mediation", "withdrawn"} | DETERMINATIONS),
}
# Where a request may begin its history.
STARTS = frozenset({"draft", "submitted"})

_WHY_CLOSED = {
    "withdrawn": "a withdrawn request is closed; record a new request instead",
    "appeal-denied": "the appeal was denied; what may follow is OGIS mediation (in-mediation) or "
                     "litigation (in-litigation)",
}


def label(code: str | None) -> str:
    return STATUSES.get(code or "", code or "")


def normalize_status(text: str, *, what: str = "status") -> str:
    """A status code from a code or a label, case- and separator-insensitive; ``what``: the field."""
    value = "-".join(str(text or "").strip().lower().replace("_", " ").split())
    if value in STATUSES:
        return value
    for code, name in STATUSES.items():
        if "-".join(name.lower().split()) == value:
            return code
    aliases = {"ack": "acknowledged", "processing": "in-progress", "no-record": "no-records",
               "granted": "fulfilled", "partially-granted": "partial", "mediation": "in-mediation",
               "litigation": "in-litigation", "awaiting-clarification-(clock-stopped)": "awaiting-clarification"}
    if value in aliases:
        return aliases[value]
    raise bad(what, f"{text!r} is not a status; use one of {', '.join(STATUSES)}")


# After an appeal of a fee-waiver or expedite denial alone (a "side" appeal) the request is still
# processed: these moves stay open, and the side appeal's outcome may come in between.
_SIDE_PROCESSING = frozenset({"acknowledged", "in-progress", "awaiting-clarification", "awaiting-fees"})


def _allowed(old: str, appeal_kind: str | None, side_pending: bool, determined: bool = False) -> frozenset[str]:
    allowed = TRANSITIONS[old]
    if appeal_kind == "side":
        if determined:
            # The request was determined apart from its side appeal: it stays determined, and
            # what may follow is what may follow the determination.
            allowed = (allowed if old == "appealed" else frozenset()) | _AFTER_DETERMINATION
        elif old == "appealed":
            # ... and the determination (or the agency's silence) may be appealed in its turn.
            allowed = allowed | _SIDE_PROCESSING | DETERMINATIONS | {"appealed"}
        elif old in APPEAL_DECISIONS:
            allowed = allowed | _OPEN_MOVES | {"acknowledged"}
    elif appeal_kind == "no-response" and old == "appealed":
        # The agency may still answer a request whose silence was appealed.
        allowed = allowed | DETERMINATIONS
    if side_pending and (old in PROCESSING or old in DETERMINATIONS):
        # The side appeal's outcome may come while the request is processed or once it is determined.
        allowed = allowed | {"appeal-granted", "appeal-denied"}
    return allowed


def check_transition(request_id: int | str, old: str | None, new: str, *, on: date,
                     has_determination: bool = False, determination_due: date | None = None,
                     since: date | None = None, appeal_kind: str | None = None, side_pending: bool = False,
                     determined: bool = False, remanded_on: date | None = None,
                     new_side_appeal: bool = False) -> None:
    """Refuse an impossible move with one line saying why and what is possible.

    ``old`` is None when ``new`` would be the first status of the request. An appeal needs a
    determination to appeal, or a determination that is overdue on the day of the appeal
    (the agency's silence is then the answer, 5 U.S.C. 552(a)(6)(C)(i)). After a remand
    (``remanded_on``) only a new determination may be appealed: foia knows no clock for the
    reprocessing, so none is overdue. ``appeal_kind`` ("side", "no-response" or None), ``side_pending`` and
    ``determined`` say what the appeal in force is of and where the request stands apart from a side
    appeal (`derive.transition_context`). ``new_side_appeal``: the move is an appeal of a fee-waiver
    or expedite denial alone, which may follow any status but a withdrawal.
    """
    if new not in STATUSES:
        raise UsageError(f"{new!r} is not a status; use one of {', '.join(STATUSES)}")
    if old is None:
        if new not in STARTS:
            raise MoveRefused(Text(f"cannot record {new} for request {request_id} on {on.isoformat()}: it would "
                                   "come before the request was submitted; check the date (", Field("on"), ")"),
                              field="on")
        return
    if old == new and not (new == "appealed" and appeal_kind == "side"):
        when = f" (since {since.isoformat()})" if since else ""
        raise MoveRefused(f"request {request_id} is already {new}{when}; nothing to change")
    allowed = _allowed(old, appeal_kind, side_pending, determined)
    if new_side_appeal and old not in FINAL:
        allowed = allowed | {"appealed"}
    head = f"cannot move request {request_id} from {old} to {new}"
    if new not in allowed:
        if old in _WHY_CLOSED and appeal_kind != "side":
            raise MoveRefused(f"{head}: {_WHY_CLOSED[old]}")
        if old in DETERMINATIONS and new in DETERMINATIONS:
            raise MoveRefused(f"{head}: the request is already determined ({old}); appeal it (appealed), or "
                              "fix a mistaken entry with `foia track correct`")
        if new == "acknowledged" and old == "draft":
            raise MoveRefused(f"{head}: a draft has not been submitted; record the submission first "
                              f"(foia track update {request_id} --status submitted --on DATE)")
        if new == "acknowledged":
            raise MoveRefused(Text(f"{head}: an acknowledgement comes right after submission; record it with an "
                                   "earlier ", Field("on"), " date"), field="on")
        options = ", ".join(sorted(allowed)) or "nothing"
        raise MoveRefused(f"{head}: from {old} a request can move to {options}")
    if new == "appealed" and old in PROCESSING | {"in-mediation", "appealed"} | APPEAL_DECISIONS \
            and not has_determination:
        if remanded_on is not None:
            from foia.tracker.appeals import remand_refusal

            raise MoveRefused(f"{head}: the request {remand_refusal(remanded_on)}")
        if determination_due is not None and on > determination_due:
            return
        if determination_due is not None:
            raise MoveRefused(f"{head}: there is no determination to appeal yet, and it is not due until "
                              f"{determination_due.isoformat()}; appeal after a determination or once it is overdue")
        raise MoveRefused(f"{head}: there is no determination to appeal yet; appeal after a determination "
                          "or once it is overdue")
