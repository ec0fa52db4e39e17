"""What the end-to-end tests share: a sync into a DuckDB file, the CLI as a process, writes to the
simulator through its HTTP API, and the one-line failure contract of the CLI."""

from __future__ import annotations

import datetime as dt
import decimal
import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import httpx

from pipelines.sync.run import run_sync

from pipelines.warehouse.destination import Destination

CLI = [sys.executable, "-m", "pipelines"]
ROOT = Path(__file__).resolve().parents[1]


def sync(sim, base_url, tmp_path, **options):
    """One sync of ``sim`` into ``tmp_path/asana.duckdb`` through the library call."""
    source_options = {"access_token": sim.config.tokens[0], "base_url": base_url, "requests_per_minute": 100_000,
                      "max_concurrency": 6, **options}
    return run_sync(Destination.parse("duckdb", str(tmp_path / "asana.duckdb")), source_options=source_options)


def cli_env(env_extra=None) -> dict:
    """The test process's environment without Asana settings, plus ``env_extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOURCES__")}
    env.update({"PYTHONPATH": str(ROOT), **(env_extra or {})})
    return env


def run_cli(args, cwd, env_extra=None, timeout=300):
    return subprocess.run(CLI + args, cwd=cwd, env=cli_env(env_extra), capture_output=True, text=True,
                          timeout=timeout)


def env_for(base_url, token="sim-token"):
    return {"SOURCES__ASANA__ACCESS_TOKEN": token, "SOURCES__ASANA__BASE_URL": base_url,
            "SOURCES__ASANA__REQUESTS_PER_MINUTE": "100000"}


@contextmanager
def held_open(path: Path) -> Iterator[None]:
    """Another process (a BI tool, a DuckDB shell) holding the DuckDB file open for writing."""
    code = ("import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); c.execute('create table if not exists t(x int)');"
            " print('ready', flush=True); time.sleep(120)")
    holder = subprocess.Popen([sys.executable, "-c", code, str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        yield
    finally:
        holder.kill()
        holder.wait()


def assert_clean_failure(proc, code, needle):
    """The CLI's contract for a failure: the documented code, one ``error:`` line, no traceback."""
    assert proc.returncode == code, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr + proc.stdout
    error_lines = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(error_lines) == 1, proc.stderr
    assert needle.lower() in error_lines[0].lower(), error_lines[0]


class Api:
    """Writes through the simulator's HTTP API, the way a user changes Asana between syncs."""

    def __init__(self, base_url: str, token: str) -> None:
        self.http = httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"})

    def call(self, method: str, path: str, data: dict | None = None) -> dict:
        # Writes are never faulted by the simulator's fault injection (GETs only).
        response = self.http.request(method, path, json={"data": data or {}} if method != "GET" else None)
        assert response.status_code < 300, response.text
        return response.json().get("data", {}) if response.content else {}


def comparable(value):
    """One value as both engines should agree on it: numbers to 6 decimals, times in naive UTC."""
    if isinstance(value, decimal.Decimal):
        value = float(value)
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.timezone.utc)
        return value.replace(tzinfo=None).isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return value


def engine_differences(name: str, duckdb_rows, postgres_rows) -> list[str]:
    """The DuckDB = PostgreSQL comparison every engine test uses: same rows, in any order."""
    duck = sorted((tuple(comparable(v) for v in row) for row in duckdb_rows), key=repr)
    pg = sorted((tuple(comparable(v) for v in row) for row in postgres_rows), key=repr)
    if duck == pg:
        return []
    only_duck = [r for r in duck if r not in pg][:3]
    only_pg = [r for r in pg if r not in duck][:3]
    return [f"{name}: duckdb-only {only_duck} postgres-only {only_pg}"]
