"""The HTTP client against the simulator in-process (httpx's WSGI transport): fast, real HTTP semantics."""

from __future__ import annotations

import httpx
import pytest
from asana_sim import AsanaSimulator, SimConfig

from sources.asana.client import AsanaClient
from sources.asana.errors import (
    AuthError,
    MalformedResponseError,
    NotFoundError,
    TransientError,
    TruncatedResultError,
)
from sources.asana.paginator import CursorPaginator
from sources.asana.retry import RetryPolicy
from sources.asana.throttle import AdaptiveConcurrency, RateLimiter


@pytest.fixture(scope="module")
def sim():
    return AsanaSimulator(SimConfig.small(seed=21))


def client_for(sim, **kwargs):
    transport = httpx.WSGITransport(app=sim.wsgi_app)
    return AsanaClient("sim-token", base_url="http://sim/api/1.0", transport=transport,
                       requests_per_minute=1_000_000, **kwargs)


def test_paginates_every_task_of_a_project_exactly_once(sim):
    project = next(iter(sim.store.projects))
    client = client_for(sim, page_size=7)
    gids = [t["gid"] for page in client.paginate("/tasks", {"project": project}) for t in page]
    assert gids == sim.store.tasks_in_project(project)
    assert len(gids) == len(set(gids))


def test_bad_token_is_an_auth_error_without_the_token_in_it(sim):
    transport = httpx.WSGITransport(app=sim.wsgi_app)
    client = AsanaClient("secret-wrong-token", base_url="http://sim/api/1.0", transport=transport)
    with pytest.raises(AuthError) as info:
        client.get("/users/me")
    assert "secret-wrong-token" not in str(info.value)


def test_unknown_object_is_not_found(sim):
    with pytest.raises(NotFoundError):
        client_for(sim).get("/tasks/1")


def test_truncated_listing_raises_truncated_error():
    sim = AsanaSimulator(SimConfig.small(seed=2, truncation_cap=10))
    project = max(sim.store.projects, key=lambda p: len(sim.store.tasks_in_project(p)))
    with pytest.raises(TruncatedResultError):
        client_for(sim, page_size=5).get_all("/tasks", {"project": project})


def test_server_errors_are_retried_then_succeed():
    sim = AsanaSimulator(SimConfig.small(seed=2, fault_rate=0.3, fault_seed=1, fault_kinds=("500", "502", "503")))
    client = client_for(sim, retry=RetryPolicy(base_delay=0.001, max_delay=0.01))
    project = next(iter(sim.store.projects))
    gids = [t["gid"] for t in client.get_all("/tasks", {"project": project})]
    assert gids == sim.store.tasks_in_project(project)
    assert client.stats.retries > 0


def test_retries_give_up_with_a_transient_error():
    sim = AsanaSimulator(SimConfig.small(seed=2, fault_rate=1.0, fault_kinds=("503",)))
    client = client_for(sim, retry=RetryPolicy(max_attempts=3, base_delay=0.001, max_delay=0.01))
    with pytest.raises(TransientError):
        client.get("/workspaces")
    assert client.stats.requests == 3


def test_malformed_success_body_is_an_error_not_data():
    # An upstream that answers 200 with something that is not Asana's envelope (a captive portal,
    # a broken proxy): the client must refuse it rather than load garbage.
    transport = httpx.MockTransport(lambda request: httpx.Response(200, text="<html>hello</html>"))
    client = AsanaClient("t", base_url="http://x/api/1.0", transport=transport,
                         retry=RetryPolicy(base_delay=0.001, max_delay=0.01))
    with pytest.raises(MalformedResponseError):
        client.get("/workspaces")


def test_paginator_follows_the_next_page_cursor():
    paginator = CursorPaginator(limit=50)
    assert paginator.update_request({"project": "1"}) == {"project": "1", "limit": 50}
    paginator.update_state({"data": [], "next_page": {"offset": "abc", "path": "/x", "uri": "u"}})
    assert paginator.has_more and paginator.update_request({})["offset"] == "abc"
    paginator.update_state({"data": [], "next_page": None})
    assert not paginator.has_more


