"""DOCX letters with real paragraph styles (python-docx).

Every block of the letter becomes paragraphs in a named style: Letterhead, Letter Date, Inside
Address, Subject Line, Salutation, Body Text, Letter Heading, List Bullet, List Number (each
numbered list restarts at 1), Line Block, Closing and Signature. A user restyles a whole
letter by editing a style in Word or LibreOffice.

Layout: page numbers in the footer ("Page N of M"), an identity block and the declaration with
the signature kept on one page (keep-with-next), and a font every reader has (Times New Roman;
LibreOffice shows the metric-compatible Liberation Serif) instead of the template's theme fonts.

Speed: python-docx builds the styled skeleton once (styles pruned to those a letter uses, no
thumbnail, one serialized paragraph per style); it is kept per user in FOIA_CACHE_DIR, keyed on
foia's version, this module and the installed python-docx, so later processes never import
python-docx or lxml. Each letter is then its document.xml, numbering.xml and core.xml written as
text from those prototypes, zipped with the static parts deflated once.
"""

from __future__ import annotations

import os
import struct
import zlib
from datetime import datetime, time, timezone
from functools import lru_cache

from foia.render import XML_UNSAFE, Block

# block kind -> paragraph style name
STYLES = {
    "letterhead": "Letterhead",
    "date": "Letter Date",
    "address": "Inside Address",
    "subject": "Subject Line",
    "salutation": "Salutation",
    "paragraph": "Body Text",
    "heading": "Letter Heading",
    "bullets": "List Bullet",
    "numbers": "List Number",
    "lines": "Line Block",
    "closing": "Closing",
    "signature": "Signature",
}
_KEEP_TABLE_STYLES = {"TableNormal", "TableGrid"}
_FIXED = (1980, 1, 1, 0, 0, 0)  # zip timestamp of reproducible files
_XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"


def _define_styles(doc) -> None:
    from docx.enum.style import WD_STYLE_TYPE
    from docx.shared import Pt

    styles = doc.styles
    normal = styles["Normal"]
    normal.font.size = Pt(11)
    normal.paragraph_format.space_after = Pt(0)

    def para(name, *, size=None, bold=False, before=0, after=0, keep=False):
        try:
            style = styles[name]
        except KeyError:
            style = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
            style.base_style = normal
        style.quick_style = True
        pf = style.paragraph_format
        pf.space_before, pf.space_after = Pt(before), Pt(after)
        if keep:
            pf.keep_with_next = True
        if size:
            style.font.size = Pt(size)
        if bold:
            style.font.bold = True
        return style

    para("Letterhead", size=10)
    para("Letter Date", before=18, after=18)
    para("Inside Address")
    para("Subject Line", bold=True, before=18, after=12, keep=True)
    para("Salutation", after=10)
    para("Body Text", after=10)
    para("Letter Heading", bold=True, before=12, after=6, keep=True)
    para("List Bullet", after=4)
    para("List Number", after=4)
    para("Line Block")
    para("Closing", before=12, after=36, keep=True)
    para("Signature")


def _prune(doc) -> None:
    """Drop what a letter never uses: the Word 2010 styles copy, the template's thumbnail,
    table styles and latent-style exceptions (they are most of the file's bytes)."""
    from docx.oxml.ns import qn

    for rid, rel in list(doc.part.rels.items()):
        if rel.reltype.endswith("/stylesWithEffects"):
            doc.part.drop_rel(rid)
    pkg_rels = doc.part.package.rels
    for rid, rel in list(pkg_rels.items()):
        if rel.reltype.endswith("/thumbnail"):
            pkg_rels.pop(rid)
    root = doc.styles.element
    for el in list(root):
        if el.tag == qn("w:latentStyles"):
            root.remove(el)
        elif el.tag == qn("w:style") and el.get(qn("w:type")) == "table" \
                and el.get(qn("w:styleId")) not in _KEEP_TABLE_STYLES:
            root.remove(el)


