"""Benchmark: the evidence vault.

Run: .venv/bin/python benchmarks/vault.py [--pages 1000] [--search-pages 100000] [--bundle-pages 5000]
     [--runs 5] [--pg URL | --no-pg]

Needs the test extra (reportlab makes the PDFs) and poppler-utils (pdftotext, the peer).

- Text extraction: a --pages born-digital PDF (a memo-like page of ~40 lines each) read by
  ``foia.vault.extract.pdf_pages`` (pypdf) and by ``pdftotext`` (poppler, C), alternately
  --runs times; prints pages per second (median) for both and the ratio. Then the whole
  ``foia docs add`` of that file (sniff, hash, extract, store, index) on SQLite.
- Search over --search-pages pages on SQLite (FTS5) and PostgreSQL (tsvector + GIN): pages
  written through the vault's own insert and index path (text generated, not extracted: 100,000
  pages of extraction would measure pypdf again), then 40 queries (single words of different
  frequency, a phrase, OR, -word, --request filter); prints median and p95 per backend.
- Bundle: a --bundle-pages production (10 PDFs) stamped and zipped by ``foia track bundle`` in a
  child process; prints seconds and the child's peak memory (ru_maxrss) beside the production's
  size: the bundle streams one document at a time, so memory follows the largest PDF, not the sum.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

WORDS = ("request records agency office determination appeal exemption contract vendor system "
         "license plate reader database query analyst report memorandum email attachment "
         "surveillance location data broker subscription enforcement removal operations").split()
RARE = ["Palantir", "ImmigrationOS", "Clearview", "Babel", "Venntel"]


def page_text(rng: random.Random, n: int) -> str:
    lines = []
    for i in range(40):
        words = [rng.choice(WORDS) for _ in range(10)]
        if rng.random() < 0.02:
            words[rng.randrange(10)] = rng.choice(RARE)
        if rng.random() < 0.05:
            words.append(rng.choice(["(b)(6)", "(b)(7)(C)", "(b)(7)(E)", "(b)(5)"]))
        lines.append(" ".join(words))
    return f"Page {n}\n" + "\n".join(lines)


def make_production(path: Path, pages: int, seed: int) -> Path:
    from vault_support import make_pdf

    rng = random.Random(seed)
    return make_pdf(path, [page_text(rng, i) for i in range(pages)])


def extraction(tmp: Path, pages: int, runs: int) -> None:
    from foia.vault.extract import pdf_pages

    if not shutil.which("pdftotext"):
        sys.exit("pdftotext (poppler-utils) is needed as the peer: apt-get install poppler-utils")
    pdf = make_production(tmp / "production.pdf", pages, 1)
    ours, peer = [], []
    for _ in range(runs):
        t = time.perf_counter()
        got = pdf_pages(pdf)
        ours.append(time.perf_counter() - t)
        assert len(got) == pages and "Page 0" in got[0].text
        t = time.perf_counter()
        subprocess.run(["pdftotext", "-layout", str(pdf), str(tmp / "out.txt")], check=True)
        peer.append(time.perf_counter() - t)
    o, p = statistics.median(ours), statistics.median(peer)
    print(f"Extraction of a {pages}-page born-digital PDF ({pdf.stat().st_size / 1e6:.1f} MB), median of {runs}:")
    print(f"  foia (pypdf): {pages / o:8.0f} pages/s ({o:.2f} s)")
    print(f"  pdftotext:    {pages / p:8.0f} pages/s ({p:.2f} s)")
    print(f"  ratio: pdftotext is {o / p:.1f}x faster (a C library against pure Python)")

    from foia.tracker import open_tracker
    from foia.vault.documents import add

    tr = open_tracker(f"sqlite:///{tmp / 'extract.db'}")
    tr.add(title="Production", office="ice", on="2026-01-05")
    t = time.perf_counter()
    add(tr, 1, [pdf])
    took = time.perf_counter() - t
    tr.store.dispose()
    print(f"  foia docs add of the same file (hash, extract, store, index; SQLite): {took:.2f} s, "
          f"{pages / took:.0f} pages/s")


def fill(url: str, pages: int) -> None:
    from sqlalchemy import insert

    from foia.tracker import open_tracker
    from foia.tracker.store import utcnow
    from foia.vault.documents import _index_pages, _page_rows
    from foia.vault.extract import Page, exemption_marks
    from foia.vault.models import blobs, documents

    rng = random.Random(7)
    tr = open_tracker(url)
    for i in range(20):
        tr.add(title=f"Request {i}", office=rng.choice(["ice", "cbp", "uscis"]), on="2026-01-05")
    per_doc = 500
    stamp = utcnow()

    def batch(conn, start):
        for d in range(start, min(start + 20 * per_doc, pages), per_doc):
            sha = uuid.uuid4().hex * 2
            conn.execute(insert(blobs).values(sha256=sha, size=1, media_type="application/pdf", stored_at=stamp))
            n = min(per_doc, pages - d)
            doc_id = conn.execute(insert(documents).values(
                request_id=rng.randint(1, 20), sha256=sha, original_name="bench.pdf", media_type="application/pdf",
                size=1, pages=n, text_layer=True, needs_ocr=0, office="ice", received_on=tr.today(),
                exemptions=None, disposition="partial", added_at=stamp)).inserted_primary_key[0]
            rows = []
            for k in range(n):
                text = page_text(rng, d + k)
                rows.append(Page(k + 1, text, False, exemption_marks(text), False))
            conn.execute(insert(__import__("foia.vault.models", fromlist=["x"]).document_pages), _page_rows(doc_id, rows))
            _index_pages(conn, doc_id)

    for start in range(0, pages, 20 * per_doc):
        tr.store.write(lambda c: batch(c, start))
    if tr.store.is_postgresql:
        with tr.store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.exec_driver_sql("VACUUM ANALYZE document_pages")
    tr.store.dispose()


QUERIES = ["Palantir", "ImmigrationOS", "Clearview Venntel", '"license plate"', "Babel OR Venntel",
           "memorandum -appeal", "surveillance broker", "exemption", "reader database", "Palantir analyst"]


def searching(url: str, label: str, pages: int) -> None:
    from foia.tracker import open_tracker
    from foia.vault.search import search

    t = time.perf_counter()
    fill(url, pages)
    built = time.perf_counter() - t
    tr = open_tracker(url)
    times = []
    for rep in range(4):
        for q in QUERIES:
            kw = {"request": 3} if rep == 3 else {}
            t = time.perf_counter()
            hits = search(tr, q, limit=20, **kw)
            times.append(time.perf_counter() - t)
            assert hits or rep == 3 or "-" in q, q
    tr.store.dispose()
    times.sort()
    p95 = times[int(len(times) * 0.95) - 1]
    print(f"Search over {pages} pages, {label} (built in {built:.0f} s): {len(times)} queries, median "
          f"{statistics.median(times) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, max {times[-1] * 1000:.0f} ms")


CHILD = """
import resource, sys, time
from foia.tracker import open_tracker
from foia.vault.bundle import bundle
t = open_tracker(sys.argv[1])
start = time.perf_counter()
r = bundle(t, 1, sys.argv[2], prefix="ICE-")
took = time.perf_counter() - start
print(r["pages"], r["last"], round(took, 2), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def bundling(tmp: Path, pages: int) -> None:
    from foia.tracker import open_tracker
    from foia.vault.documents import add

    url = f"sqlite:///{tmp / 'bundle.db'}"
    tr = open_tracker(url)
    tr.add(title="Production", office="ice", on="2026-01-05")
    per = pages // 10
    files = [make_production(tmp / f"part-{i}.pdf", per, 100 + i) for i in range(10)]
    add(tr, 1, files)
    tr.store.dispose()
    size = sum(f.stat().st_size for f in files)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-c", CHILD, url, str(tmp / "case.zip")], env=env, capture_output=True,
                         text=True, check=True).stdout.split()
    base = subprocess.run([sys.executable, "-c", "import resource, foia.vault.bundle, foia.tracker.service, pypdf, docx;"
                           "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"], env=env, capture_output=True,
                          text=True, check=True).stdout.split()
    print(f"Bundle of a {out[0]}-page production in 10 PDFs ({size / 1e6:.1f} MB, largest "
          f"{max(f.stat().st_size for f in files) / 1e6:.1f} MB): {out[2]} s ({int(out[0]) / float(out[2]):.0f} pages/s), "
          f"Bates ICE-000001-{out[1]}; peak memory {int(out[3]) / 1024:.0f} MB (the libraries alone: "
          f"{int(base[0]) / 1024:.0f} MB); zip {(tmp / 'case.zip').stat().st_size / 1e6:.1f} MB")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=1000)
    ap.add_argument("--search-pages", type=int, default=100_000)
    ap.add_argument("--bundle-pages", type=int, default=5000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--pg", default=os.environ.get("FOIA_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    ap.add_argument("--no-pg", action="store_true")
    ap.add_argument("--only", choices=["extract", "search", "bundle"])
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="foia-bench-vault-") as d:
        tmp = Path(d)
        os.environ.setdefault("FOIA_DATA_DIR", str(tmp / "data"))
        if args.only in (None, "extract"):
            extraction(tmp, args.pages, args.runs)
        if args.only in (None, "search"):
            searching(f"sqlite:///{tmp / 'search.db'}", "SQLite FTS5", args.search_pages)
            if not args.no_pg:
                import psycopg

                schema = "bench_" + uuid.uuid4().hex[:12]
                base = args.pg.replace("postgresql+psycopg://", "postgresql://", 1)
                with psycopg.connect(base, autocommit=True) as c:
                    c.execute(f"CREATE SCHEMA {schema}")
                try:
                    sep = "&" if "?" in args.pg else "?"
                    searching(f"{args.pg}{sep}options=-csearch_path%3D{schema}", "PostgreSQL tsvector + GIN",
                              args.search_pages)
                finally:
                    with psycopg.connect(base, autocommit=True) as c:
                        c.execute(f"DROP SCHEMA {schema} CASCADE")
        if args.only in (None, "bundle"):
            bundling(tmp, args.bundle_pages)


if __name__ == "__main__":
    main()
