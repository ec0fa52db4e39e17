"""Every GET endpoint the simulator serves answers in the shape asana_oas.yaml declares."""
import copy
import re
from pathlib import Path

import pytest
from sim_helpers import client_for, org_gid

from asana_sim import AsanaSimulator, SimConfig

OAS = Path(__file__).resolve().parents[2].parent / "shared/asana-api/asana_oas.yaml"

pytestmark = pytest.mark.skipif(not OAS.exists(), reason=f"Asana OpenAPI spec not found at {OAS}")

# Where the simulator knowingly differs from the spec because the real API does: these references are
# null in real responses although the spec omits `nullable` (stories made by rules have no creator,
# unassigned tasks have assignee null, events without a parent have parent null, a webhook that never
# failed has last_failure_at null).
NULLABLE_PATCHES = [("StoryResponse", "created_by"), ("StoryCompact", "created_by"), ("TaskResponse", "assignee"),
                    ("TaskResponse", "completed_by"), ("TaskResponse", "parent"),
                    ("EventResponse", "parent"), ("EventResponse", "user"), ("WebhookResponse", "last_failure_at")]


@pytest.fixture(scope="module")
def spec():
    import yaml
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with OAS.open("rb") as f:
        d = yaml.load(f, Loader=loader)
    schemas = d["components"]["schemas"]
    def parts(schema):
        if "$ref" in schema:
            yield from parts(schemas[schema["$ref"].split("/")[-1]])
            return
        yield schema
        for sub in schema.get("allOf", []):
            yield from parts(sub)

    # `allOf: [$ref, {nullable: true}]` means "nullable reference" in the spec's intent, but a strict
    # OAS 3.0 validator still rejects null through the first part: make such properties truly nullable.
    null_schema = {"type": "object", "nullable": True, "enum": [None]}
    for sch in schemas.values():
        for part in [sch, *sch.get("allOf", [])]:
            for pname, p in list(part.get("properties", {}).items()):
                if "allOf" in p and any(x.get("nullable") for x in p["allOf"] if isinstance(x, dict)):
                    part["properties"][pname] = {"anyOf": [p, null_schema]}
    for name, prop in NULLABLE_PATCHES:
        for part in parts(schemas[name]):
            p = part.get("properties", {}).get(prop)
            if p is not None and "anyOf" not in p:
                part["properties"][prop] = {"anyOf": [p, {"type": "object", "nullable": True, "enum": [None]}]}
    return d


def _route_regexes(spec):
    out = []
    for path, item in spec["paths"].items():
        rx = "^" + re.sub(r"\{[^}]+\}", "[^/]+", path) + "$"
        out.append((re.compile(rx), path, item))
    # literal paths first so /users/me does not match /users/{user_gid} first
    out.sort(key=lambda x: x[1].count("{"))
    return out


def _schema_for(spec, regexes, method, path, status):
    for rx, tmpl, item in regexes:
        if rx.match(path):
            op = item.get(method.lower())
            if op is None:
                continue
            resp = op["responses"].get(str(status)) or op["responses"].get(status)
            if resp is None:
                return tmpl, None
            while "$ref" in resp:
                resp = spec["components"]["responses"][resp["$ref"].split("/")[-1]]
            return tmpl, resp["content"]["application/json"]["schema"]
    return None, None


def _validate(spec, schema, body):
    from openapi_schema_validator import OAS30Validator
    root = {**copy.copy(schema), "components": spec["components"]}
    errors = sorted(OAS30Validator(root).iter_errors(body), key=lambda e: list(e.path))
    return [f"{list(e.path)}: {e.message[:200]}" for e in errors[:5]]


@pytest.fixture(scope="module")
def sim():
    return AsanaSimulator(SimConfig.small(seed=5))


