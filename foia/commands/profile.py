"""`foia profile init|show|edit|path`: the requester profile letters are signed with."""

from __future__ import annotations

import json
from pathlib import Path

import click

from foia.errors import FoiaError
from foia.profile import PROFILE_FIELDS, profile_from_yaml


def _field_options(func):
    for name in reversed(list(PROFILE_FIELDS)):
        func = click.option("--" + name.replace("_", "-"), name, metavar="TEXT", help=PROFILE_FIELDS[name])(func)
    return func


def _path_option(func):
    return click.option("--profile", "profile_file", type=click.Path(dir_okay=False),
                        help="Profile file (default: FOIA_PROFILE, else <config dir>/profile.yaml).")(func)


@click.group()
def profile():
    """Your requester profile: name, organisation, address, email, phone, fee category and the
    standing statements used for fee waivers and news-media status. Stored user-only (0600);
    any `foia draft --requester-*` option overrides a field for one letter."""


@profile.command("init")
@_field_options
@_path_option
@click.option("--force", is_flag=True, help="Replace an existing profile.")
@click.option("--no-input", is_flag=True, help="Do not ask for fields not given as options.")
def profile_init(profile_file, force, no_input, **values):
    """Create your profile, asking for each field not given as an option (Enter skips one)."""
    from foia.profile import profile_from_dict, profile_path, save_profile

    path = profile_file or profile_path()
    if not force and Path(path).exists():
        raise FoiaError(f"{path} already exists; change it with `foia profile edit` or pass --force")
    data = {}
    for name, help_text in PROFILE_FIELDS.items():
        value = values.get(name)
        if value is None and not no_input:
            value = _ask_lines(help_text) if name == "address" else _ask(help_text)
        if value:
            data[name] = value
    saved = save_profile(profile_from_dict(data, where="profile"), profile_file)
    click.echo(f"Saved {saved}")


def _ask(help_text: str) -> str:
    # click adds ": " after the text: "Phone number:" rather than "Phone number.:".
    return click.prompt(help_text.rstrip("."), default="", show_default=False)


def _ask_lines(help_text: str) -> str:
    """A multi-line answer (the postal address): one line per prompt, an empty line ends it."""
    click.echo(help_text.split(";")[0].rstrip(".") + ", one line at a time (an empty line ends it; Enter now skips it)")
    lines = []
    while True:
        line = click.prompt(f"  line {len(lines) + 1}", default="", show_default=False).strip()
        if not line:
            return "\n".join(lines)
        lines.append(line)


@profile.command("show")
@_path_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def profile_show(profile_file, as_json):
    """Print your profile."""
    from foia.profile import load_profile, profile_path

    p = load_profile(profile_file)
    if p is None:
        raise FoiaError(f"no profile at {profile_path()}; create one with `foia profile init`")
    data = p.to_dict()
    if as_json:
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    for name in PROFILE_FIELDS:
        value = data.get(name)
        if value is None:
            continue
        lines = str(value).splitlines() or [""]
        click.echo(f"{name + ':':<20}{lines[0]}")
        for line in lines[1:]:
            click.echo(" " * 20 + line)


@profile.command("edit")
@_field_options
@_path_option
@click.option("--unset", multiple=True, type=click.Choice(list(PROFILE_FIELDS)), help="Clear a field (repeatable).")
def profile_edit(profile_file, unset, **values):
    """Change fields given as options; with none, open the profile in your editor ($EDITOR).

    The edited text is checked before it is saved; a mistake leaves the old profile in place.
    """
    from foia.profile import Profile, dump_profile, load_profile, profile_from_dict, save_profile

    current = load_profile(profile_file) or Profile()
    changes = {k: v for k, v in values.items() if v is not None}
    if changes or unset:
        data = current.to_dict()
        data.update(changes)
        for name in unset:
            data.pop(name, None)
        saved = save_profile(profile_from_dict(data, where="profile"), profile_file)
        click.echo(f"Saved {saved}")
        return
    edited = click.edit(dump_profile(current), extension=".yaml", require_save=True)
    if edited is None:
        click.echo("No changes.")
        return
    saved = save_profile(profile_from_yaml(edited, where="edited profile", fix="nothing was saved"), profile_file)
    click.echo(f"Saved {saved}")


@profile.command("path")
def profile_path_cmd():
    """Print where your profile is stored."""
    from foia.profile import profile_path

    click.echo(str(profile_path()))
