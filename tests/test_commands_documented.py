"""Every command and subcommand of `foia` has help text and is documented in README.md or
docs/*.md, so a newcomer who reads `foia --help` finds each command explained somewhere.

The walk goes through click's command tree as `foia --help` does, so the lazily loaded groups
of foia/cli.py (``COMMANDS``) are imported and walked too. A command counts as documented when
a document names its path after `foia` ("foia track due", "foia --db URL track due" does not
count: options go after the command) or in code quotes ("`track due`"); a list of siblings
with "|" ("foia track followup|appeal") names each of them.
"""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from foia.cli import cli

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def _walk(command: click.Command, path: tuple[str, ...], ctx: click.Context):
    yield path, command
    if isinstance(command, click.Group):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            assert sub is not None, f"`foia {' '.join((*path, name))}` is listed but cannot be loaded"
            yield from _walk(sub, (*path, name), click.Context(sub, parent=ctx, info_name=name))


COMMANDS = list(_walk(cli, (), click.Context(cli, info_name="foia")))


def _documented(path: tuple[str, ...], text: str) -> bool:
    *parents, last = path
    alternatives = r"(?:[\w-]+\|)*" + re.escape(last) + r"(?:\|[\w-]+)*"
    words = r"\s+".join([*map(re.escape, parents), alternatives])
    return re.search(r"(?:\bfoia\s+|`)" + words + r"(?![\w|-])", text) is not None


def test_the_walk_reaches_every_lazy_group_and_its_subcommands():
    from foia.cli import COMMANDS as LAZY

    paths = {path for path, _ in COMMANDS}
    assert {(name,) for name in LAZY} <= paths
    assert ("track", "due") in paths and ("draft", "records") in paths and ("inbox", "fetch") in paths


def test_the_rule_tells_a_mention_from_a_near_miss():
    assert _documented(("track", "due"), "run `foia track due` each morning")
    assert _documented(("track", "due"), "the morning view (`track due`)")
    assert _documented(("track", "appeal"), "so `foia track followup|appeal` answer with them")
    assert not _documented(("track", "due"), "foia track duel")
    assert not _documented(("track", "due"), "track due dates")
    assert not _documented(("track", "due"), "foia track list --due")


@pytest.mark.parametrize("path,command", [c for c in COMMANDS if c[0]], ids=[" ".join(p) for p, _ in COMMANDS if p])
def test_each_command_has_help_and_is_documented(path, command):
    name = "foia " + " ".join(path)
    assert (command.help or command.short_help or "").strip(), f"`{name}` has no help text (its docstring)"
    text = "\n".join(doc.read_text(encoding="utf-8") for doc in DOCS)
    documented = _documented(path, text)
    assert documented, (
        f"`{name}` is not mentioned in README.md or docs/*.md; add a line naming it to the right document")
