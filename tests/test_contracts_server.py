"""What the real USAspending server does and foia must cope with (issue 21), and the client's
defences against a hostile or broken server: deep JSON, a slow drip, long Retry-After waits,
redirects to elsewhere, names that do not resolve. The fakes are in test_contracts_fakes.py;
timing and sockets are tested with real servers on 127.0.0.1."""

from __future__ import annotations

import re
import socket
import threading
import time
from decimal import Decimal

import httpx
import pytest
from click.testing import CliRunner

from foia.cli import cli
from foia.contracts import SearchQuery, USAspendingClient, award_to_letter_fields, build_search
from foia.directory import load_directory
from foia.errors import FoiaError
from foia.naming import as_flags

try:
    from .test_contracts_fakes import (DHS, GID, ICE, PARENT, PIID, FakeUSAspending, LocalServer, award, mod,
                                       official, respond)
except ImportError:  # tests/ is not a package: pytest puts it on sys.path
    from test_contracts_fakes import (DHS, GID, ICE, PARENT, PIID, FakeUSAspending, LocalServer, award, mod,
                                      official, respond)


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    for var in ("FOIA_CONFIG_DIR", "FOIA_DATA_DIR", "FOIA_CACHE_DIR"):
        monkeypatch.setenv(var, str(tmp_path / var.lower()))
    for var in ("FOIA_USASPENDING_URL", "FOIA_CACHE_TTL", "FOIA_DIRECTORY", "HTTP_PROXY", "HTTPS_PROXY",
                "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(var, raising=False)


class Sleeps(list):
    def __call__(self, seconds):
        self.append(seconds)


def client(fake, **kw):
    kw.setdefault("sleep", Sleeps())
    return USAspendingClient(transport=fake.transport, **kw)


def world(**kw) -> FakeUSAspending:
    return FakeUSAspending([{**award(), "transactions": [mod("0", "2022-09-26", 25000000.0, action="NEW"),
                                                         mod("P00001", "2023-09-20", 30000000.25)]},
                            official("award_contract.json"), official("award_idv.json")], **kw)


def run(*args):
    return CliRunner().invoke(cli, list(args))


# ---- 1, 2: award numbers unquoted and upper-cased ------------------------------------------------


def test_the_fake_answers_a_quoted_award_id_with_an_empty_503():
    fake = world()
    status, body, _ = fake.routes("POST", "/api/v2/search/spending_by_award/", {
        "filters": {"award_type_codes": ["A", "B", "C", "D"], "award_ids": [f'"{PIID}"']},
        "fields": ["Award ID"], "limit": 100})
    assert (status, body) == (503, b"")


@pytest.mark.parametrize("given", [PIID, PIID.lower(), f"  {PIID[:5].lower()}{PIID[5:]} "])
def test_an_award_number_is_sent_unquoted_and_upper_cased(given):
    fake = world()
    detail = client(fake).award_detail(given)
    assert detail.generated_id == GID and len(detail.transactions) == 2
    assert fake.bodies[0]["filters"] == {"award_type_codes": ["A", "B", "C", "D"], "award_ids": [PIID]}


def test_a_lower_case_generated_id_is_upper_cased():
    fake = world()
    detail = client(fake).award_detail(GID.lower())
    assert detail.generated_id == GID
    assert [p for _, p, _ in fake.requests] == [f"/api/v2/awards/{GID}/", "/api/v2/transactions/"]


def test_an_idv_number_in_lower_case_is_found_among_idvs():
    fake = world()
    detail = client(fake).award_detail("fa304715a0037", with_transactions=False)
    assert detail.generated_id == "CONT_IDV_FA304715A0037_9700"
    assert [b["filters"]["award_type_codes"][0] for b in fake.bodies[:2]] == ["A", "IDV_A"]


# ---- the official examples -----------------------------------------------------------------------


def test_the_official_contract_example_with_a_parent_idv():
    fields = award_to_letter_fields({**official("award_contract.json"),
                                     "transactions": official("transactions.json")["results"]})
    assert (fields["piid"], fields["parent_piid"], fields["recipient"]) == ("H907", "SPE2DX16D1500", "MCKESSON CORPORATION")
    assert (fields["amount"], fields["ceiling"]) == (Decimal("61241.34"), Decimal("61241.34"))
    assert (fields["awarding_agency"], fields["awarding_sub_agency"], fields["awarding_office"]) == (
        "Department of Defense", "Defense Logistics Agency", "DLA TROOP SUPPORT")
    assert (fields["start_date"], fields["end_date"], fields["potential_end_date"], fields["date_signed"]) == (
        "2016-06-24", "2016-06-27", "2016-06-27", "2016-06-24")
    assert fields["modifications"] == [{"modification_number": None, "action_date": "2020-01-30",
                                        "action_type_description": "NEW", "federal_action_obligation": Decimal("11041.0"),
                                        "description": "GRANT TO LOCAL GOVERNMENT FOR REPAIR OR REPLACEMENT OF "
                                                       "DISASTER DAMAGED FACILITIES"}]


def test_the_official_idv_example_has_no_parent_and_shows():
    fake = world()
    c = client(fake)
    detail = c.award_detail("CONT_IDV_FA304715A0037_9700")
    fields = award_to_letter_fields(detail)
    assert (fields["piid"], fields["parent_piid"], fields["award_type"], fields["amount"]) == (
        "FA304715A0037", None, "BPA", Decimal("0.0"))
    assert detail.transactions == []  # an award with no rows: an empty page, not a 404


# ---- 3: past 10,000 (the paging tests in test_contracts.py), 4: the end date -----------------


def test_an_end_date_past_the_maximum_says_to_give_until():
    fake = world(end_date_refused=True)
    d = load_directory()
    query, _ = build_search(d, vendors=["palantir"], since="2020-01-01", until="2028-01-01")
    with pytest.raises(FoiaError) as exc:
        client(fake).search_awards(query)
    assert as_flags(exc.value) == ("USAspending refused the search (HTTP 422): Field 'end_date' value '2028-01-01' "
                                 "is above max '2027-09-30'; its searches end on 2027-09-30 at the latest: "
                                 "give --until 2027-09-30 or earlier")


def test_the_maximum_is_read_from_the_refusal_not_hard_coded():
    def handler(request):
        return respond(422, {"detail": "Field 'end_date' value '2031-01-01' is above max '2030-09-30'"})

    c = USAspendingClient(transport=httpx.MockTransport(handler), sleep=Sleeps())
    with pytest.raises(FoiaError) as exc:
        c.search_awards(SearchQuery(recipients=("x",)))
    assert re.search(r"give --until 2030-09-30 or earlier$", as_flags(exc.value))


# ---- 5: transactions ------------------------------------------------------------------------------


def test_transactions_ask_for_5000_a_page_and_keep_each_once():
    """5,003 modifications on one day: the server orders ties differently for each page's
    offset (the fake reverses them on even pages), so page 2 repeats rows of page 1."""
    mods = [mod(f"P{n:05d}", "2024-01-02", 1.0, tid=str(n)) for n in range(5003)]
    fake = FakeUSAspending([{**award(), "transactions": mods}])
    got = client(fake).transactions(GID)
    asked = [b for _, p, b in fake.requests if p == "/api/v2/transactions/"]
    assert [(b["page"], b["limit"]) for b in asked] == [(1, 5000), (2, 5000)]
    ids = [t["id"] for t in got]
    assert len(ids) == len(set(ids)) == 5000  # three repeats dropped


# ---- 6: an agency name USAspending does not know --------------------------------------------------


def test_an_agency_search_with_no_rows_says_names_must_match_exactly():
    fake = world()
    q = SearchQuery(agencies=({"type": "awarding", "tier": "subtier", "name": "US Immigration and Customs Enforcement",
                               "toptier_name": DHS},), recipients=("Palantir",))
    out = client(fake).search_awards(q)
    assert out.awards == []
    assert out.notes == ["no awards by 'US Immigration and Customs Enforcement' (Department of Homeland Security): "
                         "agency names must match USAspending's spelling exactly (check the `usaspending` record "
                         "in your directory override)"]
    right = client(fake).search_awards(SearchQuery(agencies=({"type": "awarding", "tier": "subtier", "name": ICE,
                                                              "toptier_name": DHS},)))
    assert len(right.awards) == 1 and right.notes == []


def test_the_cli_prints_the_agency_note(tmp_path):
    override = tmp_path / "over.yaml"
    override.write_text("agencies:\n  - id: ice\n    usaspending: {toptier_name: Department of Homeland Security, "
                        "subtier_name: US Immigration & Customs Enforcement, sources: [government-apis], verified: true}\n")
    with LocalServer(world().routes) as s:
        r = run("--directory", str(override), "contracts", "search", "palantir", "--agency", "ICE", "--base-url", s.url)
    assert r.exit_code == 0, r.output
    assert r.stdout == "No contract awards found on USAspending.\n"
    assert ("no awards by 'US Immigration & Customs Enforcement' (Department of Homeland Security): agency names "
            "must match USAspending's spelling exactly") in r.stderr


# ---- hostile or broken servers --------------------------------------------------------------------


def test_an_answer_nested_200000_deep_is_one_line():
    deep = b"[" * 200_000 + b"]" * 200_000
    c = USAspendingClient(transport=httpx.MockTransport(lambda r: respond(200, deep)), sleep=Sleeps())
    with pytest.raises(FoiaError) as exc:
        c.search_awards(SearchQuery(recipients=("x",)))
    assert as_flags(exc.value) == ("USAspending's answer to the search is nested too deeply to read (HTTP 200); "
                                 "try again later or check --base-url")


def test_the_cli_says_one_line_for_a_deep_answer():
    deep = b"{\"detail\": " + b"[" * 200_000 + b"]" * 200_000 + b"}"
    with LocalServer(lambda m, p, b: (200, b"{\"a\":" * 200_000 + b"1" + b"}" * 200_000, {})) as s:
        r = run("contracts", "search", "palantir", "--base-url", s.url, "--no-cache")
    assert r.exit_code == 1 and "Traceback" not in r.output
    assert r.stderr.splitlines()[-1] == ("Error: USAspending's answer to the search is nested too deeply to read "
                                         "(HTTP 200); try again later or check --base-url")
    assert r.stderr.count("Error") == 1
    # an error body that deep is quoted cut short, not parsed
    with LocalServer(lambda m, p, b: (400, deep, {})) as s:
        r = run("contracts", "search", "palantir", "--base-url", s.url, "--no-cache")
    assert r.exit_code == 1
    assert r.stderr.splitlines()[-1].startswith("Error: USAspending refused the search (HTTP 400): {\"detail\": [[[")
    assert r.stderr.count("Error") == 1


class Drip:
    """A server on 127.0.0.1 that answers every connection one byte a second (headers and body,
    or a quick header then the body), for at most ``seconds``."""

    def __init__(self, *, headers_too: bool, seconds: float = 30):
        self.headers_too, self.seconds = headers_too, seconds
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.sock.close()
        self.thread.join(timeout=5)

    def _serve(self):
        self.sock.settimeout(0.2)
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            threading.Thread(target=self._drip, args=(conn,), daemon=True).start()

    def _drip(self, conn):
        body = b'{"results": [], "page_metadata": {"hasNext": false}}' + b" " * 100
        head = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                + str(len(body)).encode() + b"\r\n\r\n")
        try:
            conn.recv(65536)
            if not self.headers_too:
                conn.sendall(head)
            end = time.monotonic() + self.seconds
            for byte in ((head if self.headers_too else b"") + body):
                if self.stop.is_set() or time.monotonic() > end:
                    break
                conn.sendall(bytes([byte]))
                self.stop.wait(1.0)
        except OSError:
            pass  # the client hung up: what it should do
        finally:
            conn.close()


