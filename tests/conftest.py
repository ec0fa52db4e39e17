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
