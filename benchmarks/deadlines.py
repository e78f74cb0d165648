"""Benchmark: 1,000,000 determination due dates from random receipt dates.

Run: .venv/bin/python benchmarks/deadlines.py [--n 1000000] [--naive-sample 50000]

Prints the time of the precomputed working-day index (``WorkingCalendar.add_working_days``:
two list look-ups per date) and of a naive day-by-day loop. The naive loop runs on a sample
and its time for the full count is extrapolated (the output says so). Target: the million
under 2 s.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from foia.clocks import ClockRules, WorkingCalendar, determination_due  # noqa: E402


def naive_due(d: date, n: int, closed: set[date]) -> date:
    """Step one day at a time, skipping weekends and holidays: what the index avoids."""
    while n:
        d += timedelta(days=1)
        if d.weekday() < 5 and d not in closed:
            n -= 1
    return d


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="due dates to compute")
    parser.add_argument("--naive-sample", type=int, default=50_000, help="dates for the naive loop")
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args(argv)

    n_days = ClockRules().determination_working_days
    rng = random.Random(args.seed)
    lo, hi = date(2000, 1, 1).toordinal(), date(2090, 12, 31).toordinal()
    receipts = [date.fromordinal(rng.randint(lo, hi)) for _ in range(args.n)]

    t0 = time.perf_counter()
    cal = WorkingCalendar()
    cal.ensure_years(1999, 2092)   # the working-day index, built once for the whole span
    build = time.perf_counter() - t0

    # (1) One call per date through the public API.
    add = cal.add_working_days
    t0 = time.perf_counter()
    fast = [add(d, n_days) for d in receipts]
    call_time = time.perf_counter() - t0

    # (2) The bulk call: one index check, then list look-ups.
    t0 = time.perf_counter()
    bulk = cal.add_working_days_many(receipts, n_days)
    bulk_time = time.perf_counter() - t0
    if bulk != fast:
        print("MISMATCH between add_working_days and add_working_days_many", file=sys.stderr)
        return 1

    import holidays

    closed = set(holidays.US(years=range(1999, 2100), observed=True))
    sample = receipts[: args.naive_sample]
    t0 = time.perf_counter()
    slow = [naive_due(d, n_days, closed) for d in sample]
    naive_time = time.perf_counter() - t0
    naive_full = naive_time * args.n / len(sample)
    if slow != fast[: len(sample)]:
        print("MISMATCH between the index and the naive loop", file=sys.stderr)
        return 1

    # The full clock (Deadline with its day-by-day explanation) on a small sample, for scale.
    k = 2_000
    t0 = time.perf_counter()
    for d in receipts[:k]:
        determination_due(d, calendar=cal)
    full_time = time.perf_counter() - t0

    def verdict(t):
        return "OK: under 2 s" if t < 2 else "OVER the 2 s target"

    def row(label, value, note=""):
        print(f"  {label:<50} {value}{'  ' + note if note else ''}")

    print(f"Determination due dates ({n_days} working days) for {args.n:,} random receipt dates "
          f"{date.fromordinal(lo)}..{date.fromordinal(hi)} (Python {sys.version.split()[0]})")
    row(f"index build ({cal.span[0]}-{cal.span[1]}, once)", f"{build:8.3f} s")
    row("precomputed: add_working_days, one call per date", f"{call_time:8.3f} s",
        f"{call_time / args.n * 1e9:,.0f} ns/date; {verdict(call_time)}")
    row("precomputed: add_working_days_many (bulk)", f"{bulk_time:8.3f} s",
        f"{bulk_time / args.n * 1e9:,.0f} ns/date; {verdict(bulk_time)}")
    row(f"naive day-by-day loop, {len(sample):,} dates (measured)", f"{naive_time:8.3f} s")
    row(f"naive loop, {args.n:,} dates (EXTRAPOLATED)", f"{naive_full:8.3f} s",
        f"measured on {len(sample):,} dates, x {args.n / len(sample):g}")
    row("ratio naive / one call per date", f"{naive_full / call_time:8.1f} x")
    row("ratio naive / bulk", f"{naive_full / bulk_time:8.1f} x")
    row(f"naive and precomputed agree on the {len(sample):,} sampled dates", "     yes")
    row("determination_due() with its explanation", f"{full_time / k * 1e6:8.0f} us/request",
        f"measured on {k:,}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
