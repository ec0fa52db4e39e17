"""Every user mistake and environment fault: the documented exit code, one `error:` line with the
reason first, no traceback, and within seconds (before any Asana request). The CLI runs as cron runs
it: a real process with environment variables only."""

from __future__ import annotations

import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

import pytest
from asana_sim import AsanaSimulator, SimConfig, serve_in_thread
from weather import WEATHER

sys.path.insert(0, str(Path(__file__).resolve().parent))
from helpers import CLI, ROOT, assert_clean_failure, held_open, run_cli  # noqa: E402

MAX_SECONDS = 25  # generous for a shared 2-core machine; the failures measured before took ~50 s or a full extract


@pytest.fixture(scope="module")
def served():
    sim = AsanaSimulator(SimConfig.small(seed=5, **WEATHER))
    with serve_in_thread(sim, port=0) as base_url:
        yield sim, base_url


@dataclass
class Ctx:
    tmp: Path
    base_url: str
    request: Any
    extra: dict = field(default_factory=dict)

    @property
    def pg(self):
        return self.request.getfixturevalue("pg_server")

    def pg_database(self) -> str:
        """A fresh database on the real server, dropped after the test."""
        if "db" not in self.extra:
            cm = self.pg.database()
            self.extra["db"] = cm.__enter__()
            self.request.addfinalizer(lambda: cm.__exit__(None, None, None))
        return self.extra["db"]


@dataclass
class Case:
    id: str
    code: int
    needle: str
    args: list = field(default_factory=lambda: ["run", "--no-models"])
    env: Callable[[Ctx], dict] = lambda ctx: {}
    prepare: Optional[Callable[[Ctx], Any]] = None  # may return a context manager held during the run
    creates_no_warehouse: bool = True
    within: float = MAX_SECONDS


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _write(ctx: Ctx, relative: str, content: str | bytes) -> None:
    path = ctx.tmp / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)


@contextmanager
def _lock_held(ctx: Ctx) -> Iterator[None]:
    from pipelines.sync.run import run_lock
    from pipelines.warehouse.destination import Destination

    saved = os.environ.get("ASANA_SYNC_HOME")
    os.environ["ASANA_SYNC_HOME"] = str(ctx.tmp / "home")
    try:
        lock = run_lock(Destination.parse("duckdb", str(ctx.tmp / "asana.duckdb"))).acquire()
    finally:
        if saved is None:
            os.environ.pop("ASANA_SYNC_HOME", None)
        else:
            os.environ["ASANA_SYNC_HOME"] = saved
    try:
        yield
    finally:
        lock.release()


def _real_warehouse(ctx: Ctx) -> None:
    import duckdb

    con = duckdb.connect(str(ctx.tmp / "asana.duckdb"))
    con.execute("create schema asana_raw; create table asana_raw.tasks(gid varchar); insert into asana_raw.tasks values ('1')")
    con.close()


@contextmanager
def _read_only_role(ctx: Ctx) -> Iterator[None]:
    """A login role that may connect but not create schemas in the database (trust auth: no password)."""
    db = ctx.pg_database()
    role = f"asana_ro_{uuid.uuid4().hex[:8]}"
    conn = ctx.pg.connect()
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'create role "{role}" login')
        cur.execute(f'revoke create on database "{db}" from public')
    ctx.extra["role"] = role
    try:
        yield
    finally:
        with conn.cursor() as cur:
            cur.execute(f'drop owned by "{role}"')
            cur.execute(f'drop role if exists "{role}"')
        conn.close()


def _pg_env(ctx: Ctx, url: str) -> dict:
    return {"DESTINATION__POSTGRES__CREDENTIALS": url}


LONG_DIR = "a-very-long-folder-name-" * 9

