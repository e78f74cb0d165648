"""`foia users`, `foia serve`'s refusals and `foia track remind` against a real SMTP server
(aiosmtpd on 127.0.0.1)."""

from __future__ import annotations

import socket

import pytest

pytest.importorskip("flask", reason="the web extra (pip install 'foia[web]') is not installed")

from click.testing import CliRunner  # noqa: E402

from foia.cli import cli  # noqa: E402
from web_support import TODAY, seed  # noqa: E402


@pytest.fixture(autouse=True)
def _quick_hashes(monkeypatch):
    from argon2 import PasswordHasher

    from foia.web import accounts

    monkeypatch.setattr(accounts, "_hasher", lambda: PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


def run(*args, input=None):
    return CliRunner().invoke(cli, list(args), input=input)


def test_users_add_list_change_remove(db_url):
    r = run("users", "--db", db_url, "add", "Ada", "--role", "admin", "--email", "ada@clinic.example",
            input="a long pass phrase\na long pass phrase\n")
    assert r.exit_code == 0, r.output
    assert r.output.endswith("Account Ada (admin) added.\n")
    assert "a long pass phrase" not in r.output
    r = run("users", "--db", db_url, "add", "Ben", "--role", "viewer", "--password-stdin", input="another passphrase\n")
    assert r.exit_code == 0, r.output
    listed = run("users", "--db", db_url, "list").output
    assert "Ada" in listed and "admin" in listed and "ada@clinic.example" in listed and "Ben" in listed
    assert "argon2" not in listed
    taken = run("users", "--db", db_url, "add", "ada", "--role", "staff", "--password-stdin", input="x" * 12 + "\n")
    assert taken.exit_code == 2 and taken.output.strip() == ("Error: NAME: an account 'ada' exists already; "
                                                             "see `foia users list`")
    short = run("users", "--db", db_url, "add", "Cy", "--role", "staff", "--password-stdin", input="short\n")
    assert short.exit_code == 2 and "too short; use at least 10 characters" in short.output
    assert run("users", "--db", db_url, "change", "ben", "--role", "staff").output == "Account Ben (staff) changed.\n"
    last = run("users", "--db", db_url, "change", "Ada", "--role", "viewer")
    assert last.exit_code == 2 and "Ada is the last admin" in last.output
    assert run("users", "--db", db_url, "remove", "Ben").output == "Account Ben removed.\n"
    missing = run("users", "--db", db_url, "remove", "Ben")
    assert missing.exit_code == 1 and missing.output.strip() == "Error: no account 'Ben'; see `foia users list`"


def test_serve_refuses_other_addresses_without_an_admin(db_url):
    r = run("serve", "--db", db_url, "--host", "0.0.0.0", "--port", "1")
    assert r.exit_code == 1
    assert r.output.strip() == ("Error: --host 0.0.0.0: listening beyond this machine needs team mode; create an "
                                "admin first (foia users add NAME --role admin), or keep --host 127.0.0.1")


def test_prepare_local_and_team_mode(db_url):
    from foia.tracker.store import open_store
    from foia.web import accounts
    from foia.web.server import prepare

    store = open_store(db_url)
    try:
        url, warnings = prepare(store, "127.0.0.1", 8484)
        assert url.startswith("http://127.0.0.1:8484/start?token=") and not warnings
        assert accounts.local_token_ok(store, url.split("token=")[1])
        accounts.add_user(store, "Ada", role="staff", password="a long pass phrase")
        with pytest.raises(Exception, match="needs team mode; create an admin"):
            prepare(store, "10.0.0.5", 8484)
        accounts.change_user(store, "Ada", role="admin")
        url, warnings = prepare(store, "10.0.0.5", 8484)
        assert url == "http://10.0.0.5:8484/login"
        assert warnings and "clear text unless a TLS proxy is in front" in warnings[0]
        assert prepare(store, "10.0.0.5", 8484, behind_tls=True) == ("https://10.0.0.5:8484/login", [])
    finally:
        store.dispose()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server():
    """A real SMTP server on a free loopback port, keeping what it receives."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    received = []

    class Keep(Message):
        def handle_message(self, message):
            received.append(message)

    port = _free_port()
    controller = Controller(Keep(), hostname="127.0.0.1", port=port)
    controller.start()
    yield port, received
    controller.stop()


def test_remind_mails_each_assignee_their_part_of_due(db_url, smtp_server):
    import json

    from foia.tracker.store import open_store

    port, received = smtp_server
    store = open_store(db_url)
    try:
        seed(store)
    finally:
        store.dispose()
    r = run("track", "--db", db_url, "remind", "--smtp", f"smtp://127.0.0.1:{port}", "--from", "foia@clinic.example",
            "--today", TODAY.isoformat())
    assert r.exit_code == 0, r.output
    assert r.output.splitlines() == ["Ada Admin <ada@clinic.example>: 1 item, sent",
                                     "Maria <maria@clinic.example>: 1 item, sent",
                                     "Vic Viewer <vic@clinic.example>: 0 items, nothing due"]
    by_to = {m["To"]: m for m in received}
    assert set(by_to) == {"ada@clinic.example", "maria@clinic.example"}
    maria = by_to["maria@clinic.example"]
    assert maria["From"] == "foia@clinic.example"
    assert maria["Subject"] == "foia: 1 deadline to act on (2026-11-02)"
    body = maria.get_payload(decode=True).decode().replace("\r\n", "\n")
    due = json.loads(run("track", "--db", db_url, "due", "--json", "--today", TODAY.isoformat()).output)
    overdue = next(s for s in due["sections"] if s["key"] == "overdue_determinations")
    mine = [it for it in overdue["items"] if it["title"] == "ICM audit logs"][0]
    assert f"Overdue determinations (1):\n  #{mine['id']} ICM audit logs (ice, submitted): determination due " \
           f"{mine['due']}, {mine['working_days_late']} working days late\n      run: foia track followup " \
           f"{mine['id']}" in body
    assert "LPR contract" not in body


@pytest.mark.pure
def test_remind_refuses_a_bad_smtp_url_and_an_unreachable_server(db_url):
    from foia.tracker.store import open_store

    store = open_store(db_url)
    try:
        seed(store)
    finally:
        store.dispose()
    bad = run("track", "--db", db_url, "remind", "--smtp", "http://x", "--from", "f@clinic.example",
              "--today", TODAY.isoformat())
    assert bad.exit_code == 2 and "--smtp: 'http://x' is not an SMTP URL" in bad.output
    port = _free_port()
    down = run("track", "--db", db_url, "remind", "--smtp", f"smtp://u:secret@127.0.0.1:{port}", "--from",
               "f@clinic.example", "--today", TODAY.isoformat())
    assert down.exit_code == 1 and "cannot send through smtp://u:***@127.0.0.1" in down.output
    assert "secret" not in down.output and "Traceback" not in down.output
    dry = run("track", "--db", db_url, "remind", "--smtp", f"smtp://127.0.0.1:{port}", "--from", "f@clinic.example",
              "--today", TODAY.isoformat(), "--dry-run")
    assert dry.exit_code == 0 and "Maria <maria@clinic.example>: 1 item, would send" in dry.output
