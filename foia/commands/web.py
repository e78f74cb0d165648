"""`foia serve` and `foia users`: the web app and its accounts (thin layers over foia.web)."""

from __future__ import annotations

import click

_DB = click.option("--db", "db", envvar="FOIA_DB", metavar="URL",
                   help="Tracker database (as `foia track --db`; env FOIA_DB; default: foia.db in the user data "
                        "directory).")


@click.command("serve")
@_DB
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Anything but loopback needs an admin account (team mode).")
@click.option("--port", default=8484, show_default=True, type=int, help="Port to listen on.")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64), help="Worker threads.")
@click.option("--behind-tls", is_flag=True,
              help="A TLS proxy is in front (see docs/web.md): cookies are marked Secure and its "
                   "X-Forwarded-Proto is trusted from 127.0.0.1.")
@click.pass_context
def serve(ctx, db, host, port, threads, behind_tls):
    """Serve the web app: Today, Queue, Request, Draft, Directory, Calendar, Admin.

    Local mode (no accounts): listens on 127.0.0.1 only and prints a link with a secret start-up
    token. Team mode (`foia users add`): sign in with a name and password; roles viewer, staff,
    admin.
    """
    from foia.cli import shown
    from foia.web.server import serve as run

    run(db, host=host, port=port, threads=threads, behind_tls=behind_tls,
        directory_override=(ctx.find_root().obj or {}).get("directory_override"),
        announce=lambda line: click.echo(shown(line, ctx.command), err=line.startswith("Warning:")))


@click.group("users")
@_DB
@click.pass_context
def users(ctx, db):
    """Team-mode accounts of the web app (roles: admin, staff, viewer).

    viewer: reads the queue, never client data; staff: records and drafts, sees client data on
    request; admin: also accounts, import, export, backup and purge.
    """
    ctx.ensure_object(dict)
    ctx.obj["db"] = db


def _store(ctx):
    from foia.tracker.store import open_store

    store = open_store((ctx.find_object(dict) or {}).get("db"), notify=lambda m: click.echo(m, err=True))
    ctx.call_on_close(store.dispose)
    return store


def _password(stdin: bool) -> str:
    if stdin:
        import sys

        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@users.command("add")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(["admin", "staff", "viewer"]), help="What the account may do.")
@click.option("--email", help="Where `foia track remind` sends this person's deadlines.")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin (scripts).")
@click.pass_context
def users_add(ctx, name, role, email, password_stdin):
    """Add an account; asks for its password (at least 10 characters)."""
    from foia.web.accounts import add_user

    store = _store(ctx)
    account = add_user(store, name, role=role, password=_password(password_stdin), email=email)
    click.echo(f"Account {account.name} ({account.role}) added.")


@users.command("list")
@click.pass_context
def users_list(ctx):
    """List the accounts with their roles and lockouts."""
    from foia.commands.output import emit
    from foia.web.accounts import list_users

    emit(list_users(_store(ctx)), ["name", "role", "email", "locked_until", "created_at"], None,
         headers=["name", "role", "email", "locked until", "created"], empty="No accounts: foia serve runs in local mode.")


@users.command("change")
@click.argument("name")
@click.option("--role", type=click.Choice(["admin", "staff", "viewer"]), help="New role.")
@click.option("--email", help="New email (empty to clear).")
@click.option("--password", "new_password", is_flag=True, help="Set a new password (asked for).")
@click.option("--password-stdin", is_flag=True, help="Read the new password from stdin.")
@click.option("--unlock", is_flag=True, help="Lift a lockout after failed logins.")
@click.pass_context
def users_change(ctx, name, role, email, new_password, password_stdin, unlock):
    """Change an account's role, email or password, or lift its lockout. A new role or password
    signs the account out everywhere."""
    from foia.web.accounts import change_user

    password = _password(password_stdin) if new_password or password_stdin else None
    account = change_user(_store(ctx), name, role=role, email=email, password=password, unlock=unlock)
    click.echo(f"Account {account.name} ({account.role}) changed.")


@users.command("remove")
@click.argument("name")
@click.pass_context
def users_remove(ctx, name):
    """Remove an account (the history keeps its name on what it recorded)."""
    from foia.web.accounts import remove_user

    click.echo(f"Account {remove_user(_store(ctx), name)} removed.")
