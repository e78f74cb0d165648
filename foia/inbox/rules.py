"""Rules that read a matched message and propose the next step (shipped in rules.yaml,
overridable in the config folder's inbox-rules.yaml). A proposal is the keyword arguments
of ``Tracker.update``: accepting it runs the same checks as `foia track update`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from foia.errors import FoiaError

SHIPPED = Path(__file__).with_name("rules.yaml")
OVERRIDE_NAME = "inbox-rules.yaml"
FIELDS = {"id", "label", "match", "unless", "group", "bounce", "propose", "examples", "enabled"}
PROPOSALS = {"status", "tracking_number", "extension_notice", "fee_estimated", "exemptions", "delivery_failed"}
# "$1,234.50", "$ 25": the first dollar amount is the estimate (6 CFR 5.11(e) notice above $25).
DOLLARS = re.compile(r"\$\s?(\d{1,3}(?:,\d{3})+(?:\.\d{2})?|\d+(?:\.\d{2})?)")
# FOIA exemptions as agencies cite them: (b)(6), (b)(7)(C), b6, b7c.
EXEMPTION = re.compile(r"\(b\)\s*\((\d)\)(?:\s*\(([A-F])\))?|\bb([1-9])([a-f])?\b", re.I)


@dataclass(frozen=True)
class Rule:
    id: str
    label: str
    match: tuple[re.Pattern, ...]
    unless: tuple[re.Pattern, ...]
    group: str | None
    bounce: bool
    propose: dict
    examples: tuple[str, ...]


@dataclass
class Proposal:
    rule: str
    summary: str
    params: dict          # Tracker.update keyword arguments (dates as YYYY-MM-DD), or delivery_failed
    evidence: str


def rules_path() -> Path:
    from foia.paths import config_dir

    return config_dir() / OVERRIDE_NAME


def load_rules(override: Path | None = None) -> list[Rule]:
    """The shipped rules with the user's file over them (same id replaces, enabled: false removes)."""
    rules = {r["id"]: r for r in _read(SHIPPED)}
    path = override if override is not None else rules_path()
    if path.is_file():
        for r in _read(path):
            rules.pop(r["id"], None)
            if r.get("enabled", True) is not False:
                rules[r["id"]] = r
    return [_build(r) for r in rules.values()]


def _read(path: Path) -> list[dict]:
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise FoiaError(f"cannot read {path}: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise FoiaError(f"{path}{f' line {mark.line + 1}' if mark else ''}: not valid YAML; "
                        "expected `rules:` with a list of rules") from None
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        raise FoiaError(f"{path}: expected `rules:` with a list of rules")
    out = []
    for i, r in enumerate(data["rules"], 1):
        where = f"{path}: rule {i}"
        if not isinstance(r, dict) or not isinstance(r.get("id"), str) or not r["id"].strip():
            raise FoiaError(f"{where}: give each rule an id (text)")
        where = f"{path}: rule {r['id']}"
        unknown = set(r) - FIELDS
        if unknown:
            raise FoiaError(f"{where}: unknown field {sorted(unknown)[0]!r}; expected {', '.join(sorted(FIELDS))}")
        if r.get("enabled", True) is False:
            out.append(r)
            continue
        propose = r.get("propose")
        if not isinstance(propose, dict) or not propose or set(propose) - PROPOSALS:
            raise FoiaError(f"{where}: propose: give a mapping of {', '.join(sorted(PROPOSALS))}")
        if not r.get("bounce") and not r.get("match"):
            raise FoiaError(f"{where}: give match: (regular expressions) or bounce: true")
        for key in ("match", "unless"):
            for pattern in r.get(key) or []:
                try:
                    re.compile(str(pattern))
                except re.error as exc:
                    raise FoiaError(f"{where}: {key}: {pattern!r} is not a regular expression ({exc})") from None
        if "status" in propose:
            from foia.tracker.lifecycle import normalize_status

            try:
                normalize_status(str(propose["status"]))
            except FoiaError as exc:
                from foia.naming import Text

                raise FoiaError(Text(f"{where}: propose.status: ", exc.args[0])) from None
        out.append(r)
    return out


