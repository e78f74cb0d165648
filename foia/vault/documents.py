"""Adding, listing, reading and OCR'ing the documents of a request (the vault's use cases).

Bytes are content-addressed by SHA-256 and never modified once stored:

- SQLite: a 0700 folder beside the database (``foia.db.vault/ab/abcdef...``), 0600 files
  written atomically (temporary file, fsync, rename) BEFORE the transaction that records them.
  A crash between the two leaves an unreferenced file, never a row without its bytes; the next
  add of the same bytes adopts it, and ``verify`` lists such leftovers.
- PostgreSQL: the bytes in ``blob_chunks`` (1 MiB rows) in the same transaction as the rows
  that use them, read from the file chunk by chunk so a large production is never held whole.

An add is all or nothing: every file is checked and read first, then one transaction records
them all (and a ``documents`` event in the history unless ``event`` names the one they came with).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

from foia.errors import FoiaError, NotFound, UsageError
from foia.naming import Field, Text
from foia.vault import extract as ex

CHUNK = 1 << 20


@dataclass
class Incoming:
    path: Path
    sha256: str
    size: int
    media_type: str
    extracted: ex.Extracted


def vault_dir(store) -> Path | None:
    """Where a SQLite tracker keeps document bytes (None: PostgreSQL keeps them in the database)."""
    if not store.is_sqlite or store.path is None:
        return None
    return Path(str(store.path) + ".vault")


def blob_path(store, sha: str) -> Path:
    return vault_dir(store) / sha[:2] / sha


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


def read_incoming(path: Path | str) -> Incoming:
    """Check and read one file: one ``FoiaError`` naming it if it cannot be stored."""
    path = Path(path)
    size = ex.check_file(path)
    media = ex.media_type(path)
    extracted = ex.extract(path, media)
    return Incoming(path, file_sha256(path), size, media, extracted)


def _put_file_blob(store, inc: Incoming) -> bool:
    """Copy the bytes into the SQLite vault (atomically); True if this call created the file."""
    from foia.files import atomic_open
    from foia.paths import make_private_dirs

    target = blob_path(store, inc.sha256)
    if target.is_file() and target.stat().st_size == inc.size and file_sha256(target) == inc.sha256:
        return False
    make_private_dirs(target.parent)
    h = hashlib.sha256()
    with atomic_open(target) as out, open(inc.path, "rb") as src:
        for chunk in iter(lambda: src.read(CHUNK), b""):
            h.update(chunk)
            out.write(chunk)
        if h.hexdigest() != inc.sha256:
            raise FoiaError(f"{inc.path} changed while it was being added; add it again when nothing writes to it")
    return True


def _put_db_blob(conn, path: Path, sha: str) -> None:
    from sqlalchemy import insert

    from foia.vault.models import blob_chunks

    h = hashlib.sha256()
    with open(path, "rb") as src:
        for seq, chunk in enumerate(iter(lambda: src.read(CHUNK), b"")):
            h.update(chunk)
            conn.execute(insert(blob_chunks).values(sha256=sha, seq=seq, data=chunk))
    if h.hexdigest() != sha:
        raise FoiaError(f"{path} changed while it was being added; add it again when nothing writes to it")


@contextmanager
def blob_file(store, sha: str) -> Iterator[Path]:
    """A path to the stored bytes: the vault file (SQLite), or a private temporary copy streamed
    from the database (PostgreSQL) and removed afterwards."""
    if store.is_sqlite:
        path = blob_path(store, sha)
        if not path.is_file():
            raise FoiaError(f"the vault has lost {sha[:12]}... ({path} is missing); restore it from a backup")
        yield path
        return
    from sqlalchemy import select

    from foia.vault.models import blob_chunks

    fd, tmp = tempfile.mkstemp(prefix="foia-doc-", suffix=".bin")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as out, store.engine.connect() as conn:
            rows = conn.execution_options(yield_per=8).execute(
                select(blob_chunks.c.data).where(blob_chunks.c.sha256 == sha).order_by(blob_chunks.c.seq))
            for (data,) in rows:
                out.write(data)
        yield Path(tmp)
    finally:
        os.unlink(tmp)


def _page_rows(doc_id: int, pages: Sequence[ex.Page]) -> list[dict]:
    return [{"document_id": doc_id, "page": p.number, "text": p.text, "needs_ocr": p.needs_ocr,
             "exemptions": p.exemptions or None, "withheld": p.withheld} for p in pages]


def _index_pages(conn, doc_id: int) -> None:
    """Put a document's pages in the full-text index (see migration 9)."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("INSERT INTO document_fts(rowid, text) SELECT id, text FROM document_pages "
                             "WHERE document_id = ?", (doc_id,))
    else:
        conn.exec_driver_sql("INSERT INTO document_tsv (page_id, tsv) SELECT id, to_tsvector('english', text) "
                             "FROM document_pages WHERE document_id = %(d)s", {"d": doc_id})


