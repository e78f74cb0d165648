"""How the tracker stores uids and timestamps (schema version 13), and back: THE conversion.

Users only ever see the text: a uid as 36 characters (``0192c1d2-...``), a timestamp as
``2025-01-02T15:04:05.123456Z``. The database keeps them smaller:

- a uid is bytes (BLOB on SQLite, ``bytea`` on PostgreSQL): a canonical uuid is its 16 bytes;
  a uid made by a bulk import before version 13 (22 hex digits, a dash, 12: ``UidMaker``'s old
  form) is its 17 bytes; any other uid an import was given (hex digits and dashes, 8 to 36
  characters) is its text (UTF-8) after a zero byte, padded with zero bytes so that it is never 16
  or 17 bytes long. The length says which, so every uid comes back exactly as it was written.
- a timestamp in the tracker's own form (``store.utcnow``) is an integer on SQLite, microseconds
  since 1970-01-01 UTC; any other ISO-8601 form an import was given (``...:05Z``, ``+02:00``) is
  kept as that text (SQLite keeps each value's own type), so an export shows it as imported.
  PostgreSQL keeps timestamps as text: a column there has one type, and a ``bigint`` could not
  keep those imported forms.

The SQLAlchemy column types (``models.Uid``, ``models.Stamp``), the bulk import's driver-level
writer and migration 13 all call these functions. No SQLAlchemy here: a stdlib-sqlite3 reader
can use them too.
"""

from __future__ import annotations

import binascii
import itertools
import os
import re
import time
from datetime import datetime, timedelta

_CANONICAL = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# The uids a bulk import made before version 13 (a random 88-bit prefix and a counter).
_LEGACY = re.compile(r"[0-9a-f]{22}-[0-9a-f]{12}")
_STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")
_EPOCH = datetime(1970, 1, 1)
_MICRO = timedelta(microseconds=1)


def uid_form(value):
    """A uid as the tracker keeps and compares it: its hex digits lower-case (an export written
    by hand or by another tool may give them in capitals). A request's or an event's uid and
    every reference to it (a referral's ``request_uid``, a created event's ``referred_from``, a
    correction's ``event_uid``, an inbox message's request and event) go through it alike, so
    the links still resolve. Anything but a text comes back as it is."""
    return value.lower() if isinstance(value, str) else value


def uid_bytes(text: str) -> bytes:
    """A uid as stored (see the module's docstring)."""
    if not isinstance(text, str):
        text = str(text)
    if len(text) == 36 and _CANONICAL.fullmatch(text):
        return binascii.unhexlify(text.replace("-", ""))
    if len(text) == 35 and _LEGACY.fullmatch(text):
        return binascii.unhexlify(text[:22] + text[23:])
    # A value looked up that is no uid at all (a referral's data, an inbox file) finds nothing.
    out = b"\0" + str(text).encode("utf-8", "surrogatepass")
    return out + b"\0" * (18 - len(out)) if len(out) in (16, 17) else out


def uid_text(stored: bytes) -> str:
    """The uid as users see it, from its stored bytes."""
    stored = bytes(stored)      # PostgreSQL returns a memoryview
    if len(stored) == 16:
        h = stored.hex()
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
    if len(stored) == 17:
        h = stored.hex()
        return f"{h[:22]}-{h[22:]}"
    return stored[1:].rstrip(b"\0").decode("utf-8", "surrogatepass")


def stamp_value(text: str) -> int | str:
    """A timestamp as SQLite stores it: microseconds since the epoch for the tracker's own form,
    else the text itself."""
    if len(text) == 27 and _STAMP.fullmatch(text):
        try:
            return (datetime.fromisoformat(text[:-1]) - _EPOCH) // _MICRO
        except ValueError:      # the form, not a real time (month 13): kept as imported
            pass
    return text


def stamp_text(stored: int | str) -> str:
    """The timestamp as users see it, from its stored value."""
    if isinstance(stored, int):
        return (_EPOCH + stored * _MICRO).isoformat(timespec="microseconds") + "Z"
    return stored


def new_uid() -> str:
    """A new uid: a time-ordered uuid (UUIDv7's layout: milliseconds since the epoch, then
    random bits), so new rows' uids come in insertion order and their index grows at its end."""
    ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    return _format((ms & (2**48 - 1)) << 80 | 0x7 << 76 | (rand >> 68) << 64 | 0b10 << 62 | (rand & (2**62 - 1)))


def _format(value: int) -> str:
    h = f"{value:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


class UidMaker:
    """Uids for a bulk import, fast and in insertion order: UUIDv7's layout with the import's
    start (milliseconds) and 42 random bits shared by the import, then a 32-bit counter (an
    import makes four per row): unique across databases as a random uuid would be for
    practical purposes, and formatted by a C-level iterator."""

    def __init__(self):
        ms = time.time_ns() // 1_000_000
        rand = int.from_bytes(os.urandom(8), "big")
        head = (ms & (2**48 - 1)) << 80 | 0x7 << 76 | (rand >> 52) << 64 | 0b10 << 62 | (rand & (2**30 - 1)) << 32
        self.prefix = _format(head)[:-8]
        self.next = map(f"{self.prefix}{{:08x}}".format, itertools.count(1)).__next__

    def __call__(self) -> str:
        return self.next()
