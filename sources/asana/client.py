"""HTTP client for the Asana REST API, layered like httpx's transports.

Each concern is a small object with one job:

- ``throttle.RateLimiter``: requests per minute, and a pause for every worker after a 429.
- ``throttle.ConcurrencyLimit``: requests in flight, as many as the rate limit needs at the latency
  measured, lower only where the server shows a concurrency cap.
- ``retry.RetryPolicy``: whether a failed attempt is tried again and after how long.
- ``paginator.CursorPaginator``: follows ``next_page.offset``.

``AsanaClient`` sends the GET, decodes the body and maps errors (``errors.error_for``). Errors
raised to callers are ``AsanaError`` subclasses whose messages never contain the token. Until Asana
has answered once, a request that cannot connect fails within seconds (``UnreachableError``,
naming the host and the cause); after that, network errors are retried patiently.
"""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections import Counter, deque
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator, Mapping, Optional, TypeVar

import httpx
import orjson

from .errors import (
    AsanaError,
    ExpiredOffsetError,
    InvalidOptionError,
    MalformedResponseError,
    TransientError,
    TruncatedResultError,
    UnreachableError,
    error_for,
    error_message,
)
from .options import NO_TOKEN
from .paginator import CursorPaginator
from .retry import RETRY_STATUSES, RetryPolicy
from .settings import DEFAULT_BASE_URL, DEFAULT_MAX_CONCURRENCY, PAGE_SIZE
from .throttle import ConcurrencyLimit, RateLimiter

# A listing whose cursor expires is restarted from its first page; a cursor lives ~15 minutes, so
# more than a few restarts in a row means the listing cannot finish and the run should say so.
MAX_LISTING_RESTARTS = 10
# A connection Asana does not accept within this many seconds is not coming: fail (first contact)
# or retry (later), rather than wait for the read timeout.
CONNECT_TIMEOUT = 5.0
# Until Asana has answered once, a refused, unresolved or failed TLS connection is tried this many
# times, a second apart, then the run stops: a wrong base_url or a machine without a route should
# not spend a minute on backoff.
FIRST_CONTACT_ATTEMPTS = 2
# The window the progress line's "share of the rate limit" is measured over.
RECENT_SECONDS = 30.0

T = TypeVar("T")
R = TypeVar("R")

__all__ = ["AsanaClient", "ClientStats", "error_message"]


@dataclass
class ClientStats:
    """What the client did, for progress lines and ``sync_runs``."""

    requests: int = 0
    retries: int = 0
    throttled: int = 0
    by_status: Counter = field(default_factory=Counter)
    restarts: int = 0
    started: float = field(default_factory=time.monotonic)
    concurrency: int = 0
    lowest_concurrency: Optional[int] = None
    concurrency_cap: Optional[int] = None
    in_flight: int = 0
    latency_seconds: Optional[float] = None
    waited_seconds: float = 0.0
    per_second_limit: float = 0.0
    busy_seconds: float = 0.0
    busy_since: Optional[float] = None
    recent: deque = field(default_factory=deque)

    def busy(self, now: float) -> float:
        """Seconds in which at least one request was waiting or in flight: the time the client had work."""
        return self.busy_seconds + (now - self.busy_since if self.busy_since is not None else 0.0)

    def as_dict(self) -> dict:
        now = time.monotonic()
        elapsed = max(now - self.started, 1e-9)
        limit = max(self.per_second_limit, 1e-9)
        while self.recent and self.recent[0] < now - RECENT_SECONDS:
            self.recent.popleft()
        window = min(RECENT_SECONDS, elapsed)
        return {
            "requests": self.requests,
            "retries": self.retries,
            "throttled": self.throttled,
            "pagination_restarts": self.restarts,
            "by_status": dict(self.by_status),
            "requests_per_second": round(self.requests / elapsed, 1),
            "concurrency": self.concurrency,
            "lowest_concurrency": self.lowest_concurrency,
            "concurrency_cap": self.concurrency_cap,
            "in_flight": self.in_flight,
            "latency_ms": round(self.latency_seconds * 1000) if self.latency_seconds is not None else None,
            "waited_seconds": round(self.waited_seconds, 1),
            # Requests per second while the client had work, against the configured limit.
            "rate_share": round(self.requests / max(self.busy(now), 1e-9) / limit, 3) if self.requests else 0.0,
            "recent_rate_share": round(len(self.recent) / window / limit, 3) if self.recent else 0.0,
        }


