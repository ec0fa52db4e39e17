"""Full-coverage objects (memberships, statuses, portfolios, goals, time tracking, webhooks, ...).

Drawn from their own `random.Random` seeded from `(seed, "coverage")` and created after every object of
the base generator, so adding them never shifts an existing gid or value. Also adds the
`attachment_added` story of every generated attachment and the optional "big" truncation projects.

The base generator (asana_sim/generator.py) calls in here and passes itself as a `BaseOrganization`:
this module only reads the organization it built and never imports it.
"""
from __future__ import annotations

import random
from typing import Protocol

from .config import SimConfig
from .store import Seq, Store, date_of, iso_ms, ms_of

DAY = 86_400_000
GOALS = ["Grow ARR to $10M", "Ship mobile v2", "Reduce churn below 3%", "Hire 20 engineers", "Launch in EMEA",
         "NPS above 50", "Cut infra cost 15%", "SOC 2 Type II", "Double weekly actives", "Zero P1 incidents"]
PORTFOLIOS = ["Company roadmap", "Engineering initiatives", "Q3 launches", "Marketing programs", "Platform bets",
              "Customer programs"]
STATUS_TEXT = ["All milestones on track.", "Blocked on legal review ⚖️", "Slipping a week, recovering.",
               "Scope cut agreed with stakeholders.", "Done and dusted ✅", "Waiting on vendor contract."]
PF_COLORS = ["dark-pink", "dark-green", "dark-blue", "dark-red", "dark-teal", "dark-brown", "dark-orange",
             "dark-purple", "light-blue", "light-green"]


class BaseOrganization(Protocol):
    """What the coverage objects are drawn from: the organization the base generator built."""

    s: Store
    cfg: SimConfig
    now: int                                # anchor of generated timestamps, epoch ms
    org: dict                               # the organization workspace
    plain: dict                             # the workspace that is not an organization
    teams: list[str]
    team_members: dict[str, list[str]]      # team -> member user gids, the token's user first
    org_users: list[str]
    cf_by_ws: dict[str, list[str]]          # workspace -> custom field gids


def generate_coverage(gen: BaseOrganization) -> None:
    Coverage(gen).run()


