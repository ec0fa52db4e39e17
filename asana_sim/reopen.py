"""Tasks completed, reopened and completed again, with the stories Asana writes for it.

Asana records each completion as a `marked_complete` story and each reopening as a `marked_incomplete` story;
`completed_at` is the time of the last completion. The base generator writes only the final completion, and
for ~5% of the open tasks it ends their history with a reopening. This pass, run after every other object:

* gives each of those reopened open tasks the completion its reopening undid (a `marked_complete` story at a
  moment between the task's creation and the reopening), so no reopening follows no completion;
* makes `REOPEN_SHARE` of the completed tasks go through one (or, for `SECOND_CYCLE_SHARE` of them, two)
  completion and reopening before their final completion, all between creation and `completed_at`.

Drawn from a random stream of its own, seeded from (seed, "reopen"), with story gids from a range of their
own (`REOPEN_GID_BASE`, far above what the store's counter reaches), so that no gid or value generated
before or after it shifts, whatever the coverage options. The task's record does not change: its current
state and `completed_at` stay what the base generator made them, and `modified_at` is already at or after
its last story.
"""
from __future__ import annotations

import itertools
import random
from sys import intern

from .store import GID_BASE, Seq, Store, iso_ms, ms_of

REOPEN_SHARE = 0.04          # share of completed tasks completed and reopened before their final completion
SECOND_CYCLE_SHARE = 0.25    # share of those that went through it twice
REOPEN_GID_BASE = GID_BASE + 90_000_000_000_000


class Reopenings:
    def __init__(self, store: Store, seed: int):
        self.s = store
        self.r = random.Random(f"{seed}:reopen")
        self._gid = itertools.count(REOPEN_GID_BASE + 1)
        self.touched: set[str] = set()

    def run(self) -> None:
        reopened: dict[str, list[str]] = {}
        for g, st in self.s.stories.items():
            if st["resource_subtype"] == "marked_incomplete":
                reopened.setdefault(st["target"], []).append(g)
        for gid, t in self.s.tasks.items():
            if t["completed"] and t["completed_at"]:
                if self.r.random() < REOPEN_SHARE:
                    self._cycles(t)
            elif gid in reopened:
                for story in reopened[gid]:
                    self._completion_before(t, self.s.stories[story])
        for gid in sorted(self.touched):
            # a task's stories are listed oldest first: re-key the ones that got earlier stories
            stories = sorted(self.s.ix_task_stories[gid].gids, key=lambda g: (self.s.stories[g]["created_at"], g))
            seq = Seq()
            for g in stories:
                seq.append(g, self.s.next_key())
            self.s.ix_task_stories[gid] = seq

    def _moments(self, t: dict, lo: int, hi: int, n: int) -> list[int] | None:
        """n distinct moments strictly between lo and hi, in order, none at the time of another story of
        the task (so the order of its stories is never a tie); None when the span is too short."""
        if hi - lo < 10 * (n + 1):
            return None
        taken = {ms_of(self.s.stories[g]["created_at"]) for g in self.s.ix_task_stories.get(t["gid"], ())}
        picked: set[int] = set()
        while len(picked) < n:
            ms = self.r.randint(lo + 1, hi - 1)
            if ms not in taken:
                picked.add(ms)
        return sorted(picked)

    def _cycles(self, t: dict) -> None:
        n = 4 if self.r.random() < SECOND_CYCLE_SHARE else 2
        moments = self._moments(t, ms_of(t["created_at"]), ms_of(t["completed_at"]), n)
        if moments is None:
            return
        for i, ms in enumerate(moments):
            self._story(t, ms, "marked_complete" if i % 2 == 0 else "marked_incomplete")

    def _completion_before(self, t: dict, reopening: dict) -> None:
        moments = self._moments(t, ms_of(t["created_at"]), ms_of(reopening["created_at"]), 1)
        if moments is not None:
            self._story(t, moments[0], "marked_complete")

    def _story(self, t: dict, ms: int, subtype: str) -> None:
        actor = self.r.choice(t["followers"]) if t["followers"] else None
        who = self.s.users[actor]["name"] if actor else "Asana"
        text = f"{who} completed this task" if subtype == "marked_complete" else f"{who} marked this task incomplete"
        self.s.add_story({"gid": str(next(self._gid)), "target": t["gid"], "created_at": iso_ms(ms),
                          "created_by": actor, "resource_subtype": subtype, "type": "system",
                          "is_pinned": False, "text": intern(text)})
        self.touched.add(t["gid"])


def add_reopenings(store: Store, seed: int) -> None:
    Reopenings(store, seed).run()
