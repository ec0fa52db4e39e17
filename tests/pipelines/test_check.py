"""`asana-sync check` against the simulator over HTTP (strict request validation): the token, the
workspaces (organization, premium), the destination, an honest estimate, and the exit codes."""

from __future__ import annotations

import pytest
from asana_sim import AsanaSimulator, SimConfig, serve_in_thread
from helpers import assert_clean_failure, run_cli, sync
from helpers import env_for as _env_for

from pipelines.commands.check import run_check
from pipelines.warehouse.destination import Destination

SEARCH = "GET /workspaces/{gid}/tasks/search"


def env_for(base_url, token="sim-token"):
    return {**_env_for(base_url, token), "COLUMNS": "200"}  # rich's tables unwrapped


def _strict_and_clean(sim):
    """Every request the check made was one Asana accepts."""
    assert not sim.stats.rejected and not sim.stats.tolerated, (sim.stats.rejected, sim.stats.tolerated)
    assert sim.stats.by_status.get(400, 0) == 0


def test_premium_organization(tmp_path):
    sim = AsanaSimulator(SimConfig.small(seed=3))
    with serve_in_thread(sim, port=0) as base_url:
        proc = run_cli(["check", "--duckdb-path", str(tmp_path / "new.duckdb"), "--requests-per-minute", "1500"],
                       tmp_path, env_for(base_url))
    assert proc.returncode == 0, proc.stderr
    _strict_and_clean(sim)
    text = proc.stdout
    assert "token: ok" in text and "destination: ok" in text and "does not exist yet" in text
    assert "Acme Corp" in text and "premium" in text and "no (402)" not in text
    assert "first full sync (estimate)" in text and "at 1,500 requests/min" in text and "how: tasks listed in" in text
    # one search call per workspace (search allows 60 a minute)
    assert sim.stats.by_path_kind[SEARCH] == len(sim.store.workspaces)
    assert "sim-token" not in proc.stdout + proc.stderr
    assert not (tmp_path / "new.duckdb").exists()  # the check creates nothing


def test_not_premium_warns_about_the_free_rate_limit(tmp_path):
    sim = AsanaSimulator(SimConfig.small(seed=3, premium=False))
    with serve_in_thread(sim, port=0) as base_url:
        env = {**env_for(base_url), "SOURCES__ASANA__REQUESTS_PER_MINUTE": "1500"}
        proc = run_cli(["check", "--duckdb-path", str(tmp_path / "a.duckdb")], tmp_path, env)
    assert proc.returncode == 0, proc.stderr
    _strict_and_clean(sim)
    assert proc.stdout.count("no (402)") == len(sim.store.workspaces)
    assert "free Asana domains allow 150 requests/min" in " ".join(proc.stderr.split())
    assert sim.stats.by_path_kind[SEARCH] == len(sim.store.workspaces)


def test_bad_token_exits_3_without_printing_it(tmp_path):
    sim = AsanaSimulator(SimConfig.small(seed=3))
    with serve_in_thread(sim, port=0) as base_url:
        proc = run_cli(["check", "--duckdb-path", str(tmp_path / "a.duckdb")], tmp_path,
                       env_for(base_url, token="wrong-secret-token"))
    assert_clean_failure(proc, 3, "rejected the access token")
    assert "token: FAILED" in proc.stdout
    assert "wrong-secret-token" not in proc.stdout + proc.stderr


def test_destination_and_refused_workspace(tmp_path):
    cfg = SimConfig.small(seed=3)
    probe = AsanaSimulator(cfg)
    personal = next(g for g, w in probe.store.workspaces.items() if not w.get("is_organization"))
    sim = AsanaSimulator(SimConfig.small(seed=3, disabled_workspaces=(personal,)))
    with serve_in_thread(sim, port=0) as base_url:
        proc = run_cli(["check", "--duckdb-path", str(tmp_path / "a.duckdb")], tmp_path, env_for(base_url))
        assert_clean_failure(proc, 5, "refused or failed")
        assert f"/workspaces/{personal}" in proc.stdout
        unknown = run_cli(["check", "--duckdb-path", str(tmp_path / "a.duckdb"), "--workspace", "Nope Inc"],
                          tmp_path, env_for(base_url))
        assert_clean_failure(unknown, 2, "workspace nope inc is not visible to this token")
        proc = run_cli(["check", "--duckdb-path", str(tmp_path / "no-folder" / "a.duckdb")], tmp_path,
                       env_for(base_url))
    assert_clean_failure(proc, 7, "folder does not exist")  # the destination outranks Asana's refusals
    assert "destination: FAILED" in proc.stdout
    _strict_and_clean(sim)


def test_estimate_is_close_to_a_real_first_sync(tmp_path, monkeypatch):
    sim = AsanaSimulator(SimConfig.small(seed=4))
    with serve_in_thread(sim, port=0) as base_url:
        options = {"access_token": "sim-token", "base_url": base_url, "requests_per_minute": 100_000}
        report = run_check(Destination.parse("duckdb", str(tmp_path / "asana.duckdb")), source_options=options)
        sampled = run_check(Destination.parse("duckdb", str(tmp_path / "asana.duckdb")), source_options=options,
                            sample_projects=1)
        result = sync(sim, base_url, tmp_path)
        again = run_check(Destination.parse("duckdb", str(tmp_path / "asana.duckdb")), source_options=options)
    assert f"holds {len(sim.store.tasks):,} tasks already" in again.destination_note
    assert "does not exist yet" in report.destination_note
    assert report.exit_code == 0 and not report.problems, report.problems
    assert report.requests_made < 40
    tasks = len(sim.store.tasks)
    # every project listed: subtasks of subtasks and tasks in no project are missing, a task in two
    # projects counts twice
    assert 0.8 * tasks <= report.estimated_tasks <= 1.1 * tasks
    assert 0.75 * result.requests <= report.estimated_requests <= 1.25 * result.requests, \
        (report.estimated_requests, result.requests)
    assert "every project" in report.method()
    assert "of" in sampled.method() and sampled.estimated_tasks > 0
    assert sum(w.sampled_projects for w in sampled.workspaces) == len(sampled.workspaces)
    as_dict = report.as_dict()
    assert as_dict["ok"] and as_dict["estimate"]["requests"] == report.estimated_requests
    assert {w["premium"] for w in as_dict["workspaces"]} == {True}


@pytest.mark.parametrize("setting", ["config"])
def test_premium_false_from_config_file(tmp_path, setting):
    """The rate limit from .dlt/config.toml paces the estimate, as it paces `run`."""
    sim = AsanaSimulator(SimConfig.small(seed=3, premium=False))
    (tmp_path / ".dlt").mkdir()
    (tmp_path / ".dlt" / "config.toml").write_text("[sources.asana]\nrequests_per_minute = 150\n")
    with serve_in_thread(sim, port=0) as base_url:
        env = env_for(base_url)
        env.pop("SOURCES__ASANA__REQUESTS_PER_MINUTE")
        proc = run_cli(["check", "--duckdb-path", str(tmp_path / "a.duckdb")], tmp_path, env)
    assert proc.returncode == 0, proc.stderr
    assert "at 150 requests/min" in proc.stdout
    assert "warning" not in proc.stderr  # the limit already suits a free domain
