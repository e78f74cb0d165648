"""Writers and templates: DOCX styles and numbering, .eml headers, the markup, user templates
(overrides, sandbox, syntax errors, missing fields)."""

from __future__ import annotations

import email
import io
import os
import zipfile
from email import policy

import docx
import pytest

from foia.directory import load_directory
from foia.errors import FoiaError
from foia.letters import build_letter, letter_bytes
from foia.render import parse
from letters_support import OPTIONS, PROFILE, TODAY, refused, shown


@pytest.fixture(scope="module")
def d():
    return load_directory()


def letter(d, kind="records", office="ice", **changes):
    return build_letter(kind, directory=d, office=office, profile=PROFILE, options={**OPTIONS[kind], **changes},
                        today=TODAY)


# ---- markup ----------------------------------------------------------------------------------


def test_markup_blocks():
    blocks = parse("@letterhead\nA\nB\n@re\nSubject\n@body\nOne\nparagraph.\n\n# Head\n- a\n- b\n"
                   "1. x\n7. y\n| k: v\n|\n| end\n@signature\nSincerely,\n\nA\n")
    assert [(b.kind, b.lines) for b in blocks] == [
        ("letterhead", ("A", "B")), ("subject", ("Subject",)), ("paragraph", ("One paragraph.",)),
        ("heading", ("Head",)), ("bullets", ("a", "b")), ("numbers", ("x", "y")),
        ("lines", ("k: v", "", "end")), ("signature", ("Sincerely,", "", "A")),
    ]


def test_markup_refuses_text_outside_a_section():
    from foia.render import MarkupError

    with pytest.raises(MarkupError, match="line 1: text before the first section"):
        parse("hello\n@body\nx")


# ---- text and markdown -------------------------------------------------------------------------


def test_numbered_lists_are_numbered_by_the_writer(d):
    lt = letter(d, fee_waiver=True)
    assert "\n1. The records concern identifiable operations" in lt.text
    assert "\n4. Disclosure will significantly enhance" in lt.text
    assert "\n1. policies, directives" in lt.text


def test_markdown_escapes_user_text_and_marks_the_re_line(d):
    lt = letter(d, subject="records_with *stars* and [links]")
    assert "**RE: Freedom of Information Act Request: records\\_with \\*stars\\* and \\[links\\]**" in lt.markdown
    assert "Ana Ruiz\\\nResearcher, Border Data Project\\\n" in lt.markdown
    assert "\n## Fees\n" in lt.markdown


# ---- docx --------------------------------------------------------------------------------------


def _doc(data: bytes):
    return docx.Document(io.BytesIO(data))


def test_docx_has_the_letter_paragraphs_in_real_styles(d):
    lt = letter(d, "self", fee_waiver=True)
    doc = _doc(letter_bytes(lt, "docx"))
    paras = [(p.style.name, p.text) for p in doc.paragraphs]
    styles = [s for s, _ in paras]
    assert paras[0] == ("Letterhead", "Ana Ruiz") and doc.paragraphs[0].runs[0].bold
    assert ("Letter Date", "November 23, 2026") in paras
    assert ("Inside Address", "ICE FOIA Office") in paras
    assert ("Subject Line", "RE: " + lt.subject) in paras
    assert ("Salutation", "Dear FOIA Officer:") in paras
    assert ("Letter Heading", "Verification of identity (6 CFR 5.21(e))") in paras
    assert ("Line Block", "Full name: Ana Ruiz") in paras
    assert ("Closing", "Sincerely,") in paras and paras[-1] == ("Signature", "Border Data Project")
    assert "List Bullet" in styles and "List Number" in styles and "Body Text" in styles
    # Every text paragraph of the plain-text letter is in the document, in order.
    body = [t for _, t in paras]
    for block in lt.blocks:
        if block.kind == "paragraph":
            assert block.lines[0] in body


def test_docx_numbered_lists_restart_at_one(d):
    lt = letter(d, fee_waiver=True)
    doc = _doc(letter_bytes(lt, "docx"))
    num_ids = []
    for p in doc.paragraphs:
        if p.style.name == "List Number":
            num_ids.append(p._p.pPr.numPr.numId.val)
    lists = list(dict.fromkeys(num_ids))
    assert len(lists) == 2  # the record categories, then the fee-waiver factors
    numbering = doc.part.numbering_part.element
    for num_id in lists:
        num = numbering.num_having_numId(num_id)
        assert num.lvlOverride_lst[0].startOverride.val == 1
    # The shared base document does not keep the numbering of earlier letters.
    again = _doc(letter_bytes(lt, "docx"))
    assert len(again.part.numbering_part.element.num_lst) == len(numbering.num_lst)


