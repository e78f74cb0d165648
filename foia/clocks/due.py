"""Every statutory clock of a request, each due date with the reasoning behind it.

A clinic files an appeal or a lawsuit on these dates, so every date comes with the reasoning
behind it: which days were counted and which were skipped, and why (weekend, the holiday's
name, a closure, a tolled period). The days are counted on ``calendar.py``'s working-day
calendar, with an office's ``rules.py`` rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Iterable, Sequence

from foia.clocks.calendar import MIN_YEAR, WorkingCalendar, bad_input, default_calendar, last_year_known, weekday
from foia.clocks.rules import (AMENDMENT_ACK_WORKING_DAYS, AMENDMENT_REVIEW_WORKING_DAYS, RULE_AMENDMENT_ACK,
                               RULE_AMENDMENT_REVIEW, RULE_APPEAL_DECISION, RULE_APPEAL_FLOOR, RULE_CLARIFICATION,
                               RULE_DETERMINATION, RULE_EXPEDITE, RULE_EXTENSION, RULE_MISDIRECTED, RULE_TOLLING,
                               ClockRules, cite, is_dhs)
from foia.errors import UsageError

# How the explanation of a stopped clock says to give the answer date (`foia deadline`'s syntax;
# the tracker replaces it with its own command).
RESUME_HINT = "give the answer date as FROM:TO."


def _show(d: date) -> str:
    return f"{d.isoformat()} ({weekday(d)})"


@dataclass(frozen=True)
class Deadline:
    """One clock's due date and the reasoning behind it."""

    key: str            # "determination" | "expedite_decision" | "appeal" | "appeal_decision" | "clarification_close"
    label: str          # human label, e.g. "Determination due"
    start: date         # the date the count starts from
    due: date | None    # None only while the clock is stopped by an open tolling period
    rule: str           # citation, e.g. "5 U.S.C. 552(a)(6)(A)(i); 6 CFR 5.5(a)"
    explanation: tuple[str, ...]   # what was counted, each skipped day and why, tolled periods
    # determination: the tolled periods the count applied, merged, each from the day it took
    # effect (not before the count started); (from, None): stopped now. Not in to_dict.
    tolled: tuple[tuple[date, date | None], ...] = ()

    def to_dict(self) -> dict:
        """JSON-ready: dates as ISO strings, plus the due date's weekday."""
        return {
            "key": self.key,
            "label": self.label,
            "start": self.start.isoformat(),
            "due": self.due.isoformat() if self.due else None,
            "due_weekday": weekday(self.due) if self.due else None,
            "rule": self.rule,
            "explanation": list(self.explanation),
        }


def _walk(cal: WorkingCalendar, start: date, end: date, *, tolled: Iterable[tuple[date, date]] = (),
          first_number: int = 1, extension_from: int | None = None) -> list[str]:
    """Explain the days in (start, end]: runs of counted working days, and each skipped day
    with its reason. ``tolled`` holds (from, to) periods whose working days in (from, to] are
    not counted. Counted days are numbered from ``first_number``; numbers from
    ``extension_from`` on are marked as extension days."""
    lines: list[str] = []
    stopped = [(a.toordinal(), b.toordinal()) for a, b in tolled]
    run: list[tuple[date, int]] = []
    skipped: list[str] = []   # consecutive skipped days share a line
    number = first_number

    def flush_skipped():
        if skipped:
            lines.append(", ".join(skipped) + " skipped")
            skipped.clear()

    def flush():
        if not run:
            return
        (d0, n0), (d1, n1) = run[0], run[-1]
        what = "working day" if n0 == n1 else "working days"
        nums = f"{n0}" if n0 == n1 else f"{n0}-{n1}"
        days = _show(d0) if d0 == d1 else f"{_show(d0)} to {_show(d1)}"
        extra = ""
        if extension_from is not None and n1 >= extension_from:
            extra = " (extension)" if n0 >= extension_from else f" (from day {extension_from}: extension)"
        lines.append(f"{days}: {what} {nums}{extra} counted")
        run.clear()

    d = start + timedelta(days=1)
    while d <= end:
        o = d.toordinal()
        period = next(((a, b) for a, b in stopped if a < o <= b), None)
        if period is not None:
            flush()
            flush_skipped()
            last = date.fromordinal(min(period[1], end.toordinal()))
            days = [d + timedelta(days=i) for i in range((last - d).days + 1)]
            closed = [f"{x.isoformat()} {cal.skip_reason(x)}" for x in days if not cal.is_working_day(x)]
            k = len(days) - len(closed)
            line = (f"{d.isoformat()} to {last.isoformat()} tolled (clock stopped): "
                    f"{k} working day{'s' if k != 1 else ''} not counted")
            lines.append(line + (f"; also closed: {', '.join(closed)}" if closed else ""))
            d = last + timedelta(days=1)
            continue
        if not cal.is_working_day(d):
            flush()
            skipped.append(f"{d.isoformat()} {cal.skip_reason(d)}")
        else:
            flush_skipped()
            run.append((d, number))
            number += 1
        d += timedelta(days=1)
    flush()
    flush_skipped()
    return lines


