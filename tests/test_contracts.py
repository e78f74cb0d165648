"""The USAspending library: requests as documented, pagination, errors, retries, cache, award
detail, letter fields and the claims check. Every answer comes from httpx.MockTransport."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from datetime import date
from decimal import Decimal
from email.utils import formatdate

import click
import httpx
import pytest

from foia.contracts import (
    Cache, SearchQuery, USAspendingClient, award_to_letter_fields, build_search, check_vendor_claims,
    letter_fields_for_award, make_client, money, parse_duration,
)
from foia.directory import load_directory, parse_directory
from foia.errors import FoiaError, NotFound, UsageError
from foia.naming import as_flags

try:
    from .test_contracts_fakes import (DHS, GID, ICE, PARENT, PIID, FakeUSAspending, Recorder, award, body_of,
                                       cents, mod, page, respond, result, transactions)
except ImportError:  # tests/ is not a package: pytest puts it on sys.path
    from test_contracts_fakes import (DHS, GID, ICE, PARENT, PIID, FakeUSAspending, Recorder, award, body_of,
                                      cents, mod, page, respond, result, transactions)

FIELDS = ["Award ID", "Recipient Name", "Award Amount", "Start Date", "End Date",
          "Awarding Agency", "Awarding Sub Agency", "Description", "generated_internal_id"]
SEARCH_URL = "https://api.usaspending.gov/api/v2/search/spending_by_award/"


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    for var in ("FOIA_CONFIG_DIR", "FOIA_DATA_DIR", "FOIA_CACHE_DIR"):
        monkeypatch.setenv(var, str(tmp_path / var.lower()))
    for var in ("FOIA_USASPENDING_URL", "FOIA_CACHE_TTL", "FOIA_DIRECTORY"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def d():
    return load_directory()


class Sleeps(list):
    def __call__(self, seconds):
        self.append(seconds)


def client_for(handler, **kw):
    rec = Recorder(handler)
    kw.setdefault("sleep", Sleeps())
    return USAspendingClient(transport=rec.transport, **kw), rec


def ice_query(**kw):
    return SearchQuery(agencies=({"type": "awarding", "tier": "subtier", "name": ICE, "toptier_name": DHS},),
                       recipients=("Palantir",), **kw)


# ---- the request -------------------------------------------------------------------------------


def test_search_sends_the_documented_request_and_parses_rows(d):
    query, notes = build_search(d, vendors=["palantir"], agencies=["ICE"], keywords=["case management"],
                                since="2014-01-01", until="2025-09-30")
    client, rec = client_for(lambda r: respond(200, page([result(PIID, 150703824.61), result("HSCETC14C00001", 41987333.5, internal_id=2)])))
    out = client.search_awards(query)

    assert [r.method for r in rec.requests] == ["POST"]
    assert str(rec.requests[0].url) == SEARCH_URL
    assert rec.bodies[0] == {
        "filters": {
            "award_type_codes": ["A", "B", "C", "D"],
            "agencies": [{"type": "awarding", "tier": "subtier", "name": ICE, "toptier_name": DHS}],
            "recipient_search_text": ["Palantir"],
            "keywords": ["case management"],
            "time_period": [{"start_date": "2014-01-01", "end_date": "2025-09-30"}],
        },
        "fields": FIELDS, "page": 1, "limit": 100, "sort": "Award Amount", "order": "desc",
    }
    assert notes == ["vendor palantir: searching recipient names Palantir",
                     f"agency ICE: searching awards by {ICE} ({DHS})"]
    assert [(a.award_id, a.amount) for a in out.awards] == [(PIID, Decimal("150703824.61")),
                                                            ("HSCETC14C00001", Decimal("41987333.5"))]
    assert out.awards[0].to_dict() == {
        "award_id": PIID, "recipient": "PALANTIR USG INC", "amount": Decimal("150703824.61"),
        "start_date": "2022-09-26", "end_date": "2026-05-04", "awarding_agency": DHS,
        "awarding_sub_agency": ICE, "description": "ICM OPERATIONS AND MAINTENANCE",
        "generated_internal_id": f"CONT_AWD_{PIID}_7012_-NONE-_-NONE-"}
    assert (out.more, out.pages) == (False, 1)
    assert out.summary() == "2 contract awards fetched from USAspending (1 page)"


def test_hsi_inherits_ice_and_cbp_widens_to_dhs_saying_so(d):
    query, notes = build_search(d, agencies=["HSI", "ero", "ICE", "CBP"])
    assert query.filters()["agencies"] == [
        {"type": "awarding", "tier": "subtier", "name": ICE, "toptier_name": DHS},
        {"type": "awarding", "tier": "toptier", "name": DHS},
    ]
    assert notes == [f"no USAspending sub-agency on file for HSI; searching {ICE}, which it belongs to",
                     "no USAspending sub-agency on file for CBP; searching all of Department of Homeland Security"]


def test_agency_without_usaspending_record_or_unknown_is_one_line(d):
    with pytest.raises(FoiaError) as exc:
        build_search(d, agencies=["FBI"])
    assert re.match(r"^no USAspending agency on file for FBI or its parents; search without --agency", as_flags(exc.value))
    with pytest.raises(NotFound, match="no agency 'NASA'"):
        build_search(d, agencies=["NASA"])


def test_vendor_not_in_directory_is_searched_literally(d):
    query, notes = build_search(d, vendors=["Acme Analytics LLC"], since="2020-01-01", today=date(2026, 11, 30))
    assert query.filters() == {"award_type_codes": ["A", "B", "C", "D"], "recipient_search_text": ["Acme Analytics LLC"],
                               "time_period": [{"start_date": "2020-01-01", "end_date": "2026-11-30"}]}
    assert notes == []


def test_directory_vendor_uses_its_usaspending_names(d):
    query, notes = build_search(d, vendors=["TR"])
    assert query.recipients == ("Thomson Reuters", "West Publishing")
    assert notes == ["vendor thomson-reuters: searching recipient names Thomson Reuters, West Publishing"]


@pytest.mark.parametrize("kwargs, message", [
    ({"keywords": ["ab"]}, "--keyword 'ab' is too short: USAspending needs at least 3 characters"),
    ({"vendors": ["x"], "since": "2005-01-01"}, "--since 2005-01-01 is before 2007-10-01, the earliest date"),
    ({"vendors": ["x"], "until": "2007-09-30"}, "--until 2007-09-30 is before 2007-10-01"),
    ({"vendors": ["x"], "since": "2020-01-01", "until": "2019-01-01"}, "--until 2019-01-01 is before --since 2020-01-01"),
    ({"vendors": ["x"], "since": "2014/01/01"}, "--since '2014/01/01' is not a date; use YYYY-MM-DD"),
    ({"vendors": ["x"], "since": "2014-02-30"}, "--since '2014-02-30' is not a date"),
    ({}, "give --vendor, --agency or --keyword to narrow the search"),
    ({"vendors": ["  "]}, "--vendor is empty"),
])
def test_bad_search_words_are_one_line_usage_errors(d, kwargs, message):
    with pytest.raises(UsageError) as exc:
        build_search(d, **kwargs)
    assert as_flags(exc.value).startswith(message)
    assert "\n" not in as_flags(exc.value)


def test_until_alone_starts_at_the_earliest_date(d):
    query, _ = build_search(d, keywords=["license plate"], until="2019-12-31", sort="start-date", order="asc")
    body = query.body()
    assert body["filters"]["time_period"] == [{"start_date": "2007-10-01", "end_date": "2019-12-31"}]
    assert (body["sort"], body["order"]) == ("Start Date", "asc")


# ---- pagination --------------------------------------------------------------------------------


def light_awards(n: int, *, start_id: int = 1) -> list[dict]:
    """``n`` ICE awards to Palantir with the fields the fake indexes (full answers would take
    9 kB each), amounts falling and some equal so the award_id tie-break matters."""
    out = []
    for i in range(start_id, start_id + n):
        piid = f"70CTD0{i:05d}"
        out.append({"id": i, "generated_unique_award_id": f"CONT_AWD_{piid}_7012_-NONE-_-NONE-", "piid": piid,
                    "type": "C", "recipient": {"recipient_name": "PALANTIR USG INC"},
                    "total_obligation": 1_000_000 - (i // 3) + 0.25,
                    "period_of_performance": {"start_date": f"20{10 + i % 15:02d}-01-{1 + i % 28:02d}",
                                              "end_date": "2026-05-04"},
                    "description": "ICM", "awarding_agency": {"toptier_agency": {"name": DHS},
                                                              "subtier_agency": {"name": ICE}}})
    return out


def fake_client(fake: FakeUSAspending, **kw):
    kw.setdefault("sleep", Sleeps())
    return USAspendingClient(transport=fake.transport, **kw)


def test_amount_sort_pages_by_cursor_past_10000():
    """Page numbers stop at 10,000 (hasNext comes from a capped total); from page 2 on the
    cursor of the previous page goes back, and the server fetches limit+1 rows to say hasNext."""
    fake = FakeUSAspending(light_awards(10_150))
    out = fake_client(fake).search_awards(ice_query(), max_results=0)
    assert len(out.awards) == 10_150 and not out.more and out.pages == 102 and out.notes == []
    assert len({a.award_id for a in out.awards}) == 10_150  # nothing twice, nothing skipped
    amounts = [a.amount for a in out.awards]
    assert amounts == sorted(amounts, reverse=True)
    first, second = fake.bodies[0], fake.bodies[1]
    assert "last_record_unique_id" not in first and "last_record_sort_value" not in first
    # the cursor is the last row of page 1: its id and its amount in whole cents, as text
    row100 = out.awards[99]
    assert (second["last_record_unique_id"], second["last_record_sort_value"]) == (
        int(row100.award_id[-5:]), cents(row100.amount))
    assert second["last_record_sort_value"] == "99996725"


def test_date_sorts_keep_page_numbers_and_say_when_10000_is_reached():
    fake = FakeUSAspending(light_awards(10_150))
    out = fake_client(fake).search_awards(ice_query(sort="Start Date"), max_results=0)
    assert len(out.awards) == 10_000 and out.more and out.pages == 100
    assert out.summary() == ("10000 contract awards fetched from USAspending (100 pages); there may be more: "
                             "narrow the search or sort by amount")
    assert all("last_record_unique_id" not in b for b in fake.bodies)
    assert [as_flags(n) for n in out.notes] == ["USAspending lists at most 10,000 awards by page when sorted by date, and there may be "
                         "more; narrow the search (--since/--until, --keyword, --agency) or sort by amount, "
                         "award-id or recipient to get them all"]
    small = fake_client(FakeUSAspending(light_awards(250))).search_awards(ice_query(sort="End Date"), max_results=0)
    assert (len(small.awards), small.more, small.notes) == (250, False, [])


def test_max_results_caps_the_fetch_and_says_more_exist():
    def handler(request):
        n = body_of(request)["page"]
        return respond(200, page([result(f"P{n}-{i}", 5, internal_id=n * 100 + i) for i in range(100)], n, has_next=True))

    client, rec = client_for(handler)
    out = client.search_awards(ice_query(), max_results=250)
    assert [b["page"] for b in rec.bodies] == [1, 2, 3]
    assert (len(out.awards), out.more) == (250, True)
    assert as_flags(out.summary()).endswith("; more exist: raise --max-results or narrow the search (--since, --keyword)")
    small, rec2 = client_for(handler)
    assert len(small.search_awards(ice_query(), max_results=7).awards) == 7
    assert rec2.bodies[0]["limit"] == 7  # no point asking for 100 rows to show 7


def test_past_50000_results_page_numbers_are_refused_so_the_cursor_goes_on():
    """A sort by date with no cursor would be refused past 50,000 (as USAspending does, 422); a
    server without the 10,000 cap lets page arithmetic (one row a page) reach that edge."""
    last_page = 503

    def handler(request):
        b = body_of(request)
        n, limit = b["page"], b["limit"]
        has_cursor = "last_record_unique_id" in b
        if (n - 1) * limit >= 50_000 and not has_cursor:
            return respond(422, {"detail": f"Page #{n} with limit {limit} is over the maximum result limit 50000."})
        if has_cursor:
            # the cursor must be the previous page's last record
            assert b["last_record_unique_id"] == n - 1
        return respond(200, page([result(f"P{n}", float(100000 - n), internal_id=n)], n, has_next=n < last_page))

    client, rec = client_for(handler)
    out = client.search_awards(ice_query(sort="Start Date"), max_results=0)
    assert len(out.awards) == last_page and out.pages == last_page and not out.more
    cursors = [(b["page"], b.get("last_record_unique_id"), b.get("last_record_sort_value")) for b in rec.bodies]
    assert cursors[499] == (500, None, None)  # (500-1)*100 = 49,900: still by page number
    assert cursors[500:] == [(501, 500, "9950000"), (502, 501, "9949900"), (503, 502, "9949800")]


def test_missing_cursor_past_the_window_is_one_line():
    def handler(request):
        n = body_of(request)["page"]
        p = page([result(f"P{n}", 1.0, internal_id=n)], n, has_next=True)
        p["page_metadata"]["last_record_unique_id"] = None
        return respond(200, p)

    client, _ = client_for(handler)
    with pytest.raises(FoiaError, match=r"page 500 gave no last_record_sort_value/last_record_unique_id, needed past 50,000"):
        client.search_awards(ice_query(), max_results=0)


# ---- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize("status, body, message", [
    (422, {"detail": "Field 'limit' value '500' is above max '100'"},
     "USAspending refused the search (HTTP 422): Field 'limit' value '500' is above max '100'"),
    (422, {"detail": "Missing value: 'fields' is a required field"},
     "USAspending refused the search (HTTP 422): Missing value: 'fields' is a required field"),
    (400, {"detail": "Sort value 'X' not found in requested fields: ['Award ID']"},
     "USAspending refused the search (HTTP 400): Sort value 'X' not found in requested fields: ['Award ID']"),
    (422, {"message": "'award_type_codes' must only contain types from one group.",
           "award_type_groups": {"contracts": ["A", "B", "C", "D"], "loans": ["07", "08"]}},
     "USAspending refused the search (HTTP 422): 'award_type_codes' must only contain types from one group."),
    (403, b"<html>Forbidden</html>", "USAspending refused the search (HTTP 403): <html>Forbidden</html>"),
    (404, {"detail": "Not found."}, "USAspending refused the search (HTTP 404): Not found.; check --base-url"),
    (501, b"", "USAspending failed the search (HTTP 501): no message; try again later"),
])
def test_refusals_quote_usaspending_in_one_line(status, body, message):
    client, rec = client_for(lambda r: respond(status, body))
    with pytest.raises(FoiaError) as exc:
        client.search_awards(ice_query())
    assert as_flags(exc.value) == message
    assert len(rec.requests) == 1  # a refusal is not retried


@pytest.mark.parametrize("body, message", [
    (b"", "USAspending sent an empty answer to the search (HTTP 200); try again later"),
    (b"  \n", "USAspending sent an empty answer to the search (HTTP 200); try again later"),
    (b"{\"results\": [", "USAspending's answer to the search is not JSON (HTTP 200): '{\"results\": ['"),
    (b"<html>maintenance</html>", "USAspending's answer to the search is not JSON (HTTP 200): '<html>maintenance</html>'"),
    (b"{\"results\": [], \"x\": NaN}", "USAspending's answer to the search is not JSON"),
    (b"[1, 2]", "USAspending's answer to the search is a list, not a JSON object"),
    (json.dumps({"page_metadata": {"hasNext": False}}).encode(), "USAspending's answer to the search has no 'results' list"),
    (json.dumps({"results": [], "page_metadata": {}}).encode(), "USAspending's answer to the search has no page_metadata.hasNext"),
    (json.dumps(page([result("X", "12,5 million")])).encode(),
     "USAspending's answer to the search: result 1 has Award Amount '12,5 million', not a number"),
    (json.dumps(page([result("X", 1.0), "oops"])).encode(),
     "USAspending's answer to the search: result 2 is text, not an object"),
    (json.dumps(page([{**result("X", 1.0), "Recipient Name": ["A", "B"]}])).encode(),
     "USAspending's answer to the search: result 1 has Recipient Name ['A', 'B'], not text"),
])
def test_malformed_answers_are_one_line(body, message):
    client, _ = client_for(lambda r: respond(200, body))
    with pytest.raises(FoiaError) as exc:
        client.search_awards(ice_query())
    assert as_flags(exc.value).startswith(message)
    assert "\n" not in as_flags(exc.value)


def test_numeric_text_amounts_and_null_amounts_are_accepted():
    client, _ = client_for(lambda r: respond(200, page([result("A", "1234.5"), result("B", None, internal_id=2)])))
    assert [a.amount for a in client.search_awards(ice_query()).awards] == [Decimal("1234.5"), None]


@pytest.mark.parametrize("streamed", [False, True])
def test_a_huge_answer_is_refused(streamed):
    big = json.dumps(page([result(f"P{i}", 1.0, internal_id=i) for i in range(40)])).encode()
    assert len(big) > 4096

    def handler(request):
        if streamed:  # no Content-Length: the cap is enforced while reading
            return httpx.Response(200, content=iter([big[i:i + 512] for i in range(0, len(big), 512)]))
        return respond(200, big)

    client, _ = client_for(handler, max_bytes=4096)
    with pytest.raises(FoiaError, match=r"^USAspending's answer to the search is larger than 1 MB; narrow the search"):
        client.search_awards(ice_query())


def test_503_four_times_gives_up_with_backoff():
    client, rec = client_for(lambda r: respond(503, b""))
    with pytest.raises(FoiaError) as exc:
        client.search_awards(ice_query())
    assert as_flags(exc.value) == "USAspending did not answer after 4 tries (HTTP 503); try again later or use --base-url"
    assert len(rec.requests) == 4
    assert client.sleep == [1.0, 2.0, 4.0]


def test_backoff_is_capped():
    client, _ = client_for(lambda r: respond(502, b""), retries=6, backoff=5.0, max_backoff=12.0)
    with pytest.raises(FoiaError, match=r"after 7 tries \(HTTP 502\)"):
        client.search_awards(ice_query())
    assert client.sleep == [5.0, 10.0, 12.0, 12.0, 12.0, 12.0]


def test_a_timeout_then_success():
    calls = []

    def handler(request):
        calls.append(1)
        if len(calls) == 1:
            raise httpx.ReadTimeout("timed out", request=request)
        return respond(200, page([result(PIID, 10.0)]))

    client, rec = client_for(handler)
    out = client.search_awards(ice_query())
    assert [a.award_id for a in out.awards] == [PIID]
    assert len(rec.requests) == 2 and client.sleep == [1.0]
    assert rec.bodies[0] == rec.bodies[1]  # the same request again


def test_timeouts_and_refused_connections_give_up_in_one_line():
    def timeout(request):
        raise httpx.ConnectTimeout("connect timed out", request=request)

    client, _ = client_for(timeout, retries=1)
    with pytest.raises(FoiaError) as exc:
        client.search_awards(ice_query())
    assert as_flags(exc.value) == ("USAspending did not answer after 2 tries (timed out after 30 s); "
                                 "try again later or use --base-url")

    def refused(request):
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    client, _ = client_for(refused, retries=0)
    with pytest.raises(FoiaError) as exc:
        client.search_awards(ice_query())
    assert as_flags(exc.value) == ("USAspending did not answer after 1 try (could not connect: [Errno 111] Connection refused); "
                                 "try again later or use --base-url")


def test_429_retry_after_seconds_is_honoured():
    answers = [respond(429, {"detail": "Request was throttled."}, {"Retry-After": "7"}),
               respond(200, page([result(PIID, 10.0)]))]
    client, rec = client_for(lambda r: answers.pop(0))
    assert len(client.search_awards(ice_query()).awards) == 1
    assert client.sleep == [7.0]


def test_503_retry_after_http_date_is_honoured_and_each_wait_is_said():
    now = 1_800_000_000.0
    answers = [respond(503, b"", {"Retry-After": formatdate(now + 30, usegmt=True)}),
               respond(503, b"", {"Retry-After": "soon"}),
               respond(200, page([result(PIID, 10.0)]))]
    said = []
    client, _ = client_for(lambda r: answers.pop(0), clock=lambda: now, notify=said.append)
    client.search_awards(ice_query())
    assert client.sleep == [30.0, 2.0]  # an unreadable Retry-After falls back to backoff
    assert said == ["USAspending: HTTP 503 on try 1 of 4; waiting 30 s (its Retry-After) before trying the search again",
                    "USAspending: HTTP 503 on try 2 of 4; waiting 2 s before trying the search again"]


@pytest.mark.parametrize("retry_after", ["100000", "121"])
def test_a_retry_after_over_the_bound_is_refused_at_once(retry_after):
    client, rec = client_for(lambda r: respond(429, {"detail": "Request was throttled."}, {"Retry-After": retry_after}))
    with pytest.raises(FoiaError) as exc:
        client.search_awards(ice_query())
    assert as_flags(exc.value) == (f"USAspending answered the search with HTTP 429 and asks to wait {retry_after} s "
                                 "before trying again, longer than foia waits (120 s); try again later")
    assert client.sleep == [] and len(rec.requests) == 1


def test_500_and_504_are_retried_then_succeed():
    answers = [respond(500, {"detail": "boom"}), respond(504, b""), respond(200, page([]))]
    client, rec = client_for(lambda r: answers.pop(0))
    out = client.search_awards(ice_query())
    assert (out.awards, len(rec.requests), client.sleep) == ([], 3, [1.0, 2.0])


def test_bad_base_url_is_a_usage_error(monkeypatch):
    with pytest.raises(UsageError) as exc:
        USAspendingClient("ftp://example")
    assert re.match(r"^--base-url 'ftp://example' is not an http\(s\) URL", as_flags(exc.value))
    monkeypatch.setenv("FOIA_USASPENDING_URL", "http://127.0.0.1:9/")
    assert USAspendingClient().base_url == "http://127.0.0.1:9"


# ---- cache -------------------------------------------------------------------------------------


class Clock:
    def __init__(self, t=1_000_000.0):
        self.t = t

    def __call__(self):
        return self.t


def cached_client(tmp_path, clock, handler, **cache_kw):
    cache = Cache(tmp_path / "cache", ttl=cache_kw.pop("ttl", 3600), clock=clock, **cache_kw)
    return client_for(handler, cache=cache)


def test_cache_hit_miss_ttl_and_refresh(tmp_path):
    clock = Clock()
    n = {"calls": 0}

    def handler(request):
        n["calls"] += 1
        return respond(200, page([result(PIID, float(n["calls"]))]))

    client, rec = cached_client(tmp_path, clock, handler)
    assert client.search_awards(ice_query()).awards[0].amount == 1  # miss
    assert client.search_awards(ice_query()).awards[0].amount == 1  # hit
    assert len(rec.requests) == 1
    files = list((tmp_path / "cache").glob("*.json"))
    assert len(files) == 1 and stat.S_IMODE(files[0].stat().st_mode) == 0o644
    entry = json.loads(files[0].read_text())
    assert (entry["method"], entry["url"], entry["body"]["page"]) == ("POST", SEARCH_URL, 1)

    other = ice_query(keywords=("case management",))
    client.search_awards(other)  # another body is another entry
    assert len(rec.requests) == 2

    clock.t += 3601  # stale
    assert client.search_awards(ice_query()).awards[0].amount == 3
    assert len(rec.requests) == 3

    refreshing, rec2 = cached_client(tmp_path, clock, handler, refresh=True)
    assert refreshing.search_awards(ice_query()).awards[0].amount == 4  # refresh: fetched anyway
    assert len(rec2.requests) == 1
    fresh, rec3 = cached_client(tmp_path, clock, handler)
    assert fresh.search_awards(ice_query()).awards[0].amount == 4  # and rewritten
    assert rec3.requests == []


def test_corrupt_cache_file_is_ignored_and_replaced(tmp_path):
    clock = Clock()
    client, rec = cached_client(tmp_path, clock, lambda r: respond(200, page([result(PIID, 5.0)])))
    path = client.cache.path("POST", SEARCH_URL, ice_query().body(1, 100))
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    assert client.search_awards(ice_query()).awards[0].amount == 5
    assert json.loads(path.read_text())["response"]["results"][0]["Award Amount"] == 5.0
    path.write_text(json.dumps({"stored_at": clock.t, "response": {"results": "garbage"}}))
    assert client.search_awards(ice_query()).awards[0].amount == 5  # fails the checks: fetched again
    assert len(rec.requests) == 2


def test_errors_are_not_cached(tmp_path):
    answers = [respond(422, {"detail": "nope"}), respond(200, page([result(PIID, 5.0)]))]
    client, rec = cached_client(tmp_path, Clock(), lambda r: answers.pop(0))
    with pytest.raises(FoiaError):
        client.search_awards(ice_query())
    assert list((tmp_path / "cache").glob("*.json")) == []
    assert client.search_awards(ice_query()).awards[0].amount == 5


def test_make_client_reads_env_and_options(tmp_path, monkeypatch):
    c = make_client()
    assert c.base_url == "https://api.usaspending.gov"
    assert c.cache.directory == tmp_path / "foia_cache_dir" / "usaspending" and c.cache.ttl == 86400
    monkeypatch.setenv("FOIA_CACHE_TTL", "30m")
    assert make_client().cache.ttl == 1800
    assert make_client(cache_ttl="2d", refresh=True).cache.ttl == 172800
    assert make_client(no_cache=True).cache is None
    monkeypatch.setenv("FOIA_CACHE_TTL", "forever")
    with pytest.raises(UsageError, match=r"^FOIA_CACHE_TTL 'forever' is not a duration"):
        make_client()
    with pytest.raises(UsageError) as exc:
        make_client(cache_ttl="-5")
    assert re.match(r"^--cache-ttl '-5' is not a duration", as_flags(exc.value))
    assert [parse_duration(x) for x in ("90", "90s", "2m", "1.5h", "1d")] == [90, 90, 120, 5400, 86400]


# ---- one award ---------------------------------------------------------------------------------

MODS = [mod("P00002", "2024-03-01", -1200.5, description="DEOBLIGATION"),
        mod("0", "2022-09-26", 25000000.0, action="NEW", description="ICM O&M BASE"),
        mod("P00001", "2023-09-20", 30000000.25)]


def award_world(search_rows=None, idv_rows=(), tx_pages=None, award_json=None):
    tx_pages = tx_pages or [MODS]

    def handler(request):
        path = request.url.path
        if path == "/api/v2/search/spending_by_award/":
            types = body_of(request)["filters"]["award_type_codes"]
            rows = list(idv_rows) if types[0].startswith("IDV") else (search_rows if search_rows is not None else [result(PIID, 150703824.61, parent=PARENT)])
            return respond(200, page(rows))
        if path.startswith("/api/v2/awards/"):
            return respond(200, award_json or award())
        if path == "/api/v2/transactions/":
            n = body_of(request)["page"]
            return respond(200, transactions(tx_pages[n - 1], n, has_next=n < len(tx_pages)))
        return respond(404, {"detail": "Not found."})

    return handler


def test_award_by_piid_resolves_then_fetches_award_and_transactions():
    client, rec = client_for(award_world(tx_pages=[MODS[:2], MODS[2:]]))
    detail = client.award_detail(PIID)
    assert [(r.method, r.url.path) for r in rec.requests] == [
        ("POST", "/api/v2/search/spending_by_award/"), ("GET", f"/api/v2/awards/{GID}/"),
        ("POST", "/api/v2/transactions/"), ("POST", "/api/v2/transactions/")]
    assert rec.bodies[0]["filters"] == {"award_type_codes": ["A", "B", "C", "D"], "award_ids": [PIID]}
    assert rec.bodies[2] == {"award_id": GID, "page": 1, "limit": 5000, "sort": "action_date", "order": "asc"}
    assert rec.bodies[3]["page"] == 2
    assert detail.generated_id == GID and len(detail.transactions) == 3


def test_award_by_generated_id_skips_the_search():
    client, rec = client_for(award_world())
    client.award_detail(GID)
    assert [r.url.path for r in rec.requests] == [f"/api/v2/awards/{GID}/", "/api/v2/transactions/"]


def test_award_number_of_a_parent_contract_is_found_among_idvs():
    idv = {**result(PARENT, 9e8), "generated_internal_id": f"CONT_IDV_{PARENT}_4730"}
    client, rec = client_for(award_world(search_rows=[], idv_rows=[idv]))
    assert client.resolve_award(PARENT) == f"CONT_IDV_{PARENT}_4730"
    assert rec.bodies[1]["filters"]["award_type_codes"] == ["IDV_A", "IDV_B", "IDV_B_A", "IDV_B_B",
                                                             "IDV_B_C", "IDV_C", "IDV_D", "IDV_E"]


def test_unknown_and_ambiguous_award_numbers():
    client, _ = client_for(award_world(search_rows=[result("70CTD022FR0000170X", 5.0)]))  # fuzzy, not exact
    with pytest.raises(NotFound, match=r"^no contract with award number '70CTD022FR0000170' on USAspending"):
        client.resolve_award(PIID)
    two = [result(PIID, 5.0, parent="A1"), {**result(PIID, 6.0, parent="B2", sub="Federal Emergency Management Agency"), "internal_id": 2}]
    client, _ = client_for(award_world(search_rows=two))
    with pytest.raises(FoiaError, match=rf"^award number '{PIID}' matches 2 awards on USAspending: CONT_AWD_{PIID}_7012_A1_4730, "):
        client.resolve_award(PIID)
    assert client.resolve_award(PIID, sub_agency=ICE) == f"CONT_AWD_{PIID}_7012_A1_4730"
    with pytest.raises(UsageError, match="is not an award number"):
        client.resolve_award("../etc/passwd")


def test_award_404_quotes_detail():
    detail = "No Award found with: {'generated_unique_award_id_legacy': 'CONT_AWD_NOPE'}"
    client, _ = client_for(lambda r: respond(404, {"detail": detail}))
    with pytest.raises(NotFound) as exc:
        client.award_detail("CONT_AWD_NOPE")
    assert as_flags(exc.value) == f"no award 'CONT_AWD_NOPE' on USAspending (HTTP 404): {detail}"


def test_malformed_award_and_transactions_are_one_line():
    client, _ = client_for(award_world(award_json={**award(), "total_obligation": "lots"}))
    with pytest.raises(FoiaError, match=r"^USAspending's answer to the award look-up has total_obligation 'lots', not a number"):
        client.award_detail(GID)
    client, _ = client_for(award_world(award_json={"detail": "ok"}))
    with pytest.raises(FoiaError, match=r"names no award"):
        client.award_detail(GID)
    client, _ = client_for(award_world(tx_pages=[[mod("P1", "2024-01-01", "n/a")]]))
    with pytest.raises(FoiaError, match=r"transactions look-up: result 1 has federal_action_obligation 'n/a', not a number"):
        client.award_detail(GID)


def test_award_to_letter_fields():
    client, _ = client_for(award_world())
    fields = letter_fields_for_award(PIID, client)
    assert {k: fields[k] for k in ("piid", "parent_piid", "recipient", "amount", "start_date", "end_date",
                                   "description", "awarding_agency", "awarding_sub_agency")} == {
        "piid": PIID, "parent_piid": PARENT, "recipient": "PALANTIR USG INC",
        "amount": Decimal("150703824.61"), "start_date": "2022-09-26", "end_date": "2026-05-04",
        "description": "ICM OPERATIONS AND MAINTENANCE", "awarding_agency": DHS, "awarding_sub_agency": ICE}
    assert fields["modifications"] == [  # oldest first, amounts exact
        {"modification_number": "0", "action_date": "2022-09-26", "action_type_description": "NEW",
         "federal_action_obligation": Decimal("25000000.0"), "description": "ICM O&M BASE"},
        {"modification_number": "P00001", "action_date": "2023-09-20",
         "action_type_description": "SUPPLEMENTAL AGREEMENT FOR WORK WITHIN SCOPE",
         "federal_action_obligation": Decimal("30000000.25"), "description": "ICM O&M"},
        {"modification_number": "P00002", "action_date": "2024-03-01",
         "action_type_description": "SUPPLEMENTAL AGREEMENT FOR WORK WITHIN SCOPE",
         "federal_action_obligation": Decimal("-1200.5"), "description": "DEOBLIGATION"}]
    # the raw award JSON works too; a missing parent and period are None, not errors
    bare = award_to_letter_fields({**award(parent=None), "period_of_performance": None})
    assert (bare["parent_piid"], bare["start_date"], bare["modifications"]) == (None, None, [])
    assert money(Decimal("1234.5")) == "$1,234.50" and money(Decimal("-3")) == "-$3.00" and money(None) == ""


# ---- the claims check --------------------------------------------------------------------------

CHECK_YAML = """
version: 1
sources:
  - {id: press, title: "A newspaper"}
  - {id: rumor, title: "A thread"}
  - {id: ref, title: "Reference"}
