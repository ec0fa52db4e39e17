"""The model reference in docs/MODELS.md and README.md matches the SQL headers and the built columns."""
from __future__ import annotations

import pytest

from model_docs import DOCS, column_types, documented, render


@pytest.mark.parametrize("path", list(DOCS), ids=lambda p: p.name)
def test_model_reference_is_current(duck, project, path):
    text = path.read_text(encoding="utf-8")
    assert render(text, project, column_types(duck), DOCS[path]) == text, \
        f"{path.name} is stale: run .venv/bin/python tests/models/model_docs.py"


def test_every_mart_and_intermediate_model_is_documented(project):
    models_md, readme = (documented(path.read_text(encoding="utf-8"), level) for path, level in DOCS.items())
    for name, m in project.models.items():
        if m.layer in ("marts", "intermediate"):
            assert name in models_md, f"{name} missing from docs/MODELS.md"
        if m.layer == "marts":
            assert name in readme, f"{name} missing from README.md"
