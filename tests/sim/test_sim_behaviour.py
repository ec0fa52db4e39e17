"""Asana behaviours beyond validation: 403/401 access, association changes, reproducible faults."""
import httpx
import pytest
from sim_helpers import AUTH, client_for, org_gid, walk

from asana_sim import AsanaSimulator, SimConfig


def biggest_project(sim):
    return max(sim.store.projects, key=lambda p: len(sim.store.tasks_in_project(p)))


def test_forbidden_objects_answer_403():
    base = AsanaSimulator(SimConfig.small(seed=7)).store
    team = next(iter(base.teams))
    proj = max((p for p in base.projects if base.projects[p]["team"] != team),
               key=lambda p: len(base.tasks_in_project(p)))
    pf = next(iter(base.portfolios))
    sim = AsanaSimulator(SimConfig.small(seed=7, forbidden=(team, proj, pf)))
    s, ws = sim.store, org_gid(sim)
    sec = s.ix_project_sections[proj].gids[0]
    with client_for(sim) as c:
        for path, params in [(f"/teams/{team}/projects", {}), (f"/teams/{team}", {}), (f"/projects/{proj}", {}),
                             (f"/projects/{proj}/tasks", {"limit": 10}), ("/tasks", {"project": proj}),
                             ("/tasks", {"section": sec}), (f"/sections/{sec}/tasks", {}),
                             (f"/portfolios/{pf}/items", {}), ("/status_updates", {"parent": pf}),
                             ("/projects", {"team": team})]:
            r = c.get(path, params=params)
            assert r.status_code == 403, (path, r.text)
            assert set(r.json()["errors"][0]) == {"message", "help"}
        # the objects stay listed where their parents list them; everything else reads normally
        assert team in {t["gid"] for t in walk(c, f"/workspaces/{ws}/teams", {})}
        assert proj in {p["gid"] for p in walk(c, "/projects", {"workspace": ws})}
        other = next(p for p in s.projects if p != proj and s.projects[p]["team"] != team)
        assert c.get(f"/projects/{other}/tasks", params={"limit": 10}).status_code == 200
        assert c.post(f"/projects/{proj}/sections", json={"data": {"name": "x"}}).status_code == 403


def test_disabled_workspace_answers_401():
    base = AsanaSimulator(SimConfig.small(seed=7)).store
    plain = next(w for w, x in base.workspaces.items() if not x["is_organization"])
    sim = AsanaSimulator(SimConfig.small(seed=7, disabled_workspaces=(plain,)))
    s = sim.store
    proj = next(p for p in s.projects if s.projects[p]["workspace"] == plain)
    with client_for(sim) as c:
        assert c.get("/users/me").status_code == 200
        assert plain in {w["gid"] for w in c.get("/workspaces").json()["data"]}
        for path, params in [(f"/workspaces/{plain}", {}), ("/projects", {"workspace": plain}),
                             (f"/projects/{proj}/tasks", {}), (f"/workspaces/{plain}/tags", {})]:
            r = c.get(path, params=params)
            assert r.status_code == 401, path
            err = r.json()["errors"][0]
            assert err["message"] == "Not Authorized" and "disabled" in err["help"]
        assert c.get("/projects", params={"workspace": org_gid(sim)}).status_code == 200


def test_association_changes_visible_to_modified_since_but_not_modified_at():
    sim = AsanaSimulator(SimConfig.small(seed=7))
    s = sim.store
    proj = biggest_project(sim)
    t = s.tasks_in_project(proj)[0]
    other = next(p for p in s.projects if p != proj and s.projects[p]["workspace"] == s.tasks[t]["workspace"])
    with client_for(sim) as c:
        before = c.get(f"/tasks/{t}", params={"opt_fields": "modified_at"}).json()["data"]["modified_at"]
        since = "2999-01-01T00:00:00Z"
        assert s.tasks[t]["modified_at"] < since
        mark = s.now_ms()
        from asana_sim.store import iso_ms
        since = iso_ms(mark)
        assert c.get("/tasks", params={"project": other, "modified_since": since}).json()["data"] == []
        assert c.post(f"/tasks/{t}/addProject", json={"data": {"project": other}}).status_code == 200
        got = [x["gid"] for x in c.get("/tasks", params={"project": other, "modified_since": since}).json()["data"]]
        assert got == [t]
        after = c.get(f"/tasks/{t}", params={"opt_fields": "modified_at"}).json()["data"]["modified_at"]
        assert after == before
        # a section move inside a project: same
        since = iso_ms(s.now_ms())
        cur = next(m["section"] for m in s.tasks[t]["memberships"] if m["project"] == proj)
        sec = next(x for x in s.ix_project_sections[proj].gids if x != cur)
        assert c.post(f"/sections/{sec}/addTask", json={"data": {"task": t}}).status_code == 200
        got = [x["gid"] for x in c.get("/tasks", params={"section": sec, "modified_since": since}).json()["data"]]
        assert got == [t]
        assert c.get(f"/tasks/{t}", params={"opt_fields": "modified_at"}).json()["data"]["modified_at"] == before


