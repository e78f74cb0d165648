"""A real browser against a real `foia serve`: Debian's chromium and chromedriver, headless,
driven by Selenium, against `python -m foia serve` started as its own process on a free
loopback port. Skipped loudly when no browser is installed; FOIA_REQUIRE_BROWSER=1 (as in
.ci/run) makes that a failure. Screenshots of every page are saved in the test's tmp folder
(``screens/``)."""

from __future__ import annotations

import io
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

pytest.importorskip("flask", reason="the web extra (pip install 'foia[web]') is not installed")

from web_support import CLIENT_DOB, CLIENT_NAME, PASSWORDS, TODAY, seed  # noqa: E402

pytestmark = pytest.mark.slow

CHROMIUM = os.environ.get("FOIA_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = os.environ.get("FOIA_CHROMEDRIVER") or shutil.which("chromedriver")


def _need_browser():
    missing = [name for name, path in (("chromium", CHROMIUM), ("chromedriver", CHROMEDRIVER)) if not path]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("the selenium package")
    if missing:
        reason = f"BROWSER TESTS NOT RUN: {', '.join(missing)} not installed (apt-get install chromium chromium-driver)"
        if os.environ.get("FOIA_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{reason}; FOIA_REQUIRE_BROWSER=1 requires them")
        pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path, monkeypatch):
    """`foia serve` on a seeded SQLite queue (team mode: three accounts); yields its base URL."""
    _need_browser()
    from argon2 import PasswordHasher

    from foia.tracker.store import open_store
    from foia.web import accounts

    # argon2id still, at a smaller cost than production's: the server verifies with the
    # parameters stored in each hash, so its logins are as quick as the seeding.
    monkeypatch.setattr(accounts, "_hasher", lambda: PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))

    url = f"sqlite:///{tmp_path / 'queue.db'}"
    store = open_store(url)
    ids = seed(store)
    _mail_and_documents(store, ids["overdue"], tmp_path)
    store.dispose()
    port = _free_port()
    log = open(tmp_path / "serve.log", "w+")
    proc = subprocess.Popen([sys.executable, "-m", "foia", "serve", "--db", url, "--port", str(port)],
                            stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "FOIA_USER": "server"})
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            if proc.poll() is not None:
                log.seek(0)
                pytest.fail(f"foia serve exited {proc.returncode}: {log.read()}")
            try:
                urllib.request.urlopen(base + "/login", timeout=1).read()
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.1)
        else:
            pytest.fail("foia serve did not answer within 20 s")
        yield base, ids
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()


def _mail_and_documents(store, rid, tmp_path) -> None:
    """The agency's acknowledgement filed with the request and a released PDF in its vault."""
    from foia.inbox import Inbox
    from foia.tracker.service import Tracker
    from foia.vault.documents import add
    from vault_support import make_pdf

    t = Tracker(store, today=TODAY, actor="seed")
    box = Inbox(t)
    (stored,) = box.import_paths([Path(__file__).parent / "mail" / "ack-ice-plain.eml"]).stored
    box.assign(stored.id, rid)
    add(t, rid, [make_pdf(tmp_path / f"{CLIENT_NAME} release.pdf", ["Memo (b)(6) (b)(7)(C)", "Contract (b)(4)"])],
        received="2026-10-20")


@pytest.fixture
def browser(tmp_path):
    _need_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    downloads = tmp_path / "downloads"
    downloads.mkdir()
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1280,1600"):
        options.add_argument(arg)
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                              "download.prompt_for_download": False})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    driver.downloads = downloads
    shots = tmp_path / "screens"
    shots.mkdir()

    def shot(name):
        driver.save_screenshot(str(shots / f"{name}.png"))

    driver.shot = shot
    yield driver
    driver.quit()


def _login(driver, base, name):
    from selenium.webdriver.common.by import By

    driver.get(base + "/login")
    driver.find_element(By.ID, "name").send_keys(name)
    driver.find_element(By.ID, "password").send_keys(PASSWORDS[name])
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    _until(driver, lambda d: "/login" not in d.current_url, f"{name} signed in")