class Coverage:
    def __init__(self, gen: BaseOrganization):
        self.g, self.s, self.cfg = gen, gen.s, gen.cfg
        self.r = random.Random(f"{gen.cfg.seed}:coverage")
        self.now = gen.now
        self.org, self.plain = gen.org["gid"], gen.plain["gid"]
        self.big_tasks: set[str] = set()

    def ts_between(self, a: int, b: int) -> int:
        return self.r.randint(a, max(a, b))

    def run(self) -> None:
        self.attachment_stories()
        self.big_projects()
        self.workspace_memberships()
        self.project_memberships()
        self.project_extras()
        self.templates()
        self.portfolios()
        self.goals()
        self.time_tracking()
        self.webhooks()
        for cfs in self.s.custom_field_settings.values():
            cfs["is_important"] = self.r.random() < 0.3

    # ------------------------------------------------------------------ attachments
    def attachment_stories(self) -> None:
        s, r = self.s, self.r
        touched = set()
        for a in list(s.attachments.values()):
            t = s.tasks[a["parent"]]
            who = r.choice(t["followers"]) if t["followers"] else None
            name = s.users[who]["name"] if who else "Asana"
            st = {"gid": s.new_gid(), "target": t["gid"], "created_at": a["created_at"], "created_by": who,
                  "resource_subtype": "attachment_added", "type": "system", "is_pinned": False,
                  "text": f"{name} attached {a['name']}"}
            s.add_story(st)
            touched.add(t["gid"])
        for tg in touched:
            gids = sorted(s.ix_task_stories[tg].gids, key=lambda g: s.stories[g]["created_at"])
            seq = Seq()
            for g in gids:
                seq.append(g, s.next_key())
            s.ix_task_stories[tg] = seq

    # ------------------------------------------------------------------ truncation projects
    def big_projects(self) -> None:
        s, r, g = self.s, self.r, self.g
        if not self.cfg.big_projects:
            return
        team = g.teams[0]
        pool = g.team_members[team]
        for i, sizes in enumerate(self.cfg.big_projects):
            pg = s.new_gid()
            created = self.now - 200 * DAY
            name = "Big project" if i == 0 else "Gap project" if i == 1 else f"Big project {i + 1}"
            p = {"gid": pg, "name": name, "workspace": self.org, "team": team, "owner": pool[0],
                 "archived": False, "color": "dark-blue", "created_at": iso_ms(created),
                 "modified_at": iso_ms(created + DAY), "due_on": None, "start_on": None,
                 "notes": f"{name} for truncation tests.", "html_notes": f"<body>{name} for truncation tests.</body>",
                 "privacy_setting": "public_to_workspace", "completed": False, "completed_at": None,
                 "default_view": "list", "permalink_url": f"https://app.asana.com/0/{pg}/{pg}",
                 "members": [pool[0]], "followers": [pool[0]], "custom_field_settings": []}
            s.add_project(p)
            secs = []
            for j in range(len(sizes)):
                sg = s.new_gid()
                s.add_section({"gid": sg, "name": f"Section {j + 1} ({sizes[j]})", "project": pg,
                               "created_at": iso_ms(created + j * 1000)})
                secs.append(sg)
            k = 0
            for j, n in enumerate(sizes):
                for _ in range(n):
                    k += 1
                    tc = created + DAY + k * 61_000 + r.randint(0, 59_000)
                    tg = s.new_gid()
                    t = {"gid": tg, "name": f"{name} task {k}", "resource_subtype": "default_task",
                         "workspace": self.org, "parent": None,
                         "assignee": r.choice(pool) if r.random() < 0.5 else None,
                         "completed": False, "completed_at": None, "completed_by": None,
                         "created_at": iso_ms(tc), "modified_at": iso_ms(tc + r.randint(0, 5 * DAY)),
                         "due_on": None, "due_at": None, "start_on": None, "start_at": None, "notes": "",
                         "html_notes": "<body></body>", "memberships": [{"project": pg, "section": secs[j]}],
                         "tags": [], "followers": [], "dependencies": [], "custom_field_values": {},
                         "num_likes": 0, "permalink_url": f"https://app.asana.com/0/{pg}/{tg}"}
                    if t["assignee"]:
                        t["followers"] = [t["assignee"]]
                    s.add_task(t)
                    self.big_tasks.add(tg)

    # ------------------------------------------------------------------ memberships
    def workspace_memberships(self) -> None:
        s, r = self.s, self.r
        for u in s.users.values():
            for w in u["workspaces"]:
                s.add("workspace_membership", {
                    "gid": s.new_gid(), "workspace": w, "user": u["gid"], "is_active": r.random() > 0.05,
                    "is_admin": u["gid"] == s.me and w == self.org, "is_guest": False,
                    "is_view_only": False, "created_at": iso_ms(self.now - r.randint(400, 1500) * DAY)})
                s.add("user_task_list", {"gid": s.new_gid(), "name": "My Tasks", "owner": u["gid"], "workspace": w})

    def project_memberships(self) -> None:
        s, r = self.s, self.r
        for p in s.projects.values():
            owner = p["owner"] or (p["members"][0] if p["members"] else None)
            for u in p["members"]:
                level = "admin" if u == owner else r.choice(["editor", "editor", "commenter", "viewer"])
                s.add("project_membership", {
                    "gid": s.new_gid(), "project": p["gid"], "user": u, "access_level": level,
                    "write_access": "full_write" if level in ("admin", "editor") else "comment_only"})

    def _status_update(self, parent: str, parent_type: str, created: int, pool: list[str], final: str | None = None):
        s, r = self.s, self.r
        kinds = ["on_track", "at_risk", "off_track", "on_hold"]
        ts = self.ts_between(created + DAY, self.now - 3_600_000)
        who = r.choice(pool)
        st = final or r.choice(kinds)
        return s.add("status_update", {
            "gid": s.new_gid(), "parent": parent, "parent_type": parent_type,
            "resource_subtype": f"{parent_type}_status_update", "status_type": st,
            "title": f"Status update – {date_of(ts)}", "text": r.choice(STATUS_TEXT),
            "html_text": "<body>" + r.choice(STATUS_TEXT).replace("&", "&amp;") + "</body>",
            "created_at": iso_ms(ts), "modified_at": iso_ms(self.ts_between(ts, self.now - 1000)),
            "created_by": who, "author": who})

    def project_extras(self) -> None:
        s, r = self.s, self.r
        first_org = next((p for p in s.projects if s.projects[p]["workspace"] == self.org), None)
        for p in list(s.projects.values()):
            created = ms_of(p["created_at"])
            pool = p["members"] or [s.me]
            first = p["gid"] == first_org  # always fully covered, so small orgs have every kind
            if p["workspace"] == self.org and (r.random() < 0.5 or first):
                bg = s.new_gid()
                s.add("project_brief", {
                    "gid": bg, "project": p["gid"], "title": f"{p['name']} brief",
                    "text": f"Why {p['name']} matters and what done looks like.",
                    "html_text": f"<body>Why <strong>{p['name']}</strong> matters.</body>",
                    "permalink_url": f"https://app.asana.com/0/{p['gid']}/brief"})
            if r.random() < 0.7 or first:
                n = r.randint(1, 3)
                for i in range(n):
                    self._status_update(p["gid"], "project", created, pool,
                                        "complete" if p["completed"] and i == n - 1 else None)
            if r.random() < 0.4 or first:
                for _ in range(r.randint(1, 2)):
                    ts = self.ts_between(created + DAY, self.now - 3_600_000)
                    who = r.choice(pool)
                    s.add("project_status", {
                        "gid": s.new_gid(), "project": p["gid"], "title": f"Weekly status {date_of(ts)}",
                        "text": r.choice(STATUS_TEXT), "html_text": "<body>Legacy status</body>",
                        "color": r.choice(["green", "yellow", "red", "blue", "complete"]),
                        "created_at": iso_ms(ts), "created_by": who, "author": who,
                        "modified_at": iso_ms(self.ts_between(ts, self.now - 1000))})

    def templates(self) -> None:
        s, r, g = self.s, self.r, self.g
        names = ["Sprint template", "Launch checklist", "Onboarding plan", "Campaign brief", "Bug triage"]
        for i in range(r.randint(2, 4)):
            team = g.teams[i % len(g.teams)]
            s.add("project_template", {
                "gid": s.new_gid(), "name": names[i], "description": f"Template: {names[i]}",
                "html_description": f"<body>Template: {names[i]}</body>", "owner": r.choice(g.team_members[team]),
                "team": team, "workspace": self.org, "public": r.random() < 0.5, "color": r.choice(PF_COLORS)})

    # ------------------------------------------------------------------ portfolios
    def portfolios(self) -> None:
        s, r, g = self.s, self.r, self.g
        org_projects = [p for p in s.projects if s.projects[p]["workspace"] == self.org]
        n = max(0, self.cfg.n_portfolios)
        others = [u for u in g.org_users if u != s.me] or [s.me]
        owners = [s.me] * n + ([others[0]] if n else [])
        made = []
        for i, owner in enumerate(owners):
            pg = s.new_gid()
            created = self.now - r.randint(30, 400) * DAY
            members = list(dict.fromkeys([owner] + r.sample(g.org_users, min(len(g.org_users), r.randint(1, 3)))))
            items = r.sample(org_projects, min(len(org_projects), r.randint(1, 3)))
            due = date_of(created + r.randint(60, 300) * DAY) if r.random() < 0.6 else None
            pf = s.add("portfolio", {
                "gid": pg, "name": PORTFOLIOS[i % len(PORTFOLIOS)] + ("" if owner == s.me else " (not mine)"),
                "workspace": self.org, "owner": owner, "created_by": owner, "color": r.choice(PF_COLORS),
                "created_at": iso_ms(created), "start_on": date_of(created) if due else None, "due_on": due,
                "public": r.random() < 0.5, "archived": False, "permalink_url": f"https://app.asana.com/0/portfolio/{pg}/list",
                "members": members, "items": items, "custom_field_settings": []})
            made.append(pf)
            for j, u in enumerate(members):
                s.add("portfolio_membership", {"gid": s.new_gid(), "portfolio": pg, "user": u,
                                               "access_level": "admin" if u == owner else r.choice(["editor", "viewer"])})
            cfs = r.sample(g.cf_by_ws[self.org], min(2, len(g.cf_by_ws[self.org])))
            for cf in cfs:
                pf["custom_field_settings"].append(cf)
                s._register_cfs(pg, cf, "portfolio")
            if r.random() < 0.7:
                self._status_update(pg, "portfolio", created, members)
        if n >= 2:
            # the last portfolio of users/me is nested in the first one
            made[0]["items"].append(made[n - 1]["gid"])

    # ------------------------------------------------------------------ goals
    def goals(self) -> None:
        periods = self.time_periods()
        goals = [self._goal(i, periods) for i in range(self.cfg.n_goals)]
        self.goal_relationships(goals)

    def time_periods(self) -> list[dict]:
        """Last year's and this year's fiscal year, halves and quarters (they draw no random numbers)."""
        y = int(date_of(self.now)[:4])
        periods = []
        for year in (y - 1, y):
            fy = self._time_period(year, "FY", "01-01", "12-31", None)
            h1 = self._time_period(year, "H1", "01-01", "06-30", fy["gid"])
            h2 = self._time_period(year, "H2", "07-01", "12-31", fy["gid"])
            qs = [self._time_period(year, "Q1", "01-01", "03-31", h1["gid"]),
                  self._time_period(year, "Q2", "04-01", "06-30", h1["gid"]),
                  self._time_period(year, "Q3", "07-01", "09-30", h2["gid"]),
                  self._time_period(year, "Q4", "10-01", "12-31", h2["gid"])]
            periods += [fy, h1, h2, *qs]
        return periods

    def _time_period(self, year: int, period: str, start: str, end: str, parent: str | None) -> dict:
        s = self.s
        yy = str(year)[2:]
        return s.add("time_period", {"gid": s.new_gid(), "workspace": self.org,
                                     "display_name": f"{period} FY{yy}" if period != "FY" else f"FY{yy}",
                                     "period": period, "start_on": f"{year}-{start}", "end_on": f"{year}-{end}",
                                     "parent": parent})

    def _goal(self, i: int, periods: list[dict]) -> dict:
        """The i-th goal (the first one is the token user's) and, for most, a status update."""
        s, r, g = self.s, self.r, self.g
        team = r.choice(g.teams) if i > 0 and r.random() < 0.6 else None
        period = r.choice(periods)
        owner = s.me if i == 0 else r.choice(g.org_users)
        metric = self._goal_metric() if r.random() < 0.7 else None
        gg = s.new_gid()
        goal = s.add("goal", {
            "gid": gg, "name": GOALS[i % len(GOALS)] + ("" if i < len(GOALS) else f" {i}"),
            "notes": "Measured monthly.", "html_notes": "<body>Measured <em>monthly</em>.</body>",
            "workspace": self.org, "team": team, "is_workspace_level": team is None, "owner": owner,
            "time_period": period["gid"], "start_on": period["start_on"], "due_on": period["end_on"],
            "status": r.choice([None, "green", "yellow", "red", "achieved", "missed"]),
            "metric": metric, "followers": [owner], "num_likes": r.choice([0, 0, 1, 3]),
            "privacy_setting": "public_to_workspace"})
        if r.random() < 0.6:
            self._status_update(gg, "goal", self.now - 120 * DAY, g.org_users,
                                r.choice(["on_track", "at_risk", "achieved"]))
        return goal

    def _goal_metric(self) -> dict:
        s, r = self.s, self.r
        unit = r.choice(["none", "currency", "percentage"])
        init = float(r.randint(0, 50))
        target = init + r.randint(10, 500)
        cur = round(r.uniform(init, target), 2)
        return {"gid": s.new_gid(), "resource_subtype": "number", "precision": 2 if unit != "none" else 0,
                "unit": unit, "currency_code": "USD" if unit == "currency" else None,
                "initial_number_value": init, "target_number_value": float(target),
                "current_number_value": cur, "progress_source": "manual", "is_custom_weight": False}

    def goal_relationships(self, goals: list[dict]) -> None:
        """Subgoals (the second and third goal always support the first), supporting projects, and the first
        portfolio supporting the first goal."""
        s, r = self.s, self.r
        org_projects = [p for p in s.projects if s.projects[p]["workspace"] == self.org]
        for i, goal in enumerate(goals[1:], start=1):
            if i <= 2 or r.random() < 0.4:
                self._goal_relationship(goals[0 if i <= 2 else r.randrange(i)]["gid"], goal["gid"], "goal")
        for goal in goals:
            for p in r.sample(org_projects, min(len(org_projects), r.randint(0, 2))):
                self._goal_relationship(goal["gid"], p, "project")
        if goals and s.portfolios:
            self._goal_relationship(goals[0]["gid"], next(iter(s.portfolios)), "portfolio")

    def _goal_relationship(self, supported: str, res: str, rtype: str) -> None:
        s = self.s
        s.add("goal_relationship", {
            "gid": s.new_gid(), "supported_goal": supported, "supporting_resource": res,
            "supporting_resource_type": rtype, "resource_subtype": "subgoal" if rtype == "goal" else "supporting_work",
            "contribution_weight": self.r.choice([0.0, 0.25, 0.5, 1.0])})

    # ------------------------------------------------------------------ time tracking
    def time_tracking(self) -> None:
        s, r = self.s, self.r
        share = self.cfg.time_tracking_share
        for t in list(s.tasks.values()):
            if t["gid"] in self.big_tasks or not t["memberships"] or r.random() >= share:
                continue
            created = ms_of(t["created_at"])
            pool = [u for u in [t["assignee"], *t["followers"]] if u] or [s.me]
            for _ in range(r.randint(1, 3)):
                # time is logged while the task is worked on: days after its creation, not piled up at now
                ts = min(created + 60_000 + int(r.expovariate(1 / (7 * DAY))), self.now - 60_000)
                ts = max(ts, min(created + 60_000, self.now - 60_000))
                s.add("time_tracking_entry", {
                    "gid": s.new_gid(), "task": t["gid"], "created_by": r.choice(pool),
                    "attributable_to": t["memberships"][0]["project"],
                    "duration_minutes": r.randint(1, 32) * 15, "entered_on": date_of(ts), "created_at": iso_ms(ts),
                    "approval_status": "DRAFT", "billable_status": r.choice(["billable", "nonBillable", "notApplicable"]),
                    "description": ""})

    # ------------------------------------------------------------------ webhooks
    def webhooks(self) -> None:
        s, r = self.s, self.r
        resources = [(p, "project") for p in list(s.projects)[:2]]
        resources.append((next(iter(s.tasks)), "task"))
        resources.append((self.org, "workspace"))
        for i in range(self.cfg.n_webhooks):
            res, rtype = resources[i % len(resources)]
            ws = res if rtype == "workspace" else s.projects[res]["workspace"] if rtype == "project" else s.tasks[res]["workspace"]
            created = self.now - r.randint(5, 200) * DAY
            failing = i == 1
            s.add("webhook", {
                "gid": s.new_gid(), "workspace": ws, "resource": res, "resource_type": rtype,
                "target": f"https://hooks.example.com/asana/{i}", "active": not failing, "created_at": iso_ms(created),
                "last_success_at": iso_ms(self.ts_between(created, self.now - 1000)),
                "last_failure_at": iso_ms(self.ts_between(created, self.now - 1000)) if failing else None,
                "last_failure_content": "502 Bad Gateway" if failing else "",
                "filters": [{"resource_type": "task", "action": "changed", "fields": ["completed"]}]
                if rtype == "workspace" else []})