def test_throttle_share_is_deterministic():
    sim = AsanaSimulator(SimConfig.small(seed=7, throttle_share=0.25, retry_after_s=7))
    with client_for(sim) as c:
        codes = [c.get("/users/me") for _ in range(40)]
    assert [r.status_code for r in codes].count(429) == 10
    assert [i for i, r in enumerate(codes) if r.status_code == 429] == list(range(3, 40, 4))
    assert all(r.headers["Retry-After"] == "7" for r in codes if r.status_code == 429)


def test_fault_rates_per_kind():
    def run():
        sim = AsanaSimulator(SimConfig.small(seed=7, fault_rates={"500": 0.2, "503": 0.1}, fault_seed=5))
        seen = []
        with client_for(sim) as c:
            for _ in range(400):
                seen.append(c.get("/users/me").status_code)
        return seen
    a = run()
    assert a == run()  # same knobs, same faults
    assert 50 <= a.count(500) <= 110 and 20 <= a.count(503) <= 65 and set(a) == {200, 500, 503}
    with pytest.raises(ValueError):
        SimConfig.small(fault_rates={"418": 0.1})


def test_concurrency_cap_retry_after():
    sim = AsanaSimulator(SimConfig.small(seed=7, max_concurrent_gets=0, retry_after_s=3))
    with client_for(sim) as c:
        r = c.get("/users/me")
    assert r.status_code == 429 and r.headers["Retry-After"] == "3"


def test_page_token_ttl_seconds(monkeypatch):
    import asana_sim.app as app
    sim = AsanaSimulator(SimConfig.small(seed=7, page_token_ttl_s=30))
    p = biggest_project(sim)
    now = [1_000_000.0]
    monkeypatch.setattr(app.time, "time", lambda: now[0])
    with client_for(sim) as c:
        tok = c.get(f"/projects/{p}/tasks", params={"limit": 5}).json()["next_page"]["offset"]
        now[0] += 29
        assert c.get(f"/projects/{p}/tasks", params={"limit": 5, "offset": tok}).status_code == 200
        now[0] += 2
        r = c.get(f"/projects/{p}/tasks", params={"limit": 5, "offset": tok})
        assert r.status_code == 400 and r.json()["errors"][0]["message"] == "offset: Your pagination token has expired."


def test_server_flags_build_the_config():
    from asana_sim.server import build_parser, config_from_args
    args = build_parser().parse_args(
        ["--size", "small", "--max-concurrent-gets", "5", "--throttle-share", "0.1", "--retry-after", "4",
         "--fault-rates", "500=0.01,drop=0.02", "--page-token-ttl", "60", "--forbidden", "1,2",
         "--disabled-workspace", "3", "--lenient", "--fault-seed", "9"])
    cfg = config_from_args(args)
    assert (cfg.max_concurrent_gets, cfg.throttle_share, cfg.retry_after_s, cfg.page_token_ttl_s) == (5, 0.1, 4, 60)
    assert cfg.fault_rates == {"500": 0.01, "drop": 0.02} and cfg.fault_seed == 9
    assert cfg.forbidden == ("1", "2") and cfg.disabled_workspaces == ("3",) and cfg.strict is False
    assert build_parser().parse_args(["--size", "large"]).size == "large"


def test_users_without_workspace_over_http():
    sim = AsanaSimulator(SimConfig.small(seed=7))
    with httpx.Client(transport=httpx.WSGITransport(app=sim.wsgi_app), base_url="http://x/api/1.0",
                      headers=AUTH) as c:
        r = c.get("/users", params={"limit": 100})
        assert r.status_code == 200 and len(r.json()["data"]) == len(sim.store.users)
