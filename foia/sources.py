"""The catalogue of the sources the directory cites (``foia/sources.json``, shipped with the
package): publisher, title, date and URL of each, where known, so a reader can find a source
without the project's working files. ``citation`` turns an agencies.yaml source into the line
users see; a part not on file is said to be so, never guessed.

The catalogue holds the agencies.yaml ``sources:`` ids with what the project's fact sheet
(shared/reference/dhs-foia-facts.md in the working files) or the seed article itself gives, and
nothing where they do not ("not on file" is shown). Citations only: the articles' text is not
shipped. It is JSON, not YAML, so showing a source costs no YAML parser: the directory commands
start from the per-user directory cache without importing one."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

PARTS = ("publisher", "author", "title", "date", "url", "note")


@lru_cache(maxsize=1)
def catalogue() -> dict[str, dict[str, str]]:
    """Source id -> its citation parts (all text)."""
    import json

    data = json.loads(Path(__file__).with_name("sources.json").read_text(encoding="utf-8")) or {}
    return {sid: {k: str(v) for k, v in (entry or {}).items() if k in PARTS and v not in (None, "")}
            for sid, entry in data.items()}


def citation(source) -> str:
    """A source's citation: "Publisher (author), "Title", date, <URL>" with what is missing said,
    and "(reported via ...)" for a claim the fact sheet passes on. ``source`` is a
    ``foia.directory.Source``; one the catalogue does not know (a user's own directory) keeps its
    title and URL."""
    entry = catalogue().get(source.id)
    if entry is None:
        return source.title + (f" <{source.url}>" if source.url else "")
    head = entry.get("publisher", "publisher not on file")
    if entry.get("author"):
        head += f" ({entry['author']})"
    parts = [head]
    parts.append(f"\"{entry['title']}\"" if entry.get("title") else "title not on file")
    parts.append(entry.get("date") or "date not on file")
    parts.append(f"<{entry['url']}>" if entry.get("url") else "URL not on file")
    text = ", ".join(parts)
    if entry.get("note"):
        text += f" ({entry['note']})"
    if source.via:
        # Read in the fact sheet, not at the source itself.
        text += f"; as cited in {source.via}"
    return text
