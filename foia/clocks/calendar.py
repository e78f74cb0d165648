"""The federal working-day calendar: weekends, the legal public holidays, extra closures.

Counting convention (used by every working-day clock): *N working days after date D* is the
Nth working day strictly after D. The day of receipt is never counted; a request received on
a Saturday counts from Monday. ``add_working_days(d, 0)`` is ``d`` itself.

Working days exclude Saturdays, Sundays and the legal public holidays of 5 U.S.C. 6103(a) as
the ``holidays`` package lists them for the United States (Juneteenth included; a Saturday
holiday observed the Friday before, 6103(b)(1); a Sunday holiday the Monday after). Inauguration
Day is a holiday only for D.C.-area employees (6103(c)) and is not excluded. Extra closures (a
day of mourning by executive order) come from configuration or the directory.

A holiday comes from the table generated from the ``holidays`` package (``holiday_table.py``
regenerates it when the package changes); an extra closure goes in the directory's
``closures`` section (with its source) or a user's closures.yaml (``load_closures``).

Speed: the calendar keeps a precomputed index (per-day cumulative count of working days and
the list of working days) so ``add_working_days`` is two list look-ups, not a day-by-day loop.
"""

from __future__ import annotations

from bisect import bisect_left
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Mapping

from foia.errors import FoiaError, UsageError
from foia.naming import Field, Text

# The index is built on first use for WINDOW years either side of the date asked about, and
# grows on demand between MIN_YEAR and the last year the holidays package knows (2099 with
# holidays 0.109). Outside that, a clear error: a year without holiday data would silently
# count holidays as working days.
WINDOW, MIN_YEAR = 10, 1900

_WEEKDAY = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def weekday(d: date) -> str:
    """Three-letter weekday name (``Mon``), independent of the locale."""
    return _WEEKDAY[d.weekday()]


def about(what: str, rest: str) -> str:
    """A message about the input ``what``: a field name (``received``) is marked as a field, so
    each caller names it in its own words (the CLI as ``--received``); a caller that still
    passes its command-line option keeps it as it is."""
    if what.startswith("-"):
        return what + rest
    return Text(Field(what), rest)


def bad_input(what: str, rest: str) -> UsageError:
    """The error for a value of the input ``what`` (see ``about``), carrying its field."""
    return UsageError(about(what, rest), field=None if what.startswith("-") else what)


@lru_cache(maxsize=1)
def last_year_known() -> int:
    """The last year with federal holiday data (the holidays package's range, see holiday_table)."""
    from foia.clocks.holiday_table import table_years

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
    deadline at all, and the tracker's history is never deleted), naming the field ``what``."""
    problem = calendar_problem(d)
    if problem:
        raise bad_input(what, f": {problem}")


@lru_cache(maxsize=None)
def _year_holidays(year: int) -> dict[int, str]:
    """ordinal -> name of the federal legal public holidays the holidays package lists in
    ``year`` (observed days included: Saturday 1 January 2028 is observed on Friday
    31 December 2027 and listed in 2027), read from the table generated from the package:
    ``holidays.US`` itself imports every country's module (holiday_table.py)."""
    from foia.clocks.holiday_table import year_holidays

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
# Input: days, extra closures


def parse_day(text: str, what: str = "date") -> date:
    """A YYYY-MM-DD date, read by ``foia.parse.parse_date`` (the one date parser), in the words
    the clocks' inputs have always used: ``received: '2025-13-01' is not a date; use
    YYYY-MM-DD, e.g. 2025-11-21``, naming the field ``what``."""
    from foia.parse import parse_date

    try:
        return parse_date(text or "", what.lstrip("-").replace("-", "_"))
    except UsageError:
        raise bad_input(what, f": {text!r} is not a date; use YYYY-MM-DD, e.g. 2025-11-21") from None


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
            d = parse_day(str(raw))
        except UsageError:
            raise FoiaError(f"{where}: date {raw!r} is not YYYY-MM-DD") from None
        name = entry.get("name")
        if not isinstance(name, str) or not name.strip():
            raise FoiaError(f"{where} ({d.isoformat()}): give a name (the reason for the closure)")
        if d in closures:
            raise FoiaError(f"{where}: {d.isoformat()} is listed twice")
        closures[d] = name.strip()
    return closures



def parse_closure(text: str, what: str = "closure", *, default_name: str | None = None) -> tuple[date, str]:
    """``DATE`` or ``DATE:NAME`` for an extra closure day (a day without a name is called
    ``default_name``, else "closure (<what>)")."""
    day, _, name = (text or "").partition(":")
    try:
        d = parse_day(day, what)
    except UsageError:
        raise bad_input(what, f": {text!r} is not DATE[:NAME]; use e.g. 2025-12-24:Executive order closure") from None
    return d, name.strip() or default_name or f"closure ({what})"
