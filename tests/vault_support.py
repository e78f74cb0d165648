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
