"""A callback every few seconds on a daemon thread: progress lines and JSON ``progress`` events go
on during a long phase that reports nothing itself (a large load, a model build)."""

from __future__ import annotations

import threading
from typing import Callable


class Ticker:
    """Calls ``tick`` every ``every`` seconds from ``start()`` until ``stop()``; a tick that has
    begun finishes, and none follows a stop."""

    def __init__(self, every: float, tick: Callable[[], None]) -> None:
        self._every = every
        self._tick = tick
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="asana-sync-progress", daemon=True)

    def start(self) -> "Ticker":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()

    def _run(self) -> None:
        while not self._stopped.wait(self._every):
            self._tick()
