"""Purging a client's identity data from a request: blanked in the request and its events,
taken out of the vault's search index and the inbox, then scrubbed from the database's files."""

from __future__ import annotations

from typing import TYPE_CHECKING

from foia.errors import FoiaError
from foia.tracker.models import IDENTITY_COLUMNS, IDENTITY_EVENT_KEYS, events, requests
from foia.tracker.store import utcnow
from foia.tracker.views import summary

if TYPE_CHECKING:
    from foia.tracker.service import Change


class Purge:
    """The purging part of :class:`foia.tracker.service.Tracker`."""

    def purge(self, request_id, *, notes: bool = False, by: str | None = None) -> Change:
        """Blank a client's identity data on a request and in its events, keep the dated history,
        and record a ``purged`` event. The one place events are changed (documented)."""
        actor = self.actor(by)

        def run(conn):
            from sqlalchemy import insert, select, update

            row = self.lock(conn, request_id)
            rid = row.id
            cleared = [c for c in IDENTITY_COLUMNS if getattr(row, c) not in (None, "")]
            touched = 0
            for ev in conn.execute(select(events.c.id, events.c.data, events.c.note).where(
                    events.c.request_id == rid)):
                data = dict(ev.data or {})
                hit = [k for k in data if k in IDENTITY_EVENT_KEYS and data[k] not in (None, "", [])]
                values = {}
                if hit:
                    for k in hit:
                        data[k] = None
                    values["data"] = data
                if notes and ev.note:
                    values["note"] = None
                if values:
                    touched += 1
                    conn.execute(update(events).where(events.c.id == ev.id).values(**values))
            from foia.vault.documents import purge_request

            # The documents' pages naming the client leave the search index while the names are known.
            vault_lines = purge_request(conn, row)
            # The mail filed with the request names the client too: erased, not blanked.
            from foia.inbox.service import erase_mail

            erased = erase_mail(conn, rid)
            if not cleared and not touched and not erased:
                when = f" (already purged {row.purged_at})" if row.purged_at else ""
                raise FoiaError(f"request {rid} holds no identity data{when}; nothing to purge")
            stamp = utcnow()
            conn.execute(update(requests).where(requests.c.id == rid).values(
                **{c: None for c in IDENTITY_COLUMNS}, purged_at=stamp, updated_at=stamp))
            ev = self.new_event(rid, "purged", self.today(), actor,
                             data={"fields": cleared, "events": touched, "notes": bool(notes),
                                   **({"messages": erased} if erased else {})})
            conn.execute(insert(events), [ev])
            state = self.refresh(conn, rid)
            from foia.tracker.service import Change

            return Change(rid, row.title, row.office, state.status, [summary(ev)], state.deadlines,
                          notes=vault_lines)

        change = self.store.write(run)
        problem = self._scrub_after_purge()
        if problem:
            change.warnings.append(problem)
        removed = self._remove_stale_temporaries()
        if removed:
            change.notes.append(f"Removed {len(removed)} copy(ies) left by an interrupted export or backup: "
                                + ", ".join(str(p) for p in removed))
        return change

    def _scrub_after_purge(self) -> str | None:
        """Make the blanked values leave the database's files; returns what could not be done.

        SQLite: ``secure_delete`` has overwritten the old cells; the WAL still holds the old
        pages until a checkpoint. PostgreSQL: an UPDATE leaves the old row version in the heap
        file, a plain VACUUM only marks it free, and even VACUUM FULL keeps every version that a
        snapshot anywhere on the server may still see. So the requests and every table
        depending on them are copied aside, truncated (new, empty files; the old ones are
        emptied at commit) and filled again with their live rows, in one transaction: the
        tables are locked while it runs (seconds for a large queue). What remains elsewhere
        is in docs/tracker.md (WAL segments, base backups, freed disk blocks, earlier exports)."""
        try:
            if self.store.is_sqlite:
                with self.store.engine.connect() as conn:
                    conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            elif self.store.is_postgresql:
                self.store.write(rewrite_request_tables)
        except Exception as exc:  # noqa: BLE001 - the purge itself is committed: say what is left
            from foia.tracker.store import db_reason

            if self.store.is_postgresql:
                return (f"the identity data is blanked, but the old values stay in the table files until they are "
                        f"rewritten ({db_reason(exc)}); run `foia track purge` again later")
            return f"the identity data is blanked, but the WAL file could not be checkpointed ({db_reason(exc)})"
        return None

    def _remove_stale_temporaries(self) -> list:
        """Hidden copies (``.NAME.*.tmp``) that an interrupted export or backup left in the
        folders foia writes to by default: they can hold the unredacted queue."""
        from foia.files import remove_stale_temporaries
        from foia.paths import data_dir

        folders = {data_dir(), data_dir() / "backups"}
        if self.store.path:
            folders.add(self.store.path.parent)
        removed = []
        for folder in sorted(folders):
            removed += remove_stale_temporaries(folder)
        return removed


def rewrite_request_tables(conn) -> None:
    """PostgreSQL: rewrite ``requests`` and the tables that depend on it with their live rows
    only (see Tracker._scrub_after_purge). TRUNCATE gives each table (and its TOAST table and
    indexes) new files whatever other sessions' snapshots are; the foreign keys hold, since
    every table is filled again, parents first, in the same transaction."""
    from foia.tracker.models import metadata, requests as requests_table

    tables = []
    for table in metadata.sorted_tables:        # parents before the tables that refer to them
        if table is requests_table or any(fk.column.table in tables for fk in table.foreign_keys):
            tables.append(table)
    names = [t.name for t in tables]
    from sqlalchemy import inspect

    if inspect(conn).has_table("document_tsv"):
        # The vault's search index (migration 9) refers to document_pages from outside the models.
        names.append("document_tsv")
    conn.exec_driver_sql("SET LOCAL lock_timeout = '60s'")
    for name in names:
        conn.exec_driver_sql(f'CREATE TEMPORARY TABLE "foia_keep_{name}" ON COMMIT DROP AS '
                             f'SELECT * FROM "{name}"')
    conn.exec_driver_sql("TRUNCATE " + ", ".join(f'"{n}"' for n in names))
    for name in names:
        conn.exec_driver_sql(f'INSERT INTO "{name}" SELECT * FROM "foia_keep_{name}"')
