"""`foia serve`: checks before listening, then the app under waitress (a production WSGI server
in pure Python, on every platform)."""

from __future__ import annotations

import ipaddress
from typing import Callable

from foia.errors import FoiaError, UsageError
from foia.naming import Field, Text
from foia.web import accounts


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def prepare(store, host: str, port: int, *, behind_tls: bool = False) -> tuple[str, list[str]]:
    """The URL to open and the warnings to print (:class:`foia.naming.Text`, naming fields), or a
    refusal. Local mode (no accounts) serves loopback only and makes a start-up token; any other
    address needs an admin account, since anyone who can reach it could otherwise read the queue."""
    if not 0 <= port <= 65535:
        raise UsageError(Text(Field("port"), f": {port} is not a port; use 1-65535"), field="port")
    warnings = []
    team = accounts.has_accounts(store)
    if not is_loopback(host):
        if not accounts.has_admin(store):
            raise FoiaError(Text(Field("host"), f" {host}: listening beyond this machine needs team mode; create an "
                                 "admin first (foia users add NAME ", Field("role"), " admin), or keep ", Field("host"),
                                 " 127.0.0.1"), field="host")
        if not behind_tls:
            warnings.append(Text(Field("host"), f" {host}: passwords and client data cross the network in clear "
                                 "text unless a TLS proxy is in front (see docs/web.md); say ", Field("behind_tls"),
                                 " when it is"))
    shown = f"[{host}]" if ":" in host else host
    base = f"{'https' if behind_tls else 'http'}://{shown}:{port}"
    if team:
        return f"{base}/login", warnings
    return f"{base}/start?token={accounts.new_local_token(store)}", warnings


def serve(db: str | None, *, host: str = "127.0.0.1", port: int = 8484, threads: int = 8,
          behind_tls: bool = False, directory_override: str | None = None,
          announce: Callable[[str], None] = print) -> None:
    """Serve the web app until interrupted."""
    try:
        import waitress
    except ImportError:
        raise FoiaError("foia serve needs the web extra: pip install 'foia[web]'") from None
    from foia.tracker.store import open_store
    from foia.web.app import create_app

    store = open_store(db)
    url, warnings = prepare(store, host, port, behind_tls=behind_tls)
    app = create_app(store=store, directory_override=directory_override, secure_cookies=behind_tls)
    for w in warnings:
        announce(Text("Warning: ", w))
    try:
        server = waitress.create_server(app, host=host, port=port, threads=threads, ident="foia",
                                        # Behind the proxy: trust its X-Forwarded-Proto/For only.
                                        **({"trusted_proxy": "127.0.0.1", "trusted_proxy_headers":
                                            "x-forwarded-proto x-forwarded-for x-forwarded-host"}
                                           if behind_tls else {}))
    except OSError as exc:
        raise FoiaError(Text(Field("port"), f" {port}: cannot listen on {host}: {exc.strerror or exc}; choose another ",
                             Field("port")), field="port") from None
    announce(f"foia serves {store.shown()} at {url}")
    announce("(Ctrl-C stops it.)")
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
        store.dispose()
