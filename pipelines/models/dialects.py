"""The dialects a model compiles to, and the rewrites sqlglot's transpiler needs for the cloud ones.

Models are written once in DuckDB's dialect and run on DuckDB and PostgreSQL as they transpile.
For BigQuery and Snowflake (``models compile``) a few constructs mean something else or do not
exist there; each rewrite below fixes one on the AST before generation, never for DuckDB or
PostgreSQL.
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp

SUPPORTED_DIALECTS = ("duckdb", "postgres")
#: Dialects a model compiles to (``compile``; tested to transpile and parse back): the two the runner
#: builds on, MotherDuck (DuckDB's dialect) and the cloud warehouses dlt loads, for use outside the runner.
TRANSPILE_DIALECTS = SUPPORTED_DIALECTS + ("bigquery", "snowflake")


def explicit_null_order(ast: exp.Expression, dialect: str) -> exp.Expression:
    """Keep DuckDB's null placement inside aggregates and windows where the target cannot say
    ``NULLS FIRST/LAST`` there (BigQuery: ``string_agg(x, ', ' order by k)``, ``over (order by k)``).

    DuckDB sorts nulls last (ascending); BigQuery first. sqlglot would add ``NULLS LAST``, which BigQuery
    refuses in an aggregate's ``order by`` (sqlglot raises), and crashes on a named window
    (``window w as (...)``). Each such key ``k`` becomes ``k is null [desc], k`` with the target's own
    null placement: the same order, in SQL every dialect accepts. A no-op for DuckDB and PostgreSQL.
    Changes ``ast`` in place and returns it.
    """
    target = sqlglot.Dialect.get_or_raise(dialect)
    if target.generator_class.NULL_ORDERING_SUPPORTED is True:
        return ast

    def target_nulls_first(desc: bool) -> bool:
        if target.NULL_ORDERING == "nulls_are_last":
            return False
        return (target.NULL_ORDERING == "nulls_are_small") != desc

    for ordered in list(ast.find_all(exp.Ordered)):
        scope = ordered.find_ancestor(exp.WithinGroup, exp.AggFunc, exp.Window, exp.Select)
        if isinstance(scope, exp.WithinGroup):  # percentile_cont & co. ignore nulls: placement is moot
            ordered.set("nulls_first", target_nulls_first(bool(ordered.args.get("desc"))))
            continue
        if not isinstance(scope, (exp.AggFunc, exp.Window)):
            continue
        desc = bool(ordered.args.get("desc"))
        nulls_first = bool(ordered.args.get("nulls_first"))
        if nulls_first == target_nulls_first(desc) or ordered.this.is_int:
            continue
        is_null = exp.Ordered(this=exp.Is(this=ordered.this.copy(), expression=exp.Null()),
                              desc=nulls_first, nulls_first=target_nulls_first(nulls_first))
        ordered.set("nulls_first", target_nulls_first(desc))
        parent, key = ordered.parent, ordered.arg_key
        siblings = list(parent.args[key])
        position = next(i for i, node in enumerate(siblings) if node is ordered)
        parent.set(key, siblings[:position] + [is_null] + siblings[position:])
    return ast


def cloud_functions(ast: exp.Expression, dialect: str) -> exp.Expression:
    """DuckDB functions sqlglot carries over to a cloud warehouse that has no such function, or one that
    means something else there (BigQuery, Snowflake; the runner's own engines never pass here):

    * ``now()``: BigQuery and Snowflake know ``current_timestamp``;
    * ``epoch(a - b)`` (seconds between two timestamps): sqlglot writes ``TIME_TO_UNIX(a - b)`` (BigQuery)
      and ``EXTRACT(epoch_second FROM a - b)`` (Snowflake cannot subtract timestamps); both get
      ``timestamp_diff`` in microseconds / 1e6, which keeps the fraction of a second as ``epoch`` does;
    * BigQuery: ``date_trunc('week', d)`` became ``TIMESTAMP_TRUNC(d, WEEK)``: weeks starting on Sunday,
      and a timestamp; models mean ISO weeks of a date: ``DATE_TRUNC(d, ISOWEEK)``;
    * BigQuery: ``percentile_cont(p) within group (order by x)`` exists there only as a window function
      (``window_percentiles``).

    Changes ``ast`` in place and returns it.
    """
    for node in list(ast.find_all(exp.Anonymous)):
        if node.name.lower() == "now" and not node.expressions:
            node.replace(exp.CurrentTimestamp())
    for node in list(ast.find_all(exp.TimeToUnix)):
        if isinstance(node.this, exp.Sub):
            later, earlier = node.this.this, node.this.expression
            diff = exp.TimestampDiff(this=later.copy(), expression=earlier.copy(), unit=exp.var("MICROSECOND"))
            node.replace(exp.paren(exp.Div(this=diff, expression=exp.Literal.number("1000000.0")), copy=False))
    if dialect == "bigquery":
        for node in list(ast.find_all(exp.TimestampTrunc, exp.DateTrunc)):
            if node.text("unit").upper() == "WEEK":
                node.replace(exp.DateTrunc(this=node.this.copy(), unit=exp.Literal.string("ISOWEEK")))
        window_percentiles(ast)
    return ast


def window_percentiles(ast: exp.Expression) -> exp.Expression:
    """``percentile_cont(p) within group (order by x)`` in a grouped select becomes the window function
    BigQuery has, computed over the same groups in a subquery and picked with ``any_value``::

        select k, percentile_cont(0.5) within group (order by x) as m from t where c group by k
        -> select k, any_value(_percentile_0) as m
           from (select *, percentile_cont(x, 0.5) over (partition by k) as _percentile_0 from t where c) as t
           group by k

    Every row of a group carries the same value, and both engines ignore nulls, so the result is
    the same. Only a select reading one relation (no join) whose groups are expressions (not ordinals)
    is rewritten; another would fail on BigQuery as before. Changes ``ast`` in place and returns it.
    """
    for select in list(ast.find_all(exp.Select)):
        percentiles = [node for node in select.find_all(exp.WithinGroup)
                       if isinstance(node.this, exp.PercentileCont) and node.find_ancestor(exp.Select) is select]
        source = select.args.get("from_")
        group = select.args.get("group")
        keys = group.expressions if group is not None else []
        if not percentiles or source is None or select.args.get("joins") or any(k.is_int for k in keys):
            continue
        relation = source.this
        inner = exp.select("*").from_(relation.copy())
        if select.args.get("where") is not None:
            inner = inner.where(select.args["where"].this.copy())
        for index, node in enumerate(percentiles):
            (ordered,) = node.expression.expressions
            fraction = node.this.this.copy()
            if ordered.args.get("desc"):
                fraction = exp.Sub(this=exp.Literal.number(1), expression=fraction)
            name = f"_percentile_{index}"
            window = exp.Window(this=exp.PercentileCont(this=ordered.this.copy(), expression=fraction),
                                partition_by=[k.copy() for k in keys], over="OVER")
            inner = inner.select(exp.alias_(window, name), append=True)
            node.replace(exp.AnyValue(this=exp.column(name)))
        alias = exp.TableAlias(this=exp.to_identifier(relation.alias_or_name))
        source.set("this", exp.Subquery(this=inner, alias=alias))
        select.set("where", None)
    return ast
