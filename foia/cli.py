"""The ``foia`` command line: a thin layer over the library.

Subcommands are loaded lazily from ``COMMANDS`` so ``foia --help`` and the directory commands
never import python-docx, httpx or SQLAlchemy. Library errors (``FoiaError``) become one line
on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import importlib
import sys

import click

from foia import __version__

# name -> ("module:attribute", short help shown by `foia --help` without importing the module)
COMMANDS: dict[str, tuple[str, str]] = {
    "agencies": ("foia.commands.directory:agencies", "Agencies and FOIA offices: where to file, clocks, contacts."),
    "systems": ("foia.commands.directory:systems", "Systems of records (ICM, FALCON, TECS...): SORNs, PIAs, records."),
    "vendors": ("foia.commands.directory:vendors", "Vendors and their contracts, with sources and conflicts."),
    "search": ("foia.commands.directory:search", "Search agencies, systems, vendors and contracts."),
    "contracts": ("foia.commands.contracts:contracts", "Contract awards on USAspending: search, show with modifications."),
    "deadline": ("foia.commands.deadline:deadline", "Statutory deadlines for a request, with the days counted."),
    "track": ("foia.commands.track:track", "Track requests: statuses, tracking numbers, history, deadlines, letters."),
    "draft": ("foia.commands.letters:draft", "Write letters (records, contract, self, appeal...) to one or more offices."),
    "letters": ("foia.commands.letters:letters", "Letter kinds, their fields and templates (your overrides included)."),
    "profile": ("foia.commands.profile:profile", "Your requester profile: name, address, fee category, statements."),
    "docs": ("foia.commands.docs:docs", "Records agencies released: stored by SHA-256, per-page text, OCR, exemptions."),
    "inbox": ("foia.commands.inbox:inbox", "The agencies' replies: import or fetch mail, match it, accept proposals."),
    "serve": ("foia.commands.web:serve", "The web app for a clinic's queue: Today, Queue, Draft, Calendar (local or team)."),
    "users": ("foia.commands.web:users", "Web app accounts (team mode): add, list, change, remove; roles admin|staff|viewer."),
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported only when invoked (or asked for help)."""

    # Set by main(), the `foia` program: the objects a command's imports make are frozen out of
    # the garbage collector (see _import_command). A test or an app calling the group directly
    # keeps its collector as it is.
    freeze_imports = False

    def __init__(self, *args, lazy: dict[str, tuple[str, str]] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.lazy = lazy or {}

    def list_commands(self, ctx):
        return sorted(set(super().list_commands(ctx)) | set(self.lazy))

    def get_command(self, ctx, name):
        if name in self.commands:
            return self.commands[name]
        if name not in self.lazy:
            return None
        module, attr = self.lazy[name][0].split(":")
        from foia.commands import text_checked

        cmd = text_checked(getattr(_import_command(module, freeze=self.freeze_imports), attr))
        self.commands[name] = cmd
        return cmd

    def format_commands(self, ctx, formatter):
        rows = []
        for name in self.list_commands(ctx):
            if name in self.lazy and name not in self.commands:
                rows.append((name, self.lazy[name][1]))
            else:
                cmd = self.commands[name]
                if not cmd.hidden:
                    rows.append((name, cmd.get_short_help_str(limit=formatter.width)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        """Run the CLI; every error, click's own parse errors included, is one line on stderr."""
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.UsageError as exc:
            hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx is not None else ""
            # click lists a Choice's values one per line ("Choose from:\n\tcsv,\n\tjson"): one line.
            click.echo(f"Error: {' '.join(exc.format_message().split())}{hint}", err=True)
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo("Aborted.", err=True)
            sys.exit(1)
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            sys.exit(130)
        sys.exit(rv if isinstance(rv, int) else 0)

    def invoke(self, ctx):
        from foia.errors import DirectoryError, FoiaError

        try:
            return super().invoke(ctx)
        except DirectoryError as exc:
            click.echo(exc.report(), err=True)
            ctx.exit(exc.exit_code)
        except FoiaError as exc:
            # The library names fields; the user sees the options of the command that ran.
            click.echo(f"Error: {shown(exc, _running(exc))}", err=True)
            ctx.exit(exc.exit_code)
        except BrokenPipeError:
            # `foia ... | head` closes the pipe early: not an error worth a traceback.
            sys.stderr.close()
            ctx.exit(0)
        except OSError as exc:
            # A file system refusal (permissions, a full disk, a missing folder) is the user's to fix.
            where = f"{exc.filename}: " if exc.filename else ""
            click.echo(f"Error: {where}{exc.strerror or exc}; check the path and its permissions", err=True)
            ctx.exit(1)


def _import_command(module: str, *, freeze: bool):
    """Import a command's module. Its imports (Jinja2, the letters' tables, SQLAlchemy...) make tens
    of thousands of objects that live as long as the process and are never garbage: the cyclic
    collector would walk them all in each full collection while they load, and once more in the
    collection Python runs at exit. ``freeze``: collect nothing while they load, then move them
    out of the collector's reach (gc.freeze); what the command makes afterwards is collected as
    usual."""
    if not freeze:
        return importlib.import_module(module)
    import gc

    collecting = gc.isenabled()
    gc.disable()
    try:
        return importlib.import_module(module)
    finally:
        gc.freeze()
        if collecting:
            gc.enable()


def _running(exc: BaseException) -> click.Command | None:
    """The innermost command that was running when ``exc`` was raised (`foia track appeal`:
    appeal): its context is in the frames the exception passed through."""
    command = None
    tb = exc.__traceback__
    while tb is not None:
        found = tb.tb_frame.f_locals.get("ctx")
        if isinstance(found, click.Context):
            command = found.command
        tb = tb.tb_next
    return command


def shown(message, command: click.Command | None = None) -> str:
    """A library message (a foia.naming.Text, or an exception carrying one) with each field named
    as ``command``'s option for it (a field `exemptions` read by ``--exemption`` is shown so),
    else as ``--field-name``; plain text comes back as it is."""
    from foia.naming import Text, as_flags, flag

    if isinstance(message, BaseException):
        message = message.args[0] if len(message.args) == 1 else str(message)
    if not isinstance(message, Text):
        return as_flags(message)
    options = {}
    for p in getattr(command, "params", ()):
        longs = [o for o in p.opts if o.startswith("--")] if isinstance(p, click.Option) else []
        if longs and p.name:
            options.setdefault(p.name, longs[0])
    from foia.commands import FLAGS

    return message.render(lambda field: options.get(field) or FLAGS.get(field) or flag(field))


@click.group("foia", cls=LazyGroup, lazy=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="foia")
@click.option("--directory", "directory_override", envvar="FOIA_DIRECTORY", metavar="FILE",
              type=click.Path(dir_okay=False), default=None,
              help="Your own YAML file of agencies, systems or vendors, merged over the packaged "
                   "directory (env FOIA_DIRECTORY).")
@click.pass_context
def cli(ctx, directory_override):
    """foia: FOIA and Privacy Act requests about immigration-enforcement surveillance.

    A sourced directory of DHS/ICE/CBP/USCIS/OBIM offices, systems and vendor contracts;
    letters; statutory deadlines; and a request tracker (SQLite by default).
    """
    ctx.ensure_object(dict)
    ctx.obj["directory_override"] = directory_override


def main(argv=None):
    """`foia` as a program (the console script and `python -m foia`)."""
    LazyGroup.freeze_imports = True
    cli.main(args=argv, prog_name="foia")


if __name__ == "__main__":
    main()