@pytest.mark.parametrize("headers_too", [False, True], ids=["body", "headers"])
def test_a_server_dripping_a_byte_a_second_hits_the_overall_timeout(headers_too):
    with Drip(headers_too=headers_too) as server:
        c = USAspendingClient(server.url, timeout=1.5, retries=0, sleep=Sleeps())
        started = time.monotonic()
        with pytest.raises(FoiaError) as exc:
            c.search_awards(SearchQuery(recipients=("x",)))
        elapsed = time.monotonic() - started
        c.close()
    assert as_flags(exc.value) == ("USAspending did not answer after 1 try (timed out after 1.5 s); "
                                 "try again later or use --base-url")
    assert elapsed < 10  # the server would drip for 30 s; httpx's read timeout alone never fires


def test_the_cli_timeout_bounds_a_dripping_server():
    with Drip(headers_too=False) as server:
        started = time.monotonic()
        r = run("contracts", "search", "palantir", "--base-url", server.url, "--timeout", "1", "--no-cache")
        elapsed = time.monotonic() - started
    assert r.exit_code == 1
    assert r.stderr.splitlines()[-1] == ("Error: USAspending did not answer after 4 tries (timed out after 1 s); "
                                         "try again later or use --base-url")
    assert "waiting 1 s before trying the search again" in r.stderr
    assert elapsed < 30  # 4 tries of 1 s and waits of 1, 2 and 4 s; the drip alone would take minutes