class AsanaClient:
    """A thread-safe Asana API client.

    ``transport`` lets tests talk to the simulator in-process
    (``httpx.WSGITransport(sim.wsgi_app)``); in production it is left ``None``.
    """

    def __init__(
        self,
        access_token: str,
        base_url: str = DEFAULT_BASE_URL,
        requests_per_minute: float = 1500,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        retry: Optional[RetryPolicy] = None,
        transport: Optional[httpx.BaseTransport] = None,
        timeout: float = 60.0,
        page_size: int = PAGE_SIZE,
    ) -> None:
        if not access_token or not str(access_token).strip():
            raise InvalidOptionError(NO_TOKEN)
        self.base_url = base_url.rstrip("/")
        self.limiter = RateLimiter(requests_per_minute)
        self.concurrency = ConcurrencyLimit(max_concurrency, self.limiter.per_second)
        self.retry = retry or RetryPolicy()
        self.max_concurrency = self.concurrency.maximum
        self.page_size = page_size
        self.stats = ClientStats(concurrency=self.concurrency.current, per_second_limit=self.limiter.per_second)
        self._stats_lock = threading.Lock()
        self._last_success = time.monotonic()
        self._throttles_in_a_row = 0
        self._answered = False
        self._working = 0
        self._http = httpx.Client(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {access_token.strip()}", "Accept": "application/json",
                     "User-Agent": "asana-sync/0.1"},
            timeout=httpx.Timeout(timeout, connect=min(timeout, CONNECT_TIMEOUT)),
            transport=transport or httpx.HTTPTransport(
                retries=0,
                # Small requests and answers: never wait for Nagle's algorithm.
                socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)],
                limits=httpx.Limits(max_connections=self.max_concurrency + 2,
                                    max_keepalive_connections=self.max_concurrency + 2),
            ),
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "AsanaClient":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # --- one request ------------------------------------------------------------------------------

    def request_json(self, path: str, params: Optional[Mapping[str, Any]] = None) -> dict:
        """GET ``path`` and return the decoded body, retrying what is worth retrying."""
        self._busy(+1)
        try:
            return self._request_json(path, params)
        finally:
            self._busy(-1)

    def _request_json(self, path: str, params: Optional[Mapping[str, Any]]) -> dict:
        failures = 0
        while True:
            self.limiter.acquire()
            try:
                with self.concurrency.slot() as ticket:
                    self._sync_gauges()
                    response = self._http.get(path, params=params)
            except httpx.TransportError as exc:
                failures += 1
                self._count(None, retry=True)
                if not self._answered:
                    self._first_contact_failed(exc, failures, path)
                self._wait_or_give_up(failures, f"network error after {failures} attempts: {type(exc).__name__}",
                                      None, path)
                continue
            self._answered = True
            seconds = time.monotonic() - ticket.sent
            status = response.status_code
            if status == 429:
                self._throttled(response, path, ticket)
                continue
            if status < 500:
                self.concurrency.on_success(ticket, seconds)
            if status < 300:
                body = _decode(response.content)
                if body is not None:
                    self._succeeded(status)
                    return body
                # A 200 with a broken body is a proxy or server hiccup more often than a contract
                # change: retry it a few times before giving up loudly.
                failures += 1
                self._count(status, retry=True)
                self._wait_or_give_up(failures, "Asana returned a response that is not the documented JSON "
                                                "envelope", status, path, malformed=True)
                continue
            if status in RETRY_STATUSES:
                failures += 1
                self._count(status, retry=True)
                message = error_message(_decode_any(response.content))
                self._wait_or_give_up(failures, f"gave up after {failures} attempts: {message}", status, path)
                continue
            self._count(status)
            raise error_for(status, response.content, path)

    def _first_contact_failed(self, exc: httpx.TransportError, failures: int, path: str) -> None:
        """Asana has not answered once yet: a connection that cannot be made is a wrong address, a
        machine without a route or a host that is down, not a passing hiccup. Stop within seconds."""
        if not isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.UnsupportedProtocol)):
            return  # connected, then the answer broke: the usual patient retries
        if isinstance(exc, httpx.ConnectError) and failures < FIRST_CONTACT_ATTEMPTS:
            time.sleep(1.0)
            return
        url = httpx.URL(self.base_url)
        where = f"{url.host}:{url.port or (443 if url.scheme == 'https' else 80)}"
        raise UnreachableError(f"cannot reach Asana at {where} ({self.base_url}): {connect_failure(exc)}; "
                               "nothing was read (check SOURCES__ASANA__BASE_URL and the network, then run again)",
                               None, path) from None

    def _busy(self, change: int) -> None:
        with self._stats_lock:
            now = time.monotonic()
            if change > 0 and self._working == 0:
                self.stats.busy_since = now
            self._working += change
            if change < 0 and self._working == 0 and self.stats.busy_since is not None:
                self.stats.busy_seconds += now - self.stats.busy_since
                self.stats.busy_since = None

    def _wait_or_give_up(self, failures: int, message: str, status: Optional[int], path: str,
                         malformed: bool = False) -> None:
        delay = self.retry.delay_after_failure(failures, malformed=malformed)
        if delay is None:
            kind = MalformedResponseError if malformed else TransientError
            raise kind(message, status, path)
        time.sleep(delay)

    def _throttled(self, response: httpx.Response, path: str, ticket: Any) -> None:
        """A 429: every worker waits ``Retry-After``, unless the concurrency cap the 429s show
        explains it (then only this request waits, and fewer go at once: ``ConcurrencyLimit``). The
        attempt does not count."""
        with self._stats_lock:
            self.stats.requests += 1
            self.stats.recent.append(time.monotonic())
            self.stats.throttled += 1
            self.stats.by_status["429"] += 1
            self._throttles_in_a_row += 1
            in_a_row = self._throttles_in_a_row
            since_success = time.monotonic() - self._last_success
        over_the_cap = self.concurrency.on_throttled(ticket)
        if self.retry.out_of_patience(since_success):
            raise TransientError(f"Asana answered 429 (too many requests) for {since_success / 60:.0f} minutes "
                                 "without one successful request; giving up (throttle_patience_seconds)", 429, path)
        pause = self.retry.pause_after_throttle(_parse_retry_after(response.headers.get("Retry-After")), in_a_row)
        self._sync_gauges()
        if over_the_cap:
            # Sent above the concurrency cap Asana has shown: this request waits its Retry-After,
            # the others, within the cap, were not refused and go on.
            time.sleep(pause)
        else:
            self.limiter.pause(pause)

    def _succeeded(self, status: int) -> None:
        with self._stats_lock:
            self.stats.requests += 1
            self.stats.recent.append(time.monotonic())
            self.stats.by_status[str(status)] += 1
            self._last_success = time.monotonic()
            self._throttles_in_a_row = 0
        self._sync_gauges()

    def _count(self, status: Optional[int], retry: bool = False) -> None:
        with self._stats_lock:
            self.stats.requests += 1
            self.stats.recent.append(time.monotonic())
            self.stats.by_status[str(status) if status else "network"] += 1
            if retry:
                self.stats.retries += 1

    def _sync_gauges(self) -> None:
        limit = self.concurrency
        self.stats.concurrency = limit.current
        self.stats.lowest_concurrency = limit.lowest
        self.stats.concurrency_cap = limit.cap
        self.stats.in_flight = limit.in_flight
        self.stats.latency_seconds = limit.latency
        self.stats.waited_seconds = self.limiter.waited_seconds

    # --- listings ---------------------------------------------------------------------------------

    def get(self, path: str, params: Optional[Mapping[str, Any]] = None) -> Any:
        """GET one object and return its ``data``."""
        return self.request_json(path, params)["data"]

    def paginate(self, path: str, params: Optional[Mapping[str, Any]] = None) -> Iterator[list[dict]]:
        """Yield every page of a list endpoint.

        When Asana says the pagination cursor expired mid-listing, the listing restarts from the
        first page and skips the gids already yielded, so nothing is lost or duplicated.
        """
        base = dict(params or {})
        seen: set[str] = set()
        restarts = 0
        paginator = CursorPaginator(self.page_size)
        while paginator.has_more:
            try:
                page = self.request_json(path, paginator.update_request(base))
            except ExpiredOffsetError:
                if paginator.cursor is None or restarts >= MAX_LISTING_RESTARTS:
                    raise
                restarts += 1
                with self._stats_lock:
                    self.stats.restarts += 1
                paginator = CursorPaginator(self.page_size)
                continue
            except AsanaError as exc:
                # The same query answered its first page, so a later 400 that is not about the
                # cursor is Asana refusing to go further: truncation, whatever its wording.
                if exc.status == 400 and paginator.cursor and not isinstance(exc, TruncatedResultError):
                    raise TruncatedResultError(exc.message, exc.status, exc.path) from None
                raise
            paginator.update_state(page)
            fresh = _unseen(page, seen, path)
            if fresh:
                yield fresh

    def get_all(self, path: str, params: Optional[Mapping[str, Any]] = None) -> list[dict]:
        return [item for page in self.paginate(path, params) for item in page]

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
        """Run ``fn`` over ``items`` with bounded concurrency, yielding results as they finish.

        Results are held in memory only until the caller takes them, so a long list never piles up.
        """
        items = iter(items)
        window = self.max_concurrency * 2
        pool = ThreadPoolExecutor(max_workers=self.max_concurrency, thread_name_prefix="asana")
        pending: set = set()
        finished = False
        try:
            while True:
                for item in items:
                    pending.add(pool.submit(fn, item))
                    if len(pending) >= window:
                        break
                if not pending:
                    finished = True
                    return
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    yield future.result()
        finally:
            # A failure, Ctrl-C or a caller that stops early: queued requests never start, and the
            # running ones are not waited for. At a slow rate limit a worker may need a minute for
            # its pages, and Ctrl-C must stop the run at once (the CLI then exits without joining).
            pool.shutdown(wait=finished, cancel_futures=True)


