"""What the events say: the effective history, the current status and every deadline.

Pure functions (no database): the service calls :func:`derive` after every change, inside the
same transaction, and stores the result; ``show`` calls it again to print explanations.

Effective history: events sorted by the date they happened (then by id, the order they were
recorded), with ``correction`` events applied: a correction may move an event to another
date (``occurred_on``) or void it (``void``). Corrections are events too, so nothing is lost.

Clocks, from the deadline engine (foia.clocks) with the office's rules:

- determination: from receipt (a ``received`` event, else the submission date), with a
  misdirected first receipt (``first-received``), tolling periods (the first stay in
  awaiting-clarification: the statute allows one request for information; every stay in
  awaiting-fees) and the latest extension notice dated while it ran. Closed by a
  determination, a withdrawal, an appeal of the determination or of the agency's silence (not
  a "side" appeal of a fee-waiver or expedite denial alone), an appeal's outcome, or litigation.
- expedite decision: when expedited processing was asked; closed by the decision or by the
  determination.
- answer clarification by: while the agency awaits clarification (6 CFR 5.3(c) at DHS).
- appeal windows: after the latest adverse determination, fee-waiver denial or expedite
  denial; closed by an appeal of it, a withdrawal or litigation recorded after it.
- appeal decision: after the latest appeal (+10 working days after a notice dated while it
  ran); closed by its outcome.

No clock is invented where foia's sources give none: after a remand, and after a full grant
(the statute's appeal window follows an adverse determination); ``notes`` say so.

Agency deadlines stay overdue until met; a requester's window (appeal, clarification) that
has passed is "lapsed", not overdue: the service decides that at query time.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, field, replace
from datetime import date
from functools import lru_cache
from types import MappingProxyType
from typing import Any, ClassVar, Iterable, Mapping, NamedTuple, Sequence

from foia.errors import FoiaError
from foia.tracker.appeals import CLOSES_DETERMINATION, ENDS_APPEAL, WINDOW_TARGET, appeal_kind, appeals
from foia.tracker.litigation import litigation_notes
from foia.tracker.lifecycle import ADVERSE, APPEAL_DECISIONS, DETERMINATIONS, TOLLED
from foia.vocab import FROM_SENDING

EVENT_TYPES: dict[str, str] = {
    "created": "Recorded in the tracker",
    "status": "Status",
    "received": "Received by the office",
    "first-received": "First received by another office (misdirected)",
    "tracking-number": "Tracking number",
    "estimated-completion": "Estimated completion date",
    "extension-notice": "Extension notice (unusual circumstances)",
    "expedite-decision": "Expedite decision",
    "fee": "Fees",
    "documents": "Documents received",
    "letter": "Letter drafted",
    "note": "Note",
    "edited": "Assignee or tags changed",
    "correction": "Correction",
    "purged": "Identity data purged",
    "expedite-asked": "Expedited processing asked (after the request)",
    "referral": "Referred to another office (tracked as its own request)",
    "served": "Complaint served on the agency (litigation)",
    # Mail from the office kept by `foia inbox` (no clock reads them; the proposals they bring
    # are recorded as the events above, through Tracker.update).
    "mail-received": "Mail received",
    "delivery-failed": "Delivery failed (bounced mail)",
}

AGENCY, REQUESTER = "agency", "requester"

DEADLINE_KEYS = ("determination", "expedite_decision", "clarification_close", "appeal",
                 "appeal_fee_waiver", "appeal_expedite", "appeal_decision",
                 "amendment_acknowledgement", "amendment_review")
APPEAL_WINDOWS = ("appeal", "appeal_fee_waiver", "appeal_expedite")


_NO_DATA: Mapping[str, Any] = MappingProxyType({})


class Event(NamedTuple):
    """One event as the derivation sees it (a tuple: bulk imports build hundreds of thousands)."""

    id: int
    uid: str
    type: str
    occurred_on: date
    status: str | None = None
    recorded_at: str = ""
    actor: str | None = None
    note: str | None = None
    data: Mapping[str, Any] = _NO_DATA
    corrected: tuple[str, ...] = ()     # what corrections changed, for the timeline

    def order(self) -> tuple:
        return (self.occurred_on, self.id)


class Tracked(NamedTuple):
    """One clock of one request: the engine's Deadline plus whether it still runs."""

    deadline: Any          # foia.clocks.due.Deadline
    party: str             # AGENCY | REQUESTER
    open: bool
    closed_on: date | None = None
    closed_by: str | None = None   # the status or event that closed it ("denied", "withdrawn", "decision")

    @property
    def key(self) -> str:
        return self.deadline.key

    @property
    def due(self) -> date | None:
        return self.deadline.due


