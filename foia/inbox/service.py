"""The inbox: take in mail, keep it as received, match it to requests, propose next steps.

Writes are transactional: an import is one transaction (a bad message anywhere stores
nothing); an IMAP fetch stores each message in its own, with the UID it reached, so a fetch
cut off midway keeps what it had fully stored and the next one resumes there. The mail event
a match adds to a request, and every accepted proposal, go through the tracker's own
transactions and checks (``Tracker.update``): no rule of the tracker is repeated here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timezone
from pathlib import Path
from typing import Callable, Sequence

from foia.errors import FoiaError, NotFound, UsageError
from foia.naming import Field, Text
from foia.inbox.models import inbox_messages, inbox_proposals, inbox_sources
from foia.inbox.parse import Mail, MailError, parse, read_path

STATES = ("matched", "unmatched", "ignored")
EDITABLE = ("status", "on", "tracking", "fees", "extension_notice", "note", "delivery_failed")


@dataclass
class Stored:
    id: int
    where: str
    state: str
    request_id: int | None
    how: str
    proposals: int = 0


@dataclass
class ImportReport:
    stored: list[Stored] = field(default_factory=list)
    duplicates: list[tuple[str, int]] = field(default_factory=list)    # (where, the stored message's id)


def _message_columns(mail, sha256: str, raw: bytes) -> dict:
    """The stored columns a parsed message gives (an import and a restore alike), cut to the
    columns' sizes."""
    return {"sha256": sha256, "message_id": mail.message_id, "raw": raw, "size": len(raw),
            "sent_at": (mail.sent_at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
                        if mail.sent_at else None),
            "sent_on": mail.sent_on, "sender": mail.sender[:500], "sender_domain": mail.sender_domain[:255],
            "subject": mail.subject[:2000], "refs": mail.references[:100],
            "attachments": [{"filename": a.filename, "media_type": a.media_type, "size": len(a.data)}
                            for a in mail.attachments]}


def _utcnow() -> str:
    from foia.tracker.store import utcnow

    return utcnow()


