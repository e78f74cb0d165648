"""Where a SQLite tracker's bytes are: each table and index, in bytes per request (SQLite's dbstat).

Run: .venv/bin/python benchmarks/dbsize.py DB [DB...]
     (e.g. the database `benchmarks/tracker.py --requests 100000 --import-rows 1000 --import-runs 1 --keep DIR`
     leaves in DIR/base.db; `--vacuum` measures a VACUUMed copy, as `foia track compact` leaves it)

The file is opened read-only; --vacuum works on a copy beside it, deleted afterwards.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
from pathlib import Path


def breakdown(path: Path) -> list[str]:
    conn = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True)
    try:
        n = conn.execute("SELECT count(*) FROM requests").fetchone()[0] or 1
        size = conn.execute("PRAGMA page_size").fetchone()[0] * conn.execute("PRAGMA page_count").fetchone()[0]
        free = conn.execute("PRAGMA freelist_count").fetchone()[0]
        rows = conn.execute("SELECT name, sum(pgsize), sum(payload), sum(unused) FROM dbstat GROUP BY name "
                            "ORDER BY 2 DESC").fetchall()
    finally:
        conn.close()
    out = [f"{path}: {n:,} requests, {size:,} bytes = {size / n:,.0f} B/request ({free:,} free pages)"]
    out += [f"  {name:40s} {total / n:6.0f} B/request (payload {payload / n:4.0f}, unused {unused / n:3.0f})"
            for name, total, payload, unused in rows if total / n >= 1]
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("db", nargs="+", type=Path)
    parser.add_argument("--vacuum", action="store_true", help="also measure a VACUUMed copy")
    args = parser.parse_args(argv)
    for path in args.db:
        print("\n".join(breakdown(path)))
        if args.vacuum:
            copy = path.with_name(path.name + ".vacuum")
            shutil.copyfile(path, copy)
            try:
                conn = sqlite3.connect(copy)
                conn.execute("VACUUM")
                conn.close()
                print("\n".join(breakdown(copy)))
            finally:
                copy.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