agencies:
  - id: dhs
    name: Department of Homeland Security
    abbreviation: DHS
    kind: department
    usaspending: {toptier_name: Department of Homeland Security, toptier_code: "070", sources: [ref], verified: true}
  - id: ice
    name: U.S. Immigration and Customs Enforcement
    abbreviation: ICE
    kind: component
    parent: dhs
    usaspending: {toptier_name: Department of Homeland Security, subtier_name: U.S. Immigration and Customs Enforcement, subtier_code: "7012", sources: [ref], verified: true}
  - {id: hsi, name: Homeland Security Investigations, abbreviation: HSI, kind: directorate, parent: ice}
vendors:
  - {id: acme, name: Acme Data, usaspending_names: [Acme Data, Acme Gov]}
contracts:
  - id: acme-om
    title: O&M task order
    vendors: [acme]
    agency: ice
    directorate: hsi
    award_number: 70CTD022FR0000170
    claims:
      - {text: "Total $150,703,824.61, 2022-09-26 to 2026-05-04.", amount: "150703824.61", basis: total, start: 2022-09-26, end: 2026-05-04, sources: [press], verified: true}
      - {text: "Total of $139.3 million.", amount: 139300000, basis: total, sources: [rumor], verified: false}
      - {text: "Ceiling above $100 million, signed 2022.", amount: 100000000, basis: ceiling, qualifier: more than, date: "2022", sources: [press], verified: true}
      - {text: "About $4 million a year.", amount: 4000000, basis: annual, sources: [press], verified: true}
      - {text: "Renewed thru 2025.", end: "2025", sources: [rumor], verified: false}
  - id: acme-2014
    title: The 2014 award
    vendors: [acme]
    agency: hsi
    claims:
      - {text: "Awarded in 2014 for $42 million.", amount: 42000000, basis: award, date: "2014", sources: [press], verified: true}
  - id: acme-proto
    title: A prototype
    vendors: [acme]
    agency: ice
    claims:
      - {text: "About $30 million.", amount: 30000000, qualifier: about, basis: award, sources: [press], verified: true}
  - id: acme-ghost
    title: An award number USAspending does not know
    vendors: [acme]
    agency: ice
    award_number: HSCETC99C99999
    claims:
      - {text: "$1 million.", amount: 1000000, basis: award, sources: [rumor], verified: false}
