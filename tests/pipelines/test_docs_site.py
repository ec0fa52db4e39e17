"""The docs site's generated parts (pipelines/commands/docs_site.py): docs/configuration.md and the counts in the
hand-written pages are what a fresh render writes, and they say what the code does. No link in the README or
docs/ leaves the repository."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from pipelines.commands import docs_site
from sources.asana.errors import InvalidOptionError
from sources.asana.options import SourceOptions

ROOT = Path(__file__).resolve().parents[2]


def test_committed_pages_are_current():
    stale = [str(path.relative_to(ROOT)) for path, text in docs_site.rendered(ROOT).items()
             if not path.exists() or path.read_text(encoding="utf-8") != text]
    assert stale == [], f"stale: {', '.join(stale)}: run `{docs_site.REGENERATE}` (or `make docs`) and commit"


def test_render_is_deterministic():
    assert docs_site.render_configuration() == docs_site.render_configuration()


def test_every_source_option_is_documented_with_its_default():
    page = docs_site.render_configuration()
    for field_name in SourceOptions.names():
        assert f"### `{field_name}`\n" in page, field_name
        assert f"`SOURCES__ASANA__{field_name.upper()}`" in page, field_name
    # the defaults are SourceOptions' own
    assert "`requests_per_minute = 1500`" in page and "`max_concurrency = 50`" in page
    assert "- **allowed**: `auto`, `always`, `stories`, `never`" in page
    assert "- **command line**: `check --requests-per-minute`, `run --requests-per-minute`" in page


def test_meanings_come_from_the_docstring():
    meanings = docs_site.option_meanings()
    assert meanings["page_size"].startswith("Items per page")
    assert "50 GETs per token" in meanings["max_concurrency"]
    # every option is explained by the docstring itself (besides the arguments only code passes)
    assert set(SourceOptions.names()) <= set(meanings)


def test_special_values_are_what_checked_accepts():
    ok = SourceOptions(access_token="1/2:abc")
    ok.replace(reconcile_interval_hours=24 * 366).checked()
    for bad in (0, 24 * 366 + 1):
        with pytest.raises(InvalidOptionError):
            ok.replace(reconcile_interval_hours=bad).checked()
    with pytest.raises(InvalidOptionError):
        ok.replace(base_url="ftp://example.com").checked()
    with pytest.raises(InvalidOptionError):
        ok.replace(teams="3001", exclude_teams="3002").checked()
    with pytest.raises(InvalidOptionError):
        ok.replace(teams="Marketing").checked()
    with pytest.raises(InvalidOptionError):
        SourceOptions(access_token="1/2 abc").checked()
    for name in SourceOptions.names():  # every option says what it accepts
        assert docs_site.allowed_values(name)


def test_every_command_and_option_is_documented():
    page = docs_site.render_configuration()
    for path, command in docs_site.cli_commands():
        assert f"### `{path}`\n" in page, path
        for param in command.params:
            for opt in getattr(param, "opts", []):
                if opt.startswith("-"):
                    assert f"`{opt}`" in page, (path, opt)
    from asana_sim.server import build_parser

    for action in build_parser()._actions:  # noqa: SLF001
        for opt in action.option_strings:
            assert f"`{opt}`" in page, opt


def test_every_environment_variable_the_code_reads_is_documented():
    documented = {name for name, _, _ in docs_site.environment_variables()}
    missing = docs_site.environment_variables_in_code(ROOT) - documented
    assert missing == set(), f"document {sorted(missing)} in docs_site.environment_variables()"
    page = docs_site.render_configuration()
    for name in documented:
        assert f"| `{name}` |" in page


def test_facts_are_the_code_s_counts():
    from pipelines.models import ModelProject

    values = docs_site.facts(ROOT)
    project = ModelProject.load()
    assert values["models"] == str(len(project.models))
    assert int(values["marts"]) == sum(m.layer == "marts" for m in project.models.values())
    text = "<!-- fact:models -->1<!-- /fact --> models, <!-- fact:marts -->2<!-- /fact --> marts"
    assert docs_site.render_facts(text, values) == (f"<!-- fact:models -->{values['models']}<!-- /fact --> models, "
                                                    f"<!-- fact:marts -->{values['marts']}<!-- /fact --> marts")
    with pytest.raises(KeyError):
        docs_site.render_facts("<!-- fact:nonsense -->1<!-- /fact -->", values)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"<!-- fact:models -->{values['models']}<!-- /fact --> SQL reporting models" in readme


def test_write_fixes_a_stale_page(tmp_path, monkeypatch):
    (tmp_path / "docs").mkdir()
    (tmp_path / "sql" / "examples").mkdir(parents=True)
    (tmp_path / "README.md").write_text("<!-- fact:models -->0<!-- /fact --> models\n")
    (tmp_path / "docs" / "page.md").write_text("no facts here\n")
    changed = docs_site.write(tmp_path, echo=lambda _: None)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in changed) == ["README.md", "docs/configuration.md"]
    assert "<!-- fact:models -->0<!-- /fact -->" not in (tmp_path / "README.md").read_text()
    assert docs_site.write(tmp_path, echo=lambda _: None) == []


LINK = re.compile(r"\]\(([^)\s]+)\)")


def _markdown_files() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def test_no_link_leaves_the_repository():
    """Relative links resolve to a file in the checkout (the docs build checks docs/ too, strictly); none
    climbs out of it. External links are to public http(s) sites."""
    bad = []
    for page in _markdown_files():
        for target in LINK.findall(page.read_text(encoding="utf-8")):
            if re.match(r"https?://", target):
                continue
            if re.match(r"[a-z]+:", target):
                bad.append((page.name, target))
                continue
            path = target.split("#")[0]
            if not path:
                continue
            resolved = (page.parent / path).resolve()
            if ROOT not in resolved.parents or not resolved.exists():
                bad.append((str(page.relative_to(ROOT)), target))
    assert bad == []
    for page in _markdown_files():
        assert "../shared/" not in page.read_text(encoding="utf-8"), page
