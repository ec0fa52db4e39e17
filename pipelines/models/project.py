"""SQL model runner for asana-sync.

Models are plain ``.sql`` files under ``sql/`` in three layers:

* ``staging/``      -> views   (rename and cast the raw tables in ``asana_raw`` only)
* ``intermediate/`` -> tables
* ``marts/``        -> tables

Every file holds one ``select`` written in DuckDB's dialect with plain (unqualified) table names and no
templating. The runner parses each file with sqlglot, finds its dependencies by scope traversal (CTE
names are not dependencies), orders the models with :class:`graphlib.TopologicalSorter`, qualifies
every table name with its schema by rewriting the AST (a name resolves to a model if one has that name,
else to a raw table in ``asana_raw``), transpiles to the destination's dialect (``duckdb`` or
``postgres``) and creates the relation in the schema ``asana_analytics``.

A header of ``--`` comments at the top of each file declares its data tests::

    -- Free text description of the model.
    -- grain: task_gid                       (required; unique + not null)
    -- references: project_gid -> asana__project.project_gid   (null allowed; repeatable)
    -- not_null: task_name, workspace_gid     (optional extra not-null checks)
    -- expect_zero: name: select ...         (optional, repeatable: a query returning the failing rows;
    --     continued on lines indented 3+ spaces after the --)
    -- materialized: view | table            (optional; default by layer)

Public API (used by the CLI)::

    project = ModelProject.load()                 # sql_dir=None -> <repo>/sql
    project.order()                               # topologically sorted model names
    project.dag()                                 # [(upstream, downstream), ...]
    project.build(pipeline, progress=cb)          # -> list[ModelResult]
    project.test(pipeline)                        # -> list[DataTestResult]
"""
from __future__ import annotations

import graphlib
import re
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Optional

import dlt
import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel, SqlglotError
from sqlglot.optimizer.scope import traverse_scope

from sources.asana.settings import COLUMNS as SOURCE_COLUMNS

from .dialects import SUPPORTED_DIALECTS, TRANSPILE_DIALECTS, cloud_functions, explicit_null_order

__all__ = [
    "DEFAULT_SQL_DIR",
    "LAYERS",
    "MODEL_SCHEMA",
    "RAW_SCHEMA",
    "RAW_TABLES",
    "Model",
    "ModelBuildError",
    "ModelError",
    "ModelProject",
    "ModelResult",
    "Reference",
    "DataTestResult",
    "CUSTOM_FIELD_MODEL",
    "CustomFieldColumn",
    "build",
    "configured_task_custom_fields",
    "custom_field_columns",
    "detect_dialect",
    "run_tests",
]


def _default_sql_dir() -> Path:
    """The repository's sql/ when running from a checkout (or an editable install); the copy shipped
    in the wheel as the package ``asana_sync_sql`` otherwise."""
    checkout = Path(__file__).resolve().parents[2] / "sql"
    if checkout.is_dir():
        return checkout
    try:
        # Only in an installed wheel: the package exists there and nowhere else.
        import asana_sync_sql  # type: ignore[import-not-found]

        return Path(asana_sync_sql.__path__[0])
    except (ImportError, AttributeError, IndexError):
        return checkout


DEFAULT_SQL_DIR = _default_sql_dir()
LAYERS: tuple[str, ...] = ("staging", "intermediate", "marts")
LAYER_KIND = {"staging": "view", "intermediate": "table", "marts": "table"}
MODEL_SCHEMA = "asana_analytics"
RAW_SCHEMA = "asana_raw"

_T, _B, _TS, _D, _I, _F = "text", "boolean", "timestamptz", "date", "bigint", "double"

#: Raw tables with their column types, from the source's own column declarations (one contract,
#: docs/CONTRACTS.md). Used to validate references at load time and to stand in (as an empty
#: relation) for a raw table the destination does not have yet (dlt creates a table only once it
#: saw a row).
_SQL_TYPE_OF_DLT = {"text": _T, "bool": _B, "timestamp": _TS, "date": _D, "bigint": _I, "double": _F}
RAW_TABLES: dict[str, dict[str, str]] = {
    table: {column: _SQL_TYPE_OF_DLT[hint["data_type"]] for column, hint in columns.items()}
    for table, columns in SOURCE_COLUMNS.items()
}

_HEADER_KEYS = {"grain", "references", "not_null", "materialized", "description", "expect_zero"}
_HEADER_RE = re.compile(r"^--\s*([a-z_]+)\s*:\s*(.*?)\s*$")
_CONTINUATION_RE = re.compile(r"^--\s{3,}(\S.*?)\s*$")
_EXPECT_ZERO_RE = re.compile(r"^([A-Za-z_][\w]*)\s*:\s*(.+)$", re.S)
_REF_RE = re.compile(r"^([A-Za-z_][\w]*)\s*->\s*([A-Za-z_][\w]*)\.([A-Za-z_][\w]*)$")
_IDENT_RE = re.compile(r"^[A-Za-z_][\w]*$")


