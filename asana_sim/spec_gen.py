"""Generate `asana_sim/spec_params.py`, the request-parameter table of every GET operation in Asana's spec.

    python -m asana_sim.spec_gen /path/to/asana_oas.yaml            # rewrites asana_sim/spec_params.py
    python -m asana_sim.spec_gen /path/to/asana_oas.yaml --check    # exit 1 if the committed copy is stale

The simulator validates requests against the generated module only (`asana_sim/validate.py`), so it runs
from an installed package without the YAML (and without PyYAML, which only this script needs). The table
is JSON text inside a Python module, so it ships with the package like any other module.

What is kept per operation (`"GET /tasks"`, path template exactly as in the spec): the operationId, each
query parameter's schema reduced to what a validator needs (type, format, enum, minimum/maximum, required,
allowEmptyValue, array item type/enum) and the `opt_fields` enum. Enums are shared in a list (`enums`) and
referenced by index, which keeps the file small: most task operations share one 111-entry `opt_fields` list.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

OUT = Path(__file__).with_name("spec_params.py")
_KEEP = ("type", "format", "minimum", "maximum")


def build(spec: dict) -> dict:
    params = spec.get("components", {}).get("parameters", {})
    enums: list[list[str]] = []
    enum_ix: dict[tuple, int] = {}

    def enum_ref(values) -> int:
        key = tuple(str(v) for v in values)
        if key not in enum_ix:
            enum_ix[key] = len(enums)
            enums.append(list(key))
        return enum_ix[key]

    def resolve(p: dict) -> dict:
        while "$ref" in p:
            p = params[p["$ref"].split("/")[-1]]
        return p

    ops: dict[str, dict] = {}
    for path, item in spec["paths"].items():
        op = item.get("get")
        if op is None:
            continue
        query: dict[str, dict] = {}
        path_params: list[str] = []
        opt_fields = None
        # path-level parameters first, operation-level ones override them (OpenAPI 3.0 rule)
        for raw in list(item.get("parameters", [])) + list(op.get("parameters", [])):
            p = resolve(raw)
            name, where = p["name"], p["in"]
            if where == "path":
                if name not in path_params:
                    path_params.append(name)
                continue
            if where != "query":
                continue
            schema = p.get("schema", {})
            if name == "opt_fields":
                items = schema.get("items", {})
                opt_fields = enum_ref(sorted(items.get("enum", [])))
                continue
            d: dict = {k: schema[k] for k in _KEEP if k in schema}
            if "enum" in schema:
                d["enum"] = enum_ref(schema["enum"])
            if schema.get("type") == "array":
                items = schema.get("items", {})
                d["items"] = {k: items[k] for k in _KEEP if k in items}
                if "enum" in items:
                    d["items"]["enum"] = enum_ref(items["enum"])
            if p.get("required"):
                d["required"] = True
            if p.get("allowEmptyValue"):
                d["allowEmptyValue"] = True
            query[name] = d
        entry: dict = {"operationId": op.get("operationId"), "path_params": path_params, "query": query}
        if opt_fields is not None:
            entry["opt_fields"] = opt_fields
        ops[f"GET {path}"] = entry
    return {"generated_by": "python -m asana_sim.spec_gen asana_oas.yaml",
            "spec_version": str(spec.get("info", {}).get("version", "")),
            "enums": enums, "operations": dict(sorted(ops.items()))}


def dumps(table: dict) -> str:
    """Stable text: one enum and one operation per line, so a spec change shows as a readable diff."""
    out = ["{"]
    out.append(f' "generated_by": {json.dumps(table["generated_by"])},')
    out.append(f' "spec_version": {json.dumps(table["spec_version"])},')
    out.append(' "enums": [')
    enums = table["enums"]
    for i, e in enumerate(enums):
        out.append("  " + json.dumps(e, ensure_ascii=False) + ("," if i < len(enums) - 1 else ""))
    out.append(" ],")
    out.append(' "operations": {')
    items = list(table["operations"].items())
    for i, (k, v) in enumerate(items):
        out.append(f"  {json.dumps(k)}: {json.dumps(v, sort_keys=True, ensure_ascii=False)}"
                   + ("," if i < len(items) - 1 else ""))
    out.append(" }")
    out.append("}")
    body = "\n".join(out)
    if "'''" in body:
        raise ValueError("the spec table contains a triple quote")
    return ('"""Request-parameter table of every GET operation in asana_oas.yaml. GENERATED: do not edit.\n\n'
            'Regenerate with `python -m asana_sim.spec_gen /path/to/asana_oas.yaml`; read by asana_sim/validate.py.\n'
            '"""\nimport json\n\nTABLE = json.loads(r\'\'\'\n' + body + "\n\'\'\')\n")


def generate(yaml_path: str | Path) -> str:
    import yaml  # only the generator needs PyYAML

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with open(yaml_path, "rb") as f:
        spec = yaml.load(f, Loader=loader)
    return dumps(build(spec))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m asana_sim.spec_gen", description=__doc__.splitlines()[0])
    ap.add_argument("spec", help="path to asana_oas.yaml")
    ap.add_argument("--out", default=str(OUT), help=f"output file (default {OUT})")
    ap.add_argument("--check", action="store_true", help="do not write; exit 1 when the output file is stale")
    args = ap.parse_args(argv)
    text = generate(args.spec)
    out = Path(args.out)
    if args.check:
        current = out.read_text(encoding="utf-8") if out.exists() else ""
        if current != text:
            print(f"{out} is stale: regenerate with python -m asana_sim.spec_gen {args.spec}", file=sys.stderr)
            return 1
        print(f"{out} is up to date")
        return 0
    out.write_text(text, encoding="utf-8")
    ns: dict = {}
    exec(compile(text, str(out), "exec"), ns)
    table = ns["TABLE"]
    print(f"wrote {out}: {len(table['operations'])} GET operations, {len(table['enums'])} enums, {len(text):,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
