"""The inbox: the agencies' replies, from .eml, mbox, Maildir or IMAP, each kept as received
(raw bytes and SHA-256: the proof), matched to its request with the reasons, and read by
rules that propose the next step for a person to accept.

Modules: ``parse`` (reading mail, limits), ``models`` (tables), ``match`` (which request and
why), ``rules`` (proposals; rules.yaml), ``service`` (``Inbox``: import, assign, accept...),
``imap`` (fetch).

The functions below are what other parts of foia (the document vault, the web app) call.
"""

from __future__ import annotations

__all__ = ["Inbox", "messages_of", "raw_message", "attachments_of"]


def __getattr__(name):
    if name == "Inbox":
        from foia.inbox.service import Inbox

        return Inbox
    raise AttributeError(name)


def messages_of(tracker, request_id) -> list[dict]:
    """The mail filed with a request, oldest first: dicts with id, date, from, subject,
    sha256, name (a file-name-safe ``DATE-message-ID.eml``) and attachments (filename,
    media_type, size)."""
    from foia.inbox.service import Inbox

    return Inbox(tracker).list(request=request_id)


def raw_message(tracker, message_id) -> bytes:
    """The message exactly as received (RFC 822 bytes)."""
    from foia.inbox.service import Inbox

    return Inbox(tracker).raw(message_id)


def attachments_of(tracker, message_id) -> list[tuple[str, str, bytes]]:
    """The message's attachments: (safe file name, media type, bytes), read from its raw bytes."""
    from foia.inbox.parse import parse

    raw = raw_message(tracker, message_id)
    return [(a.filename, a.media_type, a.data) for a in parse(raw, where=f"message {message_id}").attachments]