# --------------------------------------------------------------------------------------------------
# errors and results
# --------------------------------------------------------------------------------------------------
class ModelError(Exception):
    """A model cannot be loaded, compiled, built or tested. ``path``/``model`` name the culprit."""

    def __init__(self, message: str, *, path: Optional[Path] = None, model: Optional[str] = None):
        self.path = Path(path) if path else None
        self.model = model
        where = f"{self.path}: " if self.path else (f"model {model}: " if model else "")
        super().__init__(f"{where}{message}")


class ModelBuildError(ModelError):
    """Building stopped because a model failed; earlier models stay in place.

    ``results`` holds one :class:`ModelResult` per model attempted (status ``ok``/``error``/``skipped``).
    """

    def __init__(self, message: str, *, path: Optional[Path], model: str, results: list["ModelResult"]):
        super().__init__(message, path=path, model=model)
        self.results = results


@dataclass(frozen=True)
class Reference:
    """``column -> model.target_column`` (nulls in ``column`` are allowed)."""

    column: str
    model: str
    target_column: str

    def __str__(self) -> str:
        return f"{self.column} -> {self.model}.{self.target_column}"


@dataclass
class ModelResult:
    name: str
    kind: str  # "view" | "table"
    rows: Optional[int]
    seconds: float
    status: str = "ok"  # "ok" | "error" | "skipped"
    error: Optional[str] = None


@dataclass
class DataTestResult:
    model: str
    test: str  # e.g. "unique(task_gid)", "not_null(task_gid)", "references(project_gid -> asana__project.project_gid)"
    failures: Optional[int]  # failing rows; None when the query itself failed (see ``error``)
    sql: str = ""
    error: Optional[str] = None


    @property
    def passed(self) -> bool:
        return self.error is None and self.failures == 0


@dataclass
class Model:
    name: str
    layer: str
    path: Path
    sql: str
    ast: exp.Expression
    kind: str
    grain: tuple[str, ...]
    references: tuple[Reference, ...] = ()
    not_null: tuple[str, ...] = ()
    expect_zero: tuple[tuple[str, str], ...] = ()  # (name, query returning failing rows)
    description: str = ""
    depends_on: tuple[str, ...] = ()  # other models
    sources: tuple[str, ...] = ()  # raw tables in asana_raw


