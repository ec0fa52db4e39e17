"""Partitions: one organization split into parts that sync at the same time into one warehouse.

A partition is one of:

- ``workspace:GID``: every resource of one workspace (an organization with several workspaces, or
  several organizations under one token, splits along them);
- ``team:GID``: one team's projects and everything in them (sections, memberships, statuses,
  briefs, tasks with their subtasks, stories and attachments), nothing workspace-wide
  (``sources/asana/scope.py``). Team partitions run beside their workspace's partition, which then
  covers everything else: the workspace-wide objects, tasks in no project and the projects of every
  team without a partition of its own (so a new team is never missed). The workspace partition
  learns which teams have their own partition from ``--partitions``, given as the list of all
  partitions: ``--partitions team:1,team:2,workspace:9``. Told only a count, it reads those teams too
  (twice the work for them, nothing lost).

Each partition is its own dlt pipeline (``asana_sync__workspace_123``, ``asana_sync__team_456``):
its own state and cursors in the warehouse
(``_dlt_pipeline_state`` is keyed by pipeline name), its own local working folder and its own run
lock, so partitions never see each other's cursors or load packages.

What they share:

- **the destination**: every partition writes the same raw tables. Tables keyed by gid are merged
  (users, workspaces, teams, custom fields, ... land once whichever partition reads them), tables
  replaced per parent are replaced per parent the partition read, and deletion detection only looks
  at warehouse rows of the partition's own scope (its workspace, its teams' projects and the tasks
  in them), and only what Asana answers 404 for is marked deleted, so no partition tombstones
  another's rows (a task moved to another team's project is alive, and is read again). Loads are
  serialized: on PostgreSQL each load takes a session advisory lock (``pg_advisory_lock``) for its
  duration, so extraction (the slow, API-bound part) runs in parallel
  and only the short loads take turns, also across machines; on DuckDB, which allows one writer
  process per file, a whole partition run waits for the file (``<file>.writer.lock``) and says so.
- **the token's rate limit**: ``requests_per_minute`` and ``max_concurrency`` (the options, config or
  defaults) are the token's whole budget; a partition started with ``--partitions N`` takes
  ``requests_per_minute // N``, ``max(1, max_concurrency // N)`` and the same share of
  ``search_requests_per_minute`` (Asana allows 60 searches a minute per token), so N partitions
  running at once stay within it. Asana's 429s still reach each partition's own concurrency limit.
- ``sync_runs`` and ``sync_gaps`` say which partition each row is from (``sync_partition``).

A partition never runs ``--full-refresh`` (dlt would drop the tables every partition shares) and the
CLI builds no models after a partition run: build them once after all partitions
(``asana-sync models run``), as the orchestrators in ``deploy/`` do.
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass
from typing import Callable, Optional

from dlt.pipeline.state_sync import load_pipeline_state_from_destination

from sources.asana.client import AsanaClient
from sources.asana.errors import AsanaError
from sources.asana.options import SourceOptions
from sources.asana.settings import DEFAULT_MAX_CONCURRENCY, DEFAULT_REQUESTS_PER_MINUTE, SEARCH_REQUESTS_PER_MINUTE

from ..errors import EXIT_CONFIG, SyncError, explain
from ..warehouse.binding import remote_state, warehouse_exists
from ..warehouse.destination import Destination, PartitionKey
from ..warehouse.preflight import check_destination
from ..warehouse.runtime import make_pipeline
from ..warehouse.view import is_missing_relation
from .configuration import resolve_source_config

KINDS = ("workspace", "team")


@dataclass(frozen=True)
class Partition(PartitionKey):
    """``kind`` is workspace or team, ``gid`` its gid; ``count`` how many partitions share the token
    at once; ``siblings`` every partition's name when the whole list is known (``--partitions``)."""

    count: int = 1
    siblings: tuple = ()
    # The name it was given when that was a workspace's name (``workspace:Personal Projects``):
    # resolved to the gid, which alone keys its state, cursors, lock and runs.
    given_as: Optional[str] = None

    @property
    def named(self) -> bool:
        """Named by a workspace's name somewhere (itself or a sibling): to be resolved to gids."""
        return any(name.startswith("workspace:") and not name.split(":", 1)[1].isdigit()
                   for name in (self.name, *self.siblings))

    @classmethod
    def parse(cls, text: str, count: "int | str" = 1) -> "Partition":
        """``workspace:GID`` or ``team:GID``; ``count`` is how many partitions run at once, or the
        comma-separated list of all of them (``"team:1,workspace:9"``), which must name this one."""
        kind, gid = cls._split(text)
        siblings: tuple = ()
        if isinstance(count, str) and not count.strip().isdigit():
            siblings = tuple(dict.fromkeys(f"{k}:{g}" for k, g in map(cls._split, count.split(","))))
            if f"{kind}:{gid}" not in siblings:
                raise SyncError(f"--partitions {count!r} does not name the partition {kind}:{gid}", EXIT_CONFIG)
            count = len(siblings)
        elif isinstance(count, str):
            count = int(count)
        if not isinstance(count, int) or count < 1:
            raise SyncError(f"--partitions must be a whole number of at least 1, not {count!r}", EXIT_CONFIG)
        return cls(kind, gid, count, siblings)

    @staticmethod
    def _split(text: str) -> tuple[str, str]:
        kind, sep, gid = (text or "").strip().partition(":")
        kind, gid = kind.strip().lower(), gid.strip()
        if not sep or kind not in KINDS or not gid or (kind == "team" and not gid.isdigit()):
            raise SyncError(f"malformed partition {text!r}: use workspace:GID (or the workspace's exact name) "
                            "or team:GID", EXIT_CONFIG)
        return kind, gid

    def source_options(self, options: Optional[dict]) -> dict:
        """The source options of this partition: its scope, and its share of the token's budget."""
        options = dict(options or {})
        if any(options.get(key) for key in ("workspaces", "teams", "exclude_teams")):
            raise SyncError("a partition sets its own scope: drop --workspace (and the workspaces, teams and "
                            "exclude_teams options)", EXIT_CONFIG)
        try:
            config = resolve_source_config(options)
        except Exception:  # noqa: BLE001 - the run's own preflight reports configuration errors
            config = None
        rpm = options.get("requests_per_minute") or getattr(config, "requests_per_minute", None) \
            or DEFAULT_REQUESTS_PER_MINUTE
        concurrency = options.get("max_concurrency") or getattr(config, "max_concurrency", None) \
            or DEFAULT_MAX_CONCURRENCY
        options["requests_per_minute"] = max(1, int(rpm) // self.count)
        options["max_concurrency"] = max(1, int(concurrency) // self.count)
        search_rpm = options.get("search_requests_per_minute") \
            or getattr(config, "search_requests_per_minute", None) or SEARCH_REQUESTS_PER_MINUTE
        options["search_requests_per_minute"] = max(1, int(search_rpm) // self.count)
        return {**options, **self.scope()}

    def scope(self) -> dict:
        """The source options that say what this partition covers."""
        if self.kind == "team":
            return {"teams": [self.gid]}
        teams_elsewhere = [name.split(":", 1)[1] for name in self.siblings if name.startswith("team:")]
        return {"workspaces": [self.gid], **({"exclude_teams": teams_elsewhere} if teams_elsewhere else {})}


def resolve_partition(destination: Destination, partition: Partition, options: Optional[SourceOptions] = None,
                      ) -> Partition:
    """``partition`` with every workspace named by name (itself, its siblings) named by gid: one
    partition, one identity. Names are looked up in the warehouse's ``workspaces`` table, else
    (``options`` given: a run) asked of Asana; an unknown name is exit 2."""
    if not partition.named:
        return partition
    known = _workspaces_in_warehouse(destination)
    wanted = {name.split(":", 1)[1] for name in (partition.name, *partition.siblings) if name.startswith("workspace:")}
    if options is not None and not wanted <= set(known) | {g for g in wanted if g.isdigit()}:
        known.update(_workspaces_in_asana(options))

    def by_gid(name: str) -> str:
        kind, gid = name.split(":", 1)
        if kind != "workspace" or gid.isdigit():
            return name
        if gid not in known:
            listed = ", ".join(f"{n} ({g})" for n, g in sorted(known.items())) or "none known yet"
            raise SyncError(f"no workspace named {gid!r}: name a partition by its workspace's gid or exact name "
                            f"({listed})", EXIT_CONFIG)
        return f"workspace:{known[gid]}"

    gid = by_gid(partition.name).split(":", 1)[1]
    return dataclasses.replace(partition, gid=gid, siblings=tuple(by_gid(s) for s in partition.siblings),
                               given_as=partition.name if partition.name != f"{partition.kind}:{gid}" else None)


def _workspaces_in_warehouse(destination: Destination) -> dict[str, str]:
    """``{name: gid}`` of the workspaces the warehouse holds (none when it holds none yet)."""
    if not warehouse_exists(destination):
        return {}
    try:
        check_destination(destination, write=False)
        with make_pipeline(destination, read_only=True).sql_client() as client:
            rows = client.execute_sql(f"select gid, name from {client.make_qualified_table_name('workspaces')}")
    except Exception:  # noqa: BLE001 - no warehouse or no table yet: Asana is asked instead
        return {}
    return {str(name): str(gid) for gid, name in rows if name}


def _workspaces_in_asana(options: SourceOptions) -> dict[str, str]:
    client = AsanaClient(options.access_token, base_url=options.base_url, requests_per_minute=options.requests_per_minute,
                         max_concurrency=1, page_size=options.page_size)
    try:
        return {str(w.get("name")): str(w["gid"]) for w in client.get_all("/workspaces", {"opt_fields": "gid,name"})}
    except AsanaError as error:
        raise explain(error) from None
    finally:
        client.close()


def adopt_named_partition(destination: Destination, legacy: str, say: Callable[[str], None]) -> None:
    """A partition synced before under its workspace's name (``legacy``) goes on under its gid:
    its cursors are adopted (no full re-read) and its runs and gaps are renamed. Once: afterwards
    the gid has state of its own."""
    pipeline = make_pipeline(destination)
    legacy_key = PartitionKey(*legacy.split(":", 1))
    if remote_state(pipeline, destination) is None:
        with pipeline.destination_client() as client:
            try:
                old = load_pipeline_state_from_destination(legacy_key.pipeline_name, client)
            except Exception:  # noqa: BLE001 - no state table yet: nothing to adopt
                old = None
        if old and old.get("sources"):
            with pipeline.managed_state() as state:
                state["sources"] = copy.deepcopy(old["sources"])
            say(f"partition {legacy} is {destination.partition.name} from now on: its cursors carry over")
    with pipeline.sql_client() as client:
        for table in ("sync_runs", "sync_gaps"):
            try:
                client.execute_sql(f"update {client.make_qualified_table_name(table)} set sync_partition = %s "
                                   "where sync_partition = %s", destination.partition.name, legacy)
            except Exception as error:  # noqa: BLE001 - a warehouse without the table has nothing to rename
                if not is_missing_relation(error):
                    raise