def _index_page(conn, page_id: int, text: str) -> None:
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("INSERT INTO document_fts(rowid, text) VALUES (?, ?)", (page_id, text))
    else:
        conn.exec_driver_sql("INSERT INTO document_tsv (page_id, tsv) VALUES (%(p)s, to_tsvector('english', %(t)s))",
                             {"p": page_id, "t": text})


def _unindex_pages(conn, page_ids: Sequence[int]) -> None:
    page_ids = list(page_ids)
    for i in range(0, len(page_ids), 500):
        part = page_ids[i:i + 500]
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql(f"DELETE FROM document_fts WHERE rowid IN ({','.join('?' * len(part))})",
                                 tuple(part))
        else:
            conn.exec_driver_sql("DELETE FROM document_tsv WHERE page_id = ANY(%(ids)s)", {"ids": part})


def add(tracker, request, files: Sequence[Path | str], *, received=None, event: int | None = None,
        office: str | None = None, by: str | None = None) -> list[dict]:
    """Store ``files`` as documents of ``request``; all of them or none. Returns one dict per document."""
    from sqlalchemy import insert, select

    from foia.tracker.models import events
    from foia.parse import parse_day
    from foia.tracker.views import summary
    from foia.tracker.store import utcnow
    from foia.vault.models import blobs, documents, document_pages

    if not files:
        raise UsageError("give at least one FILE to add")
    rid = tracker.get(request)
    day = parse_day(received, "received") if received else tracker.today()
    tracker.not_future(day, "received")
    office_id = tracker.office(office)[0].id if office else None
    incoming: list[Incoming] = []
    for f in files:
        inc = read_incoming(f)
        twin = next((o for o in incoming if o.sha256 == inc.sha256), None)
        if twin is not None:
            raise FoiaError(f"{inc.path} has the same bytes as {twin.path} (SHA-256 {inc.sha256[:12]}...); give it once")
        incoming.append(inc)
    actor = tracker.actor(by)
    created: list[Path] = []
    try:
        if tracker.store.is_sqlite:
            for inc in incoming:
                if _put_file_blob(tracker.store, inc):
                    created.append(blob_path(tracker.store, inc.sha256))

        def run(conn):
            row = tracker.lock(conn, rid)
            ev_id = event
            if ev_id is not None:
                owner = conn.execute(select(events.c.request_id).where(events.c.id == int(ev_id))).scalar()
                if owner != rid:
                    raise UsageError(Text(Field("event"), f" {ev_id}: no such event on request {rid}; see "
                                          f"`foia track show {rid}`"), field="event")
            for inc in incoming:
                dup = conn.execute(select(documents.c.id, documents.c.received_on).where(
                    documents.c.request_id == rid, documents.c.sha256 == inc.sha256)).first()
                if dup is not None:
                    raise FoiaError(f"{inc.path} is already document {dup.id} of request {rid} (received "
                                    f"{dup.received_on}, same SHA-256 {inc.sha256[:12]}...); nothing was added")
            if ev_id is None:
                data = {"count": len(incoming), "pages": sum(len(i.extracted.pages) for i in incoming),
                        "files": [i.path.name for i in incoming]}
                ev = tracker.new_event(rid, "documents", day, actor, data=data)
                ev_id = conn.execute(insert(events).values(**ev)).inserted_primary_key[0]
                recorded = [summary(ev)]
            else:
                recorded = []
            out = []
            stamp = utcnow()
            for inc in incoming:
                known = conn.execute(select(blobs.c.sha256).where(blobs.c.sha256 == inc.sha256)).first()
                if known is None:
                    conn.execute(insert(blobs).values(sha256=inc.sha256, size=inc.size, media_type=inc.media_type,
                                                      stored_at=stamp))
                    if not tracker.store.is_sqlite:
                        _put_db_blob(conn, inc.path, inc.sha256)
                x = inc.extracted
                values = dict(request_id=rid, sha256=inc.sha256, original_name=inc.path.name,
                              media_type=inc.media_type, size=inc.size, pages=len(x.pages),
                              text_layer=x.needs_ocr == 0, needs_ocr=x.needs_ocr, office=office_id or row.office,
                              received_on=day, event_id=ev_id, exemptions=x.exemptions or None,
                              disposition=x.disposition, added_at=stamp, added_by=actor)
                doc_id = conn.execute(insert(documents).values(**values)).inserted_primary_key[0]
                conn.execute(insert(document_pages), _page_rows(doc_id, x.pages))
                _index_pages(conn, doc_id)
                out.append({"id": doc_id, **values, "received_on": day.isoformat(), "linked": known is not None})
            if recorded:
                tracker.refresh(conn, rid)
            return out

        return tracker.store.write(run)
    except BaseException:
        for p in created:
            try:
                p.unlink()
            except OSError:
                pass
        raise


