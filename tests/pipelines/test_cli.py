"""The CLI as cron runs it: a real process, env vars only, clear one-line errors and exit codes."""

from __future__ import annotations

import duckdb
import pytest
from asana_sim import AsanaSimulator, SimConfig, serve_in_thread
from helpers import assert_clean_failure, env_for, run_cli
from weather import WEATHER


@pytest.fixture(scope="module")
def served():
    sim = AsanaSimulator(SimConfig.small(seed=3, **WEATHER))
    with serve_in_thread(sim, port=0) as base_url:
        yield sim, base_url


def test_run_from_any_directory_writes_asana_duckdb_there(served, tmp_path):
    sim, base_url = served
    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    proc = run_cli(["run", "--no-models"], workdir, env_for(base_url))
    assert proc.returncode == 0, proc.stderr
    con = duckdb.connect(str(workdir / "asana.duckdb"), read_only=True)
    assert con.execute("select count(*) from asana_raw.tasks").fetchone()[0] == len(sim.store.tasks)
    con.close()
    status = run_cli(["status"], workdir)
    assert status.returncode == 0, status.stderr
    assert "tasks" in status.stdout
    # A failed run (here: a revoked token) is listed in status too, and the data stays.
    failed = run_cli(["run", "--no-models"], workdir, env_for(base_url, token="revoked"))
    assert failed.returncode == 3
    status = run_cli(["status"], workdir)
    assert "failed (exit 3)" in status.stdout, status.stdout
    con = duckdb.connect(str(workdir / "asana.duckdb"), read_only=True)
    assert con.execute("select count(*) from asana_raw.tasks").fetchone()[0] == len(sim.store.tasks)
    con.close()


def test_wrong_token_is_one_line_exit_3_and_the_token_is_not_printed(served, tmp_path):
    _, base_url = served
    proc = run_cli(["run", "--no-models"], tmp_path, env_for(base_url, token="not-a-real-token-123"))
    assert_clean_failure(proc, 3, "token")
    assert "not-a-real-token-123" not in proc.stderr + proc.stdout
    assert not (tmp_path / "asana.duckdb").exists()


def test_missing_token_is_a_config_error(served, tmp_path):
    _, base_url = served
    proc = run_cli(["run", "--no-models"], tmp_path, {"SOURCES__ASANA__BASE_URL": base_url})
    assert_clean_failure(proc, 2, "access_token under [sources.asana]")


def test_unknown_workspace_is_a_config_error(served, tmp_path):
    _, base_url = served
    proc = run_cli(["run", "--no-models", "--workspace", "999999"], tmp_path, env_for(base_url))
    assert_clean_failure(proc, 2, "999999")


def test_malformed_config_file_is_a_config_error(served, tmp_path):
    _, base_url = served
    (tmp_path / ".dlt").mkdir()
    (tmp_path / ".dlt" / "config.toml").write_text("[sources.asana\nbase_url = 'x'\n")
    proc = run_cli(["run", "--no-models"], tmp_path, env_for(base_url))
    assert_clean_failure(proc, 2, "config")


def test_misspelled_option_is_named_with_a_suggestion(served, tmp_path):
    _, base_url = served
    (tmp_path / ".dlt").mkdir()
    (tmp_path / ".dlt" / "config.toml").write_text("[sources.asana]\nrequests_per_minut = 150\n")
    proc = run_cli(["run", "--no-models"], tmp_path, env_for(base_url))
    assert_clean_failure(proc, 2, "did you mean 'requests_per_minute'")
    proc = run_cli(["run", "--no-models"], tmp_path / ".dlt", {**env_for(base_url), "SOURCES__ASANA__BASEURL": "x"})
    assert_clean_failure(proc, 2, "did you mean 'base_url'")


def test_unknown_resource_is_a_config_error(served, tmp_path):
    _, base_url = served
    proc = run_cli(["run", "--no-models", "--resource", "taks"], tmp_path, env_for(base_url))
    assert_clean_failure(proc, 2, "taks")


def test_second_concurrent_run_refuses(served, tmp_path, monkeypatch):
    from filelock import FileLock

    from pipelines.warehouse.destination import Destination

    from pipelines.warehouse.identity import working_dir

    _, base_url = served
    home = tmp_path / "home"
    monkeypatch.setenv("ASANA_SYNC_HOME", str(home))
    lock_dir = working_dir(Destination.parse("duckdb", str(tmp_path / "asana.duckdb")))
    lock_dir.mkdir(parents=True, exist_ok=True)
    with FileLock(str(lock_dir / "run.lock")):
        proc = run_cli(["run", "--no-models"], tmp_path, {**env_for(base_url), "ASANA_SYNC_HOME": str(home)})
    assert_clean_failure(proc, 4, "another asana-sync run")


def test_every_command_help_ends_with_an_example():
    from click.testing import CliRunner

    from pipelines.commands.cli import main

    runner = CliRunner()
    commands = [[]] + [[name] for name in main.commands]
    for args in commands:
        result = runner.invoke(main, args + ["--help"])
        assert result.exit_code == 0, (args, result.output)
        assert "Example" in result.output, args


def test_demo_runs_end_to_end(tmp_path):
    """The demo talks when piped too: the progress line of each step, then the check, and two next
    steps; the first of them, a query of the demo warehouse, works as printed."""
    proc = run_cli(["demo", "--size", "small"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    output = proc.stdout + proc.stderr
    assert "matches the simulator" in proc.stdout
    assert "0 failed" in proc.stdout
    assert (tmp_path / "demo.duckdb").exists()
    progress = [line for line in output.splitlines() if line.startswith("asana-sync: ")]
    assert progress and progress[0].startswith("asana-sync: extract") and "of the rate limit" in progress[0], output
    next_steps = proc.stdout[proc.stdout.index("Next steps"):]
    assert "export SOURCES__ASANA__ACCESS_TOKEN=" in next_steps and "asana-sync run" in next_steps
    query = next(line.strip() for line in next_steps.splitlines() if line.strip().startswith("asana-sync query"))
    assert query == ('asana-sync query --duckdb-path demo.duckdb "select count(*) from asana_analytics.asana__task"')
    counted = run_cli(["query", "--duckdb-path", "demo.duckdb", "--format", "csv",
                       "select count(*) as n from asana_analytics.asana__task"], tmp_path)
    assert counted.returncode == 0, counted.stderr
    with duckdb.connect(str(tmp_path / "demo.duckdb"), read_only=True) as con:
        live = con.execute("select count(*) from asana_raw.tasks where not coalesce(is_deleted, false)").fetchone()[0]
    assert counted.stdout.splitlines() == ["n", str(live)]
