"""Pure parts of the vault: exemption marks, media types, the search syntax for FTS5."""

from __future__ import annotations

import pytest

from foia.errors import FoiaError, UsageError
from foia.vault.extract import exemption_marks, media_type, sniff
from foia.vault.search import fts5_query


@pytest.mark.parametrize("text,marks", [
    ("(b)(6)", {"(b)(6)": 1}),
    ("(b)(4) (b)(6)", {"(b)(4)": 1, "(b)(6)": 1}),
    ("(b)(7)(c) and (B) (7) (E), (b)(7)(C)", {"(b)(7)(C)": 2, "(b)(7)(E)": 1}),
    ("(b)(6)(C)", {"(b)(6)": 1}),                 # only (b)(7) has sub-letters
    ("(k)(2) (j)(2) (k)(8) (b)(0) (b)(10)", {"(j)(2)": 1, "(k)(2)": 1}),
    ("b6 b7c (a)(6)", {}),
    ("(b)(7)(E)(b)(7)(E)(b)(5)", {"(b)(5)": 1, "(b)(7)(E)": 2}),
])
def test_exemption_marks(text, marks):
    assert exemption_marks(text) == marks
    assert list(exemption_marks(text)) == list(marks)      # in statute order


@pytest.mark.parametrize("query,fts", [
    ("Palantir", '"Palantir"'),
    ("Palantir ICM", '"Palantir" "ICM"'),
    ('"license plate" reader', '"license plate" "reader"'),
    ("Babel OR Venntel", '"Babel" OR "Venntel"'),
    ("palantir -contract", '"palantir" NOT "contract"'),
    ("(b)(6) AND", '"b 6" "AND"'),                  # punctuation is never FTS5 syntax
    ('NEAR("x y") *', '"NEAR x" "y"'),
])
def test_websearch_syntax_becomes_fts5(query, fts):
    assert fts5_query(query) == fts


@pytest.mark.parametrize("query", ["-palantir", "OR", '""', "*"])
def test_queries_without_a_word_to_find_are_refused(query):
    with pytest.raises(UsageError):
        fts5_query(query)


def test_media_type_from_the_bytes(tmp_path):
    (tmp_path / "a.txt").write_text("From: foia@ice.dhs.gov\nSubject: x\n\nbody\n")
    assert sniff(tmp_path / "a.txt") == "message/rfc822"
    assert media_type(tmp_path / "a.txt") == "message/rfc822"       # a .txt may hold an email
    (tmp_path / "b").write_text("<!DOCTYPE html><html><body>hi</body></html>")
    assert media_type(tmp_path / "b") == "text/html"
    (tmp_path / "c.html").write_text("plain words")
    with pytest.raises(FoiaError, match="named like a HTML page but its bytes are plain text"):
        media_type(tmp_path / "c.html")
