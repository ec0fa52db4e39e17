"""asana-sync's dlt settings and the dlt pipeline of a destination.

The settings are a dlt config provider that dlt asks last (after the environment, secrets.toml and
config.toml), registered once per process when the first pipeline is made: every one of them can be
set the dlt way (``NORMALIZE__WORKERS=2``, ``[load] delete_completed_jobs = false``), and nothing is
written into the environment.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import dlt
from dlt.common.configuration.container import Container
from dlt.common.configuration.providers import DictionaryProvider
from dlt.common.configuration.specs.pluggable_run_context import PluggableRunContext

from .destination import DATASET, Destination
from .identity import working_dir

# Measured on 100k tasks / 1M child rows: dlt's default DuckDB file format took 159 s and 17.5 GB,
# parquet with these settings 10 s and 0.5 GB. Completed load jobs are deleted (and loaded packages
# pruned, see binding.py) so the working folder stays bounded.
DLT_DEFAULTS = {
    "runtime": {
        "log_level": "WARNING",
        "dlthub_telemetry": False,
        # dlt holds back a Ctrl-C that arrives during normalize or load and then forgets it when the
        # step ends, so the run went on with the next checkpoint step. Raised at once instead, it
        # stops the run (exit 130); what the step had not loaded is loaded by the next run.
        "intercept_signals": False,
    },
    "normalize": {"workers": 1},
    "data_writer": {"disable_compression": True, "buffer_max_items": 5000, "file_max_items": 20000},
    "load": {"delete_completed_jobs": True},
}


class AsanaSyncDefaults(DictionaryProvider):
    """``DLT_DEFAULTS`` as a dlt config provider."""

    NAME = "asana-sync defaults"

    def __init__(self) -> None:
        super().__init__()
        self._config_doc = DLT_DEFAULTS

    @property
    def name(self) -> str:
        return self.NAME


def configure_dlt() -> None:
    """Register ``DLT_DEFAULTS`` below dlt's own providers, once per process."""
    run_context = Container()[PluggableRunContext]
    if any(provider.name == AsanaSyncDefaults.NAME for provider in run_context.providers.providers):
        return
    dlt.config.register_provider(AsanaSyncDefaults())
    # dlt resolved its logging and telemetry settings when it was imported: again, with ours.
    run_context.initialize_runtime()


def make_pipeline(destination: Destination, read_only: bool = False) -> dlt.Pipeline:
    """The dlt pipeline for ``destination``. ``read_only`` is for commands that only look: a DuckDB
    file opened read-only and a throwaway working folder, so they neither create nor change anything."""
    configure_dlt()
    return dlt.pipeline(
        pipeline_name=destination.pipeline_name,
        destination=destination.dlt_destination(read_only=read_only),
        dataset_name=DATASET,
        pipelines_dir=str(reader_dir() if read_only else working_dir(destination)),
        progress=None,
    )


def reader_dir() -> Path:
    """This process's throwaway working folder for read-only pipelines, removed when it exits."""
    folder = Path(tempfile.gettempdir()) / f"asana-sync-reader-{os.getpid()}"
    if not folder.is_dir():
        folder.mkdir(parents=True, exist_ok=True)
        atexit.register(shutil.rmtree, str(folder), True)
    return folder
