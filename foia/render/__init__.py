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

The DOCX and email writers (python-docx, the email package) are imported only when used, and
:class:`Formats` makes the text and Markdown versions only when read: a DOCX-only run never
builds them.
"""

from __future__ import annotations

import re
from functools import cached_property

ESC = "\ue000"
SECTIONS = ("letterhead", "date", "to", "re", "salutation", "body", "signature")
LINE_SECTIONS = {"letterhead": "letterhead", "date": "date", "to": "address", "re": "subject",
                 "salutation": "salutation", "signature": "signature"}
FORMATS = ("txt", "md", "docx", "eml")
_NUMBERED = re.compile(r"^(?:\d+|#)\.\s+")
# Characters XML 1.0 cannot hold (control characters other than tab and newline).
XML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


class Block:
    """One unit of a letter. ``kind`` is letterhead, date, address, subject, salutation,
    signature, paragraph, heading, bullets, numbers or lines; ``lines`` holds its text (for
    lists, one item per entry).

    Immutable, compared and hashed by value, as the frozen dataclass it was: a plain class
    because generating a dataclass's methods cost every start of `foia draft`."""

    __slots__ = ("kind", "lines")

    def __init__(self, kind: str, lines: tuple[str, ...]):
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "lines", lines)

    def __setattr__(self, name, value):
        raise AttributeError(f"cannot assign to field {name!r}: a Block is immutable")

    def __delattr__(self, name):
        raise AttributeError(f"cannot delete field {name!r}: a Block is immutable")

    def __eq__(self, other):
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self.kind == other.kind and self.lines == other.lines

    def __hash__(self):
        return hash((self.kind, self.lines))

    def __repr__(self):
        return f"Block(kind={self.kind!r}, lines={self.lines!r})"

    def __reduce__(self):
        return (Block, (self.kind, self.lines))


class Formats:
    """Mixin for an immutable class with a ``blocks`` attribute (``foia.letters.Letter``): ``text``
    and ``markdown`` are made from the blocks on first use and kept (cached_property writes the
    instance's ``__dict__`` directly, which an immutable class's ``__setattr__`` allows)."""

    blocks: tuple[Block, ...]

    @cached_property
    def text(self) -> str:
        from foia.render.text import to_text

        return to_text(self.blocks)

    @cached_property
    def markdown(self) -> str:
        from foia.render.markdown import to_markdown

        return to_markdown(self.blocks)


class MarkupError(ValueError):
    """The template produced markup the writers cannot read."""


def _clean(text: str) -> str:
    return text.replace(ESC, "").strip()


# "@to" -> the section it opens; "@body" opens the body, which has no single kind.
_HEADS = {"@" + s: s for s in SECTIONS}
_LINE_KINDS = frozenset(LINE_SECTIONS.values())
_JOINING = frozenset(("bullets", "numbers", "paragraph"))


def parse(markup: str, *, template: str = "template") -> tuple[Block, ...]:
    """Blocks from rendered markup; raises MarkupError naming the template and line."""
    # One pass over the lines, dispatching on the first character; ``kind`` and ``current``
    # are the block being built, ``done`` emits it. Letters are parsed once per letter, so
    # this loop is a measurable part of writing a thousand of them (benchmarks/letters.py).
    blocks: list[Block] = []
    section: str | None = None
    current: list[str] = []
    kind: str | None = None

    def done() -> None:
        lines = current
        if kind in _LINE_KINDS:
            # A line section keeps its inner empty lines (the space for a signature) only.
            start, end = 0, len(lines)
            while start < end and not lines[start]:
                start += 1
            while end > start and not lines[end - 1]:
                end -= 1
            lines = lines[start:end]
        if lines and any(lines):
            blocks.append(Block(kind, tuple(lines)))

    for number, raw in enumerate(markup.splitlines(), 1):
        line = raw.strip()
        first = line[:1]
        if first == "@" and line in _HEADS:
            if kind is not None:
                done()
            section = _HEADS[line]
            kind = LINE_SECTIONS.get(section)
            current = []
            continue
        if section != "body":
            if section is None:
                if _clean(line):
                    raise MarkupError(f"{template} line {number}: text before the first section; "
                                      f"start with one of {', '.join('@' + s for s in SECTIONS)}")
                continue
            current.append(line.replace(ESC, "").strip() if ESC in line else line)
            continue
        if first == ESC:
            # A line a value starts is plain text, whatever it looks like.
            text = _clean(line)
            if not text:
                if kind is not None:
                    done()
                    kind, current = None, []
            elif kind in _JOINING:
                current[-1] = f"{current[-1]} {text}"
            elif kind == "lines":
                current.append(text)
            else:
                kind, current = "paragraph", [text]
            continue
        if not line:
            if kind is not None:
                done()
                kind, current = None, []
            continue
        if first == "#" and line[1:2] == " ":
            if kind is not None:
                done()
                kind, current = None, []
            text = _clean(line[2:])
            if text:
                blocks.append(Block("heading", (text,)))
            continue
        if first == "-" and line[1:2] == " ":
            new, text = "bullets", _clean(line[2:])
        elif first == "|" and line[1:2] in ("", " "):
            new, text = "lines", _clean(line[2:])
        elif (first.isdigit() or first == "#") and _NUMBERED.match(line):
            new, text = "numbers", _clean(_NUMBERED.sub("", line, count=1))
        else:
            text = _clean(line) if ESC in line else line
            if kind == "paragraph":
                current[-1] = f"{current[-1]} {text}"
            else:
                if kind is not None:
                    done()
                kind, current = "paragraph", [text]
            continue
        if kind != new:
            if kind is not None:
                done()
            kind, current = new, []
        current.append(text)
    if kind is not None:
        done()
    return tuple(blocks)


def subject_of(blocks: tuple[Block, ...]) -> str:
    for b in blocks:
        if b.kind == "subject":
            return " ".join(b.lines)
    return ""
