"""The web app (`foia serve`): a caller of the library, like the CLI.

``foia.web.models`` and ``foia.web.accounts`` need only SQLAlchemy (the CLI's `foia users` uses
them); ``foia.web.app`` builds the Flask application and is imported only by `foia serve` and the
tests, so nothing here is loaded by the other commands.
"""
