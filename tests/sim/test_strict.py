"""Strict request validation: the generated spec table, every served GET route, every prose rule."""
from pathlib import Path

import pytest
from sim_helpers import client_for, org_gid

from asana_sim import AsanaSimulator, SimConfig
from asana_sim import rules as rules_mod
from asana_sim.rules import MSG_TASKS_FILTER, RULES, KnownViolation
from asana_sim.validate import Validator

OAS = Path(__file__).resolve().parents[2].parent / "shared/asana-api/asana_oas.yaml"
SPEC_TABLE = Path(__file__).resolve().parents[2] / "asana_sim/spec_params.py"


@pytest.fixture(scope="module")
def sim():
    return AsanaSimulator(SimConfig.small(seed=5))


@pytest.fixture(scope="module")
def c(sim):
    with client_for(sim) as client:
        yield client


@pytest.mark.skipif(not OAS.exists(), reason=f"Asana OpenAPI spec not found at {OAS}")
def test_generated_spec_table_is_current():
    from asana_sim.spec_gen import generate
    assert SPEC_TABLE.read_text(encoding="utf-8") == generate(OAS), (
        "asana_sim/spec_params.py is stale: run python -m asana_sim.spec_gen ../shared/asana-api/asana_oas.yaml")


def served_get_routes(sim):
    return sorted(kind[4:] for lst in sim._routes.values() for _, _, kind in lst if kind.startswith("GET "))


