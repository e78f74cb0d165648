"""Benchmark: a CSV import into a large SQLite tracker against a raw replay of its own INSERTs.

Run: .venv/bin/python benchmarks/import_replay.py --base DB [--rows 100000] [--rounds 9] [--work DIR]
     [--against DIR]

DB is a built tracker (``benchmarks/tracker.py --reuse DIR`` keeps one: 1,100,000 requests for
the issue's figure); it is only read. Give it at the schema of the code measured (open a copy
with foia once): an older one would be migrated, untimed but slowly, on every copy. Once, untimed, ``foia.tracker.bulk.import_file`` imports
--rows CSV rows (``tracker.py``'s ``csv_rows``) into a copy of DB while the driver connection
records every ``executemany`` INSERT it is given (statement and parameters). Then, for
--rounds rounds, alternating which side goes first:

(a) the import: ``import_file`` of the same CSV into a fresh copy of DB (read, validate every
    row, derive deadlines, write in one transaction, commit);
(b) the replay: stdlib ``sqlite3`` opens another fresh copy with the same PRAGMAs as the
    tracker's connections (WAL, foreign keys, synchronous=FULL, secure_delete, the import's
    cache size) and runs exactly the recorded INSERTs with the recorded parameters in one
    ``BEGIN IMMEDIATE`` transaction, then commits.

Each side runs in its own fresh process (cold caches, as a real ``foia track import``), timed
from inside after its set-up (process start, imports, the copy of DB) and before its exit.
Prints each round's times and ratio (a)/(b), then the medians. ``--against DIR`` also runs (a)
with another checkout's foia (e.g. main's) in the same rounds, into its own fresh copy, for a
before/after measured side by side; its ratio is to the same replay. The replay is the floor: the
same rows written by the same SQLite with nothing else to do; the ratio is what checking the
file, deriving deadlines and talking to the database through SQLAlchemy cost on top. The CPU
times say where a busy machine takes it: the importing process's against the replay's is the
floor with a free second core for the worker; with the worker's added, the ratio the wall
time tends to when the cores are taken by others.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

# --against runs a side with another checkout's foia: this script is the same, the package is theirs.
sys.path.insert(0, os.environ.get("FOIA_BENCH_CHECKOUT") or str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from tracker import csv_rows  # noqa: E402

TABLES = ("requests", "events", "request_tags", "tracking_numbers", "deadlines", "deadline_rows", "deadline_texts")


RECORDED: list[tuple[str, list]] = []


class _RecordingCursor(sqlite3.Cursor):
    """A driver cursor that keeps every executemany INSERT it runs (the capture run only)."""

    def executemany(self, sql, params):
        if sql.lstrip().upper().startswith("INSERT"):
            params = list(params)
            RECORDED.append((sql, params))
        return super().executemany(sql, params)


class _RecordingConnection(sqlite3.Connection):
    def cursor(self, factory=_RecordingCursor):
        return super().cursor(factory)


def _tracker(db: Path, today: date, *, record: bool):
    from foia.tracker.service import Tracker
    from foia.tracker.store import open_store

    store = open_store(f"sqlite:///{db}")
    if record:
        from sqlalchemy import event

        store.engine.dispose()

        @event.listens_for(store.engine, "do_connect")
        def _recording(_dialect, _record, _cargs, cparams):
            cparams["factory"] = _RecordingConnection
    return Tracker(store, today=today)


def _pragmas(db: Path) -> list[str]:
    """The PRAGMAs a tracker connection sets (store._sqlite_engine) and the import's cache size
    (bulk.IMPORT_CACHE_KIB), read back from a real tracker connection so they cannot drift."""
    from foia.tracker.bulk import IMPORT_CACHE_KIB
    from foia.tracker.store import open_store

    store = open_store(f"sqlite:///{db}")
    try:
        with store.engine.connect() as conn:
            got = {name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
                   for name in ("busy_timeout", "journal_mode", "foreign_keys", "synchronous", "secure_delete")}
    finally:
        store.dispose()
    return [f"PRAGMA {name}={value}" for name, value in got.items()] + [f"PRAGMA cache_size={IMPORT_CACHE_KIB}"]


def side_import(db: Path, csv: Path, today: date, record: Path | None) -> dict:
    import resource

    from foia.tracker.bulk import import_file

    tracker = _tracker(db, today, record=record is not None)
    try:
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        t, cpu = time.perf_counter(), time.process_time()
        result = import_file(tracker, csv)
        took = {"seconds": time.perf_counter() - t, "cpu": time.process_time() - cpu}
        after = resource.getrusage(resource.RUSAGE_CHILDREN)     # the worker process, once joined
        took["worker_cpu"] = after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime
        if record:
            with open(record, "wb") as fh:
                pickle.dump({"statements": RECORDED, "result": result, "pragmas": _pragmas(db)}, fh,
                            protocol=pickle.HIGHEST_PROTOCOL)
    finally:
        tracker.store.dispose()
    return took


def side_replay(db: Path, record: Path) -> dict:
    with open(record, "rb") as fh:
        captured = pickle.load(fh)
    import gc

    gc.disable()            # as the import does: the recorded rows are a million small objects
    t, cpu = time.perf_counter(), time.process_time()
    conn = sqlite3.connect(db, isolation_level=None)
    for pragma in captured["pragmas"]:
        conn.execute(pragma).fetchall()
    conn.execute("BEGIN IMMEDIATE")
    cursor = conn.cursor()
    for sql, params in captured["statements"]:
        cursor.executemany(sql, params)
    conn.execute("COMMIT")
    conn.close()
    return {"seconds": time.perf_counter() - t, "cpu": time.process_time() - cpu}


def _copy(src: Path, dst: Path) -> None:
    """A fresh copy of the built database, flushed to disk, so the timed side does not share the
    disk with the copy's write-back."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(str(dst) + suffix).unlink(missing_ok=True)
    shutil.copyfile(src, dst)
    with open(dst, "rb+") as fh:
        os.fsync(fh.fileno())


