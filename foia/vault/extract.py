"""What a file is and what it says: media type from the bytes, text per page, exemption marks.

Pure functions over a file on disk (no database). PDFs are read with pypdf (BSD): PyMuPDF's
AGPL does not fit this MIT project. A page whose text layer is empty is marked ``needs_ocr``
(`foia docs ocr` gives it one).

Exemption marks: the statute asks the agency to indicate the exemption at the place of each
deletion where technically feasible (5 U.S.C. 552(b), closing sentences), so released pages
carry marks such as ``(b)(6)`` or ``(b)(7)(C)``; Privacy Act releases cite 552a(j) and (k)
(``(k)(2)``). They are counted per page, and per document.
"""

from __future__ import annotations

import email
import email.policy
import html.parser
import re
import stat
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from foia.errors import FoiaError

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
TEXT = "text/plain"
EML = "message/rfc822"
HTML = "text/html"
KINDS = {PDF: "PDF", DOCX: "Word (DOCX) file", TEXT: "text file", EML: "email (EML)", HTML: "HTML page"}
# What a file name promises: a name with one of these extensions must hold that type.
EXTENSIONS = {".pdf": PDF, ".docx": DOCX, ".txt": TEXT, ".eml": EML, ".html": HTML, ".htm": HTML}

MAX_BYTES = 1 << 30          # 1 GiB: larger than any production seen; a 2 GB file is refused
MAX_PAGES = 100_000          # a page tree claiming more is a bomb, not a production
MAX_PAGE_TEXT = 1 << 20      # 1 MiB of text from one page is a hostile content stream

# (b)(1)-(b)(9) and (b)(7)(A)-(F) of 552; (j)(1)-(2) and (k)(1)-(7) of 552a. Spaces and the
# case of the sub-letter vary in agencies' stamps; "b6" without parentheses is too ambiguous.
# "(b)(4) (b)(6)": the "(b)" that starts the next mark is not a sub-letter of the first.
_MARK = re.compile(r"\(\s*([bjkBJK])\s*\)\s*\(\s*(\d)\s*\)(?:\s*\(\s*([A-Fa-f])\s*\)(?!\s*\(\s*\d))?")
_VALID = {"b": set("123456789"), "j": set("12"), "k": set("1234567")}
# A page that stands in for a page withheld in full ("Withheld pursuant to exemption (b)(6)").
_WITHHELD = re.compile(r"\b(withheld\s+in\s+(its\s+)?full|page\s+withheld|denied\s+in\s+full|"
                       r"withheld\s+pursuant\s+to)\b", re.I)


@dataclass
class Page:
    number: int
    text: str
    needs_ocr: bool
    exemptions: dict[str, int]
    withheld: bool


@dataclass
class Extracted:
    media_type: str
    pages: list[Page] = field(default_factory=list)

    @property
    def exemptions(self) -> dict[str, int]:
        total: Counter = Counter()
        for p in self.pages:
            total.update(p.exemptions)
        return dict(sorted(total.items(), key=_mark_order))

    @property
    def needs_ocr(self) -> int:
        return sum(p.needs_ocr for p in self.pages)

    @property
    def disposition(self) -> str:
        """full, partial (some pages redacted or withheld) or withheld (every page withheld)."""
        if self.pages and all(p.withheld for p in self.pages):
            return "withheld"
        if any(p.exemptions or p.withheld for p in self.pages):
            return "partial"
        return "full"


def _mark_order(item):
    code = item[0]
    return (code[1], int(code[4]), code[6:])


def exemption_marks(text: str) -> dict[str, int]:
    """``{"(b)(6)": 2, "(b)(7)(C)": 1}``: the exemption marks in ``text``, normalized."""
    found: Counter = Counter()
    for m in _MARK.finditer(text):
        letter, digit, sub = m.group(1).lower(), m.group(2), m.group(3)
        if digit not in _VALID[letter]:
            continue
        if (letter, digit) != ("b", "7"):
            sub = None      # only (b)(7) has sub-paragraphs; "(b)(6)(C)" is a (b)(6)
        found[f"({letter})({digit})" + (f"({sub.upper()})" if sub else "")] += 1
    return dict(sorted(found.items(), key=_mark_order))


def _page(number: int, text: str, *, needs_ocr: bool | None = None) -> Page:
    text = (text or "").replace("\x00", "")[:MAX_PAGE_TEXT]
    empty = not text.strip()
    return Page(number, text, empty if needs_ocr is None else needs_ocr, exemption_marks(text),
                bool(_WITHHELD.search(text)))


