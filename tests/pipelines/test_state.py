"""Local dlt state bound to its warehouse: a deleted, moved, restored or emptied warehouse is detected
and handled with one note; pending packages load only into the warehouse they were extracted for;
a full refresh works on the default file, on a moved warehouse and on PostgreSQL, and one that fails
leaves the warehouse as it was; the working folder stays bounded."""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path

import dlt
import duckdb
import pytest
from asana_sim import AsanaSimulator, SimConfig, serve_in_thread
from weather import WEATHER
from truth import compare

sys.path.insert(0, str(Path(__file__).resolve().parent))
from helpers import run_cli  # noqa: E402
from helpers import Api  # noqa: E402

import pipelines.sync.steps as steps_module  # noqa: E402
from pipelines.sync.run import run_sync  # noqa: E402
from pipelines.errors import SyncError
from pipelines.models.build import build_models
from pipelines.warehouse.destination import Destination
from pipelines.warehouse.runtime import make_pipeline


@pytest.fixture()
def served():
    sim = AsanaSimulator(SimConfig.small(seed=23, **WEATHER))
    with serve_in_thread(sim, port=0) as base_url:
        yield sim, base_url


def sync(destination: Destination, base_url: str, **kwargs) -> list[str]:
    """One run; returns the state notes it printed."""
    notes: list[str] = []
    options = {"access_token": "sim-token", "base_url": base_url, "requests_per_minute": 100_000,
               "max_concurrency": 6, **kwargs.pop("options", {})}
    run_sync(destination, source_options=options,
             on_progress=lambda phase, info: notes.append(info["message"]) if phase == "note" else None, **kwargs)
    return notes


def duck(path: Path) -> Destination:
    return Destination.parse("duckdb", str(path))


def count(path: Path, sql: str) -> int:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchone()[0]
    finally:
        con.close()


def live_tasks(path: Path) -> int:
    return count(path, "select count(*) from asana_raw.tasks where not coalesce(is_deleted, false)")


def test_a_deleted_warehouse_is_never_wedged(served, tmp_path):
    sim, base_url = served
    path = tmp_path / "asana.duckdb"
    assert sync(duck(path), base_url) == []
    for attempt in range(2):
        path.unlink()
        notes = sync(duck(path), base_url)
        assert len(notes) == 1 and "holds no sync state" in notes[0], notes
        assert live_tasks(path) == len(sim.store.tasks)
    assert sync(duck(path), base_url) == []  # steady state says nothing
    path.unlink()
    sync(duck(path), base_url, full_refresh=True)
    assert compare(sim.store, path) == []


def test_a_moved_warehouse_restores_its_state_and_a_full_refresh_drops_its_tables(served, tmp_path):
    sim, base_url = served
    first = tmp_path / "asana.duckdb"
    sync(duck(first), base_url)
    moved = tmp_path / "elsewhere" / "moved.duckdb"
    moved.parent.mkdir()
    shutil.move(first, moved)
    con = duckdb.connect(str(moved))
    con.execute("insert into asana_raw.tasks (gid, name, _dlt_load_id, _dlt_id) values ('planted', 'not from Asana', "
                "'0', 'planted')")
    con.close()
    notes = sync(duck(moved), base_url, full_refresh=True)
    assert len(notes) == 1 and "state restored from" in notes[0] and "no local state" in notes[0], notes
    assert count(moved, "select count(*) from asana_raw.tasks where gid = 'planted'") == 0
    assert compare(sim.store, moved) == []
    # the raw tables were dropped and written anew; the run history was kept through the refresh
    assert count(moved, "select count(*) from asana_raw.sync_runs") == 2


def test_a_warehouse_restored_from_a_backup_gets_its_state_back(served, tmp_path):
    """Without the binding the newer local cursors would skip what the backup is missing."""
    sim, base_url = served
    path = tmp_path / "asana.duckdb"
    never = {"reconcile": "never", "lookback_seconds": 0}
    sync(duck(path), base_url, options=never)
    backup = tmp_path / "backup.duckdb"
    shutil.copy(path, backup)
    store = sim.store
    by_project: dict = {}
    for gid, task in store.tasks.items():
        if task["parent"] is None and task["memberships"]:
            by_project.setdefault(task["memberships"][0]["project"], []).append(gid)
    first, second = next(gids for gids in by_project.values() if len(gids) >= 2)[:2]
    api = Api(base_url, "sim-token")
    api.call("PUT", f"/tasks/{first}", {"name": "changed after the backup"})
    time.sleep(1.1)
    api.call("PUT", f"/tasks/{second}", {"name": "changed later"})
    assert sync(duck(path), base_url, options=never) == []
    shutil.copy(backup, path)
    notes = sync(duck(path), base_url, options=never)
    assert len(notes) == 1 and "does not match the warehouse" in notes[0], notes
    assert compare(sim.store, path) == []