def _counts(db: Path) -> dict:
    conn = sqlite3.connect(db)
    try:
        present = {name for (name,) in conn.execute("SELECT name FROM sqlite_master")}
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES if t in present}
    finally:
        conn.close()


def _run(side: str, db: Path, args, *extra: str, checkout: Path | None = None) -> dict:
    """One side in a fresh process, with this checkout's foia or ``checkout``'s."""
    env = dict(os.environ, FOIA_BENCH_CHECKOUT=str(checkout)) if checkout is not None else None
    out = subprocess.run([sys.executable, __file__, "--side", side, "--db", str(db), "--today", args.today,
                          *extra], capture_output=True, text=True, env=env)
    if out.returncode:
        raise SystemExit(f"{side} ({checkout or 'this checkout'}) failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=Path, help="a built tracker database (only read)")
    parser.add_argument("--rows", type=int, default=100_000, help="CSV rows to import")
    parser.add_argument("--rounds", type=int, default=9, help="rounds of import and replay")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--today", default=date.today().isoformat(), help="the tracker's today (the base's day)")
    parser.add_argument("--work", type=Path, help="folder for the copies (default: a temporary one)")
    parser.add_argument("--against", type=Path, metavar="DIR",
                        help="also time the import with the foia of this checkout, in the same rounds")
    parser.add_argument("--side", choices=("import", "replay"), help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--csv", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--record", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    os.environ.setdefault("FOIA_USER", "bench")
    today = date.fromisoformat(args.today)
    if args.side == "import":
        print(json.dumps(side_import(args.db, args.csv, today, args.record)))
        return 0
    if args.side == "replay":
        print(json.dumps(side_replay(args.db, args.record)))
        return 0
    if args.base is None or not args.base.is_file():
        parser.error("--base must name a built tracker database")
    if args.rows < 1 or args.rounds < 1:
        parser.error("--rows and --rounds must be at least 1")
    if args.against is not None and not (args.against / "foia" / "tracker" / "bulk.py").is_file():
        parser.error(f"--against: {args.against} is not a foia checkout")
    import compileall

    # Both sides start from compiled modules, as an installed foia does (a checkout never run
    # would compile in its first timed import).
    for checkout in (Path(__file__).resolve().parents[1], args.against):
        if checkout is not None:
            compileall.compile_dir(checkout / "foia", quiet=1)

    work = args.work or Path(tempfile.mkdtemp(prefix="foia-replay-"))
    work.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("FOIA_CONFIG_DIR", str(work / "config"))   # no user closures.yaml
    try:
        with sqlite3.connect(args.base) as conn:
            made = conn.execute("SELECT count(*) FROM requests").fetchone()[0]
        csv, record = work / "import.csv", work / "inserts.pickle"
        csv.write_text(csv_rows(args.rows, today=today, seed=args.seed, start_number=made, recent_share=0.3),
                       encoding="utf-8")
        a, b = work / "import.db", work / "replay.db"
        _copy(args.base, a)
        _run("import", a, args, "--csv", str(csv), "--record", str(record))
        with open(record, "rb") as fh:
            captured = pickle.load(fh)
        wanted = _counts(a)
        _copy(args.base, b)
        _run("replay", b, args, "--record", str(record))
        if _counts(b) != wanted:
            raise SystemExit(f"the replay did not write the import's rows: {_counts(b)} != {wanted}")
        inserts = sum(len(p) for _, p in captured["statements"])
        print(f"base: {made:,} requests; import: {captured['result']['requests']:,} rows, "
              f"{captured['result']['events']:,} events; replay: {len(captured['statements'])} executemany, "
              f"{inserts:,} rows; {'; '.join(captured['pragmas'])}", flush=True)

        sides = ["import", "replay"] + (["against"] if args.against else [])
        got: dict[str, list[dict]] = {side: [] for side in sides}
        for n in range(args.rounds):
            for side in sides[n % len(sides):] + sides[:n % len(sides)]:    # each side goes first in turn
                db = b if side == "replay" else a
                _copy(args.base, db)
                if side == "replay":
                    got[side].append(_run(side, db, args, "--record", str(record)))
                else:
                    got[side].append(_run("import", db, args, "--csv", str(csv),
                                          checkout=args.against if side == "against" else None))
            replay = got["replay"][-1]
            print(f"round {n + 1}: replay {replay['seconds']:.2f} s (CPU {replay['cpu']:.2f} s)" + "".join(
                f"; {side} {r['seconds']:.2f} s = {r['seconds'] / replay['seconds']:.2f}x (CPU {r['cpu']:.2f} s "
                f"+ worker {r['worker_cpu']:.2f} s)" for side in sides if side != "replay"
                for r in [got[side][-1]]), flush=True)

        def ratios(side: str, key: str) -> list[float]:
            return [r[key] / p[key] for r, p in zip(got[side], got["replay"])]

        replay = statistics.median(r["seconds"] for r in got["replay"])
        print(f"{args.rows:,} CSV rows into {made:,} requests, {args.rounds} rounds; raw sqlite3 replay of the "
              f"import's INSERTs: median {replay:.2f} s")
        for side in sides:
            if side == "replay":
                continue
            wall, cpu = ratios(side, "seconds"), ratios(side, "cpu")
            both = [(r["cpu"] + r["worker_cpu"]) / p["cpu"] for r, p in zip(got[side], got["replay"])]
            name = "import" if side == "import" else f"import with {args.against}"
            print(f"{name}: median {statistics.median(r['seconds'] for r in got[side]):.2f} s; ratio to the replay: "
                  f"median {statistics.median(wall):.2f}x (best {min(wall):.2f}x, worst {max(wall):.2f}x; target "
                  f"<= 1.3x); CPU time to the replay's: the importing process {statistics.median(cpu):.2f}x, with "
                  f"its worker {statistics.median(both):.2f}x (median)")
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