def test_redirects_are_followed_within_the_same_origin_only():
    # ``two`` on another port of 127.0.0.1 is another origin
    here = world()
    with LocalServer(world().routes) as two:
        def one(method, path, body):
            for prefix, to in (("/old/", "/new/"), ("/new/", "/"), ("/away/", two.url + "/")):
                if path.startswith(prefix):
                    return 307 if prefix != "/old/" else 308, b"", {"Location": to + path[len(prefix):]}
            return here.routes(method, path, body)

        with LocalServer(one) as s:
            c = USAspendingClient(s.url + "/old", sleep=Sleeps())
            assert c.award_detail(PIID).generated_id == GID  # POSTs and a GET, two hops each, same origin
            away = USAspendingClient(s.url + "/away", sleep=Sleeps())
            with pytest.raises(FoiaError) as exc:
                away.award(GID)
            r = run("contracts", "show", GID, "--base-url", s.url + "/away", "--no-cache")
    assert [p for m, p, b in here.requests] == ["/api/v2/search/spending_by_award/", f"/api/v2/awards/{GID}/",
                                                "/api/v2/transactions/"]
    assert here.requests[0][2]["filters"]["award_ids"] == [PIID]  # the body survived the hops
    assert as_flags(exc.value) == (f"USAspending at {s.url}/away redirected to {two.url}/api/v2/awards/{GID}/, "
                                 f"outside {s.url}; foia follows redirects only within the same scheme, host "
                                 "and port; check --base-url")
    assert two.requests == []  # nothing was sent there
    assert r.exit_code == 1 and r.stderr.startswith(f"Error: USAspending at {s.url}/away redirected to ")
    assert r.stderr.count("\n") == 1