def valid_requests(sim):
    """One valid request (path, params) per served GET route template."""
    s = sim.store
    ws = org_gid(sim)
    team = next(iter(s.teams))
    proj = max(s.projects, key=lambda p: len(s.tasks_in_project(p)))
    sec = s.ix_project_sections[proj].gids[0]
    task = next(t for t in s.tasks_in_project(proj) if s.subtasks_of(t))
    tag = next(t for t in s.tags if s.ix_tag_tasks.get(t))
    att = next(iter(s.attachments.values()))
    pf = next(p["gid"] for p in s.portfolios.values() if p["owner"] == s.me)
    goal = next(iter(s.goals))
    utl = s.user_task_list_of(s.me, ws)
    first = {k: next(iter(getattr(s, k))) for k in (
        "team_memberships", "workspace_memberships", "project_memberships", "status_updates", "project_statuses",
        "project_briefs", "project_templates", "portfolio_memberships", "goal_relationships", "time_periods",
        "time_tracking_entries", "webhooks", "stories", "custom_fields")}
    L = {"limit": "10"}
    return {
        "/users/me": ("/users/me", {}),
        "/users/{gid}": (f"/users/{s.me}", {}),
        "/users": ("/users", {"workspace": ws, **L}),
        "/workspaces": ("/workspaces", L),
        "/workspaces/{gid}": (f"/workspaces/{ws}", {}),
        "/workspaces/{gid}/users": (f"/workspaces/{ws}/users", {}),
        "/teams/{gid}/users": (f"/teams/{team}/users", {}),
        "/workspaces/{gid}/teams": (f"/workspaces/{ws}/teams", L),
        "/users/{gid}/teams": (f"/users/{s.me}/teams", {"organization": ws, **L}),
        "/teams/{gid}": (f"/teams/{team}", {}),
        "/teams/{gid}/team_memberships": (f"/teams/{team}/team_memberships", L),
        "/users/{gid}/team_memberships": (f"/users/{s.me}/team_memberships", {"workspace": ws, **L}),
        "/team_memberships": ("/team_memberships", {"team": team, **L}),
        "/team_memberships/{gid}": (f"/team_memberships/{first['team_memberships']}", {}),
        "/projects": ("/projects", {"workspace": ws, **L}),
        "/teams/{gid}/projects": (f"/teams/{team}/projects", L),
        "/workspaces/{gid}/projects": (f"/workspaces/{ws}/projects", L),
        "/projects/{gid}": (f"/projects/{proj}", {}),
        "/projects/{gid}/sections": (f"/projects/{proj}/sections", L),
        "/sections/{gid}": (f"/sections/{sec}", {}),
        "/projects/{gid}/custom_field_settings": (f"/projects/{proj}/custom_field_settings", L),
        "/tasks": ("/tasks", {"project": proj, **L}),
        "/projects/{gid}/tasks": (f"/projects/{proj}/tasks", L),
        "/sections/{gid}/tasks": (f"/sections/{sec}/tasks", L),
        "/tags/{gid}/tasks": (f"/tags/{tag}/tasks", L),
        "/tasks/{gid}": (f"/tasks/{task}", {}),
        "/tasks/{gid}/subtasks": (f"/tasks/{task}/subtasks", L),
        "/tasks/{gid}/stories": (f"/tasks/{task}/stories", L),
        "/stories/{gid}": (f"/stories/{first['stories']}", {}),
        "/tasks/{gid}/dependencies": (f"/tasks/{task}/dependencies", L),
        "/tasks/{gid}/dependents": (f"/tasks/{task}/dependents", L),
        "/tasks/{gid}/tags": (f"/tasks/{task}/tags", L),
        "/tasks/{gid}/projects": (f"/tasks/{task}/projects", L),
        "/tags": ("/tags", {"workspace": ws, **L}),
        "/workspaces/{gid}/tags": (f"/workspaces/{ws}/tags", L),
        "/tags/{gid}": (f"/tags/{tag}", {}),
        "/workspaces/{gid}/custom_fields": (f"/workspaces/{ws}/custom_fields", L),
        "/custom_fields/{gid}": (f"/custom_fields/{first['custom_fields']}", {}),
        "/attachments": ("/attachments", {"parent": att["parent"], **L}),
        "/attachments/{gid}": (f"/attachments/{att['gid']}", {}),
        "/workspaces/{gid}/tasks/search": (f"/workspaces/{ws}/tasks/search", {"sort_by": "created_at", **L}),
        "/events": ("/events", {"resource": proj}),
        "/workspaces/{gid}/workspace_memberships": (f"/workspaces/{ws}/workspace_memberships", L),
        "/users/{gid}/workspace_memberships": (f"/users/{s.me}/workspace_memberships", L),
        "/workspace_memberships/{gid}": (f"/workspace_memberships/{first['workspace_memberships']}", {}),
        "/projects/{gid}/project_memberships": (f"/projects/{proj}/project_memberships", L),
        "/project_memberships/{gid}": (f"/project_memberships/{first['project_memberships']}", {}),
        "/status_updates": ("/status_updates", {"parent": s.status_updates[first["status_updates"]]["parent"], **L}),
        "/status_updates/{gid}": (f"/status_updates/{first['status_updates']}", {}),
        "/projects/{gid}/project_statuses": (f"/projects/{proj}/project_statuses", L),
        "/project_statuses/{gid}": (f"/project_statuses/{first['project_statuses']}", {}),
        "/project_briefs/{gid}": (f"/project_briefs/{first['project_briefs']}", {}),
        "/project_templates": ("/project_templates", {"workspace": ws, **L}),
        "/teams/{gid}/project_templates": (f"/teams/{team}/project_templates", L),
        "/project_templates/{gid}": (f"/project_templates/{first['project_templates']}", {}),
        "/portfolios": ("/portfolios", {"workspace": ws, **L}),
        "/portfolios/{gid}": (f"/portfolios/{pf}", {}),
        "/portfolios/{gid}/items": (f"/portfolios/{pf}/items", L),
        "/portfolio_memberships": ("/portfolio_memberships", {"portfolio": pf, **L}),
        "/portfolios/{gid}/portfolio_memberships": (f"/portfolios/{pf}/portfolio_memberships", L),
        "/portfolio_memberships/{gid}": (f"/portfolio_memberships/{first['portfolio_memberships']}", {}),
        "/portfolios/{gid}/custom_field_settings": (f"/portfolios/{pf}/custom_field_settings", L),
        "/goals": ("/goals", {"workspace": ws, **L}),
        "/goals/{gid}": (f"/goals/{goal}", {}),
        "/goals/{gid}/parentGoals": (f"/goals/{goal}/parentGoals", {}),
        "/goal_relationships": ("/goal_relationships", {"supported_goal": goal, **L}),
        "/goal_relationships/{gid}": (f"/goal_relationships/{first['goal_relationships']}", {}),
        "/time_periods": ("/time_periods", {"workspace": ws, **L}),
        "/time_periods/{gid}": (f"/time_periods/{first['time_periods']}", {}),
        "/time_tracking_entries": ("/time_tracking_entries", {"workspace": ws, "entered_on_start_date": "2000-01-01",
                                                              **L}),
        "/tasks/{gid}/time_tracking_entries": (f"/tasks/{task}/time_tracking_entries", L),
        "/time_tracking_entries/{gid}": (f"/time_tracking_entries/{first['time_tracking_entries']}", {}),
        "/users/{gid}/user_task_list": (f"/users/{s.me}/user_task_list", {"workspace": ws}),
        "/user_task_lists/{gid}": (f"/user_task_lists/{utl}", {}),
        "/user_task_lists/{gid}/tasks": (f"/user_task_lists/{utl}/tasks", L),
        "/webhooks": ("/webhooks", {"workspace": ws, **L}),
        "/webhooks/{gid}": (f"/webhooks/{first['webhooks']}", {}),
    }


