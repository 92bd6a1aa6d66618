# talentflow: `make demo` runs the main job on the built-in default, `make test` runs every test.
# Both set up what they need: system packages when missing, Python packages into .venv.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SHARED ?= ../shared/data
DEMO_DB ?= demo/talentflow.duckdb
STAMP := $(VENV)/.installed

.PHONY: setup demo test bench lint format clean system

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

# The main job on the built-in default: simulate exodus-2022 (50,000 workers, counts scaled to the full
# market), ingest its board records, then the real data in ../shared/data when it is there.
demo: setup
	@rm -rf $(DEMO_DB) demo/sim && mkdir -p $(dir $(DEMO_DB))
	$(BIN)/talentflow simulate exodus-2022 --out demo/sim --scale 0.05 --seed 1
	$(BIN)/talentflow ingest demo/sim --db $(DEMO_DB)
	@if [ -d "$(SHARED)" ]; then \
		$(BIN)/talentflow reference areas $(SHARED)/hh-api/dictionaries/areas_2024-12.json --db $(DEMO_DB) && \
		$(BIN)/talentflow ingest $(SHARED)/hh-api/examples $(SHARED)/hh-vacancies-urfu $(SHARED)/innovationgraph \
			$(SHARED)/indeed-hiring-lab --db $(DEMO_DB); \
	else echo "no real data at $(SHARED): the demo store holds the simulated market only"; fi
	$(BIN)/talentflow status --db $(DEMO_DB)

test: setup
	$(BIN)/python -m pytest -q

bench: setup
	$(BIN)/python -m pip install --quiet -e '.[dev,spark,bench]'
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/simulate.py
	$(BIN)/python bench/indicators.py
	$(BIN)/python bench/migration.py
	$(BIN)/python bench/serve.py

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) demo spark-warehouse .pytest_cache .ruff_cache