def test_a_redirect_from_https_to_http_is_refused():
    seen = []

    def handler(request):
        seen.append(str(request.url))
        if request.url.scheme == "https":
            return httpx.Response(301, headers={"Location": str(request.url.copy_with(scheme="http"))})
        return respond(200, official("award_contract.json"))

    c = USAspendingClient(transport=httpx.MockTransport(handler), sleep=Sleeps())
    with pytest.raises(FoiaError, match=r"^USAspending at https://api\.usaspending\.gov redirected to "
                                        r"http://api\.usaspending\.gov/api/v2/awards/X/, outside "
                                        r"https://api\.usaspending\.gov; "):
        c.award("X")
    assert seen == ["https://api.usaspending.gov/api/v2/awards/X/"]


def test_a_name_that_does_not_resolve_is_not_retried(monkeypatch):
    looked_up = []

    def no_dns(host, *args, **kwargs):
        looked_up.append(host)
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    sleeps = Sleeps()
    c = USAspendingClient("https://api.usaspending.gov", sleep=sleeps)
    with pytest.raises(FoiaError) as exc:
        c.search_awards(SearchQuery(recipients=("x",)))
    assert as_flags(exc.value) == ("cannot reach USAspending: the name api.usaspending.gov does not resolve (offline?); "
                                 "`foia vendors show VENDOR` shows the directory's contracts offline")
    assert looked_up == ["api.usaspending.gov"] and sleeps == []


def test_the_cli_offline_is_one_line_and_quick(monkeypatch):
    def no_dns(host, *args, **kwargs):
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    r = run("contracts", "search", "palantir", "--no-cache")
    assert r.exit_code == 1
    assert r.stderr.splitlines() == ["vendor palantir: searching recipient names Palantir",
                                     "Error: cannot reach USAspending: the name api.usaspending.gov does not resolve "
                                     "(offline?); `foia vendors show VENDOR` shows the directory's contracts offline"]
    assert run("vendors", "show", "palantir").exit_code == 0  # which works offline, as said


