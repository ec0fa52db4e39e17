"""The generated parts of the docs site (``mkdocs.yml``, ``docs/``), so that nothing the code defines is typed by hand:

* ``docs/configuration.md``: the source options (``SourceOptions``: defaults, ranges and choices; their meaning
  from the ``Args:`` of ``asana_source``), every CLI command's options (introspected from the click commands and
  the simulator's argparse parser) and the environment variables the project reads;
* counts in hand-written pages, between markers: ``<!-- fact:models -->78<!-- /fact -->`` (see :data:`FACTS`).

``python -m pipelines.commands.docs_site`` rewrites both (``make docs`` runs it before ``mkdocs build --strict``);
``tests/pipelines/test_docs_site.py`` fails while a committed page differs from a fresh render.
"""

from __future__ import annotations

import argparse
import dataclasses
import inspect
import re
import sys
import textwrap
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

import click

from asana_sim.server import build_parser
from sources.asana import asana_source
from sources.asana.options import LIST_OPTIONS, SourceOptions
from sources.asana.settings import COLUMNS

from ..models.project import ModelProject
from ..sync.steps import CHECKPOINT_ENV, DEFAULT_CHECKPOINT_SECONDS
from ..warehouse.locks import DUCKDB_WAIT_ENV, DUCKDB_WAIT_SECONDS
from .cli import main as cli_main

ROOT = Path(__file__).resolve().parents[2]
CONFIGURATION_PAGE = Path("docs") / "configuration.md"
REGENERATE = "python -m pipelines.commands.docs_site"

# --------------------------------------------------------------------------------------------------
# source options
# --------------------------------------------------------------------------------------------------
#: What ``SourceOptions.checked`` accepts beyond its WHOLE_NUMBERS and CHOICES tables (a test holds these to it).
SPECIAL_VALUES = {
    "access_token": "one word of printable ASCII (surrounding whitespace is dropped); a secret: only in "
                    "`.dlt/secrets.toml` or the environment, never logged, stored or printed",
    "base_url": "an `http://` or `https://` URL with a host",
    "reconcile_interval_hours": "a number of hours above 0 and at most 8,784 (a year)",
    "teams": "team gids (digits); not together with `exclude_teams`",
    "exclude_teams": "team gids (digits); not together with `teams`",
    "workspaces": "workspace gids or exact names",
}


def _doc_text(text: str) -> str:
    """reST double backticks as Markdown code spans."""
    return re.sub(r"``(.+?)``", r"`\1`", " ".join(text.split()))


def option_meanings() -> dict[str, str]:
    """``{option: meaning}`` from the ``Args:`` section of ``asana_source``'s docstring."""
    function = getattr(asana_source, "_f", asana_source)
    doc = inspect.getdoc(function) or ""
    _, _, args = doc.partition("Args:\n")
    meanings: dict[str, list[str]] = {}
    current = None
    for line in args.split("\n"):
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip())
        if indent == 0:  # the next section (Returns:, ...)
            break
        match = re.match(r"\s{4}(\w+): (.*)$", line)
        if match and indent == 4:
            current = match.group(1)
            meanings[current] = [match.group(2)]
        elif current:
            meanings[current].append(line.strip())
    return {name: _sentence(_doc_text(" ".join(lines))) for name, lines in meanings.items()}


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _literal(value: Any) -> str:
    if isinstance(value, tuple):
        return "[" + ", ".join(f'"{v}"' for v in value) + "]"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def allowed_values(name: str) -> str:
    if name in SourceOptions.CHOICES:
        return ", ".join(f"`{c}`" for c in SourceOptions.CHOICES[name])
    if name in SourceOptions.WHOLE_NUMBERS:
        low, high = SourceOptions.WHOLE_NUMBERS[name]
        return f"a whole number from {low:,} to {high:,}"
    if name in SPECIAL_VALUES:
        return SPECIAL_VALUES[name]
    raise KeyError(f"say what {name} accepts: SPECIAL_VALUES in {__name__}")


LIST_VALUES = ("; a TOML list, or in the environment a comma-separated string (`123,456`) or a JSON list "
               "(`[\"123\"]`)")


def _is_secret(name: str) -> bool:
    function = getattr(asana_source, "_f", asana_source)
    return "Secret" in str(inspect.signature(function).parameters[name].annotation)