def inbox():
    """The inbox package (issue 15) when this foia has it, else None."""
    import importlib

    try:
        return importlib.import_module("foia.inbox")
    except ModuleNotFoundError:
        return None


def add_attachments(tracker, request, message_id, *, received=None, event: int | None = None,
                    office: str | None = None, by: str | None = None) -> list[dict]:
    """Store the attachments of an inbox message as documents of ``request`` (all or none)."""
    box = inbox()
    if box is None:
        raise FoiaError("this foia has no inbox (foia inbox) to take attachments from; save them and give the files")
    found = box.attachments_of(tracker, message_id)
    if not found:
        raise FoiaError(f"message {message_id} has no attachments; nothing was added")
    with tempfile.TemporaryDirectory(prefix="foia-attachments-") as tmp:
        os.chmod(tmp, 0o700)
        paths = []
        for i, (name, _media, data) in enumerate(found, start=1):
            safe = re.sub(r"[^\w.()+ -]+", "_", Path(name or f"attachment-{i}").name).strip() or f"attachment-{i}"
            folder = Path(tmp) / str(i)     # two attachments may share a name
            folder.mkdir(mode=0o700)
            path = folder / safe
            fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            paths.append(path)
        return add(tracker, request, paths, received=received, event=event, office=office, by=by)


# ---- reading --------------------------------------------------------------------------------


def _doc_dict(row, *, identity: bool) -> dict:
    d = {k: row._mapping[k] for k in row._mapping.keys()}
    d["received_on"] = row.received_on.isoformat() if row.received_on else None
    d["exemptions"] = dict(row.exemptions or {})
    if not identity:
        d["original_name"] = f"document-{row.id}{media_suffix(row.media_type)}" if row.original_name else None
    return d


def media_suffix(media: str) -> str:
    return {ex.PDF: ".pdf", ex.DOCX: ".docx", ex.TEXT: ".txt", ex.EML: ".eml", ex.HTML: ".html"}.get(media, ".bin")


