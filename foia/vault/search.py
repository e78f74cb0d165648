"""Full-text search over every page of every document, and the tracker's titles and notes.

The query speaks PostgreSQL's ``websearch_to_tsquery`` syntax on both backends: words (all
must appear), ``"a phrase"``, ``OR``, ``-word`` (must not appear). SQLite: FTS5 with the Porter
stemmer, ranked by bm25; PostgreSQL: each page's ``to_tsvector('english', text)`` stored in
``document_tsv`` under a GIN index, ranked by ``ts_rank``. Results name the request, the document and the page, with a snippet whose hits are
in [brackets].

Identity fields (client name, A-Number, requester, date of birth) are never in the index: they
are matched only with ``identity=True``, and snippets show them as ``[identity]`` otherwise.
"""

from __future__ import annotations

import re
from typing import Sequence

from foia.errors import UsageError

_TOKEN = re.compile(r'-?"[^"]*"?|\S+')


def fts5_query(text: str) -> str:
    """The websearch syntax as an FTS5 query: each word and phrase quoted (so punctuation is
    never FTS5 syntax), ``OR`` kept, ``-word`` as ``NOT``."""
    out: list[str] = []
    for tok in _TOKEN.findall(text):
        neg = tok.startswith("-") and len(tok) > 1
        body = tok[1:] if neg else tok
        if body == "OR" and not neg:
            if out and out[-1] not in ("OR", "NOT"):
                out.append("OR")
            continue
        words = body.strip('"')
        terms = re.findall(r"\w+", words)
        if not terms:
            continue
        quoted = '"' + " ".join(terms) + '"'
        if neg:
            if not out:
                raise UsageError(f"search {text!r}: start with a word to find; -word only excludes")
            while out and out[-1] == "OR":
                out.pop()
            out += ["NOT", quoted]
        else:
            out.append(quoted)
    while out and out[-1] in ("OR", "NOT"):
        out.pop()
    if not out:
        raise UsageError(f"search {text!r}: give at least one word to find")
    return " ".join(out)


def _words(text: str) -> list[str]:
    return [w for w in re.findall(r"\w+", re.sub(r'(^|\s)-("[^"]*"|\S+)', " ", text)) if w != "OR"]


def search(tracker, text: str, *, request=None, office: str | None = None, identity: bool = False,
           limit: int = 20) -> list[dict]:
    """Pages first (ranked), then requests whose title or notes match; at most ``limit`` each."""
    from sqlalchemy import select

    from foia.tracker.models import requests
    from foia.vault.documents import identity_pattern, identity_values

    if len(text.strip()) < 2:
        raise UsageError("give at least 2 characters to search for")
    rid = tracker.get(request) if request is not None else None
    offices = tracker.offices_of(office) if office else None
    store = tracker.store
    with store.read() as conn:
        if store.is_sqlite:
            pages = _sqlite_pages(conn, fts5_query(text), rid, offices, limit)
        else:
            pages = _pg_pages(conn, text, rid, offices, limit)
        records = _records(conn, text, rid, offices, identity, limit, store.is_postgresql)
        ids = {p["request_id"] for p in pages} | {r["request_id"] for r in records}
        people = {r.id: r for r in conn.execute(select(requests).where(requests.c.id.in_(ids)))} if ids else {}
    out = []
    for hit in pages + records:
        row = people.get(hit["request_id"])
        if not identity and row is not None:
            pattern = identity_pattern(identity_values(row))
            if pattern is not None:
                hit["snippet"] = pattern.sub("[identity]", hit["snippet"])
        hit["title"] = row.title if row is not None else None
        out.append(hit)
    return out


def _sqlite_pages(conn, query: str, rid, offices, limit: int) -> list[dict]:
    from sqlalchemy.exc import OperationalError

    # Rank first, then draw snippets for the pages shown only: SQLite computes every result
    # column of every match before sorting, and snippet() re-reads the page's text.
    join, where, params = "", "", [query]
    if rid is not None or offices:
        join = " JOIN document_pages p ON p.id = document_fts.rowid JOIN documents d ON d.id = p.document_id"
    if rid is not None:
        where += " AND d.request_id = ?"
        params.append(rid)
    if offices:
        where += f" AND d.office IN ({','.join('?' * len(offices))})"
        params += list(offices)
    try:
        top = conn.exec_driver_sql(
            f"SELECT document_fts.rowid, bm25(document_fts) FROM document_fts{join} "
            f"WHERE document_fts MATCH ?{where} ORDER BY bm25(document_fts) LIMIT ?", (*params, limit)).all()
        if not top:
            return []
        ids = [r[0] for r in top]
        marks = ",".join("?" * len(ids))
        snips = dict(conn.exec_driver_sql(
            "SELECT rowid, snippet(document_fts, 0, '[', ']', '...', 16) FROM document_fts "
            f"WHERE document_fts MATCH ? AND rowid IN ({marks})", (query, *ids)).all())
    except OperationalError as exc:     # FTS5 refused the query: say which words
        raise UsageError(f"cannot search for {query}: {exc.orig}") from None
    where_page = {r.id: r for r in conn.exec_driver_sql(
        "SELECT p.id, p.document_id, p.page, d.request_id, d.office FROM document_pages p "
        f"JOIN documents d ON d.id = p.document_id WHERE p.id IN ({marks})", tuple(ids))}
    out = []
    for page_id, score in top:
        r = where_page[page_id]
        out.append({"type": "page", "request_id": r.request_id, "document_id": r.document_id, "page": r.page,
                    "office": r.office, "snippet": " ".join(snips[page_id].split()), "score": round(-score, 4)})
    return out


