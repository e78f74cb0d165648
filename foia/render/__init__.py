"""Letter markup -> blocks, and the writers that turn blocks into files.

Templates render a small line-oriented markup, so the text, Markdown and DOCX writers all read
the same structure instead of guessing it from finished text:

    @letterhead | @date | @to | @re | @salutation | @signature
        a section of lines kept as they are (one per line)
    @body
        paragraphs separated by blank lines (consecutive lines join with a space);
        "# Heading", "- bullet item", "1. numbered item" (numbered by the writer),
        "| kept line" (a block of lines kept as they are; "|" alone is an empty line)

Every value a template prints is prefixed with ESC (a private-use character) by the Jinja
environment's ``finalize``; a line that starts with ESC is plain text, so a requester's
"- " or "@to" can never become markup. Writers never see ESC: ``parse`` removes it.

The DOCX and email writers (python-docx, the email package) are imported only when used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ESC = "\ue000"
SECTIONS = ("letterhead", "date", "to", "re", "salutation", "body", "signature")
LINE_SECTIONS = {"letterhead": "letterhead", "date": "date", "to": "address", "re": "subject",
                 "salutation": "salutation", "signature": "signature"}
FORMATS = ("txt", "md", "docx", "eml")
_NUMBERED = re.compile(r"^(?:\d+|#)\.\s+")
# Characters XML 1.0 cannot hold (control characters other than tab and newline).
XML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


@dataclass(frozen=True)
class Block:
    """One unit of a letter. ``kind`` is letterhead, date, address, subject, salutation,
    signature, paragraph, heading, bullets, numbers or lines; ``lines`` holds its text (for
    lists, one item per entry)."""

    kind: str
    lines: tuple[str, ...]


class MarkupError(ValueError):
    """The template produced markup the writers cannot read."""


def _clean(text: str) -> str:
    return text.replace(ESC, "").strip()


def parse(markup: str, *, template: str = "template") -> tuple[Block, ...]:
    """Blocks from rendered markup; raises MarkupError naming the template and line."""
    blocks: list[Block] = []
    section: str | None = None
    current: list[str] = []
    cur_kind: str | None = None

    def flush():
        nonlocal current, cur_kind
        if cur_kind is not None:
            lines = current
            if cur_kind in LINE_SECTIONS.values():
                while lines and not lines[0]:
                    lines = lines[1:]
                while lines and not lines[-1]:
                    lines = lines[:-1]
                if not lines:
                    current, cur_kind = [], None
                    return
            blocks.append(Block(cur_kind, tuple(lines)))
        current, cur_kind = [], None

    def start(kind: str):
        nonlocal cur_kind
        if cur_kind != kind:
            flush()
            cur_kind = kind

    for number, raw in enumerate(markup.splitlines(), 1):
        line = raw.strip()
        literal = line.startswith(ESC)
        if not literal and line.startswith("@") and line[1:] in SECTIONS:
            flush()
            section = line[1:]
            if section in LINE_SECTIONS:
                cur_kind = LINE_SECTIONS[section]
            continue
        if section is None:
            if _clean(line):
                raise MarkupError(f"{template} line {number}: text before the first section; "
                                  f"start with one of {', '.join('@' + s for s in SECTIONS)}")
            continue
        if section != "body":
            current.append(_clean(line))
            continue
        text = _clean(line)
        if not text:
            flush()
            continue
        if literal:
            if cur_kind in ("bullets", "numbers", "paragraph") and current:
                current[-1] = f"{current[-1]} {text}"
            elif cur_kind == "lines":
                current.append(text)
            else:
                start("paragraph")
                current.append(text)
            continue
        if line.startswith("# "):
            flush()
            blocks.append(Block("heading", (_clean(line[2:]),)))
        elif line.startswith("- "):
            start("bullets")
            current.append(_clean(line[2:]))
        elif _NUMBERED.match(line):
            start("numbers")
            current.append(_clean(_NUMBERED.sub("", line, count=1)))
        elif line == "|" or line.startswith("| "):
            start("lines")
            current.append(_clean(line[2:]))
        else:
            if cur_kind == "paragraph":
                current[-1] = f"{current[-1]} {text}"
            else:
                start("paragraph")
                current.append(text)
    flush()
    return tuple(b for b in blocks if b.lines and any(b.lines))


def subject_of(blocks: tuple[Block, ...]) -> str:
    for b in blocks:
        if b.kind == "subject":
            return " ".join(b.lines)
    return ""
