"""PostgreSQL: the first import into an empty tracker, against the same import into SQLite.

Run: .venv/bin/python benchmarks/pg_import.py [--rows 20000,50000] [--pg postgresql+psycopg://postgres@127.0.0.1/test]

For each size, imports the same CSV (benchmarks/tracker.py's rows) into a fresh SQLite file and
into a fresh PostgreSQL schema, alternating, and prints both times and the ratio; a linear
import keeps the ratio flat as the size grows (it was quadratic: the duplicate check's
tracking-number lookup never used its index while the tables had no statistics). Then times
`list --limit 50` on the PostgreSQL database against SQLite's (statistics after the import).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from tracker import csv_rows  # noqa: E402


def fresh_schema(base: str) -> tuple[str, str]:
    import psycopg

    schema = "bench_" + uuid.uuid4().hex[:12]
    with psycopg.connect(base.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in base else "?"
    return schema, f"{base}{sep}options=-csearch_path%3D{schema}"


def drop_schema(base: str, schema: str) -> None:
    import psycopg

    with psycopg.connect(base.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def timed_import(url: str, csv: Path) -> tuple[float, float]:
    """Seconds to import ``csv`` into ``url``, and the median ms of `list --limit 50` after."""
    from foia.tracker.bulk import import_file
    from foia.tracker.service import Tracker
    from foia.tracker.store import open_store

    tracker = Tracker(open_store(url), today=date.today())
    try:
        t0 = time.perf_counter()
        import_file(tracker, csv)
        took = time.perf_counter() - t0
        lists = []
        for _ in range(9):
            t1 = time.perf_counter()
            tracker.list(limit=50)
            lists.append((time.perf_counter() - t1) * 1000)
        return took, statistics.median(lists)
    finally:
        tracker.store.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", default="20000,50000")
    parser.add_argument("--pg", default=os.environ.get("FOIA_TEST_PG_URL",
                                                       "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="foia-pg-bench-"))
    os.environ.setdefault("FOIA_CONFIG_DIR", str(work / "config"))
    os.environ["FOIA_USER"] = "bench"
    for n in (int(x) for x in args.rows.split(",")):
        csv = work / f"rows-{n}.csv"
        csv.write_text(csv_rows(n, today=date.today(), seed=6), encoding="utf-8")
        lite, lite_list = timed_import(f"sqlite:///{work / f'{n}.db'}", csv)
        schema, url = fresh_schema(args.pg)
        try:
            pg, pg_list = timed_import(url, csv)
        finally:
            drop_schema(args.pg, schema)
        print(f"{n:>8,} rows: SQLite {lite:6.1f} s, PostgreSQL {pg:6.1f} s ({pg / lite:4.1f}x); "
              f"list --limit 50: SQLite {lite_list:6.1f} ms, PostgreSQL {pg_list:6.1f} ms ({pg_list / lite_list:4.1f}x)")


if __name__ == "__main__":
    main()