EXPEDITIOUS_LABEL = "Appeal decision due (expeditious consideration)"


@dataclass
class State:
    status: str = "draft"
    status_on: date | None = None
    filed_on: date | None = None
    received: date | None = None
    deadlines: list[Tracked] = field(default_factory=list)
    # Dates the engine refused: a change that adds one is refused (the service, the import).
    warnings: list[str] = field(default_factory=list)
    # What the user must see but that refuses nothing (printed "Warning: ..." by update and
    # show): a second clarification stop that does not stop the clock, a late extension notice.
    # Computed only with explain=True (the bulk import stores dates, not text).
    notices: list[str] = field(default_factory=list)
    # Plain lines for show (no statutory clock after a remand...); explain=True only, too.
    notes: list[str] = field(default_factory=list)

    # What the clocks applied, for a letter to state exactly that (with explain=False too):
    # ``tolled`` (below), each later stay awaiting clarification, which did not stop the
    # determination clock (from, to), and the extension notice each clock counted (its date).
    # Class defaults, not dataclass fields: derive sets them when there is something to say,
    # and the bulk import builds a State per row.
    not_tolled: ClassVar[tuple[tuple[date, date | None], ...]] = ()
    extension_notice: ClassVar[date | None] = None
    from_sending: ClassVar[bool] = False    # no receipt recorded: the clock counts from the sending date
    appeal_extension_notice: ClassVar[date | None] = None
    _stays: ClassVar[tuple | None] = None     # (statuses, stays, closed_on, determination) for ``tolled``

    @property
    def tolled(self) -> tuple[tuple[str, date, date | None], ...]:
        """Each stay that stopped the determination clock, (status, from, to), ``to`` None while
        it is stopped: the stays whose days the count skipped (the engine merges touching ones,
        starts each no earlier than the count, and ignores one that began once the time was
        up). Worked out when asked (a letter), not for every row of an import."""
        if self._stays is None:
            return ()
        statuses, stays, closed_on, determination = self._stays
        applied, start = determination.tolled, determination.start
        return tuple((status, since, until) for status, (since, until) in zip(statuses, stays)
                     if (closed_on is None or since < closed_on) and _within(max(since, start), until, applied))

    def due(self, party: str) -> tuple[date | None, str | None]:
        """The earliest open due date for ``party`` (with its key)."""
        found = [(t.due, t.key) for t in self.deadlines if t.open and t.party == party and t.due]
        return min(found) if found else (None, None)


def event_from_row(row) -> Event:
    m = row._mapping if hasattr(row, "_mapping") else row
    return Event(id=m["id"], uid=m["uid"], type=m["type"], occurred_on=m["occurred_on"],
                 status=m["status"], recorded_at=m["recorded_at"], actor=m["actor"],
                 note=m["note"], data=dict(m["data"] or {}))


def effective(events: Iterable[Event]) -> list[Event]:
    """The history as it stands after corrections, in the order things happened."""
    events = list(events)
    for e in events:
        if e.type == "correction":
            break
    else:
        return sorted(events, key=_ORDER)
    events.sort(key=lambda e: e.id)
    fixes: dict[str, list[Event]] = {}
    for e in events:
        if e.type == "correction" and e.data.get("event_uid"):
            fixes.setdefault(e.data["event_uid"], []).append(e)
    out = []
    for e in events:
        if e.type == "correction":
            out.append(e)
            continue
        void = False
        changed: list[str] = []
        for fix in fixes.get(e.uid, ()):
            if fix.data.get("void"):
                void = True
            if fix.data.get("occurred_on"):
                e = e._replace(occurred_on=date.fromisoformat(fix.data["occurred_on"]))
                changed.append(f"date corrected by event {fix.id}")
        if void:
            continue
        if changed:
            e = e._replace(corrected=tuple(changed))
        out.append(e)
    return sorted(out, key=_ORDER)


