"""How fast and how many at once: the two limits every request passes before it is sent."""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from typing import Iterator, Optional


class RateLimiter:
    """Spaces requests so that no 60-second window holds more than ``requests_per_minute``, and
    holds every worker while Asana asks for a pause.

    A token bucket refilled continuously; ``burst`` requests may go back to back after an idle
    spell. ``pause(30)`` (a 429 with ``Retry-After: 30``) holds every thread for 30 seconds.
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
        self.waited_seconds = 0.0

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
            now = time.monotonic()
            until = now + seconds
            if until > self._paused_until:
                # Count only the part of the pause that extends an earlier one.
                self.waited_seconds += until - max(self._paused_until, now)
                self._paused_until = until
            self._tokens = 0


class AdaptiveConcurrency:
    """At most ``limit`` requests in flight, where ``limit`` adapts to what the server allows.

    Additive increase, multiplicative decrease, as TCP does. A 429 halves the limit, once per
    overload: the other requests that were already in flight when it was cut answer 429 too and are
    not counted again. Every ``limit`` successes in a row add one, never above ``maximum``, up to one
    below the level that last drew a 429; going past that level waits ``probe_after`` seconds since
    the last cut, because every 429 pauses all workers for its ``Retry-After``. A server (or other
    apps sharing the token) that allows fewer concurrent requests than configured so costs a
    handful of 429s, then one probe now and then.

    Use around one request: ``with concurrency.slot() as epoch: send()``, then
    ``concurrency.on_throttled(epoch)`` on a 429 or ``concurrency.on_success()``.
    """

    def __init__(self, maximum: int, probe_after: float = 30.0) -> None:
        self.maximum = max(1, int(maximum))
        self.limit = float(self.maximum)
        self.probe_after = probe_after
        self.in_flight = 0
        self.lowest = self.maximum
        self.ceiling: Optional[int] = None
        self.epoch = 0
        self._successes = 0
        self._last_cut = float("-inf")
        self._cond = threading.Condition()

    @property
    def current(self) -> int:
        return max(1, int(self.limit))

    @contextmanager
    def slot(self) -> Iterator[int]:
        with self._cond:
            while self.in_flight >= self.current:
                self._cond.wait()
            self.in_flight += 1
            epoch = self.epoch
        try:
            yield epoch
        finally:
            with self._cond:
                self.in_flight -= 1
                self._cond.notify_all()

    def on_success(self) -> None:
        with self._cond:
            if self.limit >= self.maximum:
                return
            self._successes += 1
            if self._successes < self.current:
                return
            self._successes = 0
            blocked = self.ceiling is not None and self.current + 1 >= self.ceiling
            if blocked and time.monotonic() - self._last_cut < self.probe_after:
                return
            self.limit = min(float(self.maximum), self.limit + 1)
            self._cond.notify_all()

    def on_throttled(self, epoch: int) -> None:
        """A 429 for a request sent in ``epoch``: cut, unless the limit was cut since it was sent."""
        with self._cond:
            if epoch < self.epoch:
                return
            self.epoch += 1
            self._successes = 0
            self._last_cut = time.monotonic()
            self.ceiling = self.current
            self.limit = max(1.0, self.limit / 2)
            self.lowest = min(self.lowest, self.current)
