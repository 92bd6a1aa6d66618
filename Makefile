# talentflow: `make demo` runs the main job on the built-in default, `make test` runs every test.
# Both set up what they need: system packages when missing, Python packages into .venv.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SHARED ?= ../shared/data
DEMO ?= demo
STAMP := $(VENV)/.installed

.PHONY: setup demo test bench lint format clean system cluster-up cluster-down

setup: $(STAMP)

$(STAMP): pyproject.toml
	@$(MAKE) --no-print-directory system
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,spark]'
	@touch $(STAMP)

# System packages, each installed only when missing: a JDK for Spark (the Spark engine and its tests) and
# Debian's Chromium for the browser tests (Playwright drives it; it never downloads a browser of its own).
APT_GET := DEBIAN_FRONTEND=noninteractive apt-get
system:
	@command -v java >/dev/null 2>&1 || { \
		echo "installing a JDK (openjdk-17-jre-headless)"; \
		apt-get update -qq && $(APT_GET) install -y -qq openjdk-17-jre-headless; }
	@test -x /usr/bin/chromium || { \
		echo "installing Chromium (chromium, chromium-driver) for the browser tests"; \
		apt-get update -qq && $(APT_GET) install -y -qq chromium chromium-driver; }

# The main job on the built-in default: `talentflow run` simulates exodus-2022 (20,000 workers, counts scaled
# to the full market), ingests its board records, then the real data in ../shared/data when it is there, imports
# the built-in claims, estimates, and writes demo/report.html. DEMO_SCALE 0.02 keeps `make demo` under 5 minutes
# on a 2-core machine (the panel's EM and its bootstrap are most of the time).
DEMO_SCALE ?= 0.02
demo: setup
	@rm -rf $(DEMO)
	@if [ -d "$(SHARED)" ]; then \
		$(BIN)/talentflow run exodus-2022 --out $(DEMO) --scale $(DEMO_SCALE) --seed 1 \
			--areas $(SHARED)/hh-api/dictionaries/areas_2024-12.json \
			--with $(SHARED)/hh-api/examples --with $(SHARED)/hh-vacancies-urfu \
			--with $(SHARED)/innovationgraph --with $(SHARED)/indeed-hiring-lab; \
	else \
		echo "no real data at $(SHARED): the demo holds the simulated market only"; \
		$(BIN)/talentflow run exodus-2022 --out $(DEMO) --scale $(DEMO_SCALE) --seed 1; \
	fi
	$(BIN)/talentflow status --db $(DEMO)/talentflow.duckdb

# The tests run in a random order (pytest-randomly), whose seed is printed: `make test SEED=N` repeats an order.
# They run in JOBS processes (pytest-xdist; one per core by default), a test file to a process (tests/conftest.py
# keeps the files sharing the Spark session or the browser in one); `make test JOBS=0` runs them in this one.
# The claims tests run once more alone and in file order, since an order-dependent answer broke them once.
SEED ?= $(shell date +%s)
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
test: setup
	@echo "tests in random order: make test SEED=$(SEED) repeats it"
	$(BIN)/python -m pytest -q -p randomly --randomly-seed=$(SEED) --durations=15 -n $(JOBS) --dist loadgroup
	$(BIN)/python -m pytest -q -p no:randomly tests/test_claims.py
	@echo "the tests marked cluster again, on a standalone Spark cluster (a master and two workers on loopback)"
	TALENTFLOW_TEST_SPARK=cluster $(BIN)/python -m pytest -q -p no:randomly -m cluster

# A standalone Spark cluster from the pyspark installation: a master and two workers (1 core, 1 GB each) on
# 127.0.0.1, pid files and logs in $(CLUSTER); `talentflow indicators ... --engine spark --spark-master
# spark://127.0.0.1:7077` then runs on it (docs/indicators.md, "Spark on a cluster").
CLUSTER ?= .spark-cluster
cluster-up: setup
	$(BIN)/talentflow cluster up --dir $(CLUSTER) --workers 2 --cores 1 --memory 1g

cluster-down: setup
	$(BIN)/talentflow cluster down --dir $(CLUSTER)

bench: setup
	$(BIN)/python -m pip install --quiet -e '.[dev,spark,bench]'
	$(BIN)/python bench/cli.py
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/simulate.py
	$(BIN)/python bench/indicators.py
	$(BIN)/python bench/migration.py
	$(BIN)/python bench/serve.py

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) demo spark-warehouse .spark-cluster .pytest_cache .ruff_cache
