"""The example queries in sql/examples/ run as written on DuckDB and PostgreSQL against a synced simulated
organization, return rows, agree with the raw tables where that is cheap to check, and give the same
rows on both engines."""
from __future__ import annotations

import collections
import datetime as dt
from pathlib import Path

import pytest
from asana_sim import AsanaSimulator, SimConfig, history, serve_in_thread
from helpers import engine_differences
from truth import expected_section_rows, knowable_spans

from pipelines.models.build import build_models

from pipelines.sync.run import run_sync

from pipelines.warehouse.destination import Destination

from pipelines.warehouse.runtime import make_pipeline

EXAMPLES = Path(__file__).resolve().parents[2] / "sql" / "examples"
# Enough recent activity that "last week" and "the last 28 days" are never empty (727 tasks).
CONFIG = dict(seed=1, n_projects=8, tasks_per_project=60)


def example(name: str) -> str:
    return (EXAMPLES / f"{name}.sql").read_text(encoding="utf-8")


class Engine:
    def __init__(self, destination: Destination):
        self.destination = destination

    def rows(self, sql: str) -> list[tuple]:
        with make_pipeline(self.destination).sql_client() as client:
            return [tuple(r) for r in client.execute_sql(sql) or []]

    def dicts(self, sql: str) -> list[dict]:
        with make_pipeline(self.destination).sql_client() as client:
            with client.execute_query(sql) as cursor:
                names = [d[0] for d in cursor.description]
                return [dict(zip(names, row)) for row in cursor.fetchall()]


@pytest.fixture(scope="module")
def synced(tmp_path_factory):
    return AsanaSimulator(SimConfig.small(**CONFIG)), tmp_path_factory.mktemp("examples")


def _load(sim, destination: Destination) -> Engine:
    with serve_in_thread(sim, port=0) as base_url:
        run_sync(destination, source_options={"access_token": "sim-token", "base_url": base_url,
                                              "requests_per_minute": 100_000})
    build_models(destination)
    return Engine(destination)


@pytest.fixture(scope="module")
def duck(synced):
    sim, tmp = synced
    with pytest.MonkeyPatch.context() as env:
        env.setenv("ASANA_SYNC_HOME", str(tmp / "home-duck"))
        yield _load(sim, Destination.parse("duckdb", str(tmp / "examples.duckdb")))


@pytest.fixture(scope="module")
def pg(synced, pg_server):
    sim, tmp = synced
    with pg_server.database() as db, pytest.MonkeyPatch.context() as env:
        env.setenv("DESTINATION__POSTGRES__CREDENTIALS", pg_server.dsn(db))
        env.setenv("ASANA_SYNC_HOME", str(tmp / "home-pg"))
        env.setenv("PGTZ", "Pacific/Kiritimati")  # far from UTC: the examples must not depend on it
        yield _load(sim, Destination.parse("postgres"))


@pytest.fixture(params=["duckdb", "postgres"])
def engine(request) -> Engine:
    return request.getfixturevalue("duck" if request.param == "duckdb" else "pg")


