"""dlt's DuckDB and PostgreSQL destinations, with merges that delete by one key at a time.

Tables replaced per parent (a task's stories, a project's memberships: ``replace_hints`` in
``sources/asana/__init__.py``) have a primary key and a merge key. dlt's delete-insert merge
deletes their old rows with one statement that joins on either key::

    DELETE FROM stories AS d WHERE EXISTS (
        SELECT 1 FROM staging.stories AS s WHERE d.gid = s.gid OR d.task_gid = s.task_gid)

Neither DuckDB nor PostgreSQL can hash-join an ``OR``: both compare every warehouse row with
every staged row. Each checkpoint step of a first sync merges into tables that grow through the
run, so the load time grew with the square of the organization (measured in DuckDB: 6.5 s for
one such delete of 5,000 staged stories against 600,000; the large organization's first sync
spent 3,192 of its 4,424 s loading). One ``DELETE`` per key removes the same rows (the union of
both matches) with a hash join each: 26 ms for the same delete.

dlt already builds its merge this way for BigQuery, which cannot run the ``OR`` at all; these
factories reuse that form. They keep dlt's destination type, so the pipeline state, the
configuration sections and existing warehouses are the same as with ``dlt.destinations.duckdb``
and ``dlt.destinations.postgres``.

One more change, for PostgreSQL only: ``create_indexes`` defaults to False, as it does for DuckDB.
With it, dlt gives every table (staging tables too) a UNIQUE index on ``_dlt_id``, a random string
nothing looks up, and PostgreSQL updates that B-tree for every row it copies into staging and again
for every row the merge inserts: 100,000 rows went in 2.7x slower with it, and a demo first sync's
load took 9.1 s with it against 7.3 s without. Set ``DESTINATION__POSTGRES__CREATE_INDEXES=true``
to have them (or ``create_indexes = true`` under ``[destination.postgres]``).
"""
from __future__ import annotations

import functools
from typing import Any, List, Optional, Sequence, Type

from dlt.common.configuration import configspec
from dlt.destinations import duckdb as dlt_duckdb
from dlt.destinations import postgres as dlt_postgres
from dlt.destinations.impl.postgres.configuration import PostgresClientConfiguration
from dlt.destinations.sql_jobs import SqlMergeFollowupJob


class KeyAtATimeMerge(SqlMergeFollowupJob):
    """dlt's merge job, deleting the rows each merge key matches in a statement of its own."""

    @classmethod
    def gen_key_table_clauses(cls, root_table_name: str, staging_root_table_name: str,
                              primary_keys: Sequence[str], merge_keys: Sequence[str], for_delete: bool,
                              source_filter: Optional[str] = None) -> List[str]:
        return [
            f"FROM {root_table_name} AS d WHERE EXISTS (SELECT 1 FROM {staging_root_table_name} AS s"
            f" WHERE {cls._gen_staging_rows_cond(clause.format(d='d', s='s'), source_filter)})"
            for clause in cls._gen_key_table_clauses(primary_keys, merge_keys)
        ]


@functools.lru_cache(maxsize=None)
def _with_key_at_a_time_merge(client_class: Type[Any]) -> Type[Any]:
    class Client(client_class):  # type: ignore[misc, valid-type]
        def _create_merge_followup_jobs(self, table_chain: Sequence[Any]) -> List[Any]:
            return [KeyAtATimeMerge.from_table_chain(table_chain, self.sql_client)]

    Client.__name__ = Client.__qualname__ = client_class.__name__
    return Client


@configspec
class PostgresConfiguration(PostgresClientConfiguration):
    """dlt's PostgreSQL configuration, without the UNIQUE index on ``_dlt_id`` unless asked for."""

    create_indexes: bool = False


class _KeyAtATimeMergeFactory:
    """Mixed in before a dlt factory: its client merges one key at a time, under dlt's own type."""

    dlt_destination_type: str

    @property
    def destination_type(self) -> str:
        return self.dlt_destination_type

    @property
    def client_class(self) -> Type[Any]:
        return _with_key_at_a_time_merge(super().client_class)  # type: ignore[misc]


class duckdb(_KeyAtATimeMergeFactory, dlt_duckdb):  # noqa: N801 - named like the dlt factory it stands for
    """``dlt.destinations.duckdb`` with key-at-a-time merge deletes."""

    dlt_destination_type = "dlt.destinations.duckdb"


class postgres(_KeyAtATimeMergeFactory, dlt_postgres):  # noqa: N801
    """``dlt.destinations.postgres`` with key-at-a-time merge deletes and no ``_dlt_id`` index."""

    dlt_destination_type = "dlt.destinations.postgres"
    spec = PostgresConfiguration
