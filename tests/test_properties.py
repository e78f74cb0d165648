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


# ---- dates ---------------------------------------------------------------------------------

from datetime import date  # noqa: E402

from foia.errors import FoiaError  # noqa: E402


@SETTINGS
@given(st.one_of(st.text(max_size=20), st.dates().map(date.isoformat),
                 st.from_regex(r"\d{4}-\d{1,2}-\d{1,2}", fullmatch=True)))
def test_date_parsing_gives_a_date_or_a_one_line_usage_error(text):
    from foia.clocks.calendar import parse_day as parse_date

    try:
        value = parse_date(text, what="--on")
    except FoiaError as exc:
        assert exc.message.startswith("--on") and "\n" not in exc.message
    else:
        assert isinstance(value, date) and value.isoformat() == text.strip()


# ---- the tracker's CSV import --------------------------------------------------------------

import csv as _csv  # noqa: E402
import io as _io  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

COLUMNS = ["title", "office", "kind", "status", "filed_on", "tracking_numbers", "fee_limit", "tags", "client_dob",
           "systems", "bogus"]
cells = st.one_of(st.sampled_from(["ICE", "cbp", "XYZ", "records", "self", "submitted", "denied", "acknowledged",
                                   "2026-11-02", "2026-02-30", "2099-01-01", "25.50", "-3", "icm", "nope",
                                   "2026-ICFO-1:assigned", "x:y", ""]), st.text(max_size=8))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(COLUMNS), min_size=1, max_size=6, unique=True).flatmap(
    lambda cols: st.tuples(st.just(cols), st.lists(st.lists(cells, min_size=len(cols), max_size=len(cols)),
                                                   max_size=4))))
def test_csv_import_is_all_or_nothing_and_fails_only_with_its_error(table):
    from foia.tracker.bulk import import_file
    from foia.tracker.service import Tracker
    from foia.tracker.store import open_store

    cols, rows = table
    buf = _io.StringIO()
    writer = _csv.writer(buf)
    writer.writerow(cols)
    writer.writerows(rows)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "in.csv"
        path.write_text(buf.getvalue(), encoding="utf-8")
        tracker = Tracker(open_store(f"sqlite:///{tmp}/q.db"), today=date(2026, 11, 23))
        try:
            result = import_file(tracker, path)
        except FoiaError:
            assert tracker.list() == []  # nothing of a rejected file is kept
        else:
            assert len(tracker.list()) == len(rows) == result["requests"]
        finally:
            tracker.store.dispose()


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text()),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=20)


@SETTINGS
@given(json_values)
def test_the_imports_json_encoder_writes_what_json_writes(value):
    # The import encodes event data with a prebuilt C encoder: the stored text must not differ
    # (compact since schema 13, as the engines' json_serializer writes it).
    import json

    from foia.tracker.bulk import _json_encoder

    assert _json_encoder()(value) == json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode(value)