def _cases(sim):
    s, r = sim.store, sim.renderer
    of = {k: ",".join(v) for k, v in r.full.items()}
    of["task"] += ",memberships.section.name,memberships.project.name,custom_fields.display_value,followers.name"
    ws = org_gid(sim)
    team = next(iter(s.teams))
    tm = next(iter(s.team_memberships))
    proj = max(s.projects, key=lambda p: len(s.tasks_in_project(p)))
    sec = s.ix_project_sections[proj].gids[0]
    task = next(t for t in s.tasks_in_project(proj) if s.subtasks_of(t))
    dep = next(g for g, t in s.tasks.items() if t["dependencies"])
    tag = next(t for t in s.tags if s.ix_tag_tasks.get(t))
    cf = next(iter(s.custom_fields))
    att = next(iter(s.attachments.values()))
    story_kinds = {}
    for st in s.stories.values():
        story_kinds.setdefault(st["resource_subtype"], st["gid"])
    L = {"limit": 20}
    cases = [
        ("/users/me", {}), ("/users/" + s.me, {}), ("/users", {"workspace": ws, "opt_fields": of["user"], **L}),
        ("/workspaces", {"opt_fields": of["workspace"]}), (f"/workspaces/{ws}", {}),
        (f"/workspaces/{ws}/users", {"opt_fields": of["user"]}), (f"/teams/{team}/users", {}),
        (f"/workspaces/{ws}/teams", {"opt_fields": of["team"], **L}), (f"/teams/{team}", {}),
        (f"/teams/{team}/team_memberships", {"opt_fields": of["team_membership"], **L}),
        ("/team_memberships", {"team": team}), ("/team_memberships", {"user": s.me, "workspace": ws}),
        (f"/team_memberships/{tm}", {}), (f"/users/{s.me}/teams", {"organization": ws}),
        (f"/users/{s.me}/team_memberships", {"workspace": ws}),
        ("/projects", {"workspace": ws, "opt_fields": of["project"], **L}),
        ("/projects", {"team": team, "archived": "false"}),
        (f"/teams/{team}/projects", {"opt_fields": of["project"], **L}),
        (f"/workspaces/{ws}/projects", L), (f"/projects/{proj}", {}),
        (f"/projects/{proj}/sections", {"opt_fields": of["section"], **L}), (f"/sections/{sec}", {}),
        (f"/projects/{proj}/custom_field_settings", {"opt_fields": of["custom_field_setting"], **L}),
        ("/tasks", {"project": proj, "opt_fields": of["task"], **L}),
        ("/tasks", {"section": sec, "modified_since": "2020-01-01T00:00:00Z", **L}),
        ("/tasks", {"assignee": "me", "workspace": ws, "completed_since": "now", **L}),
        (f"/projects/{proj}/tasks", {"opt_fields": of["task"], **L}), (f"/sections/{sec}/tasks", L),
        (f"/tags/{tag}/tasks", L), (f"/tasks/{task}", {}), (f"/tasks/{task}", {"opt_fields": of["task"]}),
        (f"/tasks/{task}/subtasks", {"opt_fields": of["task"], **L}),
        (f"/tasks/{task}/stories", {"opt_fields": of["story"], **L}),
        (f"/tasks/{dep}/dependencies", {"opt_fields": of["task"]}), (f"/tasks/{dep}/dependents", {}),
        (f"/tasks/{task}/tags", {"opt_fields": of["tag"]}), (f"/tasks/{task}/projects", {}),
        ("/tags", {"workspace": ws, "opt_fields": of["tag"], **L}), (f"/workspaces/{ws}/tags", L),
        (f"/tags/{tag}", {}), (f"/workspaces/{ws}/custom_fields", {"opt_fields": of["custom_field"], **L}),
        (f"/custom_fields/{cf}", {}), ("/attachments", {"parent": att["parent"], "opt_fields": of["attachment"]}),
        (f"/attachments/{att['gid']}", {}),
        (f"/workspaces/{ws}/tasks/search", {"sort_by": "created_at", "opt_fields": of["task"], **L}),
        ("/events", {"resource": proj}),
    ]
    cases += [(f"/stories/{g}", {}) for g in story_kinds.values()]
    cases += _coverage_cases(sim, of, ws, team, proj, L)
    return cases


