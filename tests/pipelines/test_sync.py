"""End to end: the simulator over real HTTP -> the asana source -> a real DuckDB file, checked against
the simulator's ground truth after a full sync, after changes, and under faults."""

from __future__ import annotations

import pytest
from asana_sim import AsanaSimulator, SimConfig, serve_in_thread
from helpers import Api, sync
from weather import WEATHER
from truth import compare, warehouse

from pipelines.sync.run import run_sync

from pipelines.warehouse.destination import Destination


@pytest.fixture()
def sim():
    return AsanaSimulator(SimConfig.small(seed=11, **WEATHER))


def test_full_sync_equals_ground_truth(sim, tmp_path):
    with serve_in_thread(sim, port=0) as base_url:
        result = sync(sim, base_url, tmp_path)
    assert compare(sim.store, tmp_path / "asana.duckdb") == []
    assert result.requests > 0 and result.gaps == []


def test_incremental_sync_after_changes_is_exact_and_cheap(sim, tmp_path):
    with serve_in_thread(sim, port=0) as base_url:
        full = sync(sim, base_url, tmp_path)
        api = Api(base_url, sim.config.tokens[0])
        store = sim.store
        top_level = [g for g, t in store.tasks.items() if t["parent"] is None and t["memberships"]]
        tagged = next(g for g in top_level if store.tasks[g]["tags"])
        api.call("POST", f"/tasks/{tagged}/removeTag", {"tag": store.tasks[tagged]["tags"][0]})
        api.call("PUT", f"/tasks/{top_level[1]}", {"name": "Renamed ✅", "completed": True})
        api.call("POST", f"/tasks/{top_level[2]}/stories", {"text": "A new comment 🚀"})
        subtask = next(g for g, t in store.tasks.items() if t["parent"] is not None)
        api.call("PUT", f"/tasks/{subtask}", {"name": "Only the subtask changed"})
        project = store.tasks[top_level[3]]["memberships"][0]["project"]
        api.call("POST", "/tasks", {"name": "Brand new task", "projects": [project]})
        followed = next(g for g in top_level if store.tasks[g]["followers"])
        api.call("POST", f"/tasks/{followed}/removeFollowers", {"followers": [store.tasks[followed]["followers"][0]]})
        incremental = sync(sim, base_url, tmp_path)
    assert compare(sim.store, tmp_path / "asana.duckdb") == []
    assert incremental.requests < full.requests / 2, (incremental.requests, full.requests)


@pytest.mark.soak
def test_faults_do_not_change_the_result(tmp_path):
    # In make soak only: make test's fault run is the soak's smoke seed, with more kinds of fault.
    sim = AsanaSimulator(SimConfig.small(seed=5, fault_rate=0.08, fault_seed=3, slow_s=0.05))
    with serve_in_thread(sim, port=0) as base_url:
        result = sync(sim, base_url, tmp_path)
    assert compare(sim.store, tmp_path / "asana.duckdb") == []
    assert result.client_stats["retries"] > 0


def test_expired_pagination_token_mid_listing_loses_nothing(tmp_path):
    # Small pages make every listing use offsets; a few of the requests that carry one find all
    # tokens expired, as if the crawl were slow enough for Asana's ~15-minute tokens to lapse.
    import httpx

    sim = AsanaSimulator(SimConfig.small(seed=9, **WEATHER))
    offsets_seen = [0]

    def expiring_app(environ, start_response):
        if "offset=" in environ.get("QUERY_STRING", ""):
            offsets_seen[0] += 1
            if offsets_seen[0] in (3, 17, 40):
                sim.expire_page_tokens()
        return sim.wsgi_app(environ, start_response)

    result = run_sync(Destination.parse("duckdb", str(tmp_path / "asana.duckdb")), source_options={
        "access_token": "sim-token", "base_url": "http://sim/api/1.0", "page_size": 5, "max_concurrency": 1,
        "requests_per_minute": 1_000_000}, transport=httpx.WSGITransport(app=expiring_app))
    assert compare(sim.store, tmp_path / "asana.duckdb") == []
    assert result.client_stats["pagination_restarts"] > 0


@pytest.mark.soak
def test_rate_limit_429s_are_honoured(tmp_path):
    # Over the simulator's concurrency cap, and random 429s with Retry-After: both must be waited out.
    # In make soak only: make test sees both in the soak's smoke fault run and in tests/sources/test_client.py.
    sim = AsanaSimulator(SimConfig.small(seed=4, max_concurrent_gets=2, fault_rate=0.05, fault_kinds=("429",)))
    with serve_in_thread(sim, port=0) as base_url:
        result = sync(sim, base_url, tmp_path, max_concurrency=6)
    assert compare(sim.store, tmp_path / "asana.duckdb") == []
    assert result.client_stats["by_status"].get("429", 0) > 0


