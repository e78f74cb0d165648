"""Real processes: `foia docs add` killed (SIGKILL) at any point leaves the vault and the database
consistent: every recorded document has its bytes, whole; an add is all there or not at all."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from vault_support import make_pdf

ROOT = Path(__file__).resolve().parents[1]
FILES = 6


def _env(tmp_path):
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.update(FOIA_CONFIG_DIR=str(tmp_path / "cfg"), FOIA_DATA_DIR=str(tmp_path / "data"))
    return env


def _add(url, files, env) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "foia", "docs", "--db", url, "add", "1", *map(str, files)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _state(url):
    """(documents, pages) recorded, after checking every stored file against its SHA-256 and,
    on SQLite, the full-text index against the pages."""
    from sqlalchemy import func, select

    from foia.tracker import open_tracker
    from foia.vault.documents import verify
    from foia.vault.models import document_pages, documents

    t = open_tracker(url)
    try:
        report = verify(t)
        assert report["problems"] == []
        with t.store.read() as conn:
            docs = conn.execute(select(func.count()).select_from(documents)).scalar()
            pages = conn.execute(select(func.count()).select_from(document_pages)).scalar()
            assert conn.execute(select(func.coalesce(func.sum(documents.c.pages), 0))).scalar() == pages
            if t.store.is_sqlite:
                assert conn.exec_driver_sql("SELECT count(*) FROM document_fts").scalar() == pages
                assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
            else:
                assert conn.exec_driver_sql("SELECT count(*) FROM document_tsv").scalar() == pages
        return docs, pages, report["leftovers"]
    finally:
        t.store.dispose()


@pytest.mark.slow
def test_sigkill_during_add_leaves_vault_and_database_consistent(db_url, tmp_path):
    from foia.tracker import open_tracker

    files = [make_pdf(tmp_path / f"release-{i}.pdf", [f"Release {i} page {n} Palantir (b)(6)" for n in range(150)])
             for i in range(FILES)]
    env = _env(tmp_path)
    t = open_tracker(db_url)
    t.add(title="ICM", office="ice", on="2026-01-05")
    t.store.dispose()

    started = time.monotonic()
    ref = _add(db_url, files[:1], env)
    assert ref.wait(timeout=300) == 0, ref.stderr.read()
    one = time.monotonic() - started          # one file's add, start-up included
    base_docs, base_pages, _ = _state(db_url)
    assert (base_docs, base_pages) == (1, 150)

    # The rest, killed at points spread over a whole run (reading, storing bytes, committing): every
    # 0.2 of one file's add until a run finishes, so a machine whose load drops after the reference
    # run still gets kills mid-run (five files take longer than one, start-up included).
    mid_run = 0
    for step in range(1, 60):
        fraction = 0.2 * step
        proc = _add(db_url, files[1:], env)
        time.sleep(one * fraction)
        finished = proc.poll() is not None
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        docs, pages, leftovers = _state(db_url)
        if finished or docs > base_docs:
            assert (docs, pages) == (FILES, FILES * 150)    # the whole add, or
            break
        assert (docs, pages) == (base_docs, base_pages)     # nothing of it
        mid_run += 1
    # The kills landed mid-run, or this test proved nothing.
    assert mid_run >= 3
    # A killed add leaves at most unreferenced files (adopted by the next add), never a row without bytes.
    if docs == base_docs:
        again = _add(db_url, files[1:], env)
        assert again.wait(timeout=300) == 0, again.stderr.read()
    docs, pages, leftovers = _state(db_url)
    assert (docs, pages) == (FILES, FILES * 150)
    assert all(Path(p).name.startswith(".") for p in leftovers), leftovers   # only atomic writes' temp files
