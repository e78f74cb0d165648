"""The evidence vault on both backends: add, search, exemptions, bundle, purge, appeal."""

from __future__ import annotations

import csv
import io
import json
import stat
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from foia.cli import cli
from vault_support import make_pdf

PAGES = [
    "Memorandum: ICE HSI use of Palantir ICM\nSubject: Ana Garcia, A-123-456-789\nRedacted (b)(6) (b)(7)(C)",
    "Contract 70CTD022FR0000170 with Palantir Technologies\nPricing (b)(4)\nMethods (b)(7)(E) (b)(7)(E)",
    None,                                            # a scanned page without a text layer
    "Page withheld pursuant to (b)(5)",
    "License plate reader queries from Thomson Reuters CLEAR",
]


def run(url, *args, ok=True):
    result = CliRunner().invoke(cli, list(args[:1]) + ["--db", url] + list(args[1:]))
    if ok:
        assert result.exit_code == 0, result.output
    else:
        assert result.exit_code != 0, result.output
    return result


def search(url, *args, ok=True):
    result = CliRunner().invoke(cli, ["search", *args, "--in", "documents", "--db", url])
    assert (result.exit_code == 0) == ok, result.output
    return result


@pytest.fixture
def queue(db_url, tmp_path):
    """Two requests (ICE with a client, CBP without) and a five-page production on the first."""
    run(db_url, "track", "add", "--title", "ICM audit logs", "--office", "ICE", "--on", "2026-01-05",
        "--client-name", "Ana Garcia", "--client-a-number", "A123456789")
    run(db_url, "track", "update", "1", "--status", "partial", "--on", "2026-03-02",
        "--tracking-number", "2026-ICFO-00017")
    run(db_url, "track", "add", "--title", "CBP plate readers", "--office", "CBP", "--on", "2026-01-06")
    pdf = make_pdf(tmp_path / "ICE release 1.pdf", PAGES)
    return db_url, pdf


def test_add_records_what_the_bytes_say_and_shows_it(queue):
    url, pdf = queue
    out = run(url, "docs", "add", "1", str(pdf), "--received", "2026-03-03").output
    assert "Document 1: ICE release 1.pdf, 5 pages, 1 page need OCR" in out
    assert "exemptions: (b)(4) x1, (b)(5) x1, (b)(6) x1, (b)(7)(C) x1, (b)(7)(E) x2" in out
    rows = json.loads(run(url, "docs", "list", "--json").output)
    assert len(rows) == 1
    d = rows[0]
    import hashlib

    assert d["sha256"] == hashlib.sha256(pdf.read_bytes()).hexdigest()
    assert (d["media_type"], d["pages"], d["needs_ocr"], d["text_layer"], d["office"], d["received_on"]) == \
        ("application/pdf", 5, 1, False, "ice", "2026-03-03")
    assert d["original_name"] == "document-1.pdf"        # file names are identity data
    assert json.loads(run(url, "docs", "list", "--json", "--identity").output)[0]["original_name"] == pdf.name
    assert d["disposition"] == "partial"
    shown = run(url, "docs", "show", "1").output
    assert "page 3: needs-ocr" in shown and "page 4: withheld (b)(5) x1" in shown
    assert "Palantir Technologies" in run(url, "docs", "show", "1", "--page", "2").output
    # The history records the arrival, and the document names its event.
    timeline = json.loads(run(url, "track", "show", "1", "--json").output)["timeline"]
    ev = [e for e in timeline if e["type"] == "documents"]
    assert len(ev) == 1 and ev[0]["data"]["pages"] == 5 and ev[0]["id"] == d["event_id"]


