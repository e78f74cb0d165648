"""The HTTP side of USAspending: one httpx client with an overall deadline per request,
retries with backoff (honouring ``Retry-After``), redirects kept within the base URL's origin,
answers refused as one line, and an on-disk cache with a time-to-live."""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
import time
from datetime import timezone
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from foia.contracts.records import DEFAULT_BASE_URL, DEFAULT_TTL, MAX_BODY_BYTES, MAX_RETRY_AFTER, RETRY_STATUSES
from foia.contracts.values import kind_of, parse_duration, shorten
from foia.errors import FoiaError, NotFound, UsageError
from foia.naming import Field, Text

if TYPE_CHECKING:
    from foia.contracts.search import USAspendingClient

BASE_URL = Field("base_url")


class UnsafeRedirect(FoiaError):
    """USAspending (or what answers at the base URL) redirected to another origin."""


# ---------------------------------------------------------------------------------------------
# Cache


class Cache:
    """USAspending answers as JSON files under ``cache_dir()/usaspending``, one per request.

    A file is keyed by a hash of method, URL and body; it is fresh for ``ttl`` seconds.
    ``refresh`` skips reading but still writes (``refresh``). A file that cannot be read or
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



# The client


class USAspendingHTTP:
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
            raise UsageError(Text(BASE_URL, f" {url!r} is not an http(s) URL; e.g. {DEFAULT_BASE_URL}"),
                             field="base_url")
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
            raise UnsafeRedirect(Text(f"USAspending at {self.base_url} redirected to {shorten(str(u), 120)}, "
                                      f"outside {o.scheme}://{o.netloc.decode('ascii', 'replace')}; foia follows "
                                      "redirects only within the same scheme, host and port; check ", BASE_URL),
                                 field="base_url")

    # -- lifecycle -------------------------------------------------------------------------
    def close(self) -> None:
        self._http.close()

    def __enter__(self):
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
                last = f"could not connect: {shorten(exc, 80) or type(exc).__name__}"
            except httpx.HTTPError as exc:  # a bad URL or protocol: retrying will not help
                raise FoiaError(Text(f"cannot reach USAspending at {self.base_url}: {shorten(exc, 120)}; "
                                     "check ", BASE_URL), field="base_url") from None
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
        raise FoiaError(Text(f"USAspending did not answer after {tries} tr{'ies' if tries != 1 else 'y'} ({last}); "
                        "try again later or use ", BASE_URL))

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
            too_big = FoiaError(Text(f"USAspending's answer to {what} is larger than {limit_mb} MB; "
                                     "narrow the search (", Field("since"), ", ", Field("keyword"), ", ",
                                     Field("max_results"), ")"))
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
                raise FoiaError(Text(f"USAspending's answer to {what} is nested too deeply to read "
                                     f"(HTTP {status}); try again later or check ", BASE_URL)) from None
            except (UnicodeDecodeError, ValueError):
                snippet = shorten(raw[:200].decode("utf-8", "replace"), 60)
                raise FoiaError(Text(f"USAspending's answer to {what} is not JSON (HTTP {status}): {snippet!r}; "
                                     "try again later or check ", BASE_URL)) from None
            if not isinstance(data, dict):
                raise FoiaError(Text(f"USAspending's answer to {what} is {kind_of(data)}, not a JSON object; "
                                     "try again later or check ", BASE_URL))
            return data
        message = _error_message(raw)
        latest = _end_date_maximum(message) if status in (400, 422) else None
        if latest:
            raise FoiaError(Text(f"USAspending refused {what} (HTTP {status}): {message}; its searches end on "
                                 f"{latest} at the latest: give ", Field("until"), f" {latest} or earlier"),
                            field="until")
        if status == 404 and not_found:
            raise NotFound(f"{not_found} on USAspending (HTTP 404): {message}")
        if 400 <= status < 500:
            hint = ("; check ", BASE_URL) if status == 404 else ()
            raise FoiaError(Text(f"USAspending refused {what} (HTTP {status}): {message}", *hint))
        raise FoiaError(f"USAspending failed {what} (HTTP {status}): {message}; try again later")

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



def _error_message(raw: bytes) -> str:
    """USAspending's own words: ``detail``, or ``message`` (the 422 for mixed award types)."""
    text = raw.decode("utf-8", "replace").strip()
    if not text:
        return "no message"
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return shorten(text, 200)
    if isinstance(data, dict):
        for key in ("detail", "message"):
            if key in data and data[key] not in (None, ""):
                v = data[key]
                return shorten(v if isinstance(v, str) else json.dumps(v), 300)
    return shorten(text, 200)


def make_client(base_url: str | None = None, *, cache_ttl: str | float | None = None,
                refresh: bool = False, no_cache: bool = False, timeout: float = 30.0,
                transport=None, sleep: Callable[[float], Any] | None = None,
                notify: Callable[[str], Any] | None = None) -> USAspendingClient:
    """The client the CLI uses: base URL given or from FOIA_USASPENDING_URL; cache TTL given or
    from FOIA_CACHE_TTL (default 24h); ``refresh`` rewrites, ``no_cache`` skips; waits before a
    retry are said on stderr unless ``notify`` is given."""
    from foia.contracts.search import USAspendingClient  # the endpoints build on this module

    cache = None
    if not no_cache:
        ttl_text = cache_ttl if cache_ttl is not None else os.environ.get("FOIA_CACHE_TTL")
        source = None if cache_ttl is not None else "FOIA_CACHE_TTL"
        ttl = parse_duration(ttl_text, "cache_ttl", source=source) if ttl_text not in (None, "") else DEFAULT_TTL
        cache = Cache(ttl=ttl, refresh=refresh)
    if timeout is None or timeout <= 0:
        raise UsageError(Text(Field("timeout"), " must be more than 0 seconds"), field="timeout")
    return USAspendingClient(base_url, transport=transport, timeout=timeout, cache=cache, sleep=sleep,
                             notify=notify if notify is not None else _to_stderr)


def _to_stderr(line: str) -> None:
    # Waits are said on stderr so that --json and --csv output on stdout stays clean.
    import sys

    print(line, file=sys.stderr, flush=True)