def _until(driver, check, what: str):
    """Wait (20 s at most) until ``check(driver)`` is true: a click on a submit button can return
    before the next page has loaded, on a busy machine."""
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, 20, ignored_exceptions=(NoSuchElementException, StaleElementReferenceException)).until(
        check, message=what)


def _text_of(element_id: str):
    from selenium.webdriver.common.by import By

    return lambda d: d.find_element(By.ID, element_id).text


def _wait_for_file(folder: Path, suffix: str) -> Path:
    for _ in range(100):
        found = [p for p in folder.iterdir() if p.name.endswith(suffix)]
        if found:
            return found[0]
        time.sleep(0.1)
    raise AssertionError(f"no {suffix} downloaded into {folder}: {list(folder.iterdir())}")


def test_a_student_records_a_reply_and_drafts_while_a_viewer_sees_no_client_data(server, browser):
    from docx import Document
    from icalendar import Calendar
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    base, ids = server
    d = browser
    d.get(base + "/")
    assert "/login" in d.current_url
    d.shot("login")

    # A student (staff) signs in and sees Today.
    _login(d, base, "Maria")
    assert d.find_element(By.TAG_NAME, "h1").text.startswith("Due as of ")
    assert "Overdue determinations" in d.page_source
    d.shot("today")

    # She records the agency's acknowledgement with its tracking number.
    rid = ids["fresh"]
    d.get(f"{base}/requests/{rid}")
    Select(d.find_element(By.ID, "f-status")).select_by_value("acknowledged")
    d.find_element(By.ID, "f-tracking_number").send_keys("2026-ICFO-77777")
    d.find_element(By.CSS_SELECTOR, "form.record button[type=submit]").click()
    _until(d, lambda d: _text_of("tracking-numbers")(d).startswith("2026-ICFO-77777 (assigned)"), "recorded")
    assert d.find_element(By.ID, "status").text.startswith("acknowledged")
    d.shot("request")

    # A refusal shows beside its field.
    d.find_element(By.ID, "f-on").send_keys("next week")
    d.find_element(By.ID, "f-note").send_keys("called them")
    d.find_element(By.CSS_SELECTOR, "form.record button[type=submit]").click()
    _until(d, lambda d: _text_of("e-on")(d).startswith("--on: "), "the refusal beside the date field")
    d.shot("request-refusal")

    # She drafts a records request and downloads the DOCX.
    d.get(base + "/draft/records")
    Select(d.find_element(By.ID, "f-to")).select_by_value("ice")
    Select(d.find_element(By.ID, "f-system")).select_by_value("icm")
    d.find_element(By.ID, "f-requester_name").send_keys("Maria Student")
    d.find_element(By.ID, "f-requester_email").send_keys("maria@clinic.example")
    d.find_element(By.CSS_SELECTOR, "button[value=preview]").click()
    _until(d, lambda d: "Maria Student" in _text_of("preview")(d), "the preview")
    d.shot("draft-preview")
    d.find_element(By.CSS_SELECTOR, "button[value=docx]").click()
    docx = _wait_for_file(d.downloads, ".docx")
    text = "\n".join(p.text for p in Document(io.BytesIO(docx.read_bytes())).paragraphs)
    assert "Maria Student" in text and "Freedom of Information Act" in text

    # The calendar link gives a calendar icalendar reads.
    d.get(base + "/calendar/")
    d.find_element(By.CSS_SELECTOR, "button[value=new]").click()
    _until(d, lambda d: _text_of("ics-url")(d), "the calendar link")
    ics_url = d.find_element(By.ID, "ics-url").text
    d.shot("calendar")
    cal = Calendar.from_ical(urllib.request.urlopen(ics_url, timeout=10).read())
    assert any("ICM audit logs" in str(e["summary"]) for e in cal.walk("VEVENT"))

    # A forged POST (another site's form: no CSRF token) with her session cookie is refused.
    cookie = d.get_cookie("foia_session")["value"]
    forged = urllib.request.Request(f"{base}/requests/{rid}/update", method="POST",
                                    data=urllib.parse.urlencode({"status": "withdrawn"}).encode(),
                                    headers={"Cookie": f"foia_session={cookie}", "Origin": "http://evil.example"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(forged, timeout=10)
    assert refused.value.code == 400
    d.get(f"{base}/requests/{rid}")
    assert d.find_element(By.ID, "status").text.startswith("acknowledged")

    # The timeline holds the agency's mail and the released document among the events.
    d.get(f"{base}/requests/{ids['overdue']}")
    timeline = d.find_element(By.CSS_SELECTOR, "ol.timeline").text
    assert "Mail received: RE: Freedom of Information Act Request" in timeline
    assert "Document received: document-1.pdf" in timeline and "2 pages" in timeline
    d.shot("request-timeline")
    d.find_element(By.LINK_TEXT, "document-1.pdf").click()
    _until(d, lambda d: _text_of("doc-exemptions")(d).startswith("(b)(4) x1"), "the document page")
    d.shot("document")

    for page in ("queue", "directory/", "directory/vendors/palantir", "admin/"):
        d.get(f"{base}/{page}")
        d.shot(page.strip("/").replace("/", "-"))
    d.find_element(By.CSS_SELECTOR, "header form button").click()      # sign out
    _until(d, lambda d: "/login" in d.current_url, "signed out")

    # A viewer sees the queue and the request, never the date of birth.
    _login(d, base, "Vic Viewer")
    d.get(f"{base}/requests/{ids['overdue']}?identity=1")
    assert "ICM audit logs" in d.page_source and CLIENT_DOB not in d.page_source
    assert not d.find_elements(By.ID, "client-dob")
    assert "document-1.pdf" in d.page_source and CLIENT_NAME not in d.page_source
    d.shot("viewer-request")
    d.get(base + "/queue?identity=1")
    assert CLIENT_DOB not in d.page_source and "ICM audit logs" in d.page_source
    d.get(base + "/draft/records")
    assert "Your role does not allow this" in d.page_source


def test_an_admin_exports_and_watches_the_job_page_until_the_file_is_offered(server, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    base, ids = server
    d = browser
    _login(d, base, "Ada Admin")
    d.get(base + "/admin/")
    Select(d.find_element(By.ID, "x-format")).select_by_visible_text("csv")
    d.find_element(By.CSS_SELECTOR, "form[action='/admin/export'] button[type=submit]").click()
    _until(d, lambda d: "/admin/jobs/" in d.current_url, "the job page")
    # The page reloads itself (no JavaScript) until the job is done.
    _until(d, lambda d: _text_of("job-state")(d).startswith("Finished: Exported 3 requests."), "the finished job")
    assert d.find_element(By.ID, "job-count").text == "3 / 3 requests"
    assert d.find_element(By.ID, "job-progress").get_attribute("value") == "3"
    d.shot("admin-job")
    d.find_element(By.ID, "job-download").click()
    exported = _wait_for_file(d.downloads, ".csv").read_text(encoding="utf-8")
    assert "ICM audit logs" in exported and "Rosa Example" not in exported      # redacted by default

    # A rejected import shows the library's report on its job page; nothing is imported.
    d.get(base + "/admin/")
    bad = d.downloads.parent / "queue.csv"
    bad.write_text("title,office,filed_on\nBad one,nowhere,2026-10-01\n", encoding="utf-8")
    d.find_element(By.ID, "f-file").send_keys(str(bad))
    d.find_element(By.CSS_SELECTOR, "form[action='/admin/import'] button[type=submit]").click()
    _until(d, lambda d: _text_of("job-state")(d).startswith("Refused"), "the refused import")
    assert "nowhere" in d.find_element(By.ID, "job-error").text
    d.shot("admin-job-refused")
    d.get(f"{base}/queue")
    assert "Bad one" not in d.page_source