def invalid_values(schema):
    """(value, why) pairs that break a parameter schema, one per kind of check it has."""
    if "also" in schema:
        schema = {k: v for k, v in schema.items() if k != "also"}
    out = []
    if not schema.get("allowEmptyValue"):
        out.append(("", "empty"))
    t = schema.get("type", "string")
    if t == "integer":
        out.append(("abc", "type"))
        if "minimum" in schema:
            out.append((str(schema["minimum"] - 1), "range"))
        if "maximum" in schema:
            out.append((str(schema["maximum"] + 1), "range"))
    elif t == "number":
        out.append(("abc", "type"))
    elif t == "boolean":
        out.append(("yes", "type"))
    elif t == "array":
        out.append(("a,,b", "type"))
    elif schema.get("format") == "date":
        out += [("2024-02-30", "format"), ("2024-1-5", "format")]
    elif schema.get("format") == "date-time":
        out += [("yesterday", "format"), ("2024-01-05", "format"), ("2024-01-05T10:00:00", "format")]
    if "enum" in schema:
        out.append(("not-a-value", "enum"))
    return out


def test_every_served_get_route_is_a_spec_operation(sim):
    routes = served_get_routes(sim)
    assert set(valid_requests(sim)) == set(routes), "valid_requests() must cover every served GET route"
    for r in routes:
        assert sim.validator.operation(f"GET {r}") is not None, r


def test_every_served_get_route_enforces_its_schema(sim, c):
    """For every served GET route: the valid request passes; each declared parameter's every kind of
    violation (empty, type, format, enum, range), a missing required parameter and a field outside the
    operation's opt_fields enum each get Asana's 400 envelope with a `<param>:` message."""
    failures, checked = [], 0
    for route, (path, params) in sorted(valid_requests(sim).items()):
        op = sim.validator.operation(f"GET {route}")
        r = c.get(path, params=params)
        ok = 412 if route == "/events" else 200
        if r.status_code != ok:
            failures.append(f"valid {route} {params}: {r.status_code} {r.text[:200]}")
            continue
        cases = []
        for name, schema in op.params.items():
            if schema.get("required"):
                cases.append(({k: v for k, v in params.items() if k != name}, name, "missing"))
            for value, why in invalid_values(schema):
                cases.append(({**params, name: value}, name, why))
        if op.opt_fields is not None:
            cases.append(({**params, "opt_fields": "name,definitely_not_a_field"}, "opt_fields", "opt_fields"))
            good = sorted(op.opt_fields)[0]
            r = c.get(path, params={**params, "opt_fields": f"{good},gid"})
            if r.status_code != ok:
                failures.append(f"{route} opt_fields={good}: {r.status_code} {r.text[:200]}")
        for q, name, why in cases:
            r = c.get(path, params=q)
            checked += 1
            body = r.json() if r.headers.get("content-type", "").startswith("application/json") else {}
            msg = (body.get("errors") or [{}])[0].get("message", "")
            if r.status_code != 400 or not msg.startswith(f"{name}:") or "help" not in body["errors"][0]:
                failures.append(f"{route} {why} {name}={q.get(name)!r}: {r.status_code} {msg or r.text[:200]}")
    assert not failures, "\n".join(failures)
    assert checked > 300


