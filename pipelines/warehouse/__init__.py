"""The warehouse layer: what the destination is (DuckDB file or PostgreSQL), its dlt pipeline and
settings, the local working state bound to it, the locks writers take, the checks before a run, and
a read-only view of what it holds. Imports nothing of the layers above (models, sync, commands)."""
