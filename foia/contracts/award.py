"""An award for people and letters: the contract letter's ``award_detail`` and the text of
``foia contracts show``."""

from __future__ import annotations

from typing import Any, Mapping

from foia.contracts.records import AwardDetail
from foia.contracts.search import USAspendingClient, sub_agency_of
from foia.contracts.values import decimal_or_none, money


def _get(d: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(d, dict):
            return None
        d = d.get(key)
    return d


def _day(value: Any) -> str | None:
    return str(value)[:10] if value else None


def award_to_letter_fields(award_detail: AwardDetail | Mapping[str, Any]) -> dict:
    """The contract letter's ``award_detail``: what identifies the award in a request.

    Takes an :class:`AwardDetail` or the JSON of ``/api/v2/awards/{id}/`` (with its
    transactions under ``"transactions"`` if wanted). ``amount`` is the total obligated.
    """
    if isinstance(award_detail, AwardDetail):
        a, transactions = award_detail.award, award_detail.transactions
        gid = award_detail.generated_id
    else:
        a = dict(award_detail)
        transactions = a.get("transactions") or []
        gid = a.get("generated_unique_award_id")
    period = a.get("period_of_performance") or {}
    mods = []
    for t in sorted(transactions, key=lambda t: (str(t.get("action_date") or ""), str(t.get("modification_number") or ""))):
        mods.append({
            "modification_number": t.get("modification_number"),
            "action_date": t.get("action_date"),
            "action_type_description": t.get("action_type_description"),
            "federal_action_obligation": decimal_or_none(t.get("federal_action_obligation")),
            "description": t.get("description"),
        })
    return {
        "piid": a.get("piid"),
        "parent_piid": _get(a, "parent_award", "piid"),
        "recipient": _get(a, "recipient", "recipient_name"),
        "amount": decimal_or_none(a.get("total_obligation")),
        "start_date": _day(period.get("start_date")),
        "end_date": _day(period.get("end_date")),
        "description": a.get("description"),
        "awarding_agency": _get(a, "awarding_agency", "toptier_agency", "name"),
        "awarding_sub_agency": _get(a, "awarding_agency", "subtier_agency", "name"),
        "modifications": mods,
        # Beyond the letter's needs, for `contracts show`:
        "generated_id": gid,
        "award_type": a.get("type_description"),
        "ceiling": decimal_or_none(a.get("base_and_all_options")),
        "date_signed": _day(a.get("date_signed")),
        "potential_end_date": _day(period.get("potential_end_date")),
        "awarding_office": _get(a, "awarding_agency", "office_agency_name"),
    }


def award_text(fields: dict) -> str:
    """``contracts show`` as text: the award, then its modifications."""
    from foia.output import table

    lines = [f"Award {fields['piid'] or '?'}" + (f" ({fields['award_type']})" if fields.get("award_type") else "")]
    rows = [
        ("USAspending id", fields.get("generated_id")),
        ("Parent award", fields.get("parent_piid")),
        ("Recipient", fields.get("recipient")),
        ("Awarding agency", ", ".join(x for x in (fields.get("awarding_sub_agency"), fields.get("awarding_agency")) if x)),
        ("Awarding office", fields.get("awarding_office")),
        ("Total obligated", money(fields.get("amount"))),
        ("Base and all options", money(fields.get("ceiling"))),
        ("Signed", fields.get("date_signed")),
        ("Performance", " to ".join(x for x in (fields.get("start_date"), fields.get("end_date")) if x)
         + (f" (potential end {fields['potential_end_date']})" if fields.get("potential_end_date")
            and fields.get("potential_end_date") != fields.get("end_date") else "")),
        ("Description", fields.get("description")),
    ]
    lines += [f"{label + ':':<22}{value}" for label, value in rows if value]
    mods = fields.get("modifications") or []
    lines.append("")
    if not mods:
        lines.append("No transactions on USAspending for this award.")
        return "\n".join(lines)
    lines.append(f"Transactions ({len(mods)}; the base award and its modifications):")
    table_rows = [{**m, "modification_number": _mod_label(m.get("modification_number")),
                   "federal_action_obligation": money(m.get("federal_action_obligation"))} for m in mods]
    lines.append(table(table_rows, ["modification_number", "action_date", "action_type_description",
                                    "federal_action_obligation", "description"],
                       ["MOD", "DATE", "ACTION", "OBLIGATION", "DESCRIPTION"], max_width=50))
    return "\n".join(lines)


def _mod_label(number: Any) -> str:
    # FPDS numbers the base award "0"; USAspending may also leave it empty.
    return "0 (base)" if number in (None, "", "0") else str(number)



def letter_fields_for_award(award: str, client: USAspendingClient, *, directory=None,
                            agency: str | None = None) -> dict:
    """``award_to_letter_fields`` for an award number or id, fetched with its modifications
    (the contract letter drafted from an award looked up on USAspending)."""
    sub_agency = None
    if directory is not None and agency:
        directory.agency(agency)  # an unknown office is the user's error, not a silent no-op
        sub_agency = sub_agency_of(directory, agency)
    return award_to_letter_fields(client.award_detail(award, sub_agency=sub_agency))
