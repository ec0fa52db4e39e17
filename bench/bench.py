"""`make bench`: syncs of simulated organizations into DuckDB and PostgreSQL, side by side.

For each organization size (small and demo; large with BENCH_LARGE=1 or `make bench-large`) and each
destination: a full sync, an incremental sync after 1% of the tasks changed, and one after nothing
changed. Each sync is `asana-sync run --no-models` in its own process against a simulator served from
another process (forked from this one, so every destination starts from identical data). Per run:
requests (as the simulator counted them, per endpoint) against the minimum the data needs
(`asana_sim/minimum.py`), 429s, wall time split into extract / normalize / load (from the CLI's progress
lines), rows per second, the sync process's peak RSS (its `VmHWM`), and the minutes Asana's 1,500 and 150
requests/min limits imply. Writes bench/results.json and the generated section of bench/RESULTS.md
(the rest of that file is kept).

    .venv/bin/python bench/bench.py [--sizes small,demo[,large]] [--destinations duckdb,postgres]
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from asana_sim import AsanaSimulator, SimConfig, serve_in_process  # noqa: E402

RESULTS_JSON = ROOT / "bench" / "results.json"
RESULTS_MD = ROOT / "bench" / "RESULTS.md"
BEGIN, END = "<!-- bench.py: generated section, begin -->", "<!-- bench.py: generated section, end -->"
FULL_TARGET = 1.05
LOAD_RATIO_TARGET = 1.5
RSS_TARGET_MB = 1024  # the bound: under 1 GiB at 200,000 tasks (the large size)
CHANGE_SHARE = 0.01
PG = {"host": os.environ.get("BENCH_PG_HOST", "127.0.0.1"), "port": int(os.environ.get("BENCH_PG_PORT", "5432")),
      "user": os.environ.get("BENCH_PG_USER", "postgres"), "admin_db": os.environ.get("BENCH_PG_DB", "test")}
# Requests that store nothing but a later run or the run itself needs (reported apart from the excess).
BOOKKEEPING = {"GET /workspaces/{gid}": "per-workspace access probe (401/403 workspaces are skipped with one gap)",
               "GET /events?resource": "event-stream reads/starts (a start answers 412 with the first sync token)"}


def sizes_config(size: str) -> SimConfig:
    return {"small": SimConfig.small, "demo": SimConfig.demo, "large": SimConfig.large}[size]()


# --- PostgreSQL: a fresh database per (size, destination) series ----------------------------------

def pg_connect(db: str):
    import psycopg2

    return psycopg2.connect(host=PG["host"], port=PG["port"], user=PG["user"], dbname=db, connect_timeout=3)


def pg_create() -> str:
    name = f"asana_sync_bench_{uuid.uuid4().hex[:8]}"
    conn = pg_connect(PG["admin_db"])
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'create database "{name}"')
    conn.close()
    return name


def pg_drop(name: str) -> None:
    conn = pg_connect(PG["admin_db"])
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'drop database if exists "{name}" with (force)')
    conn.close()


def pg_version() -> str:
    try:
        conn = pg_connect(PG["admin_db"])
        with conn.cursor() as cur:
            cur.execute("show server_version")
            version = cur.fetchone()[0]
        conn.close()
        return version
    except Exception as exc:  # noqa: BLE001
        return f"unavailable ({exc.__class__.__name__})"


# --- one sync: a separate process, its phases and its peak RSS ------------------------------------

PHASES = ("extract", "normalize", "load")
SUMMARY = re.compile(r"synced into .* in ([\d.]+)s: (\d+) requests .*?, (\d+) rows")


def run_cli(env: dict, args: list[str], cwd: str) -> dict:
    """`asana-sync run --no-models ARGS` as a child; wall time by phase from its progress lines (each
    phase change is a line; time before the first is start-up), peak RSS from the process's VmHWM.

    Not from wait4's ``ru_maxrss``: Linux records there the address space a child replaces at exec,
    a copy of this bench process, which holds the simulator's data (about 1 GB for ``large``), so
    every run of a large organization read as this process's size."""
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "pipelines", "run", "--no-models", *args], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    phase = {"name": "startup", "since": started}
    seconds = {"startup": 0.0, **{p: 0.0 for p in PHASES}}
    stderr_lines: list[str] = []

    def follow() -> None:
        for line in proc.stderr:
            stderr_lines.append(line)
            if not line.startswith("asana-sync: "):
                continue
            word = line[len("asana-sync: "):].split(":")[0].split(" ")[0]
            if word in PHASES and word != phase["name"]:
                now = time.monotonic()
                seconds[phase["name"]] = seconds.get(phase["name"], 0.0) + now - phase["since"]
                phase.update(name=word, since=now)

    peak = {"kb": 0}
    done = threading.Event()

    def watch_memory() -> None:
        # VmHWM is the high-water mark of the process's own memory; read until it exits (a zombie
        # has none), the last reading is the peak.
        while not done.is_set():
            try:
                with open(f"/proc/{proc.pid}/status") as status_file:
                    for line in status_file:
                        if line.startswith("VmHWM:"):
                            peak["kb"] = max(peak["kb"], int(line.split()[1]))
            except OSError:
                return
            done.wait(0.1)

    reader = threading.Thread(target=follow, daemon=True)
    reader.start()
    watcher = threading.Thread(target=watch_memory, daemon=True)
    watcher.start()
    stdout = proc.stdout.read()
    _, status, _ = os.wait4(proc.pid, 0)
    done.set()
    watcher.join(timeout=5)
    ended = time.monotonic()
    proc.returncode = os.waitstatus_to_exitcode(status)
    reader.join(timeout=5)
    seconds[phase["name"]] = seconds.get(phase["name"], 0.0) + ended - phase["since"]
    match = SUMMARY.search(stdout)
    if proc.returncode != 0 or not match:
        sys.stderr.write("".join(stderr_lines[-20:]) + stdout[-2000:])
    return {"exit": proc.returncode, "wall_s": round(ended - started, 2),
            "phase_s": {k: round(v, 2) for k, v in seconds.items()},
            "rows": int(match.group(3)) if match else None,
            "sync_requests": int(match.group(2)) if match else None,
            "peak_rss_mb": round(peak["kb"] / 1024)}


