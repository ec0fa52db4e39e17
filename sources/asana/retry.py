"""When a failed request is tried again, and how long to wait first."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Optional

RETRY_STATUSES = frozenset({500, 502, 503, 504})


@dataclass
class RetryPolicy:
    """Decides, after a failed attempt, whether to try again and after how long.

    Failures that count: 5xx answers (``{"errors": [{"message": "Server Error", "phrase": "6 sad
    squid snuggle softly"}]}``), broken connections and 2xx bodies that are not JSON; after
    ``max_attempts`` of them the request fails. A 429 (``Retry-After: 30``) is Asana asking to wait,
    not a failure: it never counts, and throttling gives up only after ``throttle_patience``
    seconds in which no request at all succeeded. Used for idempotent GETs only, as Asana's own
    client does.
    """

    max_attempts: int = 8
    base_delay: float = 0.5
    max_delay: float = 60.0
    malformed_attempts: int = 3
    throttle_patience: float = 900.0

    def delay_after_failure(self, failures: int, malformed: bool = False) -> Optional[float]:
        """Seconds to wait before the next attempt, or None to give up."""
        limit = min(self.malformed_attempts, self.max_attempts) if malformed else self.max_attempts
        if failures >= limit:
            return None
        backoff = min(self.max_delay, self.base_delay * 2 ** (failures - 1))
        return random.uniform(backoff / 2, backoff)

    def pause_after_throttle(self, retry_after: Optional[float], throttles_in_a_row: int) -> float:
        """How long every worker waits after a 429: ``Retry-After`` when given, else backoff."""
        if retry_after is not None:
            return retry_after
        return min(self.max_delay, self.base_delay * 2 ** min(throttles_in_a_row, 10))

    def out_of_patience(self, seconds_since_success: float) -> bool:
        return seconds_since_success >= self.throttle_patience
