"""The Admin pages: accounts, export, import and backup (the long ones run as jobs, see
foia.web.jobs), each a thin layer over the library."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from foia.errors import FoiaError
from foia.web import accounts
from foia.web.app import download, message_of, requires, store, tracker

admin = Blueprint("admin", __name__, url_prefix="/admin")


@admin.route("/", methods=["GET"])
@requires("admin")
def home():
    return _admin_page()


@admin.route("/users", methods=["POST"])
@requires("admin")
def users():
    f = request.form
    action = f.get("action")
    try:
        if action == "add":
            accounts.add_user(store(), f.get("name", ""), role=f.get("role", ""), password=f.get("password", ""),
                              email=f.get("email") or None)
            flash(f"Account {f.get('name', '').strip()} added.")
        elif action == "change":
            accounts.change_user(store(), f.get("name", ""), role=f.get("role") or None,
                                 password=f.get("password") or None, unlock=f.get("unlock") == "1")
            flash(f"Account {f.get('name')} changed.")
        elif action == "remove":
            accounts.remove_user(store(), f.get("name", ""))
            flash(f"Account {f.get('name')} removed.")
        else:
            abort(400)
    except FoiaError as exc:
        message = message_of(exc)
        # An account's name is the NAME argument of `foia users`; an unnamed refusal is the password's.
        field = exc.field if exc.field in ("name", "role", "email", "password") else \
            {"NAME": "name"}.get(message.split(":")[0], "password")
        from foia.web import jobs

        return render_template("admin.html", users=accounts.list_users(store()), errors={field: message},
                               form=f, jobs=jobs.recent(store())), 400
    return redirect(url_for("admin.home"))


def _admin_page(errors=None, status=200):
    from foia.web import jobs

    return render_template("admin.html", users=accounts.list_users(store()), errors=errors or {}, form={},
                           jobs=jobs.recent(store())), status


def _request_count() -> int:
    from sqlalchemy import func, select

    from foia.tracker.models import requests

    with store().read() as conn:
        return conn.execute(select(func.count()).select_from(requests)).scalar() or 0


def _lines_done(total: int):
    """An export writes a first line (CSV header, JSON head), then one line per request."""
    return lambda lines, _bytes: min(total, max(0, lines - 1))


@admin.route("/export", methods=["POST"])
@requires("admin")
def export_():
    """Start an export; its page shows the progress and then offers the file."""
    from foia.tracker.export import export, export_format
    from foia.web import jobs

    fmt = export_format(request.form.get("format", ""))     # refused before it names a file
    redact, keep_notes = request.form.get("redact") == "1", request.form.get("keep_notes") == "1"
    t = tracker()
    name = f"foia-{t.today().isoformat()}.{fmt}"
    total = None if fmt == "ics" else _request_count()

    def work(folder: Path) -> jobs.Outcome:
        out = folder / f"foia-export.{fmt}"
        n = export(t, fmt, out, redact=redact, keep_notes=keep_notes)
        what = "calendar events" if fmt == "ics" else "requests"
        return jobs.Outcome(f"Exported {n} {what}.", done=n, path=out, name=name)

    label = f"Export ({fmt.upper()}{', redacted' if redact and fmt != 'ics' else ''})"
    job = jobs.start(store(), kind="export", label=label, owner=g.account.name,
                     unit="events" if fmt == "ics" else "requests", total=total, work=work,
                     progress=None if total is None else _lines_done(total))
    return redirect(url_for("admin.job", job_id=job), code=303)


@admin.route("/import", methods=["POST"])
@requires("admin")
def import_():
    """Start an import (all or nothing); its page shows the rows and then the outcome."""
    import shutil

    from foia.tracker.bulk import ImportRejected, import_file
    from foia.web import jobs

    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _admin_page({"file": "choose a .csv or .json file to import"}, 400)
    # Only the extension of the uploaded name is used: the file is saved under a name of ours,
    # in a folder only this user can read (it holds client data) until the job has read it.
    ext = upload.filename.rsplit(".", 1)[-1].lower() if "." in upload.filename else ""
    shown = upload.filename
    holder = Path(tempfile.mkdtemp(prefix="foia-upload-"))
    path = holder / f"import.{ext if ext in ('csv', 'json') else 'unknown'}"
    try:
        upload.save(path)
        os.chmod(path, 0o600)
    except BaseException:
        shutil.rmtree(holder, ignore_errors=True)
        raise
    t = tracker()

    def work(_folder: Path) -> jobs.Outcome:
        try:
            counts = import_file(t, path)
        except ImportRejected as exc:
            raise FoiaError(exc.report().replace(str(path), shown)) from None
        except FoiaError as exc:
            raise FoiaError(exc.message.replace(str(path), shown)) from None
        return jobs.Outcome(f"Imported {counts['requests']} requests ({counts['events']} events), all or nothing.",
                            done=counts["requests"])

    job = jobs.start(store(), kind="import", label=f"Import of {shown[-150:]}", owner=g.account.name,
                     unit="rows", total=_rows_in(path), work=work,
                     cleanup=lambda: shutil.rmtree(holder, ignore_errors=True))
    return redirect(url_for("admin.job", job_id=job), code=303)


def _rows_in(path: Path) -> int | None:
    """The rows the file holds (the job's total), or None when it cannot be read as one (the
    import then says why)."""
    import csv
    import json

    try:
        text = path.read_text(encoding="utf-8-sig")
        if path.suffix == ".csv":
            return max(0, sum(1 for row in csv.reader(text.splitlines()) if any(c.strip() for c in row)) - 1)
        if path.suffix == ".json":
            data = json.loads(text)
            items = data.get("requests") if isinstance(data, dict) else data
            return len(items) if isinstance(items, list) else None
    except (OSError, ValueError, csv.Error):
        return None
    return None


@admin.route("/backup", methods=["POST"])
@requires("admin")
def backup():
    """Start a backup: SQLite's online copy of the database (progress in bytes), or on
    PostgreSQL a JSON export of everything (progress in requests)."""
    from foia.tracker.backup import backup as make_backup
    from foia.web import jobs

    st, t = store(), tracker()
    sqlite = bool(st.is_sqlite and st.path)
    ext = "db" if sqlite else "json"
    name = f"foia-backup-{t.today().isoformat()}.{ext}"
    if sqlite:
        # The database's own size (its pages, wherever they are: the file or its WAL), which the
        # copy will have.
        with st.read() as conn:
            total = (conn.exec_driver_sql("PRAGMA page_count").scalar()
                     * conn.exec_driver_sql("PRAGMA page_size").scalar())
        progress = lambda _lines, size: min(total, size)  # noqa: E731
    else:
        total = _request_count()
        progress = _lines_done(total)

    def work(folder: Path) -> jobs.Outcome:
        path, kind = make_backup(t, folder / f"foia-backup.{ext}")
        size = Path(path).stat().st_size
        return jobs.Outcome(f"Backup made ({'SQLite database' if kind == 'sqlite' else 'JSON'}, {size:,} bytes).",
                            done=size if sqlite else None, total=size if sqlite else None, path=Path(path),
                            name=name)

    job = jobs.start(st, kind="backup", label="Backup", owner=g.account.name, unit="bytes" if sqlite else "requests",
                     total=total, work=work, progress=progress)
    return redirect(url_for("admin.job", job_id=job), code=303)


@admin.route("/jobs/<job_id>")
@requires("admin")
def job(job_id):
    from foia.web import jobs

    return render_template("job.html", job=jobs.get(store(), job_id))


@admin.route("/jobs/<job_id>/download")
@requires("admin")
def job_download(job_id):
    from foia.web import jobs

    name, data = jobs.result(store(), job_id)
    return download(data, name)
