"""foia.parse and foia.naming: typed values from text, and messages that name fields."""

from __future__ import annotations

import pickle
from datetime import date

import pytest

from foia.errors import FoiaError, UsageError
from foia.naming import Field, Text, as_flags, flag
from foia.parse import parse_date, parse_tags, parse_text


def test_parse_date_reads_yyyy_mm_dd_and_passes_dates_and_none_through():
    assert parse_date(" 2014-01-01 ", "since") == date(2014, 1, 1)
    assert parse_date(date(2020, 2, 29), "since") == date(2020, 2, 29)
    assert parse_date(None, "until") is None


@pytest.mark.parametrize("text", ["2014/01/01", "2014-02-30", "14-01-01", "2014-1-1", "", "yesterday"])
def test_a_bad_date_names_its_field_not_a_flag(text):
    with pytest.raises(UsageError) as exc:
        parse_date(text, "since")
    assert exc.value.field == "since"
    assert exc.value.message == f"since {text!r} is not a date; use YYYY-MM-DD, e.g. 2014-01-01"
    assert as_flags(exc.value) == f"--since {text!r} is not a date; use YYYY-MM-DD, e.g. 2014-01-01"


def test_text_names_fields_bare_and_the_cli_names_them_as_options():
    t = Text(Field("until"), " 2019-01-01 is before ", Field("since"), " 2020-01-01; swap them")
    assert t == "until 2019-01-01 is before since 2020-01-01; swap them"
    assert as_flags(t) == "--until 2019-01-01 is before --since 2020-01-01; swap them"
    assert t.render(lambda f: f"[{f}]") == "[until] 2019-01-01 is before [since] 2020-01-01; swap them"
    nested = Text(t, "; or give ", Field("max_results"))
    assert as_flags(nested).endswith("; or give --max-results")
    assert flag("base_url") == "--base-url"


def test_text_from_a_server_is_never_read_as_a_field():
    # USAspending's own words may hold braces, dollars and dashes: they are text, not fields.
    t = Text("refused: {'end_date'} $5 --x; check ", Field("base_url"))
    assert as_flags(t) == "refused: {'end_date'} $5 --x; check --base-url"
    assert as_flags("plain --text") == "plain --text"


def test_an_error_keeps_its_field_and_its_parts_through_pickling():
    exc = UsageError(Text(Field("timeout"), " must be more than 0 seconds"), field="timeout")
    back = pickle.loads(pickle.dumps(exc))
    assert (back.field, back.message, as_flags(back)) == ("timeout", "timeout must be more than 0 seconds",
                                                          "--timeout must be more than 0 seconds")
    assert FoiaError("plain").field is None


NOT_UTF8 = b"caf\xe9".decode("utf-8", "surrogateescape")    # the byte 0xe9 from a Latin-1 terminal


@pytest.mark.parametrize("parse", [lambda v: parse_text(v, "title"), lambda v: parse_tags([v], "title")])
def test_text_that_is_not_utf8_is_refused_naming_its_field(parse):
    with pytest.raises(FoiaError) as exc:
        parse(NOT_UTF8)
    assert exc.value.field == "title"
    assert as_flags(exc.value) == ("--title: not valid UTF-8 text (byte 0xe9); type it again as UTF-8 "
                                   "(set your terminal or file to UTF-8)")
    with pytest.raises(FoiaError, match=r"half of a surrogate pair \(U\+D800\)"):
        parse_text("a\ud800", "title")
    assert parse_text("café", "title") == "café"