"""


def check_world():
    candidates = [result("HSCETC14C00001", 41987333.5, internal_id=1, start="2014-09-01", end="2019-08-31"),
                  result("70CMSD25C00000009", 29800000.0, internal_id=2, start="2025-04-18", end="2025-09-25"),
                  result("HSCETC15C00002", 45000000.0, internal_id=3),
                  result("SMALL1", 10000.0, internal_id=4)]

    def handler(request):
        path = request.url.path
        if path == "/api/v2/search/spending_by_award/":
            f = body_of(request)["filters"]
            if "award_ids" in f:
                if f["award_ids"] == [PIID] and f["award_type_codes"][0] == "A":
                    return respond(200, page([result(PIID, 150703824.61, parent=PARENT)]))
                return respond(200, page([]))
            return respond(200, page(candidates))
        if path == f"/api/v2/awards/{GID}/":
            return respond(200, award(total=150703824.61, options=180000000.0))
        return respond(404, {"detail": "Not found."})

    return handler


def test_check_vendor_claims_compares_and_never_writes():
    d = parse_directory(CHECK_YAML, "check.yaml")
    before = dict(d.contracts)
    client, rec = client_for(check_world())
    report = check_vendor_claims(d, "acme", client)
    assert d.contracts == before

    by_id = {k.contract_id: k for k in report.contracts}
    om = by_id["acme-om"]
    assert om.awards["70CTD022FR0000170"]["generated_id"] == GID
    statuses = [(c.text[:20], c.status, c.verified) for c in om.claims]
    assert statuses == [("Total $150,703,824.6", "agrees", True), ("Total of $139.3 mill", "differs", False),
                        ("Ceiling above $100 m", "agrees", True), ("About $4 million a y", "not compared", True),
                        ("Renewed thru 2025.", "differs", False)]
    differs = om.claims[1].findings[0]
    assert differs.line() == ("amount: differs - claim $139,300,000 (total) vs USAspending "
                              "$150,703,824.61 (total obligated) (8.2% apart)")
    assert [f.line() for f in om.claims[0].findings] == [
        "amount: agrees - claim $150,703,824.61 (total) vs USAspending $150,703,824.61 (total obligated)",
        "start: agrees - claim 2022-09-26 vs USAspending 2022-09-26 (start)",
        "end: agrees - claim 2026-05-04 vs USAspending 2026-05-04 (end)"]
    assert om.claims[2].findings[0].line() == ("amount: agrees - claim more than $100,000,000 (ceiling) vs USAspending "
                                               "$180,000,000.00 (base and all options) (80.0% apart)")
    assert om.claims[2].findings[1].line() == "date: agrees - claim 2022 vs USAspending 2022-09-26 (signed)"

    # without an award number: candidates by amount closeness, from one shared search
    c2014 = by_id["acme-2014"].claims[0]
    assert c2014.findings == [] and [c["award_id"] for c in c2014.candidates] == ["HSCETC14C00001", "HSCETC15C00002", "70CMSD25C00000009"]
    assert [c["difference_percent"] for c in c2014.candidates] == ["<0.1", "7.1", "29.0"]
    assert by_id["acme-proto"].claims[0].candidates[0]["award_id"] == "70CMSD25C00000009"
    searches = [b["filters"] for b in rec.bodies if b and "recipient_search_text" in b["filters"]]
    assert searches == [{"award_type_codes": ["A", "B", "C", "D"],
                         "agencies": [{"type": "awarding", "tier": "subtier", "name": ICE, "toptier_name": DHS}],
                         "recipient_search_text": ["Acme Data", "Acme Gov"]}]  # HSI and ICE share it

    ghost = by_id["acme-ghost"]
    assert ghost.problems == ["award HSCETC99C99999: no contract with award number 'HSCETC99C99999' on USAspending; "
                              "check the number or find it with `foia contracts search`"]

    lines = report.lines()
    text = "\n".join(lines)
    assert lines[0] == "Acme Data (acme): 4 directory contracts checked against USAspending."
    assert "Read-only: the directory is not changed" in lines[1]
    assert '  claim [unverified]: "Total of $139.3 million." (A thread)' in lines
    assert "    candidates by amount closeness (not confirmed):" in lines
    assert lines[-1] == "Claims: 2 agree, 2 differ, 4 not compared; 3 unverified in the directory."
    assert "! award HSCETC99C99999" in text
    d2 = report.to_dict()
    assert d2["counts"] == {"agree": 2, "differ": 2, "not_compared": 4, "unverified": 3}
    assert d2["contracts"][0]["claims"][1]["status"] == "differs"
    json.dumps(d2, default=str)  # serialisable for --json


def test_check_on_the_packaged_directory_palantir(d):
    client, _ = client_for(check_world())
    report = check_vendor_claims(d, "palantir", client)
    ids = [k.contract_id for k in report.contracts]
    assert ids == [c.id for c in d.contracts_for_vendor("palantir")]
    om = next(k for k in report.contracts if k.award_numbers == [PIID])
    assert om.awards[PIID]["amount"] == Decimal("150703824.61")


# ---- start-up cost -----------------------------------------------------------------------------


def test_importing_the_cli_and_the_library_does_not_import_httpx():
    code = ("import sys, foia.cli, foia.commands.contracts, foia.contracts; "
            "print('httpx' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": os.getcwd()})
    assert out.stdout.strip() == "False"


# ---- errors name fields, the CLI names flags ----------------------------------------------------


@pytest.mark.parametrize("call, field, message", [
    (lambda d: build_search(d, vendors=["x"], since="2020-01-01", until="2019-01-01"), "until",
     "until 2019-01-01 is before since 2020-01-01; swap them"),
    (lambda d: build_search(d, vendors=["x"], since="2014/01/01"), "since",
     "since '2014/01/01' is not a date; use YYYY-MM-DD, e.g. 2014-01-01"),
    (lambda d: build_search(d, keywords=["ab"]), "keyword",
     "keyword 'ab' is too short: USAspending needs at least 3 characters"),
    (lambda d: build_search(d, vendors=["x"], sort="size"), "sort",
     "sort 'size' is not one of amount, start-date, end-date, award-id, recipient"),
    (lambda d: build_search(d, agencies=["FBI"]), "agency",
     "no USAspending agency on file for FBI or its parents; search without agency or add `usaspending` "
     "to your directory override"),
    (lambda d: USAspendingClient("ftp://example"), "base_url",
     "base_url 'ftp://example' is not an http(s) URL; e.g. https://api.usaspending.gov"),
    (lambda d: make_client(timeout=0), "timeout", "timeout must be more than 0 seconds"),
    (lambda d: make_client(cache_ttl="forever"), "cache_ttl",
     "cache_ttl 'forever' is not a duration; use seconds or e.g. 30m, 24h, 7d"),
    (lambda d: client_for(lambda r: respond(200, page([])))[0].search_awards(ice_query(), max_results=-1),
     "max_results", "max_results must be 0 (no cap) or more"),
])
def test_library_errors_name_the_field_and_no_flag(d, call, field, message):
    with pytest.raises(FoiaError) as exc:
        call(d)
    assert (exc.value.field, exc.value.message) == (field, message)


def test_the_refusal_of_a_late_end_date_is_about_until():
    client, _ = client_for(lambda r: respond(422, {"detail": "Field 'end_date' value '2031-01-01' is above max "
                                                             "'2030-09-30'"}))
    with pytest.raises(FoiaError) as exc:
        client.search_awards(ice_query())
    assert exc.value.field == "until"
    assert exc.value.message.endswith("its searches end on 2030-09-30 at the latest: give until 2030-09-30 or earlier")


def test_no_contracts_module_writes_a_command_line_flag():
    import io
    import tokenize
    from pathlib import Path

    import foia.contracts

    # Python 3.12 tokenizes an f-string's text as FSTRING_MIDDLE, older ones as one STRING.
    strings = {tokenize.STRING, getattr(tokenize, "FSTRING_MIDDLE", tokenize.STRING)}
    flags = []
    for path in sorted(Path(foia.contracts.__file__).parent.glob("*.py")):
        for tok in tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline):
            text = tok.string.lstrip("rbfRBF")[1:] if tok.type == tokenize.STRING else tok.string
            if tok.type in strings and re.search(r"(^|[^`\w])--[a-z]", text):
                flags.append(f"{path.name}:{tok.start[0]}: {tok.string[:60]}")
    assert flags == []


def test_every_field_the_library_names_is_an_option_of_contracts_search():
    # The CLI shows a field as --field-name (foia.naming.flag): each must be a real option.
    import ast
    from pathlib import Path

    import foia.contracts
    from foia.commands.contracts import contracts_search

    named = set()
    for path in Path(foia.contracts.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            args = [*node.args[:1]] if getattr(node.func, "id", "") == "Field" else []
            args += [k.value for k in node.keywords if k.arg == "field"]
            args += node.args[1:2] if getattr(node.func, "id", "") in ("parse_date", "parse_duration") else []
            named |= {a.value for a in args if isinstance(a, ast.Constant) and isinstance(a.value, str)}
    options = {p.name for p in contracts_search.params if isinstance(p, click.Option)}
    assert named >= {"since", "until", "max_results", "base_url", "timeout", "cache_ttl"}
    assert named <= options, named - options
