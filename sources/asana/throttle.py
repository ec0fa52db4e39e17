"""How fast and how many at once: the two limits every request passes before it is sent.

``RateLimiter`` spaces requests to the per-minute budget and pauses every worker while Asana asks
for it. ``ConcurrencyLimit`` keeps enough requests in flight to use that budget at the latency the
run measures, and lowers itself only where the server shows a concurrency cap.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator, Optional

# Asana counts requests in its own 60-second windows, whose edges never line up with ours; spending
# 1% less than the limit keeps a request that arrives a little late from being the one too many.
RATE_SAFETY = 0.99


class RateLimiter:
    """Spaces requests so that no 60-second window holds more than ``requests_per_minute``, and
    holds every worker while Asana asks for a pause.

    A token bucket refilled continuously; ``burst`` requests may go back to back after an idle
    spell. ``pause(30)`` (a 429 with ``Retry-After: 30``) holds every thread for 30 seconds; the
    bucket keeps filling meanwhile, so a pause delays requests without losing any of the budget.
    """

    def __init__(self, requests_per_minute: float, burst: Optional[int] = None) -> None:
        per_minute = max(float(requests_per_minute), 1.0)
        self.requests_per_minute = per_minute
        self.capacity = float(burst if burst is not None else max(1, min(50, int(per_minute // 30))))
        # Refilling at (limit - burst) per minute keeps any 60-second window, burst included, at or
        # under the limit, so Asana's per-minute counter never sees one request too many.
        self.rate = max(per_minute * RATE_SAFETY - self.capacity, 1.0) / 60.0
        self._tokens = self.capacity
        self._updated = time.monotonic()
        self._paused_until = 0.0
        self._lock = threading.Lock()
        self.waited_seconds = 0.0

    @property
    def per_second(self) -> float:
        """The budget in requests per second (what "share of the rate limit" is measured against)."""
        return self.requests_per_minute / 60.0

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
            # The tokens stay: the bucket alone keeps every 60-second window under the limit, and a
            # 429 that is not about the rate (the cost quota, a concurrency cap, another app on the
            # token) should not cost budget on top of the pause.


@dataclass(frozen=True)
class Ticket:
    """One request's place in flight: its number, when it was sent, and the requests in flight then."""

    number: int
    sent: float
    peers: frozenset