@dataclasses.dataclass(frozen=True)
class OptionDoc:
    name: str
    default: Any
    meaning: str
    allowed: str
    secret: bool
    cli: tuple[str, ...]  # "run --requests-per-minute", ...

    @property
    def env(self) -> str:
        return f"SOURCES__ASANA__{self.name.upper()}"

    @property
    def default_text(self) -> str:
        if self.secret:
            return "none: required"
        if self.default == () and self.name in LIST_OPTIONS:
            return "empty"
        return f"`{_literal(self.default)}`"

    @property
    def toml(self) -> str:
        example = {"access_token": '"1/1234567890:abcdef..."', "workspaces": '["1234567890", "Marketing"]',
                   "teams": '["3001", "3002"]', "exclude_teams": '["3001"]'}.get(self.name, _literal(self.default))
        return f"{self.name} = {example}"


def source_options() -> list[OptionDoc]:
    meanings = option_meanings()
    cli = _cli_flags_by_param()
    docs = []
    for f in dataclasses.fields(SourceOptions):
        if f.name not in meanings:
            raise KeyError(f"asana_source's docstring (Args:) does not explain {f.name}")
        docs.append(OptionDoc(name=f.name, default=f.default, meaning=meanings[f.name],
                              allowed=allowed_values(f.name) + (LIST_VALUES if f.name in LIST_OPTIONS else ""), secret=_is_secret(f.name),
                              cli=tuple(cli.get(f.name, ()))))
    return docs


# --------------------------------------------------------------------------------------------------
# commands
# --------------------------------------------------------------------------------------------------
def cli_commands() -> Iterator[tuple[str, click.Command]]:
    """``("asana-sync models run", command)`` for the group and every command, depth first, sorted."""

    def walk(command: click.Command, path: str) -> Iterator[tuple[str, click.Command]]:
        yield path, command
        if isinstance(command, click.Group):
            for name in sorted(command.commands):
                yield from walk(command.commands[name], f"{path} {name}")

    yield from walk(cli_main, "asana-sync")


def _cli_flags_by_param() -> dict[str, list[str]]:
    """``{param name: ["run --requests-per-minute", ...]}`` over every command (the source options' CLI flags)."""
    flags: dict[str, list[str]] = {}
    for path, command in cli_commands():
        for param in command.params:
            if isinstance(param, click.Option) and param.name in SourceOptions.names():
                flags.setdefault(param.name, []).append(f"{path.removeprefix('asana-sync ')} {param.opts[0]}")
    return flags


def _escape(text: str) -> str:
    """Help text as Markdown that shows it as written: outside code spans, characters Markdown would read
    as HTML, emphasis or a table's column separator are escaped."""
    parts = str(text).split("`")
    for i in range(0, len(parts), 2):  # outside code spans
        parts[i] = (parts[i].replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                    .replace("|", "&#124;").replace("*", "\\*").replace("_", "\\_"))
    return "`".join(parts)


def _cell(text: str) -> str:
    """Text for a Markdown table cell: one line, escaped."""
    return _escape(" ".join(str(text).split()))


def _unset(value: Any) -> bool:
    return value is None or value is False or value == () or type(value).__name__ == "Sentinel" \
        or repr(value).endswith("UNSET")


def _param_type(param: click.Parameter) -> str:
    kind = param.type
    if isinstance(param, click.Option) and param.is_flag:
        return "flag"
    if isinstance(kind, click.Choice):
        return ", ".join(f"`{c}`" for c in kind.choices)
    if isinstance(kind, (click.IntRange, click.FloatRange)):
        number = "integer" if isinstance(kind, click.IntRange) else "number"
        if kind.min is not None and kind.max is not None:
            return f"{number} {kind.min}..{kind.max}"
        if kind.min is not None:
            return f"{number} ≥ {kind.min}"
        return f"{number} ≤ {kind.max}"
    if isinstance(param, click.Option) and param.metavar:
        return _cell(param.metavar)
    return {"integer": "integer", "float": "number", "text": "text", "boolean": "flag"}.get(kind.name, kind.name)


