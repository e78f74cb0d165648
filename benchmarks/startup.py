"""How fast the CLI starts: `foia --help` and `foia agencies list` against `python -c "import click"`.

Run: .venv/bin/python benchmarks/startup.py [--runs 15]
Prints the median wall time of each over several runs (fresh processes, warm disk cache).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time


def median_ms(argv: list[str], runs: int) -> float:
    times = []
    for _ in range(runs + 1):
        start = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times[1:])  # the first run warms the disk cache


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    py = sys.executable
    base = median_ms([py, "-c", "import click"], args.runs)
    rows = [("python -c 'import click'", base)]
    for label, argv in [("foia --help", ["--help"]), ("foia agencies list", ["agencies", "list"]),
                        ("foia agencies show ice", ["agencies", "show", "ice"])]:
        rows.append((label, median_ms([py, "-m", "foia", *argv], args.runs)))
    for label, ms in rows:
        print(f"{label:<28} {ms:7.1f} ms   ({ms / base:4.2f}x import click)")


if __name__ == "__main__":
    main()