def test_docx_is_a_clean_package_and_reproducible(d):
    lt = letter(d, "appeal")
    a = letter_bytes(lt, "docx", reproducible=True)
    assert a == letter_bytes(lt, "docx", reproducible=True)
    with zipfile.ZipFile(io.BytesIO(a)) as z:
        assert z.testzip() is None
        names = z.namelist()
        assert names[0] == "[Content_Types].xml" and "word/document.xml" in names
        assert "word/stylesWithEffects.xml" not in names and "docProps/thumbnail.jpeg" not in names
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        types = z.read("[Content_Types].xml").decode()
        for name in names:
            if name.endswith(".xml") and not name.startswith("[") and "/_rels/" not in name and name != "_rels/.rels":
                assert f'PartName="/{name}"' in types or name.startswith("customXml/item1")
    core = _doc(a).core_properties
    assert core.title == lt.subject and core.author == "Ana Ruiz"
    assert core.created.date() == TODAY


def test_docx_not_reproducible_uses_the_time_of_writing(d):
    from datetime import datetime, timezone

    from foia.render.docx import to_docx

    lt = letter(d)
    when = datetime(2026, 11, 23, 15, 4, 5, tzinfo=timezone.utc)
    doc = _doc(to_docx(lt, now=when))
    assert doc.core_properties.modified == when


def test_docx_drops_characters_xml_cannot_hold(d):
    lt = letter(d, subject="bell\x07 and null\x00 here")
    doc = _doc(letter_bytes(lt, "docx"))
    assert any("bell and null here" in p.text for p in doc.paragraphs)


# ---- eml ---------------------------------------------------------------------------------------


def _line_lengths_ok(raw: bytes) -> None:
    # RFC 5322 2.1.1: lines of at most 78 characters (998 the hard limit); RFC 2045 6.8: base64 at 76.
    # A header of one unbreakable word (the DOCX Content-Type, 85 characters) cannot be folded.
    lines = raw.split(b"\r\n") if b"\r\n" in raw else raw.split(b"\n")
    long = [line for line in lines if len(line) > 78 and b" " in line.split(b": ", 1)[-1]]
    assert not long, long
    assert max(len(line) for line in lines) <= 998


def test_eml_parses_with_the_right_headers_and_attachment(d):
    # ICE takes requests online only: an .eml to it is addressed only to an address the user gives.
    lt = letter(d, to_email="ice-foia@ice.dhs.gov")
    raw = letter_bytes(lt, "eml", reproducible=True, attach_docx=True, attachment_name="2026-11-23-ice-records.docx")
    _line_lengths_ok(raw)
    msg = email.message_from_bytes(raw, policy=policy.default)
    assert msg["To"] == "ICE FOIA Office <ice-foia@ice.dhs.gov>"
    assert msg["From"] == "Ana Ruiz <ana@example.org>"
    assert msg["Subject"] == lt.subject
    assert msg["Date"] == "Mon, 23 Nov 2026 00:00:00 +0000"
    assert msg["X-Unsent"] == "1"
    assert msg.get_body(("plain",)).get_content().replace("\r\n", "\n") == lt.text
    attachments = list(msg.iter_attachments())
    assert len(attachments) == 1 and attachments[0].get_filename() == "2026-11-23-ice-records.docx"
    doc = _doc(attachments[0].get_content())
    assert doc.paragraphs[0].text == "Ana Ruiz"


def test_eml_without_attachment_is_single_part(d):
    raw = letter_bytes(letter(d, to_email="ice-foia@ice.dhs.gov"), "eml")
    _line_lengths_ok(raw)
    msg = email.message_from_bytes(raw, policy=policy.default)
    assert msg.get_content_type() == "text/plain" and not list(msg.iter_attachments())


def test_eml_folds_a_long_subject_and_names_the_attachment_as_the_file(d):
    lt = letter(d, to_email="ice-foia@ice.dhs.gov", subject="all records of license-plate reader queries " * 3)
    assert len(lt.subject) > 78
    raw = letter_bytes(lt, "eml", attach_docx=True)
    _line_lengths_ok(raw)
    msg = email.message_from_bytes(raw, policy=policy.default)
    assert msg["Subject"] == lt.subject
    assert [a.get_filename() for a in msg.iter_attachments()] == ["2026-11-23-ice-records.docx"]