def _utc(value) -> dt.datetime:
    return value.astimezone(dt.timezone.utc) if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def _week(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _day(ms: int) -> dt.date:
    return dt.datetime.fromtimestamp(ms / 1000, dt.timezone.utc).date()


def _midnight_ms(day: dt.date) -> int:
    return int(dt.datetime.combine(day, dt.time(), tzinfo=dt.timezone.utc).timestamp() * 1000)


def _state_at(spans: list[tuple], ms: int):
    return next((state for start, end, state in spans if start <= ms and (end is None or ms < end)), None)


def _due_date(state) -> dt.date | None:
    due_on, due_at = state[("due",)]
    value = due_on or (due_at[:10] if due_at else None)
    return dt.date.fromisoformat(value) if value else None


def _live_tasks(engine: Engine) -> list[dict]:
    return engine.dicts("select gid, assignee_gid, completed, completed_at, created_at from asana_raw.tasks "
                        "where not coalesce(is_deleted, false)")


# -- one test per example -----------------------------------------------------------------------------
def test_open_tasks_by_assignee(engine):
    rows = engine.dicts(example("open_tasks_by_assignee"))
    assert rows
    expected: dict = {}
    for task in _live_tasks(engine):
        if not task["completed"]:
            expected[task["assignee_gid"]] = expected.get(task["assignee_gid"], 0) + 1
    assert {r["assignee_user_gid"]: r["open_tasks"] for r in rows} == expected
    assert all(0 <= r["overdue_tasks"] <= r["open_tasks"] for r in rows)
    assert any(r["overdue_tasks"] for r in rows)


def test_overdue_tasks_by_project(engine):
    rows = engine.dicts(example("overdue_tasks_by_project"))
    assert rows
    expected = dict(engine.rows(
        "select memberships.project_gid, count(distinct memberships.task_gid) "
        "from asana_raw.task_memberships as memberships "
        "inner join asana_analytics.asana__task as tasks on memberships.task_gid = tasks.task_gid "
        "inner join asana_raw.projects as projects on memberships.project_gid = projects.gid "
        "where tasks.is_overdue and not coalesce(projects.is_deleted, false) group by memberships.project_gid"))
    assert {r["project_gid"]: r["overdue_tasks"] for r in rows} == expected
    for r in rows:
        assert float(r["percent_overdue"]) == pytest.approx(100.0 * r["overdue_tasks"] / r["open_tasks"], abs=0.05)


def test_cycle_time_per_section(engine):
    rows = engine.dicts(example("cycle_time_per_section"))
    assert rows
    sections = dict(engine.rows("select gid, project_gid from asana_raw.sections "
                                "where not coalesce(is_deleted, false)"))
    for r in rows:
        assert r["section_gid"] in sections
        assert r["finished_stays"] > 0
        assert 0 <= float(r["median_days"]) <= float(r["p90_days"]) + 0.05


def test_weekly_throughput(engine, synced):
    rows = engine.dicts(example("weekly_throughput"))
    assert len(rows) == 12
    created: dict = {}
    for task in _live_tasks(engine):
        week = _week(_utc(task["created_at"]).date())
        created[week] = created.get(week, 0) + 1
    # completions are events: a task completed, reopened and completed again counts in both weeks
    store = synced[0].store
    completed = collections.Counter(_week(_day(ms)) for gid in store.tasks
                                    for ms, event in history.completion_events(store, gid) if event == "completed")
    this_week = _week(dt.datetime.now(dt.timezone.utc).date())
    assert [r["week_start"] for r in rows] == [this_week - dt.timedelta(weeks=n) for n in range(1, 13)]
    for r in rows:
        assert r["tasks_created"] == created.get(r["week_start"], 0), r
        assert r["tasks_completed"] == completed.get(r["week_start"], 0), r
    assert sum(r["tasks_completed"] for r in rows) > 0


def test_time_tracked_per_project(engine):
    rows = engine.dicts(example("time_tracked_per_project"))
    assert rows
    (tracked,), = engine.rows(
        "select sum(entries.duration_minutes) from asana_raw.time_tracking_entries as entries "
        "inner join asana_raw.tasks as tasks on entries.task_gid = tasks.gid "
        "where not coalesce(tasks.is_deleted, false)")
    assert sum(float(r["minutes"]) for r in rows) == pytest.approx(float(tracked), abs=0.01)
    assert sum(float(r["hours"]) for r in rows) == pytest.approx(float(tracked) / 60, abs=0.05 * len(rows))


def test_tasks_completed_last_week(engine):
    rows = engine.dicts(example("tasks_completed_last_week"))
    assert rows
    last_week = _week(dt.datetime.now(dt.timezone.utc).date()) - dt.timedelta(weeks=1)
    expected = {t["gid"] for t in _live_tasks(engine) if t["completed"] and t["completed_at"] is not None
                and _week(_utc(t["completed_at"]).date()) == last_week}
    assert {r["task_gid"] for r in rows} == expected
    (weekly,), = engine.rows("select sum(number_of_final_completions) from asana_analytics.asana__throughput_weekly "
                             f"where week_start = cast('{last_week.isoformat()}' as date)")
    assert len(rows) == weekly


def test_comment_activity(engine):
    rows = engine.dicts(example("comment_activity"))
    assert rows
    expected = dict(engine.rows(
        "select stories.created_by_gid, count(*) from asana_raw.stories as stories "
        "inner join asana_raw.tasks as tasks on stories.task_gid = tasks.gid "
        "where stories.type = 'comment' and not coalesce(tasks.is_deleted, false) "
        "and stories.created_at >= now() - interval '28 days' group by stories.created_by_gid"))
    assert {r["author_user_gid"]: r["comments"] for r in rows} == expected
    assert all(1 <= r["tasks_commented"] <= r["comments"] for r in rows)


def test_open_tasks_per_assignee_as_of(engine, synced):
    rows = engine.dicts(example("open_tasks_per_assignee_as_of"))
    assert rows
    store = synced[0].store
    at_day = dt.datetime.now(dt.timezone.utc).date() - dt.timedelta(days=30)
    expected: collections.Counter = collections.Counter()
    overdue: collections.Counter = collections.Counter()
    changed = 0  # tasks whose state then differs from their state now: the example must not read today's
    for gid, task in store.tasks.items():
        spans = knowable_spans(store, gid)
        state = _state_at(spans, _midnight_ms(at_day))
        if state is None:
            continue
        changed += state != spans[-1][2]
        if not state[("completed",)]:
            expected[state[("assignee",)]] += 1
            overdue[state[("assignee",)]] += _due_date(state) is not None and _due_date(state) < at_day
    assert changed > 0
    assert {r["assignee_user_gid"]: (r["open_tasks"], r["overdue_tasks"]) for r in rows} == \
        {a: (n, overdue[a]) for a, n in expected.items()}


def test_time_in_section(engine, synced):
    rows = engine.dicts(example("time_in_section"))
    assert rows
    today = _midnight_ms(dt.datetime.now(dt.timezone.utc).date())
    stays: collections.Counter = collections.Counter()
    days: collections.Counter = collections.Counter()
    for task, _, start, end, section in expected_section_rows(synced[0].store):
        if section is not None:
            stays[task, section] += 1
            days[task, section] += max((end or today) - start, 0) / 86_400_000
    got = {(r["task_gid"], r["section_gid"]): r for r in rows if r["section_gid"] is not None}
    assert {key: r["stays"] for key, r in got.items()} == dict(stays)
    assert any(n > 1 for n in stays.values())  # a task that came back to a section
    for key, r in got.items():
        assert float(r["days_in_section"]) == pytest.approx(days[key], abs=0.051), key


def test_due_date_slips_per_project(engine, synced):
    rows = engine.dicts(example("due_date_slips_per_project"))
    store = synced[0].store
    now = dt.datetime.now(dt.timezone.utc).date()
    this_quarter = dt.date(now.year, 3 * ((now.month - 1) // 3) + 1, 1)
    last_quarter = dt.date(this_quarter.year - (this_quarter.month == 1), (this_quarter.month - 4) % 12 + 1, 1)
    sections = collections.defaultdict(list)
    for task, project, start, end, _ in expected_section_rows(store):
        sections[task].append((project, start, end))
    slips: collections.Counter = collections.Counter()
    tasks = collections.defaultdict(set)
    moved: collections.Counter = collections.Counter()
    for gid in store.tasks:
        spans = knowable_spans(store, gid)
        for (_, _, before), (start, _, state) in zip(spans, spans[1:]):
            old, new = _due_date(before), _due_date(state)
            if not (_midnight_ms(last_quarter) <= start < _midnight_ms(this_quarter) and old and new and new > old):
                continue
            for project, a, b in sections[gid]:
                if a <= start and (b is None or start < b):
                    slips[project] += 1
                    tasks[project].add(gid)
                    moved[project] += (new - old).days
    assert rows and slips
    assert {r["project_gid"]: (r["slips"], r["tasks"], r["days_slipped"]) for r in rows} == \
        {p: (n, len(tasks[p]), moved[p]) for p, n in slips.items()}


def test_every_example_is_tested():
    tested = {name.removeprefix("test_") for name in globals() if name.startswith("test_")}
    files = {p.stem for p in EXAMPLES.glob("*.sql")}
    assert files and files <= tested, f"untested examples: {sorted(files - tested)}"


def test_examples_give_the_same_rows_on_both_engines(duck, pg):
    for path in sorted(EXAMPLES.glob("*.sql")):
        sql = path.read_text(encoding="utf-8")
        assert engine_differences(path.stem, duck.rows(sql), pg.rows(sql)) == [], path.name


def test_examples_are_not_models():
    """sql/examples/ sits beside the model layers; the runner reads only staging/, intermediate/ and marts/."""
    from pipelines.models import ModelProject

    assert not {p.stem for p in EXAMPLES.glob("*.sql")} & set(ModelProject.load().models)
