"""Preflight and error wording as functions: what is checked before the first request, how a reason is
put into one line, and how PostgreSQL credentials are resolved the dlt way."""

from __future__ import annotations

import time

import pytest

from pipelines.errors import EXIT_CONFIG, EXIT_DESTINATION, EXIT_INTERRUPTED, SyncError, explain, reason_of, shorten
from pipelines.sync.configuration import resolve_options
from pipelines.warehouse.destination import Destination
from pipelines.warehouse.preflight import check_destination
from sources.asana.errors import InvalidOptionError
from sources.asana.options import check_base_url, check_token


@pytest.mark.parametrize("url", ["https://app.asana.com/api/1.0", "http://127.0.0.1:8080/api/1.0"])
def test_good_base_urls_pass(url):
    check_base_url(url)


@pytest.mark.parametrize("url,needle", [
    ("app.asana.com/api/1.0", "https://"),
    ("ftp://app.asana.com/api/1.0", "scheme 'ftp'"),
    ("https:///api/1.0", "no host"),
    ("https://app.asana.com:port/api", "port"),
    ("https://app.asana.com/api /1.0", "whitespace"),
    ("", "https://"),
])
def test_malformed_base_urls_are_config_errors(url, needle):
    with pytest.raises(InvalidOptionError) as raised:
        check_base_url(url)
    assert explain(raised.value).exit_code == EXIT_CONFIG
    assert needle in str(raised.value)


@pytest.mark.parametrize("token,needle", [
    ("", "empty"), ("   ", "empty"), ("1/2:ab\ncd", "line break"), ("1/2 ab", "whitespace"),
    ("1/2:tökén", "non-ASCII"), ("1/2:\x07bell", "control"),
])
def test_malformed_tokens_are_config_errors_and_never_printed(token, needle):
    with pytest.raises(InvalidOptionError) as raised:
        check_token(token)
    assert explain(raised.value).exit_code == EXIT_CONFIG
    assert needle in str(raised.value)
    if token.strip():
        assert token.strip() not in str(raised.value)


def test_surrounding_whitespace_of_a_token_is_ignored_as_the_client_strips_it():
    check_token("  1/1234567890:abcdef\n")


def test_source_options_are_resolved_the_dlt_way_once_and_checked(monkeypatch):
    monkeypatch.setenv("SOURCES__ASANA__BASE_URL", "ftp://example.com")
    with pytest.raises(SyncError, match="scheme 'ftp'") as raised:
        resolve_options({"access_token": "sim-token"})
    assert raised.value.exit_code == EXIT_CONFIG
    # an explicit value (what the demo and the tests pass) wins
    options = resolve_options({"access_token": "sim-token", "base_url": "http://127.0.0.1:1/api/1.0"})
    assert options.base_url == "http://127.0.0.1:1/api/1.0" and options.max_concurrency == 50
    monkeypatch.setenv("SOURCES__ASANA__WORKSPACES", '["1", "2"]')
    monkeypatch.setenv("SOURCES__ASANA__MAX_CONCURRENCY", "8")
    options = resolve_options({"access_token": "sim-token", "base_url": "http://127.0.0.1:1/api/1.0"})
    assert options.workspaces == ("1", "2") and options.max_concurrency == 8
    monkeypatch.setenv("SOURCES__ASANA__ACCESS_TOKEN", "1/2:ab\ncd")
    with pytest.raises(SyncError, match="line break"):
        resolve_options({"base_url": "http://127.0.0.1:1/api/1.0"})
    monkeypatch.setenv("SOURCES__ASANA__MAX_CONCURRENCY", "80")
    with pytest.raises(SyncError, match="max_concurrency must be a whole number from 1 to 50"):
        resolve_options({"access_token": "sim-token", "base_url": "http://127.0.0.1:1/api/1.0"})


def test_shorten_keeps_head_and_tail():
    text = "reason first: " + "x" * 2000 + " the actual cause"
    short = shorten(text, 300)
    assert len(short) <= 300
    assert short.startswith("reason first:") and short.endswith("the actual cause") and " ... " in short


def test_reason_of_a_dlt_job_failure_puts_the_cause_first():
    message = ("Job with `job_id=sync_runs.169ae27e56.parquet` and `load_id=1796076987.872262` failed terminally with "
               "message: Traceback (most recent call last):\n  File \"/x/duck.py\", line 43, in run\n    self.run()\n"
               "        ^^^^^^^^\ndlt.destinations.exceptions.DatabaseUndefinedRelation: Catalog Error: Table with "
               "name sync_runs does not exist!\nDid you mean \"sections\"?\n")
    reason = reason_of(Exception(message))
    assert reason.startswith("DatabaseUndefinedRelation: Catalog Error: Table with name sync_runs does not exist!")
    assert "File" not in reason and "Traceback" not in reason


def test_explain_maps_interrupts_and_driver_errors():
    import psycopg2

    assert explain(KeyboardInterrupt()).exit_code == EXIT_INTERRUPTED
    wrapped = RuntimeError("step failed")
    wrapped.__cause__ = psycopg2.OperationalError("connection to server at \"h\", port 1 failed: Connection refused")
    error = explain(wrapped)
    assert error.exit_code == EXIT_DESTINATION and "Connection refused" in str(error)


def test_duckdb_preflight_never_creates_the_file(tmp_path):
    destination = Destination.parse("duckdb", str(tmp_path / "asana.duckdb"))
    check_destination(destination, write=True)
    assert not (tmp_path / "asana.duckdb").exists()
    with pytest.raises(SyncError, match="no warehouse"):
        check_destination(destination, write=False)


def test_duckdb_write_probe_leaves_no_trace(tmp_path):
    import duckdb

    path = tmp_path / "asana.duckdb"
    duckdb.connect(str(path)).close()
    check_destination(Destination.parse("duckdb", str(path)), write=True)
    con = duckdb.connect(str(path), read_only=True)
    assert con.execute("select count(*) from information_schema.schemata where schema_name = 'asana_raw'").fetchone()[0] == 0
    con.close()


@pytest.mark.postgres
def test_postgres_url_without_password_is_accepted(pg_server, monkeypatch):
    """A server that trusts the login needs no password; dlt alone would call the credentials incomplete.
    (The secrets.toml way is exercised through the CLI in test_state.py.)"""
    from pipelines.warehouse.identity import postgres_credentials

    with pg_server.database() as db:
        monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS",
                           f"postgresql://{pg_server.user}@{pg_server.host}:{pg_server.port}/{db}")
        credentials = postgres_credentials()
        assert credentials.password == "" and credentials.database == db
        destination = Destination.parse("postgres")
        assert destination.identity() == f"postgres://{pg_server.host}:{pg_server.port}/{db}/asana_raw"
        started = time.monotonic()
        check_destination(destination, write=True)
        assert time.monotonic() - started < 10
        from pipelines.warehouse.runtime import make_pipeline

        with make_pipeline(destination).sql_client() as client:
            assert client.execute_sql("select current_database()")[0][0] == db


def test_identity_never_contains_the_password(monkeypatch):
    from pipelines.warehouse.identity import working_dir

    monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS", "postgresql://u:s3cret@db.example.com:6543/wh")
    destination = Destination.parse("postgres")
    assert destination.identity() == "postgres://db.example.com:6543/wh/asana_raw"
    first = working_dir(destination)
    assert "s3cret" not in str(first)
    monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS", "postgresql://u:other@db.example.com:6543/wh")
    assert working_dir(Destination.parse("postgres")) == first  # another password: the same warehouse
    monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS", "postgresql://u:s3cret@db.example.com:6543/wh2")
    assert working_dir(Destination.parse("postgres")) != first
