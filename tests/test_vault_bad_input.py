"""Bad input to `foia docs add`: one clear line each, non-zero exit, nothing stored."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from foia.cli import cli
from vault_support import deep_page_tree, make_pdf, zip_bomb_page


@pytest.fixture
def url(db_url):
    r = CliRunner().invoke(cli, ["track", "--db", db_url, "add", "--title", "ICM", "--office", "ICE",
                                 "--on", "2026-01-05"])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(cli, ["track", "--db", db_url, "add", "--title", "Other", "--office", "CBP",
                                 "--on", "2026-01-05"])
    assert r.exit_code == 0, r.output
    return db_url


def _encrypted(p: Path) -> Path:
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(p), encrypt="secret")
    c.drawString(72, 720, "secret memo")
    c.showPage()
    c.save()
    return p


def _truncated(p: Path) -> Path:
    data = make_pdf(p.with_name("whole.pdf"), ["one", "two"]).read_bytes()
    p.write_bytes(data[: len(data) // 2])
    return p


def _corrupt(p: Path) -> Path:
    p.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 20 + b"\n%%EOF\n")
    return p


def _sparse_2gb(p: Path) -> Path:
    with open(p, "wb") as fh:
        fh.write(b"%PDF-1.7\n")
        fh.truncate(2 << 30)        # sparse: no disk used
    return p


def _not_a_pdf(p: Path) -> Path:
    p.write_text("Dear requester, this is plain text.\n")
    return p


def _pdf_named_docx(p: Path) -> Path:
    make_pdf(p, ["a PDF in disguise"])
    return p


def _png(p: Path) -> Path:
    p.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    return p


CASES = [
    ("enc.pdf", _encrypted, "is an encrypted PDF that needs a password"),
    ("trunc.pdf", _truncated, "is a truncated PDF (no end-of-file marker)"),
    ("corrupt.pdf", _corrupt, "is a corrupt PDF"),
    ("deep.pdf", lambda p: deep_page_tree(p, 5000), "is a corrupt PDF (Maximum page tree depth"),
    ("bomb.pdf", lambda p: zip_bomb_page(p, 200), "inflates beyond pypdf's limit (a PDF bomb?)"),
    ("big.pdf", _sparse_2gb, "is 2.0 GiB, larger than the vault takes (1 GiB)"),
    ("letter.pdf", _not_a_pdf, "is named like a PDF but its bytes are plain text"),
    ("memo.docx", _pdf_named_docx, "is named like a Word (DOCX) file but its bytes are a PDF"),
    ("scan.png", _png, "binary data is not a kind the vault reads"),
]


def _nothing_stored(db_url):
    from foia.tracker import open_tracker
    from foia.vault.documents import list_documents, vault_dir, verify

    t = open_tracker(db_url)
    try:
        assert list_documents(t) == []
        assert verify(t) == {"blobs": 0, "problems": [], "leftovers": []}
        folder = vault_dir(t.store)
        assert folder is None or not [p for p in folder.rglob("*") if p.is_file()]
        assert [e for e in t.show(1)["timeline"] if e["type"] == "documents"] == []
    finally:
        t.store.dispose()


@pytest.mark.pure
@pytest.mark.parametrize("name,make,message", CASES, ids=[c[0] for c in CASES])
def test_bad_file_is_one_line_and_nothing_is_stored(url, tmp_path, name, make, message):
    bad = make(tmp_path / name)
    good = make_pdf(tmp_path / "good.pdf", ["a good page"])
    # Given with a good file: the good one is not stored either (all or nothing).
    r = CliRunner().invoke(cli, ["docs", "--db", url, "add", "1", str(good), str(bad)])
    assert r.exit_code == 1, r.output
    assert r.output.startswith("Error: ") and r.output.count("\n") == 1, r.output
    assert message in r.output and name in r.output
    _nothing_stored(url)


@pytest.mark.pure
@pytest.mark.parametrize("what", ["folder", "device"])
def test_a_folder_or_a_device_is_refused(url, tmp_path, what):
    path = str(tmp_path) if what == "folder" else os.devnull
    r = CliRunner().invoke(cli, ["docs", "--db", url, "add", "1", path])
    assert r.exit_code == 1 and r.output.count("\n") == 1, r.output
    assert ("is a folder; give the files in it" if what == "folder" else "is not a regular file") in r.output
    _nothing_stored(url)


def test_options_and_duplicates(url, tmp_path):
    good = make_pdf(tmp_path / "good.pdf", ["a good page"])

    def add(*args):
        return CliRunner().invoke(cli, ["docs", "--db", url, "add", *args])

    r = add("1", str(good), "--received", "2999-01-01")
    assert r.exit_code != 0 and "--received: 2999-01-01 is in the future" in r.output
    r = add("1", str(good), "--event", "3")         # event 3 belongs to request 2
    assert r.exit_code != 0 and "--event 3: no such event on request 1" in r.output
    r = add("9", str(good))
    assert r.exit_code != 0 and "no request 9" in r.output
    r = add("1", str(good), str(good))
    assert r.exit_code != 0 and "has the same bytes as" in r.output
    _nothing_stored(url)
    assert add("1", str(good), "--event", "1").exit_code == 0
    r = add("1", str(good))
    assert r.exit_code == 1 and "is already document 1 of request 1" in r.output and r.output.count("\n") == 1