def _help_markdown(text: Optional[str]) -> list[str]:
    """A click help text as Markdown: paragraphs as text, ``\\b`` blocks (kept as written) as code."""
    lines: list[str] = []
    for paragraph in inspect.cleandoc(text or "").split("\n\n"):
        if paragraph.startswith("\b"):
            body = textwrap.dedent(paragraph.removeprefix("\b").strip("\n"))
            lines += ["```text", *body.split("\n"), "```", ""]
        elif paragraph.strip():
            lines += [_cell(paragraph), ""]
    return lines


def _click_options_table(command: click.Command) -> list[str]:
    rows = []
    for param in command.params:
        if isinstance(param, click.Argument):
            rows.append(f"| `{param.human_readable_name}` (argument) | {_param_type(param)} | "
                        f"{'required' if param.required else ''} | |")
            continue
        if not isinstance(param, click.Option) or param.hidden:
            continue
        names = ", ".join(f"`{o}`" for o in param.opts + param.secondary_opts)
        meaning = _cell(param.help or "")
        if param.multiple and "repeatable" not in meaning.lower():
            meaning = (meaning + " Repeatable.").strip()
        if param.envvar:
            meaning = f"{meaning} Environment: `{param.envvar}`."
        default = "" if _unset(param.default) or param.is_flag else f"`{param.default}`"
        rows.append(f"| {names} | {_param_type(param)} | {default} | {meaning} |")
    rows.append("| `-h`, `--help` | flag | | Show the help and exit. |")
    return ["| option | value | default | meaning |", "|---|---|---|---|", *rows, ""]


def _argparse_options_table(parser: argparse.ArgumentParser) -> list[str]:
    rows = []
    for action in parser._actions:  # noqa: SLF001 - argparse has no public list of its actions
        if not action.option_strings:
            continue
        names = ", ".join(f"`{o}`" for o in action.option_strings)
        if isinstance(action, argparse._HelpAction):  # noqa: SLF001
            rows.append(f"| {names} | flag | | Show the help and exit. |")
            continue
        if action.nargs == 0:
            value = "flag"
        elif action.choices:
            value = ", ".join(f"`{c}`" for c in action.choices)
        else:
            value = {int: "integer", float: "number", None: "text", str: "text"}.get(action.type, "text")
        default = "" if action.nargs == 0 or action.default in (None, "", (), {}) else f"`{_literal(action.default).strip(chr(34))}`"
        rows.append(f"| {names} | {value} | {default} | {_cell(action.help or '')} |")
    return ["| option | value | default | meaning |", "|---|---|---|---|", *rows, ""]


def _commands_section() -> list[str]:
    lines = ["## Commands", "",
             "Every command and option of `asana-sync` (`asana-sync COMMAND --help` prints the same). Options that "
             "set a source option override the environment and `.dlt/config.toml` for that run.", ""]
    for path, command in cli_commands():
        lines += [f"### `{path}`", ""]
        lines += _help_markdown(command.help)
        if path == "asana-sync simulate":
            parser = build_parser(prog="asana-sync simulate")
            lines += ["The same flags as `python -m asana_sim` (the simulator's own parser):", ""]
            lines += _argparse_options_table(parser)
        elif isinstance(command, click.Group) and path != "asana-sync":
            lines += ["Commands: " + ", ".join(f"`{n}`" for n in sorted(command.commands)) + ".", ""]
        else:
            lines += _click_options_table(command)
    return lines


