"""Checkpoint steps bounded in time, so that a kill never costs more than a few minutes of requests.

A resource that reads one listing per parent (per project, per user, per entry) takes its parents
through ``StepClock.take``. Once the step's time is up, ``take`` hands out no more: the resource
yields what it read, the step is loaded and committed, and the run's next step runs the resource
again, which takes up where it stopped. Resources that read a handful of listings do not use it.
"""

from __future__ import annotations

import math
import threading
import time
from typing import Any, Callable, Iterable, Iterator, TypeVar

T = TypeVar("T")

# A step takes at least this many items of each loop, whatever its time (a few seconds of requests at
# Asana's pace), so that a short step time makes fewer, larger steps, never one request per load.
MIN_ITEMS_PER_STEP = 100


class StepClock:
    """The deadline of the current step, and where each bounded loop of the run stands.

    ``start(60)`` before a step's extract; inside a resource::

        fresh = clock.fresh("sections")            # nothing taken yet: once-per-run rows go now
        for project in clock.take("sections", projects):
            ...
        if clock.done("sections"):                 # every parent read: deletions may be inferred
            ...

    ``unfinished`` names the resources the step cut short; the pipeline runs them again. ``part``
    tells several loops of one resource apart (one per workspace, say). The items must come in the
    same order every time the resource runs (listings are cached for the run).
    """

    def __init__(self) -> None:
        self.deadline = math.inf
        self.unfinished: set[str] = set()
        self._taken: dict[tuple[str, str], int] = {}
        self._finished: set[tuple[str, str]] = set()
        self._carried: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    def start(self, seconds: float) -> None:
        """A new step: it takes parents for ``seconds`` (``inf``: no bound)."""
        with self._lock:
            self.deadline = time.monotonic() + seconds
            self.unfinished = set()

    def take(self, resource: str, items: Iterable[T], part: str = "") -> Iterator[T]:
        """``items`` from where the last step stopped, until the deadline; at least
        ``MIN_ITEMS_PER_STEP`` per step, so every step makes progress."""
        key = (resource, part)
        items = list(items)
        start = self._taken.get(key, 0)
        for index in range(start, len(items)):
            if index >= start + MIN_ITEMS_PER_STEP and time.monotonic() >= self.deadline:
                with self._lock:
                    self.unfinished.add(resource)
                return
            self._taken[key] = index + 1
            yield items[index]
        with self._lock:
            self._finished.add(key)

    def fresh(self, resource: str, part: str = "") -> bool:
        """Nothing of this loop was taken yet (its first step)."""
        return self._taken.get((resource, part), 0) == 0 and (resource, part) not in self._finished

    def done(self, resource: str, part: str = "") -> bool:
        """Every item of this loop was taken, in this step or an earlier one."""
        return (resource, part) in self._finished

    def carried(self, resource: str, make: Callable[[], T], part: str = "") -> T:
        """A value a resource builds up across the steps of a run (say, the gids listed so far)."""
        with self._lock:
            return self._carried.setdefault((resource, part), make())