def _merge_tolled(tolled: Sequence[tuple[date, date | None]]) -> list[tuple[date, date | None]]:
    """Sort and merge overlapping or touching periods; check each is well formed."""
    periods = []
    for i, period in enumerate(tolled, 1):
        try:
            start, stop = period
        except (TypeError, ValueError):
            raise UsageError(f"tolled period {i} must be a (from, to) pair of dates") from None
        if not isinstance(start, date) or (stop is not None and not isinstance(stop, date)):
            raise UsageError(f"tolled period {i} must be a (from, to) pair of dates")
        if stop is not None and stop < start:
            raise UsageError(f"tolled period {start.isoformat()}:{stop.isoformat()} ends before it "
                             "starts; give FROM:TO with FROM on or before TO")
        periods.append((start, stop))
    periods.sort(key=lambda p: (p[0], p[1] is None, p[1] or date.max))
    merged: list[tuple[date, date | None]] = []
    for start, stop in periods:
        if merged and (merged[-1][1] is None or start <= merged[-1][1]):
            prev_start, prev_stop = merged[-1]
            if prev_stop is None or stop is None:
                merged[-1] = (prev_start, None)
            else:
                merged[-1] = (prev_start, max(prev_stop, stop))
        else:
            merged.append((start, stop))
    return merged


def _calendar(calendar: WorkingCalendar | None) -> WorkingCalendar:
    return calendar if calendar is not None else default_calendar()


