"""Real processes: concurrent writers lose nothing; a SIGKILL mid-import leaves the queue as it was."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

WORKER = textwrap.dedent("""
    import sys
    from datetime import date
    from foia.tracker import open_tracker
    url, name, updates, adds = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    t = open_tracker(url, actor=name)
    for j in range(max(updates, adds)):
        if j < updates:
            t.update(1, note=f"{name}-{j}")
        if j < adds:
            t.add(title=f"{name} add {j}", office="ice", on=date(2025, 1, 2))
    t.store.dispose()
""")


def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


@pytest.mark.slow
def test_concurrent_writers_lose_nothing(db_url):
    from foia.tracker import open_tracker

    t = open_tracker(db_url)
    t.add(title="Shared", office="ice", on="2025-01-02")
    t.store.dispose()
    workers, updates, adds = 3, 10, 3
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, db_url, f"w{i}", str(updates), str(adds)],
                              env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for i in range(workers)]
    # And the command line itself, at the same time.
    clis = [subprocess.Popen([sys.executable, "-m", "foia", "track", "--db", db_url, "update", "1", "--note",
                              f"cli-{k}"], env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for k in range(3)]
    for p in procs + clis:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        assert "locked" not in err.lower()
    t = open_tracker(db_url)
    info = t.show(1)
    notes = sorted(e["note"] for e in info["timeline"] if e["type"] == "note")
    want = sorted([f"w{i}-{j}" for i in range(workers) for j in range(updates)] + [f"cli-{k}" for k in range(3)])
    assert notes == want
    assert len(t.list()) == 1 + workers * adds
    assert sorted(r["id"] for r in t.list()) == list(range(1, 2 + workers * adds))
    t.store.dispose()


BIG_ROWS = 40_000


@pytest.mark.slow
def test_sigkill_mid_import_leaves_the_queue_unchanged(tmp_path):
    from foia.tracker import open_tracker

    db = tmp_path / "q.db"
    url = f"sqlite:///{db}"
    t = open_tracker(url)
    t.add(title="Before", office="ice", on="2025-01-02")
    t.store.dispose()
    src = tmp_path / "big.csv"
    src.write_text("title,office,filed_on,status,tracking_numbers\n" + "".join(
        f"Row {i},ice,2025-01-02,denied,T-{i}\n" for i in range(BIG_ROWS)), encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "foia", "track", "--db", url, "import", str(src)],
                            env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    wal = Path(str(db) + "-wal")
    deadline = time.monotonic() + 120
    # Validation writes nothing; the WAL grows once rows are written. Kill while it grows.
    while time.monotonic() < deadline and proc.poll() is None:
        if wal.exists() and wal.stat().st_size > 2_000_000:
            break
        time.sleep(0.005)
    assert proc.poll() is None, "the import finished before it could be killed; make the file bigger"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    count = conn.execute("SELECT count(*) FROM requests").fetchone()[0]
    events = conn.execute("SELECT count(*) FROM events").fetchone()[0]
    conn.close()
    assert count in (1, 1 + BIG_ROWS)
    if count == 1:
        assert events == 2          # the first request's created + submitted events, nothing else
    # The import's worker process (a fork with the same command line) does not outlive it.
    proc_dir = Path("/proc")
    if proc_dir.is_dir():
        def workers():
            found = []
            for entry in proc_dir.iterdir():
                try:
                    if entry.name.isdigit() and str(src).encode() in (entry / "cmdline").read_bytes():
                        found.append(entry.name)
                except OSError:
                    pass
            return found
        until = time.monotonic() + 30
        while workers() and time.monotonic() < until:
            time.sleep(0.05)
        assert workers() == []
    # The queue still works (no stale lock).
    t = open_tracker(url)
    t.update(1, note="after the crash")
    assert t.show(1)["timeline"][-1]["note"] == "after the crash"
    t.store.dispose()


@pytest.mark.slow
def test_sigkill_mid_update_leaves_a_working_queue(tmp_path):
    """A writer killed while holding the write lock: the next writer gets the lock."""
    from foia.tracker import open_tracker

    db = tmp_path / "q.db"
    url = f"sqlite:///{db}"
    t = open_tracker(url)
    t.add(title="Before", office="ice", on="2025-01-02")
    t.store.dispose()
    holder = textwrap.dedent("""
        import sys, time
        from foia.tracker.store import open_store
        s = open_store(sys.argv[1])
        def hold(conn):
            conn.exec_driver_sql("INSERT INTO request_tags (request_id, tag) VALUES (1, 'half')")
            print("holding", flush=True)
            time.sleep(60)
        s.write(hold)
    """)
    proc = subprocess.Popen([sys.executable, "-c", holder, url], env=_env(), stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "holding"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    t = open_tracker(url)
    t.update(1, add_tags=["whole"], on="2025-01-03")
    assert t.show(1)["tags"] == ["whole"]       # the killed transaction left nothing
    t.store.dispose()
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    conn.close()
