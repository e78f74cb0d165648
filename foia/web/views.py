"""The pages: each parses its form, calls one library function, and renders the answer.

Refusals come from the library (Tracker.add/update, build_letter, import_file...) and are shown
beside the form field they name (``app.field_of``); nothing here re-checks a rule of its own.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from flask import (Blueprint, Response, abort, current_app, flash, g, redirect, render_template, request,
                   session, url_for)

from foia.errors import FoiaError, NotFound, UsageError
from foia.naming import Text
from foia.tracker.remind import due_for
from foia.web import accounts
from foia.web.app import field_of, message_of, requires, store, tracker

auth = Blueprint("auth", __name__)
queue = Blueprint("queue", __name__)
draft = Blueprint("draft", __name__, url_prefix="/draft")
directory = Blueprint("directory", __name__, url_prefix="/directory")
calendar = Blueprint("calendar", __name__, url_prefix="/calendar")
admin = Blueprint("admin", __name__, url_prefix="/admin")
BLUEPRINTS = (auth, queue, draft, directory, calendar, admin)

PAGE_SIZE = 50


def _identity() -> bool:
    """Identity fields are shown to staff and admins, and only on request (as --identity)."""
    return request.args.get("identity") == "1" and g.account.can("staff")


def _safe_next(target: str | None) -> str:
    # Only a path on this site: never an open redirect to another host.
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("queue.today")


# -- signing in ----------------------------------------------------------------------------------


@auth.route("/login", methods=["GET", "POST"])
def login():
    team = accounts.has_accounts(store())
    error = None
    if request.method == "POST" and team:
        try:
            account = accounts.authenticate(store(), request.form.get("name", ""), request.form.get("password", ""))
        except accounts.LoginRefused as exc:
            error = message_of(exc)
        else:
            _start_session(account)
            return redirect(_safe_next(request.form.get("next")))
    return render_template("login.html", team=team, error=error, next=request.values.get("next", "")), \
        (401 if error else 200)


@auth.route("/start")
def local():
    """Local mode: the token `foia serve` printed becomes a session cookie (the token leaves the
    address bar at once)."""
    if accounts.has_accounts(store()) or not accounts.local_token_ok(store(), request.args.get("token")):
        return render_template("error.html", title="Refused", message="This start-up link is not valid "
                               "(restarted server, or team mode: sign in with your account)."), 403
    _start_session(accounts.Account(None, current_app.config["FOIA_LOCAL_NAME"], "admin"))
    return redirect(url_for("queue.today"))


def _start_session(account) -> None:
    session.clear()
    session.permanent = True
    session["sid"] = accounts.new_session(store(), account, lifetime=current_app.config["FOIA_SESSION_LIFETIME"])


@auth.route("/logout", methods=["POST"])
def logout():
    accounts.end_session(store(), session.get("sid"))
    session.clear()
    return redirect(url_for("auth.login"))


# -- Today, Queue, Request ----------------------------------------------------------------------


def _int_arg(name: str, default: int, *, low: int = 0, high: int = 3653) -> int:
    value = request.args.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit() or not low <= int(value) <= high:
        raise UsageError(f"{name}: give a whole number from {low} to {high}")
    return int(value)


# Today lists the first few of each section (the page stays short and quick on a large queue);
# each section's "all" link shows that section alone, a page of PAGE_SIZE at a time.
TODAY_FIRST = 10


@queue.route("/")
def today():
    t = tracker()
    mine = request.args.get("mine") == "1"
    assignee = g.account.name if mine else (request.args.get("assignee") or None)
    office = request.args.get("office") or None
    tag = request.args.get("tag") or None
    within = _int_arg("within", 14)
    section = request.args.get("section") or None
    page = _int_arg("page", 1, low=1, high=100000) if section else 1
    limit = page * PAGE_SIZE if section else TODAY_FIRST
    report = due_for(t, within=within, limit=limit, assignee=assignee, office=office, tag=tag)
    if section:
        if section not in {s["key"] for s in report["sections"]}:
            raise UsageError(f"section: {section!r} is not a section of Today; use one of "
                             + ", ".join(s["key"] for s in report["sections"]))
        report["sections"] = [s for s in report["sections"] if s["key"] == section]
        for s in report["sections"]:
            s["items"] = s["items"][(page - 1) * PAGE_SIZE:]
            s["first"] = (page - 1) * PAGE_SIZE
    args = {k: v for k, v in request.args.items() if k not in ("section", "page")}
    return render_template("today.html", report=report, mine=mine, assignee=assignee or "", office=office or "",
                           tag=tag or "", within=within, offices=_offices(t), section=section, page=page,
                           args=args)


@queue.route("/queue")
def queue_page():
    t = tracker()
    statuses = [s for s in request.args.getlist("status") if s]
    page = _int_arg("page", 1, low=1, high=100000)
    due_within = request.args.get("due_within") or None
    filters = dict(status=statuses, office=request.args.get("office") or None,
                   assignee=request.args.get("assignee") or None, tag=request.args.get("tag") or None,
                   overdue=request.args.get("overdue") == "1",
                   due_within=_int_arg("due_within", 0) if due_within else None)
    identity = _identity()
    order = request.args.get("sort") or "deadline"
    descending = request.args.get("desc") == "1"
    # Paging reads the first page*size rows in the library's order (soonest deadline first) and
    # shows the last size of them: the first pages, the ones used, stay fast on a large queue.
    try:
        rows = t.list(**filters, limit=page * PAGE_SIZE + 1, identity=identity, order=order, descending=descending)
    except UsageError as exc:
        raise UsageError(message_of(exc).replace("--sort", "sort", 1)) from None
    more = len(rows) > page * PAGE_SIZE
    rows = rows[(page - 1) * PAGE_SIZE:page * PAGE_SIZE]
    from foia.tracker.lifecycle import STATUSES
    from foia.tracker.queries import LIST_ORDERS

    args = {k: v for k, v in request.args.items(multi=True) if k != "page"}
    return render_template("queue.html", rows=rows, page=page, more=more, statuses=STATUSES, chosen=statuses,
                           filters=filters, identity=identity, offices=_offices(t), args=args,
                           orders=LIST_ORDERS, order=order, descending=descending)


def _offices(t) -> list:
    return sorted(t.directory.agencies.values(), key=lambda a: a.abbreviation)


UPDATE_FIELDS = ("status", "on", "note", "tracking_number", "fee_estimated", "fee_assessed", "fee_paid",
                 "fee_waived", "fee_denied", "estimated_completion", "extension_notice", "received",
                 "first_received", "expedite_decision", "documents", "pages", "files", "assignee", "tags", "untag")


def _request_page(rid, *, errors=None, form=None, status=200, letter=None):
    t = tracker()
    identity = _identity()
    info = t.show(rid, identity=identity)
    from foia.tracker.appeals import APPEAL_TARGETS
    from foia.tracker.lifecycle import STATUSES

    return render_template("request.html", r=info, identity=identity, errors=errors or {}, form=form or {},
                           statuses=STATUSES, appeal_targets=APPEAL_TARGETS, timeline=_timeline(t, info, identity),
                           letter=letter), status


def _timeline(t, info: dict, identity: bool) -> list[dict]:
    """The request's events with its received mail and its vault documents interleaved by date:
    each entry has ``kind`` (event, mail, document) and ``day``. The events keep the library's
    order (the `created` event opens it); mail and documents go after the events of their day."""
    from foia.inbox import messages_of
    from foia.vault.documents import list_documents

    rid = info["id"]
    items = [{"kind": "mail", "day": m["sent_on"] or (m["imported_at"] or "")[:10], **m}
             for m in messages_of(t, rid)]
    items += [{"kind": "document", "day": d["received_on"], **d}
              for d in list_documents(t, rid, identity=identity)]
    items.sort(key=lambda x: (x["day"], x["kind"], x["id"]))
    out, i = [], 0
    for e in info["timeline"]:
        if e["type"] != "created":
            while i < len(items) and items[i]["day"] < e["occurred_on"]:
                out.append(items[i])
                i += 1
        out.append({"kind": "event", "day": e["occurred_on"], **e})
    return out + items[i:]


@queue.route("/requests/<int:rid>")
def request_page(rid):
    return _request_page(rid)


@queue.route("/requests/<int:rid>/mail/<int:mid>")
def mail(rid, mid):
    """One received message: its headers for everyone; its text and attachment names, which
    name the client, only as identity data (staff, on request)."""
    from foia.inbox import Inbox

    t = tracker()
    m = Inbox(t).show(mid)
    if m["request_id"] != t.get(rid):
        abort(404)
    return render_template("mail.html", m=m, rid=t.get(rid), identity=_identity())


@queue.route("/requests/<int:rid>/documents/<int:did>")
def document(rid, did):
    """One vault document: pages, exemptions marked, disposition; its original file name only as
    identity data."""
    from foia.vault.documents import get_document

    t = tracker()
    identity = _identity()
    d = get_document(t, did, identity=identity)
    if d["request_id"] != t.get(rid):
        abort(404)
    return render_template("document.html", d=d, rid=t.get(rid), identity=identity)


def _n(value: str, what: str) -> int | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise UsageError(f"{what}: give a whole number >= 0") from None


def _lines(value: str | None) -> list[str]:
    return [x.strip() for x in (value or "").replace(",", "\n").splitlines() if x.strip()]


@queue.route("/requests/<int:rid>/update", methods=["POST"])
@requires("staff")
def update(rid):
    f = request.form
    fees = [(k, f.get(name)) for k, name in (("estimated", "fee_estimated"), ("assessed", "fee_assessed"),
                                             ("paid", "fee_paid"), ("waived", "fee_waived"),
                                             ("waiver-denied", "fee_denied")) if f.get(name, "").strip()]
    try:
        change = tracker().update(
            rid, status=f.get("status") or None, on=f.get("on") or None, note=f.get("note") or None,
            tracking=_lines(f.get("tracking_number")), fees=fees,
            estimated_completion=f.get("estimated_completion") or None,
            extension_notice=f.get("extension_notice") or None, received=f.get("received") or None,
            first_received=f.get("first_received") or None,
            expedite_decision=f.get("expedite_decision") or None,
            documents=_n(f.get("documents"), "--documents"), pages=_n(f.get("pages"), "--pages"),
            files=_lines(f.get("files")),
            assignee=f.get("assignee") if f.get("assignee", "").strip() or f.get("clear_assignee") else None,
            add_tags=_lines(f.get("tags")), remove_tags=_lines(f.get("untag")),
            appeal_of=f.getlist("appeal_of"))
    except NotFound:
        raise
    except FoiaError as exc:
        message = message_of(exc)
        return _request_page(rid, errors={field_of(message) or "_": message}, form=f, status=400)
    for line in change.recorded:
        flash(f"Recorded: {line}")
    for w in change.warnings:
        flash(f"Warning: {w}")
    return redirect(url_for("queue.request_page", rid=change.request_id))


@queue.route("/requests/<int:rid>/letter", methods=["POST"])
@requires("staff")
def request_letter(rid):
    """A follow-up or an appeal written from the request's state (`track followup|appeal`),
    recorded in its history and downloaded."""
    from foia.letters import FORMATS
    from foia.tracker.filing import draft_letter

    f = request.form
    kind, fmt = f.get("kind", ""), f.get("format", "txt")
    if kind not in ("follow-up", "appeal"):
        abort(400)
    if fmt not in FORMATS:
        raise UsageError(f"--format {fmt!r}: choose one of {', '.join(FORMATS)}")
    with tempfile.TemporaryDirectory() as tmp:
        try:
            path, _letter, _ = draft_letter(tracker(), rid, kind, out_dir=tmp, fmt=fmt,
                                            grounds=f.getlist("grounds"), exemptions=_lines(f.get("exemptions")),
                                            details=f.get("details") or None,
                                            requester_name=f.get("requester_name") or None,
                                            requester={"requester_email": f.get("requester_email") or None,
                                                       "requester_address": f.get("requester_address") or None})
        except NotFound:
            raise
        except FoiaError as exc:
            message = message_of(exc)  # the library names fields; the page shows them as the CLI does
            field = exc.field or field_of(message) or _named_option(message)
            return _request_page(rid, errors={field if field in _SIGNER else "letter": message}, form=f,
                                 status=400)
        data = Path(path).read_bytes()
    return _download(data, Path(path).name)


_SIGNER = ("requester_name", "requester_email", "requester_address")


def _named_option(message: str) -> str | None:
    """A refusal naming its option inside the sentence ("needs your name: pass --requester-name")."""
    for name in _SIGNER:
        if "--" + name.replace("_", "-") in message:
            return name
    return None


@queue.route("/requests/<int:rid>/purge", methods=["POST"])
@requires("admin")
def purge(rid):
    if request.form.get("confirm") != "yes":
        return _request_page(rid, errors={"purge": "tick the box to confirm: a purge cannot be undone"}, status=400)
    tracker().purge(rid, notes=request.form.get("notes") == "1")
    flash(f"Request {rid}: identity data erased.")
    return redirect(url_for("queue.request_page", rid=rid))


_MIME = {"txt": "text/plain; charset=utf-8", "md": "text/markdown; charset=utf-8",
         "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
         "eml": "message/rfc822", "csv": "text/csv; charset=utf-8", "json": "application/json",
         "ics": "text/calendar; charset=utf-8", "db": "application/vnd.sqlite3"}


def _download(data: bytes, name: str) -> Response:
    ext = name.rsplit(".", 1)[-1]
    resp = Response(data, mimetype=_MIME.get(ext, "application/octet-stream"))
    # The name is built by the library (a slug, a date, a fixed extension): never taken from the request.
    resp.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return resp


# -- Draft ----------------------------------------------------------------------------------------


def _letter_options(kind, form) -> dict:
    """The letter options from the form, as `foia draft` passes them: empty fields left out,
    lists split on commas and lines; the library converts and checks each value."""
    options = {}
    for f in kind.all_fields:
        if not f.cli:
            continue
        if f.type == "bool":
            if form.get(f.name) == "1":
                options[f.name] = True
            continue
        if f.type == "list":
            values = [v for v in form.getlist(f.name) if v.strip()]
            values = [x for v in values for x in (_lines(v) if f.split or "\n" in v else [v.strip()])]
            if values:
                options[f.name] = values
            continue
        value = form.get(f.name, "")
        if value.strip():
            options[f.name] = value.strip() if f.name != "requester_address" else value
    return options


@draft.route("/")
@requires("staff")
def kinds():
    from foia.letters import KINDS

    return render_template("draft_kinds.html", kinds=KINDS.values())


@draft.route("/<kind>", methods=["GET", "POST"])
@requires("staff")
def letter(kind):
    from foia.letters import FORMATS, KINDS, build_letter, default_stem, letter_bytes
    from foia.profile import load_profile
    from foia.tracker.filing import file_request

    k = KINDS.get(kind) or abort(404)
    t = tracker()
    offices = [a for a in _offices(t) if k.applies_to(a)]
    form = request.form if request.method == "POST" else {}
    errors, built = {}, None
    if request.method == "POST":
        action = form.get("action", "preview")
        try:
            office = form.get("to", "").strip()
            if not office:
                raise UsageError("--to: choose the office to write to")
            built = build_letter(k.name, directory=t.directory, office=office, profile=load_profile(),
                                 options=_letter_options(k, form), today=t.today())
            if action in FORMATS:
                return _download(letter_bytes(built, action), f"{default_stem(built)}.{action}")
            if action == "file":
                rid = file_request(t, letter=built, draft=form.get("filed") != "1",
                                   assignee=form.get("assignee") or None, filed_on=form.get("filed_on") or None)
                flash(f"Filed in the tracker as request {rid}.")
                return redirect(url_for("queue.request_page", rid=rid))
            if action != "preview":
                raise UsageError(f"--format {action!r}: choose one of {', '.join(FORMATS)}")
        except NotFound as exc:
            errors["to"] = message_of(exc)
        except FoiaError as exc:
            # The library names fields: the form puts the refusal beside its input, in the words
            # of `foia draft` (its options).
            message = exc.message.render(k.option_of) if isinstance(exc.message, Text) else exc.message
            errors[(exc.field if exc.field in {fl.name for fl in k.all_fields} else None)
                   or _letter_field(message, k) or "_"] = message
    # Warnings name fields; the page words them as `foia draft` does (its options).
    warnings = [w.render(k.option_of) if isinstance(w, Text) else w for w in (built.warnings if built else ())]
    return render_template("draft.html", kind=k, offices=offices, systems=sorted(t.directory.systems.values(),
                           key=lambda s: s.id), form=form, errors=errors, letter=built,
                           warnings=warnings), (400 if errors else 200)


def _letter_field(message: str, kind) -> str | None:
    name = field_of(message)
    if name is None:
        # build_letter names missing fields by option ("needs --date-of-birth").
        for f in kind.all_fields:
            if f.option in message:
                return f.name
        return None
    for f in kind.all_fields:
        if f.option == "--" + name.replace("_", "-") or f.name == name:
            return f.name
    return name


# -- Directory --------------------------------------------------------------------------------------


@directory.route("/")
def index():
    from foia.directory import describe

    d = tracker().directory
    return render_template("directory.html", agencies=[describe.agency_row(d, a) for a in _offices(tracker())],
                           systems=[describe.system_row(s) for s in sorted(d.systems.values(), key=lambda s: s.id)],
                           vendors=[describe.vendor_row(d, v) for v in sorted(d.vendors.values(), key=lambda v: v.id)],
                           query=request.args.get("q", ""),
                           results=describe.search(d, request.args["q"]) if request.args.get("q") else None)


@directory.route("/<what>/<key>")
def record(what, key):
    from foia.directory import describe

    d = tracker().directory
    if what == "agencies":
        text = describe.agency_text(d, d.agency(key))
    elif what == "systems":
        text = describe.system_text(d, d.system(key))
    elif what == "vendors":
        text = describe.vendor_text(d, d.vendor(key))
    else:
        abort(404)
    return render_template("record.html", text=text, what=what, key=key)


# -- Calendar ---------------------------------------------------------------------------------------


@calendar.route("/", methods=["GET", "POST"])
def page():
    new = None
    if request.method == "POST":
        if request.form.get("action") == "revoke":
            accounts.revoke_calendar_tokens(store(), g.account)
            flash("Calendar link revoked: calendars subscribed to it stop updating.")
        else:
            token = accounts.new_calendar_token(store(), g.account)
            new = url_for("calendar.feed", token=token, _external=True)
    return render_template("calendar.html", new=new, active=accounts.has_calendar_token(store(), g.account))


@calendar.route("/<token>.ics")
def feed(token):
    """The deadlines as a calendar, for Outlook or Google Calendar to poll: the token is the
    only secret a calendar client can carry."""
    from foia.tracker.export import export

    owner = accounts.calendar_owner(store(), token, local_name=current_app.config["FOIA_LOCAL_NAME"])
    if owner is None:
        abort(404)
    g.account = owner
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "deadlines.ics"
        export(tracker(), "ics", out)
        data = out.read_bytes()
    return Response(data, mimetype="text/calendar; charset=utf-8")


# -- Admin: accounts, export, import, backup ---------------------------------------------------------


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
        field = {"NAME": "name"}.get(message.split(":")[0], field_of(message) or "password")
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
    return _download(data, name)