# --- the runs of one (size, destination) ----------------------------------------------------------

def compare(actual: dict, minimum: dict) -> list[dict]:
    """Per endpoint: actual (2xx and other answers), minimum, excess; bookkeeping endpoints marked."""
    rows = []
    for endpoint in sorted(set(actual) | set(minimum)):
        a, m = actual.get(endpoint, 0), minimum.get(endpoint, 0)
        rows.append({"endpoint": endpoint, "actual": a, "minimum": m, "excess": a - m,
                     "bookkeeping": endpoint in BOOKKEEPING})
    return rows


def series(sim: AsanaSimulator, size: str, destination: str, seed: int) -> dict:
    config = sim.config
    work = tempfile.mkdtemp(prefix=f"bench-{size}-{destination}-")
    pg_db = pg_create() if destination == "postgres" else None
    out = {"size": size, "destination": destination, "runs": []}
    try:
        with serve_in_process(sim, port=0) as base_url:
            admin = httpx.Client(base_url=base_url.rsplit("/api/1.0", 1)[0], timeout=600)
            api = httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {config.tokens[0]}"}, timeout=60)
            env = {**os.environ, "SOURCES__ASANA__ACCESS_TOKEN": config.tokens[0],
                   "SOURCES__ASANA__BASE_URL": base_url, "SOURCES__ASANA__REQUESTS_PER_MINUTE": "1000000",
                   "ASANA_SYNC_HOME": f"{work}/home", "COLUMNS": "400", "PYTHONUNBUFFERED": "1"}
            if pg_db:
                # A URL without a password: trust authentication (pipelines/warehouse/identity.py accepts it).
                env["DESTINATION__POSTGRES__CREDENTIALS"] = f"postgresql://{PG['user']}@{PG['host']}:{PG['port']}/{pg_db}"
                args = ["--destination", "postgres"]
            else:
                args = ["--destination", "duckdb", "--duckdb-path", f"{work}/bench.duckdb"]

            def one(label: str, since_ms: int | None, reconcile: str = "auto") -> dict:
                admin.post("/_sim/stats/reset").raise_for_status()
                result = run_cli({**env, "SOURCES__ASANA__RECONCILE": reconcile}, args, work)
                stats = admin.get("/_sim/stats").json()
                # Incremental runs (reconcile=never) of a premium organization search each workspace.
                params = {"since": since_ms, **({"search": 1} if reconcile == "never" and config.premium else {})}
                minimum = admin.get("/_sim/minimum", params=params if since_ms else {}).json()
                actual: dict[str, int] = {}
                for endpoint, status, n in stats["by_endpoint"]:
                    actual[endpoint] = actual.get(endpoint, 0) + n
                requests = stats["requests"]
                throttled = stats["by_status"].get("429", 0)
                book = sum(actual.get(e, 0) for e in BOOKKEEPING)
                row = {"run": label, "reconcile": reconcile, **result, "requests": requests, "minimum": minimum["requests"],
                       "ratio": round(requests / minimum["requests"], 3),
                       "ratio_without_bookkeeping": round((requests - book) / minimum["requests"], 3),
                       "bookkeeping_requests": book, "http_429": throttled,
                       "rows_per_s": round(result["rows"] / result["wall_s"]) if result["rows"] else None,
                       "minutes_at_1500_rpm": round(requests / 1500, 1), "minutes_at_150_rpm": round(requests / 150, 1),
                       "by_endpoint": compare(actual, minimum["by_endpoint"])}
                print(json.dumps({k: v for k, v in row.items() if k != "by_endpoint"}), flush=True)
                out["runs"].append(row)
                return row

            one("full", None)
            tasks = sorted(sim.store.tasks)
            n = max(1, round(CHANGE_SHARE * len(tasks)))
            changed = random.Random(seed).sample(tasks, n)
            since = int(time.time() * 1000)
            for i, gid in enumerate(changed):
                if i % 2:
                    api.post(f"/tasks/{gid}/stories", json={"data": {"text": f"bench comment {i}"}}).raise_for_status()
                else:
                    api.put(f"/tasks/{gid}", json={"data": {"name": f"bench rename {i}"}}).raise_for_status()
            one(f"after {n:,} tasks ({CHANGE_SHARE:.0%}) changed", since, "never")
            time.sleep(0.01)
            one("nothing changed", int(time.time() * 1000), "never")
            # What a reconciliation costs (every run below 50,000 tasks with reconcile=auto; once a
            # day above), measured with nothing changed.
            one("reconciling, nothing changed", int(time.time() * 1000), "always")
    finally:
        if pg_db:
            pg_drop(pg_db)
        shutil.rmtree(work, ignore_errors=True)
    return out


