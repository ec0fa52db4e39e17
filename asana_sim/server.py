"""Run the simulator over real HTTP (uvicorn), in a background thread or from the command line."""
from __future__ import annotations

import argparse
import contextlib
import socket
import sys
import threading
import time
from typing import Iterator

from .app import AsanaSimulator
from .config import ALL_FAULT_KINDS, SimConfig


@contextlib.contextmanager
def serve_in_thread(sim: AsanaSimulator, port: int = 0, host: str = "127.0.0.1") -> Iterator[str]:
    """Serve `sim` with uvicorn in a daemon thread; yields `http://127.0.0.1:PORT/api/1.0`."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted sockets inherit this; without it uvicorn's separate header and body writes meet the
    # client's delayed ACK and every request takes ~40 ms.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    port = sock.getsockname()[1]
    config = uvicorn.Config(sim.asgi_app, log_level="critical", access_log=False, lifespan="off", interface="asgi3",
                            timeout_keep_alive=30)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True, name="asana-sim")
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("asana simulator failed to start")
        time.sleep(0.01)
    try:
        yield f"http://{host}:{port}/api/1.0"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@contextlib.contextmanager
def serve_in_process(sim: AsanaSimulator, port: int = 0, host: str = "127.0.0.1") -> Iterator[str]:
    """Serve `sim` from a forked child process, so the server and its client each get a core.

    The parent keeps its own copy of `sim` as ground truth for reads; writes must go through HTTP
    (the child's store is the one that changes). Linux/macOS only (fork).
    """
    import multiprocessing

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.listen(128)
    port = sock.getsockname()[1]
    child = multiprocessing.get_context("fork").Process(target=_serve_socket, args=(sim, sock), daemon=True,
                                                         name="asana-sim")
    child.start()
    try:
        yield f"http://{host}:{port}/api/1.0"
    finally:
        child.terminate()
        child.join(timeout=10)
        sock.close()


def _serve_socket(sim: AsanaSimulator, sock: socket.socket) -> None:
    import uvicorn

    config = uvicorn.Config(sim.asgi_app, log_level="critical", access_log=False, lifespan="off",
                            interface="asgi3", timeout_keep_alive=30)
    uvicorn.Server(config).run(sockets=[sock])


def parse_fault_rates(text: str) -> dict:
    """`"500=0.01,drop=0.005"` -> {"500": 0.01, "drop": 0.005}."""
    out = {}
    for part in filter(None, (x.strip() for x in text.split(","))):
        kind, _, rate = part.partition("=")
        if kind not in ALL_FAULT_KINDS or not rate:
            raise argparse.ArgumentTypeError(f"expected KIND=RATE with KIND in {','.join(ALL_FAULT_KINDS)}: {part}")
        out[kind] = float(rate)
    return out


def _gids(text: str) -> tuple[str, ...]:
    return tuple(x.strip() for x in text.split(",") if x.strip())


SIZES = ("small", "demo", "large", "truncation")


def build_parser(prog: str = "asana_sim") -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog=prog, description="Asana API simulator (strict by default)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=f"Example (Asana's latency, 4 concurrent GETs allowed, every 50th GET answered 429, 1% 5xx):\n"
               f"  {prog} --size demo --latency 0.25 --latency-sigma 0.5 --max-concurrent-gets 4 --throttle-share 0.02 "
               f"--fault-rates 500=0.005,503=0.005\n"
               f"  SOURCES__ASANA__BASE_URL=http://127.0.0.1:8080/api/1.0 SOURCES__ASANA__ACCESS_TOKEN=sim-token "
               f"asana-sync run")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8080)
    ap.add_argument("--size", choices=SIZES, default="small",
                    help="small (~150 tasks), demo (~18,600), large (~200,000), truncation (big projects)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--token", default="sim-token")
    ap.add_argument("--no-premium", action="store_true", help="search answers 402")
    ap.add_argument("--lenient", action="store_true",
                    help="do not validate request parameters (strict: the spec's schemas and asana_sim/rules.py)")
    g = ap.add_argument_group("limits and faults (all reproducible: same flags, same faults)")
    g.add_argument("--rpm", type=int, default=0, help="per-token requests per minute (0 = unlimited)")
    g.add_argument("--max-concurrent-gets", type=int, default=50,
                   help="GETs in flight per token; over it 429 with Retry-After (default 50, as Asana)")
    g.add_argument("--throttle-share", type=float, default=0.0,
                   help="deterministic share of GETs answered 429 (0.1 = exactly every 10th GET)")
    g.add_argument("--retry-after", type=int, default=1, help="Retry-After seconds of every injected 429")
    g.add_argument("--faults", "--fault-rate", dest="faults", type=float, default=0.0,
                   help="probability of an injected fault per GET, kind drawn evenly from --fault-kinds")
    g.add_argument("--fault-kinds", default=",".join(ALL_FAULT_KINDS))
    g.add_argument("--fault-rates", type=parse_fault_rates, default={},
                   help="per-kind probabilities instead of --faults, e.g. 500=0.01,502=0.01,drop=0.005,slow=0.02")
    g.add_argument("--fault-seed", type=int, default=0, help="seed of the fault draws")
    g.add_argument("--slow", type=float, default=0.5, help="seconds a 'slow' fault waits")
    g.add_argument("--latency", type=float, default=0.0,
                   help="seconds every answer takes, as Asana's do from outside its network (about 0.25; default 0)")
    g.add_argument("--latency-sigma", type=float, default=0.0,
                   help="spread: each answer's time lognormal around --latency with this sigma (0.5 is realistic; "
                        "default 0, every answer the same)")
    g.add_argument("--page-token-ttl", type=float, default=900.0,
                   help="seconds until an offset (pagination) token expires (Asana: about 15 minutes)")
    g.add_argument("--forbidden", type=_gids, default=(),
                   help="comma-separated team/project/portfolio gids the token may not read (403)")
    g.add_argument("--disabled-workspace", type=_gids, default=(),
                   help="comma-separated workspace gids that disabled the app (401 for anything in them)")
    return ap


def config_from_args(args: argparse.Namespace) -> SimConfig:
    factory = {"demo": SimConfig.demo, "large": SimConfig.large, "truncation": SimConfig.truncation}.get(
        args.size, SimConfig.small)
    return factory(args.seed, rate_limit_rpm=args.rpm, fault_rate=args.faults, tokens=[args.token],
                   fault_kinds=tuple(k for k in args.fault_kinds.split(",") if k), premium=not args.no_premium,
                   strict=not args.lenient, max_concurrent_gets=args.max_concurrent_gets,
                   throttle_share=args.throttle_share, retry_after_s=args.retry_after, fault_rates=args.fault_rates,
                   fault_seed=args.fault_seed, slow_s=args.slow, page_token_ttl_s=args.page_token_ttl,
                   latency_s=args.latency, latency_sigma=args.latency_sigma,
                   forbidden=args.forbidden, disabled_workspaces=args.disabled_workspace)


def main(argv: list[str] | None = None, prog: str = "asana_sim") -> int:
    """CLI: `python -m asana_sim --port 8080 --size demo --seed 1 [--lenient] [--rpm N] [--faults 0.02] ...`
    (also `asana-sync simulate`, which hands its arguments here unchanged)."""
    args = build_parser(prog).parse_args(argv)
    cfg = config_from_args(args)
    t0 = time.perf_counter()
    sim = AsanaSimulator(cfg)
    s = sim.store
    print(f"generated {len(s.projects)} projects, {len(s.tasks)} tasks, {len(s.stories)} stories, "
          f"{len(s.users)} users in {time.perf_counter() - t0:.1f}s"
          f"{'' if cfg.strict else ' (lenient: request parameters are not validated)'}", file=sys.stderr)
    with serve_in_thread(sim, port=args.port, host=args.host) as base_url:
        # What asana-sync reads, ready to paste into another shell.
        print(f"export SOURCES__ASANA__BASE_URL={base_url}")
        print(f"export SOURCES__ASANA__ACCESS_TOKEN={args.token}", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
    return 0
