"""Searching USAspending: award search with paging past its 10,000-row cap, an award by number
or id, its transactions, and the search filters built from the directory's offices and vendors."""

from __future__ import annotations

import re
from datetime import date
from typing import Any, Iterable, Mapping
from urllib.parse import quote

from foia.contracts.client import USAspendingHTTP
from foia.contracts.records import (
    AWARD_PATH, CONTRACT_TYPES, CURSOR_SORTS, DEFAULT_MAX_RESULTS, EARLIEST, IDV_TYPES, MAX_TRANSACTION_PAGES,
    PAGE_LIMIT, PAGE_MODE_CAP, RESULT_WINDOW, SEARCH_PATH, SORTS, TRANSACTION_LIMIT, TRANSACTIONS_PATH, AwardDetail,
    AwardRow, SearchQuery, SearchResult,
)
from foia.contracts.values import decimal_or_none, kind_of, shorten
from foia.errors import FoiaError, NotFound, UsageError
from foia.naming import Field, Text
from foia.parse import parse_date

_GENERATED_ID = re.compile(r"^(CONT_AWD|CONT_IDV|ASST_AGG|ASST_NON)_\S+$", re.IGNORECASE)


class AmbiguousAward(FoiaError):
    """One award number, several awards on USAspending (e.g. orders under different parents)."""


# ---------------------------------------------------------------------------------------------
# Answer checks: a malformed answer is one line naming what was wrong


def _check_search_page(data: dict, what: str = "the search") -> None:
    where = f"USAspending's answer to {what}"
    if not isinstance(data.get("results"), list):
        raise FoiaError(f"{where} has no 'results' list; try again later or report it")
    meta = data.get("page_metadata")
    if not isinstance(meta, dict) or not isinstance(meta.get("hasNext"), bool):
        raise FoiaError(f"{where} has no page_metadata.hasNext; try again later or report it")
    for i, r in enumerate(data["results"], 1):
        AwardRow.from_result(r, i, what)


def _check_award(data: dict) -> None:
    where = "USAspending's answer to the award look-up"
    for key in ("total_obligation", "base_exercised_options", "base_and_all_options"):
        try:
            decimal_or_none(data.get(key))
        except ValueError:
            raise FoiaError(f"{where} has {key} {shorten(repr(data.get(key)), 60)}, not a number; "
                            "try again later or report it") from None
    for key in ("period_of_performance", "recipient", "awarding_agency", "funding_agency", "parent_award"):
        if data.get(key) is not None and not isinstance(data[key], dict):
            raise FoiaError(f"{where} has {key} as {kind_of(data[key])}, not an object; "
                            "try again later or report it")
    if not any(isinstance(data.get(k), str) for k in ("generated_unique_award_id", "piid", "fain", "uri")):
        raise FoiaError(f"{where} names no award (no generated_unique_award_id or piid); "
                        "try again later or report it")


def _check_transactions(data: dict) -> None:
    where = "USAspending's answer to the transactions look-up"
    if not isinstance(data.get("results"), list):
        raise FoiaError(f"{where} has no 'results' list; try again later or report it")
    meta = data.get("page_metadata")
    if not isinstance(meta, dict) or not isinstance(meta.get("hasNext"), bool):
        raise FoiaError(f"{where} has no page_metadata.hasNext; try again later or report it")
    for i, t in enumerate(data["results"], 1):
        if not isinstance(t, dict):
            raise FoiaError(f"{where}: result {i} is {kind_of(t)}, not an object; try again later or report it")
        try:
            decimal_or_none(t.get("federal_action_obligation"))
        except ValueError:
            raise FoiaError(f"{where}: result {i} has federal_action_obligation "
                            f"{shorten(repr(t.get('federal_action_obligation')), 60)}, not a number; "
                            "try again later or report it") from None


# ---------------------------------------------------------------------------------------------
# The endpoints


