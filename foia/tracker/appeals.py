"""What an appeal is of and on which ground: the one home of the rules about appeals.

- what may be appealed on a day (:func:`appealable`) and what an appeal recorded is of
  (:func:`appeal_targets`, :func:`appeal_kind`, :func:`appeals`), the remand after which only a
  new determination may be appealed (:func:`main_remand`);
- what `lifecycle.check_transition` needs to know of the appeal in force (:func:`transition_context`);
- the appeal letter's ground for a window (:func:`appeal_ground`, ``APPEAL_GROUND_FOR``) and
  how an appeal's object reads (:func:`appeal_of_text`).

Pure functions of the status marks and events (no database).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Sequence

from foia.errors import BadValue
from foia.naming import Field, Text
from foia.parse import bad
from foia.tracker.lifecycle import APPEAL_DECISIONS, DETERMINATIONS

if TYPE_CHECKING:
    from foia.tracker.derive import Event, State

# What closes the determination clock, and what ends an appeal's wait for its decision.
CLOSES_DETERMINATION = DETERMINATIONS | {"withdrawn", "in-litigation"}
ENDS_APPEAL = APPEAL_DECISIONS | {"withdrawn", "in-litigation"}



# What an appeal is of: the ``of`` list on its status event. An appeal of the determination or
# of the agency's silence (no-response) ends the determination clock; an appeal of a fee-waiver
# or expedite denial alone is a "side" appeal: the request is still being processed and its
# clock runs on. An appeal recorded before foia kept ``of`` is taken as an appeal of everything
# open on its day (as foia then treated it).
APPEAL_TARGETS = ("determination", "no-response", "fee-waiver-denial", "expedite-denial")
SIDE_TARGETS = frozenset({"fee-waiver-denial", "expedite-denial"})     # what a side appeal may be of
WINDOW_TARGET = {"appeal": "determination", "appeal_fee_waiver": "fee-waiver-denial",
                 "appeal_expedite": "expedite-denial"}


def appeal_kind(e: Event | None) -> str | None:
    """``"side"`` (of a fee-waiver or expedite denial only), ``"no-response"`` (of the agency's
    silence, no determination yet), else None (of a determination, or an older appeal)."""
    of = e.data.get("of") if e is not None else None
    if not of or "determination" in of:
        return None
    return "no-response" if "no-response" in of else "side"


def appeals(e: Event, target: str) -> bool:
    """Whether the appeal ``e`` is of ``target`` (an older appeal without ``of``: of everything)."""
    of = e.data.get("of")
    return not of or target in of


def main_remand(marks: Sequence[Event]) -> Event | None:
    """The last remand of the determination (or of the agency's silence) among ``marks``: a
    remand that decides a side appeal leaves the determination as it was."""
    last = found = None
    for m in marks:
        if m.status == "appealed":
            last = m
        elif m.status == "remanded" and (last is None or appeal_kind(last) != "side"):
            found = m
    return found


def transition_context(history: Sequence[Event]) -> dict:
    """What `lifecycle.check_transition` needs to know about the status marks before a move
    (``history``, in order, the move's old status last): what the appeal in force is of,
    whether a side appeal awaits its decision (``side_pending``), and whether the request was
    determined apart from its side appeals (``determined``)."""
    if not history:
        return {}
    old = history[-1]
    appeal = i = None
    for i in range(len(history) - 1, -1, -1):
        if history[i].status == "appealed":
            appeal = history[i]
            break
    if appeal is None:
        return {}
    kind = appeal_kind(appeal)
    if old.status == "appealed" or old.status in APPEAL_DECISIONS:
        return {"appeal_kind": kind, "determined": _determined(history)} if kind == "side" else {"appeal_kind": kind}
    if kind == "side" and not any(m.status in ENDS_APPEAL for m in history[i + 1:]):
        return {"side_pending": True}
    return {}


def _determined(history: Sequence[Event]) -> bool:
    """Whether the request's own status (side appeals and their outcomes left out) is a
    determination."""
    base = last = None
    for m in history:
        status = m.status
        if status == "appealed":
            last = m
            if appeal_kind(m) == "side":
                continue
        elif status in APPEAL_DECISIONS and last is not None and appeal_kind(last) == "side":
            continue
        base = status
    return base in DETERMINATIONS


# The appeal letter's ground that fits each adverse determination (foia.letters.APPEAL_GROUNDS).
APPEAL_GROUND_FOR = {"denied": "withholding", "partial": "partial-withholding", "no-records": "no-records",
                     "fulfilled": "inadequate-search"}


def appeal_ground(key: str, label: str) -> str | None:
    """The appeal letter's ground for an appeal window, from what opened it (not from the
    request's current status, which may be in-litigation or in-mediation by then); None when no
    ground of the appeal letter fits (a rejection)."""
    from foia.tracker.derive import ADVERSE_BY_LABEL

    if key == "appeal_fee_waiver":
        return "fee-waiver-denied"
    if key == "appeal_expedite":
        return "expedite-denied"
    return APPEAL_GROUND_FOR.get(ADVERSE_BY_LABEL.get(label, ""))


_APPEAL_OF_TEXT = {"determination": "determination", "no-response": "agency's silence",
                   "fee-waiver-denial": "fee-waiver denial", "expedite-denial": "expedite denial"}


def appeal_of_text(of) -> str:
    """``["determination", "expedite-denial"]`` -> "determination and expedite denial"."""
    parts = [_APPEAL_OF_TEXT.get(x, str(x)) for x in of]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def appeal_of(values) -> list[str]:
    """What an appeal is said to be of (``appeal_of``), checked against APPEAL_TARGETS, once each."""
    out = list(dict.fromkeys(str(a).strip().lower() for a in values if str(a).strip()))
    for a in out:
        if a not in APPEAL_TARGETS:
            raise bad("appeal_of", f"{a!r} is not something to appeal; use one of {', '.join(APPEAL_TARGETS)}")
    return out


def appealable(evs: Sequence[Event], on: date, state: State) -> tuple[list[str], dict]:
    """What an appeal on ``on`` could be of (APPEAL_TARGETS, in that order), and the context
    `check_transition` needs to explain a refusal. After a remand only what came since counts:
    the old determination was appealed already. (A remand that decided a side appeal is no
    remand of the determination.)"""
    from foia.tracker.derive import status_events

    marks = [e for e in status_events(evs) if e.occurred_on <= on]
    remand = main_remand(marks)
    since = remand.order() if remand else None

    def fresh(e) -> bool:
        return e.occurred_on <= on and (since is None or e.order() > since)

    targets = []
    if any(e.status in DETERMINATIONS and fresh(e) for e in marks):
        targets.append("determination")
    det = next((t for t in state.deadlines if t.key == "determination"), None)
    if not targets and remand is None and det is not None and det.due is not None and on > det.due:
        targets.append("no-response")
    for target, hit in (("fee-waiver-denial", lambda e: e.type == "fee" and e.data.get("kind") == "waiver-denied"),
                        ("expedite-denial", lambda e: e.type == "expedite-decision"
                         and e.data.get("decision") == "denied")):
        # A denial keeps its own window through a remand of the determination.
        denial = next((e for e in reversed(evs) if hit(e) and e.occurred_on <= on), None)
        if denial is not None and not any(m.status == "appealed" and m.order() > denial.order()
                                          and appeals(m, target) for m in marks):
            targets.append(target)
    targets.sort(key=APPEAL_TARGETS.index)
    context = {"has_determination": bool(set(targets) - {"no-response"}),
               "determination_due": det.due if det else None,
               "remanded_on": remand.occurred_on if remand and "determination" not in targets else None}
    return targets, context


def remand_refusal(remanded_on: date) -> str:
    """Why the determination (or the silence) cannot be appealed after its remand, the words after
    "the request" or "request N": foia knows no clock for the reprocessing, so nothing is overdue."""
    return (f"was remanded on {remanded_on.isoformat()} and no new determination has been recorded since; foia "
            "knows no deadline for reprocessing after a remand, so none is overdue: record the new determination, "
            "then appeal it")


_NOTHING_OF = {"determination": "no determination", "no-response": "no overdue determination",
               "fee-waiver-denial": "no fee-waiver denial", "expedite-denial": "no expedite denial"}


def appeal_targets(rid: int, evs, on: date, state: State, asked: Sequence[str]) -> list[str]:
    """What an appeal on ``on`` is of: ``asked`` (each must be open to appeal), else all that is."""
    targets, _ = appealable(evs, on, state)
    if not asked:
        return targets      # empty: check_transition says why there is nothing to appeal
    for a in asked:
        if a not in targets:
            open_ = ", ".join(targets) or "nothing"
            raise BadValue(Text(Field("appeal_of"), f" {a}: request {rid} has {_NOTHING_OF[a]} open to appeal on "
                                f"{on.isoformat()} (open to appeal: {open_}); check ", Field("appeal_of"), " and ",
                                Field("on")), field="appeal_of")
    return sorted(asked, key=APPEAL_TARGETS.index)
