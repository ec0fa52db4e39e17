"""What a warehouse is, and where its local working state lives.

dlt keeps a pipeline's working state (cursors, schemas, load packages not yet loaded) in a local
folder. asana-sync keys that folder by what the destination really is (the resolved DuckDB file;
PostgreSQL host, port, database and dataset as dlt resolves them, never the password), so two
warehouses never share cursors: ``$ASANA_SYNC_HOME/pipelines/<hash of Destination.identity()>``.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import dlt
import psycopg2
from dlt.common.configuration.exceptions import ConfigurationException

from ..errors import EXIT_CONFIG, SyncError, first_line


def postgres_credentials() -> Any:
    """PostgreSQL credentials exactly as dlt resolves them (env, secrets.toml, config.toml).

    A URL without a password is accepted (the server may trust local logins): the password is set
    to an empty string, which dlt accepts and libpq ignores."""
    factory = dlt.destinations.postgres()
    try:
        config = factory.configuration(None, accept_partial=True)
    except (ConfigurationException, ValueError) as error:
        raise SyncError(f"PostgreSQL credentials are malformed: {first_line(error)}", EXIT_CONFIG) from None
    credentials = config.credentials
    if credentials is None or not credentials.host or not credentials.database:
        missing = "credentials" if credentials is None or not credentials.host else "a database name"
        raise SyncError(f"no PostgreSQL {missing}: set DESTINATION__POSTGRES__CREDENTIALS or credentials under "
                        "[destination.postgres] in .dlt/secrets.toml, as postgresql://user:password@host:5432/database",
                        EXIT_CONFIG)
    if not credentials.username:
        raise SyncError("the PostgreSQL credentials name no user (postgresql://user:password@host:5432/database)",
                        EXIT_CONFIG)
    credentials = credentials.copy() if hasattr(credentials, "copy") else credentials
    if credentials.password is None:
        credentials.password = ""
    return credentials


def postgres_where(credentials: Any) -> str:
    """``PostgreSQL user@host:port/database``: where, never the password."""
    return f"PostgreSQL {credentials.username}@{credentials.host}:{credentials.port or 5432}/{credentials.database}"


def home() -> Path:
    return Path(os.environ.get("ASANA_SYNC_HOME") or Path.home() / ".asana-sync").expanduser()


def working_dir(destination: Any) -> Path:
    """dlt's local working state, one folder per warehouse (and partition) so two never share cursors."""
    digest = hashlib.sha1(destination.identity().encode()).hexdigest()[:12]
    return home() / "pipelines" / digest


def ensure_working_dir(destination: Any) -> Path:
    folder = working_dir(destination)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".probe-{os.getpid()}"
        probe.write_text("")
        probe.unlink()
    except OSError as error:
        where = "ASANA_SYNC_HOME" if os.environ.get("ASANA_SYNC_HOME") else "the home directory"
        raise SyncError(f"cannot write the working folder {folder} ({where}): {error.strerror or error}; "
                        "set ASANA_SYNC_HOME to a writable folder", EXIT_CONFIG) from None
    return folder


def postgres_connect(credentials: Any, timeout: int = 10) -> Any:
    """A psycopg2 connection with these credentials, giving up after ``timeout`` seconds."""
    query = {k: v for k, v in (credentials.get_query() or {}).items() if v is not None}
    query["connect_timeout"] = min(int(query.get("connect_timeout") or timeout), timeout)
    return psycopg2.connect(host=credentials.host, port=credentials.port or 5432, user=credentials.username,
                            password=credentials.password or None, dbname=credentials.database, **query)
