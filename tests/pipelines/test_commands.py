"""Commands behave: read-only commands never create or change anything and work during a run; the
demo overwrites only a warehouse it created. (Missing warehouses and the models-run lock: exit-code
cases in test_exit_codes.py.)"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from asana_sim import AsanaSimulator, SimConfig, serve_in_thread
from weather import WEATHER

sys.path.insert(0, str(Path(__file__).resolve().parent))
from helpers import run_cli  # noqa: E402

from pipelines.sync.run import run_sync  # noqa: E402

from pipelines.errors import SyncError

from pipelines.models.build import build_models

from pipelines.sync.run import run_lock

from pipelines.warehouse.destination import Destination


@pytest.fixture(scope="module")
def synced(tmp_path_factory):
    """A warehouse with data and models, and the ASANA_SYNC_HOME it was synced with."""
    tmp = tmp_path_factory.mktemp("commands")
    sim = AsanaSimulator(SimConfig.small(seed=9, **WEATHER))
    saved = os.environ.get("ASANA_SYNC_HOME")
    os.environ["ASANA_SYNC_HOME"] = str(tmp / "home")
    try:
        destination = Destination.parse("duckdb", str(tmp / "asana.duckdb"))
        with serve_in_thread(sim, port=0) as base_url:
            run_sync(destination, source_options={"access_token": "sim-token", "base_url": base_url,
                                                  "requests_per_minute": 100_000})
        build_models(destination)
    finally:
        if saved is None:
            os.environ.pop("ASANA_SYNC_HOME", None)
        else:
            os.environ["ASANA_SYNC_HOME"] = saved
    return tmp, sim


def _env(home: Path) -> dict:
    return {"ASANA_SYNC_HOME": str(home)}


def test_status_reads_without_creating_or_changing_anything(synced, tmp_path):
    tmp, sim = synced
    before = (tmp / "asana.duckdb").stat().st_mtime_ns
    fresh_home = tmp_path / "fresh-home"
    proc = run_cli(["status"], tmp, _env(fresh_home))
    assert proc.returncode == 0, proc.stderr
    assert "tasks" in proc.stdout and "in progress" not in proc.stdout
    assert "task cursors:" in proc.stdout and "task cursors: 0 projects" not in proc.stdout
    assert not fresh_home.exists()  # no working folder for a command that only looks
    assert (tmp / "asana.duckdb").stat().st_mtime_ns == before


def _holding_the_lock(tmp: Path):
    saved = os.environ.get("ASANA_SYNC_HOME")
    os.environ["ASANA_SYNC_HOME"] = str(tmp / "home")
    try:
        return run_lock(Destination.parse("duckdb", str(tmp / "asana.duckdb"))).acquire()
    finally:
        if saved is None:
            os.environ.pop("ASANA_SYNC_HOME", None)
        else:
            os.environ["ASANA_SYNC_HOME"] = saved


def test_status_during_a_run_between_writes(synced):
    tmp, _ = synced
    lock = _holding_the_lock(tmp)
    try:
        proc = run_cli(["status"], tmp, _env(tmp / "home"))
    finally:
        lock.release()
    assert proc.returncode == 0, proc.stderr
    assert f"a run is in progress (pid {os.getpid()}" in proc.stdout
    assert "tasks" in proc.stdout


def test_status_while_the_run_writes_the_duckdb_file(synced):
    tmp, _ = synced
    code = ("import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('ready', flush=True); time.sleep(120)")
    lock = _holding_the_lock(tmp)
    holder = subprocess.Popen([sys.executable, "-c", code, str(tmp / "asana.duckdb")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        proc = run_cli(["status"], tmp, _env(tmp / "home"))
    finally:
        holder.kill()
        holder.wait()
        lock.release()
    assert proc.returncode == 0, proc.stderr
    assert "a run is in progress" in proc.stdout and "writing to the DuckDB file now" in proc.stdout


def test_models_test_opens_the_warehouse_read_only(synced):
    tmp, _ = synced
    before = (tmp / "asana.duckdb").stat().st_mtime_ns
    # another reader holding the file read-only does not stop a read-only command
    code = ("import duckdb, sys, time; c = duckdb.connect(sys.argv[1], read_only=True); print('ready', flush=True);"
            " time.sleep(120)")
    reader = subprocess.Popen([sys.executable, "-c", code, str(tmp / "asana.duckdb")], stdout=subprocess.PIPE, text=True)
    try:
        assert reader.stdout.readline().strip() == "ready"
        proc = run_cli(["models", "test"], tmp, _env(tmp / "home"))
    finally:
        reader.kill()
        reader.wait()
    assert proc.returncode == 0, proc.stderr
    assert " 0 failed" in proc.stdout
    assert (tmp / "asana.duckdb").stat().st_mtime_ns == before


def test_models_list_needs_no_warehouse(tmp_path):
    proc = run_cli(["models", "list"], tmp_path, _env(tmp_path / "home"))
    assert proc.returncode == 0, proc.stderr
    assert "asana__task" in proc.stdout
    assert not (tmp_path / "asana.duckdb").exists()


def test_models_run_builds_under_the_run_lock(synced):
    tmp, _ = synced
    proc = run_cli(["models", "run", "--select", "stg_asana__task"], tmp, _env(tmp / "home"))
    assert proc.returncode == 0, proc.stderr


def test_demo_overwrites_only_a_warehouse_it_created(tmp_path):
    from pipelines.commands.demo import check_overwritable, is_demo_warehouse, mark_as_demo

    ours = tmp_path / "demo.duckdb"
    mark_as_demo(ours)
    assert is_demo_warehouse(ours)
    check_overwritable(ours)  # the demo's own: fine
    check_overwritable(tmp_path / "absent.duckdb")  # nothing there: fine
    theirs = tmp_path / "asana.duckdb"
    con = duckdb.connect(str(theirs))
    con.execute("create schema asana_raw; create table asana_raw.tasks (gid varchar)")
    con.close()
    not_duckdb = tmp_path / "notes.txt"
    not_duckdb.write_text("hello")
    for path in (theirs, not_duckdb):
        with pytest.raises(SyncError, match="not created by the demo") as raised:
            check_overwritable(path)
        assert raised.value.exit_code == 2
    assert not_duckdb.read_text() == "hello"
