"""Store records -> API JSON, honouring `opt_fields`.

Lists answer the compact representation by default and single-object GETs the full one. `opt_fields`
replaces either: `gid` (and `resource_type`) always come back, dot paths (`memberships.section.name`)
select fields of nested objects, and `this.(a|b).c` expands to `a.c,b.c`. Fields a resource does not
have are ignored, as are conditional story fields that do not apply to a story's subtype.

Which fields each kind has and how each is read from a record: the tables of `resource_fields.py`.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from .resource_fields import ABSENT, COMPACT, FULL, Ref, compile_fields
from .store import _PLURAL, Store

__all__ = ["Ref", "Renderer", "parse_opt_fields"]

_GROUP = re.compile(r"^(?:this\.)?\(([^)]*)\)(.*)$")


@lru_cache(maxsize=4096)
def parse_opt_fields(spec: str) -> dict:
    """`"name,memberships.section.name,this.(followers|assignee).email"` -> nested dict tree."""
    tree: dict = {}
    for raw in spec.split(","):
        raw = raw.strip()
        if not raw:
            continue
        paths = [raw]
        m = _GROUP.match(raw)
        if m:
            alts, rest = m.group(1), m.group(2)
            paths = [a + rest for a in alts.split("|") if a]
        for p in paths:
            if p.startswith("this."):
                p = p[5:]
            node = tree
            for part in p.split("."):
                node = node.setdefault(part, {})
    return tree


def _fmt_number(v: float, precision: int) -> str:
    return f"{v:.{precision}f}"


class Renderer:
    """Renders records of one store. Compact task/user/... dicts are cached until the store changes."""

    def __init__(self, store: Store):
        self.s = store
        self._cf_memo: dict[tuple, dict] = {}
        self.fields = compile_fields(self)
        self.compact = dict(COMPACT)
        self.full = dict(FULL)

    # ------------------------------------------------------------------ values the field tables compute
    def enum_option(self, x: dict) -> dict:
        return {"gid": x["gid"], "resource_type": "enum_option", "name": x["name"], "color": x["color"],
                "enabled": x["enabled"]}

    def enum_option_by_gid(self, gid: str | None):
        if not gid:
            return None
        for c in self.s.custom_fields.values():
            for x in c["enum_options"]:
                if x["gid"] == gid:
                    return self.enum_option(x)
        return {"gid": gid, "resource_type": "enum_option"}

    def custom_field_setting(self, parent: str, cf: str) -> dict:
        g = self.s.cfs_gid.get((parent, cf), cf)
        rec = self.s.custom_field_settings.get(g)
        ptype = rec["parent_type"] if rec else "project"
        out = {"gid": g, "resource_type": "custom_field_setting", "parent": Ref(ptype, parent),
               "custom_field": Ref("custom_field", cf), "is_important": bool(rec and rec["is_important"])}
        if ptype == "project":
            out["project"] = Ref("project", parent)
        return out

    def cfs_record(self, gid: str) -> dict:
        project, cf = self.s.custom_field_setting(gid)
        return self.custom_field_setting(project, cf)

    def custom_field_value(self, cf: str, v: Any) -> dict:
        # Custom field definitions never change through the API, so a (field, value) pair always
        # renders the same; the memo keeps broad opt_fields listings fast.
        key = (cf, tuple(v) if isinstance(v, list) else v)
        hit = self._cf_memo.get(key)
        if hit is None:
            hit = self._cf_memo[key] = self._custom_field_value_uncached(cf, v)
        return hit

    def _custom_field_value_uncached(self, cf: str, v: Any) -> dict:
        c = self.s.custom_fields[cf]
        sub = c["resource_subtype"]
        o = {"gid": cf, "resource_type": "custom_field", "name": c["name"], "type": sub, "resource_subtype": sub,
             "enabled": True, "representation_type": sub, "is_formula_field": False, "is_value_read_only": False,
             "description": c["description"]}
        disp = None
        if sub == "text":
            o["text_value"] = v
            disp = v
        elif sub == "number":
            o["number_value"] = v
            o["precision"] = c["precision"]
            disp = _fmt_number(v, c["precision"]) if v is not None else None
        elif sub == "enum":
            o["enum_options"] = [self.enum_option(x) for x in c["enum_options"]]
            ev = next((x for x in c["enum_options"] if x["gid"] == v), None) if v else None
            o["enum_value"] = self.enum_option(ev) if ev else None
            disp = ev["name"] if ev else None
        elif sub == "multi_enum":
            o["enum_options"] = [self.enum_option(x) for x in c["enum_options"]]
            sel = [x for x in c["enum_options"] if x["gid"] in (v or ())]
            o["multi_enum_values"] = [self.enum_option(x) for x in sel]
            disp = ", ".join(x["name"] for x in sel) if sel else None
        elif sub == "date":
            o["date_value"] = {"date": v} if v else None
            disp = v
        elif sub == "people":
            o["people_value"] = [Ref("user", u) for u in (v or ()) if u in self.s.users]
            disp = ", ".join(self.s.users[u]["name"] for u in (v or ()) if u in self.s.users) or None
        o["display_value"] = disp
        return o

    # ------------------------------------------------------------------ rendering
    def render(self, kind: str, rec: dict, tree: dict | None, full: bool = False) -> dict:
        """`tree` is a parsed opt_fields tree; None means the default (compact, or full if `full`)."""
        if tree is None:
            if not full:
                cached = self.s.compact_cache.get(rec["gid"])
                if cached is not None:
                    return cached
                out = self._render_fields(kind, rec, self.compact.get(kind, ("name",)), None)
                if kind != "custom_field_setting":
                    self.s.compact_cache[rec["gid"]] = out
                return out
            return self._render_fields(kind, rec, self.full.get(kind, ("name",)), None)
        return self._render_fields(kind, rec, tree, tree)

    def _render_fields(self, kind: str, rec: dict, names, tree: dict | None) -> dict:
        getters = self.fields[kind]
        out = {"gid": rec["gid"], "resource_type": kind}
        for f in names:
            g = getters.get(f)
            if g is None:
                continue
            v = g(rec)
            if v is ABSENT:
                continue
            out[f] = self._value(v, tree[f] if tree is not None else None)
        return out

    def _value(self, v: Any, sub: dict | None):
        if isinstance(v, Ref):
            return self.ref(v, sub)
        if isinstance(v, list):
            return [self._value(x, sub) for x in v]
        if isinstance(v, dict):
            if sub:
                out = {k: v[k] for k in ("gid", "resource_type") if k in v}
                for k, st in sub.items():
                    if k in v:
                        out[k] = self._value(v[k], st)
                return out
            return {k: self._value(x, None) for k, x in v.items()}
        return v

    def ref(self, r: Ref, sub: dict | None):
        rec = self.lookup(r.kind, r.gid)
        if rec is None:
            return {"gid": r.gid, "resource_type": r.kind}
        if not sub:
            if r.kind == "custom_field":
                return {"gid": r.gid, "resource_type": "custom_field", "name": rec["name"],
                        "resource_subtype": rec["resource_subtype"], "type": rec["resource_subtype"]}
            return self.render(r.kind, rec, None)
        return self._render_fields(r.kind, rec, sub, sub)

    def lookup(self, kind: str, gid: str):
        if kind == "custom_field_setting":
            try:
                return self.cfs_record(gid)
            except Exception:
                return None
        return getattr(self.s, _PLURAL[kind]).get(gid)