def test_eml_to_an_online_only_office_is_refused_with_the_reason(d):
    from foia.errors import FoiaError

    with pytest.raises(FoiaError, match=r"ICE FOIA Office takes requests online only \(DHS rule since 2026-01-22\), "
                                        r"so a request emailed to ice-foia@ice.dhs.gov is not filed; file at https://"):
        letter_bytes(letter(d), "eml")
    # A follow-up is not a request: it goes to the office's email.
    follow = build_letter("follow-up", directory=d, office="ice", profile=PROFILE, today=TODAY,
                          options=OPTIONS["follow-up"])
    msg = email.message_from_bytes(letter_bytes(follow, "eml"), policy=policy.default)
    assert msg["To"] == "ICE FOIA Office <ice-foia@ice.dhs.gov>"


# ---- user templates ----------------------------------------------------------------------------


@pytest.fixture
def user_templates(tmp_path, monkeypatch):
    folder = tmp_path / "my-templates"
    (folder / "partials").mkdir(parents=True)
    monkeypatch.setenv("FOIA_TEMPLATES", str(folder))
    return folder


def test_a_user_partial_overrides_the_packaged_one(d, user_templates):
    (user_templates / "partials" / "_signature.j2").write_text(
        "@signature\nIn solidarity,\n\n{{ requester.name }}\n", encoding="utf-8")
    lt = letter(d)
    assert lt.text.endswith("In solidarity,\n\nAna Ruiz\n")
    assert "Dear FOIA Officer:" in lt.text  # the rest is still the packaged template


def test_user_templates_are_sandboxed(d, user_templates):
    (user_templates / "records.j2").write_text(
        "@re\n{{ requester.__class__.__mro__[1].__subclasses__() }}\n@body\nx\n", encoding="utf-8")
    with pytest.raises(FoiaError) as err:
        letter(d)
    assert "your template records.j2:2 was refused by the sandbox" in err.value.message
    assert "\n" not in err.value.message


def test_user_template_syntax_error_names_file_and_line(d, user_templates):
    (user_templates / "records.j2").write_text("@re\nx\n@body\n{% if %}\n", encoding="utf-8")
    with pytest.raises(FoiaError, match=r"your template records.j2 line 4: .*fix the template"):
        letter(d)


def test_missing_field_names_the_option_and_profile_key(d, user_templates):
    (user_templates / "records.j2").write_text(
        "@re\nx\n@body\nCall {{ requester.phone }} or {{ a_number }}\n", encoding="utf-8")
    profile = PROFILE.__class__(**{**PROFILE.to_dict(), "phone": None})
    with pytest.raises(FoiaError) as err:
        build_letter("records", directory=d, office="ice", profile=profile, options=OPTIONS["records"],
                     today=TODAY)
    assert shown(err.value) == ("your template records.j2:4: field 'requester.phone' is missing: pass "
                                 "--requester-phone or set phone in your profile (foia profile edit)")
    (user_templates / "records.j2").write_text("@re\nx\n@body\n{{ a_number }}\n", encoding="utf-8")
    with refused(FoiaError, "field 'a_number' is missing: pass --a-number"):
        letter(d)
    (user_templates / "records.j2").write_text("@re\nx\n@body\n{{ nonsense }}\n", encoding="utf-8")
    with pytest.raises(FoiaError, match="field 'nonsense' is not known to letters"):
        letter(d)


def test_user_template_without_re_line_is_refused(d, user_templates):
    (user_templates / "records.j2").write_text("@body\nhello\n", encoding="utf-8")
    with pytest.raises(FoiaError, match="no @re section"):
        letter(d)


def test_user_template_including_a_missing_file(d, user_templates):
    (user_templates / "records.j2").write_text('{% include "partials/_nope.j2" %}\n', encoding="utf-8")
    with pytest.raises(FoiaError, match="includes 'partials/_nope.j2', which does not exist"):
        letter(d)


def test_user_template_cannot_include_files_outside_the_template_folders(d, user_templates, tmp_path):
    (tmp_path / "secret.j2").write_text("@re\nsecret\n@body\nsecret\n", encoding="utf-8")
    (user_templates / "records.j2").write_text('{% include "../secret.j2" %}\n', encoding="utf-8")
    with pytest.raises(FoiaError, match="includes '../secret.j2', which does not exist"):
        letter(d)


# ---- compiled templates (the per-user cache) ---------------------------------------------------


