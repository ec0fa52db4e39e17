"""Generated time is realistic: stationary weekly series, subtasks near their parents, stories in order."""
import calendar
import collections
import statistics
import time

import pytest

from asana_sim import SimConfig
from asana_sim.generator import generate

WEEK = 7 * 86_400_000
DAY = 86_400_000


def ms(iso: str) -> int:
    return calendar.timegm(time.strptime(iso[:19], "%Y-%m-%dT%H:%M:%S")) * 1000 + int(iso[20:23])


@pytest.fixture(scope="module")
def demo():
    cfg = SimConfig.demo(seed=1)
    return cfg, generate(cfg)


def weekly(now: int, stamps) -> list[int]:
    """Counts per full week before `now`: index 0 is the last full week."""
    c = collections.Counter((now - ms(x)) // WEEK for x in stamps if x)
    return [c.get(i, 0) for i in range(52)]


@pytest.mark.parametrize("what", ["completed_at", "created_at", "subtask created_at", "story created_at"])
def test_weekly_series_of_the_demo_org_do_not_pile_up_near_now(demo, what):
    cfg, s = demo
    now = int(cfg.now * 1000)
    if what == "subtask created_at":
        stamps = [t["created_at"] for t in s.tasks.values() if t["parent"]]
    elif what == "story created_at":
        stamps = [x["created_at"] for x in s.stories.values()]
    else:
        stamps = [t[what] for t in s.tasks.values()]
    weeks = weekly(now, stamps)
    med = statistics.median(weeks)
    assert med > 0
    # the last full week, and the last four, look like any other week of the year
    assert 0.5 <= weeks[0] / med <= 1.6, (what, weeks[:8], med)
    assert 0.6 <= statistics.mean(weeks[:4]) / med <= 1.6, (what, weeks[:8], med)


def test_subtasks_are_created_near_their_parent(demo):
    _, s = demo
    delays = [ms(t["created_at"]) - ms(s.tasks[t["parent"]]["created_at"]) for t in s.tasks.values() if t["parent"]]
    assert delays and min(delays) > 0
    assert statistics.median(delays) < 3 * DAY
    assert sum(d > 30 * DAY for d in delays) / len(delays) < 0.01


def test_stories_agree_with_the_task_in_time(demo):
    cfg, s = demo
    now = cfg.now * 1000
    by_task = collections.defaultdict(list)
    for st in s.stories.values():
        by_task[st["target"]].append(st)
    for gid, t in s.tasks.items():
        created = t["created_at"]
        stories = sorted(by_task.get(gid, ()), key=lambda x: x["created_at"])
        assert all(created < x["created_at"] <= t["modified_at"] for x in stories), gid
        assert ms(t["modified_at"]) < now and created <= t["modified_at"]
        done = [x for x in stories if x["resource_subtype"] == "marked_complete"]
        if t["completed"]:
            assert done and done[-1]["created_at"] == t["completed_at"] and t["completed_at"] > created
            # everything but attachments happened while the task was open
            assert all(x["created_at"] <= t["completed_at"] for x in stories
                       if x["resource_subtype"] != "attachment_added")
        else:
            assert not t["completed_at"]


def test_completion_share_and_durations(demo):
    cfg, s = demo
    tasks = list(s.tasks.values())
    share = sum(t["completed"] for t in tasks) / len(tasks)
    assert 0.3 < share < 0.6
    durations = [ms(t["completed_at"]) - ms(t["created_at"]) for t in tasks if t["completed"]]
    assert 3 * DAY < statistics.median(durations) < 15 * DAY


def test_generation_is_deterministic_per_seed():
    a, b = generate(SimConfig.small(seed=4)), generate(SimConfig.small(seed=4))
    assert a.tasks == b.tasks and a.stories == b.stories and a.time_tracking_entries == b.time_tracking_entries
