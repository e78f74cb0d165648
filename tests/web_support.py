"""Building the web app in tests: a queue, three accounts, and a client that signs in and sends
forms with their CSRF token, as a browser does."""

from __future__ import annotations

import re
from datetime import date

TODAY = date(2026, 11, 2)
PASSWORDS = {"Ada Admin": "admin-pass-phrase", "Maria": "staff-pass-phrase", "Vic Viewer": "viewer-pass-phrase"}
ROLES = {"Ada Admin": "admin", "Maria": "staff", "Vic Viewer": "viewer"}
CLIENT_DOB = "1987-03-14"
CLIENT_NAME = "Rosa Example"

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def seed(store) -> dict:
    """Accounts and requests: #1 overdue at ICE (Maria's, with client data), #2 at CBP (Ada's,
    tagged), #3 a fresh ICE one."""
    from foia.tracker.service import Tracker
    from foia.web.accounts import add_user

    for name, role in ROLES.items():
        add_user(store, name, role=role, password=PASSWORDS[name], email=f"{name.split()[0].lower()}@clinic.example")
    t = Tracker(store, today=TODAY, actor="seed")
    ids = {}
    ids["overdue"] = t.add(title="ICM audit logs", office="ice", on="2026-09-01", assignee="Maria",
                           client_name=CLIENT_NAME, client_dob=CLIENT_DOB, client_a_number="A123456789",
                           tags=["palantir"]).request_id
    ids["cbp"] = t.add(title="LPR contract", office="cbp", on="2026-09-15", assignee="Ada Admin",
                       tags=["plates"]).request_id
    ids["fresh"] = t.add(title="FALCON training", office="ice", on="2026-10-30").request_id
    return ids


class Browser:
    """A Flask test client that keeps the last page's CSRF token and sends it with each form."""

    def __init__(self, app):
        self.app = app
        self.client = app.test_client()
        self.token = None

    def get(self, url, **kw):
        resp = self.client.get(url, **kw)
        self._remember(resp)
        return resp

    def post(self, url, data=None, *, csrf=True, page=None, **kw):
        data = dict(data or {})
        if csrf:
            if self.token is None or page:
                self.get(page or "/")
            data["csrf_token"] = self.token
        resp = self.client.post(url, data=data, **kw)
        self._remember(resp)
        return resp

    def _remember(self, resp):
        if resp.mimetype == "text/html":
            m = _CSRF.search(resp.get_data(as_text=True))
            if m:
                self.token = m.group(1)

    def login(self, name):
        self.get("/login")
        resp = self.post("/login", {"name": name, "password": PASSWORDS[name]}, page="/login")
        assert resp.status_code == 302, resp.get_data(as_text=True)
        self.token = None       # signing in starts a new session, with a new CSRF token
        return resp


def text(resp) -> str:
    return resp.get_data(as_text=True)