# --------------------------------------------------------------------------------------------------
# parsing
# --------------------------------------------------------------------------------------------------
def _split_list(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def _parse_header(path: Path, sql: str) -> dict[str, Any]:
    header: dict[str, Any] = {"grain": (), "references": [], "not_null": [], "materialized": None,
                              "description": [], "expect_zero": []}
    last_key = None
    for line in sql.splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        if not stripped.startswith("--"):
            break
        cont = _CONTINUATION_RE.match(stripped)
        if cont and last_key == "expect_zero":  # a multi-line expect_zero query
            name, query = header["expect_zero"].pop()
            header["expect_zero"].append((name, f"{query} {cont.group(1)}"))
            continue
        m = _HEADER_RE.match(stripped)
        if not m or m.group(1) not in _HEADER_KEYS:
            last_key = None
            text = stripped[2:].strip()
            if text:
                header["description"].append(text)
            continue
        key, value = m.group(1), m.group(2)
        last_key = key
        if key == "grain":
            cols = _split_list(value)
            if not cols or not all(_IDENT_RE.match(c) for c in cols):
                raise ModelError(f"bad grain header {value!r}", path=path)
            header["grain"] = tuple(cols)
        elif key == "references":
            for item in _split_list(value):
                rm = _REF_RE.match(item)
                if not rm:
                    raise ModelError(f"bad references header {item!r} (want 'col -> model.col')", path=path)
                header["references"].append(Reference(rm.group(1), rm.group(2), rm.group(3)))
        elif key == "not_null":
            cols = _split_list(value)
            if not all(_IDENT_RE.match(c) for c in cols):
                raise ModelError(f"bad not_null header {value!r}", path=path)
            header["not_null"].extend(cols)
        elif key == "materialized":
            if value not in ("view", "table"):
                raise ModelError(f"materialized must be 'view' or 'table', not {value!r}", path=path)
            header["materialized"] = value
        elif key == "description":
            header["description"].append(value)
        elif key == "expect_zero":
            em = _EXPECT_ZERO_RE.match(value)
            if not em:
                raise ModelError(f"bad expect_zero header {value!r} (want 'name: select ...')", path=path)
            header["expect_zero"].append((em.group(1), em.group(2)))
    for check, query in header["expect_zero"]:
        try:
            if not isinstance(sqlglot.parse_one(query, read="duckdb"), exp.Query):
                raise ModelError(f"expect_zero {check}: not a select", path=path)
        except SqlglotError as e:
            raise ModelError(f"expect_zero {check}: cannot parse: {e}", path=path) from e
    return header


def _real_tables(ast: exp.Expression) -> Iterator[exp.Table]:
    """Every exp.Table that reads a relation (not a CTE, not a table function), each node once."""
    seen: set[int] = set()
    for scope in traverse_scope(ast):
        for source in scope.sources.values():
            if isinstance(source, exp.Table) and isinstance(source.this, exp.Identifier):
                if id(source) not in seen:
                    seen.add(id(source))
                    yield source


def _parse_model(path: Path, layer: str) -> tuple[Model, list[exp.Table]]:
    name = path.stem
    if not _IDENT_RE.match(name):
        raise ModelError(f"model file name {name!r} is not a plain identifier", path=path)
    sql = path.read_text(encoding="utf-8")
    header = _parse_header(path, sql)
    try:
        statements = [s for s in sqlglot.parse(sql, read="duckdb") if s is not None]
    except SqlglotError as e:
        raise ModelError(f"cannot parse: {e}", path=path) from e
    if len(statements) != 1 or not isinstance(statements[0], exp.Query):
        raise ModelError(f"must hold exactly one select statement, found {len(statements)} statement(s)",
                         path=path)
    ast = statements[0]
    if not header["grain"]:
        raise ModelError("missing '-- grain: col[, col]' header", path=path)
    try:
        tables = list(_real_tables(ast))
    except SqlglotError as e:
        raise ModelError(f"cannot analyse scopes: {e}", path=path) from e
    for t in tables:
        if t.args.get("catalog") is not None or t.args.get("db") is not None:
            raise ModelError(f"use plain table names, not {t.sql(dialect='duckdb')!r}", path=path)
    model = Model(
        name=name,
        layer=layer,
        path=path,
        sql=sql,
        ast=ast,
        kind=header["materialized"] or LAYER_KIND[layer],
        grain=header["grain"],
        references=tuple(header["references"]),
        not_null=tuple(header["not_null"]),
        expect_zero=tuple(header["expect_zero"]),
        description=" ".join(header["description"]),
    )
    return model, tables


def detect_dialect(target: Any) -> str:
    """'duckdb' or 'postgres' from a dlt pipeline, destination or sql client."""
    name = None
    destination = getattr(target, "destination", None)
    if destination is not None:
        name = getattr(destination, "destination_name", None)
    if name is None:
        caps = getattr(target, "capabilities", None)
        name = getattr(caps, "sqlglot_dialect", None) if caps is not None else None
    if name is None:
        cls = type(target).__name__.lower()
        name = "duckdb" if "duck" in cls else "postgres" if "postgres" in cls or "psycopg" in cls else None
    if name in ("duckdb", "motherduck"):
        return "duckdb"
    if name in ("postgres", "postgresql"):
        return "postgres"
    raise ModelError(f"unsupported destination {name!r}; models run on duckdb or postgres")


# --------------------------------------------------------------------------------------------------
# custom fields as columns of asana__task
# --------------------------------------------------------------------------------------------------
#: The model that gets one typed column per configured custom field.
CUSTOM_FIELD_MODEL = "asana__task"
#: Where each kind of custom field keeps its value (int_asana__task_custom_field_values) and the column's type.
_CUSTOM_FIELD_VALUES = {"number": ("number_value", "double"), "date": ("date_value", "date"),
                        "text": ("text_value", "text"), "enum": ("enum_value_name", "text"),
                        "multi_enum": ("multi_enum_value_names", "text"), "people": ("people_value_gids", "text")}


@dataclass(frozen=True)
class CustomFieldColumn:
    """A column ``cf_<name>`` of asana__task holding the value of the custom field(s) ``gids`` (one field, or
    the fields of one name in several workspaces: a task belongs to one)."""

    column: str
    gids: tuple[str, ...]
    value: str  # the column of int_asana__task_custom_field_values it reads
    type: str


def configured_task_custom_fields() -> tuple[str, ...]:
    """Custom fields wanted as columns of asana__task, by name or gid: the dlt configuration key
    ``models.task_custom_fields`` (``[models] task_custom_fields = ["Priority", "1204..."]`` in
    .dlt/config.toml, or ``MODELS__TASK_CUSTOM_FIELDS='["Priority"]'``); () when not set."""
    return tuple(str(v) for v in dlt.config.get("models.task_custom_fields", list) or ())


def _column_name(name: str, gid: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "_", ascii_name).strip("_")
    return f"cf_{slug or gid}"


def custom_field_columns(wanted: Iterable[str], fields: list[tuple[str, str, str]]) -> list[CustomFieldColumn]:
    """Resolve the wanted names or gids against the loaded custom fields ``[(gid, name, type)]``.

    A gid names one field; a name (case and surrounding spaces ignored) every field called so, which must be
    of one type. Raises :class:`ModelError` for an unknown entry, a name whose fields differ in type, or two
    entries giving one column name."""
    by_gid = {gid: (gid, name, kind) for gid, name, kind in fields}
    columns: dict[str, CustomFieldColumn] = {}
    for entry in wanted:
        matches = [by_gid[entry]] if entry in by_gid else \
            [f for f in fields if (f[1] or "").strip().lower() == entry.strip().lower()]
        if not matches:
            known = ", ".join(sorted({repr(name) for _, name, _ in fields})) or "none loaded"
            raise ModelError(f"task_custom_fields: no custom field named or numbered {entry!r} (known: {known})",
                             model=CUSTOM_FIELD_MODEL)
        kinds = {kind for _, _, kind in matches}
        if len(kinds) != 1 or next(iter(kinds)) not in _CUSTOM_FIELD_VALUES:
            raise ModelError(f"task_custom_fields: {entry!r} is of types {sorted(map(str, kinds))}; "
                             "name one field by its gid", model=CUSTOM_FIELD_MODEL)
        gid, name, kind = matches[0]
        column = _column_name(name, gid)
        if column in columns:
            raise ModelError(f"task_custom_fields: {entry!r} and another entry both make column {column}",
                             model=CUSTOM_FIELD_MODEL)
        value, sql_type = _CUSTOM_FIELD_VALUES[kind]
        columns[column] = CustomFieldColumn(column, tuple(sorted(g for g, _, _ in matches)), value, sql_type)
    return list(columns.values())


def _loaded_custom_fields(client: Any, raw_schema: str, catalog: Optional[str]) -> list[tuple[str, str, str]]:
    """``[(gid, name, type)]`` of the raw custom_fields table (none before the first one is loaded)."""
    if "custom_fields" not in _relations(client, raw_schema):
        return []
    rows = client.execute_sql(f"select gid, name, resource_subtype from {_rel(raw_schema, 'custom_fields', catalog)}")
    return [(str(gid), name, kind) for gid, name, kind in rows or []]


def _with_custom_field_columns(ast: exp.Expression, columns: Iterable[CustomFieldColumn]) -> exp.Expression:
    """``select base.*, <one typed column per custom field> from (<model>) as base left join ...``: the
    model's own select stays as written, each column reads int_asana__task_custom_field_values."""
    outer = exp.select("base.*").from_(exp.Subquery(this=ast, alias=exp.TableAlias(this=exp.to_identifier("base"))))
    for index, column in enumerate(columns):
        alias = f"custom_field_{index}"
        values = (exp.select("task_gid", exp.alias_(exp.Max(this=exp.column(column.value)), "field_value"))
                  .from_("int_asana__task_custom_field_values")
                  .where(exp.column("custom_field_gid").isin(*[exp.Literal.string(g) for g in column.gids]))
                  .group_by("task_gid"))
        outer = outer.join(values.subquery(alias), on=f"base.task_gid = {alias}.task_gid", join_type="left")
        value = exp.cast(exp.column("field_value", alias), column.type)
        outer = outer.select(exp.alias_(value, column.column), append=True)
    return outer


# --------------------------------------------------------------------------------------------------
# the project
# --------------------------------------------------------------------------------------------------
class ModelProject:
    def __init__(self, models: dict[str, Model], sql_dir: Path, raw_tables: dict[str, dict[str, str]],
                 task_custom_fields: Iterable[str] = ()):
        self.models = models
        self.sql_dir = sql_dir
        self.raw_tables = raw_tables
        self.task_custom_fields = tuple(task_custom_fields)
        self._order = self._toposort()

    # ---- loading ---------------------------------------------------------------------------------
    @classmethod
    def load(cls, sql_dir: Optional[str | Path] = None,
             raw_tables: Optional[dict[str, dict[str, str]]] = None,
             task_custom_fields: Optional[Iterable[str]] = None) -> "ModelProject":
        """Parse every model under ``sql_dir/{staging,intermediate,marts}/*.sql``.

        ``task_custom_fields`` (names or gids; default: the ``models.task_custom_fields`` configuration, see
        :func:`configured_task_custom_fields`) become typed columns of ``asana__task`` when it is built.

        Raises :class:`ModelError` (naming the file) on a parse error, a missing grain header, a
        duplicate model name, a reference to an unknown table, a bad ``references`` target or a cycle.
        """
        sql_dir = Path(sql_dir) if sql_dir is not None else DEFAULT_SQL_DIR
        raw_tables = RAW_TABLES if raw_tables is None else raw_tables
        if not sql_dir.is_dir():
            raise ModelError(f"model directory {sql_dir} does not exist")
        parsed: dict[str, tuple[Model, list[exp.Table]]] = {}
        for layer in LAYERS:
            for path in sorted((sql_dir / layer).glob("*.sql")):
                model, tables = _parse_model(path, layer)
                if model.name in parsed:
                    raise ModelError(f"duplicate model name {model.name!r} (also {parsed[model.name][0].path})",
                                     path=path)
                parsed[model.name] = (model, tables)
        for model, tables in parsed.values():
            deps: list[str] = []
            sources: list[str] = []
            for t in tables:
                name = t.name
                if name in parsed:
                    if name not in deps:
                        deps.append(name)
                elif name in raw_tables:
                    if name not in sources:
                        sources.append(name)
                else:
                    raise ModelError(f"unknown table {name!r}: no model and no raw table "
                                     f"{RAW_SCHEMA}.{name}", path=model.path)
            model.depends_on = tuple(deps)
            model.sources = tuple(sources)
            if model.layer == "staging" and deps:
                raise ModelError(f"staging models read raw tables only, but this one reads {deps}",
                                 path=model.path)
        for model, _ in parsed.values():
            for ref in model.references:
                if ref.model not in parsed:
                    raise ModelError(f"references unknown model {ref.model!r} in '{ref}'", path=model.path)
            for check, query in model.expect_zero:
                for t in _real_tables(sqlglot.parse_one(query, read="duckdb")):
                    if t.name not in parsed:
                        raise ModelError(f"expect_zero {check} reads {t.name!r}, which is no model", path=model.path)
        wanted = configured_task_custom_fields() if task_custom_fields is None else tuple(task_custom_fields)
        return cls({n: m for n, (m, _) in parsed.items()}, sql_dir, raw_tables, wanted)

    def _toposort(self) -> list[str]:
        ts: graphlib.TopologicalSorter = graphlib.TopologicalSorter()
        # deterministic order: by layer then name
        for name in sorted(self.models, key=lambda n: (LAYERS.index(self.models[n].layer), n)):
            ts.add(name, *self.models[name].depends_on)
        try:
            ts.prepare()
        except graphlib.CycleError as e:
            cycle = e.args[1]
            first = self.models[cycle[0]]
            raise ModelError(f"dependency cycle: {' -> '.join(cycle)}", path=first.path,
                             model=first.name) from None
        order: list[str] = []
        while ts.is_active():
            ready = sorted(ts.get_ready(), key=lambda n: (LAYERS.index(self.models[n].layer), n))
            order.extend(ready)
            ts.done(*ready)
        return order

    # ---- graph -----------------------------------------------------------------------------------
    def __contains__(self, name: str) -> bool:
        return name in self.models

    def __getitem__(self, name: str) -> Model:
        return self.models[name]

    def order(self, select: Optional[Iterable[str] | str] = None) -> list[str]:
        """Model names in build order, optionally restricted by :meth:`select`."""
        if select is None:
            return list(self._order)
        chosen = self.select(select)
        return [n for n in self._order if n in chosen]

    def dag(self, include_sources: bool = False) -> list[tuple[str, str]]:
        """Edges ``(upstream, downstream)`` in build order; raw tables appear as ``asana_raw.<name>``."""
        edges: list[tuple[str, str]] = []
        for name in self._order:
            m = self.models[name]
            if include_sources:
                edges.extend((f"{RAW_SCHEMA}.{s}", name) for s in m.sources)
            edges.extend((d, name) for d in m.depends_on)
        return edges

    def upstream(self, name: str) -> set[str]:
        out: set[str] = set()
        stack = list(self.models[name].depends_on)
        while stack:
            n = stack.pop()
            if n not in out:
                out.add(n)
                stack.extend(self.models[n].depends_on)
        return out

    def downstream(self, name: str) -> set[str]:
        children: dict[str, set[str]] = {n: set() for n in self.models}
        for n, m in self.models.items():
            for d in m.depends_on:
                children[d].add(n)
        out: set[str] = set()
        stack = list(children[name])
        while stack:
            n = stack.pop()
            if n not in out:
                out.add(n)
                stack.extend(children[n])
        return out

    def select(self, spec: Iterable[str] | str) -> set[str]:
        """dbt-like selection: ``name``, ``+name`` (with ancestors), ``name+`` (with descendants),
        ``layer:marts`` (a whole layer), ``prefix*`` (glob). Accepts a list or a comma/space separated string."""
        items = re.split(r"[,\s]+", spec) if isinstance(spec, str) else list(spec)
        chosen: set[str] = set()
        for raw in (i.strip() for i in items):
            if not raw:
                continue
            up, down = raw.startswith("+"), raw.endswith("+")
            token = raw.strip("+")
            if token.startswith("layer:"):
                layer = token.split(":", 1)[1]
                if layer not in LAYERS:
                    raise ModelError(f"unknown layer {layer!r} in selector {raw!r}")
                names = {n for n, m in self.models.items() if m.layer == layer}
            elif "*" in token:
                rx = re.compile("^" + re.escape(token).replace(r"\*", ".*") + "$")
                names = {n for n in self.models if rx.match(n)}
                if not names:
                    raise ModelError(f"selector {raw!r} matches no model")
            else:
                if token not in self.models:
                    raise ModelError(f"unknown model {token!r} in selector {raw!r}")
                names = {token}
            for n in list(names):
                chosen.add(n)
                if up:
                    chosen |= self.upstream(n)
                if down:
                    chosen |= self.downstream(n)
        return chosen

    # ---- compilation -----------------------------------------------------------------------------
    def compile(self, name: str, dialect: str = "duckdb", schema: str = MODEL_SCHEMA,
                raw_schema: str = RAW_SCHEMA, missing_raw: Iterable[str] = (), pretty: bool = True,
                catalog: Optional[str] = None, custom_fields: Iterable["CustomFieldColumn"] = ()) -> str:
        """The model's select, qualified and transpiled to ``dialect``.

        Raw tables named in ``missing_raw`` are replaced by an empty relation with the contract's columns.
        ``catalog`` (DuckDB: the database name) makes names three-part: a DuckDB file named ``asana.duckdb``
        has a catalog ``asana`` that makes the two-part name ``asana.x`` ambiguous.
        """
        if dialect not in TRANSPILE_DIALECTS:
            raise ModelError(f"unsupported dialect {dialect!r}", model=name)
        model = self.models[name]
        ast = model.ast.copy()
        try:
            if custom_fields:
                ast = _with_custom_field_columns(ast, custom_fields)
            explicit_null_order(ast, dialect)
            if dialect not in SUPPORTED_DIALECTS:
                cloud_functions(ast, dialect)
            for table in list(_real_tables(ast)):
                if table.name in set(missing_raw) and table.name not in self.models:
                    table.replace(self._empty_relation(table.name).subquery(table.alias or table.name))
            mapping = {t.name: _rel_name(schema if t.name in self.models else raw_schema, t.name, catalog)
                       for t in _real_tables(ast)}
            return exp.replace_tables(ast, mapping, dialect="duckdb").sql(
                dialect=dialect, pretty=pretty, unsupported_level=ErrorLevel.RAISE)
        except SqlglotError as e:
            raise ModelError(f"cannot transpile to {dialect}: {e}", path=model.path, model=name) from e

    def _empty_relation(self, raw_table: str) -> exp.Select:
        cols = ", ".join(f"cast(null as {typ}) as {col}" for col, typ in self.raw_tables[raw_table].items())
        return sqlglot.parse_one(f"select {cols} where 1 = 0", read="duckdb")  # type: ignore[return-value]

    def create_statements(self, name: str, dialect: str, schema: str = MODEL_SCHEMA,
                          raw_schema: str = RAW_SCHEMA, missing_raw: Iterable[str] = (),
                          catalog: Optional[str] = None,
                          custom_fields: Iterable["CustomFieldColumn"] = ()) -> list[str]:
        """DDL creating the model (``create view|table <schema>.<name> as ...``), without the drop."""
        model = self.models[name]
        body = self.compile(name, dialect, schema, raw_schema, missing_raw, catalog=catalog,
                            custom_fields=custom_fields)
        return [f"create {model.kind} {_rel(schema, name, catalog)} as\n{body}"]

    # ---- build -----------------------------------------------------------------------------------
    def build(self, target: Any, dialect: Optional[str] = None, select: Optional[Iterable[str] | str] = None,
              progress: Optional[Callable[[str, Model, Optional[ModelResult]], None]] = None,
              schema: str = MODEL_SCHEMA, raw_schema: Optional[str] = None,
              fail_fast: bool = True) -> list[ModelResult]:
        """Create every (selected) model in ``schema``, in dependency order.

        ``target`` is a dlt pipeline (preferred) or an open dlt sql client. ``dialect`` defaults to the
        destination's. ``progress(event, model, result)`` is called with event ``"start"`` before and
        ``"ok"``/``"error"``/``"skipped"`` after each model.

        Each model is replaced in its own transaction (drop + create), so a failing model leaves the
        previous version of itself and every earlier model in place. On failure a
        :class:`ModelBuildError` is raised naming the model and file; ``err.results`` lists what ran.
        With ``fail_fast=False`` the models not downstream of the failure are still built first.
        """
        names = self.order(select)
        with _open_client(target) as (client, detected, raw_default):
            dialect = dialect or detected
            catalog = _catalog(client, dialect)
            client.execute_sql(f"create schema if not exists {_rel(schema, None, catalog)}")
            run = _BuildRun(self, client, dialect, schema, raw_schema or raw_default, catalog, progress)
            if self.task_custom_fields and CUSTOM_FIELD_MODEL in names:
                run.custom_fields = custom_field_columns(self.task_custom_fields,
                                                         _loaded_custom_fields(client, run.raw_schema, catalog))
            for name in names:
                run.build(name)
                if fail_fast and run.first_error is not None:
                    break
            if run.first_error is not None:
                model, msg = run.first_error
                raise ModelBuildError(f"model {model.name} failed: {msg}", path=model.path, model=model.name,
                                      results=run.results)
            return run.results

    # ---- data tests --------------------------------------------------------------------------------
    def test_queries(self, name: str, dialect: str = "duckdb", schema: str = MODEL_SCHEMA,
                     catalog: Optional[str] = None) -> list[tuple[str, str]]:
        """``[(test_name, sql)]`` for one model; each sql returns one row: the number of failing rows."""
        m = self.models[name]
        rel = _rel(schema, name, catalog)
        grain = ", ".join(m.grain)
        queries = [
            (f"unique({grain})",
             f"select count(*) from (select {grain} from {rel} group by {grain} having count(*) > 1) as dup"),
            (f"not_null({grain})",
             f"select count(*) from {rel} where " + " or ".join(f"{c} is null" for c in m.grain)),
        ]
        for col in m.not_null:
            if col not in m.grain:
                queries.append((f"not_null({col})", f"select count(*) from {rel} where {col} is null"))
        for ref in m.references:
            queries.append((
                f"references({ref})",
                f"select count(*) from {rel} as child where child.{ref.column} is not null and not exists "
                f"(select 1 from {_rel(schema, ref.model, catalog)} as parent where parent.{ref.target_column} = child.{ref.column})",
            ))
        for check, query in m.expect_zero:  # the query's failing rows, its model names qualified
            ast = sqlglot.parse_one(query, read="duckdb")
            ast = exp.replace_tables(ast, {t.name: _rel_name(schema, t.name, catalog) for t in _real_tables(ast)},
                                     dialect="duckdb")
            queries.append((f"expect_zero({check})",
                            f"select count(*) from ({ast.sql(dialect='duckdb')}) as failures"))
        out = []
        for test_name, sql in queries:
            try:
                out.append((test_name, sqlglot.transpile(sql, read="duckdb", write=dialect)[0]))
            except SqlglotError as e:
                raise ModelError(f"cannot generate test {test_name}: {e}", path=m.path, model=name) from e
        return out

    def test(self, target: Any, dialect: Optional[str] = None, select: Optional[Iterable[str] | str] = None,
             progress: Optional[Callable[[DataTestResult], None]] = None,
             schema: str = MODEL_SCHEMA) -> list[DataTestResult]:
        """Run the grain (unique, not null), not_null, references and expect_zero tests of the selected models.

        A test whose query fails (e.g. the model was never built) gets ``failures=None`` and ``error``.
        """
        results: list[DataTestResult] = []
        with _open_client(target) as (client, detected, _):
            dialect = dialect or detected
            catalog = _catalog(client, dialect)
            for name in self.order(select):
                for test_name, sql in self.test_queries(name, dialect, schema, catalog):
                    try:
                        failures = int(client.execute_sql(sql)[0][0])
                        res = DataTestResult(name, test_name, failures, sql)
                    except Exception as e:  # noqa: BLE001
                        res = DataTestResult(name, test_name, None, sql, str(e).strip())
                    results.append(res)
                    if progress:
                        progress(res)
        return results


# --------------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------------
class _BuildRun:
    """One ``ModelProject.build``: what exists, what failed, and the results so far."""

    def __init__(self, project: "ModelProject", client: Any, dialect: str, schema: str, raw_schema: str,
                 catalog: Optional[str], progress: Optional[Callable[[str, Model, Optional[ModelResult]], None]]):
        self.project, self.client, self.dialect = project, client, dialect
        self.schema, self.raw_schema, self.catalog = schema, raw_schema, catalog
        self.progress = progress or (lambda event, model, result: None)
        self.existing = _relations(client, schema)
        self.raw_present = set(_relations(client, raw_schema))
        self.results: list[ModelResult] = []
        self.failed: set[str] = set()
        self.first_error: Optional[tuple[Model, str]] = None
        self.custom_fields: list[CustomFieldColumn] = []  # typed columns added to CUSTOM_FIELD_MODEL

    def build(self, name: str) -> None:
        """Replace one model in its own transaction (drop + create), or skip it below a failure."""
        model = self.project.models[name]
        upstream_failed = self.failed & self.project.upstream(name)
        if upstream_failed or name in self.failed:
            self._done("skipped", ModelResult(name, model.kind, None, 0.0, "skipped",
                                              "upstream model failed: " + ", ".join(sorted(upstream_failed))))
            return
        self.progress("start", model, None)
        started = time.perf_counter()
        relation = _rel(self.schema, name, self.catalog)
        try:
            missing = [s for s in model.sources if s not in self.raw_present]
            ddl = self.project.create_statements(
                name, self.dialect, self.schema, self.raw_schema, missing, self.catalog,
                custom_fields=self.custom_fields if name == CUSTOM_FIELD_MODEL else ())
            with self.client.begin_transaction():
                if self.existing.get(name):
                    self.client.execute_sql(f"drop {self.existing[name]} if exists {relation} cascade")
                for stmt in ddl:
                    self.client.execute_sql(stmt)
            self.existing[name] = model.kind
            rows = self.client.execute_sql(f"select count(*) from {relation}")[0][0]
            self._done("ok", ModelResult(name, model.kind, int(rows), time.perf_counter() - started))
        except Exception as e:  # noqa: BLE001 - reported with the model name
            msg = str(e).strip()
            if self.first_error is None:
                self.first_error = (model, msg)
            self._done("error", ModelResult(name, model.kind, None, time.perf_counter() - started, "error", msg))

    def _done(self, event: str, result: ModelResult) -> None:
        self.results.append(result)
        if event != "ok":
            self.failed.add(result.name)
        self.progress(event, self.project.models[result.name], result)


def _rel_name(schema: str, name: str, catalog: Optional[str]) -> str:
    """``catalog.schema.name`` (or ``schema.name``) for ``exp.replace_tables``."""
    return f"\"{catalog}\".{schema}.{name}" if catalog else f"{schema}.{name}"


def _q(ident: str) -> str:
    if _IDENT_RE.match(ident) and ident == ident.lower():
        return ident
    return '"' + ident.replace('"', '""') + '"'


class _open_client:
    """Context manager yielding ``(sql_client, dialect, raw_schema)`` for a pipeline or a client."""

    def __init__(self, target: Any):
        self.target = target
        self._cm = None

    def __enter__(self) -> tuple[Any, str, str]:
        t = self.target
        if hasattr(t, "sql_client") and hasattr(t, "destination"):  # a dlt Pipeline
            self._cm = t.sql_client()
            client = self._cm.__enter__()
            return client, detect_dialect(t), t.dataset_name or RAW_SCHEMA
        if hasattr(t, "execute_sql"):  # an (open) dlt sql client
            return t, detect_dialect(t), getattr(t, "dataset_name", None) or RAW_SCHEMA
        raise ModelError(f"cannot run models on {type(t).__name__}: pass a dlt pipeline or sql client")

    def __exit__(self, *exc: Any) -> None:
        if self._cm is not None:
            self._cm.__exit__(*exc)


def _rel(schema: str, name: Optional[str], catalog: Optional[str]) -> str:
    parts = [p for p in (catalog, schema, name) if p]
    return ".".join(_q(p) for p in parts)


def _catalog(client: Any, dialect: str) -> Optional[str]:
    """DuckDB: the current database (catalog) name, used to make every name three-part."""
    if dialect != "duckdb":
        return None
    return str(client.execute_sql("select current_database()")[0][0])


def _relations(client: Any, schema: str) -> dict[str, str]:
    """``{name: 'table'|'view'}`` of the relations in ``schema`` of the current database."""
    rows = client.execute_sql(
        "select table_name, table_type from information_schema.tables "
        f"where table_schema = '{schema}' and table_catalog = current_database()"
    ) or []
    return {r[0]: ("view" if "VIEW" in str(r[1]).upper() else "table") for r in rows}


def build(target: Any, dialect: Optional[str] = None, select: Optional[Iterable[str] | str] = None,
          progress: Optional[Callable[[str, Model, Optional[ModelResult]], None]] = None,
          sql_dir: Optional[str | Path] = None, **kwargs: Any) -> list[ModelResult]:
    """Shortcut: ``ModelProject.load(sql_dir).build(...)``."""
    return ModelProject.load(sql_dir).build(target, dialect=dialect, select=select, progress=progress, **kwargs)


def run_tests(target: Any, dialect: Optional[str] = None, select: Optional[Iterable[str] | str] = None,
         progress: Optional[Callable[[DataTestResult], None]] = None,
         sql_dir: Optional[str | Path] = None, **kwargs: Any) -> list[DataTestResult]:
    """Shortcut: ``ModelProject.load(sql_dir).test(...)``."""
    return ModelProject.load(sql_dir).test(target, dialect=dialect, select=select, progress=progress, **kwargs)