def _failing_load(self, *args, **kwargs):
    from dlt.common.destination.exceptions import DestinationTransientException

    raise DestinationTransientException("the warehouse went away")


def test_pending_packages_load_into_their_own_warehouse(served, tmp_path, monkeypatch):
    sim, base_url = served
    path = tmp_path / "asana.duckdb"
    sync(duck(path), base_url)
    Api(base_url, "sim-token").call("PUT", f"/tasks/{next(iter(sim.store.tasks))}", {"name": "pending change"})
    with monkeypatch.context() as patch:
        patch.setattr(dlt.Pipeline, "load", _failing_load)
        with pytest.raises(SyncError) as raised:
            sync(duck(path), base_url)
    assert raised.value.exit_code == 7
    assert "the next run loads the 1 pending load package first" in str(raised.value)
    notes = sync(duck(path), base_url)
    assert notes == ["loading 1 load package left by the previous run first"]
    assert compare(sim.store, path) == []


def test_pending_packages_are_discarded_when_the_warehouse_changed(served, tmp_path, monkeypatch):
    sim, base_url = served
    path = tmp_path / "asana.duckdb"
    sync(duck(path), base_url)
    with monkeypatch.context() as patch:
        patch.setattr(dlt.Pipeline, "load", _failing_load)
        with pytest.raises(SyncError):
            sync(duck(path), base_url)
    path.unlink()  # replaced by an empty warehouse before the next run
    con = duckdb.connect(str(path))
    con.execute("create table main.something_else as select 1 as x")
    con.close()
    notes = sync(duck(path), base_url)
    assert len(notes) == 1 and "discarded 1 load package" in notes[0], notes
    assert compare(sim.store, path) == []
    assert make_pipeline(duck(path)).has_pending_data is False


def test_a_failed_full_refresh_leaves_the_warehouse_as_it_was(served, tmp_path, monkeypatch):
    sim, base_url = served
    path = tmp_path / "asana.duckdb"
    sync(duck(path), base_url)
    sync(duck(path), base_url)
    runs_before = count(path, "select count(*) from asana_raw.sync_runs")
    tasks_before = live_tasks(path)

    def fail_after_the_extract(destination):
        raise SyncError("cannot drop the models: simulated", 7)

    with monkeypatch.context() as patch:
        patch.setattr(steps_module, "drop_models", fail_after_the_extract)
        with pytest.raises(SyncError) as raised:
            sync(duck(path), base_url, full_refresh=True)
    assert "the full refresh was not applied" in str(raised.value)
    assert live_tasks(path) == tasks_before
    assert count(path, "select count(*) from asana_raw.sync_runs") == runs_before
    assert not make_pipeline(duck(path)).has_pending_data
    # the next plain run does not apply (half of) the refresh: the run history is still there, with the
    # failed refresh (kept in the local journal: the warehouse was what failed) and the new run
    sync(duck(path), base_url)
    assert count(path, "select count(*) from asana_raw.sync_runs") == runs_before + 2
    assert compare(sim.store, path) == []


def test_a_failed_extract_of_a_full_refresh_changes_nothing(served, tmp_path):
    sim, base_url = served
    path = tmp_path / "asana.duckdb"
    sync(duck(path), base_url)
    runs_before = count(path, "select count(*) from asana_raw.sync_runs")
    with pytest.raises(SyncError) as raised:
        sync(duck(path), base_url, full_refresh=True, options={"access_token": "revoked"})
    assert raised.value.exit_code == 3
    assert live_tasks(path) == len(sim.store.tasks)
    notes = sync(duck(path), base_url)
    assert not any("pending" in n or "package" in n for n in notes), notes
    assert count(path, "select count(*) from asana_raw.sync_runs") >= runs_before + 1


