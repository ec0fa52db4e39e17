"""The sync layer: one run as a library call (``run.run_sync``) in checkpoint steps (``steps.py``),
its options resolved once (``configuration.py``), its partitions (``partitions.py``), the one rule
from a run's end to its outcome and exit code (``outcome.py``) and the record every run leaves
(``record.py``). Imports the models and warehouse layers below it, never the commands above."""
