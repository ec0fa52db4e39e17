"""The model sections of docs/MODELS.md match the SQL headers and the built columns, as the
production generator (pipelines/docs.py, run by `asana-sync docs`) writes them."""
from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.models.docs import MODEL_SECTION_DOCS, built_columns, documented_models, render_model_sections

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("relative", list(MODEL_SECTION_DOCS), ids=lambda p: p.name)
def test_model_reference_is_current(duck, project, relative):
    text = (ROOT / relative).read_text(encoding="utf-8")
    assert render_model_sections(text, project, built_columns(duck), MODEL_SECTION_DOCS[relative]) == text, \
        f"{relative} is stale: run `asana-sync docs`"


def test_every_mart_and_intermediate_model_is_documented(project):
    models_md = documented_models((ROOT / "docs" / "MODELS.md").read_text(encoding="utf-8"),
                                  MODEL_SECTION_DOCS[Path("docs") / "MODELS.md"])
    for name, m in project.models.items():
        if m.layer in ("marts", "intermediate"):
            assert name in models_md, f"{name} missing from docs/MODELS.md"