def test_full_refresh_on_the_default_asana_duckdb_with_models(served, tmp_path):
    """asana.duckdb is a catalog named asana: the full refresh used to fail on an ambiguous name, and
    the models are queried with two-part names as written in the README."""
    sim, base_url = served
    env = {"SOURCES__ASANA__ACCESS_TOKEN": "sim-token", "SOURCES__ASANA__BASE_URL": base_url,
           "SOURCES__ASANA__REQUESTS_PER_MINUTE": "100000", "ASANA_SYNC_HOME": str(tmp_path / "home")}
    for args in (["run", "-q"], ["run", "-q", "--full-refresh"]):
        proc = run_cli(args, tmp_path, env)
        assert proc.returncode == 0, proc.stderr
    path = tmp_path / "asana.duckdb"
    assert count(path, "select count(*) from asana_raw.sync_runs") == 2  # the history outlives the refresh
    con = duckdb.connect(str(path), read_only=True)
    assert len(con.execute("select * from asana_analytics.asana__task").fetchall()) > 0
    con.close()


def test_the_working_folder_stays_bounded(served, tmp_path):
    _, base_url = served
    path = tmp_path / "asana.duckdb"
    working = Path(make_pipeline(duck(path)).working_dir)
    sync(duck(path), base_url)
    one_run = len(list((working / "load" / "loaded").iterdir()))  # its checkpoint steps and sync_runs row
    for _ in range(2):
        sync(duck(path), base_url)
    loaded = list((working / "load" / "loaded").iterdir())
    assert 1 <= len(loaded) <= one_run, loaded  # the last run's packages only
    job_files = [p for p in (working / "load" / "loaded").rglob("completed_jobs/*") if p.is_file()]
    assert job_files == []


# --- PostgreSQL -----------------------------------------------------------------------------------


@pytest.mark.postgres
def test_postgres_warehouses_in_secrets_toml_have_their_own_state_and_lock(pg_server, served, tmp_path):
    """Credentials the documented way (secrets.toml, here without a password: the server trusts the
    login): each database gets its own working folder and lock."""
    sim, base_url = served
    home = tmp_path / "home"
    env = {"SOURCES__ASANA__ACCESS_TOKEN": "sim-token", "SOURCES__ASANA__BASE_URL": base_url,
           "SOURCES__ASANA__REQUESTS_PER_MINUTE": "100000", "ASANA_SYNC_HOME": str(home)}
    with pg_server.database() as db_a, pg_server.database() as db_b:
        folders = {}
        for db in (db_a, db_b):
            cwd = tmp_path / db
            (cwd / ".dlt").mkdir(parents=True)
            (cwd / ".dlt" / "secrets.toml").write_text(
                f'[destination.postgres]\ncredentials = "postgresql://{pg_server.user}@{pg_server.host}:'
                f'{pg_server.port}/{db}"\n')
            proc = run_cli(["run", "--no-models", "-q", "-d", "postgres"], cwd, env)
            assert proc.returncode == 0, proc.stderr
            folders[db] = [p.parent for p in home.glob("pipelines/*/binding.json")
                           if db in json.loads(p.read_text())["identity"]]
        assert len(folders[db_a]) == 1 and len(folders[db_b]) == 1 and folders[db_a] != folders[db_b]
        from filelock import FileLock

        with FileLock(str(folders[db_a][0] / "run.lock")):
            other = run_cli(["run", "--no-models", "-q", "-d", "postgres"], tmp_path / db_b, env)
            same = run_cli(["run", "--no-models", "-q", "-d", "postgres"], tmp_path / db_a, env)
        assert other.returncode == 0, other.stderr
        assert same.returncode == 4, same.stderr
        for db in (db_a, db_b):
            conn = pg_server.connect(db)
            with conn.cursor() as cur:
                cur.execute("select count(*) from asana_raw.tasks")
                assert cur.fetchone()[0] == len(sim.store.tasks)
            conn.close()


@pytest.mark.postgres
def test_postgres_emptied_warehouse_and_full_refresh(pg_server, served, monkeypatch):
    sim, base_url = served
    with pg_server.database() as db:
        monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS",
                           f"postgresql://{pg_server.user}@{pg_server.host}:{pg_server.port}/{db}")
        pg = Destination.parse("postgres")
        assert sync(pg, base_url) == []
        build_models(pg)
        conn = pg_server.connect(db)
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("drop schema asana_raw cascade")
        notes = sync(pg, base_url)
        assert len(notes) == 1 and "holds no sync state" in notes[0], notes
        with conn.cursor() as cur:
            cur.execute("insert into asana_raw.tasks (gid, name, _dlt_load_id, _dlt_id) values ('planted', 'x', '0', 'p')")
        build_models(pg)
        sync(pg, base_url, full_refresh=True)  # views in place: the models are dropped first
        with conn.cursor() as cur:
            cur.execute("select count(*), count(*) filter (where gid = 'planted') from asana_raw.tasks")
            assert cur.fetchone() == (len(sim.store.tasks), 0)
        conn.close()