_ORDER = operator.itemgetter(3, 0)     # Event.order(): (occurred_on, id), without a Python call per event


def status_events(events: Sequence[Event]) -> list[Event]:
    """The events that set a status, in order; a draft's mark is left out once the request
    was submitted (see :func:`_drop_draft`)."""
    return _drop_draft([e for e in events if e.status])


def _drop_draft(marks: list[Event]) -> list[Event]:
    # A draft is dated the day it was typed: a request submitted on an earlier day (typed as
    # a draft today, recorded as sent last week) has no draft step before its submission, and
    # a draft mark after it is no step of its history either.
    if len(marks) > 1 and any(m.status == "submitted" for m in marks):
        return [m for m in marks if m.status != "draft"]
    return marks


# ---------------------------------------------------------------------------------------------
# The engine, memoised: Deadline objects are immutable and many requests share the same
# dates, so a bulk import or a recompute of a million requests computes each distinct clock once.


@lru_cache(maxsize=200_000)
def _determination(received, rules, calendar, first_received, extension, tolled, explain=True):
    from foia.clocks.due import determination_due

    return determination_due(received, rules=rules, calendar=calendar, first_received=first_received,
                             extension_notice=extension, tolled=list(tolled), explain=explain)


@lru_cache(maxsize=50_000)
def _expedite(received, rules, calendar, explain=True):
    from foia.clocks.due import expedite_decision_due

    return expedite_decision_due(received, rules=rules, calendar=calendar, explain=explain)


@lru_cache(maxsize=50_000)
def _appeal(determined, rules, calendar, explain=True):
    from foia.clocks.due import appeal_deadline

    return appeal_deadline(determined, rules=rules, calendar=calendar, explain=explain)


@lru_cache(maxsize=50_000)
def _appeal_decision(received, rules, calendar, extension, explain=True):
    from foia.clocks.due import appeal_decision_due

    return appeal_decision_due(received, rules=rules, calendar=calendar, extension_notice=extension,
                               explain=explain)


@lru_cache(maxsize=50_000)
def _clarification(asked_on, rules, calendar, explain=True):
    from foia.clocks.due import clarification_close_due

    return clarification_close_due(asked_on, rules=rules, calendar=calendar, explain=explain)


def extension_stage(marks: Sequence[Event], on: date) -> str | None:
    """Which clock an extension notice dated ``on`` extends, from the status marks: "appeal"
    while an appeal awaits its decision on that day, else "request"; None when that cannot be
    told (a side appeal awaits its decision while the determination clock still runs, so both
    clocks run). The determination clock closes as :func:`derive` closes it."""
    pending = last = None
    closed = False
    for m in marks:
        if m.occurred_on > on:
            break
        status = m.status
        if status == "appealed":
            pending = last = m
            closed = closed or appeal_kind(m) != "side"
            continue
        if status in CLOSES_DETERMINATION or (status in APPEAL_DECISIONS
                                               and (last is None or appeal_kind(last) != "side")):
            closed = True
        if pending is not None and status in ENDS_APPEAL:
            pending = None
    if pending is None:
        return "request"
    if appeal_kind(pending) == "side" and not closed:
        return None
    return "appeal"


# Facts that cannot come before the request was filed (notes, tags and letters may).
_AFTER_FILING = {"received": "received by the office", "first-received": "first received by another office",
                 "tracking-number": "tracking number", "estimated-completion": "estimated completion",
                 "extension-notice": "extension notice", "expedite-decision": "expedite decision",
                 "expedite-asked": "expedited processing asked", "served": "complaint served",
                 "fee": "fees", "documents": "documents received"}


