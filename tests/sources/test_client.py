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
    UnreachableError,
)
from sources.asana.paginator import CursorPaginator
from sources.asana.retry import RetryPolicy
from sources.asana.throttle import ConcurrencyLimit, RateLimiter, Ticket


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


_numbers = iter(range(10**9, 2 * 10**9))


def _answer(limit, level, throttled=False, seconds=0.25):
    """An answer to a request sent with ``level`` in flight (itself included), none of them refused."""
    ticket = Ticket(next(_numbers), 0.0, frozenset(range(-level + 1, 0)))
    return limit.on_throttled(ticket) if throttled else limit.on_success(ticket, seconds)


def test_concurrency_follows_the_latency_to_reach_the_rate_limit():
    """Little's law: 25 requests a second at 250 ms need about 6 in flight; the limit keeps twice
    that plus one (14), reached one success at a time from 4, and never more."""
    limit = ConcurrencyLimit(50, rate_per_second=25.0)
    assert limit.current == 4
    for _ in range(100):
        _answer(limit, 1, seconds=0.25)
    assert limit.wanted == 14 and limit.current == 14
    for _ in range(200):
        _answer(limit, 1, seconds=0.005)  # the latency falls: fewer are needed
    assert limit.current == 2
    unlimited = ConcurrencyLimit(10)
    for _ in range(20):
        _answer(unlimited, 1, seconds=0.25)
    assert unlimited.current == 10  # no rate limit: the configured maximum bounds it


def test_a_concurrency_cap_is_learned_from_429s_that_rise_with_the_number_in_flight():
    limit = ConcurrencyLimit(50, rate_per_second=100.0)
    for level in (1, 2, 3, 4) * 5:
        _answer(limit, level)
    assert limit.current > 4
    assert _answer(limit, 6, throttled=True) is False  # one 429 proves nothing: every request waits
    assert _answer(limit, 5, throttled=True) is True  # levels 5 and up: only 429s; below: none
    assert limit.cap == 4 and limit.current == 4 and limit.lowest == 4


def test_refused_requests_take_no_place_among_those_in_flight():
    """A request sent while others were in flight that the server then refused (429) met only the
    requests it served: the level the client counts leaves the refused ones out."""
    limit = ConcurrencyLimit(50, rate_per_second=100.0)
    refused = Ticket(next(_numbers), 0.0, frozenset())
    limit.on_throttled(refused)
    later = Ticket(next(_numbers), 0.0, frozenset({refused.number, -1, -2}))
    assert limit._level(later) == 3


def test_429s_unrelated_to_the_number_in_flight_never_lower_the_concurrency():
    """One answer in 25 is a 429 at whatever level (the per-minute window, another process on the
    token): each pauses the run, none is evidence of a cap, and the concurrency stays up."""
    import random

    rng = random.Random(4)
    limit = ConcurrencyLimit(50, rate_per_second=25.0)
    for n in range(5_000):
        _answer(limit, rng.randint(1, limit.current), throttled=n % 25 == 24)
    assert limit.cap is None and limit.lowest is None and limit.current == 14


def test_a_429_with_one_request_in_flight_is_never_a_cap():
    limit = ConcurrencyLimit(8)
    for _ in range(10):
        assert _answer(limit, 1, throttled=True) is False
    assert limit.cap is None


def test_a_cap_that_is_no_longer_shown_is_probed_and_lifted_one_step_at_a_time():
    limit = ConcurrencyLimit(20, rate_per_second=100.0, window=40, probe_after=0.0)
    for level in (1, 2, 3, 4) * 5:
        _answer(limit, level)
    for level in (5, 6, 7):
        _answer(limit, level, throttled=True)
    assert limit.cap == 4
    for _ in range(40):  # the window forgets the 429s: the cap is lifted
        _answer(limit, 3)
        if limit.cap is None:
            break
    assert limit.cap is None and limit.current == 4
    for _ in range(4):  # and the limit grows one per round trip (here: four answers), not doubling
        _answer(limit, 3)
    assert limit.current == 5
    assert _answer(limit, 5, throttled=True) is True  # the probe meets the cap: back to it at once
    assert limit.cap == 4
    for _ in range(40):
        _answer(limit, 3)
    _answer(limit, 5)  # this time the server took one more: the cap has risen
    for _ in range(200):
        _answer(limit, 3)
    assert limit.cap is None and limit.current == 20


def test_the_concurrency_cap_of_the_server_costs_a_handful_of_429s():
    sim = AsanaSimulator(SimConfig.small(seed=2, max_concurrent_gets=3, latency_s=0.005))
    client = client_for(sim, max_concurrency=10)
    client.limiter.pause = lambda seconds: None
    project = next(iter(sim.store.projects))
    tasks = sim.store.tasks_in_project(project)
    results = list(client.map(lambda gid: client.get(f"/tasks/{gid}")["gid"], tasks * 10))
    assert sorted(results) == sorted(tasks * 10)
    assert client.stats.throttled <= 0.05 * client.stats.requests, client.stats.as_dict()
    assert client.concurrency.cap == 3 and client.concurrency.current <= 3


def test_random_429s_at_real_latency_keep_the_concurrency_the_rate_limit_needs():
    """The field: 50 ms answers, one request in 25 answered 429 (Retry-After: 0 here, to keep the
    test short). The client pauses for each, never cuts, and keeps rate x latency x 2 in flight."""
    sim = AsanaSimulator(SimConfig.small(seed=2, latency_s=0.05, throttle_share=0.04, retry_after_s=0))
    client = AsanaClient("sim-token", base_url="http://sim/api/1.0", transport=httpx.WSGITransport(app=sim.wsgi_app),
                         requests_per_minute=1_200)
    project = next(iter(sim.store.projects))
    tasks = sim.store.tasks_in_project(project)[:60]
    assert sorted(client.map(lambda gid: client.get(f"/tasks/{gid}")["gid"], tasks)) == sorted(tasks)
    stats = client.stats.as_dict()
    assert stats["throttled"] >= 2 and stats["lowest_concurrency"] is None and stats["concurrency_cap"] is None
    assert client.concurrency.current == client.concurrency.wanted > 2, stats
    assert 40 <= stats["latency_ms"] <= 120, stats


def test_an_unreachable_host_fails_within_seconds_naming_host_and_cause():
    import socket
    import time

    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    closed_port = probe.getsockname()[1]
    probe.close()
    for base_url, cause in ((f"http://127.0.0.1:{closed_port}/api/1.0", "refused"),
                            ("https://no-such-host.invalid/api/1.0", "does not resolve")):
        client = AsanaClient("secret-token", base_url=base_url)
        started = time.monotonic()
        with pytest.raises(UnreachableError) as info:
            client.get("/workspaces")
        assert time.monotonic() - started < 10
        host = httpx.URL(base_url).host
        assert host in str(info.value) and cause in str(info.value) and "secret-token" not in str(info.value)


def test_network_errors_after_the_first_answer_are_retried_not_fatal():
    from asana_sim import serve_in_thread

    sim = AsanaSimulator(SimConfig.small(seed=2))
    with serve_in_thread(sim) as base_url:
        client = AsanaClient("sim-token", base_url=base_url,
                             retry=RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.02))
        assert client.get("/workspaces")
    # The server is gone: the run had started, so this is a failure to retry, not an unreachable host.
    with pytest.raises(TransientError) as info:
        client.get("/workspaces")
    assert not isinstance(info.value, UnreachableError) and client.stats.retries == 3
