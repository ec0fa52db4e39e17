"""The simulator's HTTP behaviour: routing, auth, pagination, errors, rate limits and faults.

Everything goes through one synchronous core, `AsanaSimulator.handle()`, shared by the ASGI and WSGI
adapters so both transports behave identically.
"""
from __future__ import annotations

import asyncio
import base64
import bisect
import collections
import concurrent.futures
import hashlib
import hmac
import math
import os
import random
import threading
import time
from datetime import datetime, timezone
from typing import Any, Callable
from urllib.parse import parse_qs, quote, urlencode

import httpx
import orjson

from .config import SimConfig
from .generator import generate
from .render import Renderer, parse_opt_fields
from .rules import MSG_TASKS_FILTER
from .routes import ROUTES, Children, Deleted, Handler, Indexed, One
from .store import _PLURAL as _PL
from .store import BadInput, NotFound, Store, iso_ms
from .validate import Validator

HELP = "For more information on API status codes and how to handle them, read the docs on errors: https://developers.asana.com/docs/errors"
MSG_TOO_LARGE = "The result is too large. You should use pagination (may require specifying a workspace)!"
MSG_TRUNCATED = ("The result set was truncated because it is too large. Split the query along the object "
                 "hierarchy (workspace, team, project, section).")
MSG_RATE = "You've made too many requests and hit a rate limit. Please retry after the given amount of time."
MSG_SYNC = ("Sync token invalid or too old. If you are attempting to keep resources in sync, you must fetch the "
            "full dataset for this query now and use the new sync token for the next sync.")
_PHRASE_ADJ = ["sad", "happy", "brave", "sleepy", "fuzzy", "quiet", "shiny", "grumpy", "jolly", "wobbly"]
_PHRASE_NOUN = ["squid", "otters", "pandas", "llamas", "koalas", "ferrets", "walruses", "geckos", "ducks"]
_PHRASE_VERB = ["snuggle", "dance", "sing", "juggle", "wander", "giggle", "hop", "nap", "sneeze"]
_PHRASE_ADV = ["softly", "loudly", "happily", "slowly", "boldly", "gently", "wildly", "quietly"]
_NON_QUERY = frozenset(("offset", "limit", "opt_fields", "opt_pretty", "opt_expand"))
# Query parameters that narrow a listing in time or order it, rather than choosing what is listed.
_NOT_SELECTING = frozenset(("modified_since", "sync", "completed_since", "entered_on_start_date",
                            "entered_on_end_date", "sort_by", "sort_ascending", "created_at.after",
                            "modified_at.after"))


class ConnectionDropped(httpx.RemoteProtocolError):
    """Raised for the "drop" fault: the transport sees a connection closed without a response."""

    def __init__(self) -> None:
        super().__init__("Server disconnected without sending a response.")


MSG_APP_DISABLED = ("This workspace has disabled the app making the request: a 401 can mean that as well as a "
                    "missing or invalid token (errors reference, 401 Unauthorized).")


class ApiError(Exception):
    def __init__(self, status: int, message: str, headers: dict | None = None, extra: dict | None = None,
                 help: str | None = None):
        super().__init__(message)
        self.status, self.message, self.headers, self.extra = status, message, headers or {}, extra
        self.help = help