class Inbox:
    """The inbox of one tracker (``foia.tracker.service.Tracker``)."""

    def __init__(self, tracker, *, rules=None):
        self.tracker = tracker
        self._rules = rules
        self._matcher = None    # read once per fetch: the letters' Message-IDs, the offices' patterns

    @property
    def rules(self):
        if self._rules is None:
            from foia.inbox.rules import load_rules

            self._rules = load_rules()
        return self._rules

    # -- taking mail in ---------------------------------------------------------------------

    def import_paths(self, paths: Sequence[str | Path], *, progress: Callable[[int], None] | None = None
                     ) -> ImportReport:
        """Store every message in ``paths`` (.eml files, mbox files, Maildir folders) in one
        transaction: a malformed message anywhere stores nothing and names it."""
        if not paths:
            raise UsageError("give one or more .eml files, mbox files or Maildir folders")
        for p in paths:
            if not Path(p).exists():
                raise MailError(f"{p}: no such file or folder")
        rules = self.rules

        def run(conn):
            from foia.inbox.match import Matcher

            matcher = Matcher(conn, self.tracker.directory)
            report = ImportReport()
            n = 0
            for p in paths:
                for where, raw in read_path(Path(p)):
                    self._take(conn, matcher, rules, raw, where, report)
                    n += 1
                    if progress is not None:
                        progress(n)
            return report

        return self.tracker.store.write(run)

    def store_fetched(self, raw: bytes | None, where: str, *, key: str, uidvalidity: str, uid: int,
                      report: ImportReport) -> None:
        """Store one fetched message and the UID the fetch reached, in one transaction (the
        IMAP fetch: a connection lost later keeps it). ``raw`` None records the UID alone."""
        from sqlalchemy import delete, insert

        rules = self.rules

        def run(conn):
            from foia.inbox.match import Matcher

            if raw is not None:
                if self._matcher is None:
                    self._matcher = Matcher(conn, self.tracker.directory)
                self._take(conn, self._matcher, rules, raw, where, report)
            conn.execute(delete(inbox_sources).where(inbox_sources.c.key == key))
            conn.execute(insert(inbox_sources).values(key=key[:400], uidvalidity=uidvalidity, last_uid=uid))

        self.tracker.store.write(run)

    def _take(self, conn, matcher, rules, raw: bytes, where: str, report: ImportReport) -> None:
        from sqlalchemy import select

        from foia.inbox.parse import sha256

        digest = sha256(raw)
        known = conn.execute(select(inbox_messages.c.id).where(inbox_messages.c.sha256 == digest)).scalar()
        if known is not None:
            report.duplicates.append((where, known))
            return
        mail = parse(raw, where=where)
        report.stored.append(self._store(conn, matcher, rules, mail, where))

    def _store(self, conn, matcher, rules, mail: Mail, where: str) -> Stored:
        from sqlalchemy import insert

        found = matcher.match(conn, mail)
        row = {**_message_columns(mail, mail.sha256, mail.raw),
               "source": where[:1000], "imported_at": _utcnow(), "state": "unmatched", "request_id": None,
               "match": found.to_dict(), "event_uid": None}
        mid = conn.execute(insert(inbox_messages).values(**row).returning(inbox_messages.c.id)).scalar_one()
        stored = Stored(mid, where, "unmatched", None, found.how)
        if found.request_id is not None:
            stored.proposals = self._file(conn, mid, found.request_id, mail, rules, matcher, found)
            stored.state, stored.request_id = "matched", found.request_id
        return stored

    def _file(self, conn, mid: int, rid: int, mail: Mail, rules, matcher, found, *, by: str | None = None) -> int:
        """Attach message ``mid`` to request ``rid``: its mail event and its proposals."""
        from sqlalchemy import insert, select, update

        from foia.inbox.rules import propose
        from foia.tracker.models import events, tracking_numbers

        tracker = self.tracker
        row = tracker.lock(conn, rid)
        on = self._day(mail)
        ev = tracker.new_event(rid, "mail-received", on, tracker.actor(by),
                            data={"message": mid, "sha256": mail.sha256, "from": mail.sender[:200],
                                  "how": found.how})
        conn.execute(insert(events), [ev])
        conn.execute(update(inbox_messages).where(inbox_messages.c.id == mid).values(
            state="matched", request_id=rid, event_uid=ev["uid"], match=found.to_dict()))
        known = {n for (n,) in conn.execute(select(tracking_numbers.c.number).where(
            tracking_numbers.c.request_id == rid))}
        office_family = {o for o, f in matcher.family.items() if f == matcher.family.get(row.office, row.office)}
        numbers = [(n, reason) for pattern, reason, office in matcher.patterns if office in office_family | {row.office}
                   for n in [m.group(0).upper() for m in pattern.finditer(f"{mail.subject}\n{mail.text}")]]
        proposals = propose(mail, rules, on=on, numbers=list(dict.fromkeys(numbers)), known_numbers=known)
        if proposals:
            conn.execute(insert(inbox_proposals), [
                {"message": mid, "request_id": rid, "rule": p.rule, "summary": p.summary, "params": p.params,
                 "evidence": p.evidence[:2000], "state": "pending"} for p in proposals])
        return len(proposals)

    def _day(self, mail: Mail) -> date:
        """The day the message was sent (its Date header); today when it has none or one in
        the future (a sender's clock)."""
        today = self.tracker.today()
        return min(mail.sent_on, today) if mail.sent_on else today

    # -- reading ------------------------------------------------------------------------------

    def _row(self, conn, key):
        from sqlalchemy import select

        text = str(key).strip().lstrip("#")
        if not (text.isascii() and text.isdigit() and int(text) < 2**31):
            raise UsageError(f"{key!r} is not a message number; see `foia inbox list`")
        row = conn.execute(select(inbox_messages).where(inbox_messages.c.id == int(text))).first()
        if row is None:
            raise NotFound(f"no message {text} in the inbox; see `foia inbox list`")
        return row

    def list(self, *, state: str | None = None, request=None, limit: int | None = None) -> list[dict]:
        from sqlalchemy import select

        cols = [c for c in inbox_messages.c if c.name != "raw"]
        q = select(*cols).order_by(inbox_messages.c.id)
        if state:
            if state not in STATES:
                from foia.naming import Field, Text

                raise UsageError(Text(Field("state"), f": use one of {', '.join(STATES)}"), field="state")
            q = q.where(inbox_messages.c.state == state)
        if request is not None:
            q = q.where(inbox_messages.c.request_id == self.tracker.get(request))
        if limit:
            q = q.limit(limit)
        with self.tracker.store.read() as conn:
            rows = conn.execute(q).all()
            pending = self._pending_counts(conn, [r.id for r in rows])
            return [_summary_dict(r, pending.get(r.id, 0)) for r in rows]

    def _pending_counts(self, conn, ids: Sequence[int]) -> dict[int, int]:
        """Pending proposals of the messages ``ids`` (a request's page asks about its few
        messages, not the whole inbox's)."""
        from sqlalchemy import func, select

        p = inbox_proposals.c
        out: dict[int, int] = {}
        for start in range(0, len(ids), 500):
            out.update(conn.execute(select(p.message, func.count()).where(
                p.message.in_(ids[start:start + 500]), p.state == "pending").group_by(p.message)).all())
        return out

    def show(self, key) -> dict:
        """One message: headers, its text (HTML reduced to text), attachments, why it matched
        and its proposals."""
        from sqlalchemy import select

        with self.tracker.store.read() as conn:
            row = self._row(conn, key)
            props = conn.execute(select(inbox_proposals).where(inbox_proposals.c.message == row.id)
                                 .order_by(inbox_proposals.c.id)).all()
        mail = parse(bytes(row.raw), where=f"message {row.id}")
        out = _summary_dict(row, sum(1 for p in props if p.state == "pending"))
        out.update(text=mail.text, match=row.match or {}, references=row.refs or [],
                   proposals=[_proposal_dict(p) for p in props])
        return out

    def raw(self, key) -> bytes:
        with self.tracker.store.read() as conn:
            return bytes(self._row(conn, key).raw)

    # -- by hand ------------------------------------------------------------------------------

    def assign(self, key, request, *, by: str | None = None) -> Stored:
        """File a waiting (unmatched or ignored) message with ``request`` by hand."""
        from foia.inbox.match import Match, Matcher

        rid = self.tracker.get(request)
        rules = self.rules

        def run(conn):
            row = self._row(conn, key)
            if row.state == "matched":
                raise FoiaError(f"message {row.id} is already filed with request {row.request_id}")
            mail = parse(bytes(row.raw), where=f"message {row.id}")
            matcher = Matcher(conn, self.tracker.directory)
            prior = row.match or {}
            found = Match(rid, "assigned", list(prior.get("why") or []) + [
                f"assigned by hand to request {rid} by {self.tracker.actor(by) or 'the user'} on {_utcnow()[:10]}"],
                [rid], [], [tuple(n) for n in prior.get("numbers") or []])
            n = self._file(conn, row.id, rid, mail, rules, matcher, found, by=by)
            return Stored(row.id, row.source or "", "matched", rid, "assigned", n)

        return self.tracker.store.write(run)

    def ignore(self, key) -> int:
        """Set a waiting message aside (spam, a newsletter): `foia inbox unmatched` stops listing it."""
        from sqlalchemy import update

        def run(conn):
            row = self._row(conn, key)
            if row.state == "matched":
                raise FoiaError(f"message {row.id} is filed with request {row.request_id}; only a waiting message "
                                "can be ignored")
            conn.execute(update(inbox_messages).where(inbox_messages.c.id == row.id).values(state="ignored"))
            return row.id

        return self.tracker.store.write(run)

    # -- proposals ----------------------------------------------------------------------------

    def review(self) -> list[dict]:
        """Every pending proposal, oldest message first."""
        from sqlalchemy import select

        with self.tracker.store.read() as conn:
            rows = conn.execute(select(inbox_proposals, inbox_messages.c.subject, inbox_messages.c.sender,
                                       inbox_messages.c.sent_on)
                                .join(inbox_messages, inbox_messages.c.id == inbox_proposals.c.message)
                                .where(inbox_proposals.c.state == "pending")
                                .order_by(inbox_proposals.c.message, inbox_proposals.c.id)).all()
        return [dict(_proposal_dict(r), subject=r.subject, sender=r.sender,
                     sent_on=r.sent_on.isoformat() if r.sent_on else None) for r in rows]

    def accept(self, key, *, edit: dict | None = None, by: str | None = None) -> list:
        """Record the message's pending proposals through ``Tracker.update`` (its checks, its
        refusals, its deadline recomputation); ``edit`` replaces the proposal's values (one
        pending proposal). Returns the tracker's Change for each."""
        from sqlalchemy import select

        with self.tracker.store.read() as conn:
            row = self._row(conn, key)
            props = conn.execute(select(inbox_proposals).where(inbox_proposals.c.message == row.id,
                                                               inbox_proposals.c.state == "pending")
                                 .order_by(inbox_proposals.c.id)).all()
        if not props:
            raise FoiaError(f"message {row.id} has no pending proposal; see `foia inbox review`")
        if edit is not None and len(props) > 1:
            raise UsageError(Text(f"message {row.id} has {len(props)} proposals; accept them one by one without ",
                                  Field("edit"), ", or reject them and record by hand (foia track update)"), field="edit")
        changes = []
        for p in props:
            params = dict(edit if edit is not None else p.params)
            unknown = set(params) - set(EDITABLE)
            if unknown:
                raise UsageError(f"proposal {p.id}: {sorted(unknown)[0]!r} is not something to record; "
                                 f"use {', '.join(EDITABLE)}")
            changes.append(self._record(p, params, by=by))
        return changes

    def _record(self, p, params: dict, *, by: str | None):
        from sqlalchemy import insert, update

        actor = self.tracker.actor(by)

        def mark(conn, _rid=None):
            conn.execute(update(inbox_proposals).where(inbox_proposals.c.id == p.id,
                                                       inbox_proposals.c.state == "pending").values(
                state="accepted", decided_at=_utcnow(), decided_by=actor, params=params))

        if "delivery_failed" in params:
            from foia.tracker.models import events
            from foia.parse import parse_day

            on = parse_day(params.get("on"), "on") or self.tracker.today()
            self.tracker.not_future(on, "on")

            def run(conn):
                self.tracker.lock(conn, p.request_id)
                ev = self.tracker.new_event(p.request_id, "delivery-failed", on, actor,
                                         data={"message": p.message, "reason": str(params["delivery_failed"])[:500]})
                conn.execute(insert(events), [ev])
                mark(conn)
                return f"request {p.request_id}: delivery failed recorded on {on.isoformat()}"

            return self.tracker.store.write(run)
        fees = [tuple(f) for f in params.get("fees") or []]
        # The event says which message it came from: the original email of every recorded event.
        origin = f"from inbox message {p.message}"
        note = f"{params['note']} ({origin})" if params.get("note") else origin
        return self.tracker.update(p.request_id, status=params.get("status"), on=params.get("on"),
                                   note=note, tracking=params.get("tracking") or (), fees=fees,
                                   extension_notice=params.get("extension_notice"), by=by, also=mark)

    def reject(self, key, *, by: str | None = None) -> int:
        """Drop the message's pending proposals (kept, marked rejected)."""
        from sqlalchemy import update

        actor = self.tracker.actor(by)

        def run(conn):
            row = self._row(conn, key)
            n = conn.execute(update(inbox_proposals).where(inbox_proposals.c.message == row.id,
                                                           inbox_proposals.c.state == "pending").values(
                state="rejected", decided_at=_utcnow(), decided_by=actor)).rowcount
            if not n:
                raise FoiaError(f"message {row.id} has no pending proposal; see `foia inbox review`")
            return n

        return self.tracker.store.write(run)


