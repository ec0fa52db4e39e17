"""Full-coverage endpoints: memberships, statuses, portfolios, goals, time tracking, writes, truncation."""
import pytest
from sim_helpers import client_for, org_gid, walk

from asana_sim import AsanaSimulator, SimConfig

BASE_KINDS = ("workspaces", "users", "teams", "team_memberships", "projects", "sections", "tags", "custom_fields",
              "tasks", "attachments")


def test_coverage_objects_do_not_shift_existing_data():
    a = AsanaSimulator(SimConfig.small(seed=7)).store
    b = AsanaSimulator(SimConfig.small(seed=7, n_goals=1, n_portfolios=2, n_webhooks=1,
                                       time_tracking_share=0.5)).store
    for k in BASE_KINDS:
        assert getattr(a, k) == getattr(b, k), k
    base = lambda s: {g: x for g, x in s.stories.items() if x["resource_subtype"] != "attachment_added"}  # noqa: E731
    assert base(a) == base(b)
    c = AsanaSimulator(SimConfig.small(seed=7)).store
    assert a.goals == c.goals and a.time_tracking_entries == c.time_tracking_entries


def test_every_attachment_has_its_story(sim):
    s = sim.store
    assert s.attachments
    for a in s.attachments.values():
        st = [s.stories[g] for g in s.stories_of(a["parent"]) if s.stories[g]["resource_subtype"] == "attachment_added"]
        assert any(x["created_at"] == a["created_at"] for x in st)
        cs = [s.stories[g]["created_at"] for g in s.stories_of(a["parent"])]
        assert cs == sorted(cs)


def test_attachment_writes(sim, client):
    s = sim.store
    t = next(iter(s.tasks))
    before = s.tasks[t]["modified_at"]
    r = client.post("/attachments", json={"data": {"parent": t, "name": "doc", "url": "https://x.test/d",
                                                   "resource_subtype": "external"}})
    assert r.status_code == 200, r.text
    a = r.json()["data"]
    assert a["resource_subtype"] == "external" and s.attachments[a["gid"]]["parent"] == t
    mod1 = s.tasks[t]["modified_at"]
    assert mod1 > before
    stories = client.get(f"/tasks/{t}/stories", params={"opt_fields": "resource_subtype,created_at"}).json()["data"]
    assert stories[-1]["resource_subtype"] == "attachment_added" and stories[-1]["created_at"] == a["created_at"]
    assert a["gid"] in [x["gid"] for x in client.get("/attachments", params={"parent": t}).json()["data"]]
    assert client.delete(f"/attachments/{a['gid']}").status_code == 200
    assert client.get(f"/attachments/{a['gid']}").status_code == 404
    assert s.tasks[t]["modified_at"] > mod1


def test_portfolios_only_mine(sim, client):
    s, ws = sim.store, org_gid(sim)
    assert client.get("/portfolios", params={"owner": "me"}).status_code == 400  # workspace is required
    mine = walk(client, "/portfolios", {"workspace": ws, "owner": "me", "opt_fields": "name,owner"})
    # owner is optional (spec getPortfolios): a personal token lists the portfolios it owns
    assert walk(client, "/portfolios", {"workspace": ws, "opt_fields": "name,owner"}) == mine
    assert 2 <= len(mine) <= 4 and all(p["owner"]["gid"] == s.me for p in mine)
    other = [p for p in s.portfolios.values() if p["owner"] != s.me]
    assert other and not {p["gid"] for p in other} & {p["gid"] for p in mine}
    nested = [(p["gid"], i) for p in s.portfolios.values() for i in p["items"] if i in s.portfolios]
    assert nested
    items = client.get(f"/portfolios/{nested[0][0]}/items").json()["data"]
    assert {"resource_type": "portfolio", "gid": nested[0][1]}.items() <= next(
        i for i in items if i["gid"] == nested[0][1]).items()
    assert any(i["resource_type"] == "project" for i in items)
    pm = client.get("/portfolio_memberships", params={"portfolio": nested[0][0]}).json()["data"]
    assert pm and all(m["portfolio"]["gid"] == nested[0][0] for m in pm)
    cfs = client.get(f"/portfolios/{nested[0][0]}/custom_field_settings").json()["data"]
    assert cfs and all(x["parent"]["resource_type"] == "portfolio" for x in cfs)


