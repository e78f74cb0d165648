"""Checking the directory's contract claims against USAspending: amounts and dates compared
award by award, or candidate awards listed when the directory has no award number. Read-only."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal

from foia.contracts.award import award_to_letter_fields
from foia.contracts.records import PAGE_LIMIT, AwardDetail, AwardRow, SearchQuery, SearchResult
from foia.contracts.search import AmbiguousAward, USAspendingClient, agency_filter, sub_agency_of, vendor_names
from foia.contracts.values import money, shorten
from foia.errors import FoiaError, NotFound

AMOUNT_TOLERANCE = Decimal("0.005")  # 0.5%: a rounded figure in the press still "agrees"
ABOUT_TOLERANCE = Decimal("0.05")  # "about $30 million": within 5%
_OBLIGATED = ("award", "total", "obligated", "paid")


@dataclass
class Finding:
    """One comparison of a claim with USAspending."""

    what: str  # amount | date | start | end
    status: str  # agrees | differs | not compared
    claim: str
    usaspending: str
    note: str = ""

    def line(self) -> str:
        extra = f" ({self.note})" if self.note else ""
        if self.status == "not compared":
            return f"{self.what}: not compared - claim {self.claim}{extra}"
        return f"{self.what}: {self.status} - claim {self.claim} vs USAspending {self.usaspending}{extra}"


@dataclass
class ClaimCheck:
    text: str
    sources: list[str]
    verified: bool
    award_number: str | None = None
    findings: list[Finding] = field(default_factory=list)
    candidates: list[dict] = field(default_factory=list)

    @property
    def status(self) -> str:
        states = {f.status for f in self.findings}
        if "differs" in states:
            return "differs"
        if "agrees" in states:
            return "agrees"
        return "not compared"

    def to_dict(self) -> dict:
        return {"text": self.text, "sources": self.sources, "verified": self.verified,
                "award_number": self.award_number, "status": self.status,
                "findings": [f.__dict__ for f in self.findings], "candidates": self.candidates}


@dataclass
class ContractCheck:
    contract_id: str
    title: str
    award_numbers: list[str]
    awards: dict[str, dict] = field(default_factory=dict)  # award number -> summary
    problems: list[str] = field(default_factory=list)
    claims: list[ClaimCheck] = field(default_factory=list)
    searched: str | None = None  # for contracts without an award number

    def to_dict(self) -> dict:
        return {"contract": self.contract_id, "title": self.title, "award_numbers": self.award_numbers,
                "usaspending_awards": self.awards, "problems": self.problems, "searched": self.searched,
                "claims": [c.to_dict() for c in self.claims]}


@dataclass
class CheckReport:
    """What USAspending says about a vendor's contracts in the directory. Read-only: nothing in
    the directory is changed; agreements and differences are for a person to judge."""

    vendor_id: str
    vendor_name: str
    contracts: list[ContractCheck] = field(default_factory=list)

    def counts(self) -> dict:
        claims = [c for k in self.contracts for c in k.claims]
        return {"agree": sum(c.status == "agrees" for c in claims),
                "differ": sum(c.status == "differs" for c in claims),
                "not_compared": sum(c.status == "not compared" for c in claims),
                "unverified": sum(not c.verified for c in claims)}

    def lines(self) -> list[str]:
        out = [f"{self.vendor_name} ({self.vendor_id}): {len(self.contracts)} directory contract"
               f"{'s' if len(self.contracts) != 1 else ''} checked against USAspending.",
               "Read-only: the directory is not changed; judge each difference with its source."]
        for k in self.contracts:
            out.append("")
            out.append(f"{k.contract_id}: {k.title}")
            for number, s in k.awards.items():
                out.append(f"  USAspending {number} ({s['generated_id']}): {s['recipient'] or '?'}, "
                           f"obligated {money(s['amount']) or '?'}, base and all options {money(s['ceiling']) or '?'}, "
                           f"{s['start_date'] or '?'} to {s['end_date'] or '?'}")
            for p in k.problems:
                out.append(f"  ! {p}")
            if k.searched:
                out.append(f"  no award number on file; searched {k.searched}")
            for c in k.claims:
                mark = "" if c.verified else " [unverified]"
                src = f" ({'; '.join(c.sources)})" if c.sources else ""
                out.append(f"  claim{mark}: \"{shorten(c.text, 110)}\"{src}")
                for f in c.findings:
                    out.append(f"    {f.line()}")
                if c.candidates:
                    out.append("    candidates by amount closeness (not confirmed):")
                    for cand in c.candidates:
                        out.append(f"      {cand['award_id'] or '?'}  {money(cand['amount'])}  "
                                   f"({cand['difference_percent']}% from the claim)  "
                                   f"{cand['start_date'] or '?'} to {cand['end_date'] or '?'}  {cand['recipient'] or ''}".rstrip())
                if not c.findings and not c.candidates:
                    out.append("    nothing to compare (no amount or date in the claim, or no award found)")
        n = self.counts()
        out.append("")
        out.append(f"Claims: {n['agree']} agree, {n['differ']} differ, {n['not_compared']} not compared; "
                   f"{n['unverified']} unverified in the directory.")
        return out

    def to_dict(self) -> dict:
        return {"vendor": self.vendor_id, "name": self.vendor_name, "counts": self.counts(),
                "contracts": [k.to_dict() for k in self.contracts]}


def _percent(a: Decimal, b: Decimal) -> str:
    if b == 0:
        return "n/a"
    pct = abs(a - b) / abs(b) * 100
    return "<0.1" if 0 < pct < Decimal("0.05") else f"{pct:.1f}"


def compare_amount(claim, summary: dict) -> Finding | None:
    """A claim's amount against the award: obligations for award/total/obligated/paid figures,
    base and all options for a ceiling. ``more than``/``up to``/``less than`` are bounds;
    ``about`` allows 5%; a plain figure agrees within 0.5%, or to the cent if it has cents."""
    if claim.amount is None:
        return None
    basis = claim.basis or "award"
    claimed = f"{claim.amount_text()} ({basis})"
    if basis in _OBLIGATED:
        actual, label = summary.get("amount"), "total obligated"
    elif basis == "ceiling":
        actual, label = summary.get("ceiling"), "base and all options"
    else:
        return Finding("amount", "not compared", claimed, "", f"USAspending has no {basis} figure")
    if actual is None:
        return Finding("amount", "not compared", claimed, "", f"USAspending gives no {label}")
    shown = f"{money(actual)} ({label})"
    q = claim.qualifier
    if q == "more than":
        ok = actual >= claim.amount
    elif q in ("up to", "less than"):
        ok = actual <= claim.amount if q == "up to" else actual < claim.amount
    else:
        if claim.amount != claim.amount.to_integral_value() and q is None:
            ok = actual.quantize(Decimal("0.01")) == claim.amount.quantize(Decimal("0.01"))
        else:
            tol = ABOUT_TOLERANCE if q == "about" else AMOUNT_TOLERANCE
            ok = abs(actual - claim.amount) <= abs(claim.amount) * tol
    note = "" if actual == claim.amount else f"{_percent(actual, claim.amount)}% apart"
    if basis == "paid":
        note = "; ".join(x for x in (note, "USAspending reports obligations, not payments") if x)
    return Finding("amount", "agrees" if ok else "differs", claimed, shown, note)


def compare_dates(claim, summary: dict) -> list[Finding]:
    """Partial dates (YYYY, YYYY-MM) agree with any day inside them."""
    out = []
    pairs = (("date", claim.date, (("signed", summary.get("date_signed")), ("start", summary.get("start_date")))),
             ("start", claim.start, (("start", summary.get("start_date")), ("signed", summary.get("date_signed")))),
             ("end", claim.end, (("end", summary.get("end_date")), ("potential end", summary.get("potential_end_date")))))
    for what, claimed, candidates in pairs:
        if not claimed:
            continue
        known = [(label, v) for label, v in candidates if v]
        if not known:
            out.append(Finding(what, "not compared", claimed, "", "USAspending gives no such date"))
            continue
        match = next(((label, v) for label, v in known if v.startswith(claimed)), None)
        if match:
            out.append(Finding(what, "agrees", claimed, f"{match[1]} ({match[0]})"))
        else:
            label, v = known[0]
            out.append(Finding(what, "differs", claimed, f"{v} ({label})"))
    return out


def _summary(detail: AwardDetail) -> dict:
    f = award_to_letter_fields(detail)
    return {k: f[k] for k in ("generated_id", "piid", "parent_piid", "recipient", "amount", "ceiling",
                              "start_date", "end_date", "potential_end_date", "date_signed",
                              "awarding_sub_agency")}


def check_vendor_claims(directory, vendor_id: str, client: USAspendingClient, *,
                        candidates: int = 3) -> CheckReport:
    """Compare each directory contract of a vendor with USAspending; never changes the directory.

    With an award number: the award is fetched and each claim's amount and dates compared.
    Without one: the vendor's recipient names are searched at the contract's agency and the
    awards closest in amount to each claim are listed as candidates, not matches.
    """
    vendor = directory.vendor(vendor_id)
    report = CheckReport(vendor.id, vendor.name)
    searches: dict[tuple, SearchResult] = {}
    for contract in directory.contracts_for_vendor(vendor.id):
        numbers = list(dict.fromkeys(n for n in [contract.award_number, *(c.award_number for c in contract.claims)] if n))
        check = ContractCheck(contract.id, contract.title, numbers)
        report.contracts.append(check)
        sub_agency = sub_agency_of(directory, contract.agency)
        for number in numbers:
            try:
                detail = client.award_detail(number, sub_agency=sub_agency, with_transactions=False)
            except NotFound as exc:
                check.problems.append(f"award {number}: {exc.message}")
                continue
            except AmbiguousAward as exc:
                check.problems.append(exc.message)
                continue
            check.awards[number] = _summary(detail)
        rows: list[AwardRow] = []
        if not numbers:
            names: list[str] = []
            for vid in contract.vendors:
                for n in vendor_names(directory, vid)[0]:
                    if n not in names:
                        names.append(n)
            try:
                filters = (agency_filter(directory, contract.agency)[0],)
            except FoiaError:
                filters = ()
            key = (tuple(names), json.dumps(filters, sort_keys=True))
            if key not in searches:
                query = SearchQuery(agencies=filters, recipients=tuple(names))
                searches[key] = client.search_awards(query, max_results=PAGE_LIMIT)
            rows = searches[key].awards
            check.problems += searches[key].notes
            where = f" at {filters[0]['name']}" if filters else ""
            check.searched = f"recipients {', '.join(names)}{where}: {len(rows)} award{'s' if len(rows) != 1 else ''}"
        for claim in contract.claims:
            cc = ClaimCheck(claim.text, [_source_label(directory, s) for s in claim.sources], claim.verified,
                            claim.award_number or contract.award_number)
            check.claims.append(cc)
            summary = check.awards.get(cc.award_number or "") if cc.award_number else None
            if summary is not None:
                amount = compare_amount(claim, summary)
                cc.findings += ([amount] if amount else []) + compare_dates(claim, summary)
            elif rows and claim.amount is not None and claim.amount > 0:
                ranked = sorted((r for r in rows if r.amount is not None),
                                key=lambda r: abs(r.amount - claim.amount))[:candidates]
                cc.candidates = [{"award_id": r.award_id, "generated_id": r.generated_internal_id,
                                  "recipient": r.recipient, "amount": r.amount,
                                  "difference_percent": _percent(r.amount, claim.amount),
                                  "start_date": r.start_date, "end_date": r.end_date} for r in ranked]
    return report


def _source_label(directory, sid: str) -> str:
    src = directory.sources.get(sid)
    return src.title if src else sid
