"""Contract look-ups on USAspending: search awards, read one award and its modifications,
check the directory's contract claims, and fill a contract letter from an award.

Everything goes through one :class:`USAspendingClient` (httpx): timeouts, retries with backoff
on timeouts, 429 and 5xx (honouring ``Retry-After``), a one-line :class:`FoiaError` for every
refusal or malformed answer, and an on-disk :class:`Cache` with a time-to-live. The base URL is
configurable (``--base-url`` / ``FOIA_USASPENDING_URL``) and the transport can be replaced, so
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
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import date, timezone
from decimal import Decimal, InvalidOperation
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping
from urllib.parse import quote

from foia.errors import FoiaError, NotFound, UsageError

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

_GENERATED_ID = re.compile(r"^(CONT_AWD|CONT_IDV|ASST_AGG|ASST_NON)_\S+$", re.IGNORECASE)
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class AmbiguousAward(FoiaError):
    """One award number, several awards on USAspending (e.g. orders under different parents)."""


class UnsafeRedirect(FoiaError):
    """USAspending (or what answers at --base-url) redirected to another origin."""


# ---------------------------------------------------------------------------------------------
# Small parsers shared by the library and the CLI


def parse_duration(text: str | float | int, option: str = "--cache-ttl") -> float:
    """Seconds from ``3600``, ``90s``, ``30m``, ``24h`` or ``7d``."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        if text < 0 or not math.isfinite(text):
            raise UsageError(f"{option} {text!r} must be 0 or more")
        return float(text)
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", str(text or ""), re.IGNORECASE)
    if not m:
        raise UsageError(f"{option} {text!r} is not a duration; use seconds or e.g. 30m, 24h, 7d")
    scale = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2).lower()]
    return float(m.group(1)) * scale


def parse_day(text: str | date | None, option: str) -> date | None:
    """A YYYY-MM-DD date from an option, or a one-line error naming the option."""
    if text is None or isinstance(text, date):
        return text
    try:
        if not _DAY.match(text.strip()):
            raise ValueError
        return date.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"{option} {text!r} is not a date; use YYYY-MM-DD, e.g. 2014-01-01") from None


def money(amount: Decimal | None) -> str:
    """``$1,234.50`` (empty for an unknown amount)."""
    if amount is None:
        return ""
    sign = "-" if amount < 0 else ""
    return f"{sign}${abs(amount):,.2f}"


