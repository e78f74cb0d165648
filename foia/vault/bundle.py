"""A request's case file for an appeal or a lawsuit: one zip, written atomically, 0600.

- ``chronology.csv`` / ``chronology.docx``: every event (date, who recorded it, what happened,
  the documents it brought, the deadline rule it started) and the exhaustion date: actual (an
  appeal denied) or constructive (the agency missed its time limit, 5 U.S.C. 552(a)(6)(C)(i)).
- ``correspondence/``: the request letter as sent, every letter foia drafted that is still on
  disk, every message the inbox filed with the request (when this foia has ``foia.inbox``) and
  every non-PDF document received (emails, Word files), raw as filed.
- ``production/``: the released PDFs, every page stamped with a Bates number (PREFIX + a
  zero-padded counter, sequential over the whole production), the stored originals untouched.
- ``production_log.csv``: Bates range, file, SHA-256 before and after stamping, pages, date
  received, full/partial/withheld, exemption counts.
- ``withheld.docx``: the pages withheld or redacted and the exemptions cited, in the shape of a
  request for a Vaughn index.
- ``MANIFEST.sha256``: ``sha256sum`` lines over every other file; ``verify`` re-checks it.

It streams: one document at a time is read, stamped and written into the zip.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import tempfile
import zipfile
from pathlib import Path

from foia.errors import FoiaError, UsageError
from foia.naming import Field, Text
from foia.vault import extract as ex

MANIFEST = "MANIFEST.sha256"
_PREFIX = re.compile(r"[A-Za-z0-9_-]{0,20}")
DIGITS = 6


def bates(prefix: str, n: int) -> str:
    return f"{prefix}{n:0{DIGITS}d}"


class _Zip:
    """A zip being written, with the SHA-256 of every member for the manifest."""

    def __init__(self, fh):
        self.z = zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True)
        self.hashes: dict[str, str] = {}

    def add_bytes(self, name: str, data: bytes) -> str:
        self.z.writestr(name, data)
        self.hashes[name] = hashlib.sha256(data).hexdigest()
        return self.hashes[name]

    def add_file(self, name: str, path: Path) -> str:
        h = hashlib.sha256()
        with open(path, "rb") as src, self.z.open(name, "w", force_zip64=True) as dst:
            for chunk in iter(lambda: src.read(1 << 20), b""):
                h.update(chunk)
                dst.write(chunk)
        self.hashes[name] = h.hexdigest()
        return self.hashes[name]

    def close(self) -> None:
        lines = "".join(f"{h}  {n}\n" for n, h in sorted(self.hashes.items()))
        self.z.writestr(MANIFEST, lines)
        self.z.close()


def _overlay(width: float, height: float, label: str, x0: float, y0: float):
    """A blank page holding ``label`` at its bottom right in Helvetica 8 pt (a base-14 font,
    which every reader has, so nothing is embedded)."""
    from pypdf import PageObject
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    page = PageObject.create_blank_page(width=width, height=height)
    font = DictionaryObject({NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
                             NameObject("/BaseFont"): NameObject("/Helvetica"),
                             NameObject("/Encoding"): NameObject("/WinAnsiEncoding")})
    page[NameObject("/Resources")] = DictionaryObject({NameObject("/Font"): DictionaryObject(
        {NameObject("/FBates"): font})})
    x = x0 + width - 18 - 4.6 * len(label)
    y = y0 + 12
    stream = DecodedStreamObject()
    # A white box under the number keeps it legible over a scanned page.
    stream.set_data((f"q 1 g {x - 2:.2f} {y - 2:.2f} {4.6 * len(label) + 4:.2f} 11 re f 0 g BT /FBates 8 Tf "
                     f"{x:.2f} {y:.2f} Td ({label}) Tj ET Q").encode("latin-1"))
    page[NameObject("/Contents")] = stream
    return page


def stamp_pdf(src: Path, out, prefix: str, first: int) -> int:
    """Write ``src`` to the binary stream ``out`` with pages numbered from ``first``; returns the page count."""
    from pypdf import PdfWriter

    writer = PdfWriter(clone_from=ex.open_pdf(src))
    n = first
    for page in writer.pages:
        box = page.cropbox
        page.merge_page(_overlay(float(box.width), float(box.height), bates(prefix, n), float(box.left),
                                 float(box.bottom)), over=True)
        n += 1
    writer.write(out)
    return n - first


def _chronology(tracker, rid: int, docs: list[dict]) -> tuple[list[dict], dict | None]:
    info = tracker.show(rid, identity=True)
    by_event: dict[int, list[dict]] = {}
    for d in docs:
        by_event.setdefault(d["event_id"], []).append(d)
    started: dict[str, list[str]] = {}
    for dl in info["deadlines"]:
        started.setdefault(dl["start"], []).append(f"{dl['label']}: {dl['due'] or 'clock stopped'} ({dl['rule']})")
    rows = []
    seen_dates = set()
    for e in info["timeline"]:
        if e["type"] == "correction":
            continue
        rests = [f"document {d['id']} ({d['original_name']}, {d['pages']} p.)" for d in by_event.get(e["id"], [])]
        if e["type"] == "letter" and (e["data"] or {}).get("path"):
            rests.append(f"letter {Path(e['data']['path']).name}")
        rule = ""
        if e["occurred_on"] not in seen_dates and e["occurred_on"] in started:
            rule = "; ".join(started[e["occurred_on"]])
            seen_dates.add(e["occurred_on"])
        rows.append({"date": e["occurred_on"], "event": e["id"], "recorded_by": e.get("actor") or "",
                     "what_happened": e["summary"] + (" [voided]" if e.get("voided") else "")
                     + (f"; note: {e['note']}" if e.get("note") else ""),
                     "rests_on": "; ".join(rests), "deadline_rule": rule, "exhaustion": ""})
    exhaustion = _exhaustion(info, tracker.today())
    if exhaustion:
        rows.append({"date": exhaustion["date"], "event": "", "recorded_by": "foia",
                     "what_happened": exhaustion["text"], "rests_on": "", "deadline_rule": exhaustion["rule"],
                     "exhaustion": exhaustion["kind"]})
        rows.sort(key=lambda r: (r["date"], r["exhaustion"] != ""))
    return rows, exhaustion


def _exhaustion(info: dict, today) -> dict | None:
    """Actual exhaustion: an appeal decided adversely. Constructive: the agency let its
    determination (or appeal decision) deadline pass, 5 U.S.C. 552(a)(6)(C)(i)."""
    for e in reversed(info["timeline"]):
        if e["type"] == "status" and e["status"] in ("appeal-denied", "appeal-partial") and not e.get("voided"):
            return {"date": e["occurred_on"], "kind": "actual",
                    "text": "Administrative remedies exhausted: the appeal was decided adversely",
                    "rule": "5 U.S.C. 552(a)(4)(B), (a)(6)(A)(ii)"}
    for dl in info["deadlines"]:
        if dl["key"] in ("determination", "appeal_decision") and dl["due"] and dl["party"] == "agency":
            if dl["state"] == "overdue":
                return {"date": dl["due"], "kind": "constructive",
                        "text": f"Constructive exhaustion: the time limit ({dl['label'].lower()} {dl['due']}) "
                                "passed without it", "rule": "5 U.S.C. 552(a)(6)(C)(i)"}
            if dl["state"] == "late":
                return {"date": dl["due"], "kind": "constructive",
                        "text": f"Constructive exhaustion: the time limit ({dl['label'].lower()} {dl['due']}) "
                                f"passed without it; it came late, on {dl['closed_on']}",
                        "rule": "5 U.S.C. 552(a)(6)(C)(i)"}
    return None


def _csv(rows: list[dict], fields: list[str]) -> bytes:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=fields, lineterminator="\r\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: r.get(k, "") for k in fields})
    return buf.getvalue().encode("utf-8")


def _docx_bytes(build) -> bytes:
    import docx

    d = docx.Document()
    build(d)
    # python-docx stamps the current time in core properties: the file's bytes then vary; keep
    # them, the manifest is over this bundle's bytes.
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def _table(d, header: list[str], rows: list[list[str]]) -> None:
    t = d.add_table(rows=1, cols=len(header))
    t.style = "Table Grid"
    for cell, text in zip(t.rows[0].cells, header):
        cell.text = text
    for r in rows:
        cells = t.add_row().cells
        for cell, text in zip(cells, r):
            cell.text = str(text)


def bundle(tracker, request, out: Path | str, *, prefix: str = "", start: int = 1, overwrite: bool = False) -> dict:
    """Write the case file of ``request`` to ``out``; returns counts and the Bates range."""
    from foia.files import atomic_open
    from foia.vault.documents import blob_file, list_documents

    if not _PREFIX.fullmatch(prefix or ""):
        raise UsageError(Text(Field("bates_prefix"), f": {prefix!r}: use up to 20 letters, digits, - or _ "
                              "(e.g. ICE-GARCIA-)"), field="bates_prefix")
    if start < 1:
        raise UsageError(Text(Field("bates_start"), ": give a number of 1 or more"), field="bates_start")
    out = Path(out)
    if out.suffix.lower() != ".zip":
        raise UsageError(Text(Field("out"), f": {out} should end in .zip"), field="out")
    rid = tracker.get(request)
    info = tracker.show(rid, identity=True)
    docs = list_documents(tracker, rid, identity=True)
    with tracker.store.read() as conn:
        from sqlalchemy import select

        from foia.tracker.models import requests
        from foia.vault.models import document_pages

        letter_text = conn.execute(select(requests.c.letter_text).where(requests.c.id == rid)).scalar()
        # Page by page (a JSON null is not SQL NULL on every backend): the marked or withheld ones.
        withheld_pages = [p for p in conn.execute(select(
            document_pages.c.document_id, document_pages.c.page, document_pages.c.exemptions,
            document_pages.c.withheld).where(document_pages.c.document_id.in_([d["id"] for d in docs] or [-1]))
            .order_by(document_pages.c.document_id, document_pages.c.page)) if p.withheld or p.exemptions]
    chronology, exhaustion = _chronology(tracker, rid, docs)
    log: list[dict] = []
    first_of: dict[int, int] = {}
    n = start
    used_names: set[str] = set()
    with atomic_open(out, overwrite=overwrite, what=Field("out")) as fh:
        z = _Zip(fh)
        fields = ["date", "event", "recorded_by", "what_happened", "rests_on", "deadline_rule", "exhaustion"]
        z.add_bytes("chronology.csv", _csv(chronology, fields))

        def chron_doc(d):
            d.add_heading(f"Chronology: request {rid}, {info['title']} ({info['office_name']})", level=1)
            nums = ", ".join(t["number"] for t in info["tracking_numbers"]) or "none recorded"
            d.add_paragraph(f"Tracking numbers: {nums}. Status: {info['status']}.")
            if exhaustion:
                d.add_paragraph(f"Exhaustion ({exhaustion['kind']}): {exhaustion['date']}, {exhaustion['rule']}.")
            _table(d, ["Date", "Event", "Recorded by", "What happened", "Rests on", "Deadline rule"],
                   [[r["date"], r["event"], r["recorded_by"], r["what_happened"], r["rests_on"], r["deadline_rule"]]
                    for r in chronology])

        z.add_bytes("chronology.docx", _docx_bytes(chron_doc))
        if letter_text:
            z.add_bytes(f"correspondence/{info['filed_on'] or 'undated'}-request-letter.txt",
                        letter_text.encode("utf-8"))
        for e in info["timeline"]:
            path = (e.get("data") or {}).get("path") if e["type"] == "letter" else None
            if path and Path(path).is_file():
                z.add_file(f"correspondence/{e['occurred_on']}-event{e['id']}-{Path(path).name}", Path(path))
        from foia.vault.documents import inbox

        box = inbox()
        for m in (box.messages_of(tracker, rid) if box is not None else []):
            # Received mail, raw as filed in the inbox (issue 15).
            z.add_bytes(f"correspondence/{_unique(used_names, m['name'])}", box.raw_message(tracker, m["id"]))
        for d in docs:
            name = _unique(used_names, d["original_name"] or f"document-{d['id']}{'.pdf'}")
            if d["media_type"] != ex.PDF:
                with blob_file(tracker.store, d["sha256"]) as src:
                    z.add_file(f"correspondence/{d['received_on']}-doc{d['id']}-{name}", src)
                continue
            member = f"production/{bates(prefix, n)}_{name}"
            with blob_file(tracker.store, d["sha256"]) as src, tempfile.SpooledTemporaryFile(16 << 20) as tmp:
                pages = stamp_pdf(src, tmp, prefix, n)
                tmp.seek(0)
                h = hashlib.sha256()
                with z.z.open(member, "w", force_zip64=True) as dst:
                    for chunk in iter(lambda: tmp.read(1 << 20), b""):
                        h.update(chunk)
                        dst.write(chunk)
                z.hashes[member] = h.hexdigest()
            first_of[d["id"]] = n
            log.append({"bates_begin": bates(prefix, n), "bates_end": bates(prefix, n + pages - 1),
                        "file": member, "original_name": d["original_name"], "document": d["id"],
                        "sha256_original": d["sha256"], "sha256_stamped": z.hashes[member], "pages": pages,
                        "received_on": d["received_on"], "disposition": d["disposition"],
                        "exemptions": "; ".join(f"{k} x{v}" for k, v in d["exemptions"].items())})
            n += pages
        z.add_bytes("production_log.csv", _csv(log, ["bates_begin", "bates_end", "file", "original_name", "document",
                                                     "sha256_original", "sha256_stamped", "pages", "received_on",
                                                     "disposition", "exemptions"]))
        rows = []
        for p in withheld_pages:
            if p.document_id not in first_of:
                continue
            marks = dict(p.exemptions or {})
            rows.append([bates(prefix, first_of[p.document_id] + p.page - 1), str(p.document_id), str(p.page),
                         "withheld in full" if p.withheld else "released in part",
                         ", ".join(marks) or "none marked on the page", "", ""])

        def vaughn(d):
            numbers = ", ".join(t["number"] for t in info["tracking_numbers"]) or f"request {rid}"
            d.add_heading(f"Pages withheld or redacted: {info['title']} ({numbers})", level=1)
            d.add_paragraph(
                f"{info['office_name']} released the production below with {len(rows)} page(s) withheld or "
                "redacted. For each, the requester asks the agency to describe the material withheld, state the "
                "exemption claimed and why it applies, show the foreseeable harm of disclosure (5 U.S.C. "
                "552(a)(8)(A)(i)), and explain why no further portion is reasonably segregable (5 U.S.C. 552(b), "
                "closing sentences): an itemized index of the withholdings (a Vaughn index).")
            _table(d, ["Bates", "Document", "Page", "Released", "Exemptions cited", "Material withheld (agency)",
                       "Justification (agency)"], rows)
            totals: dict[str, int] = {}
            for doc in docs:
                for k, v in doc["exemptions"].items():
                    totals[k] = totals.get(k, 0) + v
            d.add_paragraph("Exemption marks counted in the production: "
                            + (", ".join(f"{k} x{v}" for k, v in totals.items()) or "none") + ".")

        z.add_bytes("withheld.docx", _docx_bytes(vaughn))
        z.close()
    return {"request_id": rid, "path": str(out), "documents": len(docs), "stamped": len(log),
            "pages": n - start, "first": bates(prefix, start) if log else None,
            "last": bates(prefix, n - 1) if log else None, "withheld_pages": len(rows),
            "files": len(z.hashes) + 1, "exhaustion": exhaustion}


def _unique(used: set[str], name: str) -> str:
    name = re.sub(r"[^\w.()+-]+", "_", Path(name).name) or "document"
    stem, dot, ext = name.rpartition(".")
    candidate, i = name, 2
    while candidate in used:
        candidate = f"{stem}-{i}.{ext}" if dot else f"{name}-{i}"
        i += 1
    used.add(candidate)
    return candidate


def verify(path: Path | str) -> dict:
    """Re-check a bundle's manifest: every file listed, present and matching; nothing unlisted."""
    path = Path(path)
    try:
        z = zipfile.ZipFile(path)
    except FileNotFoundError:
        raise FoiaError(f"{path}: no such file") from None
    except (zipfile.BadZipFile, OSError) as exc:
        raise FoiaError(f"{path} is not a readable zip ({exc}); it is not a foia case file or it is damaged") from None
    with z:
        try:
            manifest = z.read(MANIFEST).decode("utf-8")
        except KeyError:
            raise FoiaError(f"{path} has no {MANIFEST}; it is not a foia case file") from None
        listed = {}
        for i, line in enumerate(manifest.splitlines(), start=1):
            m = re.fullmatch(r"([0-9a-f]{64})  (.+)", line)
            if not m:
                raise FoiaError(f"{path}: {MANIFEST} line {i} is not '<sha256>  <file>'")
            listed[m.group(2)] = m.group(1)
        problems = []
        names = [n for n in z.namelist() if n != MANIFEST and not n.endswith("/")]
        for name in names:
            if name not in listed:
                problems.append(f"{name}: not in the manifest")
                continue
            h = hashlib.sha256()
            try:
                with z.open(name) as fh:
                    for chunk in iter(lambda: fh.read(1 << 20), b""):
                        h.update(chunk)
            except (zipfile.BadZipFile, OSError) as exc:
                problems.append(f"{name}: unreadable ({exc})")
                continue
            if h.hexdigest() != listed[name]:
                problems.append(f"{name}: SHA-256 differs from the manifest")
        for name in listed:
            if name not in names:
                problems.append(f"{name}: listed in the manifest but missing")
    return {"path": str(path), "files": len(listed), "problems": problems}
