"""The models layer: the SQL project of ``sql/`` (``project.py``: parse, order, compile, build, test),
the dialect rewrites for the cloud warehouses (``dialects.py``), the reference docs (``docs.py``) and
the library calls the sync and the commands use (``build.py``). Imports only the warehouse layer.

``from pipelines.models import ModelProject`` keeps working: the project's public names are here.
"""

from .project import *  # noqa: F401,F403 - the runner's public names (project.__all__)
from .project import __all__  # noqa: F401
