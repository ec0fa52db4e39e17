"""Deterministic synthetic Asana organization, built from `SimConfig.seed` with one `random.Random`.

Task histories are generated as value chains ending in the task's current state, so the stories agree
with the task: the last assigned/unassigned story names the current assignee, the last section_changed
story's new_section is the current section of the first project, the last marked_complete story is at
completed_at, custom field and rename stories end in the current values, and modified_at is never
before the task's last story or attachment.

Time is stationary, like a real organization's: projects are created all along the two years before the
anchor `now` and each is worked on for an active period of 2-8 months, during which its tasks are created
uniformly (a young project has had fewer tasks so far: tasks that would lie in the future are not made).
So weekly task creations are flat over the last year and nothing piles up at `now`. A task takes a
duration drawn from an exponential distribution (mean 10 days) to complete; it is completed when it was
meant to be and that moment is past. Subtasks are created within days of their parent. A task's stories
lie in its active span (creation to completion; for open tasks a few weeks after creation), the
completion story at completed_at, and modified_at is its last story or attachment, or shortly after.
"""
from __future__ import annotations

import gc
import random
import unicodedata
from sys import intern

from .config import SimConfig
from .coverage import generate_coverage
from .reopen import add_reopenings
from .store import Store, date_of, iso_ms, ms_of

DAY = 86_400_000
HOUR = 3_600_000
PROJECT_AGE_DAYS = (14, 730)       # project creation: this many days before now
PROJECT_ACTIVE_DAYS = (60, 240)    # tasks are created during this many days after the project's creation
DONE_SHARE = 0.45                  # share of tasks meant to be completed (if their completion is past)
DONE_MEAN = 10 * DAY               # mean time from creation to completion
OPEN_ACTIVITY_MEAN = 20 * DAY      # mean active span (stories) of a task that is still open
SUBTASK_DELAY_MEAN = 1.5 * DAY     # mean time from a parent's creation to its subtask's

FIRST = ["Ada", "Björn", "Chloé", "Dmitri", "Eun-ji", "Fatima", "Gustavo", "Hana", "Ibrahim", "Jun", "Kai",
         "Léa", "Mateo", "Nia", "Olu", "Priya", "Quinn", "Rafael", "Sofia", "Tomás", "Uma", "Viktor", "Wen",
         "Xavier", "Yara", "Zoë"]
LAST = ["Andersen", "Baptiste", "Chen", "Dubois", "Esposito", "Fischer", "García", "Hoffmann", "Ito", "Jansen",
        "Kowalski", "Lindqvist", "Müller", "Nakamura", "O'Brien", "Petrov", "Rossi", "Schmidt", "Tanaka",
        "Umarov", "Valdés", "Wang", "Yilmaz", "Zhang"]
TEAMS = ["Engineering", "Design", "Marketing", "Sales", "Customer Success", "Finance", "People Ops", "Legal",
         "Data", "Security", "Platform", "Mobile"]
PROJ_A = ["Q3", "Website", "Mobile app", "Onboarding", "Pricing", "Data platform", "Brand", "Hiring",
          "Launch", "Billing", "Support", "Infra", "Partner", "Analytics", "Roadmap"]
PROJ_B = ["redesign", "migration", "plan", "rollout", "backlog", "sprint board", "roadmap", "audit",
          "campaign", "tracker", "OKRs", "research"]
VERBS = ["Draft", "Review", "Fix", "Update", "Ship", "Design", "Test", "Plan", "Write", "Refactor", "Migrate",
         "Document", "Prepare", "Investigate", "Clean up", "Approve"]
NOUNS = ["login flow", "invoice export", "landing page", "API rate limits", "release notes", "Q4 budget",
         "customer survey", "search index", "onboarding email", "dashboard", "pricing table", "CI pipeline",
         "style guide", "vendor contract", "data model", "sync job", "access review", "webhooks"]