def date_problems(events: Sequence[Event]) -> list[str]:
    """Dates in an impossible order in an effective history: a fact dated before the filing, an
    appeal received before it was sent. (Not on the import's path: the service checks a
    correction with it.)"""
    marks = status_events(events)
    filed = next((e.occurred_on for e in marks if e.status == "submitted"), None)
    out = []
    for e in events:
        if filed is not None and e.type in _AFTER_FILING and e.occurred_on < filed:
            out.append(f"{_AFTER_FILING[e.type]} (event {e.id}) on {e.occurred_on.isoformat()} would come before "
                       f"the request was filed ({filed.isoformat()})")
        got = e.data.get("received") if e.status == "appealed" else None
        if got and date.fromisoformat(got) < e.occurred_on:
            out.append(f"the appeal (event {e.id}) would be sent on {e.occurred_on.isoformat()}, after the office "
                       f"received it ({got})")
    return out


def derive(events: Iterable[Event], *, expedite: bool = False, rules=None, calendar=None,
           already_effective: bool = False, explain: bool = True, kind: str | None = None) -> State:
    """Status and deadlines from a request's events. ``rules`` None = an office without a
    statutory clock (e.g. OGIS): the status is derived, no deadline is. ``explain=False``: the
    same dates and warnings, each deadline without its explanation text (a caller that stores
    only the dates, such as the bulk import, skips the day-by-day walk). ``kind``: the request's
    kind; a Privacy Act amendment (:data:`AMENDMENT_KINDS`) runs its own clocks, not the FOIA's."""
    evs = events if already_effective else effective(events)
    state = State()
    # One pass over the history (a bulk import derives a hundred thousand requests).
    marks: list[Event] = []
    received_ev = first_ev = decision_ev = waiver_ev = asked_ev = None
    extensions: list[Event] = []
    draft = False
    for e in evs:
        if e.status:
            marks.append(e)
            if e.status == "draft":
                draft = True
        t = e.type
        if t == "status":
            continue
        if t == "received":
            received_ev = e
        elif t == "first-received":
            first_ev = e
        elif t == "extension-notice":
            extensions.append(e)
        elif t == "expedite-decision":
            if decision_ev is None:
                decision_ev = e
        elif t == "expedite-asked":
            if asked_ev is None:
                asked_ev = e
        elif t == "fee" and e.data.get("kind") == "waiver-denied":
            waiver_ev = e
    if draft:
        marks = _drop_draft(marks)
    submitted = acknowledged = None
    for e in marks:
        if e.status == "submitted":
            submitted = e
            break
    if marks:
        state.status, state.status_on = marks[-1].status, marks[-1].occurred_on
    state.filed_on = submitted.occurred_on if submitted else None
    if received_ev is None and submitted is None:
        acknowledged = next((e for e in marks if e.status == "acknowledged"), None)
    state.received = (received_ev.occurred_on if received_ev else
                      state.filed_on or (acknowledged.occurred_on if acknowledged else None))
    # No receipt recorded: the clock counts from the sending date, which is earlier than the
    # statute's start (receipt, 552(a)(6)(A)(ii)); show, due and exports say so.
    state.from_sending = received_ev is None and submitted is not None
    if rules is None or state.received is None:
        return state
    amendment = kind in AMENDMENT_KINDS
    try:
        if amendment:
            _amendment_clocks(state, marks, extensions, kind=kind, calendar=calendar, explain=explain)
        else:
            _clocks(state, marks, first_ev, decision_ev, waiver_ev, extensions, expedite=expedite or asked_ev is not None,
                    expedite_asked=asked_ev.occurred_on if asked_ev else None, rules=rules,
                    calendar=calendar, explain=explain)
    except FoiaError as exc:    # an impossible combination of dates: say so, keep the rest
        state.warnings.append(f"deadlines not computed: {exc.message}")
    if explain and state.deadlines and not amendment:
        state.notes.extend(litigation_notes(state.deadlines, marks, from_sending=state.from_sending))
    if explain and not amendment:
        from foia.tracker.litigation import answer, answer_note  # issue 14, item 18

        found = answer(evs)
        if found is not None:
            state.notes.append(answer_note(found))
    if explain:
        # The engine's own warnings (an extension notice dated after the date it extends, which
        # moves an overdue determination back into time; a tolled period that moves nothing)
        # must be seen without --explain, as `foia deadline` prints them.
        for t in state.deadlines:
            for line in t.deadline.explanation:
                if line.startswith("Warning: "):
                    text = line[len("Warning: "):].replace("the notice is dated", "the extension notice is dated", 1)
                    state.notices.append(f"{t.deadline.label}: {text}")
    return state


