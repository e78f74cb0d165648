"""An .eml draft: To the office's FOIA email, the RE line as Subject, the plain-text letter as
body, optionally the DOCX attached. Mail clients open it as a draft (X-Unsent: 1)."""

from __future__ import annotations

import hashlib
from datetime import datetime, time, timezone
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from foia.errors import FoiaError

DOCX_TYPE = ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document")


def _address(name: str | None, email: str, *, name_from: str = "--requester-name / profile name") -> Address | str:
    if name and not name.isprintable():
        # A line break in a header would start another header: refused before the address is
        # built (which would blame the email address).
        raise FoiaError(f"the name {name!r} contains a line break or another control character; write it on one "
                        f"line ({name_from})")
    try:
        local, domain = email.rsplit("@", 1)
        return Address(display_name=name or "", username=local, domain=domain)
    except (ValueError, IndexError):
        raise FoiaError(f"{email!r} is not an email address; fix it (--to-email / profile email)") from None


def to_eml(letter, *, reproducible: bool = False, attach_docx: bool = False, now: datetime | None = None) -> bytes:
    if not letter.to_email and not letter.portal_only:
        where = f" at {letter.portal}" if letter.portal else ""
        raise FoiaError(f"{letter.office_name} has no email address in the directory; write txt or docx and "
                        f"file{where}, or give one with --to-email")
    requester = letter.fields.get("requester") or {}
    # RFC 5322 allows lines up to 998 characters; folding at 78 splits a long RE line before
    # its first word, which some readers show with a leading space.
    msg = EmailMessage(policy=policy.SMTP.clone(max_line_length=998))
    if letter.to_email:     # none for an office that takes requests online only (see build_letter)
        msg["To"] = _address(letter.office_name, letter.to_email, name_from="the office's name in your directory file")
    if requester.get("email"):
        msg["From"] = _address(requester.get("name"), requester["email"])
    msg["Subject"] = letter.subject
    if reproducible and letter.date:
        stamp = datetime.combine(letter.date, time(0, 0), tzinfo=timezone.utc)
    else:
        stamp = (now or datetime.now(timezone.utc)).replace(microsecond=0)
    msg["Date"] = format_datetime(stamp)
    msg["X-Unsent"] = "1"
    msg.set_content(letter.text, subtype="plain", charset="utf-8")
    if attach_docx:
        from foia.render.docx import to_docx

        data = to_docx(letter, reproducible=reproducible, now=stamp)
        filename = f"{letter.date.isoformat() if letter.date else 'letter'}-{letter.kind}.docx"
        msg.add_attachment(data, maintype=DOCX_TYPE[0], subtype=DOCX_TYPE[1], filename=filename)
        if reproducible:
            # The MIME boundary is random unless set: derive it from the content instead.
            msg.set_boundary("=foia-" + hashlib.sha256(letter.text.encode() + data).hexdigest()[:32])
    return msg.as_bytes()
