"""DOCX layout as a reader sees it: page numbers, the identity block and the declaration with
the signature each kept on one page, fonts a reader has.

LibreOffice headless converts the letters to PDF (poppler's pdftotext and pdffonts read them).
Without soffice or poppler the conversion tests are skipped with a loud reason, and FAIL when
FOIA_REQUIRE_SOFFICE=1 (as .ci/run sets).
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import zipfile

import docx
import pytest

from foia.directory import load_directory
from foia.letters import build_letter, letter_bytes
from letters_support import OPTIONS, PROFILE, TODAY

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def need_soffice() -> str:
    missing = [tool for tool in ("soffice", "pdftotext", "pdffonts", "pdfinfo") if not shutil.which(tool)]
    if missing:
        reason = f"{', '.join(missing)} not installed (apt-get install libreoffice-writer-nogui poppler-utils)"
        if os.environ.get("FOIA_REQUIRE_SOFFICE") == "1":
            pytest.fail(f"{reason} (FOIA_REQUIRE_SOFFICE=1: the LibreOffice check is required)")
        pytest.skip(f"{reason}; set FOIA_REQUIRE_SOFFICE=1 to make this a failure")
    return shutil.which("soffice")


@pytest.fixture(scope="module")
def d():
    return load_directory()


def self_letter(d, details: str):
    return build_letter("self", directory=d, office="ice", profile=PROFILE,
                        options={**OPTIONS["self"], "other_names": ["Ana Ruiz Soto"], "details": details,
                                 "fee_waiver": True},
                        today=TODAY)


# Longer and longer details move the identity block and the declaration across the page break.
SENTENCE = "Encounters at the Nogales and Lukeville ports of entry, secondary inspections and device searches. "
VARIANTS = [SENTENCE * n for n in range(0, 60, 3)]


def to_pdf(soffice: str, docs: dict[str, bytes], tmp_path) -> dict[str, tuple[int, list[str], str]]:
    """name -> (page count, text of each page, fonts) of each DOCX converted by LibreOffice."""
    src, out = tmp_path / "docx", tmp_path / "pdf"
    src.mkdir()
    for name, data in docs.items():
        (src / f"{name}.docx").write_bytes(data)
    # A private LibreOffice profile: parallel test runs must not share one.
    subprocess.run([soffice, f"-env:UserInstallation=file://{tmp_path}/lo", "--headless", "--norestore",
                    "--convert-to", "pdf", "--outdir", str(out), *sorted(str(p) for p in src.iterdir())],
                   check=True, capture_output=True, timeout=300)
    result = {}
    for name in docs:
        pdf = out / f"{name}.pdf"
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
        pages = int(next(line.split()[1] for line in info.splitlines() if line.startswith("Pages:")))
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
        result[name] = (pages, [" ".join(p.split()) for p in text.split("\f")[:pages]], fonts)
    return result


def on_one_page(pages: list[str], first: str, last: str) -> bool:
    """Whether the text from ``first`` to ``last`` (inclusive) lies on a single page."""
    for page in pages:
        if first in page:
            return last in page[page.index(first):]
    return False


@pytest.mark.slow
def test_libreoffice_shows_page_numbers_and_keeps_identity_and_declaration_together(d, tmp_path):
    soffice = need_soffice()
    letters = {f"v{i:02d}": self_letter(d, details) for i, details in enumerate(VARIANTS)}
    converted = to_pdf(soffice, {k: letter_bytes(lt, "docx") for k, lt in letters.items()}, tmp_path)
    counts = set()
    for name, (pages, texts, fonts) in converted.items():
        counts.add(pages)
        assert pages >= 2, name
        for n, page in enumerate(texts, 1):
            assert f"Page {n} of {pages}" in page, (name, n, page[-200:])
        assert on_one_page(texts, "Verification of identity", "A-Number: A098765432"), name
        assert on_one_page(texts, "Declaration under 28 U.S.C. 1746", "Sincerely, Ana Ruiz Researcher Border Data Project"), name
        assert "DejaVu" not in fonts, f"{name}: a font the letter names is missing: {fonts}"
    # The variants cross at least one page break (otherwise this test would prove nothing).
    assert len(counts) >= 2, counts


def test_docx_numbers_its_pages_in_the_footer(d):
    data = letter_bytes(self_letter(d, ""), "docx")
    doc = docx.Document(io.BytesIO(data))
    footer = doc.sections[0].footer
    instr = [el.get(f"{W}instr") for el in footer._element.iter(f"{W}fldSimple")]
    assert [i.split()[0] for i in instr] == ["PAGE", "NUMPAGES"]
    assert footer.paragraphs[0].text.startswith("Page ")


def test_docx_names_fonts_not_theme_fonts(d):
    data = letter_bytes(self_letter(d, ""), "docx")
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        styles = z.read("word/styles.xml").decode()
    assert "asciiTheme" not in styles and "hAnsiTheme" not in styles
    doc = docx.Document(io.BytesIO(data))
    assert doc.styles["Normal"].font.name == "Times New Roman"


def test_docx_keeps_the_identity_block_and_the_declaration_with_the_signature(d):
    doc = docx.Document(io.BytesIO(letter_bytes(self_letter(d, ""), "docx")))
    paras = doc.paragraphs

    def keep_next(p) -> bool:
        own = p.paragraph_format.keep_with_next
        return own if own is not None else bool(p.style.paragraph_format.keep_with_next)

    texts = [p.text for p in paras]
    identity = texts.index("Verification of identity (6 CFR 5.21(e))")
    last_identity = max(i for i, t in enumerate(texts) if t.startswith("A-Number:"))
    assert all(keep_next(p) for p in paras[identity:last_identity])
    declaration = texts.index("Declaration under 28 U.S.C. 1746")
    assert all(keep_next(p) for p in paras[declaration:-1])
    assert not keep_next(paras[-1])