# --------------------------------------------------------------------------------------------------
# environment variables beyond the source options
# --------------------------------------------------------------------------------------------------
def environment_variables() -> list[tuple[str, str, str]]:
    """``(variable, default, meaning)`` of every environment variable the project reads besides
    ``SOURCES__ASANA__<OPTION>`` (a test finds every one named in the code here)."""
    return [
        ("ASANA_SYNC_HOME", "`~/.asana-sync`",
         "Where the local working state lives (dlt's pipeline folders, one per warehouse and partition; "
         "[State and recovery](operations/state.md)). Not writable: exit 2."),
        (CHECKPOINT_ENV, f"`{DEFAULT_CHECKPOINT_SECONDS:g}`",
         "Seconds that pace the checkpoint steps: a step grows while it takes under half of this, and "
         "per-parent listings move on to the next step once a step has run this long "
         "([When Asana throttles or fails](operations/throttling.md))."),
        (DUCKDB_WAIT_ENV, f"`{DUCKDB_WAIT_SECONDS:g}` (6 h)",
         "How long a partition waits for a DuckDB file another partition is writing; then exit 4 "
         "([Partitions](operations/partitions.md))."),
        ("ASANA_SYNC_LOG_FORMAT", "`text`",
         "`json`: one JSON event per line on stderr, as the global `--log-format json` "
         "([Monitoring](operations/monitoring.md))."),
        ("ASANA_SYNC_PROGRESS_SECONDS", "`15`",
         "Seconds between progress lines (and `progress` events) during a long phase."),
        ("DESTINATION__POSTGRES__CREDENTIALS", "none",
         "PostgreSQL connection URL for `--destination postgres` (or `credentials` under "
         "`[destination.postgres]` in `.dlt/secrets.toml`), resolved the dlt way "
         "([Destinations](destinations.md))."),
        ("DESTINATION__POSTGRES__CREATE_INDEXES", "`false`",
         "`true` brings back dlt's UNIQUE index on `_dlt_id` in PostgreSQL tables (about 20% slower loads)."),
        ("MODELS__TASK_CUSTOM_FIELDS", "empty",
         "Custom fields (names or gids, a JSON list) to add as typed columns of `asana__task`; or "
         "`task_custom_fields` under `[models]` in `.dlt/config.toml` ([Models reference](MODELS.md))."),
        ("ASANA_SYNC_PARTITIONS", "none",
         "`deploy/` only: the partitions the Dagster and Airflow definitions run, comma-separated "
         "([Orchestrators](operations/orchestrators.md))."),
        ("ASANA_SYNC_DESTINATION", "`duckdb`", "`deploy/` only: `duckdb` or `postgres`."),
        ("ASANA_SYNC_DUCKDB_PATH", "`asana.duckdb`", "`deploy/` only: the DuckDB file the partitions load into."),
        ("ASANA_SIM_REQUEST_LOG", "none",
         "The simulator appends one JSON line per refused, tolerated or ignored request parameter to this file "
         "([The simulator](simulator.md))."),
    ]


#: The environment variable names the code may read; each must be documented by environment_variables().
ENV_PATTERN = re.compile(r"\b(ASANA_SYNC_[A-Z_]+|ASANA_SIM_[A-Z_]+|DESTINATION__[A-Z_]+|MODELS__[A-Z_]+)\b")


def environment_variables_in_code(root: Path = ROOT) -> set[str]:
    """Every name matching :data:`ENV_PATTERN` in the shipped Python code (tests and benches left out)."""
    found: set[str] = set()
    for folder in ("pipelines", "sources", "asana_sim", "deploy"):
        for path in (root / folder).rglob("*.py"):
            if "tests" in path.relative_to(root).parts or path.name == Path(__file__).name:
                continue
            found.update(m.rstrip("_") for m in ENV_PATTERN.findall(path.read_text(encoding="utf-8")))
    return found


