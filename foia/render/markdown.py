"""Markdown (CommonMark): hard line breaks with a trailing backslash, the RE line in bold,
section headings as level-2 headings. Text is escaped so a requester's ``*`` or ``_`` stays
literal."""

from __future__ import annotations

import re

from foia.render import Block

_INLINE = re.compile(r"([\\`*_\[\]<>|])")
_LEADING = re.compile(r"^(\s*)([#+\-=]|\d+[.)])")


def escape(text: str) -> str:
    text = _INLINE.sub(r"\\\1", text)
    return _LEADING.sub(lambda m: m.group(1) + "\\" + m.group(2), text)


def _lines(lines) -> str:
    """Lines kept as they are: CommonMark hard breaks within a group; an empty line starts a
    new paragraph (the space left for a signature)."""
    groups, current = [], []
    for line in lines:
        if line:
            current.append(escape(line))
        elif current:
            groups.append(current)
            current = []
    if current:
        groups.append(current)
    return "\n\n".join("\\\n".join(g) for g in groups)


def to_markdown(blocks: tuple[Block, ...]) -> str:
    out: list[str] = []
    for b in blocks:
        if b.kind == "subject":
            out.append("**RE: " + escape(" ".join(b.lines)) + "**")
        elif b.kind == "heading":
            out.append("## " + escape(b.lines[0]))
        elif b.kind == "paragraph":
            out.append(escape(b.lines[0]))
        elif b.kind == "bullets":
            out.append("\n".join(f"- {escape(item)}" for item in b.lines))
        elif b.kind == "numbers":
            out.append("\n".join(f"{i}. {escape(item)}" for i, item in enumerate(b.lines, 1)))
        else:
            out.append(_lines(b.lines))
    return "\n\n".join(out) + "\n"