def test_rate_limiter_pause_blocks_until_retry_after():
    import time

    limiter = RateLimiter(requests_per_minute=60_000)
    limiter.pause(0.2)
    started = time.monotonic()
    limiter.acquire()
    assert time.monotonic() - started >= 0.19


def test_throttling_does_not_use_up_attempts():
    """Half the answers are 429s: every request still succeeds, though it takes more than
    max_attempts tries for some, because a 429 means "wait", not "fail"."""
    sim = AsanaSimulator(SimConfig.small(seed=2, fault_rate=0.5, fault_seed=3, fault_kinds=("429",)))
    client = client_for(sim, retry=RetryPolicy(max_attempts=2, base_delay=0.001, max_delay=0.01))
    client.limiter.pause = lambda seconds: None  # Retry-After: 1 would make this test slow
    project = next(iter(sim.store.projects))
    for _ in range(20):
        assert [t["gid"] for t in client.get_all("/tasks", {"project": project})] == sim.store.tasks_in_project(project)
    assert client.stats.throttled > 10 and client.stats.retries == 0


def test_throttling_gives_up_only_after_the_patience_without_a_success():
    sim = AsanaSimulator(SimConfig.small(seed=2, fault_rate=1.0, fault_kinds=("429",)))
    client = client_for(sim, retry=RetryPolicy(throttle_patience=0.3))
    client.limiter.pause = lambda seconds: None
    with pytest.raises(TransientError) as info:
        client.get("/workspaces")
    assert info.value.status == 429 and "without one successful request" in str(info.value)


def test_adaptive_concurrency_halves_on_throttle_and_grows_back_one_at_a_time():
    concurrency = AdaptiveConcurrency(10, probe_after=0)
    concurrency.on_throttled(concurrency.epoch)
    assert concurrency.current == 5
    concurrency.on_throttled(concurrency.epoch)
    assert concurrency.current == 2 and concurrency.lowest == 2
    for _ in range(2):
        concurrency.on_success()
    assert concurrency.current == 3
    for _ in range(1000):
        concurrency.on_success()
    assert concurrency.current == 10  # never above the configured maximum


def test_one_overload_cuts_the_concurrency_once():
    concurrency = AdaptiveConcurrency(8)
    sent_before_the_cut = concurrency.epoch
    for _ in range(5):
        concurrency.on_throttled(sent_before_the_cut)  # five requests answered 429 by the same overload
    assert concurrency.current == 4


def test_growth_past_the_level_that_drew_a_429_waits_for_the_probe_interval():
    concurrency = AdaptiveConcurrency(10, probe_after=3600)
    concurrency.on_throttled(concurrency.epoch)  # 429 at 10 -> 5
    concurrency.on_throttled(concurrency.epoch)  # 429 at 5 -> 2
    for _ in range(100):
        concurrency.on_success()
    assert concurrency.current == 4  # one below the level that failed, and no further for now
    concurrency.probe_after = 0
    for _ in range(4):
        concurrency.on_success()
    assert concurrency.current == 5


def test_the_concurrency_cap_of_the_server_costs_a_handful_of_429s():
    sim = AsanaSimulator(SimConfig.small(seed=2, max_concurrent_gets=3, fault_rate=1.0, fault_kinds=("slow",),
                                         slow_s=0.005))
    client = client_for(sim, max_concurrency=10)
    client.limiter.pause = lambda seconds: None
    project = next(iter(sim.store.projects))
    tasks = sim.store.tasks_in_project(project)
    results = list(client.map(lambda gid: client.get(f"/tasks/{gid}")["gid"], tasks * 3))
    assert sorted(results) == sorted(tasks * 3)
    assert client.stats.throttled <= 0.05 * client.stats.requests, client.stats.as_dict()
    assert client.concurrency.current <= 3