def _clocks(state: State, marks: list[Event], first_ev, decision_ev, waiver_ev, extensions, *, expedite, rules,
            calendar, explain: bool = True, expedite_asked: date | None = None) -> None:
    if calendar is None:
        from foia.clocks.calendar import default_calendar

        calendar = default_calendar()
    cal = calendar
    received = state.received
    out = state.deadlines
    # One pass over the status history (a bulk import derives a hundred thousand requests):
    # the first status that closes the determination clock, each stay in a status that stops
    # it, the last stay awaiting clarification, the last adverse determination, the last appeal.
    closer = adverse = appeal = asked = answer = None    # answer: the last determination or remand
    stops: list[tuple[date, date | None]] = []
    stop_status: list[str] = []
    # The agency may make ONE request for information and stop the clock while it awaits the
    # answer (5 U.S.C. 552(a)(6)(A)(ii)(I)); stops to clarify fees ((II)) may repeat. So only
    # the first stay awaiting clarification tolls; later ones are kept to warn about.
    again: list[tuple[date, date | None]] = []
    n = len(marks)
    for i, e in enumerate(marks):
        status = e.status
        if closer is None:
            if status in CLOSES_DETERMINATION:
                closer = e
            elif status == "appealed":
                # A side appeal leaves the request in processing: its clock runs on.
                if appeal_kind(e) != "side":
                    closer = e
            elif status in APPEAL_DECISIONS:
                # An appeal's outcome follows a determination or an appeal of the silence (a CSV
                # row may give it without either), unless it decides a side appeal.
                if appeal is None or appeal_kind(appeal) != "side":
                    closer = e
        if status in TOLLED:
            period = (e.occurred_on, marks[i + 1].occurred_on if i + 1 < n else None)
            if status == "awaiting-clarification":
                if asked is None:
                    stops.append(period)
                    stop_status.append(status)
                else:
                    again.append(period)
                asked = period
            else:
                stops.append(period)
                stop_status.append(status)
        if status in ADVERSE or status == "fulfilled":
            # A full grant opens a window too: 6 CFR 5.8(a)(1) counts from the component's
            # response, and an inadequate search may be appealed (noted below).
            adverse = e
        elif status == "appealed":
            appeal = e
        if status in DETERMINATIONS or (status == "remanded" and (appeal is None or appeal_kind(appeal) != "side")):
            answer = e      # a remand of a side appeal leaves the determination as it was

    # -- determination ------------------------------------------------------------------
    closed_on = closer.occurred_on if closer else None
    first_received = first_ev.occurred_on if first_ev and first_ev.occurred_on < received else None
    tolled = tuple(p for p in stops if closed_on is None or p[0] < closed_on) if stops else ()
    # Each notice extends the clock running on its date: the request's, or an appeal's.
    stages = [(e, extension_stage(marks, e.occurred_on) or e.data.get("stage", "request")) for e in extensions] \
        if extensions else ()
    ext = None
    for e, stage in stages:
        if stage == "request" and (closed_on is None or e.occurred_on <= closed_on):
            ext = e
    determination = _determination(received, rules, cal, first_received,
                                   ext.occurred_on if ext else None, tolled, explain)
    if state.from_sending:
        determination = replace(determination, rule=f"{determination.rule}; {FROM_SENDING}")
    out.append(Tracked(determination, AGENCY, closer is None, closed_on, closer.status if closer else None))
    if ext is not None:
        state.extension_notice = ext.occurred_on
    if tolled:
        state._stays = (stop_status, stops, closed_on, determination)
    if again:
        state.not_tolled = tuple(p for p in again if closed_on is None or p[0] < closed_on)
    if explain:
        for since, _ in state.not_tolled:
            state.notices.append(
                f"awaiting clarification again from {since.isoformat()}: a second request for information "
                "does not stop the determination clock (the agency may make one such request, "
                "5 U.S.C. 552(a)(6)(A)(ii)(I)); only a fee question (awaiting-fees, (II)) may stop it again")

    # -- expedite decision ---------------------------------------------------------------
    if expedite:
        ended = decision_ev.occurred_on if decision_ev else closed_on
        by = "decision" if decision_ev else (closer.status if closer else None)
        # Asked after the request (an `expedite-asked` event): its 10 days run from that date.
        asked_on = max(expedite_asked, received) if expedite_asked else received
        out.append(Tracked(_expedite(asked_on, rules, cal, explain), AGENCY, ended is None, ended, by))
        if decision_ev is not None and decision_ev.data.get("decision") == "denied":
            _window(out, marks, decision_ev, "appeal_expedite", "Appeal deadline (expedite denial)", rules, cal,
                    explain)

    # -- clarification -------------------------------------------------------------------
    if asked is not None:
        start, end = asked
        close = _clarification(start, rules, cal, explain)
        if close is not None:
            out.append(Tracked(close, REQUESTER, end is None, end, "answered" if end else None))

    # -- appeal windows ------------------------------------------------------------------
    if adverse is not None:
        _window(out, marks, adverse, "appeal", _WINDOW_LABELS[adverse.status], rules, cal, explain)
    if waiver_ev is not None:
        _window(out, marks, waiver_ev, "appeal_fee_waiver", "Appeal deadline (fee waiver denial)", rules, cal,
                explain)

    if explain and answer is not None and answer.status == "remanded" and state.status not in ("withdrawn",):
        # Do not invent a clock: nothing in foia's sources sets one for reprocessing.
        state.notes.append(f"No statutory clock after remand (remanded {answer.occurred_on.isoformat()}): foia knows "
                           "no deadline for reprocessing a remanded request (none in 5 U.S.C. 552 or its other "
                           "sources), so it shows none; follow up with the office. An appeal needs the new "
                           "determination.")

    if explain and adverse is not None and adverse.status == "fulfilled":
        state.notes.append(f"Appeal window after a full grant: {rules.appeal_rule} counts the appeal time from the "
                           f"office's response, so the adequacy of the search may be appealed in it; the statute's "
                           f"window (5 U.S.C. 552(a)(6)(A)(i)(III)(aa)) follows an adverse determination, and a full "
                           f"grant is not one: appeal only if records are missing.")
    if explain and state.from_sending and closer is None:
        state.notes.append(f"Determination due {FROM_SENDING}: the office's receipt date is not recorded, so the "
                           f"clock counts from the day the request was sent ({state.filed_on.isoformat()}); the "
                           "statute's clock starts on receipt (5 U.S.C. 552(a)(6)(A)(ii)), which may be later: "
                           "do not sue before the receipt date is known (record it as the date received).")

    # -- appeal decision -----------------------------------------------------------------
    if appeal is not None:
        got = appeal.data.get("received")
        appeal_received = date.fromisoformat(got) if got else appeal.occurred_on
        after = appeal.order()
        outcome = next((e for e in marks if e.status in ENDS_APPEAL and e.order() > after), None)
        ext = None
        for e, stage in stages:
            if stage == "appeal" and e.occurred_on >= appeal.occurred_on:
                ext = e
        if ext is not None:
            state.appeal_extension_notice = ext.occurred_on
        decision = _appeal_decision(appeal_received, rules, cal, ext.occurred_on if ext else None, explain)
        if tuple(appeal.data.get("of") or ()) == ("expedite-denial",):
            # An appeal of an expedite denial is owed "expeditious consideration"
            # (552(a)(6)(E)(ii)(II)): the appeal limit's date is the latest, not an allowance.
            decision = replace(decision, label=EXPEDITIOUS_LABEL,
                               rule=f"5 U.S.C. 552(a)(6)(E)(ii)(II); at the latest {decision.rule}")
            if explain and outcome is None:
                state.notes.append(f"The appeal of the expedite denial ({appeal.occurred_on.isoformat()}) is owed "
                                   "expeditious consideration (5 U.S.C. 552(a)(6)(E)(ii)(II)), not a 20-working-day "
                                   f"allowance: {decision.due.isoformat()} is the latest the appeal limit allows.")
        ended = outcome.occurred_on if outcome else None
        out.append(Tracked(decision, AGENCY, ended is None, ended, outcome.status if outcome else None))