# Fonts every reader has: Word and macOS ship Times New Roman, and LibreOffice substitutes
# the metric-compatible Liberation Serif, so lines and pages break alike everywhere. The
# template's theme fonts (Cambria/Calibri) fell back to DejaVu where they are missing, with
# other line breaks and page counts.
FONT = "Times New Roman"
# The letter's last section (the declaration and the signature of a first-party letter) is kept
# on one page when it has at most this many paragraphs; a longer one keeps only its last
# paragraph with the closing and signature, so no page is left mostly empty.
FINAL_SECTION_KEPT = 16


def _name_fonts(doc) -> None:
    """Name FONT in the document defaults and drop every theme-font reference in the styles."""
    from docx.oxml.ns import qn

    root = doc.styles.element
    for rfonts in root.iter(qn("w:rFonts")):
        for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
            rfonts.attrib.pop(qn(attr), None)
    defaults = root.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr")).find(qn("w:rFonts"))
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        defaults.set(qn(attr), FONT)
    doc.styles["Normal"].font.name = FONT


def _page_numbers(doc) -> None:
    """A centred "Page N of M" footer (PAGE and NUMPAGES fields, filled in by the reader)."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt

    footer = doc.sections[0].footer
    footer.is_linked_to_previous = False
    p = footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.style = doc.styles["Footer"]
    doc.styles["Footer"].font.size = Pt(9)
    p.add_run("Page ")
    for i, field in enumerate(("PAGE", "NUMPAGES")):
        if i:
            p.add_run(" of ")
        fld = OxmlElement("w:fldSimple")
        fld.set(qn("w:instr"), f" {field} ")
        run = OxmlElement("w:r")
        text = OxmlElement("w:t")
        text.text = "1"
        run.append(text)
        fld.append(run)
        p._p.append(fld)


# Text markers the skeleton's prototypes carry where each letter's values go.
_TEXT = "FOIA-TEXT-MARK"
_NUM_ID = 'w:numId w:val="1"'
_CORE = {"title": "FOIA-TITLE-MARK", "subject": "FOIA-SUBJECT-MARK", "author": "FOIA-AUTHOR-MARK",
         "last_modified_by": "FOIA-EDITOR-MARK"}
_CORE_STAMP = datetime(1999, 12, 31, 23, 59, 58)
_STAMP_TEXT = "1999-12-31T23:59:58Z"
_P = r"<w:p>.*?</w:p>"
_NUM = r'<w:num w:numId="(\d+)">.*?</w:num>'


def build_skeleton() -> dict:
    """Everything the letters share, made once with python-docx: the static parts (styles,
    settings, footer, fonts...) deflated once, the heads and tails of document.xml,
    numbering.xml and core.xml, and one serialized paragraph per style (with and without
    keep-with-next) split where the text goes. Plain data, so it is kept on disk per user."""
    # Imported here: a process that finds the skeleton in the cache never needs them.
    import io
    import re
    import zipfile

    import docx
    from docx.text.run import Run

    base = docx.Document()
    _prune(base)
    _define_styles(base)
    _name_fonts(base)
    _page_numbers(base)
    body = base.element.body
    keys = []
    for kind, name in STYLES.items():
        style_id = base.styles[name].style_id
        for bold in (False, True) if kind == "letterhead" else (False,):
            for keep in (False, True):
                p = body.add_p()
                p.style = style_id
                if keep:
                    p.get_or_add_pPr().keepNext_val = True
                if kind == "numbers":
                    num_pr = p.get_or_add_pPr().get_or_add_numPr()
                    num_pr.get_or_add_ilvl().val = 0
                    num_pr.get_or_add_numId().val = 1
                r = p.add_r()
                r.text = _TEXT
                if bold:
                    Run(r, None).bold = True
                r.t_lst[0].set(_XML_SPACE, "preserve")
                keys.append((kind, bold, keep))
    numbering = base.part.numbering_part
    num_id = base.styles["List Number"].element.pPr.numPr.numId.val
    num = numbering.element.add_num(numbering.element.num_having_numId(num_id).abstractNumId.val)
    num.add_lvlOverride(ilvl=0).add_startOverride(1)
    core = base.core_properties
    for attr, mark in _CORE.items():
        setattr(core, attr, mark)
    core.comments, core.keywords, core.revision = "", "FOIA", 1
    core.created = core.modified = _CORE_STAMP
    buf = io.BytesIO()
    base.save(buf)

    live = {}
    parts = []
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as z:
        for info in z.infolist():
            data = z.read(info.filename)
            if info.filename == "word/document.xml":
                live[info.filename] = "document"
                document = data.decode("utf-8")
            elif info.filename == numbering.partname.lstrip("/"):
                live[info.filename] = "numbering"
                numbering_xml = data.decode("utf-8")
            elif info.filename == base.part.package._core_properties_part.partname.lstrip("/"):
                live[info.filename] = "core"
                core_xml = data.decode("utf-8")
            parts.append((info.filename, None if info.filename in live else _deflated(data)))

    protos = {}
    found = list(re.finditer(_P, document, re.S))
    if len(found) != len(keys):
        raise RuntimeError("python-docx wrote the prototype paragraphs in an unexpected form")
    for key, m in zip(keys, found):
        pre, post = m.group(0).split(_TEXT)
        protos[key] = (pre.split(_NUM_ID), post)
    nums = [m for m in re.finditer(_NUM, numbering_xml, re.S) if m.group(1) == str(num.numId)]
    num_xml = nums[-1].group(0)
    for mark, slot in zip(_CORE.values(), ("{title}", "{subject}", "{author}", "{editor}")):
        core_xml = core_xml.replace(mark, slot)
    return {
        "parts": parts, "live": live, "protos": protos,
        "document": (document[:found[0].start()], document[found[-1].end():]),
        "numbering": (numbering_xml[:nums[-1].start()], numbering_xml[nums[-1].end():]),
        "num": num_xml.split(f'w:numId="{num.numId}"'), "first_num": int(num.numId),
        "core": core_xml.replace(_STAMP_TEXT, "{stamp}"),
    }


def _deflated(data: bytes) -> tuple[int, int, bytes]:
    """(crc32, size, raw deflate stream) of ``data``, as a zip entry holds them."""
    c = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
    return zlib.crc32(data), len(data), c.compress(data) + c.flush()


def _escape(text: str) -> str:
    if not text.isprintable():  # a printable text has none of XML_UNSAFE's characters
        text = XML_UNSAFE.sub("", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _skeleton_key() -> tuple:
    """What the skeleton depends on: foia's version, this module and the installed python-docx
    (found without importing it)."""
    import importlib.util

    from foia import __version__

    spec = importlib.util.find_spec("docx")
    origin = spec.origin if spec and spec.origin else ""
    stats = []
    for path in (__file__, origin):
        try:
            st = os.stat(path)
            stats.append((path, st.st_size, st.st_mtime_ns))
        except OSError:
            stats.append((path, None, None))
    return (__version__, SKELETON_FORMAT, *stats)


# Raised when the skeleton's shape changes, so an older cache file is never read.
SKELETON_FORMAT = 1


@lru_cache(maxsize=1)
def _skeleton() -> dict:
    """The skeleton from the per-user cache (FOIA_CACHE_DIR), else built with python-docx and
    kept there: a process that writes one letter then never imports python-docx and lxml."""
    import hashlib
    import pickle

    from foia.paths import cache_dir

    key = _skeleton_key()
    path = cache_dir() / f"docx-skeleton-{hashlib.blake2b(repr(key).encode(), digest_size=8).hexdigest()}.pickle"
    try:
        with open(path, "rb") as fh:
            stored_key, skeleton = pickle.load(fh)
        if stored_key == key:
            return skeleton
    except Exception:  # missing, unreadable, from another Python: build it again
        pass
    skeleton = build_skeleton()
    try:
        from foia.files import atomic_write

        atomic_write(path, pickle.dumps((key, skeleton), protocol=pickle.HIGHEST_PROTOCOL))
    except Exception:  # a read-only or full cache folder: the next process builds it again
        pass
    return skeleton


class _Tables:
    """What every letter of this process reuses, derived once from the skeleton: each
    prototype as (head before the numId, head after it, the paragraph with no text, tail),
    numbering.xml deflated per count of numbered lists, and the zip headers of the static
    parts per timestamp."""

    def __init__(self, sk: dict):
        self.sk = sk
        self.protos = {}
        for key, (pre, post) in sk["protos"].items():
            head = pre[0]
            # A paragraph without text has no run (as python-docx leaves it).
            if len(pre) > 1:  # a numbered item: its numId goes between the two
                self.protos[key] = (head, pre[1], None, post)
            else:
                self.protos[key] = (head, None, head[:head.index("<w:r>")] + "</w:p>", post)
        # kind ("letterhead*" for the bold first line) -> (prototype, kept with the next)
        self.by_kind = {kind + ("*" if bold else ""): (self.protos[(kind, bold, False)],
                                                       self.protos[(kind, bold, True)])
                        for kind, bold, keep in self.protos if not keep}
        self.numbering: dict[int, tuple[int, int, bytes]] = {}
        self.layout: tuple = ((), ())

    def numbering_part(self, count: int) -> tuple[int, int, bytes]:
        part = self.numbering.get(count)
        if part is None:
            sk = self.sk
            num_a, num_b = sk["num"]
            xml = sk["numbering"][0] + "".join(f'{num_a}w:numId="{sk["first_num"] + i}"{num_b}'
                                               for i in range(count)) + sk["numbering"][1]
            part = self.numbering[count] = _deflated(xml.encode("utf-8"))
        return part


@lru_cache(maxsize=1)
def _tables() -> _Tables:
    return _Tables(_skeleton())


def _document(tables: _Tables, blocks: tuple[Block, ...]) -> tuple[str, int]:
    """document.xml's body for ``blocks``, and how many numbered lists it has (each is a new
    w:num, numbered from the skeleton's first)."""
    # One entry per paragraph in three parallel lists, filled a block at a time: this runs
    # for every letter, so it avoids work per paragraph where it can.
    kinds: list[str] = []               # prototype: a kind, "letterhead*" for the bold first line
    texts: list[str] = []
    lists: list[int | None] = []        # the numId of a numbered item
    chains: list[tuple[int, int]] = []  # [start, end) ranges kept with the next paragraph
    last_heading = None
    first_num = tables.sk["first_num"]
    count = 0

    for b in blocks:
        kind, lines = b.kind, b.lines
        first = len(texts)
        if kind == "subject":
            kinds.append("subject")
            texts.append("RE: " + " ".join(lines))
            lists.append(None)
            continue
        if kind == "letterhead":
            if lines:
                kinds += ["letterhead*"] + ["letterhead"] * (len(lines) - 1)
                texts += lines
                lists += [None] * len(lines)
            continue
        if kind == "numbers":
            # Each numbered list is a new w:num over List Number's numbering, starting again at 1.
            kinds += ["numbers"] * len(lines)
            texts += lines
            lists += [first_num + count] * len(lines)
            count += 1
            continue
        if kind == "signature":
            lines = [ln for ln in lines if ln]
            if lines:
                kinds += ["closing"] + ["signature"] * (len(lines) - 1)
                texts += lines
                lists += [None] * len(lines)
            chains.append((first, len(texts) - 1))
            continue
        kinds += [kind] * len(lines)
        texts += lines
        lists += [None] * len(lines)
        if kind == "heading":
            last_heading = first
        elif kind == "lines":
            # An identity block or a signature line is read as one: never split it.
            chains.append((first, len(texts) - 1))
    n = len(texts)
    keep = [False] * n
    if n:
        # The declaration and the signature stay together (and with their heading); a long
        # last section keeps only its last paragraph with the closing and signature.
        start = last_heading if last_heading is not None else n - 1
        if n - start > FINAL_SECTION_KEPT:
            start = max(n - FINAL_SECTION_KEPT, 0)
        chains.append((start, n - 1))
    for a, z in chains:
        if z > a:
            keep[a:z] = [True] * (z - a)
    protos = tables.by_kind
    out = []
    for kind, text, num, kept in zip(kinds, texts, lists, keep):
        head, after_num, empty, post = protos[kind][kept]
        if not text.isprintable():  # a printable text has none of XML_UNSAFE's characters
            text = XML_UNSAFE.sub("", text)
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        if num is not None:
            head = f'{head}w:numId w:val="{num}"{after_num}'
            empty = head[:head.index("<w:r>")] + "</w:p>"
        out.append(f"{head}{text}{post}" if text else empty)
    return "".join(out), count


