"""Statutory FOIA clocks: a federal working-day calendar, due dates, tolling and explanations.

A clinic files an appeal or a lawsuit on these dates, so every date comes with the reasoning
behind it: which days were counted and which were skipped, and why (weekend, the holiday's
name, a closure, a tolled period).

Counting convention (used by every working-day clock): *N working days after date D* is the
Nth working day strictly after D. The day of receipt is never counted; a request received on
a Saturday counts from Monday. ``add_working_days(d, 0)`` is ``d`` itself.

Working days exclude Saturdays, Sundays and the legal public holidays of 5 U.S.C. 6103(a) as
the ``holidays`` package lists them for the United States (Juneteenth included; a Saturday
holiday observed the Friday before, 6103(b)(1); a Sunday holiday the Monday after). Inauguration
Day is a holiday only for D.C.-area employees (6103(c)) and is not excluded. Extra closures (a
day of mourning by executive order) come from configuration or the directory.

Speed: the calendar keeps a precomputed index (per-day cumulative count of working days and
the list of working days) so ``add_working_days`` is two list look-ups, not a day-by-day loop.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import asdict, dataclass, fields
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Mapping, Sequence

from foia.errors import FoiaError, UsageError

__all__ = [
    "ClockRules", "WorkingCalendar", "default_calendar", "Deadline", "determination_due",
    "expedite_decision_due", "appeal_deadline", "appeal_decision_due", "clarification_close_due",
    "parse_date", "parse_tolled", "parse_closure", "load_closures", "request_deadlines",
    "amendment_acknowledgement_due", "amendment_review_due",
]

# The index is built on first use for WINDOW years either side of the date asked about, and
# grows on demand between MIN_YEAR and the last year the holidays package knows (2099 with
# holidays 0.109). Outside that, a clear error: a year without holiday data would silently
# count holidays as working days.
WINDOW, MIN_YEAR = 10, 1900

_WEEKDAY = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

# Citations shown with each clock (sources: ../shared/reference/dhs-foia-facts.md). The statute
# binds every federal agency; the 6 CFR Part 5 sections are added only for offices whose rules
# come from DHS's regulation (their appeal_rule cites 6 CFR), so an FBI clock is not shown with a
# DHS regulation.
RULE_DETERMINATION = ("5 U.S.C. 552(a)(6)(A)(i)", "6 CFR 5.5(a)")
RULE_MISDIRECTED = ("5 U.S.C. 552(a)(6)(A)(ii)", "6 CFR 5.5(a)")
RULE_TOLLING = "5 U.S.C. 552(a)(6)(A)(ii)(I)-(II)"
RULE_EXTENSION = "5 U.S.C. 552(a)(6)(B)(i)"
RULE_EXPEDITE = ("5 U.S.C. 552(a)(6)(E)(ii)(I)", "6 CFR 5.5(e)(4)")
RULE_APPEAL_FLOOR = "5 U.S.C. 552(a)(6)(A)(i)(III)(aa)"
RULE_APPEAL_DECISION = ("5 U.S.C. 552(a)(6)(A)(ii)", "6 CFR 5.8(d)")
RULE_CLARIFICATION = "6 CFR 5.3(c)"
# How the explanation of a stopped clock says to give the answer date (`foia deadline`'s syntax;
# the tracker replaces it with its own command).
RESUME_HINT = "give the answer date as FROM:TO."


def _cite(rules: "ClockRules", rule: tuple[str, str]) -> str:
    statute, dhs = rule
    return f"{statute}; {dhs}" if _is_dhs(rules) else statute


def _is_dhs(rules: "ClockRules") -> bool:
    return rules.appeal_rule.startswith("6 CFR")


UNITS = ("working", "calendar")


def weekday(d: date) -> str:
    """Three-letter weekday name (``Mon``), independent of the locale."""
    return _WEEKDAY[d.weekday()]


def _show(d: date) -> str:
    return f"{d.isoformat()} ({weekday(d)})"


# ---------------------------------------------------------------------------------------------
# Rules


@dataclass(frozen=True)
class ClockRules:
    """One office's clock rules. The defaults are DHS's (6 CFR 5.5, 5.8) and the statute's.

    The directory builds one per office (``Agency.clock_rules()``), so state and local clocks
    can be added later as data.
    """

    determination_working_days: int = 20
    misdirected_max_working_days: int = 10
    extension_working_days: int = 10
    expedite_decision_days: int = 10
    expedite_decision_unit: str = "calendar"      # "calendar" | "working"
    appeal_window_days: int = 90
    appeal_window_unit: str = "working"           # "working" | "calendar" (statute floor: 90 calendar days)
    appeal_decision_working_days: int = 20
    clarification_close_working_days: int | None = 30   # None = office has no such rule
    appeal_rule: str = "6 CFR 5.8(a)"             # citation shown in explanations

    # A clock of 0 days would fall due on its start day, which may be a Saturday: never a
    # statutory deadline. Only these two may be 0: no extension allowed; the clock starts on
    # first receipt.
    ZERO_ALLOWED = frozenset({"misdirected_max_working_days", "extension_working_days"})

    def __post_init__(self):
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name.endswith("_unit"):
                if value not in UNITS:
                    raise FoiaError(f"clock rules: {f.name} must be 'working' or 'calendar', not {value!r}")
            elif f.name == "appeal_rule":
                if not isinstance(value, str) or not value.strip():
                    raise FoiaError("clock rules: appeal_rule must be a citation such as '6 CFR 5.8(a)'")
            elif value is None and f.name == "clarification_close_working_days":
                continue
            else:
                least = 0 if f.name in self.ZERO_ALLOWED else 1
                if isinstance(value, bool) or not isinstance(value, int) or value < least:
                    raise FoiaError(f"clock rules: {f.name} must be a whole number of days >= {least}, "
                                    f"not {value!r}")

    def to_dict(self) -> dict:
        return asdict(self)


# ---------------------------------------------------------------------------------------------
# Calendar


@lru_cache(maxsize=1)
def last_year_known() -> int:
    """The last year with federal holiday data (the holidays package's range, see holiday_table)."""
    from foia.holiday_table import table_years

    return table_years()[1] - 1


def calendar_years() -> tuple[int, int]:
    """The years the working-day calendar covers (those with federal holiday data)."""
    return MIN_YEAR, last_year_known()


def calendar_problem(d: date) -> str | None:
    """Why no clock can be counted from ``d`` (a year without holiday data), or None."""
    first, last = calendar_years()
    if first <= d.year <= last:
        return None
    return (f"{d.isoformat()} is outside the years foia's working-day calendar covers ({first}-{last}, the years "
            "with federal holiday data); check the date")


def in_calendar(d: date, what: str) -> None:
    """Refuse a date no clock can be counted from (a request stored with one would have no
    deadline at all, and the tracker's history is never deleted), naming the option ``what``."""
    problem = calendar_problem(d)
    if problem:
        raise UsageError(f"{what}: {problem}")


@lru_cache(maxsize=None)
def _year_holidays(year: int) -> dict[int, str]:
    """ordinal -> name of the federal legal public holidays the holidays package lists in
    ``year`` (observed days included: Saturday 1 January 2028 is observed on Friday
    31 December 2027 and listed in 2027), read from the table generated from the package:
    ``holidays.US`` itself imports every country's module (foia.holiday_table)."""
    from foia.holiday_table import year_holidays

    return year_holidays(year)


class WorkingCalendar:
    """Federal working days: no weekends, no 5 U.S.C. 6103 holidays, no extra closures.

    ``closures`` maps extra closure dates (e.g. a day of mourning by executive order) to their
    reason. The working-day index is built on first use around the date asked about and grows
    on demand (1900 to the last year with holiday data).
    """

    def __init__(self, closures: Mapping[date, str] | None = None):
        self.closures: dict[date, str] = {}
        for d, reason in dict(closures or {}).items():
            if not isinstance(d, date):
                raise FoiaError(f"closure dates must be dates, not {d!r}")
            self.closures[d] = str(reason).strip() or "closure"
        self.span: tuple[int, int] | None = None      # years the index covers; None until used
        self._base, self._cum, self._working = 0, [], []
        self._holidays: dict[int, str] = {}

    # -- index ----------------------------------------------------------------------------

    def _build(self, first_year: int, last_year: int) -> None:
        holidays: dict[int, str] = {}
        # One year either side: an observed day belongs to the year of the date it falls on,
        # but a neighbour year costs little and guards against a change in the package.
        for year in range(max(first_year - 1, MIN_YEAR), last_year + 2):
            holidays.update(_year_holidays(year))
        closed = set(holidays)
        closed.update(d.toordinal() for d in self.closures)
        base = date(first_year, 1, 1).toordinal()
        end = date(last_year, 12, 31).toordinal()
        cum: list[int] = []
        working: list[int] = []
        count = 0
        # date(1, 1, 1) (ordinal 1) is a Monday, so (ordinal - 1) % 7 is date.weekday().
        for o in range(base, end + 1):
            if (o - 1) % 7 < 5 and o not in closed:
                count += 1
                working.append(o)
            cum.append(count)
        self._holidays = holidays
        self._base, self._cum, self._working = base, cum, working
        self.span = (first_year, last_year)

    def ensure_years(self, first_year: int, last_year: int) -> None:
        """Build the index for at least ``first_year``..``last_year`` (the benchmark and bulk
        callers build it once up front)."""
        top = last_year_known()
        if first_year < MIN_YEAR or last_year > top:
            bad = first_year if first_year < MIN_YEAR else last_year
            raise UsageError(f"year {bad} is outside the years foia's working-day calendar covers "
                             f"({MIN_YEAR}-{top}, the years with federal holiday data); check the date")
        if self.span is not None:
            if self.span[0] <= first_year and last_year <= self.span[1]:
                return
            first_year, last_year = min(first_year, self.span[0]), max(last_year, self.span[1])
        self._build(first_year, last_year)

    def _cover(self, d: date) -> None:
        """Make sure the index covers ``d``."""
        if self.span is not None and self.span[0] <= d.year <= self.span[1]:
            return
        top = last_year_known()
        if not MIN_YEAR <= d.year <= top:
            raise UsageError(f"{d.isoformat()} is outside the years foia's working-day calendar "
                             f"covers ({MIN_YEAR}-{top}, the years with federal holiday data); "
                             "check the date")
        self.ensure_years(max(MIN_YEAR, d.year - WINDOW), min(top, d.year + WINDOW))

    # -- queries --------------------------------------------------------------------------

    def is_working_day(self, d: date) -> bool:
        self._cover(d)
        o = d.toordinal() - self._base
        return self._cum[o] != (self._cum[o - 1] if o else 0)

    def reason_closed(self, d: date) -> str | None:
        """Why ``d`` is not a working day: "Saturday", "Sunday", the holiday's name
        ("Thanksgiving Day", "Independence Day (observed)") or "closure: <reason>"; None on a
        working day."""
        if d.weekday() == 5:
            return "Saturday"
        if d.weekday() == 6:
            return "Sunday"
        self._cover(d)
        o = d.toordinal()
        if o in self._holidays:
            return self._holidays[o]
        if d in self.closures:
            return f"closure: {self.closures[d]}"
        return None

    def holiday_name(self, d: date) -> str | None:
        """The holiday on ``d`` even when it falls on a weekend (explanations use it)."""
        self._cover(d)
        return self._holidays.get(d.toordinal())

    def add_working_days(self, d: date, n: int) -> date:
        """The ``n``th working day strictly after ``d`` (``n`` >= 1); ``n == 0`` returns ``d``."""
        if n > 0:
            # Fast path: two list look-ups. Anything outside the index goes to _add_slow.
            o = d.toordinal() - self._base
            if o >= 0:
                try:
                    return date.fromordinal(self._working[self._cum[o] + n - 1])
                except IndexError:
                    pass
            return self._add_slow(d, n)
        if n == 0:
            return d
        raise ValueError(f"add_working_days counts forward only, got n={n}")

    def _add_slow(self, d: date, n: int) -> date:
        # Outside the index (first call, a date before it, or a count past its end): grow it.
        self._cover(d)
        while True:
            i = self._cum[d.toordinal() - self._base] + n - 1
            if i < len(self._working):
                return date.fromordinal(self._working[i])
            first, last = self.span
            if last >= last_year_known():
                raise UsageError(f"{n} working days after {d.isoformat()} is past the years foia's "
                                 f"working-day calendar covers ({MIN_YEAR}-{last}, the years with "
                                 "federal holiday data)")
            # Roughly 250 working days a year: grow far enough in one step.
            self.ensure_years(first, min(last_year_known(), last + max(WINDOW, n // 240 + 2)))

    def add_working_days_many(self, dates: Iterable[date], n: int) -> list[date]:
        """``add_working_days(d, n)`` for many dates at once (one index check, then a tight
        loop of list look-ups): what the benchmark's million dates use."""
        dates = list(dates)
        if not dates or n == 0:
            return list(dates)
        if n < 0:
            raise ValueError(f"add_working_days counts forward only, got n={n}")
        lo, hi = min(dates), max(dates)
        self._cover(lo)
        self._cover(hi)
        self.add_working_days(hi, n)    # grows the index if the last count runs past its end
        cum, working, base, k = self._cum, self._working, self._base, n - 1
        fromordinal = date.fromordinal
        return [fromordinal(working[cum[d.toordinal() - base] + k]) for d in dates]

    def working_days_between(self, a: date, b: date) -> int:
        """Working days in (a, b]: excluding ``a``, including ``b``. Negative when b < a."""
        if b < a:
            return -self.working_days_between(b, a)
        self._cover(a)
        self._cover(b)
        return self._cum[b.toordinal() - self._base] - self._cum[a.toordinal() - self._base]

    def working_days(self, a: date, b: date) -> list[date]:
        """The working days in (a, b], in order."""
        if b <= a:
            return []
        self._cover(a)
        self._cover(b)
        lo = bisect_left(self._working, a.toordinal() + 1)
        hi = bisect_left(self._working, b.toordinal() + 1)
        return [date.fromordinal(o) for o in self._working[lo:hi]]

    def skip_reason(self, d: date) -> str:
        """``reason_closed`` plus what else falls on the day, for explanations: a holiday on a
        weekend names its observed day (6103(b)); a closure on a holiday or weekend is named."""
        reason = self.reason_closed(d) or "working day"
        holiday = self.holiday_name(d)
        if holiday and holiday != reason:
            observed = d - timedelta(days=1) if d.weekday() == 5 else d + timedelta(days=1)
            seen = self.holiday_name(observed)
            if seen and "observed" in seen:
                reason = f"{reason} ({holiday}, observed {observed.isoformat()})"
            else:
                reason = f"{reason} ({holiday})"
        if d in self.closures and not reason.startswith("closure:"):
            reason = f"{reason} (also closure: {self.closures[d]})"
        return reason


@lru_cache(maxsize=16)
def _cached_calendar(items: tuple[tuple[date, str], ...]) -> WorkingCalendar:
    return WorkingCalendar(dict(items))


def default_calendar(closures: Mapping[date, str] | None = None) -> WorkingCalendar:
    """The federal working-day calendar (cached), with optional extra closures."""
    return _cached_calendar(tuple(sorted(dict(closures or {}).items())))


# ---------------------------------------------------------------------------------------------
# Deadlines


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
                         f"{_show(latest)} ({_cite(rules, RULE_MISDIRECTED)}).")
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
                claimed = cal.add_working_days(due, ext)
                lines.append(f"Warning: the extension notice is dated {extension_notice.isoformat()}, after the "
                             f"time limit ran out on {due.isoformat()}: it does not extend it ({RULE_EXTENSION} "
                             f"requires notice while the limit runs). Statutory due date {due.isoformat()}; the "
                             f"notice would claim up to {claimed.isoformat()}. Exhaustion accrued on "
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
                    _cite(rules, RULE_DETERMINATION), tuple(lines), tuple(applied))


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
        due, lines = _calendar_day_clock(cal, received, n, _cite(rules, RULE_EXPEDITE), requester_acts=False,
                                         explain=explain)
    else:
        due = cal.add_working_days(received, n)
        lines = []
        if explain:
            lines = [f"Start: {_show(received)}. Counting {n} working days strictly after it."]
            lines += _walk(cal, received, due) + [f"Due: {_show(due)}."]
    return Deadline("expedite_decision", "Expedite decision due", received, due,
                    _cite(rules, RULE_EXPEDITE), tuple(lines))


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
                    _cite(rules, RULE_APPEAL_DECISION), tuple(lines))


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
    rule = RULE_CLARIFICATION if _is_dhs(rules) else "the office's rule (agency directory)"
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



# Privacy Act amendment (5 U.S.C. 552a(d)(2)-(3); fact sheet, "Additions of 2026-12-03"). The
# statute counts these days itself "excluding Saturdays, Sundays, and legal public holidays": the
# same working days as the FOIA clocks, and they bind every agency, so no office rule changes them.
# They are the agency's deadlines, so extra closures lengthen them (never sue early).
RULE_AMENDMENT_ACK = "5 U.S.C. 552a(d)(2)"
RULE_AMENDMENT_REVIEW = "5 U.S.C. 552a(d)(3)"
AMENDMENT_ACK_WORKING_DAYS = 10
AMENDMENT_REVIEW_WORKING_DAYS = 30


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

# ---------------------------------------------------------------------------------------------
# Input

_ISO = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_date(text: str, *, what: str = "date") -> date:
    """An ISO date (YYYY-MM-DD); anything else raises UsageError naming ``what``."""
    value = (text or "").strip()
    if _ISO.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise UsageError(f"{what}: {text!r} is not a date; use YYYY-MM-DD, e.g. 2025-11-21")


@lru_cache(maxsize=1)
def _plain_loader():
    """A safe YAML loader that leaves dates as text, so a bad one is reported with its entry."""
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    Loader.yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    return Loader


# closures.yaml lists a few days a year: a file larger than this is not one.
CLOSURES_MAX_BYTES = 1_000_000


def load_closures(path) -> dict[date, str]:
    """Extra closure dates from a YAML list of ``{date: YYYY-MM-DD, name: ...}`` entries."""
    import yaml

    from foia.files import read_regular_text

    path = Path(path)
    try:
        text = read_regular_text(path, what="closures", limit=CLOSURES_MAX_BYTES)
    except UnicodeDecodeError:
        raise FoiaError(f"{path}: not UTF-8 text; save it as UTF-8 YAML") from None
    try:
        data = yaml.load(text, Loader=_plain_loader())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise FoiaError(f"{path}{where}: not valid YAML; expected a list of "
                        "{date: YYYY-MM-DD, name: ...} entries") from None
    except (ValueError, RecursionError) as exc:
        # An integer of more than 4,300 digits (Python refuses to read it), or lists in lists
        # thousands deep (the pure-Python YAML parser recurses).
        what = "nested too deeply" if isinstance(exc, RecursionError) else "holds a number of thousands of digits"
        raise FoiaError(f"{path}: {what}; expected a list of {{date: YYYY-MM-DD, name: ...}} entries") from None
    if data is None:
        return {}
    if not isinstance(data, list):
        raise FoiaError(f"{path}: expected a list of {{date: YYYY-MM-DD, name: ...}} entries, "
                        f"found {type(data).__name__}")
    closures: dict[date, str] = {}
    for i, entry in enumerate(data, 1):
        where = f"{path}: entry {i}"
        if not isinstance(entry, dict) or set(entry) - {"date", "name"} or "date" not in entry:
            raise FoiaError(f"{where}: expected {{date: YYYY-MM-DD, name: ...}}, got {entry!r}")
        raw = entry["date"]
        try:
            d = parse_date(str(raw), what="date")
        except UsageError:
            raise FoiaError(f"{where}: date {raw!r} is not YYYY-MM-DD") from None
        name = entry.get("name")
        if not isinstance(name, str) or not name.strip():
            raise FoiaError(f"{where} ({d.isoformat()}): give a name (the reason for the closure)")
        if d in closures:
            raise FoiaError(f"{where}: {d.isoformat()} is listed twice")
        closures[d] = name.strip()
    return closures


def parse_tolled(text: str, *, what: str = "--tolled") -> tuple[date, date | None]:
    """``FROM:TO`` (both YYYY-MM-DD) or ``FROM:`` for a period that has not ended."""
    value = (text or "").strip()
    start, sep, stop = value.partition(":")
    form = "use FROM:TO as YYYY-MM-DD:YYYY-MM-DD, or YYYY-MM-DD: while the clock is still stopped"
    if not sep or not _ISO.fullmatch(start.strip()) or (stop.strip() and not _ISO.fullmatch(stop.strip())):
        raise UsageError(f"{what}: {text!r} is not a period; {form}")
    try:
        first = date.fromisoformat(start.strip())
        last = date.fromisoformat(stop.strip()) if stop.strip() else None
    except ValueError:
        raise UsageError(f"{what}: {text!r} is not a period of real dates; {form}") from None
    if last is not None and last < first:
        raise UsageError(f"{what}: {text!r} ends before it starts; {form}")
    return first, last


def parse_closure(text: str, *, what: str = "--closure") -> tuple[date, str]:
    """``DATE`` or ``DATE:NAME`` for an extra closure day."""
    day, _, name = (text or "").partition(":")
    try:
        d = parse_date(day, what=what)
    except UsageError:
        raise UsageError(f"{what}: {text!r} is not DATE[:NAME]; use e.g. 2025-12-24:Executive order closure") from None
    return d, name.strip() or f"closure ({what})"


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
