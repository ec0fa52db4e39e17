"""Fixtures every test shares: an isolated working state, and the PostgreSQL server."""

from __future__ import annotations

import os

import pytest


# dlt must not read the developer's own .dlt/ or ~/.dlt while tests run.
os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path, monkeypatch):
    """Each test gets its own dlt working state and no leftover Asana env vars."""
    monkeypatch.setenv("ASANA_SYNC_HOME", str(tmp_path / "asana-sync-home"))
    for key in list(os.environ):
        if key.startswith("SOURCES__ASANA__"):
            monkeypatch.delenv(key, raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="session")
def pg_server():
    """PostgreSQL for the tests (see tests/pg.py); skipped only when there is none and CI is unset."""
    from pg import postgres_server

    with postgres_server() as server:
        if server is None:
            if os.environ.get("CI"):
                pytest.fail("no PostgreSQL server reachable and none could be started, and CI is set")
            pytest.skip("no PostgreSQL server reachable and no PostgreSQL binaries to start one; set CI to fail")
        yield server



def pytest_collection_modifyitems(config, items):
    """How `make test` spreads the tests over its workers (``--dist loadgroup``): one by one, so that
    a long file does not keep one worker busy while the others are done, except those that share a
    costly fixture built once per module or per session. Those stay together on one worker
    (``xdist_group``: the module of a module fixture, the folder of a session fixture's conftest) so
    that it is built once. This file's own fixtures (the PostgreSQL server) are cheap to set up per worker."""
    for item in items:
        group = _shared_fixture_group(item)
        if group:
            item.add_marker(pytest.mark.xdist_group(group))


_WIDTH = {"module": 1, "package": 2, "session": 3}


def _shared_fixture_group(item):
    """The group of the widest-scoped fixture ``item`` uses that is defined below this file, or None."""
    info = getattr(item, "_fixtureinfo", None)
    widest = (0, None)
    for name in info.names_closure if info else ():
        for fixturedef in info.name2fixturedefs.get(name, ()):
            width = _WIDTH.get(fixturedef.scope, 0)
            where = fixturedef.baseid or ""
            if width > widest[0] and where not in ("", "tests"):
                widest = (width, where)
    return widest[1]