# ---- the journalist's commands against a server that behaves as USAspending does ----------------


@pytest.fixture
def server():
    with LocalServer(world().routes) as s:
        yield s


def test_contracts_search_takes_the_vendor_as_an_argument(server):
    r = run("contracts", "search", "palantir", "--agency", "ICE", "--base-url", server.url)
    assert r.exit_code == 0, r.output
    assert r.stderr.splitlines()[0] == "vendor palantir: searching recipient names Palantir"
    assert r.stdout.splitlines()[2].startswith(f"{PIID}  PALANTIR USG INC  $150,703,824.61")
    body = server.requests[0][2]
    assert body["filters"]["recipient_search_text"] == ["Palantir"]
    both = run("contracts", "search", "palantir", "--vendor", "Acme Corp", "--base-url", server.url, "--json")
    assert both.exit_code == 0 and server.requests[-1][2]["filters"]["recipient_search_text"] == ["Palantir", "Acme Corp"]


def test_contracts_show_a_lower_case_award_number(server):
    r = run("contracts", "show", PIID.lower(), "--base-url", server.url)
    assert r.exit_code == 0, r.output
    assert r.stdout.startswith(f"Award {PIID} (DELIVERY ORDER)\n")
    assert f"Parent award:         {PARENT}" in r.stdout.splitlines()
    assert server.requests[0][2]["filters"]["award_ids"] == [PIID]


def test_draft_contract_lookup_against_the_server(server, tmp_path):
    out = tmp_path / "letters"
    r = run("draft", "contract", "--award", PIID.lower(), "--to", "ICE", "--lookup", "--base-url", server.url,
            "--no-profile", "--requester-name", "Sam Doe", "--requester-email", "sam@example.org",
            "--date", "2026-11-23", "--out", str(out))
    assert r.exit_code == 0, r.output
    text = (out / "2026-11-23-ice-contract.txt").read_text()
    assert f"- Award ID: {PIID}" in text and f"- Parent award: {PARENT}" in text
    assert "- Amount: $150,703,824.61" in text and "- Modifications listed: 2" in text


def test_vendors_show_check_against_the_server(server):
    r = run("vendors", "show", "palantir", "--check", "--base-url", server.url)
    assert r.exit_code == 0, r.output
    assert f"USAspending {PIID} ({GID}): PALANTIR USG INC, obligated $150,703,824.61" in r.stdout
    assert all(b["filters"].get("award_ids") in (None, [PIID]) for m, p, b in server.requests if b and "filters" in b)


def test_the_claims_check_reports_an_agency_name_that_finds_nothing(tmp_path):
    from foia.contracts import check_vendor_claims
    from foia.directory import parse_directory

    d = parse_directory("""
version: 1
sources:
  - {id: s, title: "A source"}
agencies:
  - id: ice
    name: U.S. Immigration and Customs Enforcement
    abbreviation: ICE
    kind: component
    usaspending: {toptier_name: Department of Homeland Security, subtier_name: Immigration & Customs Enforcement, sources: [s], verified: false}
vendors:
  - {id: acme, name: Acme Data, usaspending_names: [Palantir]}
contracts:
  - id: acme-1
    title: A contract without an award number
    vendors: [acme]
    agency: ice
    claims:
      - {text: "$1 million.", amount: 1000000, basis: award, sources: [s], verified: false}
""", "over.yaml")
    report = check_vendor_claims(d, "acme", client(world()))
    assert report.contracts[0].problems == [
        "no awards by 'Immigration & Customs Enforcement' (Department of Homeland Security): agency names must "
        "match USAspending's spelling exactly (check the `usaspending` record in your directory override)"]


def test_a_mixed_award_type_refusal_quotes_its_message():
    # foia never mixes groups; a caller of the library may, and gets the server's own words
    with pytest.raises(FoiaError) as exc:
        client(world()).search_awards(SearchQuery(recipients=("x",), award_types=("A", "IDV_A")))
    assert as_flags(exc.value) == ("USAspending refused the search (HTTP 422): "
                                 "'award_type_codes' must only contain types from one group.")