def test_same_bytes_are_stored_once_and_linked_a_duplicate_refused(queue, tmp_path):
    url, pdf = queue
    run(url, "docs", "add", "1", str(pdf))
    again = run(url, "docs", "add", "1", str(pdf), ok=False)
    assert again.output.startswith("Error: ") and "already document 1 of request 1" in again.output
    assert again.output.count("\n") == 1
    copy = tmp_path / "copy.pdf"
    copy.write_bytes(pdf.read_bytes())
    assert "stored once, linked" in run(url, "docs", "add", "2", str(copy)).output
    from foia.tracker import open_tracker
    from foia.vault.documents import verify

    t = open_tracker(url)
    try:
        assert verify(t)["blobs"] == 1
        from foia.vault.documents import vault_dir

        folder = vault_dir(t.store)
        if folder is not None:      # SQLite: one 0600 file in a 0700 folder
            files = [p for p in folder.rglob("*") if p.is_file()]
            assert len(files) == 1
            assert stat.S_IMODE(files[0].stat().st_mode) == 0o600
            assert stat.S_IMODE(folder.stat().st_mode) == 0o700
            assert stat.S_IMODE(files[0].parent.stat().st_mode) == 0o700
    finally:
        t.store.dispose()


def test_docx_txt_eml_html_are_read_too(queue, tmp_path):
    import docx

    url, _ = queue
    d = docx.Document()
    d.add_paragraph("Denial letter citing (b)(7)(E) for Palantir FALCON")
    d.save(tmp_path / "letter.docx")
    (tmp_path / "note.txt").write_text("Phone log: ICE ERO called about Palantir\n")
    (tmp_path / "reply.eml").write_bytes(b"From: foia@ice.dhs.gov\r\nTo: you@example.org\r\nSubject: Final response\r\n"
                                        b"Date: Tue, 03 Mar 2026 10:00:00 -0500\r\n\r\nWithheld under (b)(6).\r\n")
    (tmp_path / "page.html").write_text("<html><body><p>Reading room: Palantir contract</p>"
                                        "<script>var palantir=1</script></body></html>")
    run(url, "docs", "add", "1", *(str(tmp_path / n) for n in ("letter.docx", "note.txt", "reply.eml", "page.html")))
    rows = json.loads(run(url, "docs", "list", "--json").output)
    assert [r["media_type"] for r in rows] == [
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "text/plain", "message/rfc822",
        "text/html"]
    assert rows[0]["exemptions"] == {"(b)(7)(E)": 1} and rows[2]["exemptions"] == {"(b)(6)": 1}
    hits = json.loads(search(url, "palantir", "--json").output)
    assert sorted(h["document_id"] for h in hits if h["type"] == "page") == [1, 2, 4]
    assert "Final response" in run(url, "docs", "show", "3", "--page", "1").output


def test_search_finds_every_page_ranked_with_snippets_on_both_backends(queue, tmp_path):
    url, pdf = queue
    run(url, "docs", "add", "1", str(pdf))
    run(url, "docs", "add", "2", str(make_pdf(tmp_path / "cbp.pdf", [
        "CBP license plate reader contract, Palantir mentioned once", "Nothing here"])))
    hits = json.loads(search(url, "Palantir", "--json").output)
    pages = [(h["request_id"], h["document_id"], h["page"]) for h in hits if h["type"] == "page"]
    assert sorted(pages) == [(1, 1, 1), (1, 1, 2), (2, 2, 1)]
    assert all("[Palantir]" in h["snippet"] for h in hits if h["type"] == "page")
    # Stemming and phrases, the same on both backends.
    readers = json.loads(search(url, "readers", "--json").output)
    assert sorted((h["document_id"], h["page"]) for h in readers if h["type"] == "page") == [(1, 5), (2, 1)]
    assert [h["request_id"] for h in readers if h["type"] == "title"] == [2]      # "CBP plate readers"
    phrase = json.loads(search(url, '"license plate reader contract"', "--json").output)
    assert [(h["document_id"], h["page"]) for h in phrase] == [(2, 1)]
    assert [(h["document_id"], h["page"]) for h in json.loads(search(url, "palantir -contract", "--json").output)
            ] == [(1, 1)]
    either = json.loads(search(url, "CLEAR OR pricing", "--json").output)
    assert sorted((h["document_id"], h["page"]) for h in either) == [(1, 2), (1, 5)]
    # Filters: by request and by office (CBP's documents only).
    assert {h["request_id"] for h in json.loads(search(url, "palantir", "--request", "2", "--json").output)} == {2}
    assert {h["office"] for h in json.loads(search(url, "palantir", "--office", "CBP", "--json").output)} == {"cbp"}
    # The tracker's titles and notes are searched too.
    run(url, "track", "update", "2", "--note", "Asked CBP about ALPR retention")
    kinds = {(h["type"], h["request_id"]) for h in json.loads(search(url, "ALPR", "--json").output)}
    assert kinds == {("note", 2)}
    assert ("title", 1) in {(h["type"], h["request_id"]) for h in json.loads(search(url, "audit logs", "--json").output)}
    text = search(url, "Palantir").output
    assert "doc 1 p. 1" in text and "request" in text.splitlines()[0]
    assert "Nothing in the documents" in search(url, "zyzzyva").output