def list_documents(tracker, request=None, *, identity: bool = False) -> list[dict]:
    """Every document (of ``request``), oldest first. File names are identity data: shown as
    ``document-N.pdf`` unless ``identity``."""
    from sqlalchemy import select

    from foia.vault.models import documents

    query = select(documents).order_by(documents.c.id)
    if request is not None:
        query = query.where(documents.c.request_id == tracker.get(request))
    with tracker.store.read() as conn:
        return [_doc_dict(r, identity=identity) for r in conn.execute(query)]


def get_document(tracker, doc_id, *, identity: bool = False, pages: bool = True) -> dict:
    from sqlalchemy import select

    from foia.vault.models import documents, document_pages

    number = _doc_number(doc_id)
    with tracker.store.read() as conn:
        row = conn.execute(select(documents).where(documents.c.id == number)).first()
        if row is None:
            raise NotFound(f"no document {doc_id}; see `foia docs list`")
        d = _doc_dict(row, identity=identity)
        if pages:
            d["page_list"] = [{"page": p.page, "needs_ocr": p.needs_ocr, "withheld": p.withheld,
                               "exemptions": dict(p.exemptions or {}), "chars": len(p.text)}
                              for p in conn.execute(select(document_pages.c.page, document_pages.c.needs_ocr,
                                                           document_pages.c.withheld, document_pages.c.exemptions,
                                                           document_pages.c.text)
                                                    .where(document_pages.c.document_id == number)
                                                    .order_by(document_pages.c.page))]
    return d


def _doc_number(doc_id) -> int:
    text = str(doc_id).strip().lstrip("#")
    if not text.isdigit():
        raise UsageError(f"{doc_id!r} is not a document number; see `foia docs list`")
    return int(text)


def page_text(tracker, doc_id, page: int) -> str:
    from sqlalchemy import select

    from foia.vault.models import document_pages

    with tracker.store.read() as conn:
        text = conn.execute(select(document_pages.c.text).where(document_pages.c.document_id == _doc_number(doc_id),
                                                                document_pages.c.page == page)).scalar()
    if text is None:
        raise NotFound(f"document {doc_id} has no page {page}; see `foia docs show {doc_id}`")
    return text


def export(tracker, doc_id, out: Path | str, *, ocr: bool = False, overwrite: bool = False) -> Path:
    """Write a copy of a stored document (or its OCR'd copy) to ``out`` (0600, atomically)."""
    from foia.files import atomic_open

    d = get_document(tracker, doc_id, pages=False)
    sha = d["sha256"]
    if ocr:
        if not d["ocr_sha256"]:
            raise FoiaError(f"document {d['id']} has no OCR'd copy; run `foia docs ocr {d['id']}` first")
        sha = d["ocr_sha256"]
    with blob_file(tracker.store, sha) as src, atomic_open(out, overwrite=overwrite, what=Field("out")) as fh, \
            open(src, "rb") as inp:
        shutil.copyfileobj(inp, fh, CHUNK)
    return Path(out)


def exemptions_of(tracker, request) -> dict[str, int]:
    """Exemption marks counted over every document of ``request`` (for ``track appeal``)."""
    from collections import Counter

    total: Counter = Counter()
    for d in list_documents(tracker, request):
        total.update(d["exemptions"])
    return dict(sorted(total.items(), key=ex._mark_order))


# ---- OCR -------------------------------------------------------------------------------------

OCR_HINT = ("OCR needs ocrmypdf over Tesseract: pip install 'foia[ocr]' and apt-get install tesseract-ocr "
            "(or apt-get install ocrmypdf)")


def ocr_command() -> list[str] | None:
    """How to run ocrmypdf: the Python package (the ``ocr`` extra) or Debian's ``ocrmypdf``."""
    import importlib.util
    import sys

    if importlib.util.find_spec("ocrmypdf") is not None:
        return [sys.executable, "-m", "ocrmypdf"]
    found = shutil.which("ocrmypdf")
    return [found] if found else None


