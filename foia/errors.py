"""Errors that reach the user as one clear line.

Library code raises these; the CLI prints ``Error: <message>`` and exits non-zero, with no
traceback. A message names the input (file and line, row and column, option) and the fix.
"""


class FoiaError(Exception):
    """Something the user can fix; the message says what and how."""

    exit_code = 1
    field: str | None = None  # the input the error is about ("until", "base_url"), when one is

    def __init__(self, message: str | None = None, *, field: str | None = None):
        super().__init__(message or (self.__doc__ or "foia failed").strip())
        self.field = field

    @property
    def message(self) -> str:
        return str(self.args[0])


class UsageError(FoiaError):
    """An option or argument has a value foia cannot use."""

    exit_code = 2


class DirectoryError(FoiaError):
    """The agency directory (agencies.yaml or an override file) is invalid."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        head = self.problems[0] if self.problems else "invalid directory"
        more = f" (and {len(self.problems) - 1} more problems)" if len(self.problems) > 1 else ""
        super().__init__(head + more)

    def report(self) -> str:
        """Every problem, one per line, for the CLI to print together."""
        return "\n".join(self.problems)


class NotFound(FoiaError):
    """No such record."""


class BadValue(UsageError):
    """A value a field cannot hold; ``field`` names it (``on``, ``status``, ``tracking_number``)."""


class MoveRefused(FoiaError):
    """A change the request's history does not allow (a status out of order, an appeal of nothing)."""