def test_limit_bounds_everywhere_limit_is_declared(sim, c):
    for route, (path, params) in valid_requests(sim).items():
        if "limit" in sim.validator.operation(f"GET {route}").params:
            for bad in ("0", "101", "-1", "1.5"):
                r = c.get(path, params={**params, "limit": bad})
                assert r.status_code == 400 and r.json()["errors"][0]["message"].startswith("limit:"), route
            assert c.get(path, params={**params, "limit": "100"}).status_code in (200, 412)


# One violating and one satisfying request per prose rule: (path, bad params, good params, message).
def rule_cases(sim):
    s = sim.store
    ws = org_gid(sim)
    team = next(iter(s.teams))
    proj = max(s.projects, key=lambda p: len(s.tasks_in_project(p)))
    sec = s.ix_project_sections[proj].gids[0]
    tag = next(iter(s.tags))
    utl = s.user_task_list_of(s.me, ws)
    pf = next(p["gid"] for p in s.portfolios.values() if p["owner"] == s.me)
    search = f"/workspaces/{ws}/tasks/search"
    cf = next(g for g, x in s.custom_fields.items() if x["workspace"] == ws)
    tte_task = next(iter(s.time_tracking_entries.values()))["task"]
    cases = {
        "tasks-exactly-one-filter": [
            ("/tasks", {}, {"project": proj}, MSG_TASKS_FILTER),
            ("/tasks", {"project": proj, "tag": tag}, {"tag": tag}, MSG_TASKS_FILTER),
            ("/tasks", {"assignee": "me"}, {"assignee": "me", "workspace": ws}, MSG_TASKS_FILTER),
            ("/tasks", {"workspace": ws}, {"section": sec}, MSG_TASKS_FILTER),
            ("/tasks", {"section": sec, "assignee": "me", "workspace": ws}, {"user_task_list": utl},
             MSG_TASKS_FILTER)],
        "tasks-tag-param": [("/tasks", {"tag": ""}, {"tag": tag}, "tag: Missing input")],
        "tasks-user-task-list-param": [("/tasks", {"user_task_list": ""}, {"user_task_list": utl},
                                        "user_task_list: Missing input")],
        "projects-one-filter": [("/projects", {}, {"team": team}, "workspace: Missing input"),
                                ("/projects", {"archived": "maybe"}, {"archived": "false"}, "archived:")],
        "tags-one-filter": [("/tags", {}, {"workspace": ws}, "workspace: Missing input")],
        "project-templates-scope": [("/project_templates", {}, {"team": team}, "workspace: Missing input")],
        "team-memberships-scope": [("/team_memberships", {}, {"team": team}, "team: Missing input")],
        "team-memberships-user-needs-workspace": [
            ("/team_memberships", {"team": team, "user": "me"}, {"user": "me", "workspace": ws}, "workspace:")],
        "team-memberships-workspace-needs-user": [
            ("/team_memberships", {"team": team, "workspace": ws}, {"team": team}, "user:")],
        "portfolio-memberships-scope": [("/portfolio_memberships", {"user": "me"}, {"portfolio": pf, "user": "me"},
                                         "portfolio: Missing input")],
        "portfolio-memberships-workspace-needs-user": [
            ("/portfolio_memberships", {"portfolio": pf, "workspace": ws}, {"workspace": ws, "user": "me"},
             "user:")],
        "goals-workspace-level-needs-workspace": [
            ("/goals", {"team": team, "is_workspace_level": "true"}, {"workspace": ws, "is_workspace_level": "true"},
             "workspace:")],
        "goals-scope": [("/goals", {}, {"team": team}, "workspace: Missing input")],
        "time-tracking-scope": [("/time_tracking_entries", {}, {"task": tte_task}, "task: Missing input"),
                                ("/time_tracking_entries", {"entered_on_end_date": "2030-01-01"}, {"user": "me"},
                                 "task: Missing input")],
        "time-tracking-workspace-dates": [
            ("/time_tracking_entries", {"workspace": ws}, {"workspace": ws, "entered_on_end_date": "2100-01-01"},
             "entered_on_start_date: At least one of")],
        "search-limit": [(search, {"limit": "101"}, {"limit": "100"}, "limit:"),
                         (search, {"limit": "ten"}, {"limit": "1"}, "limit:")],
        "search-custom-field-is-set": [(search, {f"custom_fields.{cf}.is_set": "yes"},
                                        {f"custom_fields.{cf}.is_set": "true"}, f"custom_fields.{cf}.is_set:")],
        "search-custom-field-value": [(search, {f"custom_fields.{cf}.value": ""},
                                       {f"custom_fields.{cf}.value": "x"}, f"custom_fields.{cf}.value:")],
        "search-custom-field-text": [(search, {f"custom_fields.{cf}.contains": ""},
                                      {f"custom_fields.{cf}.contains": "a"}, f"custom_fields.{cf}.contains:")],
        "search-custom-field-number": [(search, {f"custom_fields.{cf}.less_than": "ten"},
                                        {f"custom_fields.{cf}.less_than": "10.5"}, f"custom_fields.{cf}.less_than:")],
        "search-custom-field-date": [(search, {f"custom_fields.{cf}.before": "2024-13-01"},
                                      {f"custom_fields.{cf}.before": "2024-12-01"}, f"custom_fields.{cf}.before:")],
        "search-custom-type-status": [(search, {"custom_types.1.custom_type_status_option.gid": "",
                                                "resource_subtype": "custom"},
                                       {"custom_types.1.custom_type_status_option.gid": "2",
                                        "resource_subtype": "custom"}, "custom_types.1.custom_type_status_option.gid:")],
        "search-custom-type-one": [(search, {"custom_types.1.custom_type_status_option.gid": "2",
                                             "custom_types.3.custom_type_status_option.gid": "4",
                                             "resource_subtype": "custom"},
                                    {"custom_types.3.custom_type_status_option.gid": "4", "resource_subtype": "custom"},
                                    "custom_types.3.custom_type_status_option.gid: Only one")],
        "search-custom-type-subtype": [(search, {"custom_types.1.custom_type_status_option.gid": "2"},
                                        {"custom_types.1.custom_type_status_option.gid": "2",
                                         "resource_subtype": "custom"}, "resource_subtype:")],
    }
    for name, route in (("tasks", "/tasks"), ("project-tasks", f"/projects/{proj}/tasks"),
                        ("section-tasks", f"/sections/{sec}/tasks"), ("user-task-list-tasks", f"/user_task_lists/{utl}/tasks")):
        base = {"project": proj} if route == "/tasks" else {}
        cases[f"completed-since-now-{name}"] = [
            (route, {**base, "completed_since": "today"}, {**base, "completed_since": "now"}, "completed_since:"),
            (route, {**base, "completed_since": "2024-01-01"}, {**base, "completed_since": "2024-01-01T00:00:00Z"},
             "completed_since:")]
    for p in rules_mod._DATE_OR_NULL:
        cases[f"search-{p}-null"] = [(search, {p: "nul"}, {p: "null"}, f"{p}:"),
                                     (search, {p: "2024-02-30"}, {p: "2024-02-28"}, f"{p}:")]
    return cases


