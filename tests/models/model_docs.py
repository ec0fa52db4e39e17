"""The model reference in docs/MODELS.md and README.md ("Marts reference"), generated from the SQL headers.

Each documented model's section (heading, description, grain, references, not-null and expect_zero tests,
reads, columns) is rewritten from its header and the columns of the model as built on DuckDB; anything
after it (the hand-written example query) is kept. ``test_model_docs.py`` fails when a document is stale;
regenerate with::

    .venv/bin/python tests/models/model_docs.py
"""
from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
DOCS = {ROOT / "docs" / "MODELS.md": "###", ROOT / "README.md": "####"}
_HEADING = re.compile(r"^(#{2,4}) `([a-z_]+)`\s*$")


def column_types(pipeline, schema: str = "asana_analytics") -> dict[str, list[tuple[str, str]]]:
    """``{model: [(column, type), ...]}`` of the built models, as DuckDB names the types."""
    from raw_fixture import query

    rows = query(pipeline, "select table_name, column_name, lower(data_type) from information_schema.columns "
                           f"where table_schema = '{schema}' order by table_name, ordinal_position")
    out: dict[str, list[tuple[str, str]]] = {}
    for table, column, typ in rows:
        out.setdefault(table, []).append((column, typ))
    return out


def section(project, name: str, columns: list[tuple[str, str]], level: str) -> list[str]:
    m = project[name]
    lines = [f"{level} `{name}`", "", m.description, "",
             f"- **Grain**: one row per `{', '.join(m.grain)}` (tested unique and not null)"]
    if m.references:
        lines.append("- **References** (tested; null allowed): " + "; ".join(f"`{r}`" for r in m.references))
    not_null = [c for c in m.not_null if c not in m.grain]
    if not_null:
        lines.append("- **Not null** (tested): " + ", ".join(f"`{c}`" for c in not_null))
    if m.expect_zero:
        lines.append("- **Checks** (tested: the check's query returns no row): "
                     + ", ".join(f"`{check}`" for check, _ in m.expect_zero))
    reads = list(m.depends_on) + [f"asana_raw.{s}" for s in m.sources]
    lines.append("- **Reads**: " + ", ".join(f"`{r}`" for r in reads))
    lines.append("- **Columns**: " + ", ".join(f"`{c}` {t}" for c, t in columns))
    return lines + [""]


def render(text: str, project, types: dict[str, list[tuple[str, str]]], level: str) -> str:
    """``text`` with every model section at heading ``level`` regenerated."""
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        m = _HEADING.match(lines[i])
        if not (m and m.group(1) == level and m.group(2) in project):
            out.append(lines[i])
            i += 1
            continue
        name = m.group(2)
        j = i + 1  # the generated part ends at the example query or the next heading
        while j < len(lines) and not lines[j].startswith("```sql") and not lines[j].startswith("#"):
            j += 1
        out.extend(section(project, name, types.get(name, []), level))
        i = j
    return "\n".join(out)


def documented(text: str, level: str) -> list[str]:
    return [m.group(2) for m in map(_HEADING.match, text.split("\n")) if m and m.group(1) == level]


def build_fixture_duckdb(tmp: Path):
    from pipelines.models import ModelProject
    from raw_fixture import duckdb_pipeline, load_raw

    p = duckdb_pipeline(tmp / "docs.duckdb", tmp / "pipelines", name="asana_models_docs")
    load_raw(p)
    ModelProject.load().build(p)
    return p


def main() -> None:
    sys.path[:0] = [str(HERE), str(ROOT)]
    from pipelines.models import ModelProject

    project = ModelProject.load()
    with tempfile.TemporaryDirectory() as tmp:
        types = column_types(build_fixture_duckdb(Path(tmp)))
    for path, level in DOCS.items():
        text = path.read_text(encoding="utf-8")
        new = render(text, project, types, level)
        if new != text:
            path.write_text(new, encoding="utf-8")
            print(f"updated {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