def _summary_dict(r, pending: int) -> dict:
    return {"id": r.id, "date": r.sent_at or r.imported_at, "sent_on": r.sent_on.isoformat() if r.sent_on else None,
            "from": r.sender, "subject": r.subject, "sha256": r.sha256, "message_id": r.message_id,
            "state": r.state, "request_id": r.request_id, "how": (r.match or {}).get("how"),
            "attachments": list(r.attachments or []), "size": r.size, "source": r.source,
            "imported_at": r.imported_at, "pending_proposals": pending, "name": file_name(r)}


def file_name(r) -> str:
    """A name to save the message under, safe on every file system."""
    day = r.sent_on.isoformat() if r.sent_on else (r.imported_at or "")[:10]
    return f"{day}-message-{r.id}.eml"


def _proposal_dict(p) -> dict:
    from foia.inbox.rules import describe

    return {"id": p.id, "message": p.message, "request_id": p.request_id, "rule": p.rule,
            "summary": describe(p.params), "params": p.params, "evidence": p.evidence, "state": p.state,
            "decided_at": p.decided_at, "decided_by": p.decided_by}


# -- export and import (foia track export --format json / import) -----------------------------


def export_messages(tracker):
    """Every stored message as a JSON-ready dict (raw bytes in base64), by id, with the uid of
    its request and its proposals."""
    import base64

    from sqlalchemy import select

    from foia.tracker.models import requests

    with tracker.store.read(snapshot=True) as conn:
        uids = dict(conn.execute(select(requests.c.id, requests.c.uid).where(
            requests.c.id.in_(select(inbox_messages.c.request_id).where(inbox_messages.c.request_id.is_not(None)))
        )).all())
        props: dict[int, list] = {}
        for p in conn.execute(select(inbox_proposals).order_by(inbox_proposals.c.id)):
            props.setdefault(p.message, []).append(
                {"rule": p.rule, "summary": p.summary, "params": p.params, "evidence": p.evidence,
                 "state": p.state, "decided_at": p.decided_at, "decided_by": p.decided_by})
        last = 0
        while True:
            rows = conn.execute(select(inbox_messages).where(inbox_messages.c.id > last)
                                .order_by(inbox_messages.c.id).limit(200)).all()
            if not rows:
                return
            for r in rows:
                yield {"id": r.id, "sha256": r.sha256, "raw": base64.b64encode(bytes(r.raw)).decode("ascii"),
                       "source": r.source, "imported_at": r.imported_at, "state": r.state,
                       "request_uid": uids.get(r.request_id), "match": r.match, "event_uid": r.event_uid,
                       "proposals": props.get(r.id, [])}
            last = rows[-1].id


