"""Benchmark: the web app's Today and Queue pages on a large queue, against a floor.

Run: .venv/bin/python benchmarks/web.py [--requests 100000] [--clients 8] [--seconds 10] [--rounds 3]
     [--pg postgresql+psycopg://postgres@127.0.0.1:5432/test] [--work DIR]

Builds a tracker of --requests requests (benchmarks/tracker.py's rows, through the real import),
serves the app with waitress in a separate process on a free loopback port (team mode, one staff
account signed in), and loads each page with --clients concurrent keep-alive clients for
--seconds, in --rounds alternating rounds: the floor (a minimal Flask page on the same app and
server, no database), Today (``/``: ``Tracker.due``) and the Queue's first page (``/queue``:
``Tracker.list(limit=51)``). It prints the median and p95 latency seen by the clients on
loopback (the server's time plus a loopback round trip), the throughput, and each page's median
as a ratio to the floor's, median of the rounds. Goal: under 50 ms p95 for Today and Queue.
--pg runs the same on PostgreSQL (a fresh schema, dropped afterwards).
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import os
import re
import socket
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

PASSWORD = "benchmark pass phrase"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(url: str, port: int, threads: int) -> None:
    import waitress

    from foia.web import app as web_app
    from foia.web.app import create_app

    app = create_app(url)
    app.add_url_rule("/_floor", "floor", lambda: "ok")
    web_app.PUBLIC.add("floor")
    waitress.serve(app, host="127.0.0.1", port=port, threads=threads, _quiet=True)


def _build(url: str, n: int, work: Path) -> None:
    from tracker import csv_rows

    from foia.tracker.bulk import import_file
    from foia.tracker.service import Tracker
    from foia.tracker.store import open_store
    from foia.web.accounts import add_user

    store = open_store(url)
    tracker = Tracker(store, today=date.today())
    made, t0 = 0, time.perf_counter()
    while made < n:
        k = min(100_000, n - made)
        src = work / "batch.csv"
        src.write_text(csv_rows(k, today=date.today(), seed=17 + made, start_number=made), encoding="utf-8")
        import_file(tracker, src)
        made += k
        print(f"  built {made:,} requests ({time.perf_counter() - t0:.0f} s)", file=sys.stderr)
    add_user(store, "staff1", role="staff", password=PASSWORD)
    if store.is_postgresql:
        # Autovacuum would analyze the new rows within a minute or so; until then PostgreSQL plans
        # the Queue's query from an empty table's statistics (10 s instead of 60 ms on 100,000
        # requests): measure the steady state.
        with store.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
    store.dispose()


def _login(port: int) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/login")
    resp = conn.getresponse()
    page = resp.read().decode()
    cookie = resp.getheader("Set-Cookie").split(";")[0]
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    body = urllib.parse.urlencode({"name": "staff1", "password": PASSWORD, "csrf_token": token})
    conn.request("POST", "/login", body, {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})
    resp = conn.getresponse()
    resp.read()
    assert resp.status == 302, resp.status
    return resp.getheader("Set-Cookie").split(";")[0]


def _load(port: int, path: str, cookie: str, clients: int, seconds: float) -> list[float]:
    times: list[float] = []
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine = []
        while time.perf_counter() < stop:
            t = time.perf_counter()
            conn.request("GET", path, headers={"Cookie": cookie})
            resp = conn.getresponse()
            resp.read()
            if resp.status != 200:
                raise SystemExit(f"{path}: HTTP {resp.status}")
            mine.append(time.perf_counter() - t)
        with lock:
            times.extend(mine)

    workers = [threading.Thread(target=client) for _ in range(clients)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return times


def _pg_schema(base: str):
    import psycopg

    schema = "bench_" + uuid.uuid4().hex[:12]
    libpq = base.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(libpq, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in base else "?"

    def drop():
        with psycopg.connect(libpq, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")

    return f"{base}{sep}options=-csearch_path%3D{schema}", drop


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0, help="per page per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=8, help="waitress worker threads")
    parser.add_argument("--pg", metavar="URL", help="run on this PostgreSQL server instead of SQLite")
    parser.add_argument("--work", metavar="DIR", type=Path,
                        help="SQLite: build the queue in DIR and keep it; a later run with the same DIR reuses it "
                             "(to compare two versions of the app side by side on one database)")
    args = parser.parse_args(argv)

    work = args.work or Path(tempfile.mkdtemp(prefix="foia-web-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("FOIA_CONFIG_DIR", str(work / "config"))
    os.environ.setdefault("FOIA_DATA_DIR", str(work / "data"))
    drop = None
    if args.pg:
        url, drop = _pg_schema(args.pg)
    else:
        url = f"sqlite:///{work / 'tracker.db'}"
    try:
        if args.pg or not (work / "tracker.db").exists():
            _build(url, args.requests, work)
        port = _free_port()
        server = multiprocessing.get_context("spawn").Process(target=_serve, args=(url, port, args.threads),
                                                               daemon=True)
        server.start()
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        cookie = _login(port)
        pages = {"floor": "/_floor", "today": "/", "queue": "/queue"}
        for path in pages.values():        # warm up: directory loaded, pools filled
            _load(port, path, cookie, 1, 1.0)
        samples = {k: [] for k in pages}
        medians = {k: [] for k in pages}
        for r in range(args.rounds):
            for name, path in pages.items():
                t = _load(port, path, cookie, args.clients, args.seconds)
                samples[name] += t
                medians[name].append(statistics.median(t))
                print(f"  round {r + 1} {name}: median {statistics.median(t) * 1000:.1f} ms ({len(t)} requests)",
                      file=sys.stderr)
        server.terminate()
        backend = "PostgreSQL" if args.pg else "SQLite"
        print(f"foia serve, {args.requests:,} requests on {backend}, {args.clients} concurrent clients, "
              f"{args.rounds} x {args.seconds:g} s per page, waitress {args.threads} threads, loopback")
        floor = statistics.median(medians["floor"])
        for name in pages:
            t = sorted(samples[name])
            p95 = t[int(len(t) * 0.95)]
            rate = len(t) / (args.rounds * args.seconds)
            ratio = statistics.median(medians[name]) / floor
            print(f"  {name:<6} median {statistics.median(t) * 1000:6.1f} ms  p95 {p95 * 1000:6.1f} ms  "
                  f"{rate:6.0f} req/s  x{ratio:.1f} the floor")
    finally:
        if drop:
            drop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
