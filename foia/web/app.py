"""The Flask application: factory, sign-in, roles and the security every page gets.

The app keeps nothing of its own between requests: the session cookie (signed with a key kept
in the database) carries only a random session id, and who it belongs to, the accounts, the
lockouts and the calendar tokens are rows in the tracker database. Several `foia serve`
processes can therefore serve one PostgreSQL database behind one proxy.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import wraps

from flask import Flask, Response, abort, g, redirect, render_template, request, session, url_for

from foia.errors import FoiaError, NotFound
from foia.web import accounts

# No inline script or style anywhere: the pages work without JavaScript, and the stylesheet
# is a file in the package. Nothing is loaded from another origin.
CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")


def message_of(exc: FoiaError) -> str:
    """A library refusal as the pages show it: its fields named by their command-line options
    (``foia.commands.FLAGS``), as in the CLI and docs; the page puts it beside ``exc.field``."""
    from foia.commands import FLAGS
    from foia.naming import as_flags

    return as_flags(exc, FLAGS)


MIME = {"txt": "text/plain; charset=utf-8", "md": "text/markdown; charset=utf-8",
        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "eml": "message/rfc822", "csv": "text/csv; charset=utf-8", "json": "application/json",
        "ics": "text/calendar; charset=utf-8", "db": "application/vnd.sqlite3"}


def download(data: bytes, name: str) -> Response:
    """``data`` as an attachment named ``name``, typed by its extension."""
    ext = name.rsplit(".", 1)[-1]
    resp = Response(data, mimetype=MIME.get(ext, "application/octet-stream"))
    # The name is built by the library (a slug, a date, a fixed extension): never taken from the request.
    resp.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return resp


def create_app(db: str | None = None, *, store=None, directory_override: str | None = None,
               today: date | None = None, session_lifetime: timedelta = accounts.SESSION_LIFETIME,
               local_name: str | None = None, secure_cookies: bool = False) -> Flask:
    """The web app over the tracker database ``db`` (or an open ``store``).

    ``today`` fixes the date (tests, a look at a future day); ``local_name`` is who records
    changes in local mode (default: FOIA_USER, else the login name); ``secure_cookies`` marks
    the cookies Secure (behind a TLS proxy)."""
    from foia.tracker.events import default_actor
    from foia.tracker.store import open_store

    if store is None:
        store = open_store(db)
    from foia.web import jobs

    jobs.ensure_table(store)
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=accounts.secret_key(store),
        SESSION_COOKIE_NAME="foia_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure_cookies,
        PERMANENT_SESSION_LIFETIME=session_lifetime,
        WTF_CSRF_TIME_LIMIT=None,          # the token lives as long as the session that holds it
        MAX_CONTENT_LENGTH=200 * 1024 * 1024,
        # Templates are compiled once per process and kept (Jinja's cache), never re-read from
        # disk to see whether they changed, even when FLASK_DEBUG is set.
        TEMPLATES_AUTO_RELOAD=False,
        FOIA_STORE=store,
        FOIA_DIRECTORY_OVERRIDE=directory_override,
        FOIA_TODAY=today,
        FOIA_LOCAL_NAME=local_name or default_actor() or "local",
        FOIA_SESSION_LIFETIME=session_lifetime,
    )
    from flask_wtf.csrf import CSRFProtect

    CSRFProtect(app)
    app.jinja_env.autoescape = True
    from foia.web import views

    for bp in views.BLUEPRINTS:
        app.register_blueprint(bp)
    app.before_request(_load_account)
    app.after_request(_security_headers)
    app.register_error_handler(NotFound, _not_found)
    app.register_error_handler(FoiaError, _refused)
    app.register_error_handler(403, _forbidden)
    app.register_error_handler(404, lambda e: (render_template("error.html", title="Not found",
                                                               message="No such page or request."), 404))
    from flask_wtf.csrf import CSRFError

    app.register_error_handler(CSRFError, lambda e: (render_template(
        "error.html", title="Refused", message="The form had no valid security token (CSRF): reload the page "
        "and send it again."), 400))
    app.context_processor(lambda: {"account": g.get("account"), "can": _can})
    return app


def store():
    from flask import current_app

    return current_app.config["FOIA_STORE"]


_shared: dict = {}


def tracker():
    """A Tracker for this request, recording the signed-in account as the actor. The directory,
    the working-day calendar and the offices' clock rules are built once per process and shared
    (building the calendar costs more than a page): a change to closures.yaml or the directory
    override is read at the next start."""
    from flask import current_app

    override = current_app.config["FOIA_DIRECTORY_OVERRIDE"]
    base = _shared.get(override)
    if base is None:
        from foia.tracker.service import Tracker

        base = _shared[override] = Tracker(store(), directory_override=override)
        base.calendar()
    account = g.get("account")
    return _request_tracker()(store(), directory=base.directory, today=current_app.config["FOIA_TODAY"],
                              actor=account.name if account else None, base=base)


def _request_tracker():
    cls = _shared.get("class")
    if cls is None:
        from foia.tracker.service import Tracker

        class RequestTracker(Tracker):
            """One web request's Tracker: its own actor, the process's calendar and clock rules."""

            def __init__(self, *args, base, **kwargs):
                super().__init__(*args, **kwargs)
                self.base = base

            def calendar(self):
                return self.base.calendar()

            def rules(self, office: str):
                return self.base.rules(office)

        cls = _shared["class"] = RequestTracker
    return cls


PUBLIC = {"auth.login", "auth.local", "calendar.feed", "static"}


def _load_account():
    from flask import current_app

    raw = session.get("sid")
    g.account = accounts.session_account(store(), raw, local_name=current_app.config["FOIA_LOCAL_NAME"])
    if g.account is None and raw:
        session.pop("sid", None)
    if request.endpoint in PUBLIC or request.endpoint is None:
        return None
    if g.account is None:
        return redirect(url_for("auth.login", next=request.full_path if request.method == "GET" else None))
    return None


def _security_headers(resp):
    resp.headers["Content-Security-Policy"] = CSP
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["X-Frame-Options"] = "DENY"
    # The ICS and start-up tokens are in URLs: never send them on to another site.
    resp.headers["Referrer-Policy"] = "no-referrer"
    if request.endpoint != "static":
        resp.headers["Cache-Control"] = "no-store"
    return resp


def _can(role: str) -> bool:
    account = g.get("account")
    return bool(account and account.can(role))


def requires(role: str):
    """The view needs at least ``role`` (viewer < staff < admin); others get 403."""

    def wrap(view):
        @wraps(view)
        def inner(*args, **kwargs):
            if not _can(role):
                abort(403)
            return view(*args, **kwargs)

        return inner

    return wrap


def _not_found(exc):
    return render_template("error.html", title="Not found", message=message_of(exc)), 404


def _refused(exc):
    return render_template("error.html", title="Refused", message=message_of(exc)), 400


def _forbidden(_exc):
    return render_template("error.html", title="Not allowed",
                           message="Your role does not allow this; ask an admin."), 403
