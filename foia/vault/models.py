"""The vault's tables (SQLAlchemy Core, on the tracker's ``metadata``; migration 9 builds them).

- ``blobs``: one row per distinct content (SHA-256): the same bytes arriving twice are stored
  once. SQLite keeps the bytes in a 0700 folder beside the database (``<db>.vault/``, 0600
  files); PostgreSQL keeps them in ``blob_chunks`` (1 MiB rows), so a team shares them and one
  ``pg_dump`` backs up everything. Bytes are never modified once stored.
- ``documents``: one row per arrival of a file on a request (the same blob may be linked to
  several), with what was found in it: media type (from the bytes), pages, text layer,
  exemption counts; ``ocr_sha256`` names the OCR'd copy kept beside the original.
- ``document_pages``: the text of each page and its exemption marks. The full-text index over
  ``text`` is SQLite FTS5 (``document_fts``, rowid = page id) or PostgreSQL's ``document_tsv``
  (page id, stored tsvector, GIN index); neither is a Table here (the migration creates them).
"""

from __future__ import annotations

from sqlalchemy import (JSON, Boolean, Column, Date, ForeignKey, Index, Integer, LargeBinary, String, Table, Text,
                        UniqueConstraint, BigInteger, PrimaryKeyConstraint)

from foia.tracker.models import metadata

blobs = Table(
    "blobs", metadata,
    Column("sha256", String(64), primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("media_type", String(100), nullable=False),
    Column("stored_at", String(32), nullable=False),
)

blob_chunks = Table(
    "blob_chunks", metadata,
    Column("sha256", String(64), ForeignKey("blobs.sha256"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("data", LargeBinary, nullable=False),
    PrimaryKeyConstraint("sha256", "seq"),
)

documents = Table(
    "documents", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("request_id", Integer, ForeignKey("requests.id"), nullable=False),
    Column("sha256", String(64), ForeignKey("blobs.sha256"), nullable=False),
    Column("original_name", Text),            # identity: "Garcia A-File.pdf"; blanked by purge
    Column("media_type", String(100), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("pages", Integer, nullable=False),
    Column("text_layer", Boolean, nullable=False),     # every page has text
    Column("needs_ocr", Integer, nullable=False),      # pages without a text layer
    Column("office", String(64), nullable=False),
    Column("received_on", Date, nullable=False),
    Column("event_id", Integer, ForeignKey("events.id")),
    Column("exemptions", JSON),                        # {"(b)(6)": 12, ...}
    Column("disposition", String(16), nullable=False),  # full | partial | withheld
    Column("ocr_sha256", String(64), ForeignKey("blobs.sha256")),
    Column("added_at", String(32), nullable=False),
    Column("added_by", String(200)),
    sqlite_autoincrement=True,
)
Index("ix_documents_request", documents.c.request_id)
Index("ix_documents_sha256", documents.c.sha256)

document_pages = Table(
    "document_pages", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("document_id", Integer, ForeignKey("documents.id"), nullable=False),
    Column("page", Integer, nullable=False),
    Column("text", Text, nullable=False),
    Column("needs_ocr", Boolean, nullable=False),
    Column("exemptions", JSON),
    Column("withheld", Boolean, nullable=False),       # the page stands in for a page withheld in full
    UniqueConstraint("document_id", "page", name="uq_document_page"),
)

VAULT_TABLES = (blobs, blob_chunks, documents, document_pages)