# --------------------------------------------------------------------------------------------------
# the page
# --------------------------------------------------------------------------------------------------
def render_configuration() -> str:
    options = source_options()
    lines = [
        "# Configuration reference", "",
        f"<!-- Generated by `{REGENERATE}` (run by `make docs`) from sources/asana/options.py, the docstring "
        "of asana_source, the click commands and the simulator's parser. Do not edit: "
        "tests/pipelines/test_docs_site.py fails while this page is stale. -->", "",
        "Generated from the code: the source options (`sources/asana/options.py` and the docstring of "
        "`asana_source`), the commands (`asana-sync --help`) and the environment variables the code reads.", "",
        "## Where settings come from", "",
        "asana-sync reads its settings the dlt way. For each source option, the first of these wins:", "",
        "1. a command-line option (`run --requests-per-minute 150`), for the options that have one;",
        "2. an environment variable, `SOURCES__ASANA__<OPTION>` (`SOURCES__ASANA__REQUESTS_PER_MINUTE=150`);",
        "3. `.dlt/secrets.toml`, then `.dlt/config.toml` in the working directory, under `[sources.asana]`;",
        "4. the default below.", "",
        "A misspelled option or section (`[source.asana]`, `[sources.asanna]`, `SOURCE__ASANA__...`, "
        "`SOURCES__ASANA__REQUESTS_PER_MINUT`) is refused with exit 2 and a suggestion, never silently "
        "ignored. The token is read only from `.dlt/secrets.toml` or the environment.", "",
        "```toml",
        "# .dlt/config.toml (committed) or .dlt/secrets.toml (git-ignored; copy .dlt/example.secrets.toml)",
        "[sources.asana]",
        *(f"# {o.toml}" for o in options if not o.secret),
        "```", "",
        "## Source options", "",
        "| option | environment variable | default | allowed |",
        "|---|---|---|---|",
        *(f"| [`{o.name}`](#{o.name}) | `{o.env}` | {o.default_text} | {o.allowed} |" for o in options),
        "",
    ]
    for o in options:
        lines += [f"### `{o.name}`", "", o.meaning, "",
                  f"- **config.toml**: `{o.toml}` under `[sources.asana]`" + (" (`.dlt/secrets.toml` only)" if o.secret else ""),
                  f"- **environment**: `{o.env}`",
                  f"- **default**: {o.default_text}",
                  f"- **allowed**: {o.allowed}"]
        if o.cli:
            lines.append("- **command line**: " + ", ".join(f"`{flag}`" for flag in o.cli))
        lines.append("")
    lines += ["## Environment variables", "",
              "Besides `SOURCES__ASANA__<OPTION>` above, the project reads these (dlt's own settings, such as "
              "`[runtime] log_level` in `.dlt/config.toml`, work as dlt documents them):", "",
              "| variable | default | meaning |", "|---|---|---|",
              *(f"| `{name}` | {default} | {' '.join(meaning.split())} |" for name, default, meaning in environment_variables()),
              ""]
    lines += _commands_section()
    return "\n".join(lines).rstrip("\n") + "\n"


# --------------------------------------------------------------------------------------------------
# counts in hand-written pages
# --------------------------------------------------------------------------------------------------
def _model_counts() -> dict[str, int]:
    counts = {"models": 0, "staging": 0, "intermediate": 0, "marts": 0}
    for model in ModelProject.load().models.values():
        counts["models"] += 1
        counts[model.layer] += 1
    return counts


def facts(root: Path = ROOT) -> dict[str, str]:
    """The counts hand-written pages quote, from the code (each one a ``<!-- fact:NAME -->`` marker)."""
    counts = _model_counts()
    return {
        "models": str(counts["models"]),
        "staging_models": str(counts["staging"]),
        "intermediate_models": str(counts["intermediate"]),
        "marts": str(counts["marts"]),
        "raw_tables": str(len(COLUMNS)),
        "example_queries": str(len(list((root / "sql" / "examples").glob("*.sql")))),
        "source_options": str(len(SourceOptions.names())),
    }


FACT = re.compile(r"<!-- fact:([a-z_]+) -->(.*?)<!-- /fact -->")


def render_facts(text: str, values: dict[str, str]) -> str:
    """``text`` with every fact marker's value replaced; an unknown fact name is an error."""
    def value(match: re.Match) -> str:
        name = match.group(1)
        if name not in values:
            raise KeyError(f"unknown fact {name!r} (known: {', '.join(sorted(values))})")
        return f"<!-- fact:{name} -->{values[name]}<!-- /fact -->"

    return FACT.sub(value, text)


def fact_pages(root: Path = ROOT) -> list[Path]:
    """The hand-written pages that may quote facts: the README and docs/ (the generated reference left out)."""
    pages = [root / "README.md"]
    pages += sorted(p for p in (root / "docs").rglob("*.md") if "reference" not in p.relative_to(root / "docs").parts)
    return pages


def rendered(root: Path = ROOT) -> dict[Path, str]:
    """Every generated page and every page with facts, as a fresh render would write them."""
    out = {root / CONFIGURATION_PAGE: render_configuration()}
    values = facts(root)
    for page in fact_pages(root):
        if page == root / CONFIGURATION_PAGE:
            continue
        out[page] = render_facts(page.read_text(encoding="utf-8"), values)
    return out


def write(root: Path = ROOT, echo: Callable[[str], Any] = print) -> list[Path]:
    """Write what :func:`rendered` gives where it differs from the files; the files changed."""
    changed = []
    for path, text in rendered(root).items():
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8", newline="\n")
            changed.append(path)
            echo(f"wrote {path.relative_to(root)}")
    return changed


if __name__ == "__main__":  # pragma: no cover - `make docs`
    write()
    sys.exit(0)
