"""Configuration of the Asana simulator: data sizes, limits and fault injection."""
from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field

ALL_FAULT_KINDS = ("500", "502", "503", "504", "drop", "slow", "429")


def _today_midnight_utc() -> float:
    # Generated data is anchored to the start of the current UTC day so that two simulators built
    # with the same seed on the same day hold identical data, while still lying in the past.
    now = time.time()
    return float(int(now // 86400) * 86400)


@dataclass
class SimConfig:
    """Every knob of the simulator. Use `small()` / `demo()` for the standard sizes."""

    seed: int = 1
    # sizes
    n_users: int = 12
    n_teams: int = 2
    n_projects: int = 3
    tasks_per_project: int = 40
    subtask_ratio: float = 0.3
    stories_per_task: float = 2.5
    n_tags: int = 6
    n_custom_fields: int = 7
    plain_workspace_project_share: float = 0.1
    archived_share: float = 0.1
    multi_project_share: float = 0.05
    # full-coverage objects, drawn from a separate random stream seeded from (seed, "coverage") and
    # allocated after every object above, so they never shift existing gids or values
    n_portfolios: int = 3                 # owned by users/me (one nested); plus one owned by someone else
    n_goals: int = 6
    time_tracking_share: float = 0.08     # share of project tasks with time tracking entries
    n_webhooks: int = 3
    # extra "big" projects for truncation tests: each tuple lists the task counts of its sections
    # (bare top-level tasks: no subtasks, stories or attachments, distinct created_at)
    big_projects: tuple = ()
    # anchor of generated timestamps (epoch seconds); None = start of the current UTC day
    now: float | None = None
    # API behaviour
    tokens: list[str] = field(default_factory=lambda: ["sim-token"])
    page_token_ttl_s: float = 900.0
    sync_token_ttl_s: float = 86400.0
    truncation_cap: int = 10_000
    unpaginated_cap: int = 1_000
    users_list_cap: int = 2_000
    rate_limit_rpm: int = 0
    max_concurrent_gets: int = 50         # GETs in flight per token; over it: 429 with Retry-After
    premium: bool = True
    # service time of every answer, in seconds (Asana from outside its network: about 0.2-0.3); with
    # latency_sigma > 0 each answer's time is lognormal around it (0.5: the middle half within
    # 0.7x-1.4x, one answer in a hundred over 3x)
    latency_s: float = 0.0
    latency_sigma: float = 0.0
    # request validation (asana_sim/validate.py): the spec's parameter schemas and the prose rules of
    # asana_sim/rules.py. False = lenient: nothing is refused for its parameters.
    strict: bool = True
    # access: gids of teams, projects (with their sections) and portfolios the token may not read (403),
    # and workspaces that disabled the app (401 for anything in them)
    forbidden: tuple[str, ...] = ()
    disabled_workspaces: tuple[str, ...] = ()
    # fault injection
    retry_after_s: int = 1                # Retry-After of every injected 429 (concurrency, throttle, fault)
    throttle_share: float = 0.0           # deterministic share of GETs answered 429 (0.1 = every 10th)
    fault_rate: float = 0.0               # probability per GET of a fault drawn evenly from fault_kinds
    fault_seed: int = 0
    fault_kinds: tuple[str, ...] = ALL_FAULT_KINDS
    fault_rates: dict = field(default_factory=dict)  # per-kind probabilities, e.g. {"500": 0.01}; replaces
    slow_s: float = 0.5                               # fault_rate/fault_kinds when set

    def __post_init__(self) -> None:
        self.big_projects = tuple(tuple(int(n) for n in p) for p in self.big_projects)
        unknown = (set(self.fault_kinds) | set(self.fault_rates)) - set(ALL_FAULT_KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds: {sorted(unknown)}")
        self.fault_kinds = tuple(self.fault_kinds)
        self.fault_rates = {k: float(v) for k, v in self.fault_rates.items() if float(v) > 0}
        if sum(self.fault_rates.values()) > 1 or not 0 <= self.throttle_share <= 1 or not 0 <= self.fault_rate <= 1:
            raise ValueError("fault rates and throttle_share are probabilities: their sum must be at most 1")
        self.forbidden = tuple(str(g) for g in self.forbidden)
        self.disabled_workspaces = tuple(str(g) for g in self.disabled_workspaces)
        if self.now is None:
            self.now = _today_midnight_utc()

    @classmethod
    def small(cls, seed: int = 7, **overrides) -> "SimConfig":
        """Tiny org for unit tests: 3 projects, ~150 tasks."""
        return dataclasses.replace(cls(seed=seed), **overrides) if overrides else cls(seed=seed)

    @classmethod
    def demo(cls, seed: int = 1, **overrides) -> "SimConfig":
        """Demo org: 60 users, 8 teams, 50 projects, ~18,600 tasks incl. subtasks."""
        cfg = cls(
            seed=seed,
            n_users=60,
            n_teams=8,
            n_projects=50,
            tasks_per_project=300,
            subtask_ratio=0.33,
            stories_per_task=2.5,
            n_tags=25,
            n_custom_fields=7,
        )
        return dataclasses.replace(cfg, **overrides) if overrides else cfg

    @classmethod
    def large(cls, seed: int = 1, **overrides) -> "SimConfig":
        """Large org: 400 users, 24 teams, 500 projects, ~200,000 tasks incl. subtasks, ~600,000 stories."""
        cfg = cls(
            seed=seed,
            n_users=400,
            n_teams=24,
            n_projects=500,
            tasks_per_project=325,
            subtask_ratio=0.33,
            stories_per_task=2.5,
            n_tags=60,
            n_custom_fields=9,
            n_goals=20,
            n_portfolios=6,
        )
        return dataclasses.replace(cfg, **overrides) if overrides else cfg

    @classmethod
    def truncation(cls, seed: int = 3, premium: bool = True, cap: int = 100, **overrides) -> "SimConfig":
        """A small org plus two big projects for truncation tests, with `truncation_cap` = `cap` (100).

        "Big project": 450 top-level tasks in 5 sections of 90 (each section under the cap, the project
        4.5x over it). "Gap project": sections of 30 and 130 tasks (the second is over the cap on its own,
        so only search, when `premium`, can list it completely).
        """
        s = cap / 100
        cfg = cls(seed=seed, premium=premium, truncation_cap=cap, n_users=8, n_teams=1, n_projects=2,
                  tasks_per_project=10, subtask_ratio=0.2, stories_per_task=1.0, n_tags=3,
                  big_projects=(tuple([round(90 * s)] * 5), (round(30 * s), round(130 * s))))
        return dataclasses.replace(cfg, **overrides) if overrides else cfg