_COUNT_COMPILES = """\
import sys
import jinja2
compiled = []
original = jinja2.Environment.compile
def counting(self, source, name=None, *args, **kwargs):
    compiled.append(name)
    return original(self, source, name, *args, **kwargs)
jinja2.Environment.compile = counting
from foia.cli import main
try:
    main(sys.argv[1:])
except SystemExit as exc:
    assert not exc.code, exc.code
print("COMPILED", len(compiled), file=sys.stderr)
"""


def _draft_counting_compiles(tmp_path, *extra) -> tuple[int, str]:
    import subprocess
    import sys

    out = tmp_path / "letters"
    argv = ["draft", "records", "--to", "ICE", "--system", "icm", "--no-profile", "--requester-name", "A B",
            "--requester-email", "a@example.org", "--date", "2026-06-01", "--overwrite", "--out", str(out), *extra]
    proc = subprocess.run([sys.executable, "-c", _COUNT_COMPILES, *argv], capture_output=True, text=True,
                          cwd=tmp_path)
    assert "COMPILED" in proc.stderr, proc.stderr
    return int(proc.stderr.split("COMPILED")[1].split()[0]), (out / "2026-06-01-ice-records.txt").read_text()


def test_compiled_templates_are_kept_per_user_and_a_broken_cache_file_is_compiled_again(tmp_path):
    compiles, first = _draft_counting_compiles(tmp_path)
    cached = sorted((tmp_path / "cache").glob("template-*.jinja"))
    assert compiles == len(cached) > 1   # records.j2 and its partials
    assert {p.stat().st_mode & 0o777 for p in cached} == {0o600}
    # A later process compiles nothing and writes the same letter.
    assert _draft_counting_compiles(tmp_path) == (0, first)
    cached[0].write_bytes(b"not bytecode")
    assert _draft_counting_compiles(tmp_path) == (1, first)
    assert cached[0].read_bytes() != b"not bytecode"


def test_an_edited_user_template_is_compiled_again_even_with_the_same_size_and_time(tmp_path, monkeypatch):
    folder = tmp_path / "my-templates"
    (folder / "partials").mkdir(parents=True)
    monkeypatch.setenv("FOIA_TEMPLATES", str(folder))
    signature = folder / "partials" / "_signature.j2"
    closings = []
    for closing in ("In solidarity,", "Respectfully,", "In solidarity,"):
        # The same size (padded to 14 characters) and the same modification time each time.
        signature.write_text(f"@signature\n{closing:<14}\n\n{{{{ requester.name }}}}\n", encoding="utf-8")
        os.utime(signature, ns=(1_700_000_000_000_000_000, 1_700_000_000_000_000_000))
        closings.append(_draft_counting_compiles(tmp_path)[1].rsplit("\n\n", 2)[-2])
    assert closings == ["In solidarity,", "Respectfully,", "In solidarity,"]


def test_the_sandbox_never_reuses_code_compiled_for_the_packaged_templates(tmp_path):
    import jinja2

    from foia.letters.templates import _LimitedSandbox, _TemplateLimit
    from foia.render.templates import TemplateCache

    cache = TemplateCache(tmp_path)
    loader = jinja2.DictLoader({"power.j2": "{{ 2 ** 100 }}"})
    # The packaged environment folds the power into a constant when it compiles the template ...
    assert jinja2.Environment(loader=loader, bytecode_cache=cache).get_template("power.j2").render() == str(2 ** 100)
    assert len(list(tmp_path.glob("template-*.jinja"))) == 1
    # ... while the sandbox checks every power as it renders: it compiles its own code.
    sandbox = _LimitedSandbox(loader=loader, bytecode_cache=cache)
    with pytest.raises(_TemplateLimit, match="a power of 100 is past the limit of 64"):
        sandbox.get_template("power.j2").render()
    assert len(list(tmp_path.glob("template-*.jinja"))) == 2


def test_blocks_are_immutable_values():
    import pickle

    from foia.render import Block, parse

    blocks = parse("@re\nRE line\n@body\nOne paragraph\n- an item\n")
    assert blocks == (Block("subject", ("RE line",)), Block("paragraph", ("One paragraph",)),
                      Block("bullets", ("an item",)))
    assert len({*blocks, Block("subject", ("RE line",))}) == 3 and pickle.loads(pickle.dumps(blocks)) == blocks
    assert repr(blocks[0]) == "Block(kind='subject', lines=('RE line',))"
    with pytest.raises(AttributeError, match="immutable"):
        blocks[0].kind = "paragraph"
