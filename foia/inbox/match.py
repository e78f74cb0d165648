"""Which request a message answers, and why. In this order, the first way that finds any
candidate decides (one candidate: matched; several: it waits for a person):

1. ``In-Reply-To``/``References`` against the Message-ID of a letter foia wrote and the
   tracker recorded when it was filed, or of mail already matched to a request;
2. a tracking number in the subject or text, by the office patterns in agencies.yaml
   (``tracking_patterns``, each with its source), against the tracker's tracking numbers;
3. the ``[foia #ID]`` tag foia puts in the subject of the mail it writes;
4. the sender's domain against the directory's offices, then the request titles: only a
   suggestion, never a match.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

TAG = re.compile(r"\[foia #(\d{1,10})\]", re.I)
_WORD = re.compile(r"[a-z0-9]{4,}")


@dataclass
class Match:
    request_id: int | None
    how: str                      # reply | tracking-number | tag | none | ambiguous
    why: list[str] = field(default_factory=list)
    candidates: list[int] = field(default_factory=list)
    suggestions: list[int] = field(default_factory=list)
    numbers: list[tuple[str, str]] = field(default_factory=list)    # (number, reason) found in the mail

    def to_dict(self) -> dict:
        return {"how": self.how, "why": self.why, "candidates": self.candidates, "suggestions": self.suggestions,
                "numbers": [list(n) for n in self.numbers]}


class Matcher:
    """What matching needs, read once per import: the Message-IDs of the letters filed, the
    offices' tracking-number patterns and their mail domains."""

    def __init__(self, conn, directory):
        from sqlalchemy import select

        from foia.tracker.models import events

        self.letters: dict[str, int] = {}
        if conn.dialect.name == "postgresql":
            mid = events.c.data["message_id"].as_string()
        else:
            from sqlalchemy import func

            mid = func.json_extract(events.c.data, "$.message_id")
        for rid, value in conn.execute(select(events.c.request_id, mid).where(
                events.c.type.in_(("created", "letter")), mid.is_not(None))):
            self.letters[value] = rid
        self.patterns: list[tuple[re.Pattern, str, str]] = []
        self.domains: dict[str, set[str]] = {}
        for agency in directory.agencies.values():
            for t in getattr(agency, "tracking_patterns", ()):
                self.patterns.append((re.compile(rf"(?<![\w-])(?:{t.pattern})(?![\w-])", re.I), t.reason, agency.id))
            for c in agency.contacts:
                if c.type == "email" and "@" in c.value:
                    self.domains.setdefault(c.value.rpartition("@")[2].lower(), set()).add(agency.id)
        self.family = {a.id: directory.filing_office(a).id for a in directory.agencies.values()}
        self._title_index: dict[tuple[str, ...], dict[str, list[int]]] = {}

    def numbers_in(self, text: str) -> list[tuple[str, str]]:
        found = []
        for pattern, reason, _office in self.patterns:
            for m in pattern.finditer(text):
                found.append((m.group(0).upper(), reason))
        return list(dict.fromkeys(found))

    def match(self, conn, mail) -> Match:
        from sqlalchemy import select

        from foia.inbox.models import inbox_messages
        from foia.tracker.models import requests, tracking_numbers

        text = f"{mail.subject}\n{mail.text}"
        numbers = self.numbers_in(text)
        why: list[str] = []
        # 1. a reply to a letter foia wrote, or to mail already matched
        hits: dict[int, list[str]] = {}
        for ref in mail.references:
            if ref in self.letters:
                hits.setdefault(self.letters[ref], []).append(f"{ref} is the Message-ID of the letter filed as "
                                                              f"request {self.letters[ref]}")
        if mail.references:
            for rid, mid in conn.execute(select(inbox_messages.c.request_id, inbox_messages.c.message_id).where(
                    inbox_messages.c.message_id.in_(mail.references[:50]), inbox_messages.c.state == "matched")):
                hits.setdefault(rid, []).append(f"{mid} is the Message-ID of mail already filed with request {rid}")
        if hits:
            return self._decide("reply", hits, "In-Reply-To/References", numbers)
        why.append("1. reply: " + ("no In-Reply-To or References header" if not mail.references else
                                   f"none of its {len(mail.references)} referenced Message-IDs is a letter foia filed"))
        # 2. a tracking number the tracker knows
        if numbers:
            wanted = [n for n, _ in numbers]
            for rid, number in conn.execute(select(tracking_numbers.c.request_id, tracking_numbers.c.number).where(
                    tracking_numbers.c.number.in_(wanted))):
                hits.setdefault(rid, []).append(f"tracking number {number} (found in the mail by the office's "
                                                f"pattern) is recorded on request {rid}")
            if hits:
                return self._decide("tracking-number", hits, "tracking number", numbers, why)
            why.append(f"2. tracking number: {', '.join(wanted)} found, but on no request in the tracker")
        else:
            why.append("2. tracking number: none of the offices' patterns (agencies.yaml) found one")
        # 3. the [foia #ID] subject tag
        tags = sorted({int(m.group(1)) for m in TAG.finditer(mail.subject)})
        if tags:
            existing = {r for (r,) in conn.execute(select(requests.c.id).where(requests.c.id.in_(tags)))}
            for rid in tags:
                if rid in existing:
                    hits.setdefault(rid, []).append(f"the subject carries the tag [foia #{rid}]")
            if hits:
                return self._decide("tag", hits, "subject tag", numbers, why)
            why.append(f"3. tag: [foia #{tags[0]}] names no request in this tracker")
        else:
            why.append("3. tag: no [foia #ID] in the subject")
        # 4. only a suggestion: the sender's office, then the words of the request titles
        suggestions = self._suggest(conn, mail)
        offices = self._offices_of(mail.sender_domain)
        if offices:
            why.append(f"4. sender: {mail.sender_domain} is the mail domain of {', '.join(sorted(offices))}; "
                       + (f"suggested: request {', '.join(map(str, suggestions))} (by title; assign it by hand)"
                          if suggestions else "no request of that office has a title like the subject"))
        else:
            why.append(f"4. sender: {mail.sender_domain or 'no sender'} is no office's mail domain in the directory")
        return Match(None, "none", why, [], suggestions, numbers)

    def _decide(self, how: str, hits: dict[int, list[str]], label: str, numbers, why=None) -> Match:
        why = list(why or [])
        for rid in sorted(hits):
            why.extend(dict.fromkeys(hits[rid]))
        if len(hits) == 1:
            rid = next(iter(hits))
            return Match(rid, how, why, [rid], [], numbers)
        why.append(f"{label}: {len(hits)} requests match ({', '.join(map(str, sorted(hits)))}); "
                   "assign it by hand (foia inbox assign)")
        return Match(None, "ambiguous", why, sorted(hits), [], numbers)

    def _offices_of(self, domain: str) -> set[str]:
        found: set[str] = set()
        for d, offices in self.domains.items():
            if domain == d or domain.endswith("." + d):
                found |= offices
        return found

    def _suggest(self, conn, mail, limit: int = 3) -> list[int]:
        offices = self._offices_of(mail.sender_domain)
        if not offices:
            return []
        family = tuple(sorted({o for o, f in self.family.items() if f in {self.family.get(x, x) for x in offices}}
                              | offices))
        index = self._titles(conn, family)
        scores: dict[int, int] = {}
        for word in set(_WORD.findall(mail.subject.lower())):
            for rid in index.get(word, ()):
                scores[rid] = scores.get(rid, 0) + 1
        return [rid for rid, _ in sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]]

    def _titles(self, conn, family: tuple[str, ...]) -> dict[str, list[int]]:
        """word -> the open requests of these offices whose title has it; read once per import
        (a word in most titles, like "records", says nothing and is left out)."""
        from sqlalchemy import select

        from foia.tracker.lifecycle import FINAL
        from foia.tracker.models import requests

        if family not in self._title_index:
            index: dict[str, list[int]] = {}
            n = 0
            for rid, title in conn.execute(select(requests.c.id, requests.c.title).where(
                    requests.c.office.in_(family), requests.c.status.not_in(sorted(FINAL)))):
                n += 1
                for word in set(_WORD.findall(title.lower())):
                    index.setdefault(word, []).append(rid)
            common = max(50, n // 2)
            self._title_index[family] = {w: rids for w, rids in index.items() if len(rids) <= common}
        return self._title_index[family]