def test_status_updates_and_project_extras(sim, client):
    s = sim.store
    assert client.get("/status_updates").status_code == 400
    proj = next(u["parent"] for u in s.status_updates.values() if u["parent_type"] == "project")
    ups = walk(client, "/status_updates", {"parent": proj, "opt_fields": "created_at,status_type"})
    latest = max(ups, key=lambda u: (u["created_at"], u["gid"]))
    p = client.get(f"/projects/{proj}", params={"opt_fields": "current_status_update,project_brief"}).json()["data"]
    assert p["current_status_update"]["gid"] == latest["gid"]
    brief = next(iter(s.project_briefs.values()))
    p = client.get(f"/projects/{brief['project']}").json()["data"]
    assert p["project_brief"]["gid"] == brief["gid"]
    assert client.get(f"/project_briefs/{brief['gid']}").json()["data"]["project"]["gid"] == brief["project"]
    pm = client.get(f"/projects/{proj}/project_memberships", params={"opt_fields": "member,access_level"}).json()
    assert {m["member"]["gid"] for m in pm["data"]} == set(s.projects[proj]["members"])
    cfs = client.get(f"/projects/{proj}/custom_field_settings").json()["data"]
    assert all({"gid", "custom_field", "is_important", "parent"} <= x.keys() for x in cfs)


def test_goals_and_time_periods(sim, client):
    s, ws = sim.store, org_gid(sim)
    goals = walk(client, "/goals", {"workspace": ws})
    assert {g["gid"] for g in goals} == set(s.goals)
    assert client.get("/goal_relationships").status_code == 400
    sub = next(r for r in s.goal_relationships.values() if r["resource_subtype"] == "subgoal")
    parents = client.get(f"/goals/{sub['supporting_resource']}/parentGoals").json()["data"]
    assert sub["supported_goal"] in {g["gid"] for g in parents}
    rels = walk(client, "/goal_relationships", {"supported_goal": sub["supported_goal"]})
    assert sub["gid"] in {r["gid"] for r in rels}
    tp = next(g["time_period"] for g in s.goals.values())
    got = walk(client, "/goals", {"workspace": ws, "time_periods": tp})
    assert {g["gid"] for g in got} == {g for g, x in s.goals.items() if x["time_period"] == tp}
    full = client.get(f"/goals/{next(g for g, x in s.goals.items() if x['metric'])}").json()["data"]
    assert full["metric"]["target_number_value"] > 0
    assert len(walk(client, "/time_periods", {"workspace": ws})) == len(s.time_periods)


def test_time_tracking_and_user_task_lists(sim, client):
    s, ws = sim.store, org_gid(sim)
    entries = walk(client, "/time_tracking_entries", {"workspace": ws, "entered_on_start_date": "1900-01-01",
                                                      "opt_fields": "duration_minutes"})
    want = {g for g, e in s.time_tracking_entries.items() if s.tasks[e["task"]]["workspace"] == ws}
    assert {e["gid"] for e in entries} == want and want
    e = next(iter(s.time_tracking_entries.values()))
    got = client.get(f"/tasks/{e['task']}/time_tracking_entries").json()["data"]
    assert e["gid"] in {x["gid"] for x in got}
    utl = client.get("/users/me/user_task_list", params={"workspace": ws}).json()["data"]
    assert utl["owner"]["gid"] == s.me
    via_utl = walk(client, "/tasks", {"user_task_list": utl["gid"]})
    via_assignee = walk(client, "/tasks", {"assignee": "me", "workspace": ws})
    assert via_utl == via_assignee and via_utl
    assert walk(client, f"/user_task_lists/{utl['gid']}/tasks", {}) == via_utl
    wsm = walk(client, f"/workspaces/{ws}/workspace_memberships", {})
    assert len(wsm) == len([u for u in s.users.values() if ws in u["workspaces"]])
    hooks = walk(client, "/webhooks", {"workspace": ws})
    assert hooks and all(h["gid"] in s.webhooks for h in hooks)


def test_dependents(sim, client):
    s = sim.store
    dep = next(g for g, t in s.tasks.items() if t["dependencies"])
    target = s.tasks[dep]["dependencies"][0]
    got = client.get(f"/tasks/{target}/dependents").json()["data"]
    assert dep in {t["gid"] for t in got}
    t = client.get(f"/tasks/{target}", params={"opt_fields": "dependents"}).json()["data"]
    assert dep in {x["gid"] for x in t["dependents"]}