def _dos_time(date_time: tuple) -> tuple[int, int]:
    y, mo, d, h, mi, sec = date_time
    return (y - 1980) << 9 | mo << 5 | d, h << 11 | mi << 5 | sec // 2


def _zip(entries: list[tuple[str, tuple[int, int, bytes] | None]], date_time: tuple,
         live: dict[str, tuple[int, int, bytes]] | None = None, tables: _Tables | None = None) -> bytes:
    """A zip file of already-deflated entries (zipfile cannot take those): local headers, the
    data, the central directory, the end record; no zip64 (a letter is far below 4 GB). An
    entry given as None is taken from ``live`` by name; ``tables`` keeps the other entries'
    local records and central headers for the last ``date_time``, since they are the same in
    every letter written in that second."""
    if tables is not None and tables.layout[0] == date_time:
        records = tables.layout[1]
    else:
        dos_date, dos_time = _dos_time(date_time)
        records = []
        for name, part in entries:
            raw = name.encode("ascii")
            if part is None:
                records.append((name, raw, None, None))
                continue
            crc, size, data = part
            local = struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, dos_time, dos_date, crc, len(data), size,
                                len(raw), 0) + raw + data
            central = struct.pack("<4s6H3L5HL", b"PK\x01\x02", 0x0314, 20, 0, 8, dos_time, dos_date, crc,
                                  len(data), size, len(raw), 0, 0, 0, 0, 0o644 << 16)
            records.append((name, raw, local, central))
        if tables is not None:
            tables.layout = (date_time, records)
    dos_date = dos_time = None
    out, directory = [], []
    offset = 0
    for name, raw, local, central in records:
        if local is None:
            crc, size, data = live[name]
            if dos_date is None:
                dos_date, dos_time = _dos_time(date_time)
            local = struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, dos_time, dos_date, crc, len(data), size,
                                len(raw), 0) + raw + data
            central = struct.pack("<4s6H3L5HL", b"PK\x01\x02", 0x0314, 20, 0, 8, dos_time, dos_date, crc,
                                  len(data), size, len(raw), 0, 0, 0, 0, 0o644 << 16)
        out.append(local)
        directory += (central, struct.pack("<L", offset), raw)
        offset += len(local)
    directory = b"".join(directory)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(records), len(records), len(directory), offset, 0)
    return b"".join(out) + directory + end


