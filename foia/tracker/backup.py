"""Back up the whole tracker: SQLite by its online backup API, PostgreSQL as a JSON export."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from foia.errors import FoiaError
from foia.naming import Field, Text

OUT = Field("out")     # the input that names the backup file


def backup(tracker, out=None) -> tuple[Path, str]:
    """Copy the whole database to ``out`` (0600). SQLite: the online backup API (a consistent
    copy while others keep working). PostgreSQL: a JSON export of everything."""
    from foia.files import refuse_special, replacing
    from foia.paths import data_dir, ensure_private_dir

    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    store = tracker.store
    if out is None:
        folder = ensure_private_dir(data_dir() / "backups")
        out = folder / (f"foia-{stamp}.db" if store.is_sqlite and store.path else f"foia-{stamp}.json")
    out = Path(out)
    if store.is_sqlite and store.path:
        import sqlite3

        # Refused before the look at what it resolves to: a link to the database is a link.
        if out.is_dir():
            raise FoiaError(Text(f"{out} is a directory; give a file name (", OUT, ")"), field="out")
        refuse_special(out, OUT)
        live = store.path.resolve()
        if out.resolve() == live:
            raise FoiaError(Text(f"{out} is the tracker database itself; give the backup another name (", OUT, ")"),
                            field="out")
        # SQLite's files beside the database: it deletes or rewrites them when it opens it.
        if out.resolve() in (live.with_name(live.name + end) for end in ("-wal", "-shm", "-journal")):
            raise FoiaError(Text(f"{out} is the name of a file SQLite keeps beside the tracker database and deletes "
                                 "or rewrites; give the backup another name (", OUT, ")"), field="out")
        with replacing(out, what=OUT) as (_, tmp):
            src = sqlite3.connect(str(store.path), timeout=30)
            dst = sqlite3.connect(tmp)
            try:
                with dst:
                    src.backup(dst)
                dst.execute("PRAGMA journal_mode=DELETE")
            finally:
                dst.close()
                src.close()
        return out, "sqlite"
    from foia.tracker.export import export

    export(tracker, "json", out, keep_notes=True)
    return out, "json"