def test_project_tag_section_story_writes(sim, client):
    s, ws = sim.store, org_gid(sim)
    proj = max((p for p in s.projects if s.projects[p]["workspace"] == ws), key=lambda p: len(s.tasks_in_project(p)))
    tasks = s.tasks_in_project(proj)
    r = client.put(f"/projects/{proj}", json={"data": {"name": "Renamed", "archived": True}})
    assert r.status_code == 200 and r.json()["data"]["archived"] is True and s.projects[proj]["name"] == "Renamed"
    r = client.post("/projects", json={"data": {"workspace": ws, "name": "No team"}})
    assert r.status_code == 400
    r = client.post("/projects", json={"data": {"team": s.projects[proj]["team"], "name": "New"}})
    assert r.status_code == 201 and r.json()["data"]["gid"] in s.projects
    r = client.post("/tags", json={"data": {"workspace": ws, "name": "fresh"}})
    assert r.status_code == 201
    tag = r.json()["data"]["gid"]
    assert client.delete(f"/tags/{tag}").status_code == 200 and client.get(f"/tags/{tag}").status_code == 404
    sec = client.post(f"/projects/{proj}/sections", json={"data": {"name": "tmp"}}).json()["data"]["gid"]
    assert client.delete(f"/sections/{sec}").status_code == 200 and client.get(f"/sections/{sec}").status_code == 404
    st = next(g for t in tasks for g in s.stories_of(t))
    assert client.delete(f"/stories/{st}").status_code == 200 and client.get(f"/stories/{st}").status_code == 404
    assert client.delete(f"/projects/{proj}").status_code == 200
    assert client.get(f"/projects/{proj}").status_code == 404
    for t in tasks:
        assert proj not in [m["project"]["gid"] for m in client.get(f"/tasks/{t}").json()["data"]["memberships"]]
    assert not [m for m in s.project_memberships.values() if m["project"] == proj]
    assert all(proj not in p["items"] for p in s.portfolios.values())


def test_project_events(sim, client):
    s = sim.store
    proj = max(s.projects, key=lambda p: len(s.tasks_in_project(p)))
    tok = client.get("/events", params={"resource": proj}).json()["sync"]
    secs = s.ix_project_sections[proj].gids
    t = client.post("/tasks", json={"data": {"projects": [proj], "name": "ev"}}).json()["data"]["gid"]
    client.put(f"/tasks/{t}", json={"data": {"name": "ev2"}})
    client.post(f"/sections/{secs[-1]}/addTask", json={"data": {"task": t}})
    other = s.tasks_in_project(proj)[0]
    client.post(f"/tasks/{other}/removeProject", json={"data": {"project": proj}})
    client.delete(f"/tasks/{t}")
    evs = client.get("/events", params={"resource": proj, "sync": tok}).json()["data"]
    seen = {(e["resource"]["gid"], e["action"], (e.get("parent") or {}).get("resource_type"),
             (e.get("change") or {}).get("field")) for e in evs if e["type"] == "task"}
    assert (t, "added", "project", None) in seen
    assert (t, "changed", None, "name") in seen
    assert (t, "changed", None, "memberships") in seen and (t, "added", "section", None) in seen
    assert (other, "removed", "project", None) in seen
    assert (t, "deleted", None, None) in seen


@pytest.mark.parametrize("premium", [True, False])
def test_truncation_scenario(premium):
    sim = AsanaSimulator(SimConfig.truncation(seed=3, premium=premium))
    s, ws = sim.store, org_gid(sim)
    big = next(p for p in s.projects.values() if p["name"] == "Big project")["gid"]
    gap = next(p for p in s.projects.values() if p["name"] == "Gap project")["gid"]
    assert len(s.tasks_in_project(big)) == 450
    with client_for(sim) as c:
        with pytest.raises(AssertionError, match="truncated"):
            walk(c, f"/projects/{big}/tasks", {"limit": 100})
        got = []
        for sec in s.ix_project_sections[big].gids:
            assert len(s.tasks_in_section(sec)) < 100
            got += [t["gid"] for t in walk(c, f"/sections/{sec}/tasks", {"limit": 100})]
        assert sorted(got) == sorted(s.tasks_in_project(big))
        gap_sec = max(s.ix_project_sections[gap].gids, key=lambda x: len(s.tasks_in_section(x)))
        assert len(s.tasks_in_section(gap_sec)) > 100
        with pytest.raises(AssertionError, match="truncated"):
            walk(c, f"/sections/{gap_sec}/tasks", {"limit": 100})
        params = {"sections.any": gap_sec, "sort_by": "created_at", "sort_ascending": "true", "limit": 100,
                  "opt_fields": "created_at,modified_at"}
        r = c.get(f"/workspaces/{ws}/tasks/search", params=params)
        if not premium:
            assert r.status_code == 402
            return
        found, after = [], None
        while True:
            q = dict(params, **({"created_at.after": after} if after else {}))
            body = c.get(f"/workspaces/{ws}/tasks/search", params=q).json()
            assert "next_page" not in body
            if not body["data"]:
                break
            found += body["data"]
            after = body["data"][-1]["created_at"]
        assert [t["gid"] for t in found] == sorted(s.tasks_in_section(gap_sec), key=lambda g: s.tasks[g]["created_at"])
        mid = found[len(found) // 2]["modified_at"]
        r = c.get(f"/workspaces/{ws}/tasks/search", params={**params, "modified_at.after": mid}).json()["data"]
        assert r and all(t["modified_at"] > mid for t in r)
