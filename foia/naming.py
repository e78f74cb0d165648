"""Messages that name input fields, so each caller can show a field in its own words.

The library says which input is wrong by its field name (``until``, ``base_url``); the command
line calls the same input ``--until``, a web form would call it by its label. A message is built
from text and :class:`Field` parts: as a plain string it names fields bare (``until '2014' is not
a date``), and :func:`as_flags` renders it with the command line's option names.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping


class Field(str):
    """A field's name inside a message (``Field("max_results")``)."""


class Text(str):
    """A message made of text and :class:`Field` parts; as a ``str`` it names fields bare."""

    parts: tuple[str, ...]

    def __new__(cls, *parts: str) -> "Text":
        flat: list[str] = []
        for p in parts:  # a Text inside a Text keeps its fields
            flat.extend(p.parts if isinstance(p, Text) else (p,))
        text = super().__new__(cls, "".join(flat))
        text.parts = tuple(flat)
        return text

    def render(self, name: Callable[[str], str]) -> str:
        """The message with each field named by ``name(field)``."""
        return "".join(name(str(p)) if isinstance(p, Field) else p for p in self.parts)

    def __reduce__(self):  # keeps its parts through pickling (errors cross process pools)
        return (Text, self.parts)


def flag(field: str) -> str:
    """The command-line option of a field: ``max_results`` -> ``--max-results`` (click's rule)."""
    return "--" + field.replace("_", "-")


def as_flags(message: Any, renamed: Mapping[str, str] | None = None) -> str:
    """A message (a :class:`Text`, a string, or an exception carrying either) with its fields
    named as command-line options (``renamed``: field -> option, where it is not :func:`flag`'s);
    plain text comes back as it is."""
    if isinstance(message, BaseException):
        message = message.args[0] if len(message.args) == 1 else str(message)
    if isinstance(message, Text):
        return message.render(lambda f: (renamed or {}).get(f) or flag(f))
    return str(message)