def determination_due(received: date, *, rules: ClockRules = ClockRules(),
                      calendar: WorkingCalendar | None = None,
                      first_received: date | None = None, extension_notice: date | None = None,
                      tolled: Sequence[tuple[date, date | None]] = (), explain: bool = True) -> Deadline:
    """When the agency must determine a request: 20 working days after receipt by the right
    office (5 U.S.C. 552(a)(6)(A)(i); 6 CFR 5.5(a)).

    - ``first_received``: a request first received by another (designated) component starts
      the clock no later than 10 working days after that first receipt (552(a)(6)(A)(ii);
      6 CFR 5.5(a)): the count starts from the earlier of ``received`` and that 10th working day.
    - ``tolled``: (from, to) periods while the agency awaited information it asked for or a fee
      clarification (552(a)(6)(A)(ii)(I)-(II)). The working days in (from, to] are not counted:
      the day the agency asks is a day it had the request; the day the answer arrives is, like
      a day of receipt, not counted. A period that starts on or after the due date does not move
      it. ``to=None`` means still stopped: ``due`` is None.
    - ``extension_notice``: a dated unusual-circumstances notice adds the office's extension
      (10 working days, 552(a)(6)(B)(i)) to the due date. A notice dated before the (first)
      receipt raises UsageError; one dated after the due date is applied with a warning.
    - ``explain=False``: the same dates and errors, without the explanation text (empty), for
      callers that store only the dates (the tracker's bulk import).
    """
    cal = _calendar(calendar)
    n = rules.determination_working_days
    lines: list[str] = []

    start = received
    if first_received is not None and first_received != received:
        if first_received > received:
            raise UsageError(f"first receipt {first_received.isoformat()} is after receipt by the right "
                             f"office {received.isoformat()}; first receipt is the earlier date")
        latest = cal.add_working_days(first_received, rules.misdirected_max_working_days)
        if explain:
            lines.append(f"First received by another component on {_show(first_received)}; the clock "
                         f"starts on receipt by the right office but no later than "
                         f"{rules.misdirected_max_working_days} working days after first receipt, "
                         f"{_show(latest)} ({cite(rules, RULE_MISDIRECTED)}).")
        if latest < received:
            start = latest
            if explain:
                lines.append(f"Received by the right office on {_show(received)}, after that limit: "
                             f"the count starts from {_show(latest)}.")
                lines.extend("  " + line for line in _walk(cal, first_received, latest))
        elif explain:
            lines.append(f"Received by the right office on {_show(received)}, within that limit: "
                         "the count starts from that receipt.")

    if extension_notice is not None and extension_notice < min(received, first_received or received):
        raise UsageError(f"extension notice {extension_notice.isoformat()} is dated before the request "
                         f"was received ({min(received, first_received or received).isoformat()}); "
                         "check the dates")
    if explain:
        lines.append(f"Start: {_show(start)}. Counting {n} working days strictly after it "
                     "(the start day itself is not counted).")
    due: date | None = cal.add_working_days(start, n)

    # Tolling: each applied period pushes the due date by exactly the working days it stopped.
    applied: list[tuple[date, date | None]] = []
    periods = _merge_tolled(tolled)
    if len(periods) > 1 and explain:
        lines.append("Note: the agency may stop the clock only once to ask for information "
                     "(552(a)(6)(A)(ii)(I)); further stops must be to clarify fees ((II)).")
    for p_from, p_to in periods:
        shown = f"{p_from.isoformat()}:{p_to.isoformat() if p_to else ''}" if explain else ""
        if p_to is not None and p_to <= start:
            if explain:
                lines.append(f"Warning: tolled period {shown} ends before the clock started: ignored.")
            continue
        earliest = min(received, first_received or received)
        if p_from < earliest and explain:
            # The agency cannot ask about a request it does not have: most likely a typing
            # mistake, so the clipped count is flagged.
            lines.append(f"Warning: tolled period {shown} starts before the request was received "
                         f"({earliest.isoformat()}); only the part after the clock started counts. "
                         "Check the dates.")
        effective_from = max(p_from, start)
        if effective_from >= due:
            if explain:
                lines.append(f"Warning: tolled period {shown} starts on or after the due date {due.isoformat()}: "
                             "it does not move it (the clock can be stopped only while it runs, "
                             f"{RULE_TOLLING}).")
            continue
        if p_to is None:
            if explain:
                remaining = cal.working_days_between(effective_from, due)
                lines.append(f"Clock stopped since {_show(effective_from)} (awaiting the requester's "
                             f"answer, {RULE_TOLLING}); {remaining} working days remain. It resumes the "
                             f"day after the answer arrives: {RESUME_HINT}")
            due = None
            applied.append((effective_from, None))
            break
        k = cal.working_days_between(effective_from, p_to)
        due = cal.add_working_days(due, k)
        applied.append((effective_from, p_to))
        if explain:
            lines.append(f"Tolled {shown} ({RULE_TOLLING}): {k} working days in "
                         f"({effective_from.isoformat()}, {p_to.isoformat()}] not counted; the due date "
                         f"moves {k} working days, to {due.isoformat()}.")

    extension_from = None
    if extension_notice is not None:
        ext = rules.extension_working_days
        if due is None:
            if explain:
                lines.append(f"Extension notice of {_show(extension_notice)}: {ext} more working days "
                             f"({RULE_EXTENSION}) will be added once the clock resumes.")
        elif extension_notice > due:
            # The limit may be extended only "by written notice" while it runs (552(a)(6)(B)(i)):
            # a notice dated after it ran out extends nothing, and the requester is deemed to
            # have exhausted the administrative remedies from the next day (552(a)(6)(C)(i)).
            if explain:
                try:
                    claimed = cal.add_working_days(due, ext).isoformat()
                except UsageError:
                    # The explanation must not refuse what the clock itself accepts (the
                    # unexplained path never counts the claimed date).
                    claimed = "a date past the years the calendar covers"
                lines.append(f"Warning: the extension notice is dated {extension_notice.isoformat()}, after the "
                             f"time limit ran out on {due.isoformat()}: it does not extend it ({RULE_EXTENSION} "
                             f"requires notice while the limit runs). Statutory due date {due.isoformat()}; the "
                             f"notice would claim up to {claimed}. Exhaustion accrued on "
                             f"{(due + timedelta(days=1)).isoformat()} (5 U.S.C. 552(a)(6)(C)(i)).")
        else:
            original = due
            due = cal.add_working_days(due, ext)
            extension_from = n + 1
            if explain:
                lines.append(f"Unusual-circumstances notice dated {_show(extension_notice)}: up to {ext} "
                             f"more working days ({RULE_EXTENSION}), from {original.isoformat()} to "
                             f"{due.isoformat()}. The notice may name an earlier date; this is the latest "
                             "the statute allows.")
                if extension_notice < start:
                    lines.append(f"Warning: the notice is dated before the clock started "
                                 f"({start.isoformat()}); check the dates.")

    if due is not None and explain:
        lines.extend(_walk(cal, start, due, tolled=applied, extension_from=extension_from))
        lines.append(f"Due: {_show(due)}.")
    return Deadline("determination", "Determination due", start, due,
                    cite(rules, RULE_DETERMINATION), tuple(lines), tuple(applied))