SPECIAL = ["Ünïcode ✅ 🚀", "设计评审 — 第3阶段", "日本語のタスク 📋", "Ελληνικά & “quotes”", "emoji only 🎉🔥",
           "Tab\tand\nnewline", "Ümlaut-Prüfung (ß)", "Zürich <offsite> & more"]
SECTIONS = ["To do", "In progress", "Review", "Blocked", "Done", "Backlog", "Next up", "Icebox"]
COLORS = ["dark-pink", "dark-green", "dark-blue", "dark-red", "dark-teal", "dark-brown", "dark-orange",
          "dark-purple", "dark-warm-gray", "light-pink", "light-green", "light-blue", "light-red", "none"]
WORDS = ("the a of to and budget review customer meeting launch note draft numbers team sync follow up "
         "blocked waiting on legal design spec feedback ✅ looks good 👍 please check attached update").split()


class Generator:
    def __init__(self, cfg: SimConfig):
        self.cfg = cfg
        self.r = random.Random(cfg.seed)
        self.s = Store()
        self.now = int(cfg.now * 1000)
        self._enabled: dict[str, list[str]] = {}  # custom field -> enabled enum option gids
        self._texts: dict[tuple[int, int], list[str]] = {}
        self._comments: list[tuple[str, str]] = []
        self._html_of: dict[str, str] = {}

    def run(self) -> Store:
        s = self.s
        self.org = {"gid": s.new_gid(), "name": "Acme Corp", "is_organization": True,
                    "email_domains": ["example.com", "acme.test"]}
        self.plain = {"gid": s.new_gid(), "name": "Personal Projects", "is_organization": False,
                      "email_domains": []}
        s.add_workspace(self.org)
        s.add_workspace(self.plain)
        self._users()
        self._teams()
        self._custom_fields()
        self._tags()
        self._projects()
        self._tasks()
        # Everything below uses its own random stream and later gids: existing objects never shift.
        generate_coverage(self)  # reads this generator as a coverage.BaseOrganization
        add_reopenings(s, self.cfg.seed)  # completed, reopened, completed again: a stream and gids of its own
        s._last_write_ms = self.now
        return s

    # ------------------------------------------------------------------ people
    def _users(self) -> None:
        r, s = self.r, self.s
        self.org_users, self.plain_users = [], []
        seen: set[str] = set()
        for i in range(self.cfg.n_users):
            first, last = r.choice(FIRST), r.choice(LAST)
            name = f"{first} {last}"
            if name in seen:
                name = f"{first} {last} {i}"
            seen.add(name)
            ws = []
            if i == 0 or i % 10 != 9:
                ws.append(self.org["gid"])
            if i == 0 or i % 5 == 0 or i % 10 == 9:
                ws.append(self.plain["gid"])
            email_local = unicodedata.normalize("NFKD", f"{first}.{last}".lower()).encode("ascii", "ignore").decode()
            email_local = email_local.replace("'", "").replace(" ", "")
            u = {"gid": s.new_gid(), "name": name, "email": f"{email_local}{i}@example.com", "workspaces": ws}
            s.add_user(u)
            if self.org["gid"] in ws:
                self.org_users.append(u["gid"])
            if self.plain["gid"] in ws:
                self.plain_users.append(u["gid"])
        s.me = self.org_users[0]

    def _teams(self) -> None:
        r, s = self.r, self.s
        self.team_members: dict[str, list[str]] = {}
        self.teams = []
        for i in range(self.cfg.n_teams):
            name = TEAMS[i % len(TEAMS)] + ("" if i < len(TEAMS) else f" {i // len(TEAMS) + 1}")
            g = s.new_gid()
            t = {"gid": g, "name": name, "description": f"The {name} team", "html_description":
                 f"<body>The <strong>{name}</strong> team</body>", "organization": self.org["gid"],
                 "visibility": r.choice(["secret", "request_to_join", "public"]),
                 "permalink_url": f"https://app.asana.com/0/{g}/{g}"}
            s.add_team(t)
            self.teams.append(g)
            k = max(2, min(len(self.org_users), r.randint(4, 15)))
            members = [s.me] + [u for u in r.sample(self.org_users, k) if u != s.me]
            self.team_members[g] = members
            for j, u in enumerate(members):
                s.add_team_membership({"gid": s.new_gid(), "team": g, "user": u, "is_guest": r.random() < 0.05,
                                       "is_admin": j == 0, "is_limited_access": False})

    def _custom_fields(self) -> None:
        specs = [("Priority", "enum", 0), ("Story points", "number", 0), ("Budget", "number", 2),
                 ("Status note", "text", 0), ("Labels", "multi_enum", 0), ("Launch date", "date", 0),
                 ("Reviewer", "people", 0), ("Effort", "enum", 0), ("Cost center", "text", 0)]
        n = max(6, self.cfg.n_custom_fields)
        self.cf_by_ws = {self.org["gid"]: [], self.plain["gid"]: []}
        for i in range(n):
            name, sub, prec = specs[i % len(specs)]
            if i >= len(specs):
                name = f"{name} {i // len(specs) + 1}"
            self._make_cf(self.org["gid"], name, sub, prec)
        self._make_cf(self.plain["gid"], "Mood", "enum", 0)
        self._make_cf(self.plain["gid"], "Remark", "text", 0)

    def _make_cf(self, ws: str, name: str, sub: str, prec: int) -> None:
        r, s = self.r, self.s
        opts = []
        if sub in ("enum", "multi_enum"):
            labels = {"Priority": ["Low", "Medium", "High", "🔥 Urgent"], "Labels": ["bug", "feature", "chore", "UX"],
                      "Effort": ["S", "M", "L", "XL"], "Mood": ["😀", "😐", "😞"]}.get(name.split(" ")[0],
                                                                                    ["Alpha", "Beta", "Gamma"])
            for j, lab in enumerate(labels):
                opts.append({"gid": s.new_gid(), "name": lab, "color": COLORS[j % len(COLORS)],
                             "enabled": not (j == len(labels) - 1 and sub == "multi_enum" and r.random() < 0.5)})
        c = {"gid": s.new_gid(), "name": name, "workspace": ws, "resource_subtype": sub,
             "description": f"{name} ({sub})", "precision": prec if sub == "number" else 0,
             "enum_options": opts, "is_global_to_workspace": r.random() < 0.5}
        s.add_custom_field(c)
        self.cf_by_ws[ws].append(c["gid"])

    def _tags(self) -> None:
        r, s = self.r, self.s
        self.tags_by_ws = {self.org["gid"]: [], self.plain["gid"]: []}
        names = ["urgent", "blocked", "customer", "tech-debt", "quick win", "Q3", "design", "needs review",
                 "bug", "docs", "🚩 risk", "légal"]
        for ws, n in ((self.org["gid"], self.cfg.n_tags), (self.plain["gid"], 2)):
            for i in range(n):
                g = s.new_gid()
                name = names[i % len(names)] + ("" if i < len(names) else f"-{i}")
                s.add_tag({"gid": g, "name": name, "workspace": ws, "color": r.choice(COLORS),
                           "notes": "" if r.random() < 0.7 else f"About {name}",
                           "created_at": iso_ms(self.now - r.randint(100, 730) * DAY),
                           "permalink_url": f"https://app.asana.com/0/{g}/list"})
                self.tags_by_ws[ws].append(g)

    # ------------------------------------------------------------------ projects
    def _projects(self) -> None:
        r, s, cfg = self.r, self.s, self.cfg
        n_plain = max(1, round(cfg.n_projects * cfg.plain_workspace_project_share)) if cfg.n_projects > 1 else 0
        self.projects = []
        for i in range(cfg.n_projects):
            plain = i >= cfg.n_projects - n_plain
            ws = self.plain["gid"] if plain else self.org["gid"]
            team = None if plain else self.teams[i % len(self.teams)]
            pool = self.plain_users if plain else self.team_members[team]
            created = self.now - r.randint(*PROJECT_AGE_DAYS) * DAY - r.randint(0, DAY)
            active_until = created + r.randint(*PROJECT_ACTIVE_DAYS) * DAY
            modified = r.randint(created, self.now)
            g = s.new_gid()
            name = f"{r.choice(PROJ_A)} {r.choice(PROJ_B)}"
            if i % 7 == 3:
                name += " 🚀"
            members = list(dict.fromkeys([pool[0]] + r.sample(pool, min(len(pool), r.randint(1, 6)))))
            cf_pool = self.cf_by_ws[ws]
            cfs = r.sample(cf_pool, min(len(cf_pool), r.randint(3, 6))) if not plain else list(cf_pool)
            completed = r.random() < 0.1
            due = date_of(created + r.randint(30, 400) * DAY) if r.random() < 0.5 else None
            p = {"gid": g, "name": name, "workspace": ws, "team": team,
                 "owner": r.choice(members) if r.random() < 0.9 else None,
                 "archived": r.random() < cfg.archived_share, "color": r.choice(COLORS),
                 "created_at": iso_ms(created), "modified_at": iso_ms(modified),
                 "due_on": due, "start_on": date_of(created) if due and r.random() < 0.5 else None,
                 "notes": f"Goals for {name}.", "html_notes": f"<body>Goals for <em>{name}</em>.</body>",
                 "privacy_setting": r.choice(["public_to_workspace", "private_to_team", "private"]),
                 "completed": completed, "completed_at": iso_ms(modified) if completed else None,
                 "default_view": r.choice(["list", "board", "calendar", "timeline"]),
                 "permalink_url": f"https://app.asana.com/0/{g}/{g}",
                 "members": members, "followers": members[:2], "custom_field_settings": cfs}
            s.add_project(p)
            secs = []
            n_sec = r.randint(3, 6)
            names = r.sample(SECTIONS, n_sec)
            if r.random() < 0.5:
                names[0] = "Untitled section"
            for nm in names:
                sg = s.new_gid()
                s.add_section({"gid": sg, "name": nm, "project": g, "created_at": iso_ms(created + r.randint(0, DAY))})
                secs.append(sg)
            self.projects.append((p, secs, pool, created, active_until))

    # ------------------------------------------------------------------ tasks and history
    def _tasks(self) -> None:
        r, cfg = self.r, self.cfg
        self.by_ws_recent: dict[str, list[str]] = {self.org["gid"]: [], self.plain["gid"]: []}
        pending_multi = []
        last_ok = self.now - HOUR
        for p, secs, pool, pcreated, active_until in self.projects:
            n = r.randint(int(cfg.tasks_per_project * 0.7), max(1, int(cfg.tasks_per_project * 1.3)))
            # Tasks are made section by section so project order groups them by section like Asana does.
            per_sec = sorted(r.randrange(len(secs)) for _ in range(n))
            proj_tasks = []
            for si in per_sec:
                # uniform over the project's active period; a moment still to come is a task not made yet
                created = r.randint(pcreated + 60_000, active_until)
                if created > last_ok:
                    continue
                t = self._task(p["workspace"], pool, created, [{"project": p["gid"], "section": secs[si]}],
                               parent=None, cfs=p["custom_field_settings"], depth=0)
                proj_tasks.append(t)
                if r.random() < cfg.multi_project_share:
                    pending_multi.append(t)
            for t in proj_tasks:
                if r.random() < cfg.subtask_ratio / 2:
                    for _ in range(r.randint(1, 3)):
                        sub = self._subtask(t, pool, p, secs)
                        if r.random() < 0.1 and sub is not None:
                            self._subtask(sub, pool, p, secs)
        # Extra project memberships are added after every project exists, with their own index keys.
        same_ws = {}
        for p, secs, _, _, _ in self.projects:
            same_ws.setdefault(p["workspace"], []).append((p, secs))
        for t in pending_multi:
            others = [x for x in same_ws[t["workspace"]] if x[0]["gid"] != t["memberships"][0]["project"]]
            for p, secs in r.sample(others, min(len(others), r.randint(1, 2))):
                sec = r.choice(secs)
                t["memberships"].append({"project": p["gid"], "section": sec})
                k = self.s.next_key()
                self.s.ix_project_tasks[p["gid"]].append(t["gid"], k)
                self.s.ix_section_tasks[sec].append(t["gid"], k)
                for cf in p["custom_field_settings"]:
                    t["custom_field_values"].setdefault(cf, None)

    def _subtask(self, parent: dict, pool, p, secs) -> dict | None:
        r = self.r
        memberships = []
        if r.random() < 0.03 and parent["memberships"]:
            memberships = [dict(parent["memberships"][0])]
        # within days of the parent's creation (a breakdown made while planning it), never in the future
        pc = ms_of(parent["created_at"])
        created = pc + 60_000 + int(r.expovariate(1 / SUBTASK_DELAY_MEAN))
        if created >= self.now - 60_000:
            return None  # still to come: a young task has had fewer subtasks so far
        return self._task(parent["workspace"], pool, created, memberships,
                          parent=parent["gid"], cfs=p["custom_field_settings"] if memberships else [], depth=1)

    def _pick(self, seq):
        """random.choice in one random() call."""
        return seq[int(self.r.random() * len(seq))]

    def _ri(self, a: int, b: int) -> int:
        """randint(a, b) in one random() call: the generator draws millions of these."""
        return a + int(self.r.random() * (b - a + 1))

    def _words(self, lo: int, hi: int) -> str:
        """A random text of lo..hi words, picked from a pool made once per seed: one random() call, and
        equal texts share one string (a large org holds hundreds of thousands of them)."""
        pool = self._texts.get((lo, hi))
        if pool is None:
            tr = random.Random(f"{self.cfg.seed}:text:{lo}:{hi}")
            pool = self._texts[(lo, hi)] = [" ".join(tr.choices(WORDS, k=tr.randint(lo, hi))) for _ in range(4096)]
        return pool[int(self.r.random() * 4096)]

    def _html(self, notes: str) -> str:
        html = self._html_of.get(notes)
        if html is None:
            html = self._html_of[notes] = ("<body>" + notes.replace("&", "&amp;").replace("<", "&lt;")
                                           .replace(">", "&gt;") + "</body>")
        return html

    def _comment(self) -> tuple[str, str]:
        """(text, html_text) of a comment, from a pool like _words (one in twenty has non-Latin text)."""
        pool = self._comments
        if not pool:
            tr = random.Random(f"{self.cfg.seed}:comments")
            for _ in range(4096):
                txt = " ".join(tr.choices(WORDS, k=tr.randint(2, 20))) + (" 你好 🚀" if tr.random() < 0.05 else "")
                pool.append((txt, "<body>" + txt.replace("&", "&amp;").replace("<", "&lt;") + "</body>"))
        return pool[int(self.r.random() * 4096)]

    def _name(self) -> str:
        r = self.r
        x = r.random()
        if x < 0.04:
            return self._pick(SPECIAL)
        return f"{self._pick(VERBS)} {self._pick(NOUNS)}"

    def _task(self, ws: str, pool: list[str], created: int, memberships: list[dict], parent, cfs, depth) -> dict:
        r, s = self.r, self.s
        now = self.now
        g = s.new_gid()
        name = self._name()
        x = r.random()
        subtype = "milestone" if x < 0.02 else "approval" if x < 0.04 else "default_task"
        assignee = self._pick(pool) if r.random() < 0.7 else None
        due_on = due_at = start_on = None
        if r.random() < 0.6:
            due_ms = created + self._ri(1, 120) * DAY
            if r.random() < 0.2:
                due_at = iso_ms(due_ms - due_ms % 900_000)
                due_on = due_at[:10]
            else:
                due_on = date_of(due_ms)
            if r.random() < 0.3:
                start_on = date_of(created + self._ri(0, (due_ms - created) // DAY) * DAY)
                if start_on > due_on:
                    start_on = None
        # completed when it was meant to be and its completion is past; stories lie in the active span
        # (active_end may lie in the future: _history drops the stories still to come)
        done_at = created + HOUR + int(r.expovariate(1 / DONE_MEAN))
        meant = r.random() < DONE_SHARE
        completed = meant and done_at < now - 60_000
        active_end = done_at if meant else created + HOUR + int(r.expovariate(1 / OPEN_ACTIVITY_MEAN))
        cfv = {}
        for cf in cfs:
            cfv[cf] = self._cf_value(cf, pool) if r.random() < 0.6 else None
        tags_pool = self.tags_by_ws[ws]
        tags = r.sample(tags_pool, self._ri(1, 2)) if tags_pool and r.random() < 0.25 else []
        creator = self._pick(pool)
        followers = list(dict.fromkeys([u for u in (creator, assignee) if u] + r.sample(pool, self._ri(0, 2))))
        notes = "" if r.random() < 0.3 else self._words(3, 25)
        recent = self.by_ws_recent[ws]
        deps = []
        if recent and r.random() < 0.03:
            deps = list(dict.fromkeys(self._pick(recent[-50:]) for _ in range(self._ri(1, 2))))
        t = {"gid": g, "name": name, "resource_subtype": subtype, "workspace": ws, "parent": parent,
             "assignee": assignee, "completed": completed, "completed_at": None, "completed_by": None,
             "created_at": iso_ms(created), "modified_at": None, "due_on": due_on, "due_at": due_at,
             "start_on": start_on, "start_at": None, "notes": notes,
             "html_notes": self._html(notes),
             "memberships": memberships, "tags": tags, "followers": followers, "dependencies": deps,
             "custom_field_values": cfv, "num_likes": self._pick((0, 0, 0, 0, 1, 2)),
             "permalink_url": f"https://app.asana.com/0/{memberships[0]['project'] if memberships else 0}/{g}"}
        recent.append(g)
        last = self._history(t, created, pool, active_end, done_at if completed else None)
        # Attachments count as modifications, so they too sit before modified_at.
        if r.random() < 0.05:
            for _ in range(self._ri(1, 2)):
                ts = self._ri(created, max(created, active_end))
                if ts < now - 1000:
                    last = max(last, self._attachment(t, ts))
        modified = last
        if r.random() >= 0.7 and last < now - 1:
            modified = min(now - 1, last + int(r.expovariate(1 / (2 * DAY))))
        t["modified_at"] = iso_ms(modified)
        s.add_task(t)
        return t

    def _cf_value(self, cf: str, pool: list[str]):
        r = self.r
        c = self.s.custom_fields[cf]
        sub = c["resource_subtype"]
        if sub == "text":
            return self._words(1, 4)
        if sub == "number":
            return float(self._ri(0, 21)) if c["precision"] == 0 else round(r.uniform(0, 50_000), c["precision"])
        if sub in ("enum", "multi_enum"):
            opts = self._enabled.get(cf)
            if opts is None:
                opts = self._enabled[cf] = [o["gid"] for o in c["enum_options"] if o["enabled"]]
            if sub == "enum":
                return self._pick(opts)
            return r.sample(opts, self._ri(1, min(2, len(opts))))
        if sub == "date":
            return date_of(self.now + self._ri(-300, 300) * DAY)
        return [self._pick(pool)]

    def _attachment(self, t: dict, ts: int) -> int:
        r, s = self.r, self.s
        g = s.new_gid()
        name = self._pick(["spec.pdf", "screenshot.png", "budget.xlsx", "notes.txt", "diagram – v2.svg"])
        s.add_attachment({"gid": g, "name": name, "parent": t["gid"], "created_at": iso_ms(ts),
                          "resource_subtype": "asana", "size": self._ri(1_000, 5_000_000), "host": "asana",
                          "view_url": f"https://app.asana.com/app/asana/-/get_asset?asset_id={g}",
                          "permanent_url": f"https://app.asana.com/app/asana/-/get_asset?asset_id={g}"})
        return ts

    def _history(self, t: dict, created: int, pool: list[str], active_end: int, done_at: int | None) -> int:
        """Create the task's stories within [created, active_end]; a completion story lands exactly at
        `done_at` (= active_end). Returns the time of the last story (or created)."""
        times, kinds = self._story_moments(t, created, active_end, done_at)
        if not kinds:
            return created
        plans = self._story_plans(t, kinds, pool, created)
        return self._write_stories(t, plans, times, pool, created)

    def _story_moments(self, t: dict, created: int, active_end: int, done_at: int | None) -> tuple[list, list]:
        """(times, kinds) of the task's stories, in time order; a completion (or the reopening of an open
        task) is the newest."""
        r = self.r
        avg = self.cfg.stories_per_task
        k = min(int(r.random() * (2 * avg + 1)), 12)
        reopened = not t["completed"] and r.random() < 0.05
        hi = max(created + 2000, active_end - 1000)
        # Story moments over the whole active span; those still to come are stories not written yet, so a
        # young task has fewer stories instead of all of them squeezed into its first days.
        limit = self.now - 1000
        lo, span = created + 1000, hi - created - 999
        rnd = r.random
        times = sorted(t for t in (lo + int(rnd() * span) for _ in range(k + reopened)) if t < limit)
        if reopened and not times:
            reopened = False
        kinds = r.choices(["comment", "assign", "section", "due", "cf", "name"], weights=[40, 17, 12, 12, 12, 7],
                          k=len(times) - reopened)
        if t["completed"]:
            kinds.append("complete")
            times.append(done_at)
        elif reopened:
            kinds.append("incomplete")  # its completion story comes from asana_sim/reopen.py
        return times, kinds

    def _chain(self, final, n: int, pick) -> list:
        """n + 1 values v0 .. vn ending in `final`, each (almost always) different from the one before."""
        vals = [final]
        for _ in range(n):
            prev = vals[-1]
            v = pick()
            tries = 0
            while v == prev and tries < 5:
                v, tries = pick(), tries + 1
            vals.append(v)
        vals.reverse()
        return vals

    def _story_plans(self, t: dict, kinds: list[str], pool: list[str], created: int) -> list[tuple | None]:
        """What each story changes, as value chains that end in the task's current state (None: a comment)."""
        r, s = self.r, self.s
        groups: dict[str, list[int]] = {}
        for i, kind in enumerate(kinds):
            groups.setdefault(kind, []).append(i)
        plans: list[tuple | None] = [None] * len(kinds)
        for kind, idx in groups.items():
            n = len(idx)
            vals = None
            if kind == "assign":
                vals = self._chain(t["assignee"], n, lambda: self._pick(pool) if r.random() < 0.8 else None)
            elif kind == "section" and t["memberships"]:
                m = t["memberships"][0]
                secs = s.ix_project_sections[m["project"]].gids
                vals = self._chain(m["section"], n, lambda: self._pick(secs))
            elif kind == "due" and t["due_on"]:
                final = {"start_on": t["start_on"], "due_at": t["due_at"], "due_on": t["due_on"]}
                vals = self._chain(final, n, lambda: {"start_on": None, "due_at": None,
                                                      "due_on": date_of(created + self._ri(1, 200) * DAY)})
            elif kind == "cf":
                cands = [cf for cf, v in t["custom_field_values"].items() if v is not None and
                         (s.custom_fields[cf]["resource_subtype"] in ("enum", "text") or
                          (s.custom_fields[cf]["resource_subtype"] == "number" and s.custom_fields[cf]["precision"] == 0))]
                if cands:
                    cf = self._pick(cands)
                    vals = self._chain(t["custom_field_values"][cf], n, lambda: self._cf_value(cf, pool))
                    for j, i in enumerate(idx):
                        plans[i] = ("cf", cf, vals[j], vals[j + 1])
                    continue
            elif kind == "name":
                vals = self._chain(t["name"], n, self._name)
            elif kind in ("complete", "incomplete"):
                for i in idx:
                    plans[i] = (kind,)
            if vals is not None:
                for j, i in enumerate(idx):
                    plans[i] = (kind, vals[j], vals[j + 1])
        if "complete" in groups:
            # completion must be the newest story so completed_at lines up with it
            ci = groups["complete"][0]
            plans.append(plans.pop(ci))
        return plans

    def _write_stories(self, t: dict, plans: list, times: list, pool: list[str], created: int) -> int:
        r, s = self.r, self.s
        stories = []
        last = created
        npool = len(pool)
        for plan, ts in zip(plans, times):
            actor = pool[int(r.random() * npool)]
            if plan is None:
                plan = ("comment",)
            kind = plan[0]
            if kind != "comment" and r.random() < 0.03:
                actor = None
            who = s.users[actor]["name"] if actor else "Asana"
            st = {"gid": s.new_gid(), "target": t["gid"], "created_at": iso_ms(ts), "created_by": actor,
                  "type": "system", "is_pinned": False}
            if kind == "comment":
                txt, html = self._comment()
                st.update(type="comment", resource_subtype="comment_added", text=txt, html_text=html,
                          is_pinned=r.random() < 0.02, created_by=pool[int(r.random() * len(pool))])
            else:
                self._system_change(st, t, plan, who)
                if kind == "complete":
                    t["completed_at"], t["completed_by"] = st["created_at"], actor
                st["text"] = intern(st["text"])  # system texts repeat ("Ada Chen completed this task")
            stories.append(st)
            last = ts
        for st in stories:
            s.add_story(st)
        return last

    def _system_change(self, st: dict, t: dict, plan: tuple, who: str) -> None:
        """Fill a system story's subtype, text and structured fields from its plan."""
        s = self.s
        kind = plan[0]
        if kind == "assign":
            old, new = plan[1], plan[2]
            if new:
                # previous_assignee is ground truth only: Asana's assigned story names the new assignee alone
                st.update(resource_subtype="assigned", assignee=new, previous_assignee=old,
                          text=f"{who} assigned to {s.users[new]['name']}")
            else:
                st.update(resource_subtype="unassigned", assignee=old,
                          text=f"{who} unassigned from {s.users[old]['name'] if old else 'nobody'}")
        elif kind == "section":
            st.update(resource_subtype="section_changed", old_section=plan[1], new_section=plan[2],
                      text=f"{who} moved this task from \"{s.sections[plan[1]]['name']}\" to \"{s.sections[plan[2]]['name']}\"")
        elif kind == "due":
            st.update(resource_subtype="due_date_changed", old_dates=plan[1], new_dates=plan[2],
                      text=f"{who} changed the due date to {plan[2]['due_on']}")
        elif kind == "cf":
            cf, old, new = plan[1], plan[2], plan[3]
            c = s.custom_fields[cf]
            sub = c["resource_subtype"]
            st.update(resource_subtype=f"{sub}_custom_field_changed", custom_field=cf, text=f"{who} changed {c['name']}")
            if sub == "number":
                st["old_number_value"], st["new_number_value"] = int(old), int(new)
            else:
                st[f"old_{sub}_value"], st[f"new_{sub}_value"] = old, new
        elif kind == "name":
            st.update(resource_subtype="name_changed", old_name=plan[1], new_name=plan[2],
                      text=f"{who} changed the name to \"{plan[2]}\"")
        elif kind == "complete":
            st.update(resource_subtype="marked_complete", text=f"{who} completed this task")
        else:
            st.update(resource_subtype="marked_incomplete", text=f"{who} marked this task incomplete")


def generate(cfg: SimConfig) -> Store:
    """Build the ground truth for `cfg`; same config, same data.

    The cyclic garbage collector is paused while millions of records are made (they hold no cycles, but
    each collection would walk all of them), and the result is frozen out of later collections.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        store = Generator(cfg).run()
    finally:
        if was_enabled:
            gc.enable()
    gc.freeze()
    return store