# -- Privacy Act amendment ------------------------------------------------------------------
# A request to amend a record (kind "amendment", 5 U.S.C. 552a(d)(2)) must be acknowledged within
# 10 days excluding Saturdays, Sundays and legal public holidays; the review of a refusal (an
# appeal recorded on it, or a request of kind "amendment-appeal", 552a(d)(3)) decided within 30
# such days unless extended for good cause. None of the FOIA clocks applies to them: no 20-day
# determination, no appeal window (foia's sources set no time for asking a review), no expedite
# or clarification clock, and no FOIA exhaustion (fact sheet, "Additions of 2026-12-03").
AMENDMENT_KINDS = frozenset({"amendment", "amendment-appeal"})
# What shows that the office has the amendment request: the acknowledgement clock is met (or late).
ACKNOWLEDGING = frozenset({"acknowledged", "in-progress", "awaiting-clarification", "awaiting-fees"}) | DETERMINATIONS
AMENDMENT_CLOCKS = ("amendment_acknowledgement", "amendment_review")
EXTENDED = "extended"     # closed_by of a review the agency extended for good cause (552a(d)(3))


@lru_cache(maxsize=50_000)
def _amendment_ack(received, calendar, explain=True):
    from foia.clocks.due import amendment_acknowledgement_due

    return amendment_acknowledgement_due(received, calendar=calendar, explain=explain)