class Stats:
    """Request counters: total, per status code (0 = dropped connection) and per route template.

    `rejected` counts 400s of the strict validator per (route, message); `tolerated` the requests let through
    by `rules.KNOWN_SOURCE_VIOLATIONS` per (route, param, value); `ignored_params` the query parameters an
    operation does not declare (Asana ignores them) per (route, param).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.requests = 0
        self.by_status: dict[int, int] = collections.Counter()
        self.by_path_kind: dict[str, int] = collections.Counter()
        self.rejected: dict[tuple[str, str], int] = collections.Counter()
        self.tolerated: dict[tuple[str, str, str], int] = collections.Counter()
        self.ignored_params: dict[tuple[str, str], int] = collections.Counter()
        self.by_endpoint: dict[tuple[str, int], int] = collections.Counter()

    def note(self, counter: str, key: tuple) -> None:
        with self._lock:
            getattr(self, counter)[key] += 1

    def record(self, kind: str, status: int, endpoint: str | None = None) -> None:
        with self._lock:
            self.requests += 1
            self.by_status[status] += 1
            self.by_path_kind[kind] += 1
            self.by_endpoint[(endpoint or kind, status)] += 1

    def snapshot(self) -> dict:
        """JSON-ready counters: total, by status, and by endpoint (route template plus the names of the
        query parameters that select what is listed, e.g. ``GET /tasks?project``) and status."""
        with self._lock:
            return {"requests": self.requests, "by_status": {str(k): v for k, v in self.by_status.items()},
                    "by_endpoint": [[e, st, n] for (e, st), n in sorted(self.by_endpoint.items())]}


def endpoint_of(kind: str, query: dict) -> str:
    """``GET /tasks`` + ``{"project": ..., "opt_fields": ...}`` -> ``GET /tasks?project``: the route and the
    names of the parameters that choose what is listed (not paging, fields or incremental filters)."""
    names = sorted(k for k in query if k not in _NON_QUERY and k not in _NOT_SELECTING)
    return f"{kind}?{','.join(names)}" if names else kind


class Ctx:
    __slots__ = ("q", "body", "actor", "base", "path", "token")

    def __init__(self, q, body, actor, base, path, token):
        self.q, self.body, self.actor, self.base, self.path, self.token = q, body, actor, base, path, token


def _norm_time(value: str, param: str) -> str:
    try:
        v = value.strip()
        if len(v) == 10:
            dt = datetime.fromisoformat(v).replace(tzinfo=timezone.utc)
        else:
            dt = datetime.fromisoformat(v.replace("Z", "+00:00"))
            if dt.tzinfo is None:
                dt = dt.replace(tzinfo=timezone.utc)
        return iso_ms(int(dt.timestamp() * 1000))
    except ValueError:
        raise ApiError(400, f"{param}: Invalid date/time value: {value}") from None


class AsanaSimulator:
    """An Asana REST API server over generated data. See docs/CONTRACTS.md section 1."""

    def __init__(self, config: SimConfig | None = None, store: Store | None = None):
        self.config = config or SimConfig.small()
        self.store = store or generate(self.config)
        self.renderer = Renderer(self.store)
        self.stats = Stats()
        self._secret = hashlib.sha256(f"asana-sim-{self.config.seed}-{random.random()}".encode()).digest()
        self._token_generation = 0
        self._fault_rng = random.Random(self.config.fault_seed)
        self._phrase_rng = random.Random(self.config.fault_seed + 1)
        self._latency_rng = random.Random(self.config.fault_seed + 2)
        self._rl_lock = threading.Lock()
        self._windows: dict[str, collections.deque] = {}
        self._inflight: dict[str, int] = collections.Counter()
        self._executor: concurrent.futures.ThreadPoolExecutor | None = None
        self._routes: dict[tuple[str, int], list[tuple[tuple, Callable, str]]] = {}
        self._throttle_acc = 0.0
        self._forbidden = frozenset(self.config.forbidden)
        self._disabled = frozenset(self.config.disabled_workspaces)
        self.validator = Validator()
        self._register_routes()

    # ------------------------------------------------------------------ public helpers
    def expire_page_tokens(self) -> None:
        """Make every offset token issued so far answer `offset: Your pagination token has expired.`."""
        self._token_generation += 1

    @property
    def token(self) -> str:
        return self.config.tokens[0]

    # ------------------------------------------------------------------ core handler
    def handle(self, method: str, path: str, query: dict, headers: dict, body: bytes | None):
        """One request -> (status, headers, body bytes). Raises ConnectionDropped for the drop fault.

        With ``latency_s`` set, every answer takes its service time: a served GET waits it while it
        counts against the concurrency cap, a rejected one (429) waits it after giving its place back."""
        method = method.upper()
        h = {k.lower(): v for k, v in headers.items()} if headers else {}
        q = {k: (v[-1] if isinstance(v, list) else v) for k, v in (query or {}).items()}
        kind = "unknown"
        counted_inflight = None
        try:
            token = self._admit(method, h)
            counted_inflight = token if method == "GET" else None
            self._wait_service_time()
            if method == "GET":
                self._maybe_fault()
            route, params, kind = self._match(method, path)
            out = self._serve(route, params, kind, method, path, q, h, body, token)
        except ApiError as e:
            if counted_inflight is None and e.status == 429:
                self._wait_service_time()
            out = self._error(e)
        except NotFound as e:
            out = self._error(ApiError(404, str(e)))
        except BadInput as e:
            out = self._error(ApiError(400, str(e)))
        except _Html as e:
            out = (e.status, [("content-type", "text/html")], e.body)
        except ConnectionDropped:
            # No status ever reaches the client; dropped connections are counted under status 0.
            self.stats.record(kind, 0, endpoint_of(kind, q))
            raise
        finally:
            if counted_inflight is not None:
                with self._rl_lock:
                    self._inflight[counted_inflight] -= 1
        self.stats.record(kind, out[0], endpoint_of(kind, q))
        return out

    def _admit(self, method: str, h: dict) -> str:
        """Auth, the per-minute window, and for a GET a place among those in flight (released by
        ``handle``); raises the 401 or 429 a request gets at the door."""
        auth = h.get("authorization", "")
        token = auth[7:].strip() if auth[:7].lower() == "bearer " else None
        if token is None or token not in self.config.tokens:
            raise ApiError(401, "Not Authorized")
        self._rate_limit(token)
        if method != "GET":
            return token
        with self._rl_lock:
            refused = self._inflight[token] >= self.config.max_concurrent_gets
            if not refused and self.config.throttle_share:
                # a deterministic share of GETs: exactly every 1/share-th request, no randomness
                self._throttle_acc += self.config.throttle_share
                if self._throttle_acc >= 1.0:
                    self._throttle_acc -= 1.0
                    refused = True
            if refused:
                raise ApiError(429, MSG_RATE, {"Retry-After": str(self.config.retry_after_s)})
            self._inflight[token] += 1
        return token

    def _wait_service_time(self) -> None:
        """The time an answer takes (``latency_s``; lognormal around it with ``latency_sigma``)."""
        cfg = self.config
        if cfg.latency_s <= 0:
            return
        if cfg.latency_sigma > 0:
            with self._rl_lock:
                seconds = cfg.latency_s * math.exp(cfg.latency_sigma * self._latency_rng.gauss(0.0, 1.0))
        else:
            seconds = cfg.latency_s
        time.sleep(min(seconds, 30.0))

    def _serve(self, route: Callable, params: list, kind: str, method: str, path: str, q: dict, h: dict,
               body: bytes | None, token: str):
        """Check access and parameters, run the route's handler: the answer."""
        if self._forbidden or self._disabled:
            self._access(params, q)
        if method == "GET":
            q = self._validate(kind, q)
        body_obj = None
        if body:
            try:
                body_obj = orjson.loads(body)
            except orjson.JSONDecodeError:
                raise ApiError(400, "Could not parse request data, invalid JSON") from None
        ctx = Ctx(q, body_obj, self.store.me, self._base(h), path, token)
        if method == "GET":
            status, payload = route(ctx, *params)
        else:
            with self.store.lock:
                status, payload = route(ctx, *params)
        opts = orjson.OPT_INDENT_2 if q.get("opt_pretty") in ("true", "1", "") and "opt_pretty" in q else 0
        return status, [("content-type", "application/json; charset=UTF-8")], orjson.dumps(payload, option=opts)

    def _error(self, e: ApiError):
        err: dict[str, Any] = {"message": e.message, "help": e.help or HELP}
        if e.status >= 500:
            err["phrase"] = self._phrase()
        payload: dict[str, Any] = {"errors": [err]}
        if e.extra:
            payload.update(e.extra)
        hdrs = [("content-type", "application/json; charset=UTF-8")] + list(e.headers.items())
        return e.status, hdrs, orjson.dumps(payload)

    def _phrase(self) -> str:
        r = self._phrase_rng
        return f"{r.randint(2, 30)} {r.choice(_PHRASE_ADJ)} {r.choice(_PHRASE_NOUN)} {r.choice(_PHRASE_VERB)} {r.choice(_PHRASE_ADV)}"

    def _base(self, h: dict) -> str:
        host = h.get("host")
        return f"http://{host}/api/1.0" if host else "https://app.asana.com/api/1.0"

    def _validate(self, kind: str, q: dict) -> dict:
        """Drop the query parameters the operation does not declare (Asana ignores them); in strict mode
        answer the first violation of the spec table or the prose rules with a 400."""
        v = self.validator
        undeclared = v.undeclared(kind, q)
        if undeclared:
            for k in undeclared:
                self.stats.note("ignored_params", (kind, k))
                self._log_request("ignored", kind, q, f"{k}: not a parameter of this operation (ignored)")
            q = {k: x for k, x in q.items() if k not in undeclared}
        if self.config.strict:
            for viol in v.check(kind, q):
                if v.tolerated(kind, viol):
                    self.stats.note("tolerated", (kind, viol.param, viol.value))
                    self._log_request("tolerated", kind, q, viol.message)
                    continue
                self.stats.note("rejected", (kind, viol.message))
                self._log_request("rejected", kind, q, viol.message)
                raise ApiError(400, viol.message)
        return q

    def _log_request(self, what: str, kind: str, q: dict, message: str) -> None:
        """With ASANA_SIM_REQUEST_LOG=<file>, append one JSON line per rejected, tolerated or ignored-parameter
        request: what a client sent that real Asana would refuse or ignore."""
        path = os.environ.get("ASANA_SIM_REQUEST_LOG")
        if not path:
            return
        line = orjson.dumps({"what": what, "route": kind, "query": {k: v for k, v in q.items() if k != "offset"},
                             "message": message}) + b"\n"
        with self._rl_lock, open(path, "ab") as f:
            f.write(line)

    _REF_KINDS = ("workspace", "team", "project", "section", "task", "tag", "portfolio", "custom_field", "goal",
                  "user_task_list")

    def _workspace_of(self, gid: str) -> str | None:
        s = self.store
        if gid in s.workspaces:
            return gid
        for kind in self._REF_KINDS[1:]:
            rec = getattr(s, _PL[kind]).get(gid)
            if rec is not None:
                if kind == "team":
                    return rec["organization"]
                if kind == "section":
                    p = s.projects.get(rec["project"])
                    return p["workspace"] if p else None
                return rec.get("workspace")
        return None

    def _access(self, path_params: list, q: dict) -> None:
        """403 for the objects of `SimConfig.forbidden` (and a forbidden project's sections); 401 for anything
        in a workspace of `SimConfig.disabled_workspaces` (the workspace disabled the app)."""
        gids = list(path_params)
        for k, v in q.items():
            if k not in _NON_QUERY and v:
                gids += [x for x in v.split(",") if x.isdigit()]
        s = self.store
        for g in gids:
            if self._disabled and self._workspace_of(g) in self._disabled:
                raise ApiError(401, "Not Authorized", help=MSG_APP_DISABLED)
            if self._forbidden:
                target = g
                if g not in self._forbidden and g in s.sections:
                    target = s.sections[g]["project"]  # a forbidden project's sections are forbidden too
                if target in self._forbidden:
                    kind = s.kind_of(target) or "object"
                    raise ApiError(403, f"Forbidden: the authenticated user cannot access this {kind} ({target}).")

    def _rate_limit(self, token: str) -> None:
        rpm = self.config.rate_limit_rpm
        if not rpm:
            return
        now = time.monotonic()
        with self._rl_lock:
            w = self._windows.setdefault(token, collections.deque())
            while w and w[0] <= now - 60.0:
                w.popleft()
            w.append(now)  # rejected requests count too
            if len(w) > rpm:
                retry = max(1, math.ceil(w[len(w) - rpm - 1] + 60.0 - now))
                raise ApiError(429, MSG_RATE, {"Retry-After": str(retry)})

    def _maybe_fault(self) -> None:
        cfg = self.config
        if cfg.fault_rates:
            # one draw per GET; each kind owns a slice of [0, 1) as wide as its rate
            with self._rl_lock:
                x = self._fault_rng.random()
                kind = None
                for k, rate in cfg.fault_rates.items():
                    if x < rate:
                        kind = k
                        break
                    x -= rate
                if kind is None:
                    return
                html = self._fault_rng.random() < 0.5
            return self._fault(kind, html)
        if not cfg.fault_rate or not cfg.fault_kinds:
            return
        with self._rl_lock:
            if self._fault_rng.random() >= cfg.fault_rate:
                return
            kind = self._fault_rng.choice(cfg.fault_kinds)
            html = self._fault_rng.random() < 0.5
        return self._fault(kind, html)

    def _fault(self, kind: str, html: bool) -> None:
        cfg = self.config
        if kind == "500":
            raise ApiError(500, "Server Error")
        if kind in ("502", "503", "504"):
            status = int(kind)
            if html:
                raise _Html(status, f"<html><head><title>{status}</title></head><body><h1>{status} "
                                    f"{'Bad Gateway' if status == 502 else 'Service Unavailable' if status == 503 else 'Gateway Timeout'}"
                                    "</h1></body></html>".encode())
            raise ApiError(status, {502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}[status])
        if kind == "drop":
            raise ConnectionDropped()
        if kind == "slow":
            time.sleep(cfg.slow_s)
            return
        if kind == "429":
            raise ApiError(429, MSG_RATE, {"Retry-After": str(cfg.retry_after_s)})

    # ------------------------------------------------------------------ routing
    def _route(self, method: str, template: str, fn: Callable) -> None:
        parts = tuple(template.strip("/").split("/"))
        self._routes.setdefault((method, len(parts)), []).append((parts, fn, f"{method} {template}"))

    def _match(self, method: str, path: str):
        if path.startswith("/api/1.0"):
            path = path[8:]
        parts = path.strip("/").split("/")
        for tmpl, fn, kind in self._routes.get((method, len(parts)), ()):
            params = []
            for t, p in zip(tmpl, parts):
                if t[0] == "{":
                    if not p:
                        break
                    params.append(p)
                elif t != p:
                    break
            else:
                return fn, params, kind
        raise ApiError(404, f"No matching route for request: {method} /api/1.0/{'/'.join(parts)}")

    def _register_routes(self) -> None:
        for method, template, handler in ROUTES:
            self._route(method, template, self._handler(handler))

    def _handler(self, spec: Handler) -> Callable:
        """What answers a route of routes.ROUTES: a method of this class by name, or one made from a spec."""
        s = self.store
        if isinstance(spec, str):
            return getattr(self, spec)
        if isinstance(spec, One):
            return lambda c, g: self._one(c, spec.kind, g)
        if isinstance(spec, Indexed):
            # task and project listings take their filters (completed_since / modified_since, archived)
            listing = {"task": self._tasks_in, "project": self._projects_in}.get(spec.kind)
            if listing is not None:
                return lambda c, g: listing(c, self._ix(getattr(s, spec.index), spec.parent_kind, g))
            return lambda c, g: self._list(c, spec.kind, self._ix(getattr(s, spec.index), spec.parent_kind, g))
        if isinstance(spec, Children):
            return self._children_handler(spec)
        if isinstance(spec, Deleted):
            return lambda c, g: self._done(getattr(s, spec.store_method)(g, c.actor))
        raise TypeError(f"not a route handler: {spec!r}")

    def _children_handler(self, spec: Children) -> Callable:
        s = self.store

        def handler(c: Ctx, g: str):
            if spec.parent_kind == "user":
                g = c.actor if g == "me" else g
            s.get(spec.parent_kind, g)
            return self._list(c, spec.kind, s.select(spec.kind, lambda o: o[spec.field] == g))
        return handler

    # ------------------------------------------------------------------ full-coverage read handlers
    def _need(self, c: Ctx, name: str) -> str:
        v = c.q.get(name)
        if not v:
            raise ApiError(400, f"{name}: Missing input")
        return v

    def _status_updates(self, c: Ctx):
        s = self.store
        parent = self._need(c, "parent")
        if s.kind_of(parent) not in ("project", "portfolio", "goal"):
            raise NotFound("parent", parent)
        since = _norm_time(c.q["created_since"], "created_since") if c.q.get("created_since") else None
        return self._list(c, "status_update", s.select(
            "status_update", lambda o: o["parent"] == parent and (since is None or o["created_at"] >= since)))

    def _project_templates(self, c: Ctx):
        s = self.store
        team, ws = c.q.get("team"), c.q.get("workspace")
        if team:
            s.get("team", team)
            return self._list(c, "project_template", s.select("project_template", lambda o: o["team"] == team))
        if ws:
            s.get("workspace", ws)
            return self._list(c, "project_template", s.select("project_template", lambda o: o["workspace"] == ws))
        raise ApiError(400, "workspace: Missing input")

    def _portfolios(self, c: Ctx):
        s = self.store
        ws = self._need(c, "workspace")
        # owner is optional (spec getPortfolios): a personal token lists the portfolios it owns
        owner = c.q.get("owner") or "me"
        owner = c.actor if owner == "me" else owner
        s.get("workspace", ws)
        s.get("user", owner)
        return self._list(c, "portfolio", s.select("portfolio", lambda o: o["workspace"] == ws and o["owner"] == owner))

    def _portfolio_items(self, c: Ctx, g: str):
        s = self.store
        items = [i for i in s.get("portfolio", g)["items"] if s.kind_of(i) in ("project", "portfolio")]
        recs = {i: s.projects.get(i) or s.portfolios[i] for i in items}
        return self._list(c, "portfolio_item", self._seq_of(items), records=recs,
                          kind_of=lambda i: "project" if i in s.projects else "portfolio")

    def _portfolio_memberships(self, c: Ctx):
        s = self.store
        pf, ws, user = c.q.get("portfolio"), c.q.get("workspace"), c.q.get("user")
        if pf:
            s.get("portfolio", pf)
            u = (c.actor if user == "me" else user) if user else None
            return self._list(c, "portfolio_membership", s.select(
                "portfolio_membership", lambda o: o["portfolio"] == pf and (u is None or o["user"] == u)))
        if ws and user:
            u = c.actor if user == "me" else user
            return self._list(c, "portfolio_membership", s.select(
                "portfolio_membership", lambda o: o["user"] == u and s.portfolios[o["portfolio"]]["workspace"] == ws))
        raise ApiError(400, "portfolio: Missing input")

    def _portfolio_cf_settings(self, c: Ctx, g: str):
        p = self.store.get("portfolio", g)
        gids = [self.store.cfs_gid[(g, cf)] for cf in p["custom_field_settings"]]
        return self._list(c, "custom_field_setting", self._seq_of(gids), records={})

    def _goals(self, c: Ctx):
        s, q = self.store, c.q
        preds = []
        if q.get("workspace"):
            s.get("workspace", q["workspace"])
            preds.append(lambda o: o["workspace"] == q["workspace"])
        if q.get("team"):
            s.get("team", q["team"])
            preds.append(lambda o: o["team"] == q["team"])
        if q.get("portfolio") or q.get("project"):
            res = q.get("portfolio") or q.get("project")
            supported = {r["supported_goal"] for r in s.goal_relationships.values() if r["supporting_resource"] == res}
            preds.append(lambda o: o["gid"] in supported)
        if not preds:
            raise ApiError(400, "workspace: Missing input")
        if q.get("time_periods"):
            tps = set(q["time_periods"].split(","))
            preds.append(lambda o: o["time_period"] in tps)
        if q.get("is_workspace_level") in ("true", "false"):
            want = q["is_workspace_level"] == "true"
            preds.append(lambda o: o["is_workspace_level"] == want)
        return self._list(c, "goal", s.select("goal", lambda o: all(p(o) for p in preds)))

    def _parent_goals(self, c: Ctx, g: str):
        s = self.store
        s.get("goal", g)
        parents = list(dict.fromkeys(r["supported_goal"] for r in s.goal_relationships.values()
                                     if r["supporting_resource"] == g and r["supported_goal"] in s.goals))
        tree = self._tree(c)
        return 200, {"data": [self.renderer.render("goal", s.goals[p], tree) for p in parents]}

    def _goal_relationships(self, c: Ctx):
        s = self.store
        goal = self._need(c, "supported_goal")
        s.get("goal", goal)
        sub = c.q.get("resource_subtype")
        return self._list(c, "goal_relationship", s.select(
            "goal_relationship", lambda o: o["supported_goal"] == goal and (not sub or o["resource_subtype"] == sub)))

    def _time_periods(self, c: Ctx):
        s = self.store
        ws = self._need(c, "workspace")
        s.get("workspace", ws)
        start, end = c.q.get("start_on"), c.q.get("end_on")
        return self._list(c, "time_period", s.select(
            "time_period", lambda o: o["workspace"] == ws and (not start or o["start_on"] >= start)
            and (not end or o["end_on"] <= end)))

    def _time_tracking_entries(self, c: Ctx):
        s, q = self.store, c.q
        preds = []
        if q.get("task"):
            s.get("task", q["task"])
            preds.append(lambda o: o["task"] == q["task"])
        if q.get("attributable_to"):
            preds.append(lambda o: o["attributable_to"] == q["attributable_to"])
        if q.get("workspace"):
            # the entered_on date rule is rules.py's (time-tracking-workspace-dates)
            s.get("workspace", q["workspace"])
            preds.append(lambda o: o["task"] in s.tasks and s.tasks[o["task"]]["workspace"] == q["workspace"])
        if q.get("portfolio"):
            items = set(s.get("portfolio", q["portfolio"])["items"])
            preds.append(lambda o: o["attributable_to"] in items)
        if q.get("user"):
            u = c.actor if q["user"] == "me" else q["user"]
            preds.append(lambda o: o["created_by"] == u)
        if not preds:
            raise ApiError(400, "task: Missing input")
        a, b = q.get("entered_on_start_date"), q.get("entered_on_end_date")
        if a:
            preds.append(lambda o: o["entered_on"] >= a)
        if b:
            preds.append(lambda o: o["entered_on"] <= b)
        return self._list(c, "time_tracking_entry", s.select("time_tracking_entry", lambda o: all(p(o) for p in preds)))

    def _user_task_list(self, c: Ctx, g: str):
        s = self.store
        u = s.get("user", c.actor if g == "me" else g)["gid"]
        ws = self._need(c, "workspace")
        s.get("workspace", ws)
        utl = s.user_task_list_of(u, ws)
        if utl is None:
            raise NotFound("user_task_list", f"{u}/{ws}")
        return self._one(c, "user_task_list", utl)

    def _utl_tasks(self, g: str):
        utl = self.store.get("user_task_list", g)
        return self.store.ix_assignee_tasks.get(f"{utl['owner']}/{utl['workspace']}") or self._seq_of([])

    def _user_task_list_tasks(self, c: Ctx, g: str):
        return self._tasks_in(c, self._utl_tasks(g))

    def _webhooks(self, c: Ctx):
        s = self.store
        ws = self._need(c, "workspace")
        s.get("workspace", ws)
        res = c.q.get("resource")
        return self._list(c, "webhook", s.select(
            "webhook", lambda o: o["workspace"] == ws and (not res or o["resource"] == res)))

    # ------------------------------------------------------------------ full-coverage writes
    def _create_project(self, c: Ctx):
        d = self._data(c)
        p = self.store.create_project(d, c.actor)
        return 201, {"data": self.renderer.render("project", p, self._tree(c), full=True)}

    def _update_project(self, c: Ctx, g: str):
        p = self.store.update_project(g, self._data(c), c.actor)
        return 200, {"data": self.renderer.render("project", p, self._tree(c), full=True)}

    def _create_tag(self, c: Ctx, g: str | None = None):
        d = dict(self._data(c))
        if g:
            d["workspace"] = g
        t = self.store.create_tag(d)
        return 201, {"data": self.renderer.render("tag", t, self._tree(c), full=True)}

    def _create_attachment(self, c: Ctx):
        d = self._data(c) or (c.body if isinstance(c.body, dict) else {})
        a = self.store.create_attachment(d, c.actor)
        return 200, {"data": self.renderer.render("attachment", a, self._tree(c), full=True)}

    # ------------------------------------------------------------------ read handlers
    def _ix(self, index: dict, kind: str, gid: str):
        seq = index.get(gid)
        if seq is None:
            self.store.get(kind, gid)  # raises 404 for unknown parents
            from .store import Seq
            return Seq()
        if kind in ("task", "project", "section", "tag", "team", "workspace") and \
                gid not in getattr(self.store, _PL[kind]):
            raise NotFound(kind, gid)
        return seq

    @staticmethod
    def _seq_of(gids):
        from .store import Seq
        return Seq.of(gids)

    def _tree(self, c: Ctx):
        of = c.q.get("opt_fields")
        return parse_opt_fields(of) if of else None

    def _one(self, c: Ctx, kind: str, gid: str):
        rec = self.store.get(kind, gid)
        return 200, {"data": self.renderer.render(kind, rec, self._tree(c), full=True)}

    def _limit(self, c: Ctx):
        raw = c.q.get("limit")
        if raw is None:
            return None
        try:
            n = int(raw)
        except ValueError:
            raise ApiError(400, f"limit: Not a valid integer: {raw}") from None
        if not 1 <= n <= 100:
            raise ApiError(400, f"limit: Must be between 1 and 100 inclusive, got {n}")
        return n

    def _fingerprint(self, c: Ctx) -> str:
        items = sorted((k, v) for k, v in c.q.items() if k not in _NON_QUERY)
        return hashlib.blake2s(repr((c.path.rstrip("/"), items)).encode(), digest_size=8).hexdigest()

    def _sign(self, payload: bytes) -> str:
        return base64.urlsafe_b64encode(hmac.new(self._secret, payload, hashlib.sha256).digest()[:16]).decode().rstrip("=")

    def _issue(self, c: Ctx, key: int, served: int) -> str:
        p = orjson.dumps({"k": key, "n": served, "f": self._fingerprint(c), "t": int(time.time()),
                          "g": self._token_generation})
        b = base64.urlsafe_b64encode(p).decode().rstrip("=")
        return f"{b}.{self._sign(p)}"

    def _decode(self, c: Ctx, token: str) -> tuple[int, int]:
        try:
            b, sig = token.split(".", 1)
            p = base64.urlsafe_b64decode(b + "=" * (-len(b) % 4))
            ok = hmac.compare_digest(sig, self._sign(p))
            d = orjson.loads(p) if ok else None
        except Exception:
            d = None
        if not d or d.get("f") != self._fingerprint(c):
            raise ApiError(400, "offset: Invalid offset token. It may have been issued for a different query.")
        if d["g"] != self._token_generation or time.time() - d["t"] > self.config.page_token_ttl_s:
            raise ApiError(400, "offset: Your pagination token has expired.")
        return d["k"], d["n"]

    def _list(self, c: Ctx, kind: str, seq, pred: Callable[[dict], bool] | None = None,
              records: dict | None = None, kind_of: Callable[[str], str] | None = None):
        """Page through `seq` (optionally filtered by `pred` over records)."""
        limit = self._limit(c)
        offset = c.q.get("offset")
        last_key, served = self._decode(c, offset) if offset else (None, 0)
        recs = records if records is not None else getattr(self.store, _PL[kind]) if kind in _PL else None
        keys, gids = seq.keys, seq.gids
        start = bisect.bisect_right(keys, last_key) if last_key is not None else 0
        if limit is None:
            if pred is None:
                page = gids[start:]
            else:
                page = [g for g in gids[start:] if pred(recs[g])]
            if len(page) > self.config.unpaginated_cap:
                raise ApiError(400, MSG_TOO_LARGE)
            more = False
            end_key = None
        elif pred is None:
            page = gids[start:start + limit]
            more = start + limit < len(gids)
            end_key = keys[start + len(page) - 1] if page else None
        else:
            page, end_key, more = [], None, False
            n = len(gids)
            i = start
            while i < n:
                g = gids[i]
                if pred(recs[g]):
                    if len(page) == limit:
                        more = True
                        break
                    page.append(g)
                    end_key = keys[i]
                i += 1
        if served + len(page) > self.config.truncation_cap:
            raise ApiError(400, MSG_TRUNCATED)
        render = self.renderer.render
        tree = self._tree(c)
        if kind == "custom_field_setting":
            data = [render(kind, self.renderer.cfs_record(g), tree) for g in page]
        elif kind_of is not None:
            data = [render(kind_of(g), recs[g], tree) for g in page]
        else:
            data = [render(kind, recs[g], tree) for g in page]
        out: dict[str, Any] = {"data": data}
        if limit is not None:
            out["next_page"] = self._next_page(c, end_key, served + len(page)) if more else None
        return 200, out

    def _next_page(self, c: Ctx, key: int, served: int) -> dict:
        tok = self._issue(c, key, served)
        q = [(k, v) for k, v in c.q.items() if k != "offset"] + [("offset", tok)]
        path = c.path[8:] if c.path.startswith("/api/1.0") else c.path
        rel = f"{path}?{urlencode(q, quote_via=quote)}"
        return {"offset": tok, "path": rel, "uri": c.base + rel}

    def _get_me(self, c: Ctx):
        return self._one(c, "user", c.actor)

    def _get_user(self, c: Ctx, g: str):
        return self._one(c, "user", c.actor if g == "me" else g)

    def _get_workspaces(self, c: Ctx):
        return self._list(c, "workspace", self.store.ix_workspaces)

    def _get_users(self, c: Ctx):
        """GET /users: `workspace` and `team` are optional (spec getUsers); without them every user of every
        workspace the token sees, sorted by gid."""
        ws = c.q.get("workspace")
        if c.q.get("team"):
            return self._team_users(c, c.q["team"])
        if not ws:
            s = self.store
            return self._list(c, "user", self._seq_of(sorted(s.users, key=int)))
        return self._list(c, "user", self._ix(self.store.ix_ws_users, "workspace", ws))

    def _name_sorted_users(self, c: Ctx, scope: str, gids_fn):
        order = self.store.users_by_name(scope, gids_fn)[: self.config.users_list_cap]
        offset = c.q.get("offset")
        start = 0
        if offset:
            start, _ = self._decode(c, offset)
        tree = self._tree(c)
        users = self.store.users
        return 200, {"data": [self.renderer.render("user", users[g], tree) for g in order[start:]]}

    def _ws_users(self, c: Ctx, g: str):
        self.store.get("workspace", g)
        return self._name_sorted_users(c, f"ws:{g}", lambda: list(self.store.ix_ws_users.get(g, ())))

    def _team_users(self, c: Ctx, g: str):
        self.store.get("team", g)
        return self._name_sorted_users(c, f"team:{g}", lambda: self.store.team_users(g))

    def _user_teams(self, c: Ctx, g: str):
        s = self.store
        u = s.get("user", c.actor if g == "me" else g)
        ws = c.q.get("organization")  # required by the spec (getTeamsForUser)
        if not ws:
            raise ApiError(400, "organization: Missing input")
        teams = [s.team_memberships[m]["team"] for m in s.ix_user_team_memberships.get(u["gid"], ())]
        return self._list(c, "team", self._seq_of([t for t in teams if s.teams[t]["organization"] == ws]))

    def _user_team_memberships(self, c: Ctx, g: str):
        s = self.store
        u = s.get("user", c.actor if g == "me" else g)
        ws = c.q.get("workspace")  # required by the spec (getTeamMembershipsForUser)
        seq = self._ix(s.ix_user_team_memberships, "user", u["gid"])
        if not ws:
            return self._list(c, "team_membership", seq)
        s.get("workspace", ws)
        return self._list(c, "team_membership", seq, pred=lambda m: s.teams[m["team"]]["organization"] == ws)

    def _team_memberships(self, c: Ctx):
        s = self.store
        team, user, ws = c.q.get("team"), c.q.get("user"), c.q.get("workspace")
        if team:
            return self._list(c, "team_membership", self._ix(s.ix_team_memberships, "team", team))
        if user and ws:
            u = s.get("user", c.actor if user == "me" else user)
            s.get("workspace", ws)
            return self._list(c, "team_membership", s.ix_user_team_memberships.get(u["gid"]) or self._seq_of([]),
                              pred=lambda m: s.teams[m["team"]]["organization"] == ws)
        raise ApiError(400, "Must specify either team or user and workspace")

    def _archived_pred(self, c: Ctx):
        a = c.q.get("archived")
        if a is None:
            return None
        want = a.lower() == "true"
        return lambda p: p["archived"] == want

    def _projects(self, c: Ctx):
        s = self.store
        team, ws = c.q.get("team"), c.q.get("workspace")
        if team:
            seq = self._ix(s.ix_team_projects, "team", team)
        elif ws:
            seq = self._ix(s.ix_ws_projects, "workspace", ws)
        elif c.q.get("archived") is not None:
            seq = self._seq_of(list(s.projects))
        else:
            raise ApiError(400, "workspace: Missing input")
        return self._projects_in(c, seq)

    def _projects_in(self, c: Ctx, seq):
        return self._list(c, "project", seq, self._archived_pred(c))

    def _cf_settings(self, c: Ctx, g: str):
        p = self.store.get("project", g)
        gids = [self.store.cfs_gid[(g, cf)] for cf in p["custom_field_settings"]]
        return self._list(c, "custom_field_setting", self._seq_of(gids), records={})

    def _task_pred(self, c: Ctx):
        cs, ms = c.q.get("completed_since"), c.q.get("modified_since")
        preds = []
        if cs:
            if cs == "now":
                preds.append(lambda t: not t["completed"])
            else:
                since = _norm_time(cs, "completed_since")
                preds.append(lambda t: not t["completed"] or (t["completed_at"] or "") >= since)
        if ms:
            # Only GET /tasks declares modified_since (elsewhere the validator drops it, as Asana ignores it).
            # Association changes (project/section membership, tags, parent, followers) count as
            # modifications here although they leave the task's modified_at field alone.
            since_m = _norm_time(ms, "modified_since")
            assoc = self.store.assoc_modified_at
            preds.append(lambda t: t["modified_at"] >= since_m or assoc.get(t["gid"], "") >= since_m)
        if not preds:
            return None
        if len(preds) == 1:
            return preds[0]
        a, b = preds
        return lambda t: a(t) and b(t)

    def _tasks_in(self, c: Ctx, seq):
        return self._list(c, "task", seq, self._task_pred(c))

    def _get_tasks(self, c: Ctx):
        s, q = self.store, c.q
        assignee, ws = q.get("assignee"), q.get("workspace")
        # The exactly-one rule is rules.py's (tasks-exactly-one-filter); lenient mode takes the first filter.
        chosen = [k for k in ("project", "tag", "section", "user_task_list") if q.get(k)]
        if assignee and ws:
            chosen.append("assignee")
        if not chosen:
            raise ApiError(400, MSG_TASKS_FILTER)
        k = chosen[0]
        if k == "project":
            seq = self._ix(s.ix_project_tasks, "project", q["project"])
        elif k == "section":
            seq = self._ix(s.ix_section_tasks, "section", q["section"])
        elif k == "tag":
            seq = self._ix(s.ix_tag_tasks, "tag", q["tag"])
        elif k == "user_task_list":
            seq = self._utl_tasks(q["user_task_list"])
        else:
            user = s.get("user", c.actor if assignee == "me" else assignee)
            s.get("workspace", ws)
            seq = s.ix_assignee_tasks.get(f"{user['gid']}/{ws}") or self._seq_of([])
        return self._tasks_in(c, seq)

    def _dependencies(self, c: Ctx, g: str):
        t = self.store.get("task", g)
        return self._list(c, "task", self._seq_of([d for d in t["dependencies"] if d in self.store.tasks]))

    def _dependents(self, c: Ctx, g: str):
        self.store.get("task", g)
        return self._list(c, "task", self._seq_of(self.store.dependents_of(g)))

    def _task_tags(self, c: Ctx, g: str):
        return self._list(c, "tag", self._seq_of(self.store.get("task", g)["tags"]))

    def _task_projects(self, c: Ctx, g: str):
        s = self.store
        return self._list(c, "project", self._seq_of(s.projects_of(s.get("task", g)["gid"])))

    def _get_tags(self, c: Ctx):
        ws = c.q.get("workspace")
        if not ws:
            raise ApiError(400, "workspace: Missing input")
        return self._list(c, "tag", self._ix(self.store.ix_ws_tags, "workspace", ws))

    def _get_attachments(self, c: Ctx):
        parent = c.q.get("parent")
        if not parent:
            raise ApiError(400, "parent: Missing input")
        s = self.store
        if parent in s.projects or parent in s.project_briefs:
            # spec: parent is a project, project_brief or task; generated projects have no key resources
            return self._list(c, "attachment", self._seq_of([]))
        return self._list(c, "attachment", self._ix(s.ix_task_attachments, "task", parent))

    def _search(self, c: Ctx, g: str):
        s, q = self.store, c.q
        s.get("workspace", g)
        if not self.config.premium:
            raise ApiError(402, "Search is only available to premium users.", extra={"premium": False})
        limit = self._limit(c) or 100
        preds = []
        for param, field, op in (("created_at.after", "created_at", ">"), ("created_at.before", "created_at", "<"),
                                 ("modified_at.after", "modified_at", ">"), ("modified_at.before", "modified_at", "<"),
                                 ("completed_at.after", "completed_at", ">"),
                                 ("completed_at.before", "completed_at", "<")):
            if q.get(param):
                v = _norm_time(q[param], param)
                if op == ">":
                    preds.append(lambda t, f=field, v=v: t[f] is not None and t[f] > v)
                else:
                    preds.append(lambda t, f=field, v=v: t[f] is not None and t[f] < v)
        if q.get("projects.any"):
            ps = set(q["projects.any"].split(","))
            preds.append(lambda t: any(m["project"] in ps for m in t["memberships"]))
        if q.get("sections.any"):
            ss = set(q["sections.any"].split(","))
            preds.append(lambda t: any(m["section"] in ss for m in t["memberships"]))
        if q.get("is_subtask") in ("true", "false"):
            want = q["is_subtask"] == "true"
            preds.append(lambda t: (t["parent"] is not None) == want)
        if q.get("completed") in ("true", "false"):
            want_c = q["completed"] == "true"
            preds.append(lambda t: t["completed"] == want_c)
        if q.get("assignee.any"):
            us = set(q["assignee.any"].split(","))
            preds.append(lambda t: t["assignee"] in us)
        if q.get("resource_subtype"):
            sub = q["resource_subtype"]
            preds.append(lambda t: t["resource_subtype"] == sub)
        preds += self._custom_field_preds(q)
        sort_by = q.get("sort_by", "modified_at")
        if sort_by not in ("created_at", "modified_at", "completed_at", "due_date", "likes"):
            raise ApiError(400, f"sort_by: Invalid value: {sort_by}")
        field = {"due_date": "due_on", "likes": "num_likes"}.get(sort_by, sort_by)
        asc = q.get("sort_ascending", "false") == "true"
        tasks = s.tasks
        hits = [tasks[x] for x in s.ix_ws_tasks.get(g, ()) if all(p(tasks[x]) for p in preds)]
        hits.sort(key=lambda t: (t[field] is None, t[field] or "", t["gid"]) if field != "num_likes"
                  else (False, t[field], t["gid"]), reverse=not asc)
        tree = self._tree(c)
        return 200, {"data": [self.renderer.render("task", t, tree) for t in hits[:limit]]}

    def _custom_field_preds(self, q: dict) -> list:
        """Search's `custom_fields.{gid}.<op>` filters (spec searchTasksForWorkspace, custom field parameters)."""
        preds = []
        for k, v in q.items():
            if not k.startswith("custom_fields."):
                continue
            _, cf, op = k.split(".", 2)

            def val(t, cf=cf):
                return t["custom_field_values"].get(cf)
            if op == "is_set":
                want = v == "true"
                preds.append(lambda t, val=val, want=want: (val(t) not in (None, [], "")) == want)
            elif op == "value":
                try:
                    fv = float(v)
                except ValueError:
                    fv = None
                preds.append(lambda t, val=val, v=v, fv=fv: val(t) is not None and
                             (str(val(t)) == v or (isinstance(val(t), float) and val(t) == fv)))
            elif op in ("starts_with", "ends_with", "contains"):
                fn = {"starts_with": str.startswith, "ends_with": str.endswith, "contains": str.__contains__}[op]
                preds.append(lambda t, val=val, v=v, fn=fn: isinstance(val(t), str) and fn(val(t), v))
            elif op in ("less_than", "greater_than"):
                x = float(v)
                preds.append(lambda t, val=val, x=x, lt=op == "less_than": isinstance(val(t), float) and
                             (val(t) < x if lt else val(t) > x))
            elif op in ("before", "after"):
                preds.append(lambda t, val=val, v=v, b=op == "before": isinstance(val(t), str) and
                             len(val(t)) == 10 and (val(t) < v if b else val(t) > v))
        return preds

    # ------------------------------------------------------------------ events
    def _sync_token(self, resource: str, key: int) -> str:
        p = orjson.dumps({"r": resource, "k": key, "t": int(time.time())})
        return base64.urlsafe_b64encode(p).decode().rstrip("=") + "." + self._sign(p)

    def _events(self, c: Ctx):
        s = self.store
        resource = c.q.get("resource")
        if not resource:
            raise ApiError(400, "resource: Missing input")
        if resource not in s.tasks and resource not in s.projects:
            raise NotFound("resource", resource)
        evs = s.events.get(resource, [])
        head = evs[-1][0] if evs else 0
        head = max(head, self._event_head())
        token = c.q.get("sync")
        d = None
        if token:
            try:
                b, sig = token.split(".", 1)
                p = base64.urlsafe_b64decode(b + "=" * (-len(b) % 4))
                if hmac.compare_digest(sig, self._sign(p)):
                    d = orjson.loads(p)
            except Exception:
                d = None
            if d and (d.get("r") != resource or time.time() - d["t"] > self.config.sync_token_ttl_s):
                d = None
        if not d:
            raise ApiError(412, MSG_SYNC, extra={"sync": self._sync_token(resource, head)})
        start = bisect.bisect_right(evs, d["k"], key=lambda e: e[0])
        batch = evs[start:start + 100]
        has_more = start + 100 < len(evs)
        new_key = batch[-1][0] if batch else d["k"]
        return 200, {"data": [e for _, e in batch], "sync": self._sync_token(resource, new_key), "has_more": has_more}

    def _event_head(self) -> int:
        # A fresh sync token starts "now": every event recorded later gets a larger key.
        return self.store.next_key()

    # ------------------------------------------------------------------ writes
    @staticmethod
    def _data(c: Ctx) -> dict:
        d = (c.body or {}).get("data") if isinstance(c.body, dict) else None
        if not isinstance(d, dict):
            d = {}
        return d

    def _req(self, c: Ctx, name: str) -> str:
        v = self._data(c).get(name)
        if not v:
            raise ApiError(400, f"{name}: Missing input")
        return v

    @staticmethod
    def _done(_=None):
        return 200, {"data": {}}

    def _task_out(self, c: Ctx, t: dict, status: int = 200):
        return status, {"data": self.renderer.render("task", t, self._tree(c), full=True)}

    def _create_task(self, c: Ctx):
        d = self._data(c)
        if not d.get("workspace") and not d.get("projects") and not d.get("parent"):
            raise ApiError(400, "workspace: Missing input")
        return self._task_out(c, self.store.create_task(d, c.actor), 201)

    def _create_subtask(self, c: Ctx, g: str):
        d = dict(self._data(c))
        d["parent"] = g
        return self._task_out(c, self.store.create_task(d, c.actor), 201)

    def _update_task(self, c: Ctx, g: str):
        return self._task_out(c, self.store.update_task(g, self._data(c), c.actor))

    def _create_story(self, c: Ctx, g: str):
        d = self._data(c)
        if not d.get("text") and not d.get("html_text"):
            raise ApiError(400, "text: Missing input")
        st = self.store.add_comment(g, d.get("text") or "", c.actor, d.get("html_text"))
        return 201, {"data": self.renderer.render("story", st, self._tree(c), full=True)}

    def _section_add_task(self, c: Ctx, g: str):
        sec = self.store.get("section", g)
        self.store.add_task_to_project(self._req(c, "task"), sec["project"], g, c.actor)
        return self._done()

    def _set_parent(self, c: Ctx, g: str):
        d = self._data(c)
        if "parent" not in d:
            raise ApiError(400, "parent: Missing input")
        self.store.set_parent(g, d["parent"], c.actor)
        return self._task_out(c, self.store.tasks[g])

    def _add_tag(self, c: Ctx, g: str):
        return self._done(self.store.add_tag_to_task(g, self._req(c, "tag"), c.actor))

    def _remove_tag(self, c: Ctx, g: str):
        return self._done(self.store.remove_tag_from_task(g, self._req(c, "tag"), c.actor))

    def _add_project(self, c: Ctx, g: str):
        return self._done(self.store.add_task_to_project(g, self._req(c, "project"), self._data(c).get("section"),
                                                         c.actor))

    def _remove_project(self, c: Ctx, g: str):
        return self._done(self.store.remove_task_from_project(g, self._req(c, "project"), c.actor))

    def _add_followers(self, c: Ctx, g: str):
        return self._followers(c, g, True)

    def _remove_followers(self, c: Ctx, g: str):
        return self._followers(c, g, False)

    def _followers(self, c: Ctx, g: str, add: bool):
        users = self._req(c, "followers")
        if isinstance(users, str):
            users = users.split(",")
        users = [c.actor if u == "me" else u for u in users]
        return self._task_out(c, self.store.set_followers(g, users, add, c.actor))

    def _create_section(self, c: Ctx, g: str):
        sec = self.store.create_section(g, self._req(c, "name"))
        return 201, {"data": self.renderer.render("section", sec, self._tree(c), full=True)}

    def _delete_section(self, c: Ctx, g: str):
        return self._done(self.store.delete_section(g))

    # ------------------------------------------------------------------ admin (not Asana's API)
    def admin(self, method: str, path: str, query: dict):
        """``/_sim/...``: what a bench driving the simulator in another process asks it; not counted.

        ``GET /_sim/stats``: the request counters (``Stats.snapshot``); ``POST /_sim/stats/reset``;
        ``GET /_sim/minimum[?since=MS|ISO[&search=1]]``: the fewest requests the data needs for a full
        sync, or for an incremental one after changes since then, per project or through search
        (``asana_sim.minimum``). None: not an admin path.
        """
        if not path.startswith("/_sim/"):
            return None
        from .minimum import minimum_requests, since_of

        if method == "GET" and path == "/_sim/stats":
            payload = self.stats.snapshot()
        elif method == "POST" and path == "/_sim/stats/reset":
            self.stats.reset()
            payload = {"ok": True}
        elif method == "GET" and path == "/_sim/minimum":
            since = query.get("since")
            since = since[-1] if isinstance(since, list) else since
            search = query.get("search")
            search = (search[-1] if isinstance(search, list) else search) in ("1", "true")
            with self.store.lock:
                payload = {"by_endpoint": minimum_requests(self.store, since_of(since), search=search)}
            payload["requests"] = sum(payload["by_endpoint"].values())
        else:
            return 404, [("content-type", "application/json")], orjson.dumps({"errors": [{"message": "no such admin path"}]})
        return 200, [("content-type", "application/json")], orjson.dumps(payload)

    # ------------------------------------------------------------------ transports
    async def asgi_app(self, scope, receive, send):
        """ASGI entry point (uvicorn, httpx.ASGITransport)."""
        if scope["type"] == "lifespan":
            while True:
                msg = await receive()
                if msg["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif msg["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        body = b""
        while True:
            msg = await receive()
            body += msg.get("body", b"")
            if not msg.get("more_body"):
                break
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        if self._executor is None:
            # Room for every request a client may send at once (the cap decides, not a queue here):
            # with latency_s, served and refused requests alike hold a thread for their service time.
            self._executor = concurrent.futures.ThreadPoolExecutor(
                max_workers=self.config.max_concurrent_gets + 64, thread_name_prefix="asana-sim")
        loop = asyncio.get_running_loop()
        if scope["path"].startswith("/_sim/"):
            status, hdrs, out = await loop.run_in_executor(self._executor, self.admin, scope["method"], scope["path"],
                                                           query)
            await send({"type": "http.response.start", "status": status,
                        "headers": [(k.encode(), v.encode()) for k, v in hdrs] +
                                   [(b"content-length", str(len(out)).encode())]})
            await send({"type": "http.response.body", "body": out})
            return
        try:
            status, hdrs, out = await loop.run_in_executor(
                self._executor, self.handle, scope["method"], scope["path"], query, headers, body)
        except ConnectionDropped:
            # Promise a body, then fail: servers close the socket and clients see a broken response.
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"content-length", b"1000"), (b"content-type", b"application/json")]})
            raise
        await send({"type": "http.response.start", "status": status,
                    "headers": [(k.encode(), v.encode()) for k, v in hdrs] +
                               [(b"content-length", str(len(out)).encode())]})
        await send({"type": "http.response.body", "body": out})

    def wsgi_app(self, environ, start_response):
        """WSGI entry point (httpx.WSGITransport). The drop fault propagates as ConnectionDropped."""
        path = environ.get("PATH_INFO", "/").encode("latin-1").decode("utf-8", "replace")
        query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        headers = {k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")}
        n = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(n) if n else b""
        admin = self.admin(environ["REQUEST_METHOD"], path, query)
        status, hdrs, out = admin or self.handle(environ["REQUEST_METHOD"], path, query, headers, body)
        start_response(f"{status} {_REASONS.get(status, 'Status')}", hdrs + [("content-length", str(len(out)))])
        return [out]


class _Html(Exception):
    def __init__(self, status: int, body: bytes):
        self.status, self.body = status, body


_REASONS = {200: "OK", 201: "Created", 400: "Bad Request", 401: "Unauthorized", 402: "Payment Required",
            403: "Forbidden", 404: "Not Found", 412: "Precondition Failed", 429: "Too Many Requests",
            500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}
