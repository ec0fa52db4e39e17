"""Where the data goes: a DuckDB file (the default) or PostgreSQL, optionally one partition of it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials

from ..errors import EXIT_CONFIG, SyncError
from . import key_merge
from .identity import postgres_credentials, postgres_where

DATASET = "asana_raw"
PIPELINE_NAME = "asana_sync"
DEFAULT_DUCKDB_FILE = "asana.duckdb"
DESTINATION_KINDS = ("duckdb", "postgres")


@dataclass(frozen=True)
class PartitionKey:
    """Which part of the organization a pipeline syncs (``team:1234``): it names the dlt pipeline,
    and so its state and cursors, its working folder, its run lock and ``sync_partition``."""

    kind: str
    gid: str

    @property
    def name(self) -> str:
        return f"{self.kind}:{self.gid}"

    @property
    def pipeline_name(self) -> str:
        return f"{PIPELINE_NAME}__{self.kind}_{re.sub(r'[^A-Za-z0-9]+', '_', self.gid)}"


@dataclass
class Destination:
    """Where the data goes: a DuckDB file (default) or PostgreSQL (credentials the dlt way)."""

    kind: str = "duckdb"
    duckdb_path: Optional[Path] = None
    # A part of the organization synced on its own: its own dlt pipeline, state, working folder and
    # run lock in the same warehouse.
    partition: Optional[PartitionKey] = None

    @property
    def pipeline_name(self) -> str:
        return self.partition.pipeline_name if self.partition is not None else PIPELINE_NAME

    @classmethod
    def parse(cls, kind: str = "duckdb", duckdb_path: Optional[str] = None) -> "Destination":
        kind = (kind or "duckdb").lower()
        if kind not in DESTINATION_KINDS:
            raise SyncError(f"unknown destination {kind!r}: use duckdb or postgres", EXIT_CONFIG)
        path = Path(duckdb_path or DEFAULT_DUCKDB_FILE).expanduser().resolve() if kind == "duckdb" else None
        return cls(kind, path)

    def dlt_destination(self, read_only: bool = False) -> Any:
        if self.kind == "duckdb":
            if read_only:
                return key_merge.duckdb(DuckDbCredentials(str(self.duckdb_path), read_only=True))
            return key_merge.duckdb(str(self.duckdb_path))
        # Resolved the dlt way once, so that what names the working folder is what we connect to; a
        # URL without a password is accepted (trust authentication).
        return key_merge.postgres(credentials=postgres_credentials())

    @property
    def file_format(self) -> str:
        """Parquet on both: DuckDB reads it natively (dlt's default insert statements were ~15x
        slower there), PostgreSQL through the ADBC driver (adbc-driver-postgresql, a dependency),
        which keeps empty strings and NULLs apart (CSV would load empty strings as NULL)."""
        return "parquet"

    def warehouse_identity(self) -> str:
        """What the warehouse is, whichever partition writes to it. Never contains a password."""
        if self.kind == "duckdb":
            return f"duckdb:{Path(self.duckdb_path).expanduser().resolve()}"
        credentials = postgres_credentials()
        return f"postgres://{credentials.host}:{credentials.port or 5432}/{credentials.database}/{DATASET}"

    def identity(self) -> str:
        """What the warehouse and partition are; names the working folder. Never contains a password."""
        # A partition is its own pipeline in the same warehouse: its own working folder and run lock.
        suffix = f"#partition={self.partition.name}" if self.partition is not None else ""
        return self.warehouse_identity() + suffix

    def describe(self) -> str:
        """The warehouse in words: the DuckDB file's path, or ``PostgreSQL user@host:port/database``
        (never the password); just ``PostgreSQL`` while its credentials cannot be resolved."""
        if self.kind == "duckdb":
            return str(self.duckdb_path)
        try:
            return postgres_where(postgres_credentials())
        except SyncError:
            return "PostgreSQL"