def _coverage_cases(sim, of, ws, team, proj, L):
    s = sim.store
    first = {k: next(iter(getattr(s, k))) for k in (
        "workspace_memberships", "project_memberships", "status_updates", "project_statuses", "project_briefs",
        "project_templates", "portfolio_memberships", "goal_relationships", "time_periods",
        "time_tracking_entries", "user_task_lists", "webhooks")}
    mine = [p for p in s.portfolios.values() if p["owner"] == s.me]
    pf = next(p["gid"] for p in mine if any(i in s.portfolios for i in p["items"]))
    goal = next(r["supporting_resource"] for r in s.goal_relationships.values() if r["resource_subtype"] == "subgoal")
    sup = next(r["supported_goal"] for r in s.goal_relationships.values())
    su_proj = next(u["parent"] for u in s.status_updates.values() if u["parent_type"] == "project")
    ps_proj = next(iter(s.project_statuses.values()))["project"]
    tte_task = next(iter(s.time_tracking_entries.values()))["task"]
    utl = first["user_task_lists"]
    return [
        (f"/workspaces/{ws}/workspace_memberships", {"opt_fields": of["workspace_membership"], **L}),
        (f"/workspaces/{ws}/workspace_memberships", L),
        (f"/users/{s.me}/workspace_memberships", {"opt_fields": of["workspace_membership"]}),
        ("/users/me/workspace_memberships", L),
        (f"/workspace_memberships/{first['workspace_memberships']}", {}),
        (f"/projects/{proj}/project_memberships", L),
        (f"/projects/{proj}/project_memberships", {"opt_fields": of["project_membership"], **L}),
        (f"/project_memberships/{first['project_memberships']}", {}),
        ("/status_updates", {"parent": su_proj, **L}),
        ("/status_updates", {"parent": su_proj, "opt_fields": of["status_update"], **L}),
        (f"/status_updates/{first['status_updates']}", {}),
        (f"/projects/{ps_proj}/project_statuses", {"opt_fields": of["project_status"], **L}),
        (f"/projects/{ps_proj}/project_statuses", L),
        (f"/project_statuses/{first['project_statuses']}", {}),
        (f"/project_briefs/{first['project_briefs']}", {}),
        (f"/projects/{s.project_briefs[first['project_briefs']]['project']}", {}),
        (f"/projects/{su_proj}", {"opt_fields": "current_status_update,current_status,project_brief.title"}),
        ("/project_templates", {"workspace": ws, **L}), ("/project_templates", {"team": team, **L}),
        (f"/teams/{team}/project_templates", {"opt_fields": of["project_template"], **L}),
        (f"/project_templates/{first['project_templates']}", {}),
        ("/portfolios", {"workspace": ws, "owner": "me", **L}),
        ("/portfolios", {"workspace": ws, "owner": s.me, "opt_fields": of["portfolio"], **L}),
        (f"/portfolios/{pf}", {}), (f"/portfolios/{pf}/items", L),
        (f"/portfolios/{pf}/items", {"opt_fields": "name,owner,workspace", **L}),
        ("/portfolio_memberships", {"portfolio": pf, **L}),
        (f"/portfolios/{pf}/portfolio_memberships", {"opt_fields": of["portfolio_membership"], **L}),
        (f"/portfolio_memberships/{first['portfolio_memberships']}", {}),
        (f"/portfolios/{pf}/custom_field_settings", {"opt_fields": of["custom_field_setting"], **L}),
        ("/goals", {"workspace": ws, **L}), ("/goals", {"workspace": ws, "opt_fields": of["goal"], **L}),
        ("/goals", {"team": team, **L}), (f"/goals/{goal}", {}), (f"/goals/{sup}", {}),
        (f"/goals/{goal}/parentGoals", {}),
        ("/goal_relationships", {"supported_goal": sup, **L}),
        ("/goal_relationships", {"supported_goal": sup, "opt_fields": of["goal_relationship"], **L}),
        (f"/goal_relationships/{first['goal_relationships']}", {}),
        ("/time_periods", {"workspace": ws, **L}), (f"/time_periods/{first['time_periods']}", {}),
        (f"/time_periods/{next(g for g, t in s.time_periods.items() if t['parent'])}", {}),
        ("/time_tracking_entries", {"workspace": ws, "entered_on_start_date": "2000-01-01", **L}),
        ("/time_tracking_entries", {"task": tte_task, "opt_fields": of["time_tracking_entry"], **L}),
        (f"/tasks/{tte_task}/time_tracking_entries", L),
        (f"/time_tracking_entries/{first['time_tracking_entries']}", {}),
        (f"/users/{s.me}/user_task_list", {"workspace": ws}), (f"/user_task_lists/{utl}", {}),
        (f"/user_task_lists/{utl}/tasks", L), ("/tasks", {"user_task_list": utl, **L}),
        ("/webhooks", {"workspace": ws, **L}), ("/webhooks", {"workspace": ws, "opt_fields": of["webhook"], **L}),
        (f"/webhooks/{first['webhooks']}", {}),
    ]


