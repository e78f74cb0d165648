"""The evidence vault: the records agencies release, stored once with their hashes, page counts
and text, searchable across the queue, and bundled for an appeal or a lawsuit.

Modules:

- ``models``    the tables (on the tracker's metadata; migration 9)
- ``extract``   media type from the bytes, text per page (pypdf, python-docx), exemption marks
- ``documents`` add (all or nothing), list, show, export, OCR, verify, purge
- ``search``    full-text search (SQLite FTS5, PostgreSQL tsvector + GIN)
- ``bundle``    the case file zip (chronology, correspondence, Bates-stamped production) and its check
"""
