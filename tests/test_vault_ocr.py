"""OCR of pages without a text layer (ocrmypdf over Tesseract): skipped loudly when missing,
a failure when FOIA_REQUIRE_OCR=1 (as in .ci/run)."""

from __future__ import annotations

import json
import os
import shutil

import pytest
from click.testing import CliRunner

from foia.cli import cli
from vault_support import make_pdf


def _need_ocr():
    from foia.vault.documents import ocr_command

    missing = [what for what, ok in (("ocrmypdf", ocr_command() is not None),
                                     ("tesseract", shutil.which("tesseract") is not None)) if not ok]
    if missing:
        reason = f"OCR NOT TESTED: {' and '.join(missing)} not installed (pip install 'foia[ocr]', apt-get install tesseract-ocr)"
        if os.environ.get("FOIA_REQUIRE_OCR") == "1":
            pytest.fail(f"{reason}; FOIA_REQUIRE_OCR=1 requires it")
        pytest.skip(reason)


def run(url, *args, ok=True):
    r = CliRunner().invoke(cli, [args[0], "--db", url, *args[1:]])
    assert (r.exit_code == 0) == ok, r.output
    return r


@pytest.fixture
def scanned(db_url, tmp_path):
    run(db_url, "track", "add", "--title", "ICM", "--office", "ICE", "--on", "2026-01-05")
    pdf = make_pdf(tmp_path / "scan.pdf", ["Cover letter from the ICE FOIA Office", None])
    run(db_url, "docs", "add", "1", str(pdf))
    return db_url, pdf


@pytest.mark.slow
def test_ocr_reads_the_scanned_page_and_keeps_the_original(scanned, tmp_path):
    _need_ocr()
    url, pdf = scanned
    assert not json.loads(run(url, "search", "scanned", "--in", "documents", "--json").output)
    out = run(url, "docs", "ocr", "1").output
    assert "OCR read 1 page; 0 still without text" in out
    d = json.loads(run(url, "docs", "show", "1", "--json").output)
    assert d["needs_ocr"] == 0 and d["text_layer"] and d["ocr_sha256"] not in (None, d["sha256"])
    assert "(b)(6)" in d["exemptions"] and "(b)(7)(C)" in d["exemptions"]
    hits = json.loads(run(url, "search", "palantir", "--in", "documents", "--json").output)
    assert [(h["document_id"], h["page"]) for h in hits] == [(1, 2)]
    original, ocrd = tmp_path / "original.pdf", tmp_path / "ocr.pdf"
    run(url, "docs", "export", "1", "--out", str(original))
    run(url, "docs", "export", "1", "--ocr", "--out", str(ocrd))
    assert original.read_bytes() == pdf.read_bytes() and ocrd.read_bytes() != pdf.read_bytes()
    assert "nothing to OCR" in run(url, "docs", "ocr", "1", ok=False).output


@pytest.mark.pure
def test_without_ocrmypdf_one_line_says_how_to_install_it(scanned, monkeypatch):
    from foia.vault import documents

    monkeypatch.setattr(documents, "ocr_command", lambda: None)
    url, _ = scanned
    r = run(url, "docs", "ocr", "1", ok=False)
    assert r.output == ("Error: OCR needs ocrmypdf over Tesseract: pip install 'foia[ocr]' and apt-get install "
                        "tesseract-ocr (or apt-get install ocrmypdf)\n")