CASES = [
    # configuration: exit 2 at once, never ~50 s of retries
    Case("base_url_without_scheme", 2, "malformed base_url",
         env=lambda ctx: {"SOURCES__ASANA__BASE_URL": "app.asana.com/api/1.0"}),
    Case("base_url_ftp", 2, "scheme 'ftp' is not http or https",
         env=lambda ctx: {"SOURCES__ASANA__BASE_URL": "ftp://app.asana.com/api/1.0"}),
    Case("base_url_without_host", 2, "no host", env=lambda ctx: {"SOURCES__ASANA__BASE_URL": "https:///api/1.0"}),
    Case("token_with_newline", 2, "whitespace or a line break",
         env=lambda ctx: {"SOURCES__ASANA__ACCESS_TOKEN": "1/123:abc\ndef"}),
    Case("token_with_space", 2, "whitespace", env=lambda ctx: {"SOURCES__ASANA__ACCESS_TOKEN": "1/123 abc"}),
    Case("empty_token", 2, "token is empty", env=lambda ctx: {"SOURCES__ASANA__ACCESS_TOKEN": " "}),
    Case("non_ascii_token", 2, "non-ascii", env=lambda ctx: {"SOURCES__ASANA__ACCESS_TOKEN": "1/123:tökén"}),
    Case("token_in_secrets_with_newline", 2, "line break",
         env=lambda ctx: {"SOURCES__ASANA__ACCESS_TOKEN": None},
         prepare=lambda ctx: _write(ctx, ".dlt/secrets.toml", '[sources.asana]\naccess_token = "1/2:ab\\ncd"\n')),
    Case("section_source_singular", 2, "did you mean [sources.asana]",
         prepare=lambda ctx: _write(ctx, ".dlt/config.toml", "[source.asana]\nrequests_per_minute = 150\n")),
    Case("section_asanna", 2, "[sources.asanna]",
         prepare=lambda ctx: _write(ctx, ".dlt/secrets.toml", "[sources.asanna]\naccess_token = 'x'\n")),
    Case("env_section_misspelled", 2, "SOURCES__ASANA__REQUESTS_PER_MINUTE",
         env=lambda ctx: {"SOURCE__ASANA__REQUESTS_PER_MINUTE": "150"}),
    Case("unwritable_asana_sync_home", 2, "ASANA_SYNC_HOME",
         env=lambda ctx: {"ASANA_SYNC_HOME": str(ctx.tmp / "a-file" / "home")},
         prepare=lambda ctx: _write(ctx, "a-file", "not a folder")),
    Case("postgres_without_credentials", 2, "no PostgreSQL credentials", args=["run", "--no-models", "-d", "postgres"]),
    Case("demo_over_a_real_warehouse", 2, "not created by the demo",
         args=["demo", "--size", "small", "--duckdb-path", "asana.duckdb"], prepare=_real_warehouse,
         creates_no_warehouse=False),
    # destination: exit 7 before the first Asana request
    Case("duckdb_corrupt", 7, "error: not a readable DuckDB database",
         prepare=lambda ctx: _write(ctx, "asana.duckdb", b"this is not a database" * 100), creates_no_warehouse=False),
    Case("duckdb_locked_by_another_process", 7, "error: DuckDB file locked by another process",
         prepare=lambda ctx: held_open(ctx.tmp / "asana.duckdb"), creates_no_warehouse=False),
    Case("duckdb_folder_missing", 7, "does not exist", args=["run", "--no-models", "--duckdb-path", "nowhere/asana.duckdb"]),
    Case("duckdb_not_creatable", 7, "cannot create", args=["run", "--no-models", "--duckdb-path", "/proc/asana.duckdb"]),
    Case("duckdb_path_is_a_folder", 7, "is a directory, not a file",
         prepare=lambda ctx: (ctx.tmp / "asana.duckdb").mkdir(), creates_no_warehouse=False),
    Case("long_message_keeps_the_reason", 7, "not a valid DuckDB database file",
         args=["run", "--no-models", "--duckdb-path", f"{LONG_DIR}/{LONG_DIR}/asana.duckdb"],
         prepare=lambda ctx: _write(ctx, f"{LONG_DIR}/{LONG_DIR}/asana.duckdb", b"garbage" * 100)),
    Case("postgres_host_down", 7, "cannot connect", args=["run", "--no-models", "-d", "postgres"],
         env=lambda ctx: _pg_env(ctx, f"postgresql://postgres:pw@127.0.0.1:{_free_port()}/test")),
    Case("postgres_database_missing", 7, "does not exist", args=["run", "--no-models", "-d", "postgres"],
         env=lambda ctx: _pg_env(ctx, f"postgresql://{ctx.pg.user}@{ctx.pg.host}:{ctx.pg.port}/no_such_db_{uuid.uuid4().hex[:6]}")),
    Case("postgres_schema_not_writable", 7, "does not let this user write schema asana_raw",
         args=["run", "--no-models", "-d", "postgres"], prepare=_read_only_role,
         env=lambda ctx: _pg_env(ctx, f"postgresql://{ctx.extra['role']}@{ctx.pg.host}:{ctx.pg.port}/{ctx.pg_database()}")),
    # Asana unreachable before it answered once: exit 9 within 10 s, naming the host and the cause
    Case("asana_port_closed", 9, "cannot reach Asana at 127.0.0.1:", within=10,
         env=lambda ctx: {"SOURCES__ASANA__BASE_URL": f"http://127.0.0.1:{_free_port()}/api/1.0"}),
    Case("asana_host_unknown", 9, "no-such-host.invalid:443 (https://no-such-host.invalid/api/1.0): the host name "
         "does not resolve", within=10, env=lambda ctx: {"SOURCES__ASANA__BASE_URL": "https://no-such-host.invalid/api/1.0"}),
    Case("check_asana_port_closed", 9, "connection was refused", args=["check"], within=10,
         env=lambda ctx: {"SOURCES__ASANA__BASE_URL": f"http://127.0.0.1:{_free_port()}/api/1.0"}),
    # read-only commands and the models build never create a warehouse
    Case("status_without_warehouse", 7, "no warehouse at", args=["status"]),
    Case("models_test_without_warehouse", 7, "no warehouse at", args=["models", "test"]),
    Case("models_run_without_warehouse", 7, "no warehouse at", args=["models", "run"]),
    Case("status_postgres_without_warehouse", 7, "schema asana_raw does not exist", args=["status", "-d", "postgres"],
         env=lambda ctx: _pg_env(ctx, f"postgresql://{ctx.pg.user}@{ctx.pg.host}:{ctx.pg.port}/{ctx.pg_database()}")),
    # one writer at a time: models run takes the same lock as run
    Case("models_run_while_a_run_holds_the_lock", 4, "another asana-sync run", args=["models", "run"],
         prepare=_lock_held),
    Case("run_while_a_run_holds_the_lock", 4, "another asana-sync run", prepare=_lock_held),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_exit_code(case: Case, served, tmp_path, request):
    _, base_url = served
    ctx = Ctx(tmp_path, base_url, request)
    with ExitStack() as stack:
        held = case.prepare(ctx) if case.prepare else None
        if hasattr(held, "__enter__"):
            stack.enter_context(held)
        env = {"SOURCES__ASANA__ACCESS_TOKEN": "sim-token", "SOURCES__ASANA__BASE_URL": base_url,
               "SOURCES__ASANA__REQUESTS_PER_MINUTE": "100000", "ASANA_SYNC_HOME": str(tmp_path / "home"),
               **case.env(ctx)}
        env = {k: v for k, v in env.items() if v is not None}
        started = time.monotonic()
        proc = run_cli(case.args, tmp_path, env, timeout=120)
        seconds = time.monotonic() - started
    assert_clean_failure(proc, case.code, case.needle)
    assert seconds < case.within, f"took {seconds:.1f}s"
    assert "sim-token" not in proc.stderr + proc.stdout
    if case.creates_no_warehouse:
        assert not (tmp_path / "asana.duckdb").exists()
    if case.id == "long_message_keeps_the_reason":
        line = next(line for line in proc.stderr.splitlines() if line.startswith("error:"))
        assert line.startswith("error: not a readable DuckDB database"), line
        assert " ... " in line and len(line) <= 620, line


# --- a wrong PostgreSQL password needs a server that checks passwords --------------------------------


@pytest.fixture(scope="module")
def password_server():
    """A throwaway cluster with scram-sha-256 on TCP (the shared test server trusts every local login,
    so it cannot reject a password); a role with a password is created in it."""
    binaries = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb")) or [shutil.which("initdb") or ""]
    initdb = binaries[-1]
    if not initdb or not os.path.exists(initdb):
        pytest.skip("no PostgreSQL binaries to start a password-checking cluster")
    bindir = os.path.dirname(initdb)
    data = tempfile.mkdtemp(prefix="asana-sync-pgpw-")
    as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if as_user:
        shutil.chown(data, "postgres")
    port = _free_port()
    try:
        subprocess.run(as_user + [initdb, "-D", data, "-U", "postgres", "--auth-local=trust",
                                  "--auth-host=scram-sha-256", "-E", "UTF8"], check=True, capture_output=True)
        subprocess.run(as_user + [f"{bindir}/pg_ctl", "-D", data, "-w", "-l", f"{data}/log",
                                  "-o", f"-p {port} -k {data} -c listen_addresses=127.0.0.1", "start"],
                       check=True, capture_output=True)
        import psycopg2

        conn = psycopg2.connect(host=data, port=port, user="postgres", dbname="postgres")
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("create role asana_pw login password 'the-right-one'")
            cur.execute("create database asana_pw owner asana_pw")
        conn.close()
        yield port
    finally:
        subprocess.run(as_user + [f"{bindir}/pg_ctl", "-D", data, "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(data, ignore_errors=True)


@pytest.mark.postgres
@pytest.mark.parametrize("password,code", [("wrong-one", 7), ("the-right-one", 0)])
def test_postgres_password_is_checked_before_the_extract(password_server, served, tmp_path, password, code):
    _, base_url = served
    env = {"SOURCES__ASANA__ACCESS_TOKEN": "sim-token", "SOURCES__ASANA__BASE_URL": base_url,
           "SOURCES__ASANA__REQUESTS_PER_MINUTE": "100000", "ASANA_SYNC_HOME": str(tmp_path / "home"),
           "DESTINATION__POSTGRES__CREDENTIALS": f"postgresql://asana_pw:{password}@127.0.0.1:{password_server}/asana_pw"}
    started = time.monotonic()
    proc = run_cli(["run", "--no-models", "-d", "postgres"], tmp_path, env, timeout=300)
    if code:
        assert_clean_failure(proc, 7, "password authentication failed")
        assert time.monotonic() - started < MAX_SECONDS
        assert "wrong-one" not in proc.stderr + proc.stdout
    else:
        assert proc.returncode == 0, proc.stderr


# --- Ctrl-C -------------------------------------------------------------------------------------------


def test_ctrl_c_exits_130_and_says_what_a_rerun_does(served, tmp_path):
    sim, base_url = served
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOURCES__")}
    env.update({"PYTHONPATH": str(ROOT), "ASANA_SYNC_HOME": str(tmp_path / "home"),
                "SOURCES__ASANA__ACCESS_TOKEN": "sim-token", "SOURCES__ASANA__BASE_URL": base_url,
                "SOURCES__ASANA__REQUESTS_PER_MINUTE": "60"})  # slow enough to be interrupted mid-extract
    def like_a_terminal() -> None:
        # A Ctrl-C from a shell reaches a process whose SIGINT is neither blocked nor ignored. A child
        # inherits both from this pytest worker, which earlier tests in the same process may change
        # (seen only in full clean-clone runs: the child then never saw the signal).
        signal.pthread_sigmask(signal.SIG_SETMASK, [])
        signal.signal(signal.SIGINT, signal.SIG_DFL)

    proc = subprocess.Popen(CLI + ["run", "--no-models"], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, preexec_fn=like_a_terminal)
    deadline = time.monotonic() + 60
    workdir = tmp_path / "home" / "pipelines"
    while time.monotonic() < deadline and not any(workdir.glob("*/run.json")):
        time.sleep(0.2)
    time.sleep(3)  # well into the extract
    proc.send_signal(signal.SIGINT)
    started = time.monotonic()
    try:
        stdout, stderr = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        with open(f"/proc/{proc.pid}/status") as status:
            masks = [line.strip() for line in status if line.startswith(("SigBlk", "SigIgn", "SigCgt"))]
        proc.kill()
        raise AssertionError(f"the run ignored SIGINT for 60 s; its signal masks: {masks}") from None
    assert time.monotonic() - started < 10
    assert proc.returncode == 130, (proc.returncode, stderr)
    assert "Traceback" not in stderr + stdout
    errors = [line for line in stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and errors[0].startswith("error: interrupted"), stderr
    assert "next run" in errors[0], errors[0]
    # status knows it (from the local journal: Ctrl-C stops at once, without writing the warehouse)
    status = subprocess.run(CLI + ["status", "--json"], cwd=tmp_path, env=env, capture_output=True, text=True)
    verdict = json.loads(status.stdout)
    assert status.returncode == 130 and verdict["last_run"]["outcome"] == "failed", verdict
    assert "interrupted" in verdict["reason"]
    # and the rerun does what it said: a complete sync
    env["SOURCES__ASANA__REQUESTS_PER_MINUTE"] = "100000"
    rerun = subprocess.run(CLI + ["run", "--no-models", "-q"], cwd=tmp_path, env=env, capture_output=True, text=True,
                           timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    import duckdb

    con = duckdb.connect(str(tmp_path / "asana.duckdb"), read_only=True)
    assert con.execute("select count(*) from asana_raw.tasks").fetchone()[0] == len(sim.store.tasks)
    con.close()
