"""PDFs for the vault's tests, generated with reportlab: born-digital pages with text and
exemption marks, and image-only pages (a picture of text, no text layer)."""

from __future__ import annotations

from pathlib import Path


def make_pdf(path: Path, pages: list[str | None], *, title: str = "Production") -> Path:
    """One page per item: a string is typed onto the page (lines split on newlines); ``None``
    is a scanned-looking page: an image of text with no text layer."""
    from reportlab.lib.pagesizes import letter
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path), pagesize=letter, invariant=1)
    c.setTitle(title)
    for text in pages:
        if text is None:
            c.drawImage(_image_of_text(), 72, 400, width=468, height=120)
        else:
            y = 720
            for line in text.split("\n"):
                c.drawString(72, y, line)
                y -= 16
        c.showPage()
    c.save()
    return path


_IMAGE = None


def _image_of_text():
    """A PNG of black text on white, large enough for Tesseract to read."""
    global _IMAGE
    if _IMAGE is None:
        import io

        from PIL import Image, ImageDraw, ImageFont
        from reportlab.lib.utils import ImageReader

        img = Image.new("L", (1560, 400), 255)
        draw = ImageDraw.Draw(img)
        try:
            font = ImageFont.truetype("DejaVuSans.ttf", 64)
        except OSError:
            font = ImageFont.load_default(size=64)
        draw.text((40, 60), "SCANNED PALANTIR MEMO", fill=0, font=font)
        draw.text((40, 200), "Withheld (b)(6) (b)(7)(C)", fill=0, font=font)
        buf = io.BytesIO()
        img.save(buf, format="PNG")
        buf.seek(0)
        _IMAGE = ImageReader(buf)
    return _IMAGE


def raw_pdf(path: Path, objects: list[bytes], *, root: int = 1) -> Path:
    """A PDF written object by object with a correct cross-reference table (for hostile files)."""
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, root, xref)
    path.write_bytes(bytes(out))
    return path


def deep_page_tree(path: Path, depth: int) -> Path:
    """A page tree ``depth`` levels deep with one page at the bottom (a "PDF bomb")."""
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    for level in range(depth):
        me = level + 2
        objs.append(b"<< /Type /Pages /Kids [%d 0 R] /Count 1 >>" % (me + 1))
    objs.append(b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 612 792] >>" % (depth + 1))
    return raw_pdf(path, objs)


def zip_bomb_page(path: Path, megabytes: int) -> Path:
    """One page whose content stream inflates to ``megabytes`` MB of spaces."""
    import zlib

    z = zlib.compressobj(9)
    data = b"".join(z.compress(b" " * (1 << 20)) for _ in range(megabytes)) + z.flush()
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + data + b"\nendstream"]
    return raw_pdf(path, objs)
