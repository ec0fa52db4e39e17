"""Checks before the first Asana request, so that a mistake costs seconds, not a whole extract.

- ``check_source_inputs``: the source options as dlt resolves them (explicit values, env,
  secrets.toml, config.toml): ``base_url`` is http(s) with a host; the token is non-empty, ASCII
  printable, without whitespace or line breaks (surrounding whitespace is ignored, as the client
  strips it). Exit 2; the token itself is never printed.
- ``check_destination``: the warehouse is reachable, accepts the credentials and ``asana_raw`` is
  writable (a rolled-back ``create schema`` / ``create table``); a DuckDB file is neither locked by
  another process nor corrupt, or its folder is writable when it does not exist yet (it is not
  created here). Exit 7.
"""

from __future__ import annotations

import inspect
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional
from urllib.parse import urlsplit

from .errors import EXIT_CONFIG, EXIT_DESTINATION, SyncError, clean, shorten

if TYPE_CHECKING:  # pragma: no cover
    from .pipeline import Destination

PROBE_TABLE = "_asana_sync_preflight"
CONNECT_TIMEOUT = 10


# --- the source's inputs --------------------------------------------------------------------------


def resolve_source_config(explicit: Optional[dict] = None) -> Any:
    """The source's configuration as dlt resolves it for ``asana_source`` (partial: nothing required)."""
    from dlt.common.configuration import resolve_configuration
    from dlt.common.configuration.inject import get_fun_spec
    from dlt.common.reflection.spec import spec_from_signature

    from sources.asana import asana_source

    function = getattr(asana_source, "_f", asana_source)
    spec = get_fun_spec(function)
    if spec is None:  # pragma: no cover - dlt registers the spec when the source is decorated
        spec, _ = spec_from_signature(function, inspect.signature(function))
    section = asana_source.section or inspect.getmodule(function).__name__.split(".")[-1]
    name = asana_source.name or function.__name__
    values = {k: v for k, v in (explicit or {}).items() if k in spec.get_resolvable_fields()}
    return resolve_configuration(spec(), sections=("sources", section, name), explicit_value=values,
                                 accept_partial=True)


def check_base_url(base_url: Any) -> None:
    text = str(base_url or "")
    problem = None
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError as error:
        parts, problem = None, str(error)
    if problem is None and parts is not None:
        if any(c.isspace() for c in text):
            problem = "it contains whitespace"
        elif parts.scheme not in ("http", "https"):
            problem = "it must start with https:// (or http://)" if not parts.scheme else \
                f"scheme {parts.scheme!r} is not http or https"
        elif not parts.hostname:
            problem = "it has no host"
    if problem:
        raise SyncError(f"malformed base_url {shorten(text, 200)!r}: {problem} "
                        "(e.g. https://app.asana.com/api/1.0)", EXIT_CONFIG)


def check_token(token: Any) -> None:
    """Never prints the token, only what is wrong with it."""
    if token is None:
        return  # dlt reports the missing secret itself, with where it looked
    value = str(token).strip()
    if not value:
        raise SyncError("the Asana access token is empty: set SOURCES__ASANA__ACCESS_TOKEN or access_token under "
                        "[sources.asana] in .dlt/secrets.toml", EXIT_CONFIG)
    if any(c.isspace() for c in value):
        raise SyncError("the Asana access token contains whitespace or a line break; copy it again "
                        "(a personal access token is one word)", EXIT_CONFIG)
    if not all(0x21 <= ord(c) <= 0x7E for c in value):
        raise SyncError("the Asana access token contains non-ASCII or control characters; copy it again "
                        "(a personal access token is plain ASCII)", EXIT_CONFIG)


def check_source_inputs(explicit: Optional[dict] = None) -> None:
    from dlt.common.configuration.exceptions import ConfigurationException

    try:
        config = resolve_source_config(explicit)
    except ConfigurationException as error:
        raise SyncError(f"configuration error: {shorten(clean(str(error)))}", EXIT_CONFIG) from None
    check_base_url(getattr(config, "base_url", None))
    check_token(getattr(config, "access_token", None))


# --- the destination ------------------------------------------------------------------------------


def check_destination(destination: "Destination", write: bool = True) -> None:
    if destination.kind == "duckdb":
        _check_duckdb(Path(destination.duckdb_path), write)
    else:
        _check_postgres(write)


