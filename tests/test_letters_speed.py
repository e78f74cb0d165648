"""The shortcuts that make letters fast (issue 20) give what the long way gave: a dict's keys read
before its attributes, printed values rewritten only when they must be, the user template folder
looked at for every letter, the profile as a dict, and a batch of files flushed together."""

from __future__ import annotations

import os
import stat
from datetime import date

import jinja2
import pytest

from foia.directory import load_directory
from foia.errors import FoiaError
from foia.files import write_all
from foia.letters import build_letter
from foia.letters.context import Section
from foia.letters.templates import _environment, _finalize, _PackagedEnvironment, packaged_templates_dir
from foia.profile import Profile
from foia.render import ESC, XML_UNSAFE
from letters_support import OPTIONS, PROFILE, TODAY


def _jinja_getattr(obj, name):
    """Jinja's own rule: the attribute, else the key, else Undefined."""
    return jinja2.Environment(undefined=jinja2.StrictUndefined).getattr(obj, name)


@pytest.mark.parametrize("obj", [Section("office", {"name": "ICE", "items": "x", "prefix": "p", "get": 1}),
                                 {"name": "ICE", "keys": [1], "values": 2}, Section("s"), {}])
@pytest.mark.parametrize("name", ["name", "items", "keys", "values", "get", "prefix", "missing", "__class__"])
def test_packaged_environment_reads_a_dict_as_jinja_does(obj, name):
    env = _PackagedEnvironment(undefined=jinja2.StrictUndefined)
    got, want = env.getattr(obj, name), _jinja_getattr(obj, name)
    if isinstance(want, jinja2.Undefined):
        assert isinstance(got, jinja2.StrictUndefined)
        assert (got._undefined_obj, got._undefined_name) == (obj, name)
    else:
        assert got == want


def _finalize_long_way(value):
    from foia.letters.wording import long_date

    if value is None:
        return ""
    if isinstance(value, date):
        value = long_date(value)
    text = XML_UNSAFE.sub("", str(value).replace(ESC, "").replace("\r\n", "\n").replace("\r", "\n"))
    return ESC + text.replace("\n", "\n" + ESC)


@pytest.mark.parametrize("value", ["plain", "", "two\nlines", "cr\r\nlf", "lone\rcr", ESC + "- item", "bell\x07",
                                   "\ufffe", "tab\tkept", "caf\u00e9", 42, 1.5, True, None, date(2026, 11, 23),
                                   ["a", "b\nc"]])
def test_finalize_gives_what_the_long_way_gives(value):
    assert _finalize(value) == _finalize_long_way(value)


def test_packaged_templates_are_not_checked_for_changes_but_user_overrides_are(tmp_path):
    packaged = str(packaged_templates_dir())
    assert _environment(packaged, None).auto_reload is False
    assert _environment(packaged, str(tmp_path)).auto_reload is True


def test_a_user_override_added_and_removed_between_letters_is_seen(tmp_path, monkeypatch):
    d = load_directory()
    folder = tmp_path / "mine"
    monkeypatch.setenv("FOIA_TEMPLATES", str(folder))

    def text():
        return build_letter("records", directory=d, office="ice", profile=PROFILE, options=OPTIONS["records"],
                            today=TODAY).text

    packaged = text()
    folder.mkdir()
    source = (packaged_templates_dir() / "records.j2").read_text(encoding="utf-8")
    (folder / "records.j2").write_text(source.replace("Dear FOIA Officer:", "To the FOIA Officer:"), encoding="utf-8")
    changed = text()
    assert "To the FOIA Officer:" in changed and "Dear FOIA Officer:" not in changed
    (folder / "records.j2").unlink()
    assert text() == packaged
    # Another folder named by the setting is found at once, too.
    other = tmp_path / "other"
    other.mkdir()
    (other / "records.j2").write_text(source.replace("Dear FOIA Officer:", "Hello:"), encoding="utf-8")
    monkeypatch.setenv("FOIA_TEMPLATES", str(other))
    assert "Hello:" in text()


def test_profile_to_dict_is_every_field_set_in_order():
    p = PROFILE.replace(phone=None, title="")
    assert p != PROFILE and PROFILE.phone == "(520) 555-0100"  # a copy: the original is left as it was
    assert p.to_dict() == {
        "name": "Ana Ruiz", "organization": "Border Data Project", "title": "",
        "address": "100 Example Ave, Suite 2\nTucson, AZ 85701", "email": "ana@example.org", "fee_category": "other",
        "publication_record": PROFILE.publication_record, "dissemination": PROFILE.dissemination}
    assert list(p.to_dict()) == ["name", "organization", "title", "address", "email", "fee_category",
                                 "publication_record", "dissemination"]
    assert Profile().to_dict() == {} and Profile(**p.to_dict()) == p


def test_write_all_writes_each_file_whole_and_user_only(tmp_path):
    files = [(tmp_path / "out" / f"letter-{i}.txt", f"letter {i}\n" * (i * 500)) for i in range(12)]
    files.append((tmp_path / "out" / "sub" / "b.docx", b"\x00PK" * 10_000))
    seen = []

    def lazily():
        for item in files:
            seen.append(item[0])
            yield item

    assert write_all(lazily()) == [p for p, _ in files]
    assert seen == [p for p, _ in files]
    for path, data in files:
        want = data.encode("utf-8") if isinstance(data, str) else data
        assert path.read_bytes() == want
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not [n for n in os.listdir(tmp_path / "out") if n.startswith(".")]
    # An existing file is replaced whole.
    write_all([(files[0][0], "new\n")])
    assert files[0][0].read_text() == "new\n"


def test_write_all_stops_at_a_bad_path_and_leaves_no_temporary(tmp_path):
    out = tmp_path / "out"
    (out / "taken").mkdir(parents=True)
    with pytest.raises(FoiaError) as err:
        write_all([(out / "a.txt", "a"), (out / "taken", "b"), (out / "c.txt", "c")])
    assert "is a directory" in err.value.message
    assert (out / "a.txt").read_text() == "a"   # written before the bad one, as atomic_write would
    assert not (out / "c.txt").exists()
    assert sorted(os.listdir(out)) == ["a.txt", "taken"]


def test_write_all_refuses_to_overwrite_when_asked(tmp_path):
    (tmp_path / "a.txt").write_text("old")
    with pytest.raises(FoiaError):
        write_all([(tmp_path / "a.txt", "new")], overwrite=False)
    assert (tmp_path / "a.txt").read_text() == "old"
    assert os.listdir(tmp_path) == ["a.txt"]


@pytest.mark.parametrize("office", ["ice", "fbi"])
def test_every_kind_renders_as_a_stock_jinja_environment_renders_it(office):
    from foia.letters import KINDS, build_context
    from foia.letters.templates import _configure, _LetterUndefined, render

    stock = _configure(jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(packaged_templates_dir())), undefined=_LetterUndefined, autoescape=False,
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True, finalize=_finalize))
    d = load_directory()
    for name, kind in KINDS.items():
        ctx, _ = build_context(name, directory=d, office=office, profile=PROFILE, options=OPTIONS[name], today=TODAY)
        assert render(kind, ctx) == stock.get_template(kind.template).render(ctx), name
