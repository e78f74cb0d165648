"""An .eml draft: To the office's FOIA email, the RE line as Subject, the plain-text letter as
body, optionally the DOCX attached. Mail clients open it as a draft (X-Unsent: 1).

The email package is imported only when an .eml is made: `draft` asks :func:`eml_refusal` of
every letter, whatever its formats.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timezone
from functools import lru_cache
from typing import TYPE_CHECKING

from foia.errors import FoiaError
from foia.naming import Field, Text

if TYPE_CHECKING:
    from email.headerregistry import Address

DOCX_TYPE = ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document")


def _address(name: str | None, email: str, *, name_from: str = Text(Field("requester_name"), " / profile name")
             ) -> Address | str:
    if name and not name.isprintable():
        # A line break in a header would start another header: refused before the address is
        # built (which would blame the email address).
        raise FoiaError(Text(f"the name {name!r} contains a line break or another control character; write it on "
                             "one line (", name_from, ")"))
    from email.headerregistry import Address

    try:
        local, domain = email.rsplit("@", 1)
        return Address(display_name=name or "", username=local, domain=domain)
    except (ValueError, IndexError):
        raise FoiaError(Text(f"{email!r} is not an email address; fix it (", Field("to_email"), " / profile email)"),
                        field="to_email") from None


# The tag foia puts in the subject of mail filed in the tracker: replies keep the subject
# ("RE: ... [foia #12]"), so `foia inbox` can match a reply whose headers were stripped.
SUBJECT_TAG = "[foia #{id}]"
_DOMAIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$")


def message_id_for(letter, *, reproducible: bool = False) -> str:
    """The Message-ID of the .eml written for ``letter``: a reply quotes it (In-Reply-To,
    References), which is how `foia inbox` finds the request it answers. Random, or derived
    from the letter for reproducible output; on the requester's mail domain (RFC 5322 3.6.4)."""
    requester = letter.fields.get("requester") or {}
    domain = str(requester.get("email") or "").rpartition("@")[2]
    if not _DOMAIN.match(domain):
        domain = "foia.invalid"     # RFC 2606: a name that can never be someone else's
    if reproducible:
        import hashlib

        seed = f"{letter.office_id}\n{letter.kind}\n{letter.date}\n{letter.text}".encode()
        token = hashlib.sha256(seed).hexdigest()[:32]
    else:
        import uuid

        token = uuid.uuid4().hex
    return f"<foia.{token}@{domain}>"


@lru_cache(maxsize=1)
def _policy():
    """SMTP's policy with the Subject folded as below (a class made on first use, so the email
    package is imported only then)."""
    from email import policy

    class _FoldingPolicy(policy.EmailPolicy):
        """SMTP's policy, but an ASCII Subject is folded at the last space that fits: the standard
        folder moves a Subject of 70-77 characters whole onto a continuation line, which readers
        then show with a leading space."""

        def fold(self, name, value):
            folded = self._fold_subject(name, value)
            return folded if folded is not None else super().fold(name, value)

        def fold_binary(self, name, value):
            folded = self._fold_subject(name, value)
            return folded.encode("ascii") if folded is not None else super().fold_binary(name, value)

        def _fold_subject(self, name, value) -> str | None:
            import textwrap

            text = str(value)
            if name.lower() != "subject" or not text.isascii() or "  " in text or text != text.strip():
                return None
            lines = textwrap.wrap(text, width=self.max_line_length, initial_indent=f"{name}: ",
                                  subsequent_indent=" ", break_long_words=False, break_on_hyphens=False)
            return self.linesep.join(lines) + self.linesep

    return _FoldingPolicy(linesep="\r\n")


def eml_refusal(letter) -> str | None:
    """Why no .eml can be addressed for ``letter``, or None: the office has no email in the
    directory, or it takes requests online only (an email there would not be a filing). An
    address given as ``to_email`` is the user's choice and always used."""
    office = letter.fields.get("office") or {}
    if not letter.to_email:
        where = f" at {letter.portal}" if letter.portal else ""
        return Text(f"{letter.office_name} has no email address in the directory; write txt or docx and "
                    f"file{where}, or give one with ", Field("to_email"))
    if letter.portal_only and not letter.fields.get("to_email_given"):
        rule_by = "DHS" if office.get("dhs") else office.get("abbreviation", letter.office_name)
        since = f" since {office['portal_only_since']}" if office.get("portal_only_since") else ""
        return Text(f"{letter.office_name} takes requests online only ({rule_by} rule{since}), so a request "
                    f"emailed to {letter.to_email} is not filed; file at {letter.portal}, or give an address with ",
                    Field("to_email"))
    return None


def to_eml(letter, *, reproducible: bool = False, attach_docx: bool = False, now: datetime | None = None,
           message_id: str | None = None, request_id: int | None = None,
           attachment_name: str | None = None) -> bytes:
    """The .eml bytes; ``message_id`` (default :func:`message_id_for`) and, for a request filed
    in the tracker, ``request_id`` (its tag goes in the subject); ``attachment_name`` is the
    DOCX's file name (default: the letter's own default file name), so the attachment is called
    what the file beside it is."""
    refusal = eml_refusal(letter)
    if refusal:
        raise FoiaError(refusal)
    requester = letter.fields.get("requester") or {}
    # Lines of at most 78 characters (RFC 5322 2.1.1): a long Subject is folded, base64 is cut at
    # 76 (RFC 2045 6.8) and long paragraphs go quoted-printable; readers unfold all three.
    from email.message import EmailMessage
    from email.utils import format_datetime

    msg = EmailMessage(policy=_policy())
    msg["To"] = _address(letter.office_name, letter.to_email, name_from="the office's name in your directory file")
    if requester.get("email"):
        msg["From"] = _address(requester.get("name"), requester["email"])
    msg["Subject"] = letter.subject + (f" {SUBJECT_TAG.format(id=request_id)}" if request_id is not None else "")
    if reproducible and letter.date:
        stamp = datetime.combine(letter.date, time(0, 0), tzinfo=timezone.utc)
    else:
        stamp = (now or datetime.now(timezone.utc)).replace(microsecond=0)
    msg["Date"] = format_datetime(stamp)
    msg["Message-ID"] = message_id or message_id_for(letter, reproducible=reproducible)
    msg["X-Unsent"] = "1"
    msg.set_content(letter.text, subtype="plain", charset="utf-8")
    if attach_docx:
        from foia.render.docx import to_docx

        data = to_docx(letter, reproducible=reproducible, now=stamp)
        if attachment_name is None:
            from foia.letters import default_stem

            attachment_name = f"{default_stem(letter)}.docx"
        filename = attachment_name
        msg.add_attachment(data, maintype=DOCX_TYPE[0], subtype=DOCX_TYPE[1], filename=filename)
        if reproducible:
            # The MIME boundary is random unless set: derive it from the content instead.
            import hashlib

            msg.set_boundary("=foia-" + hashlib.sha256(letter.text.encode() + data).hexdigest()[:32])
    return msg.as_bytes()