def test_every_prose_rule_is_enforced(sim, c):
    cases = rule_cases(sim)
    assert set(cases) == {r.id for r in RULES}, "every rule in rules.RULES needs a case here"
    failures = []
    for rule_id, lst in sorted(cases.items()):
        for path, bad, good, msg in lst:
            r = c.get(path, params={**bad, "limit": bad.get("limit", "5")} if "search" not in path else bad)
            got = r.json()["errors"][0]["message"] if r.status_code == 400 else r.text[:200]
            if r.status_code != 400 or not got.startswith(msg):
                failures.append(f"{rule_id} bad {path} {bad}: {r.status_code} {got}")
            r = c.get(path, params={**good, "limit": good.get("limit", "5")} if "search" not in path else good)
            if r.status_code != 200:
                failures.append(f"{rule_id} good {path} {good}: {r.status_code} {r.text[:200]}")
    assert not failures, "\n".join(failures)


def test_every_rule_names_its_source_and_a_real_operation():
    v = Validator()
    ids = [r.id for r in RULES]
    assert len(ids) == len(set(ids))
    for r in RULES:
        assert r.source and v.operation(r.route) is not None, r.id


def test_opt_fields_forms(sim, c):
    p = max(sim.store.projects, key=lambda x: len(sim.store.tasks_in_project(x)))
    ok = ["name,this.(followers|assignee).name", "memberships.section.name,custom_fields.enum_value.gid",
          "gid,resource_type", "custom_fields.gid", "this.name"]
    for of in ok:
        assert c.get(f"/projects/{p}/tasks", params={"opt_fields": of, "limit": 5}).status_code == 200, of
    for of in ("this.(followers|assignee).email", "followers.email", "memberships.section.notes", "nme"):
        r = c.get(f"/projects/{p}/tasks", params={"opt_fields": of, "limit": 5})
        assert r.status_code == 400 and r.json()["errors"][0]["message"].startswith("opt_fields:"), of


