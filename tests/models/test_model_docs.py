"""The model sections of docs/MODELS.md and README.md match the SQL headers and the built columns, as the
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
    models_md, readme = (documented_models((ROOT / relative).read_text(encoding="utf-8"), level)
                         for relative, level in MODEL_SECTION_DOCS.items())
    for name, m in project.models.items():
        if m.layer in ("marts", "intermediate"):
            assert name in models_md, f"{name} missing from docs/MODELS.md"
        if m.layer == "marts":
            assert name in readme, f"{name} missing from README.md"
