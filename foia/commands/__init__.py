"""The command groups of ``foia`` (one module each); each parses options, calls the library and prints."""

import click

# The library names the input an error is about by its field (``foia.naming``); the command line
# shows the option. An option is ``--`` + the field with ``_`` -> ``-`` (``client_dob`` ->
# ``--client-dob``) except these, whose options read better in the singular or shorter.
FLAGS = {
    "tags": "--tag", "add_tags": "--tag", "remove_tags": "--untag", "letter_text": "--letter",
    "systems": "--system", "vendors": "--vendor", "contracts": "--contract", "order": "--sort",
}


class Utf8Text(click.types.StringParamType):
    """click's text, refused in one line naming the option when it holds bytes that were not
    UTF-8 (foia.parse.utf8_problem)."""

    def convert(self, value, param, ctx):
        value = super().convert(value, param, ctx)
        if isinstance(value, str) and not value.isascii():
            from foia.parse import utf8_problem

            problem = utf8_problem(value)
            if problem:
                self.fail(problem, param, ctx)
        return value


UTF8_TEXT = Utf8Text()
_PATHS = frozenset({"FILE", "DIR", "PATH"})


def text_checked(command: click.Command) -> click.Command:
    """``command`` (and, for a group, each of its commands) with its text options and arguments
    refusing bytes that were not UTF-8, before anything runs, rather than a traceback when the
    text is written. Paths keep any bytes, a file may be named in any encoding: click.Path, a
    text shown as FILE, DIR or PATH, and ``--db`` (a SQLite file's path, or a URL)."""
    for param in command.params:
        if param.type is click.STRING and param.metavar not in _PATHS and param.name != "db":
            param.type = UTF8_TEXT
    for sub in getattr(command, "commands", {}).values():
        text_checked(sub)
    return command
