"""What USAspending is asked and answers: its paths and limits, a search's filters, a row of
its results and an award with its transactions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from foia.errors import FoiaError
from foia.naming import Field, Text
from foia.contracts.values import decimal_or_none, kind_of, money, shorten

DEFAULT_BASE_URL = "https://api.usaspending.gov"
SEARCH_PATH = "/api/v2/search/spending_by_award/"
AWARD_PATH = "/api/v2/awards/{}/"
TRANSACTIONS_PATH = "/api/v2/transactions/"

CONTRACT_TYPES = ("A", "B", "C", "D")
# The IDV group (from the API contract, not our reference file); searched only to resolve an
# award number that is a parent contract. Groups cannot be mixed in one search (HTTP 422).
IDV_TYPES = ("IDV_A", "IDV_B", "IDV_B_A", "IDV_B_B", "IDV_B_C", "IDV_C", "IDV_D", "IDV_E")
FIELDS = ("Award ID", "Recipient Name", "Award Amount", "Start Date", "End Date",
          "Awarding Agency", "Awarding Sub Agency", "Description", "generated_internal_id")
SORTS = {"amount": "Award Amount", "start-date": "Start Date", "end-date": "End Date",
         "award-id": "Award ID", "recipient": "Recipient Name"}

EARLIEST = date(2007, 10, 1)  # USAspending's search refuses earlier dates (reference, section 1)
PAGE_LIMIT = 100  # the API's maximum page size for spending_by_award
RESULT_WINDOW = 50_000  # past this many results, page numbers are refused: use the cursor
# In page mode USAspending computes hasNext from its search engine's hit total (spending_by_award.py,
# construct_es_response), which Elasticsearch counts only up to 10,000 unless asked (track_total_hits,
# not set there): page numbers never list more.
PAGE_MODE_CAP = 10_000
# Sorts whose last_record_sort_value the server takes back (amounts as whole cents, ids, names);
# date sorts keep page numbers and so the 10,000 cap.
CURSOR_SORTS = frozenset({"Award Amount", "Award ID", "Recipient Name"})
# The contract's maximum (transactions.md). Transactions page by offset with no tie-break, so
# fewer, larger pages make a duplicate or a skipped row at a page edge less likely.
TRANSACTION_LIMIT = 5000
MAX_TRANSACTION_PAGES = 200
# A Retry-After longer than this is refused at once rather than waited out in silence.
MAX_RETRY_AFTER = 120.0
MAX_BODY_BYTES = 20 * 1024 * 1024
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
DEFAULT_TTL = 24 * 3600.0
DEFAULT_MAX_RESULTS = 500


# ---------------------------------------------------------------------------------------------
# Records


@dataclass(frozen=True)
class AwardRow:
    """One row of a spending_by_award search."""

    award_id: str | None
    recipient: str | None
    amount: Decimal | None
    start_date: str | None
    end_date: str | None
    awarding_agency: str | None
    awarding_sub_agency: str | None
    description: str | None
    generated_internal_id: str | None
    internal_id: int | None = None

    COLUMNS = ("award_id", "recipient", "amount", "start_date", "end_date", "awarding_agency",
               "awarding_sub_agency", "description", "generated_internal_id")

    @classmethod
    def from_result(cls, r: Any, index: int, what: str = "the search") -> "AwardRow":
        where = f"USAspending's answer to {what}: result {index}"
        if not isinstance(r, dict):
            raise FoiaError(f"{where} is {kind_of(r)}, not an object; try again later or report it")
        try:
            amount = decimal_or_none(r.get("Award Amount"))
        except ValueError:
            raise FoiaError(f"{where} has Award Amount {shorten(repr(r.get('Award Amount')), 60)}, "
                            "not a number; try again later or report it") from None
        text = {}
        for key in ("Award ID", "Recipient Name", "Start Date", "End Date", "Awarding Agency",
                    "Awarding Sub Agency", "Description", "generated_internal_id"):
            v = r.get(key)
            if v is not None and (isinstance(v, (bool, dict, list))):
                raise FoiaError(f"{where} has {key} {shorten(repr(v), 60)}, not text; "
                                "try again later or report it")
            text[key] = None if v is None else str(v)
        internal = r.get("internal_id")
        return cls(text["Award ID"], text["Recipient Name"], amount, text["Start Date"], text["End Date"],
                   text["Awarding Agency"], text["Awarding Sub Agency"], text["Description"],
                   text["generated_internal_id"], internal if isinstance(internal, int) else None)

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.COLUMNS}

    def table_row(self) -> dict:
        return {**self.to_dict(), "amount": money(self.amount)}


@dataclass(frozen=True)
class SearchQuery:
    """The filters and order of a contract search; ``body()`` is the request USAspending gets."""

    agencies: tuple[dict, ...] = ()
    recipients: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    since: date | None = None
    until: date | None = None
    award_ids: tuple[str, ...] = ()
    award_types: tuple[str, ...] = CONTRACT_TYPES
    sort: str = "Award Amount"
    order: str = "desc"

    def filters(self) -> dict:
        f: dict[str, Any] = {"award_type_codes": list(self.award_types)}
        if self.agencies:
            f["agencies"] = [dict(a) for a in self.agencies]
        if self.recipients:
            f["recipient_search_text"] = list(self.recipients)
        if self.keywords:
            f["keywords"] = list(self.keywords)
        if self.award_ids:
            f["award_ids"] = list(self.award_ids)
        if self.since or self.until:
            f["time_period"] = [{"start_date": (self.since or EARLIEST).isoformat(),
                                 "end_date": (self.until or date.today()).isoformat()}]
        return f

    def body(self, page: int = 1, limit: int = PAGE_LIMIT) -> dict:
        return {"filters": self.filters(), "fields": list(FIELDS), "page": page, "limit": limit,
                "sort": self.sort, "order": self.order}


@dataclass
class SearchResult:
    awards: list[AwardRow]
    more: bool  # USAspending has more results than were fetched
    pages: int
    notes: list[str] = field(default_factory=list)
    capped: bool = False  # stopped at the 10,000 USAspending lists by page number

    def summary(self) -> Text:
        n = len(self.awards)
        line = f"{n} contract award{'s' if n != 1 else ''} fetched from USAspending ({self.pages} page{'s' if self.pages != 1 else ''})"
        if self.capped:
            return Text(line, "; there may be more: narrow the search or sort by amount")
        if self.more:
            return Text(line, "; more exist: raise ", Field("max_results"), " or narrow the search (",
                        Field("since"), ", ", Field("keyword"), ")")
        return Text(line)


@dataclass
class AwardDetail:
    """An award as USAspending describes it, with its transactions (modifications)."""

    generated_id: str
    award: dict
    transactions: list[dict] = field(default_factory=list)