def test_every_get_endpoint_matches_spec(spec, sim):
    regexes = _route_regexes(spec)
    failures = []
    with client_for(sim) as c:
        cases = _cases(sim)
        # produce some events first so the events payload is not empty
        proj = cases[-len(cases)][0]
        for path, params in cases:
            if "opt_fields" in params:
                # every field the renderer knows that this operation's opt_fields enum allows
                op = sim.validator.operation("GET " + re.sub(r"/\d+", "/{gid}", path))
                params = {**params, "opt_fields": ",".join(
                    f for f in params["opt_fields"].split(",") if op.field_allowed(f))}
            r = c.get(path, params=params)
            if path == "/events":
                assert r.status_code == 412, r.text
                t = c.post("/tasks", json={"data": {"projects": [params["resource"]], "name": "spec check"}})
                c.put(f"/tasks/{t.json()['data']['gid']}", json={"data": {"completed": True}})
                c.post(f"/tasks/{t.json()['data']['gid']}/stories", json={"data": {"text": "hi"}})
                r2 = c.get(path, params={**params, "sync": r.json()["sync"]})
                assert r2.status_code == 200 and r2.json()["data"]
                tmpl, schema = _schema_for(spec, regexes, "GET", path, 200)
                failures += [f"GET {path} (events): {e}" for e in _validate(spec, schema, r2.json())]
            else:
                assert r.status_code == 200, (path, params, r.text)
            tmpl, schema = _schema_for(spec, regexes, "GET", path, r.status_code)
            assert schema is not None, f"no schema for GET {path} {r.status_code}"
            failures += [f"GET {path} {params.get('opt_fields', '')[:30]}: {e}" for e in _validate(spec, schema, r.json())]
    assert not failures, "\n".join(failures)


def test_errors_match_spec(spec, sim):
    regexes = _route_regexes(spec)
    with client_for(sim) as c:
        for path, params, status in [("/tasks", {}, 400), ("/tasks/1", {}, 404)]:
            r = c.get(path, params=params)
            assert r.status_code == status
            _, schema = _schema_for(spec, regexes, "GET", path, status)
            assert not _validate(spec, schema, r.json())


def test_writes_match_spec(spec, sim):
    regexes = _route_regexes(spec)
    s = sim.store
    proj = next(iter(s.projects))
    with client_for(sim) as c:
        r = c.post("/tasks", json={"data": {"projects": [proj], "name": "w", "assignee": s.me}})
        assert r.status_code == 201
        g = r.json()["data"]["gid"]
        checks = [("POST", "/tasks", r),
                  ("PUT", f"/tasks/{g}", c.put(f"/tasks/{g}", json={"data": {"name": "w2", "due_on": "2031-01-01"}})),
                  ("POST", f"/tasks/{g}/stories", c.post(f"/tasks/{g}/stories", json={"data": {"text": "c"}})),
                  ("POST", f"/tasks/{g}/subtasks", c.post(f"/tasks/{g}/subtasks", json={"data": {"name": "s"}})),
                  ("POST", f"/projects/{proj}/sections", c.post(f"/projects/{proj}/sections", json={"data": {"name": "N"}})),
                  ("POST", "/attachments", c.post("/attachments", json={"data": {
                      "parent": g, "name": "link", "url": "https://example.com/x", "resource_subtype": "external"}})),
                  ("POST", "/tags", c.post("/tags", json={"data": {"workspace": s.projects[proj]["workspace"],
                                                                  "name": "t"}})),
                  ("POST", "/projects", c.post("/projects", json={"data": {
                      "workspace": s.projects[proj]["workspace"], "team": s.projects[proj]["team"], "name": "P"}})),
                  ("PUT", f"/projects/{proj}", c.put(f"/projects/{proj}", json={"data": {"name": "P2", "archived": True}}))]
        for method, path, resp in checks:
            assert resp.status_code in (200, 201), resp.text
            _, schema = _schema_for(spec, regexes, method, path, resp.status_code)
            assert schema is not None, (method, path)
            assert not _validate(spec, schema, resp.json()), (method, path, _validate(spec, schema, resp.json()))