class USAspendingClient(USAspendingHTTP):
    """The USAspending endpoints foia reads: award search with paging, an award by number or
    id, and its transactions. The HTTP side (timeouts, retries, cache) is :class:`USAspendingHTTP`."""

    def search_page(self, query: SearchQuery, page: int = 1, limit: int = PAGE_LIMIT,
                    cursor: Mapping[str, Any] | None = None, what: str = "the search") -> dict:
        body = query.body(page, limit)
        if cursor:
            body.update(cursor)
        return self.request("POST", SEARCH_PATH, body, what=what,
                            check=lambda d: _check_search_page(d, what))

    def search_awards(self, query: SearchQuery, *, max_results: int = DEFAULT_MAX_RESULTS,
                      page_size: int = PAGE_LIMIT) -> SearchResult:
        """Every award matching ``query``, up to ``max_results`` (0: no cap), following pages.

        In page mode USAspending's ``hasNext`` stops at 10,000 results (its search engine caps
        the total it counts). So for the amount, award-id and recipient sorts, every page after
        the first carries ``last_record_sort_value`` and ``last_record_unique_id`` from the
        previous page's ``page_metadata``: the server then fetches limit+1 rows and ``hasNext``
        says whether there are more, past 10,000 and past the 50,000 where page numbers are
        refused. Date sorts keep page numbers; when they reach 10,000 a note says so.
        """
        if max_results < 0:
            raise UsageError(Text(Field("max_results"), " must be 0 (no cap) or more"), field="max_results")
        limit = max(1, min(page_size, PAGE_LIMIT, max_results or PAGE_LIMIT))
        by_cursor = query.sort in CURSOR_SORTS
        awards: list[AwardRow] = []
        notes: list[str] = []
        page, pages, cursor, more, capped = 1, 0, None, False, False
        while True:
            window = (page - 1) * limit >= RESULT_WINDOW
            if page > 1 and (by_cursor or window) and cursor is None:
                if window:
                    raise FoiaError(f"USAspending's page {page - 1} gave no last_record_sort_value/"
                                    "last_record_unique_id, needed past 50,000 results; narrow the search")
                by_cursor = False  # no cursor given: page numbers still work below 50,000
            data = self.search_page(query, page, limit, cursor if page > 1 and (by_cursor or window) else None)
            pages += 1
            rows = [AwardRow.from_result(r, i) for i, r in enumerate(data["results"], 1)]
            awards.extend(rows)
            meta = data["page_metadata"]
            has_next = meta["hasNext"]
            if max_results and len(awards) >= max_results:
                more = has_next or len(awards) > max_results
                del awards[max_results:]
                break
            if not has_next or not rows:
                if not by_cursor and len(awards) >= PAGE_MODE_CAP:
                    more = capped = True
                    notes.append(Text(f"USAspending lists at most {PAGE_MODE_CAP:,} awards by page when sorted "
                                      "by date, and there may be more; narrow the search (", Field("since"), "/",
                                      Field("until"), ", ", Field("keyword"), ", ", Field("agency"), ") or sort by "
                                      "amount, award-id or recipient to get them all"))
                break
            cursor = _cursor(meta)
            page += 1
        if not awards and query.agencies:
            names = "; ".join(f"{a.get('name')!r}" + (f" ({a['toptier_name']})" if a.get("toptier_name") else "")
                              for a in query.agencies)
            notes.append(f"no awards by {names}: agency names must match USAspending's spelling exactly "
                         "(check the `usaspending` record in your directory override)")
        return SearchResult(awards, more, pages, notes, capped)

    def find_awards(self, award_number: str) -> list[AwardRow]:
        """Awards whose PIID is exactly ``award_number``: contracts first, then IDVs."""
        # USAspending's ids are upper case and its match is case-sensitive. Unquoted, the id is a
        # whole-value regexp on display_award_id (already exact); quoted, the server sends its
        # search engine a query it rejects and answers an empty HTTP 503 (see the module notes).
        piid = award_number.strip().upper()
        for types in (CONTRACT_TYPES, IDV_TYPES):
            query = SearchQuery(award_ids=(piid,), award_types=types)
            data = self.search_page(query, 1, PAGE_LIMIT, what="the award number search")
            rows = [AwardRow.from_result(r, i, "the award number search")
                    for i, r in enumerate(data["results"], 1)]
            exact = [r for r in rows if (r.award_id or "").strip().upper() == piid and r.generated_internal_id]
            if exact:
                return exact
        return []

    def resolve_award(self, award: str, *, sub_agency: str | None = None) -> str:
        """The generated id (CONT_AWD_...) of ``award``, given as that id or as an award number."""
        award = (award or "").strip()
        if not award:
            raise UsageError("give an award number (PIID) or a USAspending id such as CONT_AWD_...")
        if _GENERATED_ID.match(award):
            return award.upper()  # the server's ids are upper case and its look-up case-sensitive
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", award):
            raise UsageError(f"award {award!r} is not an award number (letters, digits, dashes) "
                             "or a USAspending id such as CONT_AWD_...")
        rows = self.find_awards(award)
        if sub_agency:
            ours = [r for r in rows if (r.awarding_sub_agency or "").casefold() == sub_agency.casefold()]
            rows = ours or rows
        ids = list(dict.fromkeys(r.generated_internal_id for r in rows))
        if not ids:
            raise NotFound(f"no contract with award number {award!r} on USAspending; check the number "
                           "or find it with `foia contracts search`")
        if len(ids) > 1:
            raise AmbiguousAward(f"award number {award!r} matches {len(ids)} awards on USAspending: "
                            f"{', '.join(ids)}; pass one of these ids instead")
        return ids[0]

    def award(self, generated_id: str) -> dict:
        return self.request("GET", AWARD_PATH.format(quote(generated_id, safe="")), None,
                            what="the award look-up", not_found=f"no award {generated_id!r}",
                            check=_check_award)

    def transactions(self, generated_id: str) -> list[dict]:
        """Every transaction (base award and modifications), oldest first.

        The server pages by offset ordered by action date alone, so a transaction on a page edge
        can come twice; it is kept once (by its ``id``).
        """
        out: list[dict] = []
        seen: set = set()
        for page in range(1, MAX_TRANSACTION_PAGES + 1):
            body = {"award_id": generated_id, "page": page, "limit": TRANSACTION_LIMIT,
                    "sort": "action_date", "order": "asc"}
            data = self.request("POST", TRANSACTIONS_PATH, body, what="the transactions look-up",
                                not_found=f"no transactions for award {generated_id!r}",
                                check=_check_transactions)
            for t in data["results"]:
                tid = t.get("id")
                if tid is not None and not isinstance(tid, (dict, list)):
                    if tid in seen:
                        continue
                    seen.add(tid)
                out.append(t)
            if not data["page_metadata"]["hasNext"] or not data["results"]:
                break
        return out

    def award_detail(self, award: str, *, sub_agency: str | None = None,
                     with_transactions: bool = True) -> AwardDetail:
        """An award (by id or award number) with its modifications."""
        gid = self.resolve_award(award, sub_agency=sub_agency)
        data = self.award(gid)
        gid = data.get("generated_unique_award_id") or gid
        return AwardDetail(gid, data, self.transactions(gid) if with_transactions else [])


