"""DOCX letters with real paragraph styles (python-docx).

Every block of the letter becomes paragraphs in a named style: Letterhead, Letter Date, Inside
Address, Subject Line, Salutation, Body Text, Letter Heading, List Bullet, List Number (each
numbered list restarts at 1), Line Block, Closing and Signature. A user restyles a whole
letter by editing a style in Word or LibreOffice.

Speed: loading python-docx's default template and writing its 800 KB of styles dominates the
cost of a small letter. So the styled base package is built once per process (styles pruned to
those a letter uses, no thumbnail), its unchanged parts are kept as bytes, and each letter only
rebuilds the body, the numbering and the core properties with python-docx before zipping.
"""

from __future__ import annotations

import io
import threading
import zipfile
from copy import deepcopy
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


class _Writer:
    """One styled base document, reused for every letter (guarded by a lock)."""

    def __init__(self):
        import docx

        base = docx.Document()
        _prune(base)
        _define_styles(base)
        _name_fonts(base)
        _page_numbers(base)
        buf = io.BytesIO()
        base.save(buf)
        with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as z:
            self.parts = [(info.filename, z.read(info.filename)) for info in z.infolist()]
        self.doc = docx.Document(io.BytesIO(buf.getvalue()))
        self.body = self.doc.element.body
        self.style_ids = {kind: self.doc.styles[name].style_id for kind, name in STYLES.items()}
        self.numbering = self.doc.part.numbering_part
        num_id = self.doc.styles["List Number"].element.pPr.numPr.numId.val
        self.list_number_abstract = self.numbering.element.num_having_numId(num_id).abstractNumId.val
        self.core_part = self.doc.part.package._core_properties_part
        self.live = {
            self.doc.part.partname.lstrip("/"): lambda: self.doc.part.blob,
            self.numbering.partname.lstrip("/"): lambda: self.numbering.blob,
            self.core_part.partname.lstrip("/"): lambda: self.core_part.blob,
        }
        self.sect_pr = self.body.sectPr
        self._added_nums = []
        self._prototypes()
        self.lock = threading.Lock()

    # -- building ---------------------------------------------------------------------------
    def _prototypes(self) -> None:
        """One finished paragraph per style, made with python-docx once; each letter clones
        them (lxml deepcopy keeps python-docx's element classes) and sets the text. Building
        every paragraph through python-docx's element API costs ~0.3 ms each, a clone ~10 us."""
        from docx.text.run import Run

        self.protos = {}
        for kind, style_id in self.style_ids.items():
            for bold in (False, True) if kind == "letterhead" else (False,):
                p = self.body.add_p()
                p.style = style_id
                r = p.add_r()
                r.text = "x"
                if bold:
                    Run(r, None).bold = True
                if kind == "numbers":
                    num_pr = p.get_or_add_pPr().get_or_add_numPr()
                    num_pr.get_or_add_ilvl().val = 0
                    num_pr.get_or_add_numId().val = 1
                r.t_lst[0].set(_XML_SPACE, "preserve")
                self.body.remove(p)
                self.protos[(kind, bold)] = p

    def _para(self, kind: str, text: str, *, bold: bool = False):
        p = deepcopy(self.protos[(kind, bold)])
        r = p.r_lst[0]
        text = XML_UNSAFE.sub("", text)
        if text:
            r.t_lst[0].text = text
        else:
            p.remove(r)
        self.sect_pr.addprevious(p)
        return p

    def _numbered(self, items) -> None:
        # A new w:num over List Number's abstract numbering, starting again at 1, so each
        # numbered list counts from 1 instead of continuing the previous one.
        num = self.numbering.element.add_num(self.list_number_abstract)
        num.add_lvlOverride(ilvl=0).add_startOverride(1)
        self._added_nums.append(num)
        made = []
        for item in items:
            p = self._para("numbers", item)
            p.pPr.numPr.numId.val = num.numId
            made.append(p)
        return made

    def build(self, blocks: tuple[Block, ...]) -> None:
        for el in list(self.body):
            if not el.tag.endswith("}sectPr"):
                self.body.remove(el)
        self._added_nums = []
        made = []          # every paragraph of the letter, in order
        chained = []       # paragraphs kept on the page of the one after them
        last_heading = None
        for b in blocks:
            first = len(made)
            if b.kind == "subject":
                made.append(self._para("subject", "RE: " + " ".join(b.lines)))
            elif b.kind == "letterhead":
                for i, line in enumerate(b.lines):
                    made.append(self._para("letterhead", line, bold=i == 0))
            elif b.kind == "numbers":
                made.extend(self._numbered(b.lines))
            elif b.kind == "signature":
                lines = [ln for ln in b.lines if ln]
                if lines:
                    made.append(self._para("closing", lines[0]))
                for line in lines[1:]:
                    made.append(self._para("signature", line))
                chained.extend(made[first:-1])
            else:
                for line in b.lines:
                    made.append(self._para(b.kind, line))
                if b.kind == "heading":
                    last_heading = first
                elif b.kind == "lines":
                    # An identity block or a signature line is read as one: never split it.
                    chained.extend(made[first:-1])
        if made:
            # The declaration and the signature stay together (and with their heading); a long
            # last section keeps only its last paragraph with the closing and signature.
            start = last_heading if last_heading is not None else len(made) - 1
            if len(made) - start > FINAL_SECTION_KEPT:
                start = max(len(made) - FINAL_SECTION_KEPT, 0)
            chained.extend(made[start:-1])
        for p in chained:
            p.get_or_add_pPr().keepNext_val = True

    def reset_numbering(self) -> None:
        for num in self._added_nums:
            num.getparent().remove(num)
        self._added_nums = []

    def package(self, *, stamp: datetime, reproducible: bool) -> bytes:
        out = io.BytesIO()
        date_time = _FIXED if reproducible else stamp.timetuple()[:6]
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
            for name, data in self.parts:
                live = self.live.get(name)
                info = zipfile.ZipInfo(name, date_time=date_time)
                info.compress_type = zipfile.ZIP_DEFLATED
                z.writestr(info, live() if live else data)
        return out.getvalue()


@lru_cache(maxsize=1)
def _writer() -> _Writer:
    return _Writer()


def to_docx(letter, *, reproducible: bool = False, now: datetime | None = None) -> bytes:
    """The letter as a .docx file. ``reproducible``: fixed timestamps (the letter's date at
    midnight UTC in the core properties, 1980-01-01 in the zip), so the same letter gives the
    same bytes."""
    w = _writer()
    if reproducible:
        stamp = datetime.combine(letter.date, time(0, 0), tzinfo=timezone.utc) if letter.date \
            else datetime(2000, 1, 1, tzinfo=timezone.utc)
    else:
        stamp = (now or datetime.now(timezone.utc)).replace(microsecond=0)
    with w.lock:
        w.build(letter.blocks)
        core = w.doc.core_properties
        core.title = XML_UNSAFE.sub("", letter.subject)[:255]
        core.subject = f"{letter.kind} letter to {letter.office_name}"
        core.author = core.last_modified_by = XML_UNSAFE.sub(
            "", (letter.fields.get("requester") or {}).get("name", ""))[:255]
        core.comments = ""
        core.keywords = "FOIA"
        core.created = core.modified = stamp
        core.revision = 1
        try:
            return w.package(stamp=stamp, reproducible=reproducible)
        finally:
            w.reset_numbering()
