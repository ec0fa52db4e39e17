"""The soak's tally: printed at the end of `make soak` (and of any run that includes soak cases)."""

from __future__ import annotations

from soak_tally import TALLY


def pytest_terminal_summary(terminalreporter):  # noqa: D103 - pytest hook
    import json
    import os

    # Workers (pytest-xdist) each keep their own tally: they write it where the controller reads it.
    folder = os.environ.get("ASANA_SYNC_SOAK_TALLY")
    tallies = [TALLY]
    if folder and os.path.isdir(folder):
        for name in os.listdir(folder):
            with open(os.path.join(folder, name)) as f:
                tallies.append(json.load(f))
    total = {k: (sum(t[k] for t in tallies) if k != "resume_cost" else [c for t in tallies for c in t[k]])
             for k in TALLY}
    if not total["runs"] and not total["kills"]:
        return
    costs = sorted(total["resume_cost"])
    median = costs[len(costs) // 2] if costs else None
    terminalreporter.write_sep("=", "soak tally")
    terminalreporter.write_line(f"fault runs: {total['runs']}, warehouse equal to the ground truth after "
                                f"{total['equal']}")
    terminalreporter.write_line(f"SIGKILL points: {total['kills']}, equal to the ground truth after the rerun: "
                                f"{total['resumed_equal']}")
    if costs:
        terminalreporter.write_line(f"resume cost (rerun requests / full first sync requests): median {median:.2f}, "
                                    f"max {costs[-1]:.2f}")
