"""The pages: each parses its form, calls one library function, and renders the answer.

Refusals come from the library (Tracker.add/update, build_letter, import_file...) and are shown
beside the form input of the field they name (``exc.field``); nothing here re-checks a rule of its own.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from flask import (Blueprint, Response, abort, current_app, flash, g, redirect, render_template, request,
                   session, url_for)

from foia.errors import FoiaError, NotFound, UsageError
from foia.naming import Field, Text, as_flags
from foia.tracker.remind import due_for
from foia.web import accounts
from foia.web.app import download, message_of, requires, store, tracker
from foia.web.views_admin import admin

auth = Blueprint("auth", __name__)
queue = Blueprint("queue", __name__)
draft = Blueprint("draft", __name__, url_prefix="/draft")
directory = Blueprint("directory", __name__, url_prefix="/directory")
calendar = Blueprint("calendar", __name__, url_prefix="/calendar")
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
        raise UsageError(as_flags(exc, {"order": "sort"}), field="sort") from None
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


def _n(value: str, field: str) -> int | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise UsageError(Text(Field(field), ": give a whole number >= 0"), field=field) from None


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
            documents=_n(f.get("documents"), "documents"), pages=_n(f.get("pages"), "pages"),
            files=_lines(f.get("files")),
            assignee=f.get("assignee") if f.get("assignee", "").strip() or f.get("clear_assignee") else None,
            add_tags=_lines(f.get("tags")), remove_tags=_lines(f.get("untag")),
            appeal_of=f.getlist("appeal_of"))
    except NotFound:
        raise
    except FoiaError as exc:
        return _request_page(rid, errors={form_field(exc) or "_": message_of(exc)}, form=f, status=400)
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
        raise UsageError(Text(Field("format"), f" {fmt!r}: choose one of {', '.join(FORMATS)}"), field="format")
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
            field = exc.field or next((f for f in _fields_in(exc) if f in _SIGNER), None)
            return _request_page(rid, errors={field if field in _SIGNER else "letter": message}, form=f,
                                 status=400)
        data = Path(path).read_bytes()
    return download(data, Path(path).name)


_SIGNER = ("requester_name", "requester_email", "requester_address")


# The request page's update form: its inputs (request.html), and those named otherwise than the
# library's field they fill.
_UPDATE_FORM = frozenset({"status", "on", "tracking_number", "note", "extension_notice", "estimated_completion",
                          "received", "first_received", "expedite_decision", "fees", "fee_estimated", "fee_assessed",
                          "fee_paid", "fee_waived", "fee_denied", "documents", "pages", "files", "appeal_of",
                          "assignee", "tags", "untag"})
_UPDATE_INPUTS = {"add_tags": "tags", "remove_tags": "untag"}


def form_field(exc: FoiaError) -> str | None:
    """The input of the request's update form a library refusal is about (``exc.field``), or
    None when it is about none there (the message then shows at the top of the form)."""
    name = _UPDATE_INPUTS.get(exc.field, exc.field)
    return name if name in _UPDATE_FORM else None


def _fields_in(exc: FoiaError) -> list[str]:
    """The fields a refusal names inside its sentence ("needs your name: pass requester_name")."""
    return [str(p) for p in getattr(exc.message, "parts", ()) if isinstance(p, Field)]


@queue.route("/requests/<int:rid>/purge", methods=["POST"])
@requires("admin")
def purge(rid):
    if request.form.get("confirm") != "yes":
        return _request_page(rid, errors={"purge": "tick the box to confirm: a purge cannot be undone"}, status=400)
    tracker().purge(rid, notes=request.form.get("notes") == "1")
    flash(f"Request {rid}: identity data erased.")
    return redirect(url_for("queue.request_page", rid=rid))


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
                raise UsageError(Text(Field("to"), ": choose the office to write to"), field="to")
            built = build_letter(k.name, directory=t.directory, office=office, profile=load_profile(),
                                 options=_letter_options(k, form), today=t.today())
            if action in FORMATS:
                return download(letter_bytes(built, action), f"{default_stem(built)}.{action}")
            if action == "file":
                rid = file_request(t, letter=built, draft=form.get("filed") != "1",
                                   assignee=form.get("assignee") or None, filed_on=form.get("filed_on") or None)
                flash(f"Filed in the tracker as request {rid}.")
                return redirect(url_for("queue.request_page", rid=rid))
            if action != "preview":
                raise UsageError(Text(Field("format"), f" {action!r}: choose one of {', '.join(FORMATS)}"),
                                 field="format")
        except NotFound as exc:
            errors["to"] = message_of(exc)
        except FoiaError as exc:
            # The library names fields: the form puts the refusal beside its input, in the words
            # of `foia draft` (its options).
            message = exc.message.render(k.option_of) if isinstance(exc.message, Text) else exc.message
            errors[_letter_field(exc, k) or "_"] = message
    # Warnings name fields; the page words them as `foia draft` does (its options).
    warnings = [w.render(k.option_of) if isinstance(w, Text) else w for w in (built.warnings if built else ())]
    return render_template("draft.html", kind=k, offices=offices, systems=sorted(t.directory.systems.values(),
                           key=lambda s: s.id), form=form, errors=errors, letter=built,
                           warnings=warnings), (400 if errors else 200)


def _letter_field(exc: FoiaError, kind) -> str | None:
    """The draft form's input a refusal is about: its field, else the first of the kind's fields
    its sentence names ("needs date_of_birth"); None when the form has no such input."""
    inputs = {f.name for f in kind.all_fields} | {"to"}
    if exc.field in inputs:
        return exc.field
    return next((f for f in _fields_in(exc) if f in inputs), None)


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
