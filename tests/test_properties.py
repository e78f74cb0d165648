"""Property-based tests: no input crashes the loaders with anything but their documented error."""

from __future__ import annotations

import string

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from foia.directory import Directory, DirectoryError, parse_directory

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 10**12), st.floats(allow_nan=True),
                    st.text(string.printable, max_size=12), st.sampled_from(
                        ["ice", "dhs", "s1", "2026-01-22", "2026-02-30", "https://x.gov", "a@b.gov", "request",
                         "email", "portal", "working", "department", "component", "yes"]))
keys = st.sampled_from(["id", "name", "abbreviation", "kind", "parent", "contacts", "sources", "verified", "value",
                        "type", "purpose", "clock", "filing", "claims", "amount", "agencies", "systems", "vendors",
                        "contracts", "version", "text", "date", "title", "x"])
documents = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                          st.dictionaries(keys, inner, max_size=6)), max_leaves=30)


@SETTINGS
@given(st.text(max_size=400))
def test_any_text_gives_a_directory_or_a_directory_error(text):
    try:
        assert isinstance(parse_directory(text, "fuzz.yaml"), Directory)
    except DirectoryError as exc:
        assert exc.problems and all(p.startswith("fuzz.yaml") for p in exc.problems)
        assert all("\n" not in p for p in exc.problems)


@SETTINGS
@given(st.dictionaries(st.sampled_from(["version", "sources", "agencies", "systems", "vendors", "contracts",
                                        "closures"]), documents, max_size=6))
def test_any_yaml_document_gives_a_directory_or_a_directory_error(doc):
    text = yaml.safe_dump(doc, allow_unicode=True)
    try:
        parse_directory(text, "fuzz.yaml")
    except DirectoryError as exc:
        assert all(p.startswith("fuzz.yaml:") for p in exc.problems)