@lru_cache(maxsize=50_000)
def _amendment_review(received, calendar, explain=True):
    from foia.clocks.due import amendment_review_due

    return amendment_review_due(received, calendar=calendar, explain=explain)


def _amendment_clocks(state: State, marks: list[Event], extensions: list[Event], *, kind: str, calendar,
                      explain: bool = True) -> None:
    if calendar is None:
        from foia.clocks.calendar import default_calendar

        calendar = default_calendar()
    cal, out, received = calendar, state.deadlines, state.received
    sent = f" ({state.filed_on.isoformat()})" if state.filed_on else ""
    review = outcome = None
    if kind == "amendment":
        closer = next((m for m in marks if m.status not in ("draft", "submitted")), None)
        ack = _amendment_ack(received, cal, explain)
        if state.from_sending:
            ack = replace(ack, rule=f"{ack.rule}; {FROM_SENDING}")
        out.append(Tracked(ack, AGENCY, closer is None, closer.occurred_on if closer else None,
                           closer.status if closer else None))
        appeal = next((m for m in reversed(marks) if m.status == "appealed"), None)
        if appeal is not None:
            got = appeal.data.get("received")
            review = _amendment_review(date.fromisoformat(got) if got else appeal.occurred_on, cal, explain)
            outcome = next((m for m in marks if m.status in ENDS_APPEAL and m.order() > appeal.order()), None)
        for e in extensions:
            if explain and (appeal is None or e.occurred_on < appeal.occurred_on):
                state.notices.append(f"the extension notice of {e.occurred_on.isoformat()} does not move the "
                                     "acknowledgement: 5 U.S.C. 552a(d)(2) provides no extension; only the review of a "
                                     "refusal may be extended, for good cause (552a(d)(3))")
        decided = [m for m in marks if m.status in DETERMINATIONS]
        if explain and not decided and state.status != "withdrawn":
            state.notes.append("After acknowledging, the agency must promptly correct the record or refuse "
                               "(5 U.S.C. 552a(d)(2)): the statute sets no number of days, so foia shows no date for it.")
        if explain and decided and decided[-1].status in ADVERSE and appeal is None:
            state.notes.append(f"Refused ({decided[-1].status} on {decided[-1].occurred_on.isoformat()}): you may ask for "
                               "a review of the refusal (5 U.S.C. 552a(d)(3)); foia's sources set no time limit for "
                               "asking, so no window is shown. Draft it with `foia draft amendment-appeal` and record "
                               "it here with --status appealed; the review clock then runs.")
        start = appeal
    else:       # "amendment-appeal": the request is the request for review
        review = _amendment_review(received, cal, explain)
        if state.from_sending:
            review = replace(review, rule=f"{review.rule}; {FROM_SENDING}")
        outcome = next((m for m in marks if m.status in CLOSES_DETERMINATION | APPEAL_DECISIONS | {"appealed"}),
                       None)
        start = next((m for m in marks if m.status == "submitted"), None)
    if review is not None:
        ended = outcome.occurred_on if outcome else None
        # The head of the agency may extend the review for good cause (552a(d)(3)), for no length
        # the statute sets: the clock ends there, with no new date.
        ext = next((e for e in extensions if start is not None and e.occurred_on >= start.occurred_on
                    and (ended is None or e.occurred_on <= ended)), None)
        if ext is not None and outcome is None:
            out.append(Tracked(review, AGENCY, False, ext.occurred_on, EXTENDED))
            if explain:
                state.notes.append(f"The review was extended for good cause on {ext.occurred_on.isoformat()} (5 U.S.C. "
                                   "552a(d)(3) allows it): the statute sets no length for the extension, so foia shows "
                                   "no new date; follow up with the office.")
                if review.due and ext.occurred_on > review.due:
                    state.notices.append(f"the extension notice of {ext.occurred_on.isoformat()} is dated after the "
                                         f"review was due ({review.due.isoformat()}, 5 U.S.C. 552a(d)(3)); check it")
        else:
            out.append(Tracked(review, AGENCY, outcome is None, ended, outcome.status if outcome else None))
        if explain:
            state.notes.append("No exhaustion or limitations date is computed for a Privacy Act amendment: foia's "
                               "sources give the FOIA's rules (5 U.S.C. 552(a)(6)(C)(i); 28 U.S.C. 2401(a)), not the "
                               "Privacy Act's; check them with counsel before relying on any date.")
    if explain and state.from_sending:
        first = out[0]
        if first.open:
            state.notes.append(f"{first.deadline.label} {FROM_SENDING}: the office's receipt date is not recorded, so "
                               f"the clock counts from the day the request was sent{sent}; the statute counts from "
                               f"receipt ({first.deadline.rule.split(';')[0]}), which may be later (record it as the "
                               "date received).")