def test_undeclared_parameters_are_ignored(sim, c):
    """modified_since exists only on GET /tasks: elsewhere Asana ignores it, and so does the simulator."""
    s = sim.store
    p = max(s.projects, key=lambda x: len(s.tasks_in_project(x)))
    future = "2999-01-01T00:00:00Z"
    sim.stats.reset()
    got = c.get(f"/projects/{p}/tasks", params={"modified_since": future, "limit": 100}).json()["data"]
    assert len(got) == len(s.tasks_in_project(p))
    assert sim.stats.ignored_params[("GET /projects/{gid}/tasks", "modified_since")] == 1
    assert c.get("/tasks", params={"project": p, "modified_since": future, "limit": 100}).json()["data"] == []
    # completed_since is not a parameter of subtask or tag listings either
    parent = next(g for g in s.tasks if any(s.tasks[x]["completed"] for x in s.subtasks_of(g)))
    subs = c.get(f"/tasks/{parent}/subtasks", params={"completed_since": "now", "limit": 100}).json()["data"]
    assert len(subs) == len(s.subtasks_of(parent))
    assert c.get("/workspaces", params={"bogus": "1"}).status_code == 200


def test_lenient_switch():
    sim = AsanaSimulator(SimConfig.small(seed=5, strict=False))
    with client_for(sim) as c:
        p = next(iter(sim.store.projects))
        ws = org_gid(sim)
        assert c.get(f"/projects/{p}/tasks", params={"opt_fields": "no_such_field"}).status_code == 200
        assert c.get("/time_tracking_entries", params={"workspace": ws}).status_code == 200
        assert c.get("/tasks", params={"project": p, "modified_since": "2020-01-01"}).status_code == 200
        assert c.get("/tasks").status_code == 400  # nothing to list: still refused


def test_known_source_violations_are_tolerated_and_counted(monkeypatch):
    sim = AsanaSimulator(SimConfig.small(seed=5))
    p = next(iter(sim.store.projects))
    with client_for(sim) as c:
        assert c.get(f"/projects/{p}/tasks", params={"opt_fields": "name,xyz"}).status_code == 400
        monkeypatch.setattr(sim.validator, "known", (KnownViolation("GET /projects/{project_gid}/tasks",
                                                                    "opt_fields", "xyz", "test"),))
        assert c.get(f"/projects/{p}/tasks", params={"opt_fields": "name,xyz"}).status_code == 200
        assert c.get(f"/projects/{p}/tasks", params={"opt_fields": "name,abc"}).status_code == 400
        assert sim.stats.tolerated[("GET /projects/{gid}/tasks", "opt_fields", "xyz")] == 1
    # the shipped list is documented as temporary: each entry says why
    for k in rules_mod.KNOWN_SOURCE_VIOLATIONS:
        assert Validator().operation(k.route) is not None and k.why


def test_server_cli_has_lenient_flag(monkeypatch):
    from asana_sim import server
    seen = {}

    class Stop(Exception):
        pass

    def fake(cfg):
        seen["cfg"] = cfg
        raise Stop

    monkeypatch.setattr(server, "AsanaSimulator", fake)
    with pytest.raises(Stop):
        server.main(["--lenient"])
    assert seen["cfg"].strict is False
    with pytest.raises(Stop):
        server.main([])
    assert seen["cfg"].strict is True
