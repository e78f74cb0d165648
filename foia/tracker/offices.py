"""The office a request is filed with, as recorded: its contact details on the day (a snapshot
stored with the request), whether the way it was sent reaches it, and what a contract linked
to the request stands for."""

from __future__ import annotations

import re
from datetime import date

from foia.errors import NotFound


def office_snapshot(directory, agency, *, on: date) -> dict:
    """The office's contact details as the directory gives them on ``on``, the day they are
    recorded (stored with the request, so later directory changes do not rewrite them)."""
    how = directory.how_to_file(agency)
    office = how["office"]
    filing = how["filing"]
    return {
        "office": office.id, "name": office.name, "abbreviation": office.abbreviation,
        "office_name": office.office,
        "requested_office": agency.id if agency.id != office.id else None,
        "portal": how["portal"], "portal_only": how["portal_only"],
        "portal_only_since": filing.portal_only_since if filing else None,
        "filing_policy": filing.policy if filing else None,
        "filing_sources": list(filing.sources) if filing else [],
        "channels": [{"purpose": c.purpose, "type": c.type, "value": c.value, "verified": c.verified,
                      "note": c.note, "sources": list(c.sources)} for c in how["channels"]],
        "taken_on": on.isoformat(),
    }


def filing_warnings(snapshot: dict | None, sent_via: str | None, filed_on: date) -> list[str]:
    if not snapshot or sent_via not in ("email", "mail", "fax"):
        return []
    since = snapshot.get("portal_only_since")
    if snapshot.get("portal_only") and since and filed_on.isoformat() >= since:
        return [f"{snapshot.get('abbreviation')} takes requests through its portal since {since} "
                f"({snapshot.get('portal')}; directory sources: {', '.join(snapshot.get('filing_sources') or [])}); "
                f"a request sent by {sent_via} may not count as received: check that the office acknowledges it"]
    return []


AWARD_NUMBER = re.compile(r"[A-Z0-9][A-Z0-9-]{4,49}")


def contract_link(directory, key: str) -> str | None:
    """What a request links to for ``key``: the directory's contract id when the directory knows the
    contract (by id or award number), else the award number itself (an award found on USAspending,
    `foia draft contract --lookup`), or None when ``key`` is neither."""
    try:
        return directory.contract(key).id
    except NotFound:
        key = key.strip()
        return key if AWARD_NUMBER.fullmatch(key) else None
