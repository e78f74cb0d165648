"""Running `foia track` in the tracker tests."""

from __future__ import annotations

from click.testing import CliRunner

from foia.cli import cli


def track_runner(url: str):
    """``run(*args)``: `foia track --db URL ARGS...` in this process; returns click's Result.
    ``ok=True`` (the default) asserts the command succeeded, ``ok=False`` that it failed."""

    def run(*args, ok=True):
        result = CliRunner().invoke(cli, ["track", "--db", url, *args])
        if ok:
            assert result.exit_code == 0, result.output
        else:
            assert result.exit_code != 0, result.output
        return result

    return run
