"""What the destination already holds, read during a sync (``sources.asana.warehouse.Warehouse``)."""

from __future__ import annotations

from typing import Any, Sequence

import dlt
import duckdb
import psycopg2
from dlt.destinations.exceptions import DatabaseUndefinedRelation

from ..errors import EXIT_DESTINATION, SyncError, first_line, root_cause


def is_missing_relation(error: BaseException) -> bool:
    """An undefined table, schema or column, whichever way dlt and the driver wrap it."""
    seen: set[int] = set()
    stack: list = [error]
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, (DatabaseUndefinedRelation, duckdb.CatalogException, psycopg2.errors.UndefinedTable,
                                psycopg2.errors.UndefinedColumn, psycopg2.errors.InvalidSchemaName)):
            return True
        if isinstance(current, duckdb.BinderException) and "not found" in str(current).lower():
            return True  # DuckDB's "Referenced column ... not found"
        stack.extend([getattr(current, "dbapi_exception", None), current.__cause__, current.__context__])
    return False


class WarehouseView:
    """What the destination held when the run started (``sources.asana.warehouse.Warehouse``):
    a table read once is kept for the run, whatever its checkpoint steps load meanwhile."""

    def __init__(self, pipeline: dlt.Pipeline) -> None:
        self.pipeline = pipeline
        self._tables: dict[str, list[dict]] = {}

    def _query(self, sql: str, *args: Any, tables: Sequence[str] = ("tasks", "task_memberships")) -> list[dict]:
        """Run ``sql`` with its ``{table}`` names qualified. A table, schema or column that does not
        exist yet (a first run, a warehouse of an older version) means no rows; anything else (the
        server went away, a full disk) is a destination error, never an empty warehouse."""
        try:
            with self.pipeline.sql_client() as client:
                names = {t: client.make_qualified_table_name(t) for t in tables}
                with client.execute_query(sql.format(**names), *args) as cursor:
                    columns = [d[0] for d in cursor.description]
                    return [dict(zip(columns, r)) for r in cursor.fetchall()]
        except Exception as error:  # noqa: BLE001 - sorted below: missing, or a destination error
            if is_missing_relation(error):
                return []
            raise SyncError("destination error while reading what the warehouse holds: "
                            f"{first_line(root_cause(error))}", EXIT_DESTINATION) from None

    def rows(self, table: str) -> list[dict]:
        """Every row of a (small) raw table."""
        if table not in self._tables:
            self._tables[table] = self._query("select * from {%s}" % table, tables=(table,))
        return self._tables[table]

    def live_rows(self, table: str) -> list[dict]:
        """Rows of a raw table not marked deleted."""
        return [r for r in self.rows(table) if not r.get("is_deleted")]

    def project_workspaces(self) -> dict[str, str]:
        return {r["gid"]: r["workspace_gid"] for r in self.live_rows("projects")}

    def task_fingerprints(self) -> dict[str, tuple]:
        rows = self._query("select gid, workspace_gid, sync_fingerprint from {tasks} "
                           "where not coalesce(is_deleted, false)")
        return {r["gid"]: (r["workspace_gid"], r["sync_fingerprint"]) for r in rows}

    def parent_gids(self) -> set[str]:
        rows = self._query("select gid from {tasks} where num_subtasks > 0 and not coalesce(is_deleted, false)")
        return {r["gid"] for r in rows}

    def project_task_gids(self, project_gid: str) -> set[str]:
        """Live tasks the warehouse has in a project."""
        rows = self._query("select m.task_gid from {task_memberships} m join {tasks} t on t.gid = m.task_gid "
                           "where m.project_gid = %s and not coalesce(t.is_deleted, false)", project_gid)
        return {r["task_gid"] for r in rows}

    def team_task_gids(self, team_gids: list[str]) -> set[str]:
        """Live tasks in the projects of these teams, and their subtasks at any depth (one recursive
        query, the same on DuckDB and PostgreSQL)."""
        if not team_gids:
            return set()
        marks = ", ".join(["%s"] * len(team_gids))
        rows = self._query(
            "with recursive scoped(gid) as ("
            " select m.task_gid from {task_memberships} m join {projects} p on p.gid = m.project_gid"
            f" where p.team_gid in ({marks})"
            " union select t.gid from {tasks} t join scoped s on t.parent_gid = s.gid)"
            " select distinct s.gid from scoped s join {tasks} t on t.gid = s.gid"
            " where not coalesce(t.is_deleted, false)", *team_gids,
            tables=("tasks", "task_memberships", "projects"))
        return {r["gid"] for r in rows}

    def task_rows(self, gids: list[str]) -> list[dict]:
        result = []
        for start in range(0, len(gids), 500):
            chunk = gids[start:start + 500]
            result += self._query(f"select * from {{tasks}} where gid in ({', '.join(['%s'] * len(chunk))})", *chunk)
        return result
