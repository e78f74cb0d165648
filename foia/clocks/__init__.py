"""Statutory FOIA and Privacy Act clocks: a federal working-day calendar, due dates, tolling
and the explanation of every date.

- ``calendar.py``: working days, the legal public holidays, extra closures (and reading them);
- ``rules.py``: ``ClockRules`` (one office's clocks) and the citations shown with each clock;
- ``due.py``: every clock (``determination_due``, ``appeal_deadline``...) and its explanation.

``from foia.clocks import determination_due`` works for every public name below; each module
is imported only when one of its names is first used, so a caller pays only for what it uses.
"""

from __future__ import annotations

from importlib import import_module

_HOME = {
    "calendar": ("WorkingCalendar", "default_calendar", "weekday", "calendar_years", "calendar_problem",
                 "in_calendar", "last_year_known", "parse_day", "parse_closure", "load_closures", "MIN_YEAR"),
    "rules": ("ClockRules", "UNITS"),
    "due": ("Deadline", "determination_due", "expedite_decision_due", "appeal_deadline", "appeal_decision_due",
            "clarification_close_due", "amendment_acknowledgement_due", "amendment_review_due",
            "request_deadlines", "parse_tolled", "RESUME_HINT"),
}
_MODULE = {name: module for module, names in _HOME.items() for name in names}

__all__ = sorted(_MODULE)


def __getattr__(name: str):
    module = _MODULE.get(name)
    if module is None:
        raise AttributeError(f"module 'foia.clocks' has no attribute {name!r}")
    return getattr(import_module(f"foia.clocks.{module}"), name)
