"""Benchmark: importing a large mbox into the inbox against a large queue.

Run: .venv/bin/python benchmarks/inbox.py [--requests 100000] [--messages 10000] [--attachment-kb 100]
     [--runs 3] [--keep DIR]

Builds a SQLite tracker of --requests ICE requests (through the tracker's CSV import), each
with a tracking number in ICE's format (2019-ICFO-12345, the fact sheet's), and an mbox of
--messages synthetic replies, each carrying a PDF-like attachment of --attachment-kb KB
(10,000 x 100 KB: about 1.3 GB once base64-encoded): 40% quote a tracking number, 30% carry
the ``[foia #ID]`` subject tag, 30% match nothing (these also pay for the sender-domain
suggestion). Then, --runs times, alternating with the peer, each in a fresh process and a
fresh copy of the database:

- foia: ``Inbox.import_paths`` on the mbox (stream, parse, match, store, one transaction):
  messages per second, peak memory (the process's maximum RSS), and the matching time per
  message (``Matcher.match`` alone);
- peer: ``python -c "import mailbox; [m for m in mailbox.mbox(path)]"``, the standard
  library reading the same file: its time and peak memory.

Prints the medians and the ratios foia/peer. Targets: foia's peak memory stays flat (under
200 MB whatever the mbox size: it streams, holding one message), it takes at most 5x the
peer's time (it parses MIME, hashes, matches and writes every byte to the database; the peer
only splits the file), and matching takes under 2 ms a message against 100,000 requests.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def number(i: int) -> str:
    return f"{2016 + i // 100000}-ICFO-{i % 100000:05d}"


def build_tracker(db: Path, n: int, work: Path) -> None:
    from foia.tracker.bulk import import_file
    from foia.tracker.service import Tracker
    from foia.tracker.store import open_store

    tracker = Tracker(open_store(f"sqlite:///{db}"))
    words = ["ICM", "FALCON", "license plate", "social media", "Palantir", "LexisNexis", "CLEAR", "detention"]
    rng = random.Random(7)
    for start in range(0, n, 50000):
        rows = ["title,office,filed_on,status,tracking_numbers"]
        for i in range(start, min(n, start + 50000)):
            rows.append(f"Records of {rng.choice(words)} use {i},ice,2026-01-05,acknowledged,{number(i)}:assigned")
        src = work / "requests.csv"
        src.write_text("\n".join(rows) + "\n", encoding="utf-8")
        import_file(tracker, src)
        print(f"  built {min(n, start + 50000):,} requests", file=sys.stderr)
    tracker.store.dispose()


def build_mbox(path: Path, messages: int, attachment_kb: int, requests: int) -> None:
    import base64

    rng = random.Random(11)
    blob = base64.encodebytes(b"%PDF-1.4\n" + rng.randbytes(attachment_kb * 1024)).replace(b"\n", b"\r\n")
    with path.open("wb") as fh:
        for i in range(messages):
            rid = rng.randrange(requests)
            kind = i % 10
            if kind < 4:
                subject, body = f"Request {number(rid)}", f"This acknowledges request {number(rid)}."
            elif kind < 7:
                subject, body = f"RE: your request [foia #{rid + 1}]", "Still in process."
            else:
                subject, body = f"Newsletter {i}", "Nothing to do with any request."
            fh.write(b"From bench@example.org Mon Nov  2 10:00:00 2026\n")
            fh.write((f"From: ICE FOIA Office <ice-foia@ice.dhs.gov>\r\nTo: clinic@example.org\r\n"
                      f"Subject: {subject}\r\nDate: Mon, 02 Nov 2026 10:00:00 -0500\r\n"
                      f"Message-ID: <bench-{i}@mail.example.gov>\r\nMIME-Version: 1.0\r\n"
                      f"Content-Type: multipart/mixed; boundary=\"b{i}\"\r\n\r\n--b{i}\r\n"
                      f"Content-Type: text/plain\r\n\r\n{body}\r\n--b{i}\r\n"
                      f"Content-Type: application/pdf; name=\"r{i}.pdf\"\r\n"
                      f"Content-Disposition: attachment; filename=\"r{i}.pdf\"\r\n"
                      f"Content-Transfer-Encoding: base64\r\n\r\n").encode())
            fh.write(blob)
            fh.write(f"--b{i}--\r\n\n".encode())


def child_foia(db: str, mbox: str) -> None:
    """One timed import in this (fresh) process; prints JSON."""
    import resource

    from foia.inbox import match
    from foia.inbox.service import Inbox
    from foia.tracker.service import Tracker
    from foia.tracker.store import open_store

    spent = [0.0, 0]
    real = match.Matcher.match

    def timed(self, conn, mail):
        t = time.perf_counter()
        try:
            return real(self, conn, mail)
        finally:
            spent[0] += time.perf_counter() - t
            spent[1] += 1

    match.Matcher.match = timed
    box = Inbox(Tracker(open_store(f"sqlite:///{db}")))
    t0 = time.perf_counter()
    report = box.import_paths([mbox])
    took = time.perf_counter() - t0
    print(json.dumps({"seconds": took, "stored": len(report.stored),
                      "matched": sum(1 for s in report.stored if s.request_id),
                      "match_ms": 1000 * spent[0] / max(1, spent[1]),
                      "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


PEER = ("import mailbox, resource, sys, time, json; t = time.perf_counter(); n = len([m for m in "
        "mailbox.mbox(sys.argv[1])]); print(json.dumps({'seconds': time.perf_counter() - t, 'stored': n, "
        "'peak_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))")


def _run(cmd: list[str]) -> dict:
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--attachment-kb", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", metavar="DIR")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child_foia(*args.child)
        return 0
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="foia-inbox-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("FOIA_CONFIG_DIR", str(work / "config"))
    os.environ["FOIA_USER"] = "bench"
    try:
        base, mbox = work / "base.db", work / "replies.mbox"
        if not base.exists():
            build_tracker(base, args.requests, work)
        if not mbox.exists():
            build_mbox(mbox, args.messages, args.attachment_kb, args.requests)
        size_mb = mbox.stat().st_size / 1e6
        print(f"mbox: {args.messages:,} messages, {size_mb:,.0f} MB; tracker: {args.requests:,} requests")
        foia, peer = [], []
        for i in range(args.runs):
            db = work / "run.db"
            for suffix in ("", "-wal", "-shm"):
                Path(str(db) + suffix).unlink(missing_ok=True)
            shutil.copyfile(base, db)
            order = [("foia", [sys.executable, __file__, "--child", str(db), str(mbox)]),
                     ("peer", [sys.executable, "-c", PEER, str(mbox)])]
            for name, cmd in (order if i % 2 == 0 else order[::-1]):
                result = _run(cmd)
                (foia if name == "foia" else peer).append(result)
                print(f"  run {i + 1} {name}: {result['seconds']:.1f} s, peak {result['peak_mb']:.0f} MB",
                      file=sys.stderr)
        f_s = statistics.median(r["seconds"] for r in foia)
        p_s = statistics.median(r["seconds"] for r in peer)
        f_mb = statistics.median(r["peak_mb"] for r in foia)
        p_mb = statistics.median(r["peak_mb"] for r in peer)
        print(f"foia inbox import: {f_s:.1f} s median of {args.runs} = {args.messages / f_s:,.0f} messages/s "
              f"({size_mb / f_s:,.0f} MB/s), peak memory {f_mb:.0f} MB, "
              f"matched {foia[0]['matched']:,} of {foia[0]['stored']:,}")
        print(f"  matching: {statistics.median(r['match_ms'] for r in foia):.2f} ms a message (median) "
              f"against {args.requests:,} requests")
        print(f"peer (stdlib mailbox.mbox list): {p_s:.1f} s = {args.messages / p_s:,.0f} messages/s, "
              f"peak memory {p_mb:.0f} MB")
        print(f"ratio foia/peer: time {f_s / p_s:.2f}x, peak memory {f_mb / p_mb:.2f}x")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
