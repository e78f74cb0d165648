"""`foia serve`'s app through Flask's test client, on SQLite and PostgreSQL: every page for every
role, the forms calling the library (refusals beside their field), identity fields, and the
security promises (passwords, lockout, expiry, CSRF, escaping, downloads)."""

from __future__ import annotations

import io
import json
import re
from datetime import datetime, timedelta, timezone

import pytest

pytest.importorskip("flask", reason="the web extra (pip install 'foia[web]') is not installed")

from click.testing import CliRunner  # noqa: E402

from foia.cli import cli  # noqa: E402
from web_support import CLIENT_DOB, CLIENT_NAME, TODAY, Browser, seed, text  # noqa: E402


@pytest.fixture(autouse=True)
def _quick_hashes(monkeypatch):
    """argon2id still, with a smaller cost than production's (a login per test on a busy machine)."""
    from argon2 import PasswordHasher

    from foia.web import accounts

    monkeypatch.setattr(accounts, "_hasher", lambda: PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def web(db_url):
    """(app, store, ids) on the test's database, with today fixed."""
    from foia.tracker.store import open_store
    from foia.web.app import create_app

    store = open_store(db_url)
    ids = seed(store)
    app = create_app(store=store, today=TODAY, local_name="owner")
    yield app, store, ids
    store.dispose()


def finished(b: Browser, started, *, seconds: float = 60) -> str:
    """The job page a POST redirected to, once the job has finished (it reloads itself while it runs)."""
    import time

    assert started.status_code == 303, text(started)
    url = started.headers["Location"]
    deadline = time.monotonic() + seconds
    while True:
        page = text(b.get(url))
        if 'http-equiv="refresh"' not in page:
            return page
        assert time.monotonic() < deadline, page
        time.sleep(0.1)


def download(b: Browser, page: str):
    return b.get(re.search(r'id="job-download" href="([^"]+)"', page).group(1))


def as_(app, name) -> Browser:
    b = Browser(app)
    b.login(name)
    return b


PAGES = ["/", "/queue", "/requests/{overdue}", "/directory/", "/directory/agencies/ice", "/directory/systems/icm",
         "/directory/vendors/palantir", "/calendar/", "/draft/", "/draft/records", "/draft/self", "/admin/"]
# The least role each page needs.
NEEDS = {"/draft/": "staff", "/draft/records": "staff", "/draft/self": "staff", "/admin/": "admin"}


def test_every_page_for_every_role(web):
    app, _store, ids = web
    anonymous = Browser(app)
    for page in PAGES:
        url = page.format(**ids)
        resp = anonymous.get(url)
        assert resp.status_code == 302 and "/login" in resp.headers["Location"], url
    order = ["viewer", "staff", "admin"]
    for name, role in (("Vic Viewer", "viewer"), ("Maria", "staff"), ("Ada Admin", "admin")):
        b = as_(app, name)
        for page in PAGES:
            url = page.format(**ids)
            resp = b.get(url)
            allowed = order.index(role) >= order.index(NEEDS.get(page, "viewer"))
            assert resp.status_code == (200 if allowed else 403), (name, url)
            if not allowed:
                assert "Your role does not allow this" in text(resp)


def test_today_shows_what_track_due_shows(web, db_url):
    app, _store, ids = web
    due = json.loads(CliRunner().invoke(cli, ["track", "--db", db_url, "due", "--json", "--today",
                                              TODAY.isoformat()]).output)
    page = text(as_(app, "Vic Viewer").get("/"))
    shown = 0
    for s in due["sections"]:
        if s["total"]:
            assert f"{s['title']} ({s['total']})" in page
            for it in s["items"]:
                assert f"#{it['id']} {it['title']}" in page
                shown += 1
        else:
            assert s["title"] not in page
    assert shown >= 1
    # Tue 2026-09-01 + 20 working days, Labor Day (Mon Sep 7) skipped -> Wed 2026-09-30.
    assert "determination due 2026-09-30, 22 working days late" in " ".join(page.split())


def test_today_filters_mine_office_and_tag(web):
    app, _store, ids = web
    maria = as_(app, "Maria")
    mine = text(maria.get("/?mine=1"))
    assert f"#{ids['overdue']} ICM audit logs" in mine and "LPR contract" not in mine
    ada = text(as_(app, "Ada Admin").get("/?mine=1"))
    assert "ICM audit logs" not in ada
    assert "LPR contract" not in text(maria.get("/?office=ice"))
    assert "ICM audit logs" in text(maria.get("/?tag=PALANTIR"))
    assert "Nothing due." in text(maria.get("/?tag=nothing-has-this"))


def test_queue_filters_and_paging(web):
    app, store, ids = web
    from foia.tracker.service import Tracker

    t = Tracker(store, today=TODAY, actor="seed")
    for n in range(60):
        t.add(title=f"bulk {n:02d}", office="uscis", on="2026-10-01")
    b = as_(app, "Vic Viewer")
    first = text(b.get("/queue"))
    assert "Next</a>" in first and "Previous" not in first
    assert first.count("<tr") == 51     # the header and 50 rows
    second = text(b.get("/queue?page=2"))
    assert "Previous</a>" in second and "Next</a>" not in second
    assert second.count("<tr") - 1 == 63 - 50
    only = text(b.get("/queue?office=cbp"))
    assert "LPR contract" in only and "ICM audit logs" not in only
    assert "LPR contract" in text(b.get("/queue?tag=plates")) and "bulk" not in text(b.get("/queue?tag=plates"))
    assert "ICM audit logs" in text(b.get("/queue?assignee=maria"))
    bad = b.get("/queue?page=x")
    assert bad.status_code == 400 and "page: give a whole number" in text(bad)
    by_title = text(b.get("/queue?sort=title&desc=1"))
    titles = re.findall(r"<td>(bulk \d\d|ICM audit logs|LPR contract|FALCON training)</td>", by_title)
    assert titles[:3] == ["bulk 59", "bulk 58", "bulk 57"] and len(titles) == 50
    by_id = re.findall(r'<td><a href="/requests/(\d+)">', text(b.get("/queue?sort=id&page=2")))
    assert by_id == [str(n) for n in range(51, 64)]
    bad = b.get("/queue?sort=password")
    assert bad.status_code == 400 and "sort: &#39;password&#39; is not a column to sort by" in text(bad)


def test_staff_records_an_acknowledgement_as_themselves(web):
    app, store, ids = web
    from foia.tracker.service import Tracker

    rid = ids["fresh"]
    b = as_(app, "Maria")
    resp = b.post(f"/requests/{rid}/update", {"status": "acknowledged", "on": "2026-11-02",
                                               "tracking_number": "2026-ICFO-55555"}, page=f"/requests/{rid}")
    assert resp.status_code == 302
    page = text(b.get(resp.headers["Location"]))
    assert "Recorded:" in page and "2026-ICFO-55555 (assigned)" in page
    info = Tracker(store, today=TODAY).show(rid)
    assert info["status"] == "acknowledged"
    assert [n["number"] for n in info["tracking_numbers"]] == ["2026-ICFO-55555"]
    assert {e["actor"] for e in info["timeline"][-2:]} == {"Maria"}


@pytest.mark.pure
@pytest.mark.parametrize("form, field, message", [
    ({"status": "acknowledged", "on": "02/11/2026"}, "on", "--on: "),
    ({"status": "acknowledged", "on": "2026-12-25"}, "on", "--on: "),
    ({"fee_paid": "ten dollars"}, "fee_paid", "--fee-paid: "),
    ({"documents": "many"}, "documents", "--documents: give a whole number"),
    ({"status": "granted-in-full-maybe"}, "status", "--status: "),
    ({}, "_", "nothing to record"),
])
def test_refusals_show_beside_their_field(web, form, field, message):
    app, store, ids = web
    from foia.tracker.service import Tracker

    rid = ids["fresh"]
    before = Tracker(store, today=TODAY).show(rid)["timeline"]
    resp = as_(app, "Maria").post(f"/requests/{rid}/update", form, page=f"/requests/{rid}")
    assert resp.status_code == 400
    page = text(resp)
    if field == "_":
        assert re.search(r'<p class="error" role="alert">[^<]*' + message, page)
    else:
        found = re.search(rf'<p class="error" id="e-{field}" role="alert">([^<]*)</p>', page)
        assert found and found.group(1).startswith(message), page[-3000:]
        # The value typed is kept in the field.
        if form.get(field) and field != "status":
            assert f'value="{form[field]}"' in page
    assert Tracker(store, today=TODAY).show(rid)["timeline"] == before


@pytest.mark.pure
def test_viewer_cannot_post_to_staff_forms(web):
    app, store, ids = web
    from foia.tracker.service import Tracker

    rid = ids["fresh"]
    b = as_(app, "Vic Viewer")
    before = Tracker(store, today=TODAY).show(rid)["timeline"]
    for url, form in ((f"/requests/{rid}/update", {"status": "acknowledged"}),
                      (f"/requests/{rid}/letter", {"kind": "follow-up"}),
                      (f"/requests/{rid}/purge", {"confirm": "yes"}),
                      ("/draft/records", {"to": "ice", "subject": "x", "action": "file"}),
                      ("/admin/users", {"action": "add", "name": "Eve", "role": "admin", "password": "x" * 12}),
                      ("/admin/backup", {}), ("/admin/export", {"format": "csv"})):
        assert b.post(url, form, page="/").status_code == 403, url
    assert Tracker(store, today=TODAY).show(rid)["timeline"] == before
    staff = as_(app, "Maria")
    assert staff.post(f"/requests/{rid}/purge", {"confirm": "yes"}, page="/").status_code == 403
    assert staff.post("/admin/users", {"action": "remove", "name": "Ada Admin"}, page="/").status_code == 403


def test_identity_fields_only_for_staff_and_only_on_request(web):
    app, _store, ids = web
    rid = ids["overdue"]
    viewer = as_(app, "Vic Viewer")
    for url in (f"/requests/{rid}", f"/requests/{rid}?identity=1", "/queue?identity=1", "/"):
        page = text(viewer.get(url))
        assert CLIENT_DOB not in page and CLIENT_NAME not in page and "A123456789" not in page, url
    staff = as_(app, "Maria")
    assert CLIENT_DOB not in text(staff.get(f"/requests/{rid}"))
    shown = text(staff.get(f"/requests/{rid}?identity=1"))
    assert f'<dd id="client-dob">{CLIENT_DOB}</dd>' in shown and CLIENT_NAME in shown
    assert CLIENT_NAME in text(staff.get("/queue?identity=1"))
    assert CLIENT_NAME not in text(staff.get("/queue"))


@pytest.mark.pure
def test_a_script_in_a_title_is_rendered_inert(web):
    app, store, _ids = web
    from foia.tracker.service import Tracker

    rid = Tracker(store, today=TODAY, actor="x").add(title='<script>alert("x")</script>', office="ice",
                                                     on="2026-09-01").request_id
    b = as_(app, "Vic Viewer")
    for url in (f"/requests/{rid}", "/queue", "/"):
        resp = b.get(url)
        page = text(resp)
        assert "<script>" not in page and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page, url
        csp = resp.headers["Content-Security-Policy"]
        assert "script-src" not in csp and "default-src 'none'" in csp     # no script may run at all
        assert resp.headers["X-Frame-Options"] == "DENY"


def test_wrong_password_lockout_and_unlock(web):
    app, store, _ids = web
    from foia.web import accounts

    b = Browser(app)
    b.get("/login")
    for _ in range(accounts.MAX_FAILED_LOGINS):
        resp = b.post("/login", {"name": "Maria", "password": "wrong password!"})
        assert resp.status_code == 401 and "wrong name or password" in text(resp)
    # Even the right password is refused now.
    resp = b.post("/login", {"name": "Maria", "password": "staff-pass-phrase"})
    assert resp.status_code == 401 and "locked after 5 wrong passwords" in text(resp)
    unknown = b.post("/login", {"name": "Nobody", "password": "whatever-it-is"})
    assert "wrong name or password" in text(unknown)
    accounts.change_user(store, "maria", unlock=True)
    assert b.post("/login", {"name": "maria", "password": "staff-pass-phrase"}).status_code == 302


def test_lockout_ends_by_itself(web):
    _app, store, _ids = web
    from foia.web import accounts

    t = datetime(2026, 11, 2, 9, tzinfo=timezone.utc)
    for _ in range(accounts.MAX_FAILED_LOGINS):
        with pytest.raises(accounts.LoginRefused):
            accounts.authenticate(store, "Maria", "nope-nope-nope", now=t)
    with pytest.raises(accounts.LoginRefused, match="locked"):
        accounts.authenticate(store, "Maria", "staff-pass-phrase", now=t + timedelta(minutes=14))
    assert accounts.authenticate(store, "Maria", "staff-pass-phrase", now=t + timedelta(minutes=16)).role == "staff"


def test_expired_session_and_logout(web):
    app, store, _ids = web
    from sqlalchemy import update

    from foia.web.models import web_sessions

    b = as_(app, "Maria")
    assert b.get("/").status_code == 200
    cookie = b.client.get_cookie("foia_session").value
    store.write(lambda conn: conn.execute(update(web_sessions).values(expires_at="2000-01-01T00:00:00.000000Z")))
    resp = b.get("/")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    # Logout ends the session in the database: the old cookie, replayed, is refused.
    b = as_(app, "Maria")
    cookie = b.client.get_cookie("foia_session").value
    assert b.post("/logout", page="/").status_code == 302
    replay = app.test_client()
    replay.set_cookie("foia_session", cookie)
    assert replay.get("/").status_code == 302


@pytest.mark.pure
def test_a_forged_post_without_csrf_token_is_refused(web):
    app, store, ids = web
    from foia.tracker.service import Tracker

    rid = ids["fresh"]
    b = as_(app, "Maria")
    b.get("/")
    resp = b.post(f"/requests/{rid}/update", {"status": "acknowledged"}, csrf=False)
    assert resp.status_code == 400 and "security token (CSRF)" in text(resp)
    resp = b.client.post(f"/requests/{rid}/update", data={"status": "acknowledged", "csrf_token": "forged"})
    assert resp.status_code == 400
    assert Tracker(store, today=TODAY).show(rid)["status"] == "submitted"
    cookie = b.client.get_cookie("foia_session")
    assert cookie.http_only and cookie.same_site == "Lax"


def test_draft_preview_download_and_file_in_the_tracker(web):
    from docx import Document

    app, store, _ids = web
    from foia.tracker.service import Tracker

    b = as_(app, "Maria")
    form = {"to": "ice", "system": "icm", "requester_name": "Maria Staff", "requester_email": "maria@clinic.example"}
    preview = b.post("/draft/records", {**form, "action": "preview"}, page="/draft/records")
    assert preview.status_code == 200 and "Freedom of Information Act" in text(preview)
    docx = b.post("/draft/records", {**form, "action": "docx"}, page="/draft/records")
    assert docx.status_code == 200
    assert re.fullmatch(r'attachment; filename="2026-11-02-ice-records\.docx"', docx.headers["Content-Disposition"])
    body = "\n".join(p.text for p in Document(io.BytesIO(docx.data)).paragraphs)
    assert "Maria Staff" in body
    # ICE takes requests online only: no .eml unless the user names an address, and the page says why.
    refused = b.post("/draft/records", {**form, "action": "eml"}, page="/draft/records")
    assert "online only" in text(refused) and refused.headers["Content-Type"].startswith("text/html")
    eml = b.post("/draft/records", {**form, "to_email": "ice-foia@ice.dhs.gov", "action": "eml"},
                 page="/draft/records")
    assert eml.headers["Content-Type"] == "message/rfc822" and b"Subject:" in eml.data
    filed = b.post("/draft/records", {**form, "action": "file", "filed": "1", "filed_on": "2026-11-02"},
                   page="/draft/records")
    assert filed.status_code == 302
    rid = int(filed.headers["Location"].rsplit("/", 1)[1])
    info = Tracker(store, today=TODAY).show(rid)
    assert info["status"] == "submitted" and info["office"] == "ice"
    assert {e["actor"] for e in info["timeline"]} == {"Maria"}


@pytest.mark.pure
def test_draft_refusals_beside_their_field(web):
    app, _store, _ids = web
    b = as_(app, "Maria")
    resp = b.post("/draft/self", {"to": "ice", "full_name": "R", "address": "1 Main St", "date_of_birth": "soon",
                                  "action": "preview"}, page="/draft/self")
    assert resp.status_code == 400
    assert re.search(r'id="e-date_of_birth" role="alert">[^<]*date', text(resp))
    no_office = b.post("/draft/records", {"subject": "x", "action": "preview"}, page="/draft/records")
    assert 'id="e-to"' in text(no_office)


@pytest.mark.pure
def test_downloads_refuse_path_tricks(web):
    app, _store, ids = web
    b = as_(app, "Maria")
    form = {"to": "ice", "system": "icm", "requester_name": "M", "requester_email": "m@clinic.example"}
    for trick in ("../../etc/passwd", "docx/../../x", "..", ""):
        resp = b.post("/draft/records", {**form, "action": trick}, page="/draft/records")
        assert resp.status_code in (200, 400) and "Content-Disposition" not in resp.headers, trick
    resp = b.post(f"/requests/{ids['overdue']}/letter", {"kind": "follow-up", "format": "../../x"}, page="/")
    assert resp.status_code == 400 and "Content-Disposition" not in resp.headers
    assert b.get("/static/../../foia/web/app.py").status_code == 404
    assert b.post(f"/requests/{ids['overdue']}/letter", {"kind": "../etc", "format": "txt"},
                  page="/").status_code == 400


def test_follow_up_letter_from_a_request_is_recorded(web):
    app, store, ids = web
    from foia.tracker.service import Tracker

    rid = ids["overdue"]
    b = as_(app, "Maria")
    refused = b.post(f"/requests/{rid}/letter", {"kind": "follow-up", "format": "txt"}, page=f"/requests/{rid}")
    assert refused.status_code == 400
    assert re.search(r'id="e-requester_name" role="alert">follow-up letter needs your name', text(refused))
    resp = b.post(f"/requests/{rid}/letter", {"kind": "follow-up", "format": "txt", "requester_name": "Maria Staff",
                                              "requester_email": "maria@clinic.example"}, page=f"/requests/{rid}")
    assert resp.status_code == 200
    assert resp.headers["Content-Disposition"] == f'attachment; filename="request-{rid}-follow-up-2026-11-02.txt"'
    assert b"2026-09-01" in resp.data or b"September 1, 2026" in resp.data
    last = Tracker(store, today=TODAY).show(rid)["timeline"][-1]
    assert last["type"] == "letter" and last["actor"] == "Maria"


def test_calendar_subscription_and_revocation(web):
    from icalendar import Calendar

    from foia.tracker.service import Tracker

    app, store, ids = web
    # A denial opens the requester's appeal window: a deadline of the requester's, with reminders.
    Tracker(store, today=TODAY).update(ids["cbp"], status="denied", on="2026-10-20")
    b = as_(app, "Vic Viewer")
    page = text(b.post("/calendar/", {"action": "new"}, page="/calendar/"))
    url = re.search(r'<code id="ics-url">([^<]+)</code>', page).group(1)
    path = url.split("localhost", 1)[1]
    anonymous = app.test_client()
    feed = anonymous.get(path)
    assert feed.status_code == 200 and feed.mimetype == "text/calendar"
    cal = Calendar.from_ical(feed.data)
    summaries = [str(e["summary"]) for e in cal.walk("VEVENT")]
    assert any("ICM audit logs" in s for s in summaries)
    assert CLIENT_NAME.encode() not in feed.data
    # Reminders 7 days and 1 day before each requester deadline (the tracker's calendar export).
    requester = [e for e in cal.walk("VEVENT") if e.walk("VALARM")]
    assert requester, "the queue has a requester deadline (an appeal window): it must carry reminders"
    for event in requester:
        assert sorted(str(a["trigger"].dt) for a in event.walk("VALARM")) == ["-1 day, 0:00:00", "-7 days, 0:00:00"]
    b.post("/calendar/", {"action": "revoke"}, page="/calendar/")
    assert anonymous.get(path).status_code == 404
    assert anonymous.get("/calendar/not-a-token.ics").status_code == 404


def test_admin_manages_accounts_exports_and_backs_up(web, db_url):
    app, store, _ids = web
    from foia.web.accounts import list_users

    b = as_(app, "Ada Admin")
    resp = b.post("/admin/users", {"action": "add", "name": "Sam Student", "role": "staff", "password": "short"},
                  page="/admin/")
    assert resp.status_code == 400 and "at least 10 characters" in text(resp)
    assert b.post("/admin/users", {"action": "add", "name": "Sam Student", "role": "staff",
                                   "password": "student-pass-phrase"}, page="/admin/").status_code == 302
    assert {"name": "Sam Student", "role": "staff"}.items() <= next(
        u for u in list_users(store) if u["name"] == "Sam Student").items()
    sam = Browser(app)
    sam.get("/login")
    assert sam.post("/login", {"name": "Sam Student", "password": "student-pass-phrase"}).status_code == 302
    assert sam.get("/draft/").status_code == 200
    csv_ = finished(b, b.post("/admin/export", {"format": "csv", "redact": "1"}, page="/admin/"))
    assert "Finished: Exported 3 requests." in csv_ and re.search(r'id="job-count">3 / 3 requests<', csv_)
    csv_ = download(b, csv_)
    assert csv_.status_code == 200 and b"ICM audit logs" in csv_.data and CLIENT_NAME.encode() not in csv_.data
    full = download(b, finished(b, b.post("/admin/export", {"format": "json"}, page="/admin/")))
    assert CLIENT_NAME in full.get_data(as_text=True)
    page = finished(b, b.post("/admin/backup", page="/admin/"))
    sqlite = store.is_sqlite
    assert ("Finished: Backup made (SQLite database, " if sqlite else "Finished: Backup made (JSON, ") in page
    done = re.search(r'id="job-count">([^<]+)<', page).group(1)
    assert (re.fullmatch(r"([\d.]+ MB) / \1", done) if sqlite else done == "3 / 3 requests"), done
    backup = download(b, page)
    assert backup.status_code == 200 and len(backup.data) > 1000
    assert backup.data.startswith(b"SQLite format 3") if sqlite else b'"requests"' in backup.data
    last_admin = b.post("/admin/users", {"action": "change", "name": "Ada Admin", "role": "viewer"}, page="/admin/")
    assert last_admin.status_code == 400 and "last admin" in text(last_admin)


def test_admin_import_is_all_or_nothing(web):
    app, store, _ids = web
    from foia.tracker.service import Tracker

    b = as_(app, "Ada Admin")
    before = len(Tracker(store, today=TODAY).list())
    bad = "title,office,filed_on\nGood one,ice,2026-10-01\nBad one,nowhere,2026-10-01\n"
    resp = b.post("/admin/import", {"file": (io.BytesIO(bad.encode()), "../../queue.csv")}, page="/admin/",
                  content_type="multipart/form-data")
    page = finished(b, resp)
    assert "Refused: nothing was changed." in page and "queue.csv" in page and "nowhere" in page
    assert re.search(r'id="job-count">0 / 2 rows<', page), page
    assert len(Tracker(store, today=TODAY).list()) == before
    good = "title,office,filed_on\nGood one,ice,2026-10-01\n"
    resp = b.post("/admin/import", {"file": (io.BytesIO(good.encode()), "queue.csv")}, page="/admin/",
                  content_type="multipart/form-data")
    page = finished(b, resp)
    assert "Finished: Imported 1 requests (1 events), all or nothing." in page and "1 / 1 rows" in page
    assert len(Tracker(store, today=TODAY).list()) == before + 1
    assert b.post("/admin/import", {}, page="/admin/").status_code == 400


def test_admin_purges_identity(web):
    app, store, ids = web
    from foia.tracker.service import Tracker

    rid = ids["overdue"]
    b = as_(app, "Ada Admin")
    assert b.post(f"/requests/{rid}/purge", {}, page="/").status_code == 400
    assert b.post(f"/requests/{rid}/purge", {"confirm": "yes"}, page="/").status_code == 302
    assert Tracker(store, today=TODAY).show(rid, identity=True)["client_dob"] is None


def test_local_mode_start_token(db_url):
    from foia.tracker.store import open_store
    from foia.web import accounts
    from foia.web.app import create_app

    store = open_store(db_url)
    try:
        app = create_app(store=store, today=TODAY, local_name="owner")
        token = accounts.new_local_token(store)
        c = app.test_client()
        assert c.get("/start?token=wrong").status_code == 403
        assert c.get("/").status_code == 302
        resp = c.get(f"/start?token={token}")
        assert resp.status_code == 302 and resp.headers["Location"] == "/"
        page = c.get("/admin/").get_data(as_text=True)
        assert "owner (admin)" in page
        # Team mode from the first account on: the local session and the token stop working.
        accounts.add_user(store, "Ada", role="admin", password="admin-pass-phrase")
        assert c.get("/").status_code == 302
        assert c.get(f"/start?token={token}").status_code == 403
    finally:
        store.dispose()


@pytest.mark.parametrize("change, message, field", [
    ({"status": "acknowledged", "on": "02/11/2026"}, "--on: '02/11/2026' is not a date", "on"),
    ({"tracking": ["2026-ICFO-7:sometime"]}, "--tracking-number: 'sometime' in ", "tracking_number"),
    ({"documents": -1}, "--documents: give a whole number >= 0", "documents"),
    ({"fees": [("waiver-denied", "ten dollars")]}, "--fee-denied: ", "fee_denied"),
    ({"add_tags": ["x" * 300]}, "--tag: ", "tags"),
    ({"fees": [("x", "10")]}, "fee kind 'x': use one of estimated", "fees"),
    ({}, "nothing to record; give --status", None),
])
def test_form_field_is_the_field_the_library_names(web, change, message, field):
    """A refusal carries its field (``exc.field``); the page shows it beside that input, in the
    CLI's words."""
    from foia.errors import FoiaError
    from foia.tracker.service import Tracker
    from foia.web.app import message_of
    from foia.web.views import form_field

    _app, store, ids = web
    with pytest.raises(FoiaError) as exc:
        Tracker(store, today=TODAY).update(ids["fresh"], **change)
    assert message_of(exc.value).startswith(message)
    assert form_field(exc.value) == field


def test_request_timeline_shows_mail_and_documents_by_date(web, tmp_path):
    """Mail filed with the request and documents in the vault sit among its events by date, each
    linking to its detail; a viewer sees neither the mail's text nor the file's own name."""
    from pathlib import Path

    from foia.inbox import Inbox
    from foia.tracker.service import Tracker
    from foia.vault.documents import add as add_documents
    from vault_support import make_pdf

    app, store, ids = web
    rid = ids["overdue"]
    t = Tracker(store, today=TODAY, actor="Maria")
    t.update(rid, status="acknowledged", on="2026-09-10", tracking=["2026-ICFO-04242"])
    box = Inbox(t)
    (stored,) = box.import_paths([Path(__file__).parent / "mail" / "ack-ice-plain.eml"]).stored
    assert stored.request_id is None        # nothing in the seeded queue names it: filed by hand
    box.assign(stored.id, rid)
    pdf = make_pdf(tmp_path / f"{CLIENT_NAME} A-File.pdf", ["Memo (b)(6) (b)(6)", "Contract (b)(4)"])
    (doc,) = add_documents(t, rid, [pdf], received="2026-10-05")

    staff = as_(app, "Maria")
    page = text(staff.get(f"/requests/{rid}"))
    timeline = page[page.index("<h2>Timeline</h2>"):page.index("</ol>", page.index("<h2>Timeline</h2>"))]
    order = [timeline.index(s) for s in ("2026-09-10", "2026-10-05 Document received", "2026-11-02 Mail received")]
    assert order == sorted(order), timeline
    assert f"document-{doc['id']}.pdf" in timeline and "2 pages" in timeline and "(b)(4) (b)(6)" in timeline
    assert "RE: Freedom of Information Act Request" in timeline and "ice-foia@ice.dhs.gov" in timeline
    assert CLIENT_NAME not in timeline

    mail_url = re.search(r'href="(/requests/\d+/mail/\d+)"', timeline).group(1)
    doc_url = re.search(r'href="(/requests/\d+/documents/\d+)"', timeline).group(1)
    mail = text(staff.get(mail_url))
    assert "ice-foia@ice.dhs.gov" in mail and "2026-11-02" in mail and 'id="mail-text"' not in mail
    shown = text(staff.get(mail_url + "?identity=1"))
    assert 'id="mail-text"' in shown and "Dear Ms. Ruiz" in shown
    doc_page = text(staff.get(doc_url))
    assert f"document-{doc['id']}.pdf" in doc_page and CLIENT_NAME not in doc_page
    assert re.search(r'id="doc-exemptions">\(b\)\(4\) x1, \(b\)\(6\) x2<', doc_page), doc_page
    assert f"{CLIENT_NAME} A-File.pdf" in text(staff.get(doc_url + "?identity=1"))

    viewer = as_(app, "Vic Viewer")
    assert "Dear Ms. Ruiz" not in text(viewer.get(mail_url + "?identity=1"))
    assert CLIENT_NAME not in text(viewer.get(doc_url + "?identity=1"))
    assert CLIENT_NAME not in text(viewer.get(f"/requests/{rid}?identity=1"))
    # A message or document of another request is not reachable under this one.
    other = ids["cbp"]
    assert viewer.get(mail_url.replace(f"/requests/{rid}/", f"/requests/{other}/")).status_code == 404
    assert viewer.get(doc_url.replace(f"/requests/{rid}/", f"/requests/{other}/")).status_code == 404


def test_a_job_page_shows_progress_while_it_runs_and_reloads_until_done(web):
    """The watcher reads how far the work has written its file; the page (no JavaScript)
    reloads itself while the job runs, shows rows done of the total, then the file."""
    import threading
    import time

    from sqlalchemy import update

    from foia.web import jobs
    from foia.web.models import web_jobs
    from foia.web.views_admin import _lines_done

    app, store, _ids = web
    release, wrote = threading.Event(), threading.Event()

    def work(folder):
        out = folder / "foia-export.csv"
        with open(out, "w") as fh:
            fh.write("id,title\n" + "".join(f"{i},Request {i}\n" for i in range(1, 41)))
            fh.flush()
            wrote.set()
            assert release.wait(30)
            fh.write("".join(f"{i},Request {i}\n" for i in range(41, 101)))
        return jobs.Outcome("Exported 100 requests.", done=100, path=out, name="foia-2026-11-02.csv")

    job = jobs.start(store, kind="export", label="Export (CSV)", owner="Ada Admin", unit="requests", total=100,
                     work=work, progress=_lines_done(100))
    b = as_(app, "Ada Admin")
    assert wrote.wait(30)
    deadline = time.monotonic() + 30
    while "40 / 100 requests" not in (page := text(b.get(f"/admin/jobs/{job}"))):
        assert time.monotonic() < deadline, page
        time.sleep(0.1)
    assert '<meta http-equiv="refresh" content="1">' in page and "Working: 40 of 100 requests done" in page
    assert 'value="40"' in page and "job-download" not in page
    assert as_(app, "Maria").get(f"/admin/jobs/{job}").status_code == 403
    release.set()
    page = finished(b, _Redirect(f"/admin/jobs/{job}"))
    assert "Finished: Exported 100 requests." in page and "100 / 100 requests" in page
    got = download(b, page)
    assert got.status_code == 200 and got.data.count(b"\n") == 101
    assert 'filename="foia-2026-11-02.csv"' in got.headers["Content-Disposition"]
    assert as_(app, "Maria").get(f"/admin/jobs/{job}/download").status_code == 403
    assert job in text(b.get("/admin/"))

    # A job whose server stopped (no word from its watcher for a long time) says so, and stops reloading.
    store.write(lambda conn: conn.execute(update(web_jobs).where(web_jobs.c.id == job).values(
        state="running", heartbeat_at="2026-01-01T00:00:00.000000Z")))
    page = text(b.get(f"/admin/jobs/{job}"))
    assert "Stopped: the server running it stopped" in page and "http-equiv" not in page
    assert b.get("/admin/jobs/nope").status_code == 404
    assert b.get("/admin/jobs/..%2F..%2Fetc%2Fpasswd/download").status_code == 404


class _Redirect:
    """A stand-in for the POST's answer when the job was started directly."""

    status_code = 303

    def __init__(self, url):
        self.headers = {"Location": url}


def test_today_lists_the_first_of_each_section_and_pages_through_one(web, monkeypatch):
    from foia.tracker.service import Tracker
    from foia.web import views

    app, store, ids = web
    t = Tracker(store, today=TODAY, actor="seed")
    more = [t.add(title=f"Overdue {i:02d}", office="ice", on="2026-08-03").request_id for i in range(12)]
    b = as_(app, "Maria")
    page = text(b.get("/"))
    section = page[page.index('<section id="overdue_determinations">'):]
    section = section[:section.index("</section>")]
    assert "Overdue determinations (14)" in section     # with the seeded CBP request
    assert len(re.findall(r'<li><a href="/requests/\d+">', section)) == views.TODAY_FIRST
    assert "... and 4 more:" in section and 'href="/?section=overdue_determinations">all 14</a>' in section

    monkeypatch.setattr(views, "PAGE_SIZE", 5)
    seen = []
    url = "/?section=overdue_determinations&office=ice"
    while url:
        page = text(b.get(url.replace("&amp;", "&")))
        assert "Appeal windows" not in page and 'name="section" value="overdue_determinations"' in page
        seen += [int(n) for n in re.findall(r'<li><a href="/requests/(\d+)">', page)]
        m = re.search(r'<a rel="next" href="([^"]+)"', page)
        url = m.group(1) if m else None
        if url:
            assert "office=ice" in url
    assert sorted(seen) == sorted(more + [ids["overdue"]]) and len(seen) == 13
    assert "11-13 of 13." in page
    bad = b.get("/?section=nonsense")
    assert bad.status_code == 400 and "section: &#39;nonsense&#39; is not a section of Today" in text(bad)
