"""`foia inbox fetch` against a real IMAP server: Debian's dovecot-imapd, started here on
127.0.0.1 with a throwaway configuration, passwd-file, self-signed certificate and Maildir
loaded with the fixture mail. Skipped loudly when dovecot is missing; FAILS when
FOIA_REQUIRE_IMAP=1 (as in .ci/run)."""

from __future__ import annotations

import re
import os
import shutil
import socket
import subprocess
import threading
import time
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
from inbox_support import MAIL, inbox_runner, scenario

from foia.errors import FoiaError
from foia.inbox.imap import fetch
from foia.inbox.service import Inbox
from foia.naming import as_flags

DOVECOT = shutil.which("dovecot") or ("/usr/sbin/dovecot" if os.path.exists("/usr/sbin/dovecot") else None)
USER, PASSWORD = "clinic", "s3cret-imap-pw"
# The fixture mail the server holds (the duplicate copy included: stored once).
LOADED = sorted(p.name for p in MAIL.glob("*.eml"))


def _need(what: str, found) -> None:
    if found:
        return
    reason = f"{what} NOT INSTALLED: the IMAP tests need Debian's dovecot-imapd and openssl"
    if os.environ.get("FOIA_REQUIRE_IMAP") == "1":
        pytest.fail(f"{reason} (FOIA_REQUIRE_IMAP=1: the IMAP run is required)")
    pytest.skip(f"{reason}; install it, or set FOIA_REQUIRE_IMAP=1 to make this a failure")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def imap_server():
    """A dovecot on 127.0.0.1 (implicit TLS and STARTTLS ports) with the fixture mail in
    INBOX; yields a dict of host, ports, cafile and the Maildir."""
    _need("dovecot", DOVECOT)
    _need("openssl", shutil.which("openssl"))
    # Not under pytest's 0700 tmp folder: as root, dovecot's auth and login processes run as
    # its own users (dovecot, dovenull), which must reach the passwd-file and the sockets.
    import tempfile

    root = Path(tempfile.mkdtemp(prefix="foia-dovecot-"))
    root.chmod(0o755)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", str(root / "key.pem"),
                    "-out", str(root / "cert.pem")], check=True, capture_output=True)
    (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
    maildir = root / "home" / USER / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True)
    for i, name in enumerate(LOADED, 1):
        raw = (MAIL / name).read_bytes()
        target = maildir / "cur" / f"{1700000000 + i}.M{i}P1.fixture:2,"
        target.write_bytes(raw)
        # INTERNALDATE (what SEARCH SINCE reads) is the file's mtime in a Maildir.
        date_line = next((line for line in raw.decode("latin-1").splitlines() if line.startswith("Date:")), None)
        # Mail without a usable date arrived on 1 November (before the --since test's day).
        stamp = parsedate_to_datetime("Sun, 01 Nov 2026 12:00:00 +0000").timestamp()
        if date_line and "2100" not in date_line:
            stamp = parsedate_to_datetime(date_line[5:].strip()).timestamp()
        os.utime(target, (stamp, stamp))
    uid, gid = os.getuid(), os.getgid()
    if uid == 0:
        # Dovecot runs neither its login processes nor mail access as root: its packaged users
        # log in, and the mailbox belongs to nobody.
        import pwd

        nobody = pwd.getpwnam("nobody")
        uid, gid = nobody.pw_uid, nobody.pw_gid
        for path in [root / "home", *(root / "home").rglob("*")]:
            os.chown(path, uid, gid)
        users = "default_internal_user = dovecot\ndefault_login_user = dovenull\n"
    else:
        me = subprocess.run(["id", "-un"], capture_output=True, text=True).stdout.strip()
        group = subprocess.run(["id", "-gn"], capture_output=True, text=True).stdout.strip()
        users = (f"default_internal_user = {me}\ndefault_internal_group = {group}\ndefault_login_user = {me}\n"
                 "service anvil {\n  chroot =\n}\nservice imap-login {\n  chroot =\n}\n")
    tls_port, plain_port = _free_port(), _free_port()
    (root / "run").mkdir()
    conf = root / "dovecot.conf"
    conf.write_text(f"""
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = required
ssl_cert = <{root}/cert.pem
ssl_key = <{root}/key.pem
auth_mechanisms = plain
auth_failure_delay = 0
disable_plaintext_auth = yes
{users}first_valid_uid = {uid}
last_valid_uid = {uid}
first_valid_gid = {gid}
mail_location = maildir:~/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {plain_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
    ssl = yes
  }}
}}
""")
    proc = subprocess.Popen([DOVECOT, "-F", "-c", str(conf)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", tls_port), timeout=0.5).close()
            break
        except OSError:
            if proc.poll() is not None:
                break
            time.sleep(0.1)
    else:
        proc.kill()
    if proc.poll() is not None:
        log = (root / "dovecot.log").read_text() if (root / "dovecot.log").exists() else ""
        out = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
        pytest.fail(f"dovecot did not start: {out} {log}"[-2000:])
    yield {"host": "127.0.0.1", "port": tls_port, "plain_port": plain_port, "cafile": str(root / "cert.pem"),
           "maildir": maildir, "root": root}
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
    if not os.environ.get("FOIA_KEEP_DOVECOT"):
        shutil.rmtree(root, ignore_errors=True)


def _fetch(box, server, **kw):
    args = {"host": server["host"], "port": server["port"], "user": USER, "password": PASSWORD,
            "cafile": server["cafile"], "security": "tls"}
    args.update(kw)
    return fetch(box, **args)


def _seen(server) -> list[str]:
    return [p.name for p in (server["maildir"] / "cur").iterdir() if p.name.split(":2,")[-1].find("S") >= 0]


def test_fetch_stores_the_mailbox_read_only_and_again_changes_nothing(db_url, imap_server):
    box = Inbox(scenario(db_url))
    report = _fetch(box, imap_server)
    assert len(report.stored) == len(LOADED) - 1 and len(report.duplicates) == 1
    assert {m["sha256"] for m in box.list()} == {__import__("hashlib").sha256((MAIL / n).read_bytes()).hexdigest()
                                                   for n in LOADED}
    assert _seen(imap_server) == []                 # EXAMINE + BODY.PEEK: nothing marked read
    again = _fetch(box, imap_server)
    assert again.stored == [] and again.duplicates == []       # resumed after the last UID
    assert len(box.list()) == len(LOADED) - 1


@pytest.mark.pure
def test_fetch_since_and_mark_seen_over_starttls(db_url, imap_server):
    box = Inbox(scenario(db_url))
    report = _fetch(box, imap_server, port=imap_server["plain_port"], security="starttls", since="2026-11-10",
                    mark_seen=True)
    # Only the two messages that arrived on 10 and 11 November; those two are now marked read.
    assert sorted(box.show(s.id)["subject"] for s in report.stored) == ["Final response 2025-ICFO-01234",
                                                                       "RE: Freedom of Information Act Request"]
    assert len(_seen(imap_server)) == 2


@pytest.mark.pure
def test_the_cli_fetches_with_the_password_from_the_environment_and_never_prints_it(db_url, imap_server):
    scenario(db_url)
    run = inbox_runner(db_url)
    result = run("fetch", "--host", "127.0.0.1", "--port", str(imap_server["port"]), "--user", USER,
                 "--cafile", imap_server["cafile"], env={"FOIA_IMAP_PASSWORD": PASSWORD})
    assert f"{len(LOADED) - 1} new messages stored" in result.output and PASSWORD not in result.output
    result = run("fetch", "--host", "127.0.0.1", "--port", str(imap_server["port"]), "--user", USER,
                 "--cafile", imap_server["cafile"], "--password-env", "NOT_SET_HERE", input=PASSWORD + "\n")
    assert "0 new messages stored" in result.output and PASSWORD not in result.output


@pytest.mark.pure
def test_a_refused_login_an_untrusted_certificate_and_a_server_that_is_down(db_url, imap_server):
    box = Inbox(scenario(db_url))
    where = f"IMAP server 127.0.0.1:{imap_server['port']}"
    with pytest.raises(FoiaError) as refused:
        _fetch(box, imap_server, password="wrong")
    # The library names fields (``user``); as_flags shows them as the CLI's options.
    assert re.match(f"^{where}: login refused for clinic; check --user and the password$", as_flags(refused.value))
    with pytest.raises(FoiaError, match=f"^{where}: its certificate is not trusted"):
        _fetch(box, imap_server, cafile=None)
    down = _free_port()
    with pytest.raises(FoiaError) as down_refused:
        _fetch(box, imap_server, port=down)
    assert re.match(f"^IMAP server 127.0.0.1:{down}: cannot connect .*check --host", as_flags(down_refused.value))
    assert box.list() == []
    run = inbox_runner(db_url)
    result = run("fetch", "--host", "127.0.0.1", "--port", str(imap_server["port"]), "--user", USER,
                 "--cafile", imap_server["cafile"], env={"FOIA_IMAP_PASSWORD": "wrong"}, ok=False)
    assert result.output.strip().splitlines() == [f"Error: {where}: login refused for clinic; check --user and the "
                                                  "password"]


class _CuttingProxy:
    """Forwards 127.0.0.1:port to the server and drops the connection once ``limit`` bytes came
    back: a connection lost mid-fetch (the TLS stream passes through unread)."""

    def __init__(self, target: int, limit: int):
        self.target, self.limit = target, limit
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        client, _ = self.sock.accept()
        upstream = socket.create_connection(("127.0.0.1", self.target))

        def pump(src, dst, limit=None):
            sent = 0
            try:
                while True:
                    data = src.recv(4096)
                    if not data:
                        break
                    if limit is not None and sent + len(data) > limit:
                        break
                    dst.sendall(data)
                    sent += len(data)
            except OSError:
                pass
            for s in (client, upstream):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

        threading.Thread(target=pump, args=(client, upstream), daemon=True).start()
        pump(upstream, client, self.limit)


def test_a_connection_dropped_midway_keeps_what_was_stored_and_the_next_fetch_resumes(db_url, imap_server):
    box = Inbox(scenario(db_url))
    proxy = _CuttingProxy(imap_server["port"], limit=12_000)
    with pytest.raises(FoiaError, match=r"the connection dropped .*new message\(s\) were stored, and the next fetch "
                                        "resumes after them") as dropped:
        _fetch(box, imap_server, port=proxy.port, timeout=10)
    kept = len(box.list())
    assert 0 < kept < len(LOADED) - 1, dropped.value.message
    rest = _fetch(box, imap_server)
    assert len(rest.stored) + kept == len(LOADED) - 1 and len(box.list()) == len(LOADED) - 1
