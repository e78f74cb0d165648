"""What the tracker counts by: today, the directory and the working-day calendar with its
closures. Shared by :class:`foia.tracker.service.Tracker` and foia.tracker.sqlite_reads's
reader, so both read `due` on the same day with the same calendar (and a test that fixes
``TrackerContext.today`` fixes it for both). No SQLAlchemy here."""

from __future__ import annotations

import os
from datetime import date


class TrackerContext:
    """``today`` can be fixed (tests, scripts, --today); ``directory`` is loaded lazily (with the
    user's override file when ``directory_override`` is given)."""

    def __init__(self, *, directory=None, directory_override=None, today: date | None = None):
        self._directory = directory
        self._override = directory_override
        self._today = today
        self._calendar = None

    @property
    def directory(self):
        if self._directory is None:
            from foia.directory import load_directory

            self._directory = load_directory(self._override)
        return self._directory

    def today(self) -> date:
        return self._today or date.today()

    def calendar(self):
        """The federal working-day calendar with the directory's and the user's closures."""
        if self._calendar is None:
            from foia.clocks.calendar import default_calendar, load_closures
            from foia.paths import config_dir

            closures = dict(self.directory.closures)
            path = config_dir() / "closures.yaml"
            if os.path.lexists(path):       # a folder or a device there is refused, not skipped
                closures.update(load_closures(path))
            self._calendar = default_calendar(closures)
        return self._calendar
