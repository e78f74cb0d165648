"""Contract look-ups on USAspending: search awards, read one award and its modifications,
check the directory's contract claims, and fill a contract letter from an award.

Everything goes through one :class:`USAspendingClient` (httpx): timeouts, retries with backoff
on timeouts, 429 and 5xx (honouring ``Retry-After``), a one-line :class:`FoiaError` for every
refusal or malformed answer, and an on-disk :class:`Cache` with a time-to-live. The base URL is
configurable (``base_url`` / ``FOIA_USASPENDING_URL``) and the transport can be replaced, so
tests never touch the internet.

Request and response shapes follow shared/reference/government-apis.md, section 1. What the
reference file does not say comes from USAspending's API contracts and server source
(fedspendingtransparency/usaspending-api, usaspending_api/api_contracts/contracts/v2/ and
usaspending_api/search/v2/views/spending_by_award.py, read at commit 13a1ee0f, 2026-05-20):

* the ``award_ids`` filter. The contract says a quoted id asks for an exact match, but the server
  turns a quoted id into a search its engine rejects (an empty HTTP 503), so award numbers are
  sent unquoted and upper-cased: unquoted, the server matches a whole-value regexp on the keyword
  field ``display_award_id``, which is already exact and case-sensitive;
* the IDV award type group, used when an award number is a parent contract (an IDV such as a GSA
  schedule) rather than an award;
* paging: in page mode ``hasNext`` comes from a total the search engine caps at 10,000; with
  ``last_record_sort_value`` and ``last_record_unique_id`` the server fetches limit+1 rows and
  ``hasNext`` stays true past 10,000 (see :meth:`USAspendingClient.search_awards`);
* transactions page by offset with no tie-break (see :meth:`USAspendingClient.transactions`).

The package, one concern a module:

* ``client``: HTTP (httpx), the per-request deadline, retries, same-origin redirects, the cache;
* ``search``: award search and paging, award look-ups and transactions, filters from the directory;
* ``award``: an award for the contract letter and ``foia contracts show``;
* ``claims``: the directory's contract claims checked against USAspending;
* ``records`` (the API's paths, limits and record types) and ``values`` (durations, money).

Messages name fields (``until``, ``base_url``) as :class:`foia.naming.Field` parts; the command line
shows them as its options (``--until``), see :func:`foia.naming.as_flags`.
"""

from __future__ import annotations

from foia.contracts.award import award_text, award_to_letter_fields, letter_fields_for_award
from foia.contracts.claims import (
    ABOUT_TOLERANCE, AMOUNT_TOLERANCE, CheckReport, ClaimCheck, ContractCheck, Finding, check_vendor_claims,
    compare_amount, compare_dates,
)
from foia.contracts.client import Cache, UnsafeRedirect, USAspendingHTTP, make_client
from foia.contracts.records import (
    AWARD_PATH, CONTRACT_TYPES, CURSOR_SORTS, DEFAULT_BASE_URL, DEFAULT_MAX_RESULTS, DEFAULT_TTL, EARLIEST, FIELDS,
    IDV_TYPES, MAX_BODY_BYTES, MAX_RETRY_AFTER, MAX_TRANSACTION_PAGES, PAGE_LIMIT, PAGE_MODE_CAP, RESULT_WINDOW,
    RETRY_STATUSES, SEARCH_PATH, SORTS, TRANSACTION_LIMIT, TRANSACTIONS_PATH, AwardDetail, AwardRow, SearchQuery,
    SearchResult,
)
from foia.contracts.search import AmbiguousAward, USAspendingClient, agency_filter, build_search, vendor_names
from foia.contracts.values import money, parse_duration

__all__ = [
    "ABOUT_TOLERANCE", "AMOUNT_TOLERANCE", "AWARD_PATH", "CONTRACT_TYPES", "CURSOR_SORTS", "DEFAULT_BASE_URL",
    "DEFAULT_MAX_RESULTS", "DEFAULT_TTL", "EARLIEST", "FIELDS", "IDV_TYPES", "MAX_BODY_BYTES", "MAX_RETRY_AFTER",
    "MAX_TRANSACTION_PAGES", "PAGE_LIMIT", "PAGE_MODE_CAP", "RESULT_WINDOW", "RETRY_STATUSES", "SEARCH_PATH",
    "SORTS", "TRANSACTION_LIMIT", "TRANSACTIONS_PATH", "AmbiguousAward", "AwardDetail", "AwardRow", "Cache",
    "CheckReport", "ClaimCheck", "ContractCheck", "Finding", "SearchQuery", "SearchResult", "USAspendingClient",
    "USAspendingHTTP", "UnsafeRedirect", "agency_filter", "award_text", "award_to_letter_fields", "build_search",
    "check_vendor_claims", "compare_amount", "compare_dates", "letter_fields_for_award", "make_client", "money",
    "parse_duration", "vendor_names",
]