def _decimal(value: Any) -> Decimal | None:
    """A finite Decimal from a JSON number or numeric text; None for null; ValueError otherwise."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError
    try:
        out = Decimal(str(value).strip() if isinstance(value, str) else repr(value))
    except InvalidOperation:
        raise ValueError from None
    if not out.is_finite():
        raise ValueError
    return out


def _shorten(text: str, width: int = 160) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: width - 3] + "..."


# ---------------------------------------------------------------------------------------------
# Cache


class Cache:
    """USAspending answers as JSON files under ``cache_dir()/usaspending``, one per request.

    A file is keyed by a hash of method, URL and body; it is fresh for ``ttl`` seconds.
    ``refresh`` skips reading but still writes (``--refresh``). A file that cannot be read or
    parsed is treated as missing and replaced. The answers are public spending data, so the
    files are world-readable (0644).
    """

    def __init__(self, directory: Path | str | None = None, ttl: float = DEFAULT_TTL, *,
                 refresh: bool = False, clock: Callable[[], float] = time.time):
        if directory is None:
            from foia.paths import cache_dir

            directory = cache_dir() / "usaspending"
        self.directory = Path(directory)
        self.ttl = float(ttl)
        self.refresh = refresh
        self.clock = clock

    @staticmethod
    def key(method: str, url: str, body: Any) -> str:
        canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
        return hashlib.sha256(f"{method.upper()}\n{url}\n{canonical}".encode()).hexdigest()

    def path(self, method: str, url: str, body: Any) -> Path:
        return self.directory / f"{self.key(method, url, body)}.json"

    def get(self, method: str, url: str, body: Any) -> dict | None:
        if self.refresh or self.ttl <= 0:
            return None
        try:
            entry = json.loads(self.path(method, url, body).read_text(encoding="utf-8"))
            stored = float(entry["stored_at"])
            response = entry["response"]
        except (OSError, ValueError, KeyError, TypeError, RecursionError):
            return None  # missing or corrupt: fetch again and overwrite
        age = self.clock() - stored
        if not isinstance(response, dict) or age < 0 or age > self.ttl:
            return None
        return response

    def put(self, method: str, url: str, body: Any, response: dict) -> None:
        from foia.files import atomic_write

        entry = {"stored_at": self.clock(), "method": method.upper(), "url": url, "body": body,
                 "response": response}
        try:
            atomic_write(self.path(method, url, body), json.dumps(entry, ensure_ascii=False), mode=0o644)
        except (FoiaError, OSError):
            pass  # a cache that cannot be written only costs a later request, never the answer


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
            raise FoiaError(f"{where} is {_kind(r)}, not an object; try again later or report it")
        try:
            amount = _decimal(r.get("Award Amount"))
        except ValueError:
            raise FoiaError(f"{where} has Award Amount {_shorten(repr(r.get('Award Amount')), 60)}, "
                            "not a number; try again later or report it") from None
        text = {}
        for key in ("Award ID", "Recipient Name", "Start Date", "End Date", "Awarding Agency",
                    "Awarding Sub Agency", "Description", "generated_internal_id"):
            v = r.get(key)
            if v is not None and (isinstance(v, (bool, dict, list))):
                raise FoiaError(f"{where} has {key} {_shorten(repr(v), 60)}, not text; "
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

    def summary(self) -> str:
        n = len(self.awards)
        line = f"{n} contract award{'s' if n != 1 else ''} fetched from USAspending ({self.pages} page{'s' if self.pages != 1 else ''})"
        if self.capped:
            line += "; there may be more: narrow the search or sort by amount"
        elif self.more:
            line += "; more exist: raise --max-results or narrow the search (--since, --keyword)"
        return line


@dataclass
class AwardDetail:
    """An award as USAspending describes it, with its transactions (modifications)."""

    generated_id: str
    award: dict
    transactions: list[dict] = field(default_factory=list)


def _kind(v: Any) -> str:
    if isinstance(v, dict):
        return "an object"
    if isinstance(v, list):
        return "a list"
    if v is None:
        return "null"
    if isinstance(v, str):
        return "text"
    return "a number" if isinstance(v, (int, float)) and not isinstance(v, bool) else type(v).__name__


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
            _decimal(data.get(key))
        except ValueError:
            raise FoiaError(f"{where} has {key} {_shorten(repr(data.get(key)), 60)}, not a number; "
                            "try again later or report it") from None
    for key in ("period_of_performance", "recipient", "awarding_agency", "funding_agency", "parent_award"):
        if data.get(key) is not None and not isinstance(data[key], dict):
            raise FoiaError(f"{where} has {key} as {_kind(data[key])}, not an object; "
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
            raise FoiaError(f"{where}: result {i} is {_kind(t)}, not an object; try again later or report it")
        try:
            _decimal(t.get("federal_action_obligation"))
        except ValueError:
            raise FoiaError(f"{where}: result {i} has federal_action_obligation "
                            f"{_shorten(repr(t.get('federal_action_obligation')), 60)}, not a number; "
                            "try again later or report it") from None


# ---------------------------------------------------------------------------------------------
# The client


class USAspendingClient:
    """One httpx client for USAspending with retries, refusals as one line, and a cache.

    ``retries`` is the number of extra tries after the first (3 -> 4 tries). Backoff doubles
    from ``backoff`` seconds up to ``max_backoff``; a ``Retry-After`` header (seconds or an
    HTTP date) on 429/503 wins, and one over ``max_retry_after`` is refused at once. Each wait
    is announced through ``notify`` (the CLI prints it on stderr). No jitter: this is one
    person's command line, not a fleet of clients retrying in step.

    ``timeout`` bounds each request as a whole (connecting, sending, the headers and the whole
    body), not only each network read: a server sending one byte a second is cut off.
    Redirects are followed only within the base URL's origin (same scheme, host and port).
    """

    def __init__(self, base_url: str | None = None, transport=None, timeout: float = 30.0,
                 retries: int = 3, backoff: float = 1.0, cache: Cache | None = None,
                 sleep: Callable[[float], Any] | None = None, *, max_backoff: float = 30.0,
                 max_retry_after: float = MAX_RETRY_AFTER, max_bytes: int = MAX_BODY_BYTES,
                 clock: Callable[[], float] = time.time, notify: Callable[[str], Any] | None = None):
        import httpx

        from foia import __version__

        url = (base_url or os.environ.get("FOIA_USASPENDING_URL") or DEFAULT_BASE_URL).strip().rstrip("/")
        if not re.match(r"^https?://[^\s/]+", url):
            raise UsageError(f"--base-url {url!r} is not an http(s) URL; e.g. {DEFAULT_BASE_URL}")
        self.base_url = url
        self.timeout = float(timeout)
        self.retries = max(0, int(retries))
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.max_retry_after = max_retry_after
        self.max_bytes = max_bytes
        self.cache = cache
        self.sleep = sleep if sleep is not None else time.sleep
        self.clock = clock
        self.notify = notify
        self._deadline = _Deadline()
        if transport is None:
            transport = _deadline_transport(self._deadline)
        self._origin = httpx.URL(url)
        self._http = httpx.Client(
            transport=transport, timeout=httpx.Timeout(timeout), follow_redirects=True,
            headers={"User-Agent": f"foia/{__version__} (FOIA request toolkit)", "Accept": "application/json"},
            event_hooks={"request": [self._same_origin]},
        )

    def _same_origin(self, request) -> None:
        # httpx calls request hooks for every redirect it follows: refuse a hop to another
        # host, port or scheme (https -> http would send the rest in clear text).
        u, o = request.url, self._origin
        if (u.scheme, u.host, u.port) != (o.scheme, o.host, o.port):
            raise UnsafeRedirect(f"USAspending at {self.base_url} redirected to {_shorten(str(u), 120)}, "
                                 f"outside {o.scheme}://{o.netloc.decode('ascii', 'replace')}; foia follows "
                                 "redirects only within the same scheme, host and port; check --base-url")

    # -- lifecycle -------------------------------------------------------------------------
    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "USAspendingClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- the core request ------------------------------------------------------------------
    def request(self, method: str, path: str, body: dict | None = None, *, what: str = "the request",
                not_found: str | None = None, check: Callable[[dict], None] | None = None) -> dict:
        """One JSON object from USAspending (from the cache when fresh)."""
        url = self.base_url + path
        if self.cache is not None:
            hit = self.cache.get(method, url, body)
            if hit is not None:
                try:
                    if check:
                        check(hit)
                    return hit
                except FoiaError:
                    pass  # a cached answer that no longer passes the checks: fetch it again
        data = self._fetch(method, url, body, what, not_found)
        if check:
            check(data)
        if self.cache is not None:
            self.cache.put(method, url, body, data)
        return data

    def _fetch(self, method: str, url: str, body: dict | None, what: str, not_found: str | None) -> dict:
        import httpx

        tries = self.retries + 1
        last = ""
        for attempt in range(tries):
            delay = None
            try:
                status, headers, raw = self._send(method, url, body, what)
            except httpx.TimeoutException:
                last = f"timed out after {self.timeout:g} s"
            except (httpx.NetworkError, httpx.RemoteProtocolError) as exc:
                host = _unresolved_host(exc, url)
                if host:  # a name that does not resolve will not resolve in a few seconds either
                    raise FoiaError(f"cannot reach USAspending: the name {host} does not resolve (offline?); "
                                    "`foia vendors show VENDOR` shows the directory's contracts offline") from None
                last = f"could not connect: {_shorten(exc, 80) or type(exc).__name__}"
            except httpx.HTTPError as exc:  # a bad URL or protocol: retrying will not help
                raise FoiaError(f"cannot reach USAspending at {self.base_url}: {_shorten(exc, 120)}; "
                                "check --base-url") from None
            else:
                if status not in RETRY_STATUSES:
                    return self._decode(status, raw, what, not_found)
                last = f"HTTP {status}"
                if status in (429, 503):
                    delay = self._retry_after(headers.get("retry-after"))
                    if delay is not None and delay > self.max_retry_after:
                        raise FoiaError(f"USAspending answered {what} with HTTP {status} and asks to wait "
                                        f"{_seconds(delay)} before trying again, longer than foia waits "
                                        f"({_seconds(self.max_retry_after)}); try again later")
            if attempt + 1 < tries:
                wait = delay if delay is not None else min(self.backoff * 2 ** attempt, self.max_backoff)
                if self.notify is not None and wait > 0:
                    asked = " (its Retry-After)" if delay is not None else ""
                    self.notify(f"USAspending: {last} on try {attempt + 1} of {tries}; "
                                f"waiting {_seconds(wait)}{asked} before trying {what} again")
                self.sleep(wait)
        raise FoiaError(f"USAspending did not answer after {tries} tr{'ies' if tries != 1 else 'y'} ({last}); "
                        "try again later or use --base-url")

    def _send(self, method: str, url: str, body: dict | None, what: str):
        """Status, headers and body bytes, read in chunks so a huge answer is refused early.

        The whole exchange must end within ``timeout`` seconds: the transport caps each network
        read by the time left (headers included), and the body loop checks it between chunks.
        """
        kwargs = {"json": body} if body is not None else {}
        deadline = time.monotonic() + self.timeout
        self._deadline.at = deadline
        try:
            return self._read(method, url, kwargs, what, deadline)
        finally:
            self._deadline.at = None

    def _read(self, method: str, url: str, kwargs: dict, what: str, deadline: float):
        import httpx

        with self._http.stream(method, url, **kwargs) as resp:
            limit_mb = self.max_bytes // (1024 * 1024) or 1
            too_big = FoiaError(f"USAspending's answer to {what} is larger than {limit_mb} MB; "
                                "narrow the search (--since, --keyword, --max-results)")
            declared = resp.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > self.max_bytes:
                raise too_big
            chunks, size = [], 0
            for chunk in resp.iter_bytes():
                size += len(chunk)
                if size > self.max_bytes:
                    raise too_big
                chunks.append(chunk)
                if time.monotonic() > deadline:
                    raise httpx.ReadTimeout("the answer took longer than the timeout")
            return resp.status_code, resp.headers, b"".join(chunks)

    def _retry_after(self, value: str | None) -> float | None:
        if not value:
            return None
        value = value.strip()
        if re.fullmatch(r"\d+(\.\d+)?", value):
            seconds = float(value)
        else:
            try:
                when = parsedate_to_datetime(value)
            except (TypeError, ValueError, IndexError):
                return None
            if when is None:
                return None
            if when.tzinfo is None:
                when = when.replace(tzinfo=timezone.utc)
            seconds = when.timestamp() - self.clock()
        return max(seconds, 0.0)

    def _decode(self, status: int, raw: bytes, what: str, not_found: str | None) -> dict:
        if 200 <= status < 300:
            if not raw.strip():
                raise FoiaError(f"USAspending sent an empty answer to {what} (HTTP {status}); try again later")
            try:
                data = json.loads(raw.decode("utf-8"), parse_constant=_no_constants)
            except RecursionError:
                raise FoiaError(f"USAspending's answer to {what} is nested too deeply to read (HTTP {status}); "
                                "try again later or check --base-url") from None
            except (UnicodeDecodeError, ValueError):
                snippet = _shorten(raw[:200].decode("utf-8", "replace"), 60)
                raise FoiaError(f"USAspending's answer to {what} is not JSON (HTTP {status}): {snippet!r}; "
                                "try again later or check --base-url") from None
            if not isinstance(data, dict):
                raise FoiaError(f"USAspending's answer to {what} is {_kind(data)}, not a JSON object; "
                                "try again later or check --base-url")
            return data
        message = _error_message(raw)
        latest = _end_date_maximum(message) if status in (400, 422) else None
        if latest:
            raise FoiaError(f"USAspending refused {what} (HTTP {status}): {message}; its searches end on "
                            f"{latest} at the latest: give --until {latest} or earlier")
        if status == 404 and not_found:
            raise NotFound(f"{not_found} on USAspending (HTTP 404): {message}")
        if 400 <= status < 500:
            hint = "; check --base-url" if status == 404 else ""
            raise FoiaError(f"USAspending refused {what} (HTTP {status}): {message}{hint}")
        raise FoiaError(f"USAspending failed {what} (HTTP {status}): {message}; try again later")

    # -- endpoints -------------------------------------------------------------------------
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
            raise UsageError("--max-results must be 0 (no cap) or more")
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
                    notes.append(f"USAspending lists at most {PAGE_MODE_CAP:,} awards by page when sorted by "
                                 "date, and there may be more; narrow the search (--since/--until, --keyword, "
                                 "--agency) or sort by amount, award-id or recipient to get them all")
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


class _Deadline(threading.local):
    """When the request under way must end (time.monotonic()), or None between requests; one
    per thread, as a client may serve several threads (each request runs in one)."""

    at: float | None = None

    def left(self, timeout: float | None) -> float | None:
        if self.at is None:
            return timeout
        remaining = self.at - time.monotonic()
        if remaining <= 0:
            import httpcore

            raise httpcore.ReadTimeout("the answer took longer than the timeout")
        return remaining if timeout is None else min(timeout, remaining)


def _deadline_transport(deadline: _Deadline):
    """httpx's own transport over a network backend whose reads, writes and connects get at most
    the time left before ``deadline``. httpx has no overall timeout (its read timeout restarts at
    every byte), so this is where a whole request gets one; httpx maps the timeout to its own."""
    import httpcore
    import httpx

    class Stream(httpcore.NetworkStream):
        def __init__(self, inner):
            self.inner = inner

        def read(self, max_bytes, timeout=None):
            return self.inner.read(max_bytes, deadline.left(timeout))

        def write(self, buffer, timeout=None):
            self.inner.write(buffer, deadline.left(timeout))

        def close(self):
            self.inner.close()

        def start_tls(self, ssl_context, server_hostname=None, timeout=None):
            return Stream(self.inner.start_tls(ssl_context, server_hostname, deadline.left(timeout)))

        def get_extra_info(self, info):
            return self.inner.get_extra_info(info)

    class Backend(httpcore.NetworkBackend):
        def __init__(self):
            self.inner = httpcore.SyncBackend()

        def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
            return Stream(self.inner.connect_tcp(host, port, deadline.left(timeout), local_address, socket_options))

        def connect_unix_socket(self, path, timeout=None, socket_options=None):
            return Stream(self.inner.connect_unix_socket(path, deadline.left(timeout), socket_options))

        def sleep(self, seconds):
            self.inner.sleep(seconds)

    transport = httpx.HTTPTransport()
    # HTTPTransport takes no network backend, so its pool is rebuilt with the same defaults.
    transport._pool = httpcore.ConnectionPool(ssl_context=httpx.create_ssl_context(), network_backend=Backend())
    return transport


def _unresolved_host(exc: BaseException, url: str) -> str | None:
    """The host name if ``exc`` is a failed DNS look-up (socket.gaierror), else None."""
    import socket
    from urllib.parse import urlsplit

    seen = 0
    e: BaseException | None = exc
    while e is not None and seen < 10:
        if isinstance(e, socket.gaierror):
            return urlsplit(url).hostname or url
        e, seen = e.__cause__ or e.__context__, seen + 1
    return None


def _seconds(value: float) -> str:
    return f"{value:.0f} s" if value >= 10 else f"{value:g} s"


_END_DATE_MAX = re.compile(r"end_date\b.*?(?:above max|later than|after|maximum)\D*?(\d{4}-\d{2}-\d{2})",
                           re.IGNORECASE | re.DOTALL)


def _end_date_maximum(message: str) -> str | None:
    """The latest end date USAspending accepts, when its refusal names it (never hard-coded:
    it is the server's API_MAX_DATE, the end of a fiscal year, and moves every year)."""
    m = _END_DATE_MAX.search(message or "")
    return m.group(1) if m else None


def _no_constants(name: str):
    raise ValueError(f"{name} is not a number")


def _cursor(meta: dict) -> dict | None:
    value, uid = meta.get("last_record_sort_value"), meta.get("last_record_unique_id")
    if uid is None or isinstance(uid, bool) or not isinstance(uid, int) or value is None or value == "None":
        return None
    return {"last_record_sort_value": str(value), "last_record_unique_id": uid}


def _error_message(raw: bytes) -> str:
    """USAspending's own words: ``detail``, or ``message`` (the 422 for mixed award types)."""
    text = raw.decode("utf-8", "replace").strip()
    if not text:
        return "no message"
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return _shorten(text, 200)
    if isinstance(data, dict):
        for key in ("detail", "message"):
            if key in data and data[key] not in (None, ""):
                v = data[key]
                return _shorten(v if isinstance(v, str) else json.dumps(v), 300)
    return _shorten(text, 200)


def make_client(base_url: str | None = None, *, cache_ttl: str | float | None = None,
                refresh: bool = False, no_cache: bool = False, timeout: float = 30.0,
                transport=None, sleep: Callable[[float], Any] | None = None,
                notify: Callable[[str], Any] | None = None) -> USAspendingClient:
    """The client the CLI uses: base URL from the option or FOIA_USASPENDING_URL; cache TTL from
    the option or FOIA_CACHE_TTL (default 24h); ``--refresh`` rewrites, ``--no-cache`` skips;
    waits before a retry are said on stderr unless ``notify`` is given."""
    cache = None
    if not no_cache:
        ttl_text = cache_ttl if cache_ttl is not None else os.environ.get("FOIA_CACHE_TTL")
        option = "--cache-ttl" if cache_ttl is not None else "FOIA_CACHE_TTL"
        ttl = parse_duration(ttl_text, option) if ttl_text not in (None, "") else DEFAULT_TTL
        cache = Cache(ttl=ttl, refresh=refresh)
    if timeout is None or timeout <= 0:
        raise UsageError("--timeout must be more than 0 seconds")
    return USAspendingClient(base_url, transport=transport, timeout=timeout, cache=cache, sleep=sleep,
                             notify=notify if notify is not None else _to_stderr)


def _to_stderr(line: str) -> None:
    # Waits are said on stderr so that --json and --csv output on stdout stays clean.
    import sys

    print(line, file=sys.stderr, flush=True)


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
        raise FoiaError(f"no USAspending agency on file for {agency.abbreviation} or its parents; "
                        "search without --agency or add `usaspending` to your directory override")
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
    """Recipient names for ``--vendor``: a directory vendor's usaspending_names, else the text."""
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
            raise UsageError("--vendor is empty; give a vendor id (e.g. palantir) or a recipient name")
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
            raise UsageError(f"--keyword {k!r} is too short: USAspending needs at least 3 characters")
        if k not in words:
            words.append(k)
    start, end = parse_day(since, "--since"), parse_day(until, "--until")
    for d, option in ((start, "--since"), (end, "--until")):
        if d is not None and d < EARLIEST:
            raise UsageError(f"{option} {d.isoformat()} is before {EARLIEST.isoformat()}, the earliest "
                             f"date USAspending's search accepts; use {option} {EARLIEST.isoformat()} or later")
    if start and end and end < start:
        raise UsageError(f"--until {end.isoformat()} is before --since {start.isoformat()}; swap them")
    if start and not end:
        end = today or date.today()
    if sort not in SORTS:
        raise UsageError(f"--sort {sort!r} is not one of {', '.join(SORTS)}")
    if order not in ("asc", "desc"):
        raise UsageError(f"--order {order!r} is not asc or desc")
    ids = tuple(i.strip() for i in award_ids if i and i.strip())
    if not (recipients or filters or words or ids):
        raise UsageError("give --vendor, --agency or --keyword to narrow the search")
    query = SearchQuery(tuple(filters), tuple(recipients), tuple(words), start, end, ids,
                        sort=SORTS[sort], order=order)
    return query, notes


# ---------------------------------------------------------------------------------------------
# An award for people and letters


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
            "federal_action_obligation": _decimal(t.get("federal_action_obligation")),
            "description": t.get("description"),
        })
    return {
        "piid": a.get("piid"),
        "parent_piid": _get(a, "parent_award", "piid"),
        "recipient": _get(a, "recipient", "recipient_name"),
        "amount": _decimal(a.get("total_obligation")),
        "start_date": _day(period.get("start_date")),
        "end_date": _day(period.get("end_date")),
        "description": a.get("description"),
        "awarding_agency": _get(a, "awarding_agency", "toptier_agency", "name"),
        "awarding_sub_agency": _get(a, "awarding_agency", "subtier_agency", "name"),
        "modifications": mods,
        # Beyond the letter's needs, for `contracts show`:
        "generated_id": gid,
        "award_type": a.get("type_description"),
        "ceiling": _decimal(a.get("base_and_all_options")),
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


# ---------------------------------------------------------------------------------------------
# Checking the directory's contract claims against USAspending

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
                out.append(f"  claim{mark}: \"{_shorten(c.text, 110)}\"{src}")
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
        sub_agency = _sub_agency(directory, contract.agency)
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


def _sub_agency(directory, agency_id: str) -> str | None:
    try:
        record, _ = directory.inherited(directory.agency(agency_id), "usaspending")
    except NotFound:
        return None
    return record.subtier_name if record else None


def _source_label(directory, sid: str) -> str:
    src = directory.sources.get(sid)
    return src.title if src else sid


def letter_fields_for_award(award: str, client: USAspendingClient, *, directory=None,
                            agency: str | None = None) -> dict:
    """``award_to_letter_fields`` for an award number or id, fetched with its modifications
    (for ``foia draft contract --award``)."""
    sub_agency = None
    if directory is not None and agency:
        directory.agency(agency)  # an unknown office is the user's error, not a silent no-op
        sub_agency = _sub_agency(directory, agency)
    return award_to_letter_fields(client.award_detail(award, sub_agency=sub_agency))