class ConcurrencyLimit:
    """At most ``current`` requests in flight: as many as the rate limit needs at the measured
    latency, never above ``maximum``, and below a concurrency cap only once the server has shown one.

    **Sizing (Little's law).** Sending ``rate`` requests a second when each takes ``latency``
    seconds needs ``rate * latency`` in flight. The limit is that times ``MARGIN`` (to catch up on
    the budget that builds up during a pause) plus one, from an average of the latency of
    successful requests. A run starts at ``initial`` and adds one per success (doubling every round
    trip, as TCP's slow start does) up to it. Against Asana (1,500 requests a minute, ~250 ms) that
    is about 14; at 5 ms, 2.

    **429s.** A 429 can mean too many in flight, the per-minute window, the cost quota or another
    process on the same token, and the answer does not say which. A 429 pauses every request (see
    ``RateLimiter.pause``) unless a concurrency cap explains it; only evidence of such a cap lowers
    this limit: among the last
    ``window`` answers, those sent with more than ``c`` in flight drew 429s far more often than
    those sent with ``c`` or fewer (``_cap_shown``). The limit is then held at ``c`` (``cap``). A 429 at one in flight is never such evidence. Once the
    evidence has left the window and the cap has held ``probe_after`` seconds, the cap is lifted
    and the limit grows back by one per round trip (not the doubling of a run's start); a 429 sent
    above the old cap restores it at once, so a server that still caps costs one 429 per probe, and
    only that request waits.

    Use around one request: ``with limit.slot() as ticket: send()``, then
    ``limit.on_success(ticket, seconds)`` or ``limit.on_throttled(ticket)``.
    """

    MARGIN = 2.0
    DIRTY = 0.25
    CONTRAST = 4.0
    MIN_EVIDENCE = 2
    SIGNIFICANT = 6.0  # nats: the split must make the answers e^6 (400) times likelier

    def __init__(self, maximum: int, rate_per_second: float = math.inf, initial: int = 4, window: int = 200,
                 probe_after: float = 10.0) -> None:
        self.maximum = max(1, int(maximum))
        self.rate_per_second = rate_per_second
        self.probe_after = probe_after
        self.in_flight = 0
        self.cap: Optional[int] = None
        self.latency: Optional[float] = None
        self._grown = min(self.maximum, max(1, initial))
        # The lowest limit a concurrency cap brought it to (None: never lowered).
        self.lowest: Optional[int] = None
        self._samples = 0
        self._outcomes: deque[tuple[int, bool]] = deque(maxlen=window)
        self._last_evidence = float("-inf")
        self._credit = 0
        self._throttled_above_one = False
        self._issued = 0
        self._flying: set[int] = set()
        self._refused = _RecentSet(4 * self.maximum + 64)
        # The cap last lifted to probe past it: a 429 above it restores it at once.
        self._probing: Optional[int] = None
        self._cond = threading.Condition()

    @property
    def wanted(self) -> int:
        """In flight needed to reach the rate limit at the measured latency (``maximum`` while the
        rate is unlimited or the latency unknown)."""
        if self.latency is None or math.isinf(self.rate_per_second):
            return self.maximum
        need = math.ceil(self.rate_per_second * self.latency * self.MARGIN) + 1
        return max(1, min(self.maximum, need))

    @property
    def current(self) -> int:
        limit = min(self._grown, self.wanted)
        return max(1, min(limit, self.cap) if self.cap is not None else limit)

    @contextmanager
    def slot(self) -> Iterator[Ticket]:
        with self._cond:
            while self.in_flight >= self.current:
                self._cond.wait()
            self.in_flight += 1
            self._issued += 1
            ticket = Ticket(self._issued, time.monotonic(), frozenset(self._flying))
            self._flying.add(ticket.number)
        try:
            yield ticket
        finally:
            with self._cond:
                self.in_flight -= 1
                self._flying.discard(ticket.number)
                self._cond.notify_all()

    def _level(self, ticket: Ticket) -> int:
        """How many requests the server held when ``ticket`` was sent, itself included, as far as
        the client can tell: those then in flight, less those the server refused (a refused request
        takes no place among those in flight)."""
        return 1 + sum(1 for peer in ticket.peers if peer not in self._refused)

    def on_success(self, ticket: Ticket, seconds: float) -> None:
        with self._cond:
            self._samples += 1
            # The plain mean at first, then a moving average that follows the latency of the hour.
            weight = max(0.05, 1.0 / self._samples)
            self.latency = seconds if self.latency is None else self.latency + weight * (seconds - self.latency)
            level = self._level(ticket)
            self._outcomes.append((level, False))
            self._grow()
            if self._probing is not None and level > self._probing:
                self._probing = None  # sent above the old cap and served: the cap has risen
            if self.cap is not None and time.monotonic() - self._last_evidence >= self.probe_after \
                    and self._cap_shown() is None:
                # The window no longer shows the cap: grow back, one per round trip, and see.
                self._probing, self.cap = self.cap, None
            self._cond.notify_all()

    def on_throttled(self, ticket: Ticket) -> bool:
        """A 429 for ``ticket``. True when a concurrency cap explains it (the request was sent with
        more in flight than the cap the window shows): then only that request need wait, as the
        others, sent within the cap, are not refused."""
        with self._cond:
            level = self._level(ticket)
            self._refused.append(ticket.number)
            self._outcomes.append((level, True))
            self._throttled_above_one |= level > 1
            cap = self._cap_shown()
            if cap is None and self._probing is not None and level > self._probing:
                cap = self._probing  # a probe past the cap met it again
            if cap is None:
                return False
            self._probing = None
            self._last_evidence = time.monotonic()
            self.cap = cap
            self._grown = min(self._grown, cap)
            self.lowest = self.current if self.lowest is None else min(self.lowest, self.current)
            return level > cap

    def _grow(self) -> None:
        """One more per success up to ``wanted`` (doubling every round trip) until a 429 came with
        more than one in flight; from then on one more per round trip, so probing past a cap costs a
        429 or two, not a burst."""
        if self._grown >= self.wanted or (self.cap is not None and self._grown >= self.cap):
            return
        if not self._throttled_above_one:
            self._grown += 1
            return
        self._credit += 1
        if self._credit >= self._grown:
            self._credit = 0
            self._grown += 1

    def _cap_shown(self) -> Optional[int]:
        """The cap the window shows, or None: the level ``c`` that best splits the answers into those
        sent with ``c`` or fewer in flight and those sent with more (a change point, by likelihood),
        where the split explains the 429s far better than one rate for all (``SIGNIFICANT``), and
        those above drew at least ``DIRTY`` of 429s, ``CONTRAST`` times as often as those below.

        Requests sent together reach the server in any order, so near a cap some sent with fewer in
        flight draw 429s and some sent with more do not: the best split, not the first 429, decides.
        429s that come at any level (one in 25, say) split nowhere better than by chance."""
        counts: dict[int, list[int]] = {}
        for level, throttled in self._outcomes:
            count = counts.setdefault(level, [0, 0])
            count[0] += 1
            count[1] += throttled
        total, limited = len(self._outcomes), sum(c[1] for c in counts.values())
        if limited < self.MIN_EVIDENCE:
            return None
        single = _log_likelihood(limited, total)
        best, best_gain = None, self.SIGNIFICANT
        below, below_limited = 0, 0
        for level in sorted(counts)[:-1]:
            below += counts[level][0]
            below_limited += counts[level][1]
            above, above_limited = total - below, limited - below_limited
            if not self._stands_out(above_limited, above, below_limited, below, self.DIRTY):
                continue
            gain = _log_likelihood(below_limited, below) + _log_likelihood(above_limited, above) - single
            if gain > best_gain:
                best, best_gain = level, gain
        # The level at the split may itself be a boundary the server crosses now and then: while its
        # own 429s stand out from those below it, the cap is one lower.
        while best is not None and best > 1:
            at, at_limited = counts[best]
            under = [c for level, c in counts.items() if level < best]
            if not self._stands_out(at_limited, at, sum(c[1] for c in under), sum(c[0] for c in under),
                                    self.DIRTY / 2):
                break
            best -= 1
        return best

    def _stands_out(self, hits: int, tries: int, hits_below: int, tries_below: int, dirty: float) -> bool:
        share = hits / tries if tries else 0.0
        share_below = hits_below / tries_below if tries_below else 0.0
        return hits >= self.MIN_EVIDENCE and share >= dirty and share >= self.CONTRAST * share_below


def _log_likelihood(hits: int, tries: int) -> float:
    """Log-likelihood of ``hits`` in ``tries`` at their own rate (a Bernoulli's maximum)."""
    if hits in (0, tries):
        return 0.0
    rate = hits / tries
    return hits * math.log(rate) + (tries - hits) * math.log(1 - rate)


class _RecentSet:
    """The last ``size`` numbers added, for membership tests (tickets refused lately)."""

    def __init__(self, size: int) -> None:
        self._order: deque[int] = deque(maxlen=size)
        self._members: set[int] = set()

    def append(self, number: int) -> None:
        if len(self._order) == self._order.maxlen:
            self._members.discard(self._order[0])
        self._order.append(number)
        self._members.add(number)

    def __contains__(self, number: object) -> bool:
        return number in self._members
