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


def main(argv: list[str] | None = None) -> int:
    """CLI: `python -m asana_sim --port 8080 --size demo --seed 1 [--rpm N] [--faults 0.02]`."""
    ap = argparse.ArgumentParser(prog="asana_sim", description="Asana API simulator")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8080)
    ap.add_argument("--size", choices=["small", "demo", "truncation"], default="small")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--rpm", type=int, default=0, help="per-token requests per minute (0 = unlimited)")
    ap.add_argument("--faults", "--fault-rate", dest="faults", type=float, default=0.0,
                    help="probability of an injected fault per GET")
    ap.add_argument("--fault-kinds", default=",".join(ALL_FAULT_KINDS))
    ap.add_argument("--token", default="sim-token")
    ap.add_argument("--no-premium", action="store_true")
    args = ap.parse_args(argv)
    factory = {"demo": SimConfig.demo, "truncation": SimConfig.truncation}.get(args.size, SimConfig.small)
    cfg = factory(args.seed, rate_limit_rpm=args.rpm, fault_rate=args.faults, tokens=[args.token],
                  fault_kinds=tuple(k for k in args.fault_kinds.split(",") if k), premium=not args.no_premium)
    t0 = time.perf_counter()
    sim = AsanaSimulator(cfg)
    s = sim.store
    print(f"generated {len(s.projects)} projects, {len(s.tasks)} tasks, {len(s.stories)} stories, "
          f"{len(s.users)} users in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
    with serve_in_thread(sim, port=args.port, host=args.host) as base_url:
        print(f"ASANA_BASE_URL={base_url}")
        print(f"ASANA_TOKEN={args.token}", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
    return 0