def _cursor(meta: dict) -> dict | None:
    value, uid = meta.get("last_record_sort_value"), meta.get("last_record_unique_id")
    if uid is None or isinstance(uid, bool) or not isinstance(uid, int) or value is None or value == "None":
        return None
    return {"last_record_sort_value": str(value), "last_record_unique_id": uid}


# ---------------------------------------------------------------------------------------------
# From the directory to search filters


def agency_filter(directory, key: str) -> tuple[dict, str]:
    """The awarding-agency filter for a directory office, and a line saying what is searched.

    HSI and ERO carry no USAspending record of their own: they inherit ICE's sub-agency. Other
    DHS components inherit only DHS's toptier, so the search widens to all of DHS (said so).
    """
    agency = directory.agency(key)
    record, source = directory.inherited(agency, "usaspending")
    if record is None:
        raise FoiaError(Text(f"no USAspending agency on file for {agency.abbreviation} or its parents; "
                             "search without ", Field("agency"), " or add `usaspending` to your directory override"),
                        field="agency")
    unverified = "" if record.verified else " [unverified mapping]"
    if record.subtier_name:
        f = {"type": "awarding", "tier": "subtier", "name": record.subtier_name,
             "toptier_name": record.toptier_name}
        if source is agency:
            note = f"agency {agency.abbreviation}: searching awards by {record.subtier_name} ({record.toptier_name}){unverified}"
        else:
            note = (f"no USAspending sub-agency on file for {agency.abbreviation}; searching "
                    f"{record.subtier_name}, which it belongs to{unverified}")
        return f, note
    f = {"type": "awarding", "tier": "toptier", "name": record.toptier_name}
    if source is agency:
        note = f"agency {agency.abbreviation}: searching awards by all of {record.toptier_name}{unverified}"
    else:
        note = f"no USAspending sub-agency on file for {agency.abbreviation}; searching all of {record.toptier_name}{unverified}"
    return f, note


