# Two commands for a fresh machine with python3 (3.11+) and make: `make demo` and `make test`.
# Each creates .venv and installs the project (pinned by constraints.txt) on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-deploy soak bench bench-large install docs clean lock lock-deploy

install: $(STAMP)

# pip -qq: errors only. A machine's own pip configuration (an extra index that lacks some packages,
# say) otherwise prints a screen of "Location ... is ignored" warnings that are not the project's.
$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -qq --upgrade "pip>=24"
	@# setuptools notes that an editable install maps asana_sync_sql to sql/: expected, not for newcomers.
	PYTHONWARNINGS="ignore:Editable installation" $(BIN)/python -m pip install -qq -c constraints.txt -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/asana-sync demo

# Three workers on two cores: a test spends much of its time waiting on the simulator, the CLI
# processes it starts and PostgreSQL, so two workers leave the cores a third idle (four measured no
# faster, with more CPU spent). A file's tests stay on one worker (--dist loadfile) so that its
# module fixtures are built once (spreading them one by one measured 566 s against 466 s).
TEST_WORKERS ?= 3

test: $(STAMP)
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile

# The docs site: mkdocs with the material theme (the `docs` extra, pinned by constraints.txt) in .venv.
# Regenerates the pages that come from the code (docs/configuration.md, counts in the hand-written pages),
# then builds site/ strictly: a broken link, a page missing from the nav or any warning fails (never with
# --quiet, which hides the warnings from the strict check too).
DOCS_STAMP := $(VENV)/.docs-installed

$(DOCS_STAMP): $(STAMP)
	PYTHONWARNINGS="ignore:Editable installation" $(BIN)/python -m pip install -qq -c constraints.txt -e '.[dev,docs]'
	touch $(DOCS_STAMP)

docs: $(DOCS_STAMP)
	$(BIN)/python -m pipelines.commands.docs_site
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

# The orchestrators (deploy/: Dagster + dagster-dlt, Airflow 3) in a virtualenv of their own, so that
# their dependencies never move the main pins: .venv-deploy, pinned by deploy/constraints.txt.
DEPLOY_VENV := .venv-deploy
DEPLOY_STAMP := $(DEPLOY_VENV)/.installed

$(DEPLOY_STAMP): pyproject.toml deploy/constraints.txt
	$(PYTHON) -m venv $(DEPLOY_VENV)
	$(DEPLOY_VENV)/bin/python -m pip install -qq --upgrade "pip>=24"
	PYTHONWARNINGS="ignore:Editable installation" $(DEPLOY_VENV)/bin/python -m pip install -qq \
		-c deploy/constraints.txt -e '.[dev,deploy]'
	touch $(DEPLOY_STAMP)

test-deploy: $(DEPLOY_STAMP)
	$(DEPLOY_VENV)/bin/python -m pytest -q -n 2 -p no:cacheprovider -W ignore::DeprecationWarning deploy/tests

# 50 seeded fault runs and 20 SIGKILL points against the simulator, each checked against its ground
# truth, and the long end-to-end variants of tests elsewhere (every test marked `soak`); prints the
# tally and the resume cost. `make test` runs the cases also marked `smoke`.
soak: $(STAMP)
	rm -rf .soak-tally
	@# tests/soak named first: its conftest prints the tally, and pytest-xdist's controller loads only
	@# the conftests of the paths it is given. The long variants marked soak elsewhere are in tests/pipelines.
	ASANA_SYNC_SOAK_TALLY=$(CURDIR)/.soak-tally $(BIN)/python -m pytest -q -n $(TEST_WORKERS) -m soak tests/soak tests/pipelines

# Full, 1%-changed and unchanged syncs of the small and demo organizations into DuckDB and PostgreSQL
# (127.0.0.1:5432, a fresh database per series): requests against the minimum the data needs, 429s,
# extract/normalize/load time, rows/s, peak RSS. Writes bench/RESULTS.md (generated section) and
# bench/results.json. `make bench-large` adds SimConfig.large() (~200,000 tasks; about 15 minutes per destination).
bench: $(STAMP)
	$(BIN)/python bench/bench.py

bench-large: $(STAMP)
	BENCH_LARGE=1 $(BIN)/python bench/bench.py

# Refresh the pins after changing dependencies in pyproject.toml.
lock: $(DOCS_STAMP)
	$(BIN)/python -m pip freeze --exclude-editable > constraints.txt

# Refresh deploy/constraints.txt: a fresh .venv-deploy resolved against the main pins.
lock-deploy:
	rm -rf $(DEPLOY_VENV)
	$(PYTHON) -m venv $(DEPLOY_VENV)
	$(DEPLOY_VENV)/bin/python -m pip install --quiet -c constraints.txt -e '.[dev,deploy]'
	$(DEPLOY_VENV)/bin/python -m pip freeze --exclude-editable > deploy/constraints.txt
	touch $(DEPLOY_STAMP)

clean:
	rm -rf $(VENV) $(DEPLOY_VENV) demo.duckdb asana.duckdb .pytest_cache site
