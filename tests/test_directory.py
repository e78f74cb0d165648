"""The packaged directory: integrity against the sources, and the loader's errors."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from foia.directory import DirectoryError, load_directory, packaged_path, parse_directory

SHARED = Path(__file__).resolve().parents[2] / "shared"
FACT_SHEET = SHARED / "reference" / "dhs-foia-facts.md"


@pytest.fixture(scope="module")
def d():
    return load_directory(override=None)


@pytest.fixture(scope="module")
def facts_text() -> str:
    if not FACT_SHEET.exists():
        pytest.skip("shared/reference is not beside this checkout")
    return " ".join(FACT_SHEET.read_text(encoding="utf-8").split())


def all_facts(d):
    """(where, fact) for every sourced fact in the directory."""
    for a in d.agencies.values():
        for name in ("regulation", "filing", "clock", "appeal", "identity_form", "usaspending"):
            if getattr(a, name):
                yield f"agency {a.id} {name}", getattr(a, name)
        for i, c in enumerate(a.contacts):
            yield f"agency {a.id} contact {i}", c
        for n in a.notes:
            yield f"agency {a.id} note", n
    for s in d.systems.values():
        for f in (*s.description, *s.pias, *s.sorns):
            yield f"system {s.id}", f
    for v in d.vendors.values():
        for n in v.notes:
            yield f"vendor {v.id} note", n
    for c in d.contracts.values():
        for cl in c.claims:
            yield f"contract {c.id}", cl


# ---- integrity -------------------------------------------------------------------------------


def test_packaged_directory_loads_with_every_section(d):
    assert {"dhs", "dhs-privacy", "ice", "hsi", "ero", "cbp", "uscis", "obim", "dhs-oig", "fbi", "ogis"} <= set(d.agencies)
    assert len(d.systems) >= 10 and len(d.vendors) >= 8 and len(d.contracts) >= 10


def test_every_fact_has_a_known_source(d):
    facts = list(all_facts(d))
    assert len(facts) > 100
    for where, fact in facts:
        assert fact.sources, where
        for sid in fact.sources:
            assert sid in d.sources, (where, sid)


def test_every_seed_file_is_a_source_and_exists(d):
    seeds = {s.file for s in d.sources.values() if s.file and s.file.startswith("seeds/")}
    assert len(seeds) == 5
    if SHARED.exists():
        assert seeds == {f"seeds/{p.name}" for p in (SHARED / "seeds").iterdir()}


@pytest.mark.parametrize("system", ["ICM", "FALCON", "ImmigrationOS", "EID", "A-File", "TECS", "IDENT", "HART",
                                    "license plate readers", "SMOUT", "NCIC"])
def test_every_system_the_seeds_and_fact_sheet_name_is_present(d, system):
    assert d.system(system)


@pytest.mark.parametrize("vendor", ["Palantir", "Thomson Reuters", "West Publishing", "TRSS", "LexisNexis",
                                    "Vigilant", "AWS", "Amazon", "Microsoft", "GitHub", "Salesforce"])
def test_every_vendor_the_issue_names_is_present(d, vendor):
    assert d.vendor(vendor)


def _amount_forms(amount: Decimal) -> list[str]:
    millions = amount / Decimal(1_000_000)
    m = f"{millions.normalize():f}"
    whole = f"{amount:,.2f}" if amount != amount.to_integral_value() else f"{int(amount):,}"
    return [f"${whole}", f"${m}M", f"${m} million"]


def test_every_verified_fact_matches_the_fact_sheet(d, facts_text):
    fact_sheet_backed = {sid for sid, s in d.sources.items()
                         if sid == "fact-sheet" or s.via == "fact-sheet" or sid == "government-apis"}
    checked = 0
    for where, fact in all_facts(d):
        if not fact.verified:
            continue
        assert set(fact.sources) & fact_sheet_backed, f"{where}: verified but no fact-sheet source"
        value = getattr(fact, "value", None)
        if value is not None:
            assert value in facts_text, f"{where}: {value!r} not in the fact sheet"
            checked += 1
        ident = getattr(fact, "id", None)
        if ident is not None and isinstance(ident, str) and "/" in ident:
            assert ident.replace("PIA-004(a)", "PIA-004") in facts_text or ident in facts_text, where
            checked += 1
        amount = getattr(fact, "amount", None)
        if amount is not None:
            assert any(form in facts_text for form in _amount_forms(amount)), f"{where}: {amount} not in fact sheet"
            checked += 1
    assert checked > 40


@pytest.mark.parametrize("agency,value", [
    ("dhs-privacy", "foia@hq.dhs.gov"), ("dhs-privacy", "202-343-1743"), ("ice", "(202) 732-4265"),
    ("ice", "(202) 732-4266"), ("ice", "SecureRelease"), ("obim", "OBIM-FOIA@ice.dhs.gov"),
    ("dhs-oig", "foia.oig@oig.dhs.gov"), ("fbi", "foiparequest@ic.fbi.gov"),
    ("cbp", "90 K St NE, MS 1181, Washington, DC 20229"),
    ("cbp", "1300 Pennsylvania Ave NW, MS 1181, Washington, DC 20229"),
])
def test_the_fact_sheets_unverified_contacts_stay_unverified(d, agency, value):
    matches = [c for c in d.agencies[agency].contacts if c.value == value]
    assert matches and all(not c.verified for c in matches)


def test_conflicts_are_kept_side_by_side(d):
    ice_faxes = [c.value for c in d.agencies["ice"].contacts if c.type == "fax"]
    assert ice_faxes == ["(202) 732-4265", "(202) 732-4266"]
    cbp_mail = [g for g in d.conflicts(d.agencies["cbp"]) if g[0].type == "mail"]
    assert len(cbp_mail) == 1 and len(cbp_mail[0]) == 2
    ios = d.contracts["palantir-immigrationos"]
    assert {cl.date for cl in ios.claims if cl.date} >= {"2019", "2017", "2025-04-17"}
    icm = d.contracts["palantir-icm-om-2022"]
    assert {str(cl.amount) for cl in icm.claims} == {"150703824.61", "139300000"}


def test_dhs_portal_only_rule_is_inherited_by_components(d):
    for aid in ("ice", "hsi", "ero", "cbp", "uscis", "obim", "dhs-oig"):
        how = d.how_to_file(d.agencies[aid])
        assert how["portal_only"] is True, aid
        assert how["filing"].portal_only_since == "2026-01-22"
        assert "https://www.dhs.gov/foia" in how["portals"]
    assert d.how_to_file(d.agencies["fbi"])["portal_only"] is False


def test_directorates_file_through_ice(d):
    assert d.filing_office(d.agencies["hsi"]).id == "ice"
    assert d.filing_office(d.agencies["ero"]).id == "ice"
    assert d.filing_office(d.agencies["dhs"]).id == "dhs-privacy"


def test_lookups_are_case_insensitive_and_take_abbreviations(d):
    assert d.agency("ice").id == d.agency("ICE").id == d.agency("Immigration and Customs Enforcement").id == "ice"
    assert d.system("falcon").id == "falcon"
    assert d.contract("70CTD022FR0000170").id == "palantir-icm-om-2022"


def test_no_directory_closure_is_invented(d):
    # The only closures are Executive Order 14371's, with their source (fact sheet, "Additions of
    # 2026-12-03"); read through summaries, so unverified.
    assert d.closures == {date(2025, 12, 24): "Executive Order 14371 closure",
                          date(2025, 12, 26): "Executive Order 14371 closure"}
    assert all("eo-14371" in c.sources and not c.verified for c in d._closures.values())


def test_packaged_path_is_the_repository_file():
    assert packaged_path().name == "agencies.yaml"


# ---- loader errors -------------------------------------------------------------------------

BASE = """\
version: 1
sources:
  - id: s1
    title: Source one