def _unseen(page: dict, seen: set[str], path: str) -> list[dict]:
    data = page.get("data")
    if not isinstance(data, list):
        raise MalformedResponseError("a list endpoint answered without a data list", 200, path)
    fresh = []
    for item in data:
        gid = item.get("gid") if isinstance(item, dict) else None
        if gid is None:
            raise MalformedResponseError("a list item has no gid", 200, path)
        if gid not in seen:
            seen.add(gid)
            fresh.append(item)
    return fresh


def _decode(content: bytes) -> Optional[dict]:
    body = _decode_any(content)
    return body if isinstance(body, dict) and "data" in body else None


def _decode_any(content: bytes) -> Any:
    try:
        return orjson.loads(content)
    except orjson.JSONDecodeError:
        return None


def connect_failure(exc: BaseException) -> str:
    """Why a connection could not be made, in words: DNS, refused, TLS, timeout, unreachable."""
    if isinstance(exc, httpx.ConnectTimeout):
        return f"the connection timed out ({CONNECT_TIMEOUT:.0f} s without an answer from the host)"
    if isinstance(exc, httpx.UnsupportedProtocol):
        return "the URL is not http:// or https://"
    for cause in _chain(exc):
        if isinstance(cause, socket.gaierror):
            return f"the host name does not resolve (DNS: {cause.strerror or cause})"
        if isinstance(cause, ssl.SSLCertVerificationError):
            return f"its TLS certificate was refused ({cause.verify_message or cause.reason})"
        if isinstance(cause, ssl.SSLError):
            return f"the TLS handshake failed ({cause.reason or cause})"
        if isinstance(cause, ConnectionRefusedError):
            return "the connection was refused (nothing listens on that port)"
        if isinstance(cause, OSError) and cause.strerror:
            return cause.strerror[:1].lower() + cause.strerror[1:]
    return str(exc) or type(exc).__name__


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: Optional[BaseException] = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _parse_retry_after(value: Optional[str]) -> Optional[float]:
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