def to_docx(letter, *, reproducible: bool = False, now: datetime | None = None) -> bytes:
    """The letter as a .docx file. ``reproducible``: fixed timestamps (the letter's date at
    midnight UTC in the core properties, 1980-01-01 in the zip), so the same letter gives the
    same bytes."""
    tables = _tables()
    sk = tables.sk
    if reproducible:
        stamp = datetime.combine(letter.date, time(0, 0), tzinfo=timezone.utc) if letter.date \
            else datetime(2000, 1, 1, tzinfo=timezone.utc)
    else:
        stamp = (now or datetime.now(timezone.utc)).replace(microsecond=0)
    body, lists = _document(tables, letter.blocks)
    author = _escape(XML_UNSAFE.sub("", (letter.fields.get("requester") or {}).get("name", ""))[:255])
    core = sk["core"].format(title=_escape(XML_UNSAFE.sub("", letter.subject)[:255]), author=author, editor=author,
                             subject=_escape(f"{letter.kind} letter to {letter.office_name}"),
                             stamp=stamp.strftime("%Y-%m-%dT%H:%M:%SZ"))
    parts = {
        "document": _deflated((sk["document"][0] + body + sk["document"][1]).encode("utf-8")),
        "numbering": tables.numbering_part(lists),
        "core": _deflated(core.encode("utf-8")),
    }
    live = {name: parts[role] for name, role in sk["live"].items()}
    return _zip(sk["parts"], _FIXED if reproducible else stamp.timetuple()[:6], live, tables)