def _pg_pages(conn, text: str, rid, offices, limit: int) -> list[dict]:
    from sqlalchemy import bindparam, text as sql

    where = ""
    params: dict = {"q": text, "n": limit}
    if rid is not None:
        where += " AND d.request_id = :rid"
        params["rid"] = rid
    if offices:
        where += " AND d.office IN :offices"
        params["offices"] = list(offices)
    # Rank with the index, then draw snippets only for the pages shown (ts_headline re-parses the text).
    query = sql(
        "SELECT h.document_id, h.page, h.request_id, h.office, h.score, "
        "ts_headline('english', p.text, websearch_to_tsquery('english', :q), "
        "'StartSel=[, StopSel=], MaxWords=24, MinWords=8, MaxFragments=1, FragmentDelimiter=\"...\"') AS snip "
        "FROM (SELECT p.id, p.document_id, p.page, d.request_id, d.office, ts_rank(t.tsv, q.q) AS score "
        "FROM document_tsv t JOIN document_pages p ON p.id = t.page_id JOIN documents d ON d.id = p.document_id, "
        "websearch_to_tsquery('english', :q) AS q(q) "
        f"WHERE t.tsv @@ q.q {where} "
        "ORDER BY score DESC, p.id LIMIT :n) h JOIN document_pages p ON p.id = h.id ORDER BY h.score DESC, h.id")
    if offices:
        query = query.bindparams(bindparam("offices", expanding=True))
    rows = conn.execute(query, params).all()
    return [{"type": "page", "request_id": r.request_id, "document_id": r.document_id, "page": r.page,
             "office": r.office, "snippet": " ".join(r.snip.split()), "score": round(float(r.score), 4)}
            for r in rows]


def _records(conn, text: str, rid, offices, identity: bool, limit: int, pg: bool) -> list[dict]:
    """Requests whose title, notes (or, with ``identity``, identity fields) hold every word."""
    from sqlalchemy import and_, func, or_, select

    from foia.tracker.models import events, requests

    words = _words(text)
    if not words:
        return []

    def has_all(col):
        return and_(*[func.lower(col).contains(w.lower(), autoescape=True) for w in words])

    fields = [("title", requests.c.title)]
    if identity:
        fields += [(c, requests.c[c]) for c in ("client_name", "client_a_number", "requester")]
    out = []
    base = select(requests.c.id, requests.c.office, *[c for _, c in fields])
    if rid is not None:
        base = base.where(requests.c.id == rid)
    if offices:
        base = base.where(requests.c.office.in_(offices))
    for r in conn.execute(base.where(or_(*[has_all(c) for _, c in fields])).order_by(requests.c.id).limit(limit)):
        name, value = next((n, getattr(r, n)) for n, _ in fields if value_has(getattr(r, n), words))
        out.append({"type": name if name == "title" else "identity", "request_id": r.id, "document_id": None,
                    "page": None, "office": r.office, "snippet": _mark(value, words), "score": None})
    notes = select(events.c.request_id, events.c.id, events.c.note, requests.c.office).join(
        requests, requests.c.id == events.c.request_id).where(has_all(events.c.note))
    if rid is not None:
        notes = notes.where(events.c.request_id == rid)
    if offices:
        notes = notes.where(requests.c.office.in_(offices))
    for r in conn.execute(notes.order_by(events.c.id).limit(limit)):
        out.append({"type": "note", "request_id": r.request_id, "document_id": None, "page": None,
                    "event_id": r.id, "office": r.office, "snippet": _mark(r.note, words), "score": None})
    return out


def value_has(value, words: Sequence[str]) -> bool:
    return bool(value) and all(w.lower() in str(value).lower() for w in words)


def _mark(value: str, words: Sequence[str]) -> str:
    text = " ".join(str(value).split())
    for w in words:
        text = re.sub(re.escape(w), lambda m: f"[{m.group(0)}]", text, flags=re.I)
    return text[:200]