def _calendar_day_clock(cal: WorkingCalendar, start: date, days: int, rule_text: str, *,
                        requester_acts: bool, explain: bool = True) -> tuple[date, list[str]]:
    """``requester_acts``: the requester must act by the due date (an appeal window), so the
    explanation advises acting by the working day before a non-working due date; on the
    agency's own deadline (the expedite decision) that advice would mislead."""
    cal.is_working_day(start)       # a start outside the calendar's years: UsageError
    top = last_year_known()
    try:
        due = start + timedelta(days=days)
    except OverflowError:
        due = date.max
    if due.year > top:
        raise UsageError(f"{days} calendar days after {start.isoformat()} is past the years foia's "
                         f"working-day calendar covers ({MIN_YEAR}-{top}, the years with federal "
                         "holiday data)")
    if not explain:
        return due, []
    lines = [f"Start: {_show(start)}. Counting {days} calendar days: every day counts, "
             "weekends and holidays included."]
    reason = cal.reason_closed(due)
    if reason:
        lines.append(f"The last day, {due.isoformat()}, is not a working day ({reason}). No rule in "
                     f"foia's sources moves it to the next working day ({rule_text}): it is not "
                     "moved." + (" Act by the working day before it to be safe." if requester_acts else ""))
    lines.append(f"Due: {_show(due)}.")
    return due, lines


def expedite_decision_due(received: date, *, rules: ClockRules = ClockRules(),
                          calendar: WorkingCalendar | None = None, explain: bool = True) -> Deadline:
    """When the agency must decide a request for expedited processing: 10 calendar days at DHS
    (6 CFR 5.5(e)(4)); the statute says 10 days (552(a)(6)(E)(ii)(I)). ``explain=False``: the
    same date without the explanation text."""
    cal = _calendar(calendar)
    n = rules.expedite_decision_days
    if rules.expedite_decision_unit == "calendar":
        due, lines = _calendar_day_clock(cal, received, n, cite(rules, RULE_EXPEDITE), requester_acts=False,
                                         explain=explain)
    else:
        due = cal.add_working_days(received, n)
        lines = []
        if explain:
            lines = [f"Start: {_show(received)}. Counting {n} working days strictly after it."]
            lines += _walk(cal, received, due) + [f"Due: {_show(due)}."]
    return Deadline("expedite_decision", "Expedite decision due", received, due,
                    cite(rules, RULE_EXPEDITE), tuple(lines))