def ocr(tracker, doc_id, *, language: str = "eng", by: str | None = None) -> dict:
    """OCR the pages of a PDF that have no text layer; the original stays, the OCR'd copy is
    stored beside it and its text replaces the empty pages' text in the index."""
    import subprocess

    from sqlalchemy import insert, select, update

    from foia.tracker.store import utcnow
    from foia.vault.models import blobs, document_pages, documents

    d = get_document(tracker, doc_id, pages=False)
    if d["media_type"] != ex.PDF:
        raise FoiaError(f"document {d['id']} is not a PDF; only PDFs are OCR'd")
    if not d["needs_ocr"]:
        raise FoiaError(f"document {d['id']}: every page has a text layer already; nothing to OCR")
    cmd = ocr_command()
    if cmd is None:
        raise FoiaError(OCR_HINT)
    if not re.fullmatch(r"[a-z]{3}(\+[a-z]{3})*", language):
        raise UsageError(Text(Field("language"), f": {language!r} is not a Tesseract language code such as eng or "
                              "eng+spa"), field="language")
    with tempfile.TemporaryDirectory(prefix="foia-ocr-") as tmp:
        out = Path(tmp) / "ocr.pdf"
        with blob_file(tracker.store, d["sha256"]) as src:
            proc = subprocess.run([*cmd, "--skip-text", "--output-type", "pdf", "-l", language, "--quiet",
                                   str(src), str(out)], capture_output=True, text=True)
        if proc.returncode != 0 or not out.is_file():
            last = (proc.stderr.strip().splitlines() or [f"exit {proc.returncode}"])[-1]
            raise FoiaError(f"OCR of document {d['id']} failed: {last[:200]}")
        inc = Incoming(out, file_sha256(out), out.stat().st_size, ex.PDF, ex.Extracted(ex.PDF, ex.pdf_pages(out)))
        created = tracker.store.is_sqlite and _put_file_blob(tracker.store, inc)
        try:
            def run(conn):
                if conn.execute(select(blobs.c.sha256).where(blobs.c.sha256 == inc.sha256)).first() is None:
                    conn.execute(insert(blobs).values(sha256=inc.sha256, size=inc.size, media_type=ex.PDF,
                                                      stored_at=utcnow()))
                    if not tracker.store.is_sqlite:
                        _put_db_blob(conn, out, inc.sha256)
                old = {p.page: p for p in conn.execute(select(document_pages).where(
                    document_pages.c.document_id == d["id"]))}
                fixed = 0
                for p in inc.extracted.pages:
                    was = old.get(p.number)
                    if was is None or not was.needs_ocr or not p.text.strip():
                        continue
                    fixed += 1
                    _unindex_pages(conn, [was.id])
                    conn.execute(update(document_pages).where(document_pages.c.id == was.id).values(
                        text=p.text, needs_ocr=False, exemptions=p.exemptions or None, withheld=p.withheld))
                    _index_page(conn, was.id, p.text)
                rows = conn.execute(select(document_pages.c.needs_ocr, document_pages.c.exemptions,
                                           document_pages.c.withheld, document_pages.c.text).where(
                    document_pages.c.document_id == d["id"]).order_by(document_pages.c.page)).all()
                pages = [ex.Page(i + 1, r.text, r.needs_ocr, dict(r.exemptions or {}), r.withheld)
                         for i, r in enumerate(rows)]
                x = ex.Extracted(ex.PDF, pages)
                conn.execute(update(documents).where(documents.c.id == d["id"]).values(
                    ocr_sha256=inc.sha256, needs_ocr=x.needs_ocr, text_layer=x.needs_ocr == 0,
                    exemptions=x.exemptions or None, disposition=x.disposition))
                return {"id": d["id"], "pages_read": fixed, "still_needs_ocr": x.needs_ocr,
                        "ocr_sha256": inc.sha256, "exemptions": x.exemptions}

            return tracker.store.write(run)
        except BaseException:
            if created:
                blob_path(tracker.store, inc.sha256).unlink(missing_ok=True)
            raise


# ---- purge and verify -------------------------------------------------------------------------