agencies:
  - id: dhs
    name: Department of Examples
    abbreviation: DHS
    kind: department
    filing: {policy: Online only, portal: "https://example.gov/foia", portal_only_since: 2026-01-22, sources: [s1], verified: true}
    contacts:
      - {purpose: request, type: email, value: foia@example.gov, sources: [s1], verified: true}
  - id: ice
    name: Component
    abbreviation: ICE
    kind: component
    parent: dhs
systems: []
vendors: []
contracts: []
"""

AGENCY_FIELDS = ("id, name, abbreviation, kind, aliases, parent, files_through, office, contacts, regulation, "
                 "filing, clock, appeal, identity_form, notes, usaspending, tracking_patterns")


def test_base_fixture_is_valid():
    d = parse_directory(BASE, "t.yaml")
    assert d.agency("ice").parent == "dhs"


CASES = [
    ("unknown field", ("    kind: component\n", "    kind: component\n    colour: red\n"),
     [f"t.yaml:17: agencies[1] (ice).colour: unknown field; expected one of: {AGENCY_FIELDS}"]),
    ("missing required field", ("    name: Component\n", ""),
     ["t.yaml:13: agencies[1] (ice).name: missing required field"]),
    ("wrong type", ("    abbreviation: ICE\n", "    abbreviation: [I, C, E]\n"),
     ["t.yaml:15: agencies[1] (ice).abbreviation: expected text, got a list"]),
    ("unknown reference", ("    parent: dhs\n", "    parent: doj\n"),
     ["t.yaml:13: agencies (ice).parent: unknown agency id 'doj'; expected one of: dhs, ice"]),
    ("duplicate id", ("  - id: ice\n", "  - id: dhs\n"),
     ["t.yaml:13: agencies[1] (dhs).id: duplicate id 'dhs' (first at line 6); give each entry its own id"]),
    ("malformed URL", ('portal: "https://example.gov/foia"', 'portal: "www.example.gov/foia"'),
     ["t.yaml:10: agencies[0] (dhs).filing.portal: expected a URL starting with https:// or http://, "
      "got 'www.example.gov/foia'"]),
    ("malformed email", ("value: foia@example.gov", "value: foia-at-example.gov"),
     ["t.yaml:12: agencies[0] (dhs).contacts[0].value: expected an email address like name@agency.gov, "
      "got 'foia-at-example.gov'"]),
    ("invalid date", ("portal_only_since: 2026-01-22", "portal_only_since: 2026-02-30"),
     ["t.yaml:10: agencies[0] (dhs).filing.portal_only_since: expected a date YYYY-MM-DD, got '2026-02-30'"]),
    ("unknown source", ("sources: [s1], verified: true}\n    contacts", "sources: [s9], verified: true}\n    contacts"),
     ["t.yaml:6: agencies (dhs).filing.sources: unknown source id 's9'; expected one of: s1"]),
    ("YAML syntax", ("    kind: component\n", "    kind: [component\n"),
     ["t.yaml:17: YAML syntax error: did not find expected ',' or ']' (while parsing a flow sequence started at "
      "line 16); fix the YAML syntax"]),
    ("duplicate key", ("    kind: component\n", "    kind: component\n    kind: office\n"),
     ["t.yaml:17: kind: duplicate key 'kind' (first at line 16)"]),
    ("not a boolean", ("sources: [s1], verified: true}\n  - id: ice", "sources: [s1], verified: maybe}\n  - id: ice"),
     ["t.yaml:12: agencies[0] (dhs).contacts[0].verified: expected true or false, got 'maybe'"]),
    ("bad enum", ("    kind: component\n", "    kind: bureau\n"),
     ["t.yaml:16: agencies[1] (ice).kind: expected one of: department, component, directorate, office, agency, "
      "mediator, appeals; got 'bureau'"]),
    ("empty sources", ("sources: [s1], verified: true}\n  - id", "sources: [], verified: true}\n  - id"),
     ["t.yaml:12: agencies[0] (dhs).contacts[0].sources: expected a non-empty list, got a list"]),
    ("unknown section", ("contracts: []\n", "contracts: []\noffices: []\n"),
     ["t.yaml:21: offices: unknown section; expected one of: version, sources, closures, agencies, systems, "
      "vendors, contracts"]),
    ("unsupported version", ("version: 1\n", "version: 2\n"),
     ["t.yaml:1: version: unsupported version 2; expected 1"]),
    ("phone", ("type: email, value: foia@example.gov", "type: phone, value: call us"),
     ["t.yaml:12: agencies[0] (dhs).contacts[0].value: expected a phone number like (202) 555-0100, got 'call us'"]),
    ("parent cycle", ("    kind: department\n", "    kind: department\n    parent: ice\n"),
     ["t.yaml:6: agencies (dhs).parent: parent chain loops back to 'dhs'; break the cycle",
      "t.yaml:14: agencies (ice).parent: parent chain loops back to 'ice'; break the cycle"]),
    ("not a mapping", (BASE, "- just\n- a list\n"),
     ["t.yaml:1: (file): expected a mapping with sections sources, closures, agencies, systems, vendors, contracts, "
      "got a list"]),
    ("empty file", (BASE, ""),
     ["t.yaml:1: (file): the file is empty; expected a mapping with version and sections sources, closures, "
      "agencies, systems, vendors, contracts"]),
    ("control character", ("    kind: component\n", "    kind: compo\x1fnent\n"),
     ["t.yaml: character '\\x1f' at position 462 is not allowed in YAML (control characters are not allowed); "
      "remove it or save the file as UTF-8 text"]),
    ("zero-day clock", ("    parent: dhs\n", "    parent: dhs\n    clock: {determination_working_days: 0, "
                        "appeal_window_days: 90, appeal_window_unit: working, sources: [s1], verified: true}\n"),
     ["t.yaml:18: agencies[1] (ice).clock.determination_working_days: expected a whole number of days, 1 or more, "
      "got 0"]),
    ("several problems at once", ("    name: Component\n    abbreviation: ICE\n", "    abbreviation: 7\n    aliases: x\n"),
     ["t.yaml:13: agencies[1] (ice).name: missing required field",
      "t.yaml:15: agencies[1] (ice).aliases: expected a list, got 'x'"]),
]


@pytest.mark.parametrize("name,change,expected", CASES, ids=[c[0] for c in CASES])
def test_loader_reports_each_problem_with_file_line_field_and_expectation(name, change, expected):
    old, new = change
    assert old in BASE
    text = BASE.replace(old, new, 1)
    with pytest.raises(DirectoryError) as err:
        parse_directory(text, "t.yaml")
    assert err.value.problems == expected


def test_loader_never_crashes_on_a_bad_amount():
    text = BASE.replace("contracts: []", """contracts:
  - id: c1
    title: A contract
    vendors: [v1]
    agency: ice
    claims:
      - {text: x, amount: lots, sources: [s1], verified: true}""").replace("vendors: []", "vendors:\n  - {id: v1, name: V}")
    with pytest.raises(DirectoryError) as err:
        parse_directory(text, "t.yaml")
    assert err.value.problems == [
        "t.yaml:27: contracts[0] (c1).claims[0].amount: expected a dollar amount like 42000000 or "
        "\"150703824.61\", got 'lots'"]


# ---- overrides -----------------------------------------------------------------------------


def test_override_adds_and_corrects_entries(tmp_path):
    over = tmp_path / "clinic.yaml"
    over.write_text("""\
