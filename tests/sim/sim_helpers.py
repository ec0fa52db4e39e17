import httpx
from asana_sim import AsanaSimulator

AUTH = {"Authorization": "Bearer sim-token"}


def client_for(sim: AsanaSimulator) -> httpx.Client:
    return httpx.Client(transport=httpx.WSGITransport(app=sim.wsgi_app), base_url="http://sim.test/api/1.0",
                        headers=AUTH)


def org_gid(sim):
    return next(w["gid"] for w in sim.store.workspaces.values() if w["is_organization"])


def walk(client, path, params=None):
    """Follow next_page until the end; returns all items."""
    params = dict(params or {}, limit=params.get("limit", 100) if params else 100)
    out = []
    r = client.get(path, params=params)
    while True:
        assert r.status_code == 200, r.text
        body = r.json()
        out.extend(body["data"])
        if not body.get("next_page"):
            return out
        r = client.get(path, params={**params, "offset": body["next_page"]["offset"]})