def test_identity_stays_out_unless_asked(queue):
    url, pdf = queue
    run(url, "docs", "add", "1", str(pdf))
    hits = json.loads(search(url, "memorandum", "--json").output)
    assert hits and "Garcia" not in json.dumps(hits) and "[identity]" in hits[0]["snippet"]
    assert not [h for h in json.loads(search(url, "Ana Garcia", "--json").output) if h["type"] != "page"]
    shown = json.loads(search(url, "Ana Garcia", "--identity", "--json").output)
    assert {h["type"] for h in shown} == {"page", "identity"} and "Garcia" in json.dumps(shown)


def test_purge_takes_the_client_pages_out_of_the_index_and_says_what_it_kept(queue):
    url, pdf = queue
    run(url, "docs", "add", "1", str(pdf))
    out = run(url, "track", "purge", "1", "--yes").output
    assert "removed from the search index the text of 1 page(s) naming the client" in out
    assert "kept 4 page(s) of text" in out
    assert not json.loads(search(url, "memorandum", "--json").output)      # page 1 named her
    assert json.loads(search(url, "pricing", "--json").output)             # page 2 did not
    d = json.loads(run(url, "docs", "list", "--json", "--identity").output)[0]
    assert d["original_name"] is None and d["pages"] == 5


def test_appeal_offers_the_exemptions_found_in_the_documents(queue, tmp_path):
    url, pdf = queue
    run(url, "docs", "add", "1", str(pdf))
    result = CliRunner().invoke(cli, ["track", "--db", url, "appeal", "1", "--ground", "partial-withholding",
                                      "--requester-name", "Sam Doe", "--requester-email", "sam@example.org",
                                      "--out", str(tmp_path / "letters")])
    assert result.exit_code == 0, result.output
    assert "Exemptions marked in this request's documents: (b)(4) x1, (b)(5) x1, (b)(6) x1, (b)(7)(C) x1, " \
           "(b)(7)(E) x2" in result.output
    letter = next((tmp_path / "letters").iterdir()).read_text()
    assert "citing exemptions (b)(4), (b)(5), (b)(6), (b)(7)(C), and (b)(7)(E) of 5 U.S.C. 552" in " ".join(letter.split())