def _build(r: dict) -> Rule:
    flags = re.I | re.S
    return Rule(id=r["id"], label=str(r.get("label") or r["id"]),
                match=tuple(re.compile(str(p), flags) for p in r.get("match") or []),
                unless=tuple(re.compile(str(p), flags) for p in r.get("unless") or []),
                group=r.get("group"), bounce=bool(r.get("bounce")), propose=dict(r["propose"]),
                examples=tuple(r.get("examples") or []))


def exemptions_in(text: str) -> list[str]:
    found = []
    for m in EXEMPTION.finditer(text):
        number = m.group(1) or m.group(3)
        letter = (m.group(2) or m.group(4) or "").upper()
        found.append(f"(b)({number})" + (f"({letter})" if letter else ""))
    return list(dict.fromkeys(found))


def propose(mail, rules: list[Rule], *, on: date, numbers: list[tuple[str, str]],
            known_numbers: set[str]) -> list[Proposal]:
    """What ``mail`` (foia.inbox.parse.Mail) proposes. ``numbers``: the (number, reason) the
    office's patterns found in it; ``known_numbers``: those already on the request."""
    text = f"{mail.subject}\n{mail.text}"
    groups: set[str] = set()
    update: dict = {}
    fired: list[tuple[Rule, str]] = []
    out: list[Proposal] = []
    for rule in rules:
        if rule.bounce != bool(mail.bounce):
            continue
        if rule.group and rule.group in groups:
            continue
        if rule.bounce:
            hit = "delivery-status report" + (f": {mail.bounce_reason}" if mail.bounce_reason else "")
        else:
            found = next((m for p in rule.match for m in [p.search(text)] if m), None)
            if found is None or any(p.search(text) for p in rule.unless):
                continue
            hit = _context(text, found)
        p = rule.propose
        if p.get("delivery_failed"):
            out.append(Proposal(rule.id, f"delivery failed: {mail.bounce_reason or 'the mail bounced'}",
                                {"delivery_failed": mail.bounce_reason or "the mail bounced", "on": on.isoformat()},
                                hit))
            continue
        params: dict = {}
        if p.get("status"):
            params["status"] = str(p["status"])
        if p.get("tracking_number"):
            new = [f"{n}:{reason}" for n, reason in numbers if n not in known_numbers]
            if new:
                params["tracking"] = new
        if p.get("extension_notice"):
            params["extension_notice"] = on.isoformat()
        if p.get("fee_estimated"):
            amount = DOLLARS.search(text)
            if amount is None:
                continue
            params["fees"] = [["estimated", amount.group(1).replace(",", "")]]
        if p.get("exemptions"):
            cited = exemptions_in(text)
            if cited:
                params["note"] = "exemptions cited: " + ", ".join(cited)
        if not params:
            continue
        if rule.group:
            groups.add(rule.group)
        if "status" in params and "status" in update:
            continue        # one status per message: the first rule's
        for k, v in params.items():
            if k in ("tracking", "fees"):
                update.setdefault(k, []).extend(v)
            elif k == "note" and "note" in update:
                update["note"] += "; " + v
            else:
                update[k] = v
        fired.append((rule, hit))
    if update:
        update["on"] = on.isoformat()
        out.append(Proposal("+".join(r.id for r, _ in fired), describe(update),
                            update, " | ".join(h for _, h in fired)))
    return out


def describe(params: dict) -> str:
    """One line saying what accepting will record."""
    if "delivery_failed" in params:
        return f"record delivery failed on {params.get('on')}: {params['delivery_failed']}"
    parts = []
    if params.get("status"):
        parts.append(f"status {params['status']}")
    for t in params.get("tracking") or []:
        parts.append(f"tracking number {t.split(':')[0]}")
    if params.get("extension_notice"):
        parts.append(f"extension notice of {params['extension_notice']}")
    for kind, amount in params.get("fees") or []:
        parts.append(f"fees {kind} ${amount}")
    if params.get("note"):
        parts.append(f"note \"{params['note']}\"")
    return "record " + ", ".join(parts) + f" on {params.get('on')}"


def _context(text: str, m: re.Match) -> str:
    start, end = max(0, m.start() - 60), min(len(text), m.end() + 60)
    return " ".join(text[start:end].split())
