"""``asana-sync query``: a read-only SQL query on the warehouse (DuckDB or PostgreSQL), so analysts
can look before they install anything else; and the read-only check ``export --query`` shares.

The query runs on a read-only connection (DuckDB ``read_only``, a PostgreSQL session set read only)
with ``asana_analytics`` and ``asana_raw`` on the search path, after a parse that refuses anything
but a query (``SELECT``, ``WITH ... SELECT``, set operations).
"""

from __future__ import annotations

import csv
import json
import sys
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Iterator, Optional

import duckdb
import psycopg2
import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from ..errors import EXIT_CONFIG, EXIT_DESTINATION, SyncError, first_line
from ..models.project import MODEL_SCHEMA
from ..warehouse.destination import DATASET, Destination
from ..warehouse.identity import postgres_connect, postgres_credentials, postgres_where
from ..warehouse.preflight import duckdb_failure, require_warehouse

OUTPUT_FORMATS = ("table", "csv", "json")
_QUERIES = (exp.Select, exp.Union, exp.Intersect, exp.Except)


def read_only_statement(sql: str, dialect: str = "duckdb") -> str:
    """``sql`` without its trailing semicolon, or exit 2 when it is not one read-only query."""
    text = (sql or "").strip().rstrip(";").strip()
    if not text:
        raise SyncError("the query is empty", EXIT_CONFIG)
    try:
        statements = [s for s in sqlglot.parse(text, read=dialect) if s is not None]
    except ParseError:
        return text  # SQL sqlglot does not know: the read-only connection refuses any write
    if len(statements) != 1:
        raise SyncError(f"one query at a time, not {len(statements)} statements", EXIT_CONFIG)
    if not isinstance(statements[0], _QUERIES):
        kind = statements[0].key.upper()
        raise SyncError(f"only read-only queries can be run or exported: a SELECT (or WITH ... SELECT), not {kind}",
                        EXIT_CONFIG)
    return text


@dataclass
class QueryResult:
    columns: list[str]
    rows: list[tuple]


def run_query(destination: Destination, sql: str) -> QueryResult:
    """Run one read-only query on the warehouse; exit 2 for a query it refuses, 7 for the warehouse."""
    require_warehouse(destination)
    dialect = "duckdb" if destination.kind == "duckdb" else "postgres"
    text = read_only_statement(sql, dialect)
    with _cursor(destination) as cursor:
        try:
            cursor.execute(text)
        except Exception as error:  # noqa: BLE001 - the warehouse's own words, one line
            if isinstance(error, (duckdb.IOException, psycopg2.OperationalError)):
                raise SyncError(f"cannot read {destination.describe()}: {first_line(error)}", EXIT_DESTINATION) from None
            raise SyncError(f"the warehouse refused the query: {first_line(error)}", EXIT_CONFIG) from None
        columns = [d[0] for d in cursor.description or []]
        return QueryResult(columns, [tuple(row) for row in cursor.fetchall()])


class _cursor:
    """A read-only cursor with the model and raw schemas on the search path."""

    def __init__(self, destination: Destination) -> None:
        self.destination = destination
        self.connection: Any = None

    def __enter__(self) -> Any:
        if self.destination.kind == "duckdb":
            try:
                self.connection = duckdb.connect(str(self.destination.duckdb_path), read_only=True)
            except duckdb.Error as error:
                raise duckdb_failure(self.destination.duckdb_path, error) from None
            cursor = self.connection.cursor()  # a cursor of DuckDB has settings of its own: set them there
            cursor.execute(f"set search_path = '{MODEL_SCHEMA},{DATASET}'")
            return cursor
        credentials = postgres_credentials()
        try:
            self.connection = postgres_connect(credentials)
        except Exception as error:  # noqa: BLE001 - psycopg2's own errors
            raise SyncError(f"cannot connect to {postgres_where(credentials)}: {first_line(error)}",
                            EXIT_DESTINATION) from None
        self.connection.set_session(readonly=True)
        cursor = self.connection.cursor()
        cursor.execute(f"set search_path to {MODEL_SCHEMA}, {DATASET}")
        return cursor

    def __exit__(self, *exc: Any) -> None:
        if self.connection is not None:
            self.connection.close()


def write_result(result: QueryResult, fmt: str, stream: Any = None) -> None:
    """``csv`` (a header, then the rows) or ``json`` (one object per row, one per line) on ``stream``."""
    stream = stream or sys.stdout
    if fmt == "csv":
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(result.columns)
        writer.writerows([_plain(v) for v in row] for row in result.rows)
        return
    for row in _objects(result):
        stream.write(json.dumps(row, default=str) + "\n")


def _objects(result: QueryResult) -> Iterator[dict]:
    for row in result.rows:
        yield {name: _plain(value) for name, value in zip(result.columns, row)}


def _plain(value: Any) -> Optional[Any]:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value
