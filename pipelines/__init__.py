"""asana-sync's pipeline, in layers; each folder is one and imports only those below it:

- ``errors.py``: exit codes and one-line failures (every layer);
- ``warehouse/``: the destination, its dlt pipeline and settings, local state, locks, checks;
- ``models/``: the SQL models of ``sql/`` (build, test, compile, reference docs);
- ``sync/``: one run in checkpoint steps, its options, partitions, outcome and record;
- ``commands/``: the CLI and what only commands do (status, check, export, demo, console, logs).

The library calls most callers need are re-exported here::

    from pipelines import Destination, run_sync
    result = run_sync(Destination.parse("duckdb", "asana.duckdb"), source_options={"requests_per_minute": 150})
"""

from .errors import SyncError
from .models.build import build_models, run_model_tests
from .sync.run import SyncResult, run_lock, run_sync
from .warehouse.destination import Destination
from .warehouse.runtime import make_pipeline

__all__ = ["Destination", "SyncError", "SyncResult", "build_models", "make_pipeline", "run_lock", "run_model_tests",
           "run_sync"]
