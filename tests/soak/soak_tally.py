"""What the soak counted in this process (each pytest-xdist worker has its own; see conftest.py)."""

TALLY: dict = {"runs": 0, "equal": 0, "kills": 0, "resumed_equal": 0, "resume_cost": []}
