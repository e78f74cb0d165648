"""`foia docs`: the evidence vault (a thin layer over foia.vault)."""

from __future__ import annotations

import click

from foia.commands.track_common import by_option as _by_option, open_tracker as _tracker, plural as _n
from foia.commands.output import emit, output_options, to_json


@click.group("docs")
@click.option("--db", "db", envvar="FOIA_DB", metavar="URL",
              help="Tracker database (as for `foia track --db`; env FOIA_DB).")
@click.pass_context
def docs(ctx, db):
    """The records agencies release: stored once by SHA-256, read page by page, searchable.

    SQLite keeps the files in a user-only folder beside the database (foia.db.vault/);
    PostgreSQL keeps them in the database, so a team shares them and one pg_dump backs up all.
    Find text with `foia search TEXT --in documents`; bundle a case file with `foia track bundle`.
    """
    ctx.ensure_object(dict)
    ctx.obj["db"] = db


def _marks(counts: dict) -> str:
    return ", ".join(f"{k} x{v}" for k, v in counts.items()) or "none"


@docs.command("add")
@click.argument("request")
@click.argument("files", nargs=-1, type=click.Path())
@click.option("--message", metavar="ID", help="Instead of FILES: the attachments of this inbox message.")
@click.option("--received", metavar="DATE", help="Date the records arrived (default today).")
@click.option("--event", type=int, metavar="ID", help="The history event they came with (see `foia track show`); "
              "default: a new 'documents received' event.")
@click.option("--office", metavar="ID", help="The office that produced them (default: the request's).")
@_by_option
@click.pass_context
def docs_add(ctx, request, files, message, received, event, office, by):
    """Store FILES (PDF, DOCX, TXT, EML, HTML) as documents of REQUEST: all of them or none."""
    from foia.vault.documents import add, add_attachments

    if bool(files) == bool(message):
        raise click.UsageError("give FILES or --message ID (an inbox message's attachments), not both or neither")
    tracker = _tracker(ctx)
    if message:
        added = add_attachments(tracker, request, message, received=received, event=event, office=office, by=by)
    else:
        added = add(tracker, request, files, received=received, event=event, office=office, by=by)
    for d in added:
        ocr = f", {_n(d['needs_ocr'], 'page')} need OCR" if d["needs_ocr"] else ""
        same = " (same bytes as an earlier arrival: stored once, linked)" if d["linked"] else ""
        click.echo(f"Document {d['id']}: {d['original_name']}, {_n(d['pages'], 'page')}{ocr}, "
                   f"exemptions: {_marks(d['exemptions'] or {})}; sha256 {d['sha256'][:16]}...{same}")
    if any(d["needs_ocr"] for d in added):
        click.echo("Pages without a text layer are not searchable yet: foia docs ocr DOCUMENT")


@docs.command("list")
@click.option("--request", metavar="ID", help="Only this request's documents.")
@click.option("--identity", is_flag=True, help="Show original file names (identity data).")
@output_options()
@click.pass_context
def docs_list(ctx, request, identity, fmt):
    """List documents: request, file, pages, OCR needed, disposition, exemptions."""
    from foia.vault.documents import list_documents

    rows = list_documents(_tracker(ctx), request, identity=identity)
    if fmt != "json":
        for r in rows:
            r["exemption_marks"] = _marks(r["exemptions"])
    emit(rows, ["id", "request_id", "original_name", "pages", "needs_ocr", "disposition", "received_on", "office",
                "exemption_marks"], fmt,
         headers=["id", "request", "file", "pages", "needs ocr", "disposition", "received", "office", "exemptions"],
         empty="No documents." + ("" if request else " Add some: foia docs add REQUEST FILE..."))


