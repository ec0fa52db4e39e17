"""``python -m pipelines``: the ``asana-sync`` command."""

from .commands.cli import main

main()