def _requester_calendar(cal: WorkingCalendar) -> WorkingCalendar:
    """The calendar a requester's own window is counted on: without the extra closures. Closure
    days are not "legal public holidays" (552(a)(6)(A)(i)); skipping them lengthens the agency's
    deadlines (conservative: never sue early) but would lengthen the requester's windows too,
    which is unsafe (fact sheet, "Additions of 2026-12-03")."""
    return default_calendar() if cal.closures else cal


def _closure_note(cal: WorkingCalendar, start: date, plain_due: date, n: int) -> str | None:
    """A warning when the closures would give the requester more days than ``plain_due``."""
    if not cal.closures:
        return None
    longer = cal.add_working_days(start, n)
    if longer <= plain_due:
        return None
    skipped = sorted(d for d in cal.closures if start < d <= longer)
    names = ", ".join(f"{d.isoformat()} {cal.closures[d]}" for d in skipped)
    return (f"Warning: act by {plain_due.isoformat()}, counted without the closures ({names}), which are not "
            f"legal public holidays (5 U.S.C. 552(a)(6)(A)(i)); counting them would give until {longer.isoformat()}.")


def appeal_deadline(determination_date: date, *, rules: ClockRules = ClockRules(),
                    calendar: WorkingCalendar | None = None, explain: bool = True) -> Deadline:
    """The last day to appeal an adverse determination: the office's rule (DHS: 90 working
    days, 6 CFR 5.8(a)); the statute's floor is "not less than 90 days" (552(a)(6)(A)(i)(III)(aa)).
    ``explain=False``: the same date without the explanation text."""
    cal = _calendar(calendar)
    n = rules.appeal_window_days
    rule = rules.appeal_rule if RULE_APPEAL_FLOOR in rules.appeal_rule else f"{rules.appeal_rule}; {RULE_APPEAL_FLOOR}"
    cal.is_working_day(determination_date)   # outside the calendar's years: UsageError, not an overflow
    if rules.appeal_window_unit == "working":
        plain = _requester_calendar(cal)
        due = plain.add_working_days(determination_date, n)
        lines = []
        if explain:
            lines = [f"Start: {_show(determination_date)}, the date of the adverse determination. "
                     f"Counting {n} working days strictly after it ({rules.appeal_rule})."]
            lines += _walk(plain, determination_date, due)
            if rules.appeal_rule.startswith("6 CFR 5.8"):
                lines.append("DHS: the appeal must be postmarked or sent electronically by this day; "
                             "electronic filing is on time until 11:59:59 p.m. Eastern on it (6 CFR 5.8(a)).")
            note = _closure_note(cal, determination_date, due, n)
            if note:
                lines.append(note)
            lines.append(f"Due: {_show(due)}.")
    else:
        due, lines = _calendar_day_clock(cal, determination_date, n, rule, requester_acts=True, explain=explain)
        if explain:
            lines.insert(-1, 'The statute\'s text is "not less than 90 days after the date of such '
                             f'adverse determination" ({RULE_APPEAL_FLOOR}).')
    floor = determination_date + timedelta(days=90)
    if due < floor and explain:
        lines.insert(-1, f"Warning: this is earlier than the statute's floor of 90 days after the "
                         f"determination ({floor.isoformat()}, {RULE_APPEAL_FLOOR}).")
    return Deadline("appeal", "Appeal deadline", determination_date, due, rule, tuple(lines))


