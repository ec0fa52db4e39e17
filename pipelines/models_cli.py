"""`asana-sync models ...` and the post-load model build (wired to pipelines.models)."""

from __future__ import annotations

import click

from .pipeline import Destination


def build_all(target: Destination) -> list:
    return []


@click.group()
def models() -> None:
    """Build, list and test the SQL reporting models."""
