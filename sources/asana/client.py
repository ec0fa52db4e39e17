"""HTTP client for the Asana REST API.

Four small objects, each with one job:

- ``RateLimiter``: spaces requests so a sync never exceeds the per-token budget, and pauses every
  worker when Asana answers 429.
- ``RetryPolicy``: decides whether a failed attempt is retried and how long to wait.
- ``OffsetPaginator``: follows ``next_page.offset``.
- ``AsanaClient``: ties them to an ``httpx.Client`` with bounded concurrency.

Errors raised to callers are ``AsanaError`` subclasses whose messages never contain the token.
"""

from __future__ import annotations

import random
import socket
import threading
import time
from collections import Counter
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator, Mapping, Optional, TypeVar

import httpx
import orjson

from .settings import DEFAULT_BASE_URL, PAGE_SIZE

# A listing whose token expires is restarted from its first page; a token lives ~15 minutes, so
# more than a few restarts in a row means the listing cannot finish and the run should say so.
MAX_LISTING_RESTARTS = 10

T = TypeVar("T")
R = TypeVar("R")


class AsanaError(Exception):
    """An answer from Asana that the sync cannot work around."""

    def __init__(self, message: str, status: Optional[int] = None, path: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.path = path

    def __str__(self) -> str:
        where = f" ({self.path})" if self.path else ""
        status = f"HTTP {self.status}: " if self.status else ""
        return f"{status}{self.message}{where}"


class AuthError(AsanaError):
    """401: the token is missing, wrong or revoked."""


class ForbiddenError(AsanaError):
    """403: the token may not read this object."""


class NotFoundError(AsanaError):
    """404: the object does not exist (or was deleted)."""


class PremiumRequiredError(AsanaError):
    """402: the endpoint needs a premium domain (e.g. task search)."""


class TruncatedResultError(AsanaError):
    """400 on a late page: Asana truncated a very large result set; split the query."""


class ResultTooLargeError(AsanaError):
    """400 for an unpaginated list that is too large."""


class ExpiredOffsetError(AsanaError):
    """400 for an expired or unknown pagination token."""


class SyncTokenError(AsanaError):
    """412 from the Events API: no or an expired sync token; ``sync`` is a fresh one to start from."""

    def __init__(self, message: str, status: Optional[int], path: str, sync: Optional[str]) -> None:
        super().__init__(message, status, path)
        self.sync = sync


class MalformedResponseError(AsanaError):
    """A 2xx answer whose body is not the JSON envelope Asana documents."""


class TransientError(AsanaError):
    """Retries exhausted on 429s, 5xx answers or broken connections."""


def error_message(body: Any) -> str:
    """Extracts the message of Asana's error envelope.

    Expects ``{"errors": [{"message": "project: Missing input", "help": "...", "phrase": "..."}]}``.
    """
    if isinstance(body, dict) and isinstance(body.get("errors"), list) and body["errors"]:
        first = body["errors"][0]
        if isinstance(first, dict) and first.get("message"):
            message = str(first["message"])
            if first.get("phrase"):
                message += f" (phrase: {first['phrase']})"
            return message
    return "no error message"


class RateLimiter:
    """Spaces requests so that no 60-second window holds more than ``requests_per_minute``, and
    honours server back-off.

    A token bucket refilled continuously; ``burst`` requests may go back to back after an idle
    spell. ``pause(seconds)`` (called on a 429 with ``Retry-After: 30``) holds every thread.
    """

    def __init__(self, requests_per_minute: float, burst: Optional[int] = None) -> None:
        per_minute = max(float(requests_per_minute), 1.0)
        self.capacity = float(burst if burst is not None else max(1, min(50, int(per_minute // 30))))
        # Refilling at (limit - burst) per minute keeps any 60-second window, burst included, at or
        # under the limit, so Asana's per-minute counter never sees one request too many.
        self.rate = max(per_minute - self.capacity, 1.0) / 60.0
        self._tokens = self.capacity
        self._updated = time.monotonic()
        self._paused_until = 0.0
        self._lock = threading.Lock()

    def acquire(self) -> None:
        while True:
            with self._lock:
                now = time.monotonic()
                if now < self._paused_until:
                    wait = self._paused_until - now
                else:
                    self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
                    self._updated = now
                    if self._tokens >= 1:
                        self._tokens -= 1
                        return
                    wait = (1 - self._tokens) / self.rate
            time.sleep(wait)

    def pause(self, seconds: float) -> None:
        with self._lock:
            self._paused_until = max(self._paused_until, time.monotonic() + seconds)
            self._tokens = 0


@dataclass
class RetryPolicy:
    """When to try again: 429 (after ``Retry-After``), 5xx and broken connections (backoff + jitter).

    Only used for idempotent GETs, as Asana's own client does.
    """

    max_attempts: int = 8
    base_delay: float = 0.5
    max_delay: float = 60.0
    retry_statuses: frozenset = frozenset({429, 500, 502, 503, 504})

    def should_retry(self, attempt: int, status: Optional[int]) -> bool:
        return attempt < self.max_attempts and (status is None or status in self.retry_statuses)

    def delay(self, attempt: int, retry_after: Optional[float] = None) -> float:
        if retry_after is not None:
            return retry_after + random.uniform(0, 0.25)
        backoff = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return random.uniform(backoff / 2, backoff)


class OffsetPaginator:
    """Follows Asana's offset pagination.

    Expects pages like ``{"data": [...], "next_page": {"offset": "eyJ0eXAi...", "path": "...",
    "uri": "..."}}`` and ``"next_page": null`` on the last one. ``limit`` must be sent, or
    Asana returns no ``next_page`` at all.
    """

    def __init__(self, limit: int = PAGE_SIZE) -> None:
        self.limit = limit
        self.offset: Optional[str] = None
        self.has_more = True

    def update_request(self, params: dict) -> dict:
        params = {**params, "limit": self.limit}
        if self.offset:
            params["offset"] = self.offset
        return params

    def update_state(self, page: Mapping[str, Any]) -> None:
        next_page = page.get("next_page")
        self.offset = next_page.get("offset") if isinstance(next_page, dict) else None
        self.has_more = bool(self.offset)


@dataclass
class ClientStats:
    requests: int = 0
    retries: int = 0
    by_status: Counter = field(default_factory=Counter)
    restarts: int = 0
    started: float = field(default_factory=time.monotonic)

    def as_dict(self) -> dict:
        elapsed = max(time.monotonic() - self.started, 1e-9)
        return {
            "requests": self.requests,
            "retries": self.retries,
            "pagination_restarts": self.restarts,
            "by_status": dict(self.by_status),
            "requests_per_second": round(self.requests / elapsed, 1),
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
        max_concurrency: int = 10,
        retry: Optional[RetryPolicy] = None,
        transport: Optional[httpx.BaseTransport] = None,
        timeout: float = 60.0,
        page_size: int = PAGE_SIZE,
    ) -> None:
        if not access_token or not str(access_token).strip():
            raise AuthError("no Asana access token configured (set SOURCES__ASANA__ACCESS_TOKEN)")
        self.base_url = base_url.rstrip("/")
        self.limiter = RateLimiter(requests_per_minute)
        self.retry = retry or RetryPolicy()
        self.max_concurrency = max(1, int(max_concurrency))
        self.page_size = page_size
        self._slots = threading.BoundedSemaphore(self.max_concurrency)
        self.stats = ClientStats()
        self._stats_lock = threading.Lock()
        self._http = httpx.Client(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {access_token.strip()}", "Accept": "application/json",
                     "User-Agent": "asana-sync/0.1"},
            timeout=timeout,
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

    def _count(self, status: Optional[int], retry: bool = False) -> None:
        with self._stats_lock:
            self.stats.requests += 1
            self.stats.by_status[str(status) if status else "network"] += 1
            if retry:
                self.stats.retries += 1

    def request_json(self, path: str, params: Optional[Mapping[str, Any]] = None) -> dict:
        """GET ``path`` and return the decoded body, retrying what is worth retrying."""
        attempt = 0
        while True:
            attempt += 1
            self.limiter.acquire()
            status: Optional[int] = None
            retry_after: Optional[float] = None
            try:
                with self._slots:
                    response = self._http.get(path, params=params)
                status = response.status_code
                if status < 300:
                    try:
                        body = orjson.loads(response.content)
                    except orjson.JSONDecodeError:
                        body = None
                    if isinstance(body, dict) and "data" in body:
                        self._count(status)
                        return body
                    # A 200 with a broken body is a proxy or server hiccup more often than a
                    # contract change: retry it a few times before giving up loudly.
                    self._count(status, retry=True)
                    if attempt >= min(3, self.retry.max_attempts):
                        raise MalformedResponseError("Asana returned a response that is not the documented JSON envelope",
                                                     status, path)
                    time.sleep(self.retry.delay(attempt))
                    continue
                if status == 429:
                    retry_after = _parse_retry_after(response.headers.get("Retry-After"))
                    self.limiter.pause(retry_after if retry_after is not None else self.retry.delay(attempt))
                if status in self.retry.retry_statuses and self.retry.should_retry(attempt, status):
                    self._count(status, retry=True)
                    time.sleep(self.retry.delay(attempt, retry_after) if status != 429 else random.uniform(0, 0.25))
                    continue
                self._count(status)
                raise self._error_for(response, path)
            except httpx.TransportError as exc:
                self._count(None, retry=True)
                if not self.retry.should_retry(attempt, None):
                    raise TransientError(f"network error after {attempt} attempts: {type(exc).__name__}", None,
                                         path) from None
                time.sleep(self.retry.delay(attempt))

    def _error_for(self, response: httpx.Response, path: str) -> AsanaError:
        try:
            body = orjson.loads(response.content)
        except orjson.JSONDecodeError:
            body = None
        message = error_message(body)
        status = response.status_code
        lowered = message.lower()
        if status == 401:
            return AuthError(f"Asana rejected the access token ({message})", status, path)
        if status == 402:
            return PremiumRequiredError(message, status, path)
        if status == 403:
            return ForbiddenError(message, status, path)
        if status == 404:
            return NotFoundError(message, status, path)
        if status == 412:
            sync = body.get("sync") if isinstance(body, dict) else None
            return SyncTokenError(message, status, path, sync)
        if status == 400 and (lowered.startswith("offset") or "pagination token" in lowered):
            return ExpiredOffsetError(message, status, path)
        if status == 400 and "truncat" in lowered:
            return TruncatedResultError(message, status, path)
        if status == 400 and "too large" in lowered:
            return ResultTooLargeError(message, status, path)
        if status in self.retry.retry_statuses:
            return TransientError(f"gave up after {self.retry.max_attempts} attempts: {message}", status, path)
        return AsanaError(message, status, path)

    def get(self, path: str, params: Optional[Mapping[str, Any]] = None) -> Any:
        """GET one object and return its ``data``."""
        return self.request_json(path, params)["data"]

    def paginate(self, path: str, params: Optional[Mapping[str, Any]] = None) -> Iterator[list[dict]]:
        """Yield every page of a list endpoint.

        When Asana says the pagination token expired mid-listing, the listing restarts from the
        first page and skips the gids already yielded, so nothing is lost or duplicated.
        """
        base = dict(params or {})
        seen: set[str] = set()
        restarts = 0
        paginator = OffsetPaginator(self.page_size)
        while paginator.has_more:
            try:
                page = self.request_json(path, paginator.update_request(base))
            except TruncatedResultError:
                raise
            except AsanaError as exc:
                # The same query answered its first page, so a later 400 that is not about the
                # token is Asana refusing to go further: truncation, whatever its wording.
                if exc.status == 400 and paginator.offset and not isinstance(exc, ExpiredOffsetError):
                    raise TruncatedResultError(exc.message, exc.status, exc.path) from None
                if not isinstance(exc, ExpiredOffsetError):
                    raise
                if paginator.offset is None or restarts >= MAX_LISTING_RESTARTS:
                    raise
                restarts += 1
                with self._stats_lock:
                    self.stats.restarts += 1
                paginator = OffsetPaginator(self.page_size)
                continue
            paginator.update_state(page)
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
            if fresh:
                yield fresh

    def get_all(self, path: str, params: Optional[Mapping[str, Any]] = None) -> list[dict]:
        return [item for page in self.paginate(path, params) for item in page]

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
        """Run ``fn`` over ``items`` with bounded concurrency, yielding results as they finish.

        At most ``max_concurrency`` calls are in flight and results are held in memory only until
        the caller takes them, so a long list never piles up.
        """
        items = iter(items)
        window = self.max_concurrency * 2
        with ThreadPoolExecutor(max_workers=self.max_concurrency, thread_name_prefix="asana") as pool:
            pending: set = set()
            try:
                while True:
                    for item in items:
                        pending.add(pool.submit(fn, item))
                        if len(pending) >= window:
                            break
                    if not pending:
                        return
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for future in done:
                        yield future.result()
            finally:
                # A failure (or a caller that stops early) must not leave queued requests running.
                for future in pending:
                    future.cancel()


def _parse_retry_after(value: Optional[str]) -> Optional[float]:
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