@docs.command("show")
@click.argument("document")
@click.option("--page", type=click.IntRange(min=1), help="Print this page's text.")
@click.option("--identity", is_flag=True, help="Show the original file name (identity data).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def docs_show(ctx, document, page, identity, as_json):
    """Show a document: hashes, pages (which need OCR, which are redacted) and exemption counts."""
    from foia.vault.documents import get_document, page_text

    tracker = _tracker(ctx)
    if page:
        click.echo(page_text(tracker, document, page))
        return
    d = get_document(tracker, document, identity=identity)
    if as_json:
        click.echo(to_json(d))
        return
    click.echo(f"Document {d['id']} of request {d['request_id']}: {d['original_name'] or '(name purged)'}")
    click.echo(f"  {d['media_type']}, {d['size']} bytes, {_n(d['pages'], 'page')}, received {d['received_on']} "
               f"from {d['office']} (event #{d['event_id']})")
    click.echo(f"  sha256 {d['sha256']}" + (f"\n  OCR'd copy sha256 {d['ocr_sha256']}" if d["ocr_sha256"] else ""))
    layer = "yes" if d["text_layer"] else f"no on {d['needs_ocr']} page(s) (needs-ocr)"
    click.echo(f"  text layer: {layer}; "
               f"disposition: {d['disposition']}; exemptions: {_marks(d['exemptions'])}")
    for p in d["page_list"]:
        flags = [f for f, on in (("needs-ocr", p["needs_ocr"]), ("withheld", p["withheld"])) if on]
        if flags or p["exemptions"]:
            click.echo(f"  page {p['page']}: {' '.join(flags)}{' ' if flags else ''}{_marks(p['exemptions'])}")


@docs.command("export")
@click.argument("document")
@click.option("--out", required=True, type=click.Path(), help="File to write (created user-only).")
@click.option("--ocr", "ocr_copy", is_flag=True, help="The OCR'd copy instead of the original.")
@click.option("--overwrite", is_flag=True, help="Replace an existing file.")
@click.pass_context
def docs_export(ctx, document, out, ocr_copy, overwrite):
    """Write a copy of a stored document to a file (the stored bytes, unchanged)."""
    from foia.vault.documents import export

    path = export(_tracker(ctx), document, out, ocr=ocr_copy, overwrite=overwrite)
    click.echo(f"Wrote {path}")


@docs.command("open")
@click.argument("document")
@click.option("--ocr", "ocr_copy", is_flag=True, help="The OCR'd copy instead of the original.")
@click.pass_context
def docs_open(ctx, document, ocr_copy):
    """Open a document in your viewer (a private copy in foia's cache folder)."""
    from foia.paths import cache_dir, ensure_private_dir
    from foia.vault.documents import export, get_document, media_suffix

    tracker = _tracker(ctx)
    d = get_document(tracker, document, pages=False)
    folder = ensure_private_dir(cache_dir() / "documents")
    path = export(tracker, document, folder / f"document-{d['id']}{'-ocr' if ocr_copy else ''}"
                  f"{media_suffix(d['media_type'])}", ocr=ocr_copy, overwrite=True)
    click.echo(f"Opening {path}")
    click.launch(str(path))


@docs.command("ocr")
@click.argument("document")
@click.option("--language", default="eng", show_default=True, help="Tesseract language(s), e.g. eng+spa.")
@click.pass_context
def docs_ocr(ctx, document, language):
    """OCR the pages without a text layer (needs foia[ocr]); the original is kept beside the copy."""
    from foia.vault.documents import ocr

    r = ocr(_tracker(ctx), document, language=language)
    click.echo(f"Document {r['id']}: OCR read {_n(r['pages_read'], 'page')}; {r['still_needs_ocr']} still without "
               f"text; exemptions now: {_marks(r['exemptions'])}. The original is kept (`foia docs export "
               f"{r['id']} --ocr` for the copy).")


@docs.command("verify")
@click.pass_context
def docs_verify(ctx):
    """Check every stored file against its SHA-256; list files left by an interrupted add."""
    from foia.vault.documents import verify

    r = verify(_tracker(ctx))
    for p in r["problems"]:
        click.echo(f"PROBLEM {p}")
    for p in r["leftovers"]:
        click.echo(f"unused {p} (left by an interrupted add; safe to delete)")
    click.echo(f"{_n(r['blobs'], 'stored file')} checked: {len(r['problems'])} problem(s).")
    if r["problems"]:
        ctx.exit(1)
