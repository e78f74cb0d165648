"""Shared fixtures.

- Every test runs with FOIA_CONFIG_DIR / FOIA_DATA_DIR / FOIA_CACHE_DIR pointing at
  ``tmp_path``/config, /data and /cache (never the real home directory) and without any of the
  user's FOIA_* settings.
- ``db_url``: a tracker database URL, parametrized over the backends: a SQLite file, and the
  PostgreSQL server named by FOIA_TEST_PG_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/test)
  with each test in its own fresh schema (dropped afterwards). When the server is unreachable
  the PostgreSQL cases are skipped with a loud reason, or FAIL when FOIA_REQUIRE_PG=1 (as in
  .ci/run), so the PostgreSQL run cannot be skipped silently.
- ``@pytest.mark.pure``: the test checks a rule computed in Python (a refusal before any write,
  a clock derived from the events), not what the database does, so it runs on SQLite only. Tests
  of storage, SQL, transactions, imports and exports stay on both backends.
"""

from __future__ import annotations

import os
import uuid

import pytest

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture(autouse=True)
def _foia_dirs(tmp_path, monkeypatch):
    """The user's folders are ``tmp_path``/config, /data and /cache; no FOIA_* setting leaks in."""
    monkeypatch.setenv("FOIA_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("FOIA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("FOIA_CACHE_DIR", str(tmp_path / "cache"))
    for var in ("FOIA_DB", "FOIA_DIRECTORY", "FOIA_PROFILE", "FOIA_TEMPLATES", "FOIA_USASPENDING_URL",
                "FOIA_CACHE_TTL", "FOIA_USER"):
        monkeypatch.delenv(var, raising=False)
    return tmp_path


def pg_base_url() -> str:
    return os.environ.get("FOIA_TEST_PG_URL") or PG_DEFAULT


def _libpq(url: str) -> str:
    """The SQLAlchemy URL as a libpq conninfo URL for psycopg."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


@pytest.fixture(scope="session")
def pg_server() -> str:
    url = pg_base_url()
    try:
        import psycopg

        with psycopg.connect(_libpq(url), connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:  # noqa: BLE001 - any failure means "no server"
        reason = f"PostgreSQL server UNREACHABLE at {url}: {' '.join(str(exc).split())[:200]}"
        if os.environ.get("FOIA_REQUIRE_PG") == "1":
            pytest.fail(f"{reason} (FOIA_REQUIRE_PG=1: the PostgreSQL run is required)")
        pytest.skip(f"{reason}; set FOIA_TEST_PG_URL, or FOIA_REQUIRE_PG=1 to make this a failure")
    return url


@pytest.fixture
def pg_schemas(pg_server):
    """``new()`` gives a PostgreSQL URL whose search_path is a fresh schema; all are dropped
    after the test."""
    import psycopg

    made: list[str] = []

    def new() -> str:
        schema = "t_" + uuid.uuid4().hex[:16]
        with psycopg.connect(_libpq(pg_server), autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {schema}")
        made.append(schema)
        sep = "&" if "?" in pg_server else "?"
        # synchronous_commit=off: a commit does not wait for the server's disk (the server going
        # down is no test's case; a killed client loses nothing committed either way).
        return f"{pg_server}{sep}options=-csearch_path%3D{schema}%20-csynchronous_commit%3Doff"

    yield new
    with psycopg.connect(_libpq(pg_server), autocommit=True) as conn:
        for schema in made:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


@pytest.fixture
def pg_url(pg_schemas):
    """A PostgreSQL URL in a fresh schema."""
    return pg_schemas()


BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def pytest_generate_tests(metafunc):
    """Each test that uses a tracker database runs on both backends, a ``pure`` one on SQLite."""
    if "new_db_url" in metafunc.fixturenames:
        pure = metafunc.definition.get_closest_marker("pure") is not None
        metafunc.parametrize("new_db_url", BACKENDS[:1] if pure else BACKENDS, indirect=True)


@pytest.fixture
def new_db_url(request, tmp_path):
    """``new_db_url()`` gives a fresh, empty tracker database URL on the test's backend (call it
    again for a second database)."""
    if request.param == "sqlite":
        count = iter(range(1, 1000))
        return lambda: f"sqlite:///{tmp_path / f'tracker{next(count)}.db'}"
    return request.getfixturevalue("pg_schemas")


@pytest.fixture
def db_url(new_db_url):
    """A fresh tracker database URL on each backend (SQLite file, PostgreSQL schema)."""
    return new_db_url()


@pytest.fixture
def track(db_url):
    """Run `foia track --db URL ...` on the test's database (see tracker_support.track_runner)."""
    from tracker_support import track_runner

    return track_runner(db_url)