def identity_values(row) -> list[str]:
    """The strings of a request's identity fields worth looking for in page text."""
    values = []
    for col in ("client_name", "client_a_number", "requester", "client_dob"):
        v = (getattr(row, col, None) or "").strip()
        if len(v) >= 3:
            values.append(v)
    name = (getattr(row, "client_name", None) or "").split()
    values += [part for part in name if len(part) >= 3]   # "Garcia" alone names the client too
    a_number = re.sub(r"\D", "", getattr(row, "client_a_number", None) or "")
    if len(a_number) >= 8:
        values.append(a_number)
    return values


def identity_pattern(values: Sequence[str]):
    """A pattern matching any of ``values`` (A-Numbers with or without dashes and spaces)."""
    parts = []
    for v in sorted(set(values), key=len, reverse=True):
        if v.isdigit():
            parts.append(r"[\s-]?".join(re.escape(c) for c in v))
        else:
            parts.append(r"\b" + re.escape(v) + r"\b")
    return re.compile("|".join(parts), re.I) if parts else None


def purge_request(conn, row) -> list[str]:
    """Called by the tracker's purge (same transaction, before the identity fields are blanked):
    the pages naming the client leave the search index, original file names are blanked.
    Returns lines saying what was removed and what was kept."""
    from sqlalchemy import func, inspect, select, update

    from foia.vault.models import document_pages, documents

    if not inspect(conn).has_table("documents"):
        return []
    docs = conn.execute(select(documents.c.id).where(documents.c.request_id == row.id)).scalars().all()
    if not docs:
        return []
    pattern = identity_pattern(identity_values(row))
    removed = []
    if pattern is not None:
        for p in conn.execute(select(document_pages.c.id, document_pages.c.text).where(
                document_pages.c.document_id.in_(docs))):
            if pattern.search(p.text):
                removed.append(p.id)
    _unindex_pages(conn, removed)
    for i in range(0, len(removed), 500):
        conn.execute(update(document_pages).where(document_pages.c.id.in_(removed[i:i + 500])).values(text=""))
    conn.execute(update(documents).where(documents.c.id.in_(docs)).values(original_name=None))
    total = conn.execute(select(func.count()).select_from(document_pages).where(
        document_pages.c.document_id.in_(docs))).scalar()
    return [f"documents: removed from the search index the text of {removed and len(removed) or 0} page(s) naming "
            f"the client, blanked {len(docs)} file name(s); kept {total - len(removed)} page(s) of text, the "
            f"{len(docs)} stored file(s) (the records as released), their SHA-256 and exemption counts"]


def verify(tracker) -> dict:
    """Check every stored file against its SHA-256. Returns problems (a document whose bytes are
    missing or changed) and leftovers (SQLite files no row uses: an add killed before its commit)."""
    from sqlalchemy import func, select

    from foia.vault.models import blob_chunks, blobs

    with tracker.store.read() as conn:
        known = {r.sha256: r.size for r in conn.execute(select(blobs.c.sha256, blobs.c.size))}
        if not tracker.store.is_sqlite:
            chunks = dict(conn.execute(select(blob_chunks.c.sha256, func.count()).group_by(blob_chunks.c.sha256)).all())
    problems, leftovers = [], []
    for sha in sorted(known):
        if tracker.store.is_sqlite and not blob_path(tracker.store, sha).is_file():
            problems.append(f"{sha}: missing from {vault_dir(tracker.store)}")
            continue
        if not tracker.store.is_sqlite and not chunks.get(sha):
            problems.append(f"{sha}: no bytes in the database")
            continue
        with blob_file(tracker.store, sha) as p:
            if file_sha256(p) != sha:
                problems.append(f"{sha}: its bytes no longer match their SHA-256")
    folder = vault_dir(tracker.store)
    if folder is not None and folder.is_dir():
        for f in sorted(folder.glob("*/*")):
            if f.parent.name == f.name[:2] and f.name not in known:
                leftovers.append(str(f))
            elif f.name.startswith("."):
                leftovers.append(str(f))
    return {"blobs": len(known), "problems": problems, "leftovers": leftovers}