def test_bundle_is_a_verified_case_file_with_bates_numbers_read_back(queue, tmp_path):
    from pypdf import PdfReader

    url, pdf = queue
    run(url, "docs", "add", "1", str(pdf), "--received", "2026-03-03")
    second = make_pdf(tmp_path / "ICE release 2.pdf", ["Second batch page one", "Second batch page two (b)(6)"])
    run(url, "docs", "add", "1", str(second), "--received", "2026-03-10")
    (tmp_path / "reply.eml").write_bytes(b"From: foia@ice.dhs.gov\r\nSubject: Interim release\r\n\r\nSee attached.\r\n")
    run(url, "docs", "add", "1", str(tmp_path / "reply.eml"), "--received", "2026-03-10")
    run(url, "track", "followup", "1", "--out", str(tmp_path / "letters"), "--requester-name", "Sam Doe",
        "--requester-email", "sam@example.org")
    letter = next((tmp_path / "letters").iterdir())
    before = pdf.read_bytes()
    case = tmp_path / "case.zip"
    out = run(url, "track", "bundle", "1", "--out", str(case), "--bates-prefix", "ICE-", "--bates-start", "100").output
    assert "2 PDFs (7 pages, Bates ICE-000100-ICE-000106)" in out
    assert stat.S_IMODE(case.stat().st_mode) == 0o600
    assert pdf.read_bytes() == before
    z = zipfile.ZipFile(case)
    names = z.namelist()
    assert {"chronology.csv", "chronology.docx", "production_log.csv", "withheld.docx", "MANIFEST.sha256"} <= set(names)
    assert any(n.startswith("correspondence/") and n.endswith("reply.eml") for n in names)
    sent = [n for n in names if n.startswith("correspondence/") and n.endswith(letter.name)]
    assert len(sent) == 1 and z.read(sent[0]) == letter.read_bytes()
    # Every page carries its number, in order, without gaps.
    read = []
    for n in sorted(n for n in names if n.startswith("production/")):
        reader = PdfReader(io.BytesIO(z.read(n)))
        read += [p.extract_text() for p in reader.pages]
    assert len(read) == 7
    for i, text in enumerate(read):
        assert f"ICE-{100 + i:06d}" in text, text
    assert "Palantir" in read[0]            # the page's own text is still there
    log = list(csv.DictReader(io.StringIO(z.read("production_log.csv").decode())))
    assert [(r["bates_begin"], r["bates_end"], r["pages"]) for r in log] == [
        ("ICE-000100", "ICE-000104", "5"), ("ICE-000105", "ICE-000106", "2")]
    import hashlib

    assert log[0]["sha256_original"] == hashlib.sha256(before).hexdigest()
    assert log[0]["sha256_stamped"] == hashlib.sha256(z.read(log[0]["file"])).hexdigest() != log[0]["sha256_original"]
    assert log[0]["disposition"] == "partial" and "(b)(7)(E) x2" in log[0]["exemptions"]
    chron = list(csv.DictReader(io.StringIO(z.read("chronology.csv").decode())))
    assert any(r["exhaustion"] == "constructive" and r["deadline_rule"] == "5 U.S.C. 552(a)(6)(C)(i)" for r in chron)
    assert any("document 1" in r["rests_on"] for r in chron)
    import docx

    withheld = docx.Document(io.BytesIO(z.read("withheld.docx")))
    cells = [[c.text for c in row.cells] for row in withheld.tables[0].rows]
    assert cells[0][:5] == ["Bates", "Document", "Page", "Released", "Exemptions cited"]
    assert ["ICE-000103", "1", "4", "withheld in full", "(b)(5)"] in [r[:5] for r in cells]
    assert ["ICE-000106", "2", "2", "released in part", "(b)(6)"] in [r[:5] for r in cells]
    assert "Vaughn index" in "\n".join(p.text for p in withheld.paragraphs)
    chronology = docx.Document(io.BytesIO(z.read("chronology.docx")))
    assert "2026-ICFO-00017" in "\n".join(p.text for p in chronology.paragraphs)
    z.close()
    assert f"{case}: all 8 files match MANIFEST.sha256." in run(url, "track", "bundle", "--verify", str(case)).output
    # Tamper with one member: the check names it.
    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(case) as src, zipfile.ZipFile(tampered, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            dst.writestr(item, data + b"x" if item.filename == "production_log.csv" else data)
    bad = run(url, "track", "bundle", "--verify", str(tampered), ok=False)
    assert "FAILED production_log.csv: SHA-256 differs from the manifest" in bad.output


def test_export_gives_back_the_stored_bytes(queue, tmp_path):
    url, pdf = queue
    run(url, "docs", "add", "1", str(pdf))
    out = tmp_path / "copy.pdf"
    run(url, "docs", "export", "1", "--out", str(out))
    assert out.read_bytes() == pdf.read_bytes() and stat.S_IMODE(out.stat().st_mode) == 0o600
    assert "already exists" in run(url, "docs", "export", "1", "--out", str(out), ok=False).output


def test_migration_9_leaves_old_and_new_databases_alike(db_url):
    """A database from before the vault gets the vault's tables and index."""
    from sqlalchemy import delete, inspect

    from foia.tracker import open_tracker
    from foia.tracker.models import schema_migrations
    from foia.tracker.store import LATEST, open_store

    t = open_tracker(db_url)
    t.add(title="A", office="ice", on="2025-01-02")

    def before_the_vault(c):
        if c.dialect.name != "sqlite":
            c.exec_driver_sql("DROP TABLE document_tsv")
        for table in ("document_pages", "documents", "blob_chunks", "blobs"):
            c.exec_driver_sql(f"DROP TABLE {table}")
        if c.dialect.name == "sqlite":
            c.exec_driver_sql("DROP TABLE document_fts")
        c.execute(delete(schema_migrations).where(schema_migrations.c.version >= 9))

    t.store.write(before_the_vault)
    t.store.dispose()
    store = open_store(db_url)
    try:
        assert store.schema_version() == LATEST
        with store.read() as conn:
            tables = set(inspect(conn).get_table_names())
            assert {"blobs", "blob_chunks", "documents", "document_pages"} <= tables
            if store.is_sqlite:
                assert "document_fts" in tables
            else:
                assert "ix_document_tsv" in {i["name"] for i in inspect(conn).get_indexes("document_tsv")}
    finally:
        store.dispose()


def test_open_launches_a_private_copy_and_verify_reports(queue, monkeypatch):
    url, pdf = queue
    run(url, "docs", "add", "1", str(pdf))
    opened = []
    monkeypatch.setattr("click.launch", lambda path, **kw: opened.append(Path(path)) or 0)
    assert "Opening " in run(url, "docs", "open", "1").output
    assert opened[0].read_bytes() == pdf.read_bytes() and stat.S_IMODE(opened[0].stat().st_mode) == 0o600
    assert run(url, "docs", "verify").output.endswith("1 stored file checked: 0 problem(s).\n")
    from foia.tracker import open_tracker
    from foia.vault.documents import blob_path

    t = open_tracker(url)
    try:
        if t.store.is_sqlite:       # a file changed behind foia's back is named
            blob = blob_path(t.store, json.loads(run(url, "docs", "list", "--json").output)[0]["sha256"])
            blob.chmod(0o600)
            blob.write_bytes(b"%PDF-1.4 tampered")
            out = run(url, "docs", "verify", ok=False).output
            assert "PROBLEM" in out and "no longer match their SHA-256" in out
    finally:
        t.store.dispose()


def test_every_docs_command_has_help_and_documentation():
    from foia.commands.docs import docs as group

    text = (Path(__file__).resolve().parents[1] / "docs" / "documents.md").read_text(encoding="utf-8")
    for name, command in group.commands.items():
        assert command.help and command.help.strip(), name
        assert f"foia docs {name}" in text, name
        result = CliRunner().invoke(cli, ["docs", name, "--help"])
        assert result.exit_code == 0 and "Usage: " in result.output
    assert "foia search" in text and "--in documents" in text and "foia track bundle" in text


def test_inbox_attachments_are_added_and_received_mail_is_bundled(queue, tmp_path):
    """A reply fetched into the inbox (matched to request 1 by its tracking number): its
    attachments become documents, and the bundle carries the message raw, as received."""
    from email.message import EmailMessage

    url, pdf = queue
    m = EmailMessage()
    m["From"], m["To"], m["Subject"] = "ice-foia@ice.dhs.gov", "sam@example.org", "Interim release 2026-ICFO-00017"
    m["Date"] = "Tue, 03 Mar 2026 10:00:00 -0500"
    m["Message-ID"] = "<release-17@ice.example>"
    m.set_content("Please find the records attached.")
    m.add_attachment(pdf.read_bytes(), maintype="application", subtype="pdf", filename="release.pdf")
    m.add_attachment(b"Cover letter citing (b)(6)\n", maintype="text", subtype="plain", filename="cover.txt")
    raw = m.as_bytes()
    reply = tmp_path / "reply.eml"
    reply.write_bytes(raw)
    run(url, "inbox", "import", str(reply))
    assert json.loads(run(url, "inbox", "show", "1", "--json").output)["request_id"] == 1
    assert "give FILES or --message ID" in run(url, "docs", "add", "1", ok=False).output
    out = run(url, "docs", "add", "1", "--message", "1", "--received", "2026-03-03").output
    assert "Document 1: release.pdf, 5 pages" in out and "Document 2: cover.txt, 1 page" in out
    case = tmp_path / "case.zip"
    run(url, "track", "bundle", "1", "--out", str(case))
    with zipfile.ZipFile(case) as z:
        mail = [n for n in z.namelist() if n.startswith("correspondence/") and n.endswith(".eml")]
        assert [z.read(n) for n in mail] == [raw]
    assert "files match MANIFEST.sha256" in run(url, "track", "bundle", "--verify", str(case)).output