def vendor_names(directory, key: str) -> tuple[tuple[str, ...], str | None]:
    """Recipient names for a vendor: a directory vendor's usaspending_names, else the text."""
    try:
        vendor = directory.vendor(key) if directory is not None else None
    except NotFound:
        vendor = None
    if vendor is None:
        return (key.strip(),), None
    names = vendor.usaspending_names or (vendor.name,)
    return tuple(names), f"vendor {vendor.id}: searching recipient names {', '.join(names)}"


def build_search(directory, *, vendors: Iterable[str] = (), agencies: Iterable[str] = (),
                 keywords: Iterable[str] = (), since: str | date | None = None,
                 until: str | date | None = None, sort: str = "amount", order: str = "desc",
                 award_ids: Iterable[str] = (), today: date | None = None) -> tuple[SearchQuery, list[str]]:
    """A :class:`SearchQuery` from the command line's words, with notes for the user."""
    notes: list[str] = []
    recipients: list[str] = []
    for v in vendors:
        if not v or not v.strip():
            raise UsageError(Text(Field("vendor"), " is empty; give a vendor id (e.g. palantir) or a recipient name"),
                             field="vendor")
        names, note = vendor_names(directory, v)
        recipients += [n for n in names if n not in recipients]
        if note:
            notes.append(note)
    filters: list[dict] = []
    for a in agencies:
        f, note = agency_filter(directory, a)
        if f not in filters:
            filters.append(f)
            notes.append(note)
    words = []
    for k in keywords:
        k = " ".join((k or "").split())
        if len(k) < 3:
            raise UsageError(Text(Field("keyword"), f" {k!r} is too short: USAspending needs at least 3 characters"),
                             field="keyword")
        if k not in words:
            words.append(k)
    start, end = parse_date(since, "since"), parse_date(until, "until")
    for d, name in ((start, "since"), (end, "until")):
        if d is not None and d < EARLIEST:
            raise UsageError(Text(Field(name), f" {d.isoformat()} is before {EARLIEST.isoformat()}, the earliest "
                                  "date USAspending's search accepts; use ", Field(name),
                                  f" {EARLIEST.isoformat()} or later"), field=name)
    if start and end and end < start:
        raise UsageError(Text(Field("until"), f" {end.isoformat()} is before ", Field("since"),
                              f" {start.isoformat()}; swap them"), field="until")
    if start and not end:
        end = today or date.today()
    if sort not in SORTS:
        raise UsageError(Text(Field("sort"), f" {sort!r} is not one of {', '.join(SORTS)}"), field="sort")
    if order not in ("asc", "desc"):
        raise UsageError(Text(Field("order"), f" {order!r} is not asc or desc"), field="order")
    ids = tuple(i.strip() for i in award_ids if i and i.strip())
    if not (recipients or filters or words or ids):
        raise UsageError(Text("give ", Field("vendor"), ", ", Field("agency"), " or ", Field("keyword"),
                              " to narrow the search"))
    query = SearchQuery(tuple(filters), tuple(recipients), tuple(words), start, end, ids,
                        sort=SORTS[sort], order=order)
    return query, notes


def sub_agency_of(directory, agency_id: str) -> str | None:
    """The USAspending sub-agency name of a directory office (or of the office it belongs to)."""
    try:
        record, _ = directory.inherited(directory.agency(agency_id), "usaspending")
    except NotFound:
        return None
    return record.subtier_name if record else None