def test_tables_have_natural_keys_without_dlt_ids(sim, tmp_path):
    with serve_in_thread(sim, port=0) as base_url:
        sync(sim, base_url, tmp_path)
    con = warehouse(tmp_path / "asana.duckdb")
    dupes = con.execute("select task_gid, project_gid, count(*) from asana_raw.task_memberships group by 1, 2 "
                    "having count(*) > 1").fetchall()
    assert dupes == []
    assert con.execute("select count(*) from asana_raw.task_tags where tag_gid = ''").fetchone()[0] == 0


def test_every_readable_object_lands(sim, tmp_path):
    """Coverage beyond tasks: memberships, statuses, briefs, templates, portfolios (only those the
    token's user owns, and nested ones), goals, time periods and tracking, My Tasks lists, webhooks,
    attachments, custom field settings, dependents."""
    from truth import compare_coverage

    with serve_in_thread(sim, port=0) as base_url:
        result = sync(sim, base_url, tmp_path)
    assert result.unavailable == {}
    assert compare_coverage(sim.store, tmp_path / "asana.duckdb") == []


def test_attachments_found_even_where_no_story_announces_them(tmp_path):
    """``attachments=auto`` trusts ``attachment_added`` stories only once the server has shown them;
    a server whose stories never announce attachments still gets every attachment read."""
    from truth import compare_coverage

    sim = AsanaSimulator(SimConfig.small(seed=11, **WEATHER))
    for gid, story in list(sim.store.stories.items()):
        if story["resource_subtype"] == "attachment_added":
            sim.store.ix_task_stories[story["target"]].remove(gid)
            del sim.store.stories[gid]
    assert sim.store.attachments
    with serve_in_thread(sim, port=0) as base_url:
        sync(sim, base_url, tmp_path)
    assert [p for p in compare_coverage(sim.store, tmp_path / "asana.duckdb") if "attachments" in p] == []


def test_a_team_the_token_cannot_open_is_skipped_not_fatal(tmp_path):
    """A private team answers 403 for its projects: the sync notes it and reads everything else."""
    import json as jsonlib

    import httpx

    sim = AsanaSimulator(SimConfig.small(seed=11, **WEATHER))
    closed = sorted(sim.store.teams)[0]

    def app(environ, start_response):
        if environ["PATH_INFO"].endswith(f"/teams/{closed}/projects"):
            start_response("403 Forbidden", [("content-type", "application/json")])
            return [jsonlib.dumps({"errors": [{"message": "Forbidden"}]}).encode()]
        return sim.wsgi_app(environ, start_response)

    result = run_sync(Destination.parse("duckdb", str(tmp_path / "asana.duckdb")), source_options={
        "access_token": "sim-token", "base_url": "http://sim/api/1.0", "requests_per_minute": 1_000_000},
        transport=httpx.WSGITransport(app=app))
    assert "/teams/{gid}/projects" in result.unavailable
    con = warehouse(tmp_path / "asana.duckdb")
    loaded = {g for (g,) in con.execute("select gid from asana_raw.projects").fetchall()}
    visible = {g for g, p in sim.store.projects.items() if p.get("team") != closed}
    assert loaded == visible



def test_a_workspace_that_disabled_the_app_is_skipped_with_one_gap(tmp_path):
    """Asana answers 401 inside a workspace that disabled the app (errors reference): that workspace
    is skipped and recorded, every other workspace syncs completely."""
    store = AsanaSimulator(SimConfig.small(seed=11)).store
    disabled = next(g for g, w in store.workspaces.items() if not w.get("is_organization"))
    sim = AsanaSimulator(SimConfig.small(seed=11, disabled_workspaces=(disabled,), **WEATHER))
    with serve_in_thread(sim, port=0) as base_url:
        result = sync(sim, base_url, tmp_path)
    assert [(g["kind"], g["endpoint"]) for g in result.gaps] == [("failed", f"/workspaces/{disabled}")]
    con = warehouse(tmp_path / "asana.duckdb")
    loaded = dict(con.execute("select gid, workspace_gid from asana_raw.tasks").fetchall())
    expected = {gid for gid, t in store.tasks.items() if t["workspace"] != disabled}
    assert set(loaded) == expected and disabled not in set(loaded.values())
