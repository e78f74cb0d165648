"""Plain text: what is pasted into a portal or sent as an email body.

Paragraphs are not hard-wrapped, so they flow in a portal's text box and in any editor.
"""

from __future__ import annotations

from foia.render import Block


def to_text(blocks: tuple[Block, ...]) -> str:
    out: list[str] = []
    for b in blocks:
        if b.kind == "subject":
            out.append("RE: " + " ".join(b.lines))
        elif b.kind in ("paragraph", "heading"):
            out.append(b.lines[0])
        elif b.kind == "bullets":
            out.append("\n".join(f"- {item}" for item in b.lines))
        elif b.kind == "numbers":
            out.append("\n".join(f"{i}. {item}" for i, item in enumerate(b.lines, 1)))
        else:
            out.append("\n".join(b.lines))
    return "\n\n".join(out) + "\n"