def restore_messages(conn, items, path) -> int:
    """Store the exported messages ``items`` in the import's transaction (any problem rejects
    the whole import); a message already stored (same SHA-256) is skipped. Returns how many."""
    import base64
    import binascii

    from sqlalchemy import insert, select

    from foia.inbox.parse import sha256
    from foia.tracker.codec import uid_form
    from foia.tracker.models import requests

    if not isinstance(items, list):
        raise FoiaError(f"{path}: inbox: expected a list of messages (as `foia track export --format json` writes)")
    # The request and event a message was filed with, written as the import wrote their uids.
    items = [{**m, "request_uid": uid_form(m.get("request_uid")), "event_uid": uid_form(m.get("event_uid"))}
             if isinstance(m, dict) else m for m in items]
    wanted = {m.get("request_uid") for m in items if isinstance(m, dict) and m.get("request_uid")}
    ids = dict(conn.execute(select(requests.c.uid, requests.c.id).where(requests.c.uid.in_(sorted(wanted)))).all()) \
        if wanted else {}
    have = {h for (h,) in conn.execute(select(inbox_messages.c.sha256))}
    taken = {i for (i,) in conn.execute(select(inbox_messages.c.id))}
    n = 0
    for i, m in enumerate(items, 1):
        where = f"{path}: inbox message {i}"
        try:
            raw = base64.b64decode(str(m["raw"]), validate=True)
        except (KeyError, TypeError, binascii.Error):
            raise FoiaError(f"{where}: raw: not base64 message bytes; export the tracker again") from None
        if sha256(raw) != m.get("sha256"):
            raise FoiaError(f"{where}: the message's bytes do not match its sha256; the file was changed, "
                            "export the tracker again")
        if m["sha256"] in have:
            continue
        rid = ids.get(m.get("request_uid")) if m.get("request_uid") else None
        if m.get("request_uid") and rid is None:
            raise FoiaError(f"{where}: its request {m['request_uid']} is not in the file or the database")
        mail = parse(raw, where=where)
        row = {**_message_columns(mail, m["sha256"], raw),
               "source": m.get("source"), "imported_at": m.get("imported_at") or _utcnow(),
               "state": m.get("state") if m.get("state") in STATES else ("matched" if rid else "unmatched"),
               "request_id": rid, "match": m.get("match"), "event_uid": m.get("event_uid")}
        # The message keeps its number when it is free: the request's mail event names it.
        if isinstance(m.get("id"), int) and m["id"] not in taken:
            row["id"] = m["id"]
        mid = conn.execute(insert(inbox_messages).values(**row).returning(inbox_messages.c.id)).scalar_one()
        taken.add(mid)
        have.add(m["sha256"])
        for p in m.get("proposals") or []:
            if rid is None or not isinstance(p, dict):
                continue
            conn.execute(insert(inbox_proposals).values(
                message=mid, request_id=rid, rule=str(p.get("rule") or "?")[:64], summary=str(p.get("summary") or ""),
                params=p.get("params") or {}, evidence=p.get("evidence"),
                state=p.get("state") if p.get("state") in ("pending", "accepted", "rejected") else "pending",
                decided_at=p.get("decided_at"), decided_by=p.get("decided_by")))
        n += 1
    if n and conn.dialect.name == "postgresql":
        for table in ("inbox_messages", "inbox_proposals"):
            conn.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                 f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)")
    return n


def erase_mail(conn, request_id: int) -> int:
    """Delete the mail filed with a request and its proposals (`foia track purge`: mail names
    the client); the request's mail events keep the dates and SHA-256 only. Returns how many."""
    from sqlalchemy import delete, select

    mine = select(inbox_messages.c.id).where(inbox_messages.c.request_id == request_id)
    conn.execute(delete(inbox_proposals).where(inbox_proposals.c.message.in_(mine)))
    return conn.execute(delete(inbox_messages).where(inbox_messages.c.request_id == request_id)).rowcount or 0
