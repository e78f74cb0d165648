"""Reading mail: .eml files, mbox files and Maildir folders, streamed one message at a time,
and each message's headers, text and attachments.

Nothing from a message is executed or followed: HTML is reduced to its text (no images, no
links fetched), attachments are bytes kept with the raw message. Limits refuse what would
exhaust the machine (a 100 MB message, thousands of parts, deep MIME nesting) with one line
naming the message.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from email import policy
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Iterator

from foia.errors import FoiaError

# An agency's determination with its records attached is a few MB; 50 MB is more than any
# mail server relays (Gmail and Microsoft 365 stop at 25 and 150 MB with encoding overhead).
MAX_MESSAGE_BYTES = 50 * 1024 * 1024
MAX_PARTS = 500
MAX_DEPTH = 20
_MSGID = re.compile(r"<[^<>\s]+>")
_HEADER_LINE = re.compile(rb"[\x21-\x39\x3b-\x7e]+[ \t]*:")


class MailError(FoiaError):
    """A message or mail file foia cannot read; the message names it."""


@dataclass
class Attachment:
    filename: str
    media_type: str
    data: bytes


@dataclass
class Mail:
    """One message: its raw bytes (the proof, never changed) and what foia reads from them."""

    raw: bytes
    sha256: str
    message_id: str | None
    sent_at: datetime | None
    sender: str
    sender_domain: str
    subject: str
    references: list[str]          # In-Reply-To and References, in that order
    text: str                      # the plain text (HTML reduced to text)
    attachments: list[Attachment] = field(default_factory=list)
    bounce: bool = False           # a delivery-status report (RFC 3464)
    bounce_reason: str = ""

    @property
    def sent_on(self) -> date | None:
        return self.sent_at.date() if self.sent_at else None


def sha256(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def message_ids(value: str | None) -> list[str]:
    return _MSGID.findall(str(value or ""))


class _Text(HTMLParser):
    """The text of an HTML part: tags dropped, script and style skipped, block tags as line
    breaks. Nothing is fetched: no image, stylesheet or link is followed."""

    BLOCK = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "blockquote", "pre"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "head", "title"):
            self.skip += 1
        elif tag in self.BLOCK:
            self.out.append("\n")

    def handle_endtag(self, tag):
        if tag in ("script", "style", "head", "title"):
            self.skip = max(0, self.skip - 1)
        elif tag in self.BLOCK:
            self.out.append("\n")

    def handle_data(self, data):
        if not self.skip:
            self.out.append(data)


def html_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    parser.close()
    lines = [" ".join(line.split()) for line in "".join(parser.out).splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _content(part) -> str:
    try:
        text = part.get_content()
    except (LookupError, ValueError, AssertionError):     # an unknown charset, a broken encoding
        payload = part.get_payload(decode=True) or b""
        text = payload.decode("utf-8", "replace")
    return text if isinstance(text, str) else text.decode("utf-8", "replace")


def parse(raw: bytes, *, where: str) -> Mail:
    """Read one message; ``where`` names it in errors (file, mbox and position, server and UID)."""
    if len(raw) > MAX_MESSAGE_BYTES:
        raise MailError(f"{where}: the message is {len(raw) // (1024 * 1024)} MB, more than foia takes "
                        f"({MAX_MESSAGE_BYTES // (1024 * 1024)} MB); save its attachments and record them by hand")
    first = raw.lstrip(b"\r\n")[:1000]
    if b"\x00" in raw[:4096] or not _HEADER_LINE.match(first):
        raise MailError(f"{where}: not an email message (no header lines); give .eml, mbox or Maildir files")
    # A deeply nested or many-part message would take the parser minutes and the memory with
    # it: count boundary lines before parsing.
    if raw.count(b"\n--") > 4 * MAX_PARTS:
        raise MailError(f"{where}: the message has thousands of MIME parts (an attachment bomb?); not imported")
    try:
        msg = BytesParser(policy=policy.default).parsebytes(raw)
        parts = _walk(msg, where)
    except RecursionError:
        raise MailError(f"{where}: MIME nesting too deep (more than {MAX_DEPTH} levels); not imported") from None
    if any(type(d).__name__ == "MissingHeaderBodySeparatorDefect" for d in msg.defects):
        raise MailError(f"{where}: malformed message: a line in its header section is not a header; not imported")
    try:
        sent_at = parsedate_to_datetime(str(msg["Date"])) if msg["Date"] else None
        if sent_at is not None and sent_at.tzinfo is None:
            sent_at = sent_at.replace(tzinfo=timezone.utc)
    except (TypeError, ValueError, IndexError):
        sent_at = None
    try:
        sender_header = str(msg.get("From") or "")
    except Exception:  # noqa: BLE001 - a header the policy cannot parse: read it raw
        sender_header = str(msg.get_all("From", [""])[0])
    addresses = [a for _, a in getaddresses([sender_header]) if "@" in a]
    sender = addresses[0].lower() if addresses else sender_header.strip()[:200]
    refs = message_ids(msg.get("In-Reply-To")) + [r for r in message_ids(msg.get("References"))]
    text_parts, html_parts, attachments = [], [], []
    bounce, reason = False, ""
    for part, depth in parts:
        ctype = part.get_content_type()
        if ctype == "multipart/report" and part.get_param("report-type") == "delivery-status":
            bounce = True
        if ctype == "message/delivery-status":
            bounce = True
            reason = reason or _status_reason(part)
            continue
        if ctype in ("message/rfc822", "text/rfc822-headers") and bounce:
            # The returned message's own Message-ID: the letter that bounced.
            inner = part.get_payload()
            inner_text = inner[0].as_string() if isinstance(inner, list) and inner else _content(part)
            refs += message_ids(re.search(r"(?im)^message-id:\s*(.*)$", inner_text).group(1)) if re.search(
                r"(?im)^message-id:\s*(.*)$", inner_text) else []
            continue
        if part.is_multipart():
            continue
        disposition = part.get_content_disposition()
        filename = part.get_filename()
        if disposition == "attachment" or (filename and ctype not in ("text/plain", "text/html")):
            attachments.append(Attachment(_safe_name(filename, len(attachments) + 1, ctype), ctype,
                                          part.get_payload(decode=True) or b""))
        elif ctype == "text/plain":
            text_parts.append(_content(part))
        elif ctype == "text/html":
            html_parts.append(html_text(_content(part)))
    text = "\n\n".join(t.strip() for t in text_parts if t.strip()) or "\n\n".join(h for h in html_parts if h)
    subject = " ".join(str(msg.get("Subject") or "").split())
    return Mail(raw=raw, sha256=sha256(raw), message_id=(message_ids(msg.get("Message-ID")) or [None])[0],
                sent_at=sent_at, sender=sender,
                sender_domain=sender.rpartition("@")[2].lower() if "@" in sender else "",
                subject=subject, references=list(dict.fromkeys(refs)), text=text, attachments=attachments,
                bounce=bounce, bounce_reason=reason)


def _walk(msg, where: str) -> list:
    """Every part with its depth, refusing more than MAX_PARTS parts or MAX_DEPTH levels."""
    out, stack = [], [(msg, 0)]
    while stack:
        part, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise MailError(f"{where}: MIME nesting too deep (more than {MAX_DEPTH} levels); not imported")
        out.append((part, depth))
        if len(out) > MAX_PARTS:
            raise MailError(f"{where}: more than {MAX_PARTS} MIME parts (an attachment bomb?); not imported")
        if part.is_multipart():
            stack.extend((p, depth + 1) for p in reversed(part.get_payload()))
    return out


def _status_reason(part) -> str:
    text = part.as_string()
    found = re.search(r"(?im)^diagnostic-code:\s*(.+)$", text) or re.search(r"(?im)^status:\s*(.+)$", text)
    return " ".join(found.group(1).split())[:300] if found else ""


_UNSAFE = re.compile(r"[^A-Za-z0-9._ -]+")


def _safe_name(name: str | None, n: int, ctype: str) -> str:
    """A file name that is safe to write anywhere: no folders, no control characters."""
    base = _UNSAFE.sub("_", Path(str(name or "").replace("\\", "/")).name).strip(" .")[:120]
    if not base:
        ext = {"application/pdf": ".pdf", "text/plain": ".txt"}.get(ctype, ".bin")
        base = f"attachment-{n}{ext}"
    return base


# -- sources -------------------------------------------------------------------------------------


def read_path(path: Path) -> Iterator[tuple[str, bytes]]:
    """(where, raw bytes) for each message in ``path``: a Maildir folder, an mbox file or one
    message (.eml). An mbox is read line by line: memory holds one message, never the file."""
    path = Path(path)
    if path.is_dir():
        if not all((path / sub).is_dir() for sub in ("cur", "new")):
            raise MailError(f"{path}: a folder, but not a Maildir (no cur/ and new/); give .eml, mbox or Maildir")
        for sub in ("cur", "new"):
            for item in sorted((path / sub).iterdir()):
                if item.is_file() and not item.name.startswith("."):
                    yield f"{item}", item.read_bytes()
        return
    if not path.exists():
        raise MailError(f"{path}: no such file or folder")
    with path.open("rb") as fh:
        first = fh.read(5)
        fh.seek(0)
        if first == b"From ":
            yield from _mbox(fh, path)
            return
        raw = fh.read(MAX_MESSAGE_BYTES + 1)
    yield str(path), raw


def _mbox(fh, path: Path) -> Iterator[tuple[str, bytes]]:
    n, size, lines, blank_before = 0, 0, [], True
    for line in fh:
        if line.startswith(b"From ") and blank_before:
            if n:
                yield from _one(path, n, lines)
            n, size, lines = n + 1, 0, []
            blank_before = False
            continue
        blank_before = line in (b"\n", b"\r\n")
        size += len(line)
        if size <= MAX_MESSAGE_BYTES:
            lines.append(line)
        elif not lines or lines[-1] is not None:
            lines.append(None)      # over the limit: keep nothing more, say so below
    if n:
        if lines and lines[-1] is not None and not lines[-1].endswith(b"\n"):
            raise MailError(f"{path}: message {n} is truncated (the mbox ends in the middle of a line); "
                            "nothing imported from this file; copy the mailbox again")
        yield from _one(path, n, lines)


def _one(path: Path, n: int, lines: list) -> Iterator[tuple[str, bytes]]:
    where = f"{path} message {n}"
    if lines and lines[-1] is None:
        raise MailError(f"{where}: the message is more than {MAX_MESSAGE_BYTES // (1024 * 1024)} MB, more than foia "
                        "takes; save its attachments and record them by hand")
    # The blank line before the next "From " belongs to the mbox, not to the message.
    if lines and lines[-1] in (b"\n", b"\r\n"):
        lines = lines[:-1]
    # mboxrd: ">From " at a line start was escaped when the message was written.
    yield where, b"".join(line[1:] if line.startswith(b">From ") else line for line in lines)