def _within(since: date, until: date | None, applied) -> bool:
    """Whether the stay (since, until] lies in a period the count skipped (``until`` None: it
    goes on, and so must the period) and skipped some of its days."""
    for a, b in applied:
        if a <= since and (b is None or (until is not None and until <= b)) and (until is None or until > a):
            return True
    return False


_ADVERSE_LABELS = {status: f"Appeal deadline ({status.replace('-', ' ')})" for status in ADVERSE}
_WINDOW_LABELS = {**_ADVERSE_LABELS, "fulfilled": "Appeal deadline (full grant: adequacy of the search)"}
ADVERSE_BY_LABEL = {label: status for status, label in _WINDOW_LABELS.items()}     # the stored label -> status
# A window ends with an appeal of what opened it, a withdrawal, or a lawsuit (the requester
# chose the court: foia no longer proposes an appeal).
_ENDS_WINDOW = ("appealed", "withdrawn", "in-litigation")


@lru_cache(maxsize=50_000)
def _appeal_window(start, rules, calendar, key, label, explain=True):
    return replace(_appeal(start, rules, calendar, explain), key=key, label=label)


def _window(out, marks, opened: Event, key: str, label: str, rules, cal, explain: bool = True) -> None:
    deadline = _appeal_window(opened.occurred_on, rules, cal, key, label, explain)
    target = WINDOW_TARGET[key]
    after = opened.order()
    appealed = None
    for e in marks:
        if e.status in _ENDS_WINDOW and (e.status != "appealed" or appeals(e, target)) and (
                e.order() > after
                # an appeal that names what it is of follows it, even typed first the same day
                or (e.occurred_on == opened.occurred_on and target in (e.data.get("of") or ()))):
            appealed = e
            break
    out.append(Tracked(deadline, REQUESTER, appealed is None, appealed.occurred_on if appealed else None,
                       appealed.status if appealed else None))