def appeal_decision_due(appeal_received: date, *, rules: ClockRules = ClockRules(),
                        calendar: WorkingCalendar | None = None,
                        extension_notice: date | None = None, explain: bool = True) -> Deadline:
    """When the agency must decide an appeal: 20 working days after receipt (552(a)(6)(A)(ii);
    6 CFR 5.8(d)), plus up to 10 working days after an unusual-circumstances notice.
    ``explain=False``: the same date without the explanation text."""
    cal = _calendar(calendar)
    if extension_notice is not None and extension_notice < appeal_received:
        raise UsageError(f"extension notice {extension_notice.isoformat()} is dated before the appeal "
                         f"was received ({appeal_received.isoformat()}); check the dates")
    n = rules.appeal_decision_working_days
    due = cal.add_working_days(appeal_received, n)
    lines = []
    if explain:
        lines.append(f"Start: {_show(appeal_received)}, receipt of the appeal. Counting {n} working days "
                     "strictly after it.")
    extension_from = None
    if extension_notice is not None:
        original = due
        due = cal.add_working_days(due, rules.extension_working_days)
        extension_from = n + 1
        if explain:
            lines.append(f"Unusual-circumstances notice dated {_show(extension_notice)}: up to "
                         f"{rules.extension_working_days} more working days ({RULE_EXTENSION}), from "
                         f"{original.isoformat()} to {due.isoformat()}.")
            if extension_notice > original:
                lines.append(f"Warning: the notice is dated after the due date it extends "
                             f"({original.isoformat()}); applied here anyway; check the notice.")
    if explain:
        lines += _walk(cal, appeal_received, due, extension_from=extension_from)
        lines.append(f"Due: {_show(due)}.")
    return Deadline("appeal_decision", "Appeal decision due", appeal_received, due,
                    cite(rules, RULE_APPEAL_DECISION), tuple(lines))


def clarification_close_due(asked_on: date, *, rules: ClockRules = ClockRules(),
                            calendar: WorkingCalendar | None = None, explain: bool = True) -> Deadline | None:
    """The last day to answer an agency's request for clarification before DHS may close the
    request administratively (30 working days, 6 CFR 5.3(c)). None if the office has no such rule.
    ``explain=False``: the same date without the explanation text."""
    n = rules.clarification_close_working_days
    if n is None:
        return None
    cal = _calendar(calendar)
    plain = _requester_calendar(cal)
    due = plain.add_working_days(asked_on, n)
    rule = RULE_CLARIFICATION if is_dhs(rules) else "the office's rule (agency directory)"
    lines = []
    if explain:
        lines = [f"Start: {_show(asked_on)}, the agency's request for clarification. Counting {n} "
                 "working days strictly after it; unanswered after that, the request may be closed "
                 f"administratively ({rule})."]
        lines += _walk(plain, asked_on, due)
        note = _closure_note(cal, asked_on, due, n)
        if note:
            lines.append(note)
        lines.append(f"Answer by: {_show(due)}.")
    return Deadline("clarification_close", "Answer clarification by", asked_on, due,
                    rule, tuple(lines))





def amendment_acknowledgement_due(received: date, *, calendar: WorkingCalendar | None = None,
                                  explain: bool = True) -> Deadline:
    """When the agency must acknowledge a request to amend a record: 10 days, excluding
    Saturdays, Sundays and legal public holidays, after receipt (5 U.S.C. 552a(d)(2)). It must
    then promptly correct the record or refuse: the statute sets no number of days for that."""
    cal = _calendar(calendar)
    n = AMENDMENT_ACK_WORKING_DAYS
    due = cal.add_working_days(received, n)
    lines = []
    if explain:
        lines.append(f"Start: {_show(received)}, receipt of the amendment request. Counting {n} days excluding "
                     f"Saturdays, Sundays and legal public holidays, strictly after it ({RULE_AMENDMENT_ACK}).")
        lines += _walk(cal, received, due)
        lines.append(f"Due: {_show(due)}. Then the agency must promptly correct the record or refuse "
                     f"({RULE_AMENDMENT_ACK}); the statute sets no number of days for that.")
    return Deadline("amendment_acknowledgement", "Amendment acknowledgement due", received, due,
                    RULE_AMENDMENT_ACK, tuple(lines))