def check_file(path: Path) -> int:
    """The size of ``path``, refusing what is not a regular file of a size foia will store."""
    try:
        st = path.stat()
    except FileNotFoundError:
        raise FoiaError(f"{path}: no such file; check the path") from None
    if stat.S_ISDIR(st.st_mode):
        raise FoiaError(f"{path} is a folder; give the files in it (e.g. {path}/*.pdf)")
    if not stat.S_ISREG(st.st_mode):
        raise FoiaError(f"{path} is not a regular file (a device or a pipe); give a file the agency sent")
    if st.st_size == 0:
        raise FoiaError(f"{path} is empty (0 bytes); nothing to store")
    if st.st_size > MAX_BYTES:
        raise FoiaError(f"{path} is {st.st_size / (1 << 30):.1f} GiB, larger than the vault takes "
                        f"({MAX_BYTES >> 30} GiB); split it (e.g. qpdf --split-pages) and add the parts")
    return st.st_size


def sniff(path: Path) -> str:
    """The media type from the file's first bytes (the name is not trusted)."""
    with open(path, "rb") as fh:
        head = fh.read(4096)
    if head.lstrip(b"\r\n\t \x0c")[:5] == b"%PDF-" or b"%PDF-" in head[:1024]:
        return PDF
    if head[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(path) as z:
                if "word/document.xml" in z.namelist():
                    return DOCX
        except zipfile.BadZipFile:
            pass
        return "application/zip"
    if b"\x00" in head:
        return "application/octet-stream"
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut by the 4096-byte window is still text.
        if exc.start < len(head) - 4:
            try:
                text = head.decode("cp1252")
            except UnicodeDecodeError:
                return "application/octet-stream"
        else:
            text = head[:exc.start].decode("utf-8")
    lower = text.lstrip("\ufeff \r\n\t").lower()
    if lower.startswith(("<!doctype html", "<html")) or "<html" in lower[:512]:
        return HTML
    if re.match(r"(?:[!-9;-~]+:[^\n]*\r?\n(?:[ \t][^\n]*\r?\n)*)+", text) and re.search(
            r"^(from|date|subject|message-id|received|mime-version):", text, re.I | re.M):
        return EML
    return TEXT


def media_type(path: Path) -> str:
    """The file's media type, refusing a type foia does not read or a name that says otherwise."""
    found = sniff(path)
    promised = EXTENSIONS.get(path.suffix.lower())
    if promised and found != promised and not (promised == TEXT and found in (EML, HTML)):
        raise FoiaError(f"{path} is named like a {KINDS[promised]} but its bytes are {_described(found)}; "
                        "check that this is the file the agency sent (nothing was stored)")
    if found not in KINDS:
        raise FoiaError(f"{path}: {_described(found)} is not a kind the vault reads "
                        f"(PDF, DOCX, TXT, EML, HTML); convert it to PDF first")
    return found


def _described(media: str) -> str:
    return {PDF: "a PDF", DOCX: "a Word (DOCX) file", TEXT: "plain text", EML: "an email", HTML: "an HTML page",
            "application/zip": "a zip archive", "application/octet-stream": "binary data"}.get(media, media)


def extract(path: Path, media: str) -> Extracted:
    """The text of every page of ``path`` (one page for DOCX, TXT, EML and HTML)."""
    if media == PDF:
        return Extracted(PDF, pdf_pages(path))
    if media == DOCX:
        return Extracted(DOCX, [_page(1, _docx_text(path))])
    raw = path.read_bytes()
    if media == EML:
        return Extracted(EML, [_page(1, _eml_text(raw))])
    text = _decode(raw)
    if media == HTML:
        text = _html_text(text)
    return Extracted(media, [_page(1, text)])


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def _docx_text(path: Path) -> str:
    import docx

    try:
        d = docx.Document(str(path))
    except Exception as exc:  # noqa: BLE001 - python-docx raises many kinds for a broken package
        raise FoiaError(f"{path}: not a readable Word file ({type(exc).__name__}); nothing was stored") from None
    parts = [p.text for p in d.paragraphs]
    for table in d.tables:
        for row in table.rows:
            parts.append("\t".join(c.text for c in row.cells))
    return "\n".join(parts)


def _eml_text(raw: bytes) -> str:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    head = "\n".join(f"{k}: {msg[k]}" for k in ("From", "To", "Date", "Subject") if msg[k])
    bodies = []
    for part in msg.walk():
        if part.get_content_maintype() == "multipart" or part.get_filename():
            continue
        if part.get_content_type() in ("text/plain", "text/html"):
            try:
                body = part.get_content()
            except (LookupError, ValueError):
                body = part.get_payload(decode=True).decode("utf-8", "replace")
            bodies.append(_html_text(body) if part.get_content_type() == "text/html" else body)
    return head + "\n\n" + "\n".join(bodies)


class _Text(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.skip += 1
        elif tag in ("p", "br", "div", "tr", "li", "h1", "h2", "h3"):
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self.skip:
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def _html_text(text: str) -> str:
    p = _Text()
    p.feed(text)
    return "".join(p.parts)


# ---- PDF -----------------------------------------------------------------------------------


def open_pdf(path: Path):
    """A pypdf reader on ``path``, refusing a truncated, encrypted or hostile file in one line."""
    import logging

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError, PyPdfError

    # pypdf logs every repaired cross-reference table; the user gets one line or none.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    with open(path, "rb") as fh:
        fh.seek(0, 2)
        fh.seek(max(0, fh.tell() - 2048))
        if b"%%EOF" not in fh.read():
            raise FoiaError(f"{path} is a truncated PDF (no end-of-file marker): the download or the agency's "
                            "copy is incomplete; fetch it again (nothing was stored)")
    try:
        reader = PdfReader(str(path), strict=False)
        if reader.is_encrypted:
            try:
                ok = reader.decrypt("")
            except Exception:  # noqa: BLE001 - missing AES support or a broken encryption dictionary
                ok = 0
            if not ok:
                raise FoiaError(f"{path} is an encrypted PDF that needs a password; ask the agency for an "
                                "unencrypted copy, or remove the password (qpdf --decrypt) and add that")
        count = len(reader.pages)
    except FoiaError:
        raise
    except RecursionError:
        raise FoiaError(f"{path}: its page tree nests too deeply to be a real document (a PDF bomb?); "
                        "nothing was stored") from None
    except (PdfReadError, PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError,
            OSError, MemoryError) as exc:
        raise FoiaError(f"{path} is a corrupt PDF ({' '.join(str(exc).split())[:120] or type(exc).__name__}); "
                        "fetch it again or ask the agency for a new copy (nothing was stored)") from None
    if count > MAX_PAGES:
        raise FoiaError(f"{path} claims {count} pages, more than the vault takes ({MAX_PAGES}); "
                        "a page tree that large is hostile or broken (nothing was stored)")
    if count == 0:
        raise FoiaError(f"{path} is a PDF without pages; nothing was stored")
    return reader


def pdf_pages(path: Path) -> list[Page]:
    from pypdf.errors import PyPdfError

    reader = open_pdf(path)
    pages = []
    for i, page in enumerate(reader.pages, start=1):
        try:
            text = page.extract_text() or ""
        except RecursionError:
            raise FoiaError(f"{path}, page {i}: its content nests too deeply (a PDF bomb?); nothing was stored") \
                from None
        except MemoryError:
            raise FoiaError(f"{path}, page {i}: its content streams are too large to read (a PDF bomb?); "
                            "nothing was stored") from None
        except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError,
                ZeroDivisionError) as exc:
            raise FoiaError(f"{path}, page {i}: unreadable ({' '.join(str(exc).split())[:120] or type(exc).__name__});"
                            " fetch it again or ask the agency for a new copy (nothing was stored)") from None
        if not text.strip():
            _check_contents(path, i, page)
        pages.append(_page(i, text))
    return pages


def _check_contents(path: Path, number: int, page) -> None:
    """pypdf's text extraction swallows its own decompression limit (75 MB a stream) and returns
    nothing: an empty page is decoded once more to tell a scan from a bomb."""
    from pypdf.errors import LimitReachedError, PyPdfError

    try:
        contents = page.get_contents()
        if contents is not None:
            contents.get_data()
    except LimitReachedError:
        raise FoiaError(f"{path}, page {number}: a content stream inflates beyond pypdf's limit (a PDF bomb?); "
                        "nothing was stored") from None
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, OSError):
        pass    # unreadable contents: the page stays without text (needs-ocr), as extraction said