sources:
  - id: clinic-call
    title: Phone call with the CBP FOIA office, 2026-11-20
agencies:
  - id: cbp
    contacts:
      - {purpose: request, type: mail, value: "1300 Pennsylvania Ave NW, MS 1181, Washington, DC 20229", sources: [clinic-call], verified: true}
  - id: county-sheriff
    name: Example County Sheriff
    abbreviation: ECSO
    kind: agency
""")
    d = load_directory(override=over)
    assert d.agency("ECSO").origin == str(over)
    cbp = d.agency("cbp")
    assert cbp.overridden == ("contacts",) and len(cbp.contacts) == 1 and cbp.contacts[0].verified
    assert cbp.name == "U.S. Customs and Border Protection"  # untouched fields stay
    assert d.agency("ice").overridden == ()


def test_override_errors_name_the_override_file(tmp_path):
    over = tmp_path / "bad.yaml"
    over.write_text("agencies:\n  - id: cbp\n    office: 5\n    portal: x\n")
    with pytest.raises(DirectoryError) as err:
        load_directory(override=over)
    assert err.value.problems == [
        f"{over}:4: agencies[0] (cbp).portal: unknown field; expected one of: {AGENCY_FIELDS}"]


def test_missing_override_file_is_one_clear_problem(tmp_path):
    with pytest.raises(DirectoryError) as err:
        load_directory(override=tmp_path / "nope.yaml")
    assert re.fullmatch(r".*nope\.yaml: override file not found; check the path \(--directory / FOIA_DIRECTORY\)",
                        err.value.problems[0])


def test_records_are_immutable_values_that_survive_the_cache(d):
    import pickle

    from foia.directory import Agency, Contact

    ice = d.agency("ice")
    with pytest.raises(AttributeError, match="immutable"):
        ice.name = "renamed"
    copy = pickle.loads(pickle.dumps(ice))
    assert copy == ice and hash(copy) == hash(ice) and copy is not ice
    assert copy.contacts == ice.contacts and copy.clock == ice.clock
    assert repr(copy).startswith("Agency(id='ice', name='U.S. Immigration and Customs Enforcement', ")
    renamed = ice.replace(name="Renamed")
    assert (renamed.name, renamed.id, ice.name) == ("Renamed", "ice", "U.S. Immigration and Customs Enforcement")
    assert renamed != ice
    contact = Contact("request", "email", "a@b.gov", ("fact-sheet",), True)
    assert contact.note is None and contact == Contact(purpose="request", type="email", value="a@b.gov",
                                                       sources=("fact-sheet",), verified=True)
    assert contact.as_dict() == {"purpose": "request", "type": "email", "value": "a@b.gov",
                                 "sources": ("fact-sheet",), "verified": True, "note": None}
    assert ice.as_dict()["contacts"][0] == ice.contacts[0].as_dict()
    with pytest.raises(TypeError, match="missing required argument: 'kind'"):
        Agency(id="x", name="X", abbreviation="X")
    with pytest.raises(TypeError, match="unexpected keyword argument 'colour'"):
        Contact("request", "email", "a@b.gov", (), True, colour="red")
