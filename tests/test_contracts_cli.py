"""`foia contracts search|show` against a local HTTP server speaking USAspending's shapes."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner

from foia.cli import cli

try:
    from .test_contracts_fakes import DHS, GID, ICE, PARENT, PIID, FakeUSAspending, LocalServer, award, mod
except ImportError:  # tests/ is not a package: pytest puts it on sys.path
    from test_contracts_fakes import DHS, GID, ICE, PARENT, PIID, FakeUSAspending, LocalServer, award, mod

OTHER = "HSCETC14C00001"
MODS = [mod("0", "2022-09-26", 25000000.0, action="NEW", description="ICM O&M BASE"),
        mod("P00001", "2023-09-20", 30000000.25)]


def awards() -> list[dict]:
    """Two ICE awards to Palantir, as award-detail answers (the official example's shape)."""
    return [{**award(description="INVESTIGATIVE CASE MANAGEMENT (ICM) OPERATIONS AND MAINTENANCE"), "transactions": MODS},
            award(OTHER, parent=None, total=41987333.5, options=41987333.5, start="2014-09-01", end="2019-08-31",
                  signed="2014-09-01", gid=f"CONT_AWD_{OTHER}_7012_-NONE-_-NONE-", internal_id=2,
                  description="INVESTIGATIVE CASE MANAGEMENT SYSTEM DEVELOPMENT, HOSTING, SUPPORT AND TRAINING SERVICES")]


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    for var in ("FOIA_CONFIG_DIR", "FOIA_DATA_DIR", "FOIA_CACHE_DIR"):
        monkeypatch.setenv(var, str(tmp_path / var.lower()))
    for var in ("FOIA_USASPENDING_URL", "FOIA_CACHE_TTL", "FOIA_DIRECTORY", "HTTP_PROXY", "HTTPS_PROXY",
                "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def server():
    with LocalServer(FakeUSAspending(awards()).routes) as s:
        yield s


def run(*args):
    return CliRunner().invoke(cli, list(args))


def test_search_prints_a_table_with_notes_and_count_on_stderr(server):
    r = run("contracts", "search", "--vendor", "palantir", "--agency", "ICE", "--since", "2014-01-01",
            "--until", "2025-09-30", "--keyword", "case management", "--base-url", server.url)
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["AWARD", "ID", "RECIPIENT", "AMOUNT", "START", "END", "SUB", "AGENCY", "DESCRIPTION"]
    assert lines[2].startswith(f"{PIID}  PALANTIR USG INC  $150,703,824.61  2022-09-26  2026-05-04  {ICE}")
    assert "$41,987,333.50" in lines[3] and lines[3].endswith("INVESTIGATIVE CASE MANAGEMENT SYSTEM DEVELOPMENT, HOSTING, …")
    assert r.stderr.splitlines() == ["vendor palantir: searching recipient names Palantir",
                                     f"agency ICE: searching awards by {ICE} ({DHS})",
                                     "2 contract awards fetched from USAspending (1 page)"]
    (method, path, body), = server.requests
    assert (method, path) == ("POST", "/api/v2/search/spending_by_award/")
    assert body["filters"] == {
        "award_type_codes": ["A", "B", "C", "D"],
        "agencies": [{"type": "awarding", "tier": "subtier", "name": ICE, "toptier_name": DHS}],
        "recipient_search_text": ["Palantir"], "keywords": ["case management"],
        "time_period": [{"start_date": "2014-01-01", "end_date": "2025-09-30"}]}


def test_search_json_and_csv(server):
    r = run("contracts", "search", "--vendor", "palantir", "--json", "--base-url", server.url)
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert [list(row) for row in data] == [["award_id", "recipient", "amount", "start_date", "end_date",
                                            "awarding_agency", "awarding_sub_agency", "description",
                                            "generated_internal_id"]] * 2
    assert (data[0]["award_id"], data[0]["amount"], data[1]["amount"]) == (PIID, "150703824.61", "41987333.5")

    r = run("contracts", "search", "--vendor", "palantir", "--csv", "--base-url", server.url)
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert [(x["award_id"], x["amount"], x["awarding_sub_agency"]) for x in rows] == [
        (PIID, "150703824.61", ICE), ("HSCETC14C00001", "41987333.5", ICE)]
    assert len(server.requests) == 1  # the second command was answered from the cache


def test_search_cache_refresh_no_cache_and_env_base_url(server, monkeypatch, tmp_path):
    args = ["contracts", "search", "--keyword", "license plate"]
    monkeypatch.setenv("FOIA_USASPENDING_URL", server.url)
    assert run(*args).exit_code == 0
    assert run(*args).exit_code == 0
    assert len(server.requests) == 1
    assert run(*args, "--refresh").exit_code == 0
    assert len(server.requests) == 2
    assert run(*args, "--no-cache").exit_code == 0
    assert len(server.requests) == 3
    assert run(*args, "--cache-ttl", "0").exit_code == 0
    assert len(server.requests) == 4
    assert len(list((tmp_path / "foia_cache_dir" / "usaspending").glob("*.json"))) == 1


def test_search_refusal_is_one_line_on_stderr():
    # a server that refuses an end date past its maximum instead of capping it (FakeUSAspending)
    with LocalServer(FakeUSAspending(awards(), end_date_refused=True).routes) as s:
        r = run("contracts", "search", "palantir", "--since", "2020-01-01", "--until", "2028-01-01", "--base-url", s.url)
    assert r.exit_code == 1
    assert r.stdout == ""
    assert r.stderr.splitlines()[-1] == (
        "Error: USAspending refused the search (HTTP 422): Field 'end_date' value '2028-01-01' is above max "
        "'2027-09-30'; its searches end on 2027-09-30 at the latest: give --until 2027-09-30 or earlier")


@pytest.mark.parametrize("args, message", [
    (["--keyword", "ab"], "Error: --keyword 'ab' is too short: USAspending needs at least 3 characters"),
    (["--vendor", "x", "--since", "2001-01-01"], "Error: --since 2001-01-01 is before 2007-10-01"),
    (["--agency", "FBI"], "Error: no USAspending agency on file for FBI or its parents"),
    (["--vendor", "x", "--cache-ttl", "soon"], "Error: --cache-ttl 'soon' is not a duration"),
    (["--vendor", "x", "--base-url", "api.usaspending.gov"], "Error: --base-url 'api.usaspending.gov' is not an http(s) URL"),
    ([], "Error: give --vendor, --agency or --keyword to narrow the search"),
])
def test_search_usage_errors(server, args, message):
    r = run("contracts", "search", *args, "--base-url" if "--base-url" not in args else "--timeout",
            server.url if "--base-url" not in args else "5")
    assert r.exit_code in (1, 2)
    assert r.stderr.startswith(message) and r.stderr.count("\n") == 1
    assert "Traceback" not in r.output
    assert server.requests == []


def test_cbp_search_says_it_widens_to_dhs(server):
    r = run("contracts", "search", "--vendor", "salesforce", "--agency", "CBP", "--base-url", server.url)
    assert r.exit_code == 0, r.output
    assert "no USAspending sub-agency on file for CBP; searching all of Department of Homeland Security" in r.stderr
    assert server.requests[0][2]["filters"]["agencies"] == [{"type": "awarding", "tier": "toptier", "name": DHS}]


def test_show_by_award_number(server):
    r = run("contracts", "show", PIID, "--base-url", server.url)
    assert r.exit_code == 0, r.output
    out = r.stdout
    assert out.startswith(f"Award {PIID} (DELIVERY ORDER)\n")
    for line in (f"USAspending id:       {GID}", f"Parent award:         {PARENT}", "Recipient:            PALANTIR USG INC",
                 f"Awarding agency:      {ICE}, {DHS}", "Total obligated:      $150,703,824.61",
                 "Performance:          2022-09-26 to 2026-05-04", "Transactions (2; the base award and its modifications):"):
        assert line in out.splitlines()
    assert "0 (base)  2022-09-26  NEW" in out and "$30,000,000.25" in out
    assert [(m, p) for m, p, _ in server.requests] == [("POST", "/api/v2/search/spending_by_award/"),
                                                      ("GET", f"/api/v2/awards/{GID}/"),
                                                      ("POST", "/api/v2/transactions/")]


def test_show_json_by_generated_id(server):
    r = run("contracts", "show", GID, "--json", "--base-url", server.url)
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert (data["piid"], data["parent_piid"], data["amount"], data["awarding_sub_agency"]) == (
        PIID, PARENT, "150703824.61", ICE)
    assert [m["modification_number"] for m in data["modifications"]] == ["0", "P00001"]
    assert [p for _, p, _ in server.requests] == [f"/api/v2/awards/{GID}/", "/api/v2/transactions/"]


def test_show_unknown_award(server):
    r = run("contracts", "show", "CONT_AWD_NOPE_7012_-NONE-_-NONE-", "--base-url", server.url)
    assert r.exit_code == 1
    assert r.stderr == ("Error: no award 'CONT_AWD_NOPE_7012_-NONE-_-NONE-' on USAspending (HTTP 404): No Award found "
                        "with: {'generated_unique_award_id_legacy': 'CONT_AWD_NOPE_7012_-NONE-_-NONE-'}\n")
    r = run("contracts", "show", "HSCE99", "--base-url", server.url)
    assert r.exit_code == 1
    assert r.stderr.startswith("Error: no contract with award number 'HSCE99' on USAspending")
    r = run("contracts", "show", PIID, "--agency", "NASA", "--base-url", server.url)
    assert r.exit_code == 1 and r.stderr.startswith("Error: no agency 'NASA'")


def test_unreachable_server_gives_up_in_one_line(monkeypatch):
    import foia.contracts

    monkeypatch.setattr(foia.contracts.client.time, "sleep", lambda s: None)
    with LocalServer(FakeUSAspending([]).routes) as s:
        url = s.url  # a port that was just free: nothing listens on it now
    r = run("contracts", "search", "--vendor", "palantir", "--base-url", url, "--no-cache")
    assert r.exit_code == 1
    assert r.stderr.splitlines()[-1] == ("Error: USAspending did not answer after 4 tries (could not connect: "
                                         "[Errno 111] Connection refused); try again later or use --base-url")


def test_help_is_there_for_every_contracts_command():
    assert "contracts" in run("--help").output
    for args in (["contracts", "--help"], ["contracts", "search", "--help"], ["contracts", "show", "--help"]):
        r = run(*args)
        assert r.exit_code == 0 and "Usage:" in r.output


def test_vendors_show_check_compares_directory_claims_with_usaspending(server):
    r = run("vendors", "show", "palantir", "--check", "--base-url", server.url)
    assert r.exit_code == 0, r.output
    out = r.output
    assert "USAspending check:" in out
    assert "Read-only: the directory is not changed" in out
    assert f"USAspending {PIID}" in out and "obligated $150,703,824.61" in out
    data = json.loads(run("vendors", "show", "palantir", "--check", "--base-url", server.url, "--json").output)
    icm = next(c for c in data["check"]["contracts"] if c["contract"] == "palantir-icm-om-2022")
    assert PIID in icm["usaspending_awards"]
    statuses = {c["text"][:20]: c["status"] for c in icm["claims"]}
    assert statuses["Task order 70CTD022F"] == "agrees"
    assert statuses["Total of $139.3 mill"] == "differs"


def test_vendors_show_check_unreachable_is_one_line(monkeypatch):
    import foia.contracts

    monkeypatch.setattr(foia.contracts.client.time, "sleep", lambda s: None)
    r = run("vendors", "show", "github", "--check", "--base-url", "http://127.0.0.1:9")
    assert r.exit_code == 1 and "Traceback" not in r.output
    # each wait is said before it starts, then one error line
    assert r.stderr.splitlines() == [
        f"USAspending: could not connect: [Errno 111] Connection refused on try {n} of 4; waiting {s} s before "
        "trying the search again" for n, s in ((1, 1), (2, 2), (3, 4))] + [
        "Error: USAspending did not answer after 4 tries (could not connect: [Errno 111] Connection "
        "refused); try again later or use --base-url"]
    assert r.stdout == ""


def test_draft_contract_lookup_fills_the_letter_from_usaspending(server, tmp_path):
    out = tmp_path / "letters"
    r = run("draft", "contract", "--award", PIID, "--to", "ICE", "--lookup", "--base-url", server.url, "--no-profile",
            "--requester-name", "Sam Doe", "--requester-email", "sam@example.org", "--date", "2026-11-23",
            "--out", str(out))
    assert r.exit_code == 0, r.output
    text = (out / "2026-11-23-ice-contract.txt").read_text()
    assert "USAspending.gov lists the award as follows:" in text
    assert f"- Award ID: {PIID}" in text and f"- Parent award: {PARENT}" in text
    assert "- Amount: $150,703,824.61" in text
    assert "- Modifications listed: 2" in text
    # the directory's claims about the same award are still listed with their sources
    assert "Source: USAspending figures as cited by third parties (unconfirmed)" in text


def test_draft_contract_lookup_names_the_option_of_a_bad_base_url(tmp_path):
    # The library says base_url; every command that calls it shows its own --base-url.
    out = tmp_path / "letters"
    r = run("draft", "contract", "--award", PIID, "--to", "ICE", "--lookup", "--base-url", "ftp://example",
            "--no-profile", "--requester-name", "Sam Doe", "--requester-email", "sam@example.org",
            "--date", "2026-11-23", "--out", str(out))
    assert r.exit_code == 2 and r.stdout == ""
    assert r.stderr == ("Error: --base-url 'ftp://example' is not an http(s) URL; "
                        "e.g. https://api.usaspending.gov\n")
    assert not out.exists()


def test_draft_contract_lookup_unknown_award_writes_nothing(server, tmp_path):
    out = tmp_path / "letters"
    r = run("draft", "contract", "--award", "NOSUCHAWARD1", "--to", "ICE", "--lookup", "--base-url", server.url,
            "--no-profile", "--requester-name", "Sam Doe", "--out", str(out))
    assert r.exit_code == 1
    assert r.output.count("\n") == 1 and r.output.startswith("Error: ")
    assert not out.exists()


def test_draft_contract_lookup_track_links_an_award_the_directory_does_not_know(tmp_path):
    new = "70CMSD21C00000001"
    world = FakeUSAspending([*awards(), award(new, parent=None, total=1234567.0, options=1234567.0, internal_id=3,
                                              gid=f"CONT_AWD_{new}_7012_-NONE-_-NONE-")])
    routes = world.routes

    db = f"sqlite:///{tmp_path / 'q.db'}"
    with LocalServer(routes) as s:
        r = run("draft", "contract", "--award", new, "--to", "ICE", "--lookup", "--base-url", s.url, "--no-profile",
                "--requester-name", "Sam Doe", "--requester-email", "sam@example.org",
                "--out", str(tmp_path / "letters"), "--track", "--db", db)
    assert r.exit_code == 0, r.output
    shown = json.loads(run("track", "--db", db, "show", "1", "--json").stdout)
    assert shown["contracts"] == [new] and shown["kind"] == "contract"


def test_track_add_refuses_a_contract_that_is_neither_known_nor_an_award_number(tmp_path):
    r = run("track", "--db", f"sqlite:///{tmp_path / 'q.db'}", "add", "--title", "X", "--office", "ICE",
            "--contract", "not a piid")
    assert r.exit_code == 2
    assert r.output == ("Error: --contract: 'not a piid' is neither a directory contract (`foia vendors show`) nor an "
                        "award number like 70CTD022FR0000170\n")