# --- the report -----------------------------------------------------------------------------------

def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    mem = next((int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal")), 0)
    import dlt
    import duckdb

    return {"cores": os.cpu_count(), "cpu": cpu, "memory_gib": round(mem / 1024 / 1024, 1),
            "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
            "python": platform.python_version(), "dlt": dlt.__version__, "duckdb": duckdb.__version__,
            "postgresql": pg_version(), "kernel": platform.release()}


def fmt(n) -> str:
    if n is None:
        return "-"
    if isinstance(n, float):
        return f"{n:,.2f}"
    return f"{n:,}"


def render(data: dict) -> str:
    m = data["machine"]
    lines = [BEGIN, "", "## Sync benchmark: requests against the minimum, DuckDB and PostgreSQL side by side", "",
             f"`{data['command']}` at commit {data['commit']}, {data['finished_at']} "
             f"({data['seconds']:,.0f} s). Machine: {m['cores']} cores ({m['cpu']}), {m['memory_gib']} GiB, "
             f"Linux {m['kernel']}, Python {m['python']}, dlt {m['dlt']}, DuckDB {m['duckdb']}, PostgreSQL "
             f"{m['postgresql']} on 127.0.0.1 (a fresh database per series). **The 2 cores are shared with "
             f"several other agents' test runs and syncs** (load average {', '.join(map(str, m['load_average_at_start']))} "
             "at the start): wall times, rows/s and the PostgreSQL/DuckDB load ratio are noisy; request counts are "
             "exact and reproducible.", "",
             "Each sync is `asana-sync run --no-models` in its own process (client rate limit lifted) against the "
             "simulator served from another process; requests are the simulator's count, the minimum is "
             "`asana_sim/minimum.py` over the simulator's data at that moment (its docstring defines every term: "
             "one request per 100 items of each listing the warehouse needs, at least one per listing unless "
             "something already read says it is empty: `num_subtasks`, `attachment_added` stories, "
             "`project_brief`). Wall time is the process's, split by its progress lines into start-up, extract, "
             "normalize and load (summed over checkpoint steps); peak RSS is the sync process's own (its "
             "`VmHWM`, read every 0.1 s: wait4's `ru_maxrss` would count the bench process it was started "
             "from). "
             "Minutes at 1,500 / 150 req/min: requests / rate (Asana's paid / free limits).", ""]
    sizes = {s["size"]: s for s in data["sizes"]}
    provenance = {(e.get("measured") or {}).get("commit") for e in data["sizes"]}
    if len(provenance) > 1:
        lines += ["Sizes measured by separate runs:", ""] + [
            f"- {e['size']}: `{e['measured']['command']}` at commit {e['measured']['commit']}, "
            f"{e['measured']['finished_at']} ({e['measured']['seconds']:,.0f} s)" for e in data["sizes"]] + [""]
    lines += ["| size | destination | run | requests | minimum | ratio | 429s | wall s | start-up / extract / "
              "normalize / load s | rows | rows/s | peak RSS MB | min at 1,500/min | min at 150/min |",
              "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for size in data["sizes_requested"]:
        if size not in sizes:
            lines.append(f"| {size} | - | not run (opt-in: `make bench-large`, ~15 min per destination) "
                         "| | | | | | | | | | | |")
            continue
        for s in sizes[size]["series"]:
            for r in s["runs"]:
                p = r["phase_s"]
                lines.append(f"| {size} | {s['destination']} | {r['run']} | {fmt(r['requests'])} | {fmt(r['minimum'])} "
                             f"| {r['ratio']:.3f} | {r['http_429']} | {r['wall_s']:.1f} | {p['startup']:.1f} / "
                             f"{p['extract']:.1f} / {p['normalize']:.1f} / {p['load']:.1f} | {fmt(r['rows'])} | "
                             f"{fmt(r['rows_per_s'])} | {r['peak_rss_mb']} | {r['minutes_at_1500_rpm']} | "
                             f"{r['minutes_at_150_rpm']} |")
    lines += ["", "### Targets", "", "| target | size | value | met |", "|---|---|---|---|"]
    for t in data["targets"]:
        lines.append(f"| {t['target']} | {t['size']} | {t['value']} | {'met' if t['met'] else 'not met'} |")
    lines += ["", "### Full sync: requests per endpoint, actual against the minimum", "",
              "Same on both destinations (the requests do not depend on the warehouse); endpoints where actual and "
              "minimum agree are summed in the last line. *Bookkeeping* stores nothing itself.", ""]
    for size in data["sizes_requested"]:
        if size not in sizes:
            continue
        full = sizes[size]["series"][0]["runs"][0]
        lines += [f"**{size}** ({sizes[size]['data']}): {fmt(full['requests'])} requests, minimum "
                  f"{fmt(full['minimum'])}, ratio {full['ratio']:.3f} ({full['ratio_without_bookkeeping']:.3f} "
                  "without bookkeeping)", "", "| endpoint | actual | minimum | excess |", "|---|---|---|---|"]
        same_a = same_m = 0
        for e in full["by_endpoint"]:
            if e["excess"] == 0:
                same_a += e["actual"]
                same_m += e["minimum"]
                continue
            tag = " (bookkeeping)" if e["bookkeeping"] else ""
            lines.append(f"| `{e['endpoint']}`{tag} | {fmt(e['actual'])} | {fmt(e['minimum'])} | {e['excess']:+,} |")
        lines += [f"| every other endpoint | {fmt(same_a)} | {fmt(same_m)} | 0 |", ""]
    lines += ["### Incremental runs: where the requests go", "",
              "The two incremental runs use `reconcile=never`, the path every run between reconciliations takes: "
              "the simulated organizations are premium, so each workspace is searched for changed tasks. Their "
              "minimum is the search floor (`minimum_requests(..., search=True)`): every workspace-level listing "
              "Asana offers no change feed for, one search page per 100 changed tasks per workspace, the project "
              "listings of projects that hold a changed task, and each changed task's stories, subtasks and "
              "attachments. The last run reconciles (`reconcile=always`, what `auto` does every run below "
              "50,000 tasks and once a day above): it lists every task again and re-reads the subtasks of every "
              "known parent, which is what catches deletions, moves, tag, follower and subtask-only changes; "
              "its minimum is the per-project incremental floor, so its excess is the price of that check. "
              "Largest excess per run:", ""]
    for size in data["sizes_requested"]:
        if size not in sizes:
            continue
        for r in sizes[size]["series"][0]["runs"][1:]:
            top = sorted((e for e in r["by_endpoint"] if e["excess"]), key=lambda e: -abs(e["excess"]))[:4]
            lines.append(f"- {size}, {r['run']}: {fmt(r['requests'])} against {fmt(r['minimum'])} ("
                         + "; ".join(f"`{e['endpoint']}` {e['actual']:,} vs {e['minimum']:,}" for e in top) + ")")
    lines += ["", "The JSON (`bench/results.json`) holds every figure above plus the per-endpoint table of every run.",
              "", END]
    return "\n".join(lines) + "\n"


def targets(data: dict) -> list[dict]:
    out = []
    for size in data["sizes"]:
        for s in size["series"]:
            full = s["runs"][0]
            out.append({"target": f"full sync at most {FULL_TARGET}x the minimum ({s['destination']})",
                        "size": size["size"], "value": f"{full['ratio']:.3f}", "met": full["ratio"] <= FULL_TARGET})
        by_dest = {s["destination"]: s for s in size["series"]}
        if {"duckdb", "postgres"} <= set(by_dest):
            duck = by_dest["duckdb"]["runs"][0]["phase_s"]["load"]
            pg = by_dest["postgres"]["runs"][0]["phase_s"]["load"]
            ratio = pg / duck if duck else float("inf")
            size["pg_duckdb_load_ratio"] = round(ratio, 2)
            out.append({"target": f"PostgreSQL load time at most {LOAD_RATIO_TARGET}x DuckDB's (full sync)",
                        "size": size["size"], "value": f"{ratio:.2f} ({pg:.1f} s / {duck:.1f} s)",
                        "met": ratio <= LOAD_RATIO_TARGET})
        peaks = [r["peak_rss_mb"] for s in size["series"] for r in s["runs"] if isinstance(r["peak_rss_mb"], int)]
        if peaks:
            out.append({"target": f"peak RSS of the sync under {RSS_TARGET_MB:,} MB (every run)", "size": size["size"],
                        "value": f"{max(peaks):,} MB", "met": max(peaks) < RSS_TARGET_MB})
        throttled = sum(r["http_429"] for s in size["series"] for r in s["runs"])
        out.append({"target": "no 429 (simulator without limits)", "size": size["size"], "value": str(throttled),
                    "met": throttled == 0})
    return out


def keep_earlier_sizes(data: dict) -> None:
    """Sizes this run did not measure stay as results.json had them, each with the commit it ran at.

    `make bench-large` takes half an hour, so it can be run on its own (`--sizes large`) and join the
    small and demo figures of the last `make bench` instead of erasing them. A size that is measured
    is replaced whole: measure it on both destinations, or the other one's series is dropped.
    """
    if not RESULTS_JSON.exists():
        return
    earlier = json.loads(RESULTS_JSON.read_text())
    measured = {entry["size"] for entry in data["sizes"]}
    for entry in earlier.get("sizes", []):
        if entry["size"] not in measured:
            entry.setdefault("measured", {key: earlier.get(key) for key in
                                          ("command", "commit", "finished_at", "seconds")})
            data["sizes"].append(entry)
    order = ["small", "demo", "large"]
    data["sizes"].sort(key=lambda entry: order.index(entry["size"]) if entry["size"] in order else len(order))
    data["sizes_requested"] = sorted({entry["size"] for entry in data["sizes"]} | set(data["sizes_requested"]),
                                     key=lambda size: order.index(size) if size in order else len(order))


def write_markdown(text: str) -> None:
    old = RESULTS_MD.read_text() if RESULTS_MD.exists() else "# Benchmark results\n"
    if BEGIN in old and END in old:
        head, rest = old.split(BEGIN, 1)
        new = head + text.rstrip("\n") + rest.split(END, 1)[1]
    else:
        # First time: the generated section goes after the title and the machine note, before the rest.
        first, _, rest = old.partition("\n## ")
        new = first.rstrip("\n") + "\n\n" + text + ("\n## " + rest if rest else "")
    RESULTS_MD.write_text(new)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_sizes = "small,demo,large" if os.environ.get("BENCH_LARGE") == "1" else "small,demo"
    parser.add_argument("--sizes", default=os.environ.get("BENCH_SIZES", default_sizes))
    parser.add_argument("--destinations", default=os.environ.get("BENCH_DESTINATIONS", "duckdb,postgres"))
    parser.add_argument("--seed", type=int, default=1, help="which tasks change")
    parser.add_argument("--no-write", action="store_true", help="print only; do not write RESULTS.md / results.json")
    parser.add_argument("--replace", action="store_true",
                        help="drop the sizes this run does not measure from results.json (default: keep them)")
    args = parser.parse_args()
    sizes = [s for s in args.sizes.split(",") if s]
    destinations = [d for d in args.destinations.split(",") if d]
    started = time.monotonic()
    data = {"command": "make bench" if sizes == ["small", "demo"] else
            "make bench-large" if sizes == ["small", "demo", "large"] else
            ".venv/bin/python bench/bench.py --sizes '' (no run: results.json rendered again)" if not sizes else
            f".venv/bin/python bench/bench.py --sizes {args.sizes} --destinations {args.destinations}",
            "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                     text=True).stdout.strip(),
            "machine": machine(), "sizes_requested": list(dict.fromkeys(sizes + ["large"])), "sizes": []}
    for size in sizes:
        sim = AsanaSimulator(sizes_config(size))
        s = sim.store
        described = (f"{len(s.projects):,} projects, {len(s.tasks):,} tasks of which "
                     f"{sum(1 for t in s.tasks.values() if t['parent']):,} subtasks, {len(s.stories):,} stories, "
                     f"{len(s.attachments):,} attachments, {len(s.users):,} users")
        print(json.dumps({"size": size, "data": described}), flush=True)
        entry = {"size": size, "data": described, "series": []}
        for destination in destinations:
            entry["series"].append(series(sim, size, destination, args.seed))
        data["sizes"].append(entry)
        del sim
    data["seconds"] = round(time.monotonic() - started)
    data["finished_at"] = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    for entry in data["sizes"]:
        entry["measured"] = {key: data[key] for key in ("command", "commit", "finished_at", "seconds")}
    if not args.replace:
        keep_earlier_sizes(data)
    if not sizes and RESULTS_JSON.exists():
        # Rendered again without a run: the header names the run that measured the figures, on the
        # machine it measured them on, rather than this rendering.
        data["machine"] = json.loads(RESULTS_JSON.read_text()).get("machine", data["machine"])
        measured = {json.dumps(entry.get("measured"), sort_keys=True) for entry in data["sizes"]}
        if len(measured) == 1 and data["sizes"][0].get("measured"):
            data.update(data["sizes"][0]["measured"])
    data["targets"] = targets(data)
    text = render(data)
    print(text)
    if not args.no_write:
        RESULTS_JSON.write_text(json.dumps(data, indent=1) + "\n")
        write_markdown(text)


if __name__ == "__main__":
    main()
