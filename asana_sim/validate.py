"""Request validation for GET routes: the generated spec table (`spec_params.py`) plus the prose rules (`rules.py`).

`Validator.check(route, query)` returns None for a valid request or a `Violation` (the parameter, the kind
of check and Asana's `<param>: <reason>` message). The simulator answers a violation with a 400 unless
`SimConfig.strict` is False or the violation is listed in `rules.KNOWN_SOURCE_VIOLATIONS`.

What is checked, in this order (the first violation wins, as Asana reports one error):

1. every declared query parameter that is present: its type (`integer`, `number`, `boolean`, `string`,
   comma-separated `array`), format (`date` = YYYY-MM-DD, `date-time` = RFC 3339 with seconds and a zone),
   enum, and `minimum`/`maximum` (so `limit` is 1..100); an empty value is only valid where the spec says
   `allowEmptyValue` (opt_pretty);
2. required parameters (`<param>: Missing input`);
3. `opt_fields`: every field, after expanding `this.(a|b).c`, must be in the operation's enum. `gid` and
   `resource_type` are always allowed, alone or after an allowed path (`custom_fields.enum_value.gid`),
   because every object has them (BEHAVIOR.md: "`gid` is always returned");
4. the prose rules of `rules.RULES`.

Parameters an operation does not declare are ignored (reported by `Validator.undeclared`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from .rules import KNOWN_SOURCE_VIOLATIONS, RULES, KnownViolation, Rule
from .spec_params import TABLE

_INT = re.compile(r"^[+-]?\d+$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
_GROUP = re.compile(r"^(?:this\.)?\(([^)]*)\)(.*)$")
_ALWAYS = ("gid", "resource_type")
_TEMPLATE = re.compile(r"\{[^}]+\}")


@dataclass(frozen=True)
class Violation:
    param: str
    kind: str        # missing, type, format, enum, range, empty, opt_fields, or "rule:<id>"
    message: str
    value: str = ""  # the offending value (for opt_fields: the offending field)


def normalize(route: str) -> str:
    """`GET /projects/{project_gid}/tasks` and `GET /projects/{gid}/tasks` -> `GET /projects/{}/tasks`."""
    return _TEMPLATE.sub("{}", route)


def expand_opt_fields(value: str) -> list[str]:
    """`"name,this.(followers|assignee).name"` -> `["name", "followers.name", "assignee.name"]`."""
    out = []
    for raw in value.split(","):
        raw = raw.strip()
        if not raw:
            continue
        m = _GROUP.match(raw)
        paths = [a + m.group(2) for a in m.group(1).split("|") if a] if m else [raw]
        out += [p[5:] if p.startswith("this.") else p for p in paths]
    return out


def _type_error(name: str, schema: dict, value: str, enums: list) -> Violation | None:
    if value in schema.get("also", ()):
        return None
    t = schema.get("type", "string")
    if t == "integer":
        if not _INT.match(value):
            return Violation(name, "type", f"{name}: Not a valid integer: {value}", value)
        n = int(value)
        lo, hi = schema.get("minimum"), schema.get("maximum")
        if (lo is not None and n < lo) or (hi is not None and n > hi):
            bounds = (f"between {lo} and {hi} inclusive" if lo is not None and hi is not None
                      else f"at least {lo}" if lo is not None else f"at most {hi}")
            return Violation(name, "range", f"{name}: Must be {bounds}, got {n}", value)
        return None
    if t == "number":
        try:
            float(value)
        except ValueError:
            return Violation(name, "type", f"{name}: Not a valid number: {value}", value)
        return None
    if t == "boolean":
        if value not in ("true", "false"):
            return Violation(name, "type", f"{name}: Not a boolean (true or false): {value}", value)
        return None
    if t == "array":
        items = schema.get("items", {})
        for part in value.split(","):
            if not part:
                return Violation(name, "type", f"{name}: Empty item in a comma-separated list: {value}", value)
            err = _type_error(name, items, part, enums)
            if err:
                return err
        return None
    fmt = schema.get("format")
    if fmt == "date":
        ok = bool(_DATE.match(value))
        if ok:
            try:
                date.fromisoformat(value)
            except ValueError:
                ok = False
        if not ok:
            return Violation(name, "format", f"{name}: Not a valid date (YYYY-MM-DD): {value}", value)
    elif fmt == "date-time":
        ok = bool(_DATETIME.match(value))
        if ok:
            try:
                datetime.fromisoformat(value.replace("z", "Z").replace("t", "T"))
            except ValueError:
                ok = False
        if not ok:
            extra = " or now" if "now" in schema.get("also", ()) else ""
            return Violation(name, "format", f"{name}: Not a valid ISO 8601 date-time with a time zone, like "
                                             f"2012-02-22T02:06:58.158Z{extra}: {value}", value)
    if "enum" in schema:
        allowed = enums[schema["enum"]]
        if value not in allowed:
            return Violation(name, "enum", f"{name}: Not one of {', '.join(allowed)}: {value}", value)
    return None


class Operation:
    """One GET operation: its parameter schemas (spec + `param` rules), opt_fields enum and prose rules."""

    def __init__(self, key: str, spec_op: dict, enums: list, rules: list[Rule]):
        self.key, self.enums = key, enums
        self.operation_id = spec_op.get("operationId")
        self.params: dict[str, dict] = dict(spec_op.get("query", {}))
        ix = spec_op.get("opt_fields")
        self.opt_fields: frozenset[str] | None = frozenset(enums[ix]) if ix is not None else None
        self.patterns: list[tuple[re.Pattern, Rule]] = []
        self.checks: list[Rule] = []
        for r in rules:
            if r.kind == "param":
                for p in r.params:
                    self.params[p] = {**self.params.get(p, {}), **r.schema}
            elif r.kind == "pattern":
                self.patterns.append((re.compile(f"^{r.pattern}$"), r))
            else:
                self.checks.append(r)

    def declared(self, name: str) -> bool:
        return name in self.params or name == "opt_fields" or any(rx.match(name) for rx, _ in self.patterns)

    def field_allowed(self, path: str) -> bool:
        allowed = self.opt_fields or frozenset()
        if path in allowed:
            return True
        head, _, last = path.rpartition(".")
        return last in _ALWAYS and (not head or head in allowed)

    def check(self, q: dict) -> list[Violation]:
        out: list[Violation] = []
        present = {k for k, v in q.items() if v is not None}
        for name in sorted(present):
            value = q[name]
            schema = self.params.get(name)
            if schema is None:
                schema = next((r.schema for rx, r in self.patterns if rx.match(name)), None)
            if schema is None:
                continue
            if value == "":
                if not schema.get("allowEmptyValue"):
                    out.append(Violation(name, "empty", f"{name}: Missing input", value))
                continue
            err = _type_error(name, schema, value, self.enums)
            if err:
                out.append(err)
        for name, schema in self.params.items():
            if schema.get("required") and name not in present:
                out.append(Violation(name, "missing", f"{name}: Missing input"))
        if "opt_fields" in present:
            for f in expand_opt_fields(q["opt_fields"]):
                if not self.field_allowed(f):
                    out.append(Violation("opt_fields", "opt_fields",
                                         f"opt_fields: Not a field of this endpoint's response: {f}", f))
        given = {k for k in present if q[k] != ""}
        for r in self.checks:
            v = _rule_violation(r, given, q)
            if v:
                out.append(v)
        return out


def _complete(group: tuple[str, ...], given: set[str]) -> bool:
    return all(p in given for p in group)


def _rule_violation(r: Rule, given: set[str], q: dict) -> Violation | None:
    kind = f"rule:{r.id}"
    if r.kind == "exactly_one":
        touched = [g for g in r.groups if any(p in given for p in g)]
        if len(touched) != 1 or not _complete(touched[0], given):
            param = next((p for g in touched for p in g if p not in given), None) or \
                (touched[1][0] if len(touched) > 1 else r.groups[0][0])
            return Violation(param, kind, r.message)
    elif r.kind == "at_least_one":
        if not any(_complete(g, given) for g in r.groups):
            return Violation(r.message.split(":", 1)[0], kind, r.message)
    elif r.kind == "requires":
        if r.params[0] in given and not any(_complete(g, given) for g in r.groups):
            return Violation(r.message.split(":", 1)[0], kind, r.message)
    elif r.kind == "at_most_one":
        rx = re.compile(f"^{r.pattern}$")
        hits = sorted(k for k in given if rx.match(k))
        if len(hits) > 1:
            return Violation(hits[1], kind, r.message.format(param=hits[1]))
    elif r.kind == "requires_value":
        rx = re.compile(f"^{r.pattern}$")
        hits = sorted(k for k in given if rx.match(k))
        if hits and q.get(r.params[0]) != r.value:
            return Violation(r.params[0], kind, r.message.format(param=hits[0]))
    else:  # pragma: no cover - a typo in RULES
        raise ValueError(f"unknown rule kind {r.kind!r} in rule {r.id}")
    return None


class Validator:
    """All GET operations of the spec table, with their prose rules; looked up by route template."""

    def __init__(self, table: dict = TABLE, rules: tuple[Rule, ...] = RULES,
                 known: tuple[KnownViolation, ...] = KNOWN_SOURCE_VIOLATIONS):
        by_route: dict[str, list[Rule]] = {}
        for r in rules:
            if r.route not in table["operations"]:
                raise ValueError(f"rule {r.id}: {r.route} is not a GET operation of the spec")
            by_route.setdefault(r.route, []).append(r)
        self.ops = {normalize(k): Operation(k, v, table["enums"], by_route.get(k, []))
                    for k, v in table["operations"].items()}
        self.known = known

    def operation(self, route: str) -> Operation | None:
        """`route` like `GET /projects/{gid}/tasks` (any placeholder names) or `GET /users/me`."""
        key = normalize(route)
        if key == "GET /users/me":
            key = "GET /users/{}"
        return self.ops.get(key)

    def check(self, route: str, q: dict) -> list[Violation]:
        op = self.operation(route)
        return op.check(q) if op else []

    def undeclared(self, route: str, q: dict) -> list[str]:
        op = self.operation(route)
        return [k for k in q if op is not None and not op.declared(k)]

    def tolerated(self, route: str, v: Violation) -> KnownViolation | None:
        op = self.operation(route)
        key = op.key if op else route
        return next((k for k in self.known if k.route == key and k.param == v.param
                     and (not k.value or k.value == v.value)), None)
