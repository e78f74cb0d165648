"""The generated federal-holiday table is what the installed ``holidays`` package says."""

from __future__ import annotations

from datetime import date

import holidays
import pytest

from foia.clocks import calendar as deadlines
from foia.clocks.holiday_table import from_package, generate, table_years, year_holidays

REGENERATE = "regenerate it: .venv/bin/python -m foia.clocks.holiday_table"


def test_every_year_of_the_table_matches_the_installed_package():
    first, last = table_years()
    assert first == deadlines.MIN_YEAR
    # A later package may cover more years; the table's own years must still agree.
    assert last <= holidays.US.end_year, f"the package now stops at {holidays.US.end_year}; {REGENERATE}"
    for year in range(first, last + 1):
        assert year_holidays(year) == from_package(year), f"{year} differs from holidays {holidays.__version__}; {REGENERATE}"


def test_the_generator_writes_the_table_it_reads(tmp_path, monkeypatch):
    """What `python -m foia.clocks.holiday_table` writes is a module the loader reads back unchanged."""
    import importlib.util

    path = tmp_path / "_federal_holidays.py"
    path.write_text(generate(), encoding="utf-8")
    spec = importlib.util.spec_from_file_location("regenerated", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert mod.SOURCE == f"holidays {holidays.__version__}"
    for year in (1900, 1971, 2021, 2027, mod.LAST_YEAR):
        assert {(m, d, mod.NAMES[n]) for m, d, n in mod.YEARS[year]} == \
            {(date.fromordinal(o).month, date.fromordinal(o).day, name) for o, name in from_package(year).items()}


@pytest.mark.parametrize("day,name", [
    (date(2027, 6, 18), "Juneteenth National Independence Day (observed)"),  # Saturday 19 June 2027
    (date(2027, 12, 31), "New Year's Day (observed)"),  # Saturday 1 January 2028, 6103(b)(1)
    (date(2026, 11, 26), "Thanksgiving Day"),
])
def test_the_calendar_skips_the_tables_holidays(day, name):
    cal = deadlines.WorkingCalendar()
    assert cal.reason_closed(day) == name
    assert not cal.is_working_day(day)


def test_the_calendar_covers_the_tables_years():
    assert deadlines.calendar_years() == (1900, table_years()[1] - 1)
