"""A letter's files: their names, their content in each format, and writing them user-only."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from foia.errors import FoiaError, UsageError
from foia.letters.kinds import KINDS
from foia.naming import Field as Named
from foia.naming import Text
from foia.render import FORMATS

if TYPE_CHECKING:
    from foia.letters.letter import Letter

_SLUG = re.compile(r"[^a-z0-9]+")


def slug(text: str) -> str:
    return _SLUG.sub("-", text.lower()).strip("-")[:80] or "letter"


def default_stem(letter: "Letter") -> str:
    """``2026-11-23-ice-records``; a letter to another office than the one it is about (mediation:
    OGIS) names both."""
    who = letter.about_id or letter.office_id
    kind = KINDS.get(letter.kind)
    if kind is not None and kind.to:
        who = f"{letter.office_id}-{who}"
    day = (letter.date or date.today()).isoformat()
    return f"{day}-{slug(who)}-{slug(letter.kind)}"


def check_stem(stem: str) -> str:
    """``stem`` as a file name, refused when it has folders, a leading dot or control characters."""
    if not stem or stem in (".", "..") or "/" in stem or "\\" in stem or "\x00" in stem or stem.startswith("."):
        raise UsageError(Text(Named("stem"), f" {stem!r}: give a plain file name without folders or a leading dot"),
                         field="stem")
    if not stem.isprintable():
        # A newline or other control character in a file name breaks every listing of the folder.
        raise UsageError(Text(Named("stem"), f" {stem!r}: contains a control character (a line break, a tab); give a "
                              "plain file name"), field="stem")
    return stem


def _unknown_format(fmt: str) -> UsageError:
    # The file format: the command line's --format (a records letter's own `format` is the records').
    return UsageError(Text(Named("formats"), f" {fmt!r}: choose one of {', '.join(FORMATS)}"), field="formats")


def target_path(letter: "Letter", out_dir: Path, fmt: str, stem: str | None = None) -> Path:
    """Where ``letter`` in ``fmt`` goes inside ``out_dir``."""
    from foia.files import inside

    if fmt not in FORMATS:
        raise _unknown_format(fmt)
    name = f"{check_stem(stem) if stem else default_stem(letter)}.{fmt}"
    return inside(Path(out_dir), name)


def exists_refusal(path: Path) -> FoiaError:
    """A file that would be replaced without ``overwrite``."""
    return FoiaError(Text(f"{path} already exists; pass ", Named("overwrite"), " or choose another ", Named("out"),
                          " folder"), field="overwrite")


def letter_bytes(letter: "Letter", fmt: str, *, reproducible: bool = False, attach_docx: bool = False,
                 message_id: str | None = None, request_id: int | None = None,
                 attachment_name: str | None = None) -> bytes:
    """The file content of ``letter`` in ``fmt`` (txt, md, docx, eml); an .eml gets
    ``message_id`` and the tracked ``request_id``'s subject tag (foia.render.email.to_eml);
    ``attachment_name``: the name of the DOCX attached to an .eml (the file written beside it)."""
    if fmt == "txt":
        return letter.text.encode("utf-8")
    if fmt == "md":
        return letter.markdown.encode("utf-8")
    if fmt == "docx":
        from foia.render.docx import to_docx

        return to_docx(letter, reproducible=reproducible)
    if fmt == "eml":
        from foia.render.email import to_eml

        return to_eml(letter, reproducible=reproducible, attach_docx=attach_docx, message_id=message_id,
                      request_id=request_id, attachment_name=attachment_name)
    raise _unknown_format(fmt)


def write_letter(letter: "Letter", out_dir: Path, fmt: str, *, stem: str | None = None, overwrite: bool = False,
                 reproducible: bool = False, attach_docx: bool = False, message_id: str | None = None,
                 request_id: int | None = None) -> Path:
    """Write ``letter`` into ``out_dir`` atomically, user-only (0600); returns the path."""
    from foia.files import atomic_write
    from foia.paths import ensure_private_dir

    path = target_path(letter, out_dir, fmt, stem)
    if path.exists() and not overwrite:
        raise exists_refusal(path)
    data = letter_bytes(letter, fmt, reproducible=reproducible, attach_docx=attach_docx, message_id=message_id,
                        request_id=request_id, attachment_name=target_path(letter, out_dir, "docx", stem).name)
    ensure_private_dir(path.parent)
    return atomic_write(path, data, mode=0o600, overwrite=overwrite)
