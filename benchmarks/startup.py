"""How fast each command starts, as a ratio to `python -c "import click"` measured side by side.

Run: .venv/bin/python benchmarks/startup.py [--runs 11] [--only deadline,draft-docx] [--against DIR]

Every round runs the floor (`import click`) and then each command once, in fresh processes, so a
busy shared machine slows both sides alike; the figures are the medians over the rounds (the
first round only warms the disk and the caches: foia's directory and DOCX skeleton caches are
built then, as they are on a user's first run). The user folders point at a temporary
directory; `track due` runs on an empty tracker and on one of --requests requests.

--against DIR runs each command a second time per round with DIR first on PYTHONPATH (another
checkout of foia, e.g. main's worktree), so before and after are measured side by side in the
same rounds; each side keeps its own cache folder.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def run_ms(argv: list[str], env: dict) -> float:
    start = time.perf_counter()
    # Run from the temporary folder: `-m foia` puts the working folder first on sys.path.
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
                   cwd=env["FOIA_DATA_DIR"].rsplit(os.sep, 1)[0])
    return (time.perf_counter() - start) * 1000


def commands(tmp: Path, offices10: list[str]) -> list[tuple[str, list[str]]]:
    letter = ["--system", "icm", "--requester-name", "A Requester", "--requester-email", "a@example.org",
              "--no-profile", "--date", "2026-06-01", "--overwrite", "--out", str(tmp / "letters")]
    ten = [a for o in offices10 for a in ("--to", o)]
    return [
        ("foia --help", ["--help"]),
        ("foia agencies list", ["agencies", "list"]),
        ("foia agencies show ice", ["agencies", "show", "ice"]),
        ("foia deadline --received", ["deadline", "--received", "2026-03-02", "--office", "ICE"]),
        ("foia track due (empty)", ["track", "--db", f"sqlite:///{tmp / 'empty.db'}", "due"]),
        ("foia track due (10k)", ["track", "--db", f"sqlite:///{tmp / 'big.db'}", "due"]),
        ("draft records txt, 1 office", ["draft", "records", "--to", "ICE", *letter]),
        ("draft records txt, 10 offices", ["draft", "records", *ten, *letter]),
        ("draft records docx, 10 offices", ["draft", "records", *ten, *letter, "--format", "docx"]),
    ]


def fill_tracker(url: str, n: int) -> None:
    """n submitted requests spread over a year, through `foia track import` of a CSV."""
    from datetime import date, timedelta

    from foia.tracker import open_tracker
    from foia.tracker.bulk import import_file

    offices = ["ice", "cbp", "uscis", "obim", "fbi"]
    csv = Path(url.removeprefix("sqlite:///") + ".csv")
    lines = ["title,office,filed_on,status"]
    for i in range(n):
        lines.append(f"Request {i},{offices[i % len(offices)]},{date(2026, 1, 5) + timedelta(days=i % 300)},"
                     "submitted")
    csv.write_text("\n".join(lines) + "\n")
    t = open_tracker(url)
    try:
        import_file(t, csv)
    finally:
        t.store.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--only", default="", help="comma-separated substrings of the rows to run")
    parser.add_argument("--against", default="", help="another foia checkout, run side by side")
    args = parser.parse_args()
    py = sys.executable
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        env = dict(os.environ, FOIA_DATA_DIR=str(tmp / "data"), FOIA_CONFIG_DIR=str(tmp / "config"),
                   FOIA_CACHE_DIR=str(tmp / "cache"))
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env.pop("FOIA_DB", None)
        sides = {"": env}
        if args.against:
            other = str(Path(args.against).resolve())
            sides["against"] = dict(env, FOIA_CACHE_DIR=str(tmp / "cache-against"),
                                    PYTHONPATH=os.pathsep.join(filter(None, [other, env.get("PYTHONPATH")])))
        os.environ.update({k: env[k] for k in ("FOIA_DATA_DIR", "FOIA_CONFIG_DIR", "FOIA_CACHE_DIR")})
        offices10 = ["ICE", "CBP", "USCIS", "OBIM", "OIG", "FBI", "DHS", "DHS-PRIV", "HSI", "ERO"]
        rows = commands(tmp, offices10)
        if args.only:
            wanted = args.only.split(",")
            rows = [r for r in rows if any(w in r[0] for w in wanted)]
        if any("10k" in label for label, _ in rows):
            fill_tracker(f"sqlite:///{tmp / 'big.db'}", args.requests)
        for side_env in sides.values():
            subprocess.run([py, "-m", "foia", "track", "--db", f"sqlite:///{tmp / 'empty.db'}", "due"],
                           env=side_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp)
        times: dict[tuple[str, str], list[float]] = {("", "import click"): []}
        for label, _ in rows:
            for side in sides:
                times[(side, label)] = []
        for rnd in range(args.runs + 1):
            base = run_ms([py, "-c", "import click"], env)
            got = [((side, label), run_ms([py, "-m", "foia", *argv], side_env))
                   for label, argv in rows for side, side_env in sides.items()]
            if rnd:  # round 0 warms the disk cache and builds foia's per-user caches
                times[("", "import click")].append(base)
                for key, ms in got:
                    times[key].append(ms)
    base = statistics.median(times[("", "import click")])
    print(f"{'python -c import click':<32} {base:7.1f} ms")
    for label, _ in rows:
        ms = statistics.median(times[("", label)])
        line = f"{label:<32} {ms:7.1f} ms   ({ms / base:4.2f}x import click)"
        if args.against:
            theirs = statistics.median(times[("against", label)])
            line += f"   against: {theirs:7.1f} ms ({theirs / base:4.2f}x)"
        print(line)


if __name__ == "__main__":
    main()