def duckdb_failure(path: Path, error: BaseException) -> SyncError:
    text = clean(str(error))
    lowered = text.lower()
    if "lock" in lowered:
        return SyncError(f"DuckDB file locked by another process: {path}; close it (e.g. a DuckDB shell) or wait "
                         f"for it ({text})", EXIT_DESTINATION)
    if "not a valid duckdb" in lowered or "corrupt" in lowered or "invalid" in lowered \
            or "serializ" in lowered or "checksum" in lowered:
        return SyncError(f"not a readable DuckDB database (corrupt, or another kind of file): {path}: {text}",
                         EXIT_DESTINATION)
    return SyncError(f"cannot open the DuckDB file {path}: {text}", EXIT_DESTINATION)


def _check_duckdb(path: Path, write: bool) -> None:
    import duckdb

    from .pipeline import DATASET

    if path.is_dir():
        raise SyncError(f"the DuckDB path is a directory, not a file: {path}", EXIT_DESTINATION)
    if not path.exists():
        if not write:
            raise SyncError(f"no warehouse at {path}: nothing synced there yet (run `asana-sync run` first, or pass "
                            "--duckdb-path)", EXIT_DESTINATION)
        parent = path.parent
        if not parent.is_dir():
            raise SyncError(f"cannot create the DuckDB file, its folder does not exist: {path}", EXIT_DESTINATION)
        try:
            fd, probe = tempfile.mkstemp(dir=parent, prefix=".asana-sync-probe-")
            os.close(fd)
            os.unlink(probe)
        except OSError as error:
            raise SyncError(f"cannot create the DuckDB file ({error.strerror or error}): {path}",
                            EXIT_DESTINATION) from None
        return
    try:
        con = duckdb.connect(str(path), read_only=not write)
    except Exception as error:  # noqa: BLE001 - duckdb's IOException, InternalException, ...
        raise duckdb_failure(path, error) from None
    try:
        if write:
            con.execute("begin transaction")
            con.execute(f'create schema if not exists "{DATASET}"')
            con.execute(f'create table "{DATASET}"."{PROBE_TABLE}" (x integer)')
            con.execute("rollback")
        else:
            con.execute("select count(*) from information_schema.tables").fetchall()
    except Exception as error:  # noqa: BLE001
        raise SyncError(f"cannot write the DuckDB file {path}: {clean(str(error))}", EXIT_DESTINATION) from None
    finally:
        con.close()


def postgres_connect(credentials: Any, timeout: int = CONNECT_TIMEOUT) -> Any:
    import psycopg2

    query = {k: v for k, v in (credentials.get_query() or {}).items() if v is not None}
    query["connect_timeout"] = min(int(query.get("connect_timeout") or timeout), timeout)
    return psycopg2.connect(host=credentials.host, port=credentials.port or 5432, user=credentials.username,
                            password=credentials.password or None, dbname=credentials.database, **query)


def postgres_where(credentials: Any) -> str:
    return f"PostgreSQL {credentials.username}@{credentials.host}:{credentials.port or 5432}/{credentials.database}"


def _check_postgres(write: bool) -> None:
    import psycopg2

    from .pipeline import DATASET
    from .state import postgres_credentials

    credentials = postgres_credentials()
    where = postgres_where(credentials)
    try:
        conn = postgres_connect(credentials)
    except psycopg2.Error as error:
        raise SyncError(f"cannot connect to {where}: {clean(str(error))}", EXIT_DESTINATION) from None
    try:
        with conn.cursor() as cur:
            if write:
                cur.execute(f'create schema if not exists "{DATASET}"')
                cur.execute(f'create table "{DATASET}"."{PROBE_TABLE}" (x integer)')
            else:
                cur.execute("select 1 from information_schema.schemata where schema_name = %s", (DATASET,))
                if cur.fetchone() is None:
                    raise SyncError(f"no warehouse in {where}: schema {DATASET} does not exist (run `asana-sync run "
                                    "--destination postgres` first)", EXIT_DESTINATION)
        conn.rollback()
    except psycopg2.Error as error:
        raise SyncError(f"{where} does not let this user write schema {DATASET}: {clean(str(error))}",
                        EXIT_DESTINATION) from None
    finally:
        conn.close()


def preflight(destination: "Destination", source_options: Optional[dict] = None) -> None:
    """Everything ``run`` checks before its first request (config errors first, then the warehouse)."""
    check_source_inputs(source_options)
    check_destination(destination, write=True)