def amendment_review_due(received: date, *, calendar: WorkingCalendar | None = None,
                         explain: bool = True) -> Deadline:
    """When the agency must decide the review of its refusal to amend a record: 30 days,
    excluding Saturdays, Sundays and legal public holidays, after the request for review is
    received, unless the head of the agency extends it for good cause (5 U.S.C. 552a(d)(3))."""
    cal = _calendar(calendar)
    n = AMENDMENT_REVIEW_WORKING_DAYS
    due = cal.add_working_days(received, n)
    lines = []
    if explain:
        lines.append(f"Start: {_show(received)}, receipt of the request for review of the refusal to amend. "
                     f"Counting {n} days excluding Saturdays, Sundays and legal public holidays, strictly after "
                     f"it ({RULE_AMENDMENT_REVIEW}).")
        lines += _walk(cal, received, due)
        lines.append(f"Due: {_show(due)}, unless the head of the agency extends the review for good cause "
                     f"({RULE_AMENDMENT_REVIEW}).")
    return Deadline("amendment_review", "Amendment review decision due", received, due,
                    RULE_AMENDMENT_REVIEW, tuple(lines))


def parse_tolled(text: str, what: str = "tolled") -> tuple[date, date | None]:
    """``FROM:TO`` (both YYYY-MM-DD) or ``FROM:`` for a period that has not ended; the dates
    are read by ``foia.parse.parse_date``."""
    from foia.parse import parse_date

    value = (text or "").strip()
    start, sep, stop = (p.strip() for p in value.partition(":"))
    form = "use FROM:TO as YYYY-MM-DD:YYYY-MM-DD, or YYYY-MM-DD: while the clock is still stopped"
    try:
        if not sep:
            raise UsageError
        first = parse_date(start, "from")
        last = parse_date(stop, "to") if stop else None
    except UsageError:
        # A period of the right shape whose days do not exist (2025-02-30) is told apart.
        shaped = sep and all(len(p) == 10 and p[4] == p[7] == "-" and (p[:4] + p[5:7] + p[8:]).isdigit()
                             for p in (start, stop) if p)
        problem = "is not a period of real dates" if shaped else "is not a period"
        raise bad_input(what, f": {text!r} {problem}; {form}") from None
    if last is not None and last < first:
        raise bad_input(what, f": {text!r} ends before it starts; {form}")
    return first, last


def request_deadlines(received: date, *, rules: ClockRules = ClockRules(),
                      calendar: WorkingCalendar | None = None,
                      first_received: date | None = None, extension_notice: date | None = None,
                      tolled: Sequence[tuple[date, date | None]] = (), expedite: bool = False,
                      determination: date | None = None, appeal_received: date | None = None,
                      appeal_extension_notice: date | None = None,
                      clarification_asked: date | None = None) -> list[Deadline]:
    """Every clock that applies to one request, in the order a request lives through them.

    Dates in an impossible order (a determination before the request was received, an appeal
    before the determination) raise UsageError: they are typing mistakes, and a date counted
    from them would be wrong. "Received" here is the earliest receipt (``first_received`` for a
    misdirected request): the agency had the request from then.
    """
    earliest = min(received, first_received) if first_received is not None else received

    def not_before(what: str, day: date | None, limit: date, of: str) -> None:
        if day is not None and day < limit:
            raise UsageError(f"{what} {day.isoformat()} is before {of} ({limit.isoformat()}); "
                             "check the dates")

    not_before("determination", determination, earliest, "the request was received")
    not_before("clarification asked", clarification_asked, earliest, "the request was received")
    if determination is not None:
        not_before("appeal received", appeal_received, determination, "the determination it appeals")
    not_before("appeal received", appeal_received, earliest, "the request was received")
    if appeal_extension_notice is not None and appeal_received is None:
        raise UsageError("an appeal extension notice needs the date the appeal was received")
    cal = _calendar(calendar)
    found = [determination_due(received, rules=rules, calendar=cal, first_received=first_received,
                               extension_notice=extension_notice, tolled=tolled)]
    if expedite:
        found.append(expedite_decision_due(received, rules=rules, calendar=cal))
    if clarification_asked is not None:
        close = clarification_close_due(clarification_asked, rules=rules, calendar=cal)
        if close is not None:
            found.append(close)
    if determination is not None:
        found.append(appeal_deadline(determination, rules=rules, calendar=cal))
    if appeal_received is not None:
        found.append(appeal_decision_due(appeal_received, rules=rules, calendar=cal,
                                         extension_notice=appeal_extension_notice))
    return found
