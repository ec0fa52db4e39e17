"""Peak RSS of `asana-sync run --no-models` by phase (the sync process alone), against a simulator
served from a separate process.

    .venv/bin/python bench/bench_memory.py 300     # the demo organization (50 projects x 300 tasks)
    .venv/bin/python bench/bench_memory.py 1500    # 50 projects x 1,500 tasks (~94,000 tasks)
    .venv/bin/python bench/bench_memory.py 0       # SimConfig.large(): ~200,000 tasks

The client's rate limit is lifted; RSS is sampled every 0.2 s from /proc and attributed to the
phase the progress lines name.
"""
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from asana_sim import AsanaSimulator, SimConfig, serve_in_process  # noqa: E402


def main() -> None:
    tasks_per_project = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    config = SimConfig.large(seed=1) if tasks_per_project == 0 else SimConfig.demo(
        seed=1, tasks_per_project=tasks_per_project)
    sim = AsanaSimulator(config)
    print("tasks", len(sim.store.tasks), "stories", len(sim.store.stories), flush=True)
    work = tempfile.mkdtemp()
    with serve_in_process(sim, port=0) as base_url:
        env = {**os.environ, "SOURCES__ASANA__ACCESS_TOKEN": config.tokens[0], "SOURCES__ASANA__BASE_URL": base_url,
               "SOURCES__ASANA__REQUESTS_PER_MINUTE": "1000000", "ASANA_SYNC_HOME": work + "/home"}
        proc = subprocess.Popen([sys.executable, "-m", "pipelines", "run", "--no-models"], cwd=work, env=env,
                                stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        phase = ["start"]
        peaks: dict = {}

        def follow() -> None:
            for line in proc.stderr:
                if line.startswith("asana-sync: "):
                    phase[0] = line.split(":")[1].strip().split(" ")[0]

        threading.Thread(target=follow, daemon=True).start()
        started = time.time()
        while proc.poll() is None:
            try:
                with open(f"/proc/{proc.pid}/status") as status:
                    rss = int(next(line for line in status if line.startswith("VmRSS")).split()[1]) // 1024
                peaks[phase[0]] = max(peaks.get(phase[0], 0), rss)
            except (OSError, StopIteration):
                pass
            time.sleep(0.2)
        print("exit", proc.returncode, "seconds", round(time.time() - started), "peak MB by phase", peaks, flush=True)


if __name__ == "__main__":
    main()
