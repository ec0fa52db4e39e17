"""Tests proven to fail: each plausible bug below is applied to the model SQL, the changed model and what
is built on it are rebuilt on the raw fixture (DuckDB), and the data tests declared in the model headers
(`asana-sync models test`) must catch it: some test fails, on a build that succeeded.

The three the issue measured first (a completion moved a day earlier, the team mart's `distinct` dropped, time
entries credited to the wrong project) passed every data test before; the daily, team and time tracking marts
now reconcile with the events, the memberships and the entries along another path.
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlglot
from raw_fixture import duckdb_pipeline, load_raw
from sqlglot import exp

from pipelines.models import DEFAULT_SQL_DIR, ModelProject


@dataclass(frozen=True)
class Mutation:
    name: str
    file: str  # under sql/
    old: str
    new: str
    count: int = 1  # occurrences of `old`, all replaced: the mutation stays valid SQL

    @property
    def model(self) -> str:
        return Path(self.file).stem


MUTATIONS = [
    # a date shifted by one day
    Mutation("completions_counted_a_day_early", "marts/asana__daily_metrics.sql",
             "cast(completion.valid_from as date)", "cast(completion.valid_from - interval '1 day' as date)", 2),
    Mutation("completed_date_a_day_early", "intermediate/int_asana__task.sql",
             "then cast(tasks.completed_at as date) end as completed_date",
             "then cast(tasks.completed_at - interval '1 day' as date) end as completed_date"),
    Mutation("open_ranges_end_a_day_late", "marts/asana__daily_metrics.sql",
             "cast(states.valid_to as date) as to_date", "cast(states.valid_to + interval '1 day' as date) as to_date"),
    # a distinct dropped
    Mutation("team_tasks_without_distinct", "marts/asana__team.sql",
             "    select distinct\n        projects.team_gid,", "    select\n        projects.team_gid,"),
    # a join key swapped
    Mutation("time_entries_credited_to_the_wrong_project", "marts/asana__time_tracking.sql",
             "on entries.attributable_to_project_gid = attributed.project_gid",
             "on entries.task_gid = attributed.project_gid"),
    Mutation("assignee_name_of_the_completer", "marts/asana__task.sql",
             "on tasks.assignee_user_gid = assignees.user_gid", "on tasks.completed_by_user_gid = assignees.user_gid"),
    Mutation("state_spans_joined_on_their_end_too", "marts/asana__task_state_history.sql",
             "spans.valid_from < completion.valid_to", "spans.valid_from <= completion.valid_to"),
    # a deletion filter dropped
    Mutation("deleted_tasks_kept", "intermediate/int_asana__task.sql", "    where not tasks.is_deleted\n", "\n"),
    Mutation("deleted_projects_kept", "intermediate/int_asana__project.sql", "    where not is_deleted\n", "\n"),
    Mutation("stories_of_deleted_tasks_kept", "intermediate/int_asana__task_story_events.sql",
             "inner join tasks\n    on classified.task_gid", "left join tasks\n    on classified.task_gid"),
    # a completion taken from the wrong event
    Mutation("reopenings_counted_as_completions", "marts/asana__daily_metrics.sql",
             "count(*) filter (where completion.change_type = 'completed') as tasks_completed",
             "count(*) as tasks_completed"),
    Mutation("first_completion_story_taken_for_the_last", "intermediate/int_asana__task_completion_span.sql",
             "order by changed_at desc, story_gid desc) as recency", "order by changed_at, story_gid) as recency"),
    Mutation("completions_from_reopening_stories", "intermediate/int_asana__task_completion_span.sql",
             "story_subtype = 'marked_complete' as is_completed",
             "story_subtype = 'marked_incomplete' as is_completed"),
]


@pytest.fixture(scope="module")
def built(tmp_path_factory, project):
    """The raw fixture with every model built, on DuckDB: each mutation starts from a copy of this file."""
    tmp = tmp_path_factory.mktemp("mutations")
    p = duckdb_pipeline(tmp / "base.duckdb", tmp / "pipelines", name="asana_models_mutations")
    load_raw(p)
    project.build(p)
    failed = [r for r in project.test(p) if not r.passed]
    assert failed == [], "the data tests must pass before any mutation"
    return tmp / "base.duckdb"


def _mutated_sql(tmp: Path, mutation: Mutation) -> Path:
    sql_dir = tmp / "sql"
    shutil.copytree(DEFAULT_SQL_DIR, sql_dir, ignore=shutil.ignore_patterns("examples"))
    path = sql_dir / mutation.file
    text = path.read_text(encoding="utf-8")
    assert text.count(mutation.old) == mutation.count, f"{mutation.name}: the SQL changed, update the mutation"
    path.write_text(text.replace(mutation.old, mutation.new), encoding="utf-8")
    return sql_dir


@pytest.mark.parametrize("mutation", MUTATIONS, ids=lambda m: m.name)
def test_the_data_tests_catch_the_mutation(built, tmp_path, mutation):
    project = ModelProject.load(_mutated_sql(tmp_path, mutation), task_custom_fields=())
    shutil.copy(built, tmp_path / "mutated.duckdb")
    p = duckdb_pipeline(tmp_path / "mutated.duckdb", tmp_path / "pipelines", name="asana_models_mutations")
    results = project.build(p, select=f"{mutation.model}+")
    assert all(r.status == "ok" for r in results), f"{mutation.name} does not build: a test must catch a bug"
    tested = _tests_that_read(project, {mutation.model} | project.downstream(mutation.model))
    caught = [f"{r.model} {r.test}: {r.failures}" for r in project.test(p, select=tested)
              if r.error is None and r.failures]
    assert caught, f"no data test catches {mutation.name}"


def _tests_that_read(project: ModelProject, changed: set[str]) -> list[str]:
    """The models whose data tests read a changed model: the changed ones, those referencing one, and those
    whose checks query one (the other tests cannot see the mutation, and are left out to keep this fast)."""
    def reads(name: str) -> set[str]:
        m = project[name]
        queries = [sqlglot.parse_one(query, read="duckdb") for _, query in m.expect_zero]
        tables = {t.name for ast in queries for t in ast.find_all(exp.Table)}
        return tables | {r.model for r in m.references}

    return sorted(n for n in project.models if n in changed or reads(n) & changed)


def test_every_kind_of_bug_is_listed():
    kinds = {"date shifted": "a_day", "distinct dropped": "without_distinct", "join key swapped": "wrong_project",
             "deletion filter dropped": "deleted_", "wrong event": "completion"}
    for kind, marker in kinds.items():
        assert any(marker in m.name for m in MUTATIONS), kind
