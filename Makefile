# Everything the project needs is installed by these targets into .venv; nothing by hand.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CLI := $(BIN)/routing-analytics

.PHONY: install demo test test-fast test-fast-pytest test-fast-dbt-unit lint bench browser db-start db-stop clean
.DEFAULT_GOAL := help

help:
	@echo "make demo   - start the embedded PostgreSQL, generate, load, build and summarise"
	@echo "make test   - ruff, mypy, pytest (with a throwaway PostgreSQL), sqlfluff, dbt build"
	@echo "make test-fast - ruff, the tests without a database, dbt unit tests (< 1 min)"
	@echo "make bench  - loader throughput against PostgreSQL's COPY, and the scheduled run at SCALE=1M"
	@echo "make bench BENCH=api - 200 concurrent clients on the API and dashboard (after make demo)"

# constraints.txt locks every package version (refresh: pip freeze --exclude-editable).
$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required"'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	@touch $@

install: $(STAMP)

demo: install
	$(CLI) demo

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# The dashboard's browser test drives Debian's Chromium with Playwright (which downloads no
# browser of its own); installed here when missing.
CHROMIUM := /usr/bin/chromium

$(CHROMIUM):
	@echo "installing Debian's chromium for the dashboard's browser test"
	@if [ "$$(id -u)" = 0 ]; then APT=apt-get; \
	elif command -v sudo >/dev/null; then APT="sudo apt-get"; \
	else echo "install Debian's chromium package for the browser test" >&2; exit 1; fi; \
	DEBIAN_FRONTEND=noninteractive $$APT install -y -q chromium >/dev/null \
		|| { $$APT update -q >/dev/null && DEBIAN_FRONTEND=noninteractive $$APT install -y -q chromium >/dev/null; }

browser: $(CHROMIUM)

# The throwaway server lives for this target only; tests make their own databases in it.
test: lint $(CHROMIUM)
	$(CLI) throwaway-db -- $(MAKE) --no-print-directory test-with-database

# Each test has a database of its own, so the tests run on several workers; a group of tests
# that share one warehouse they change stay on one worker (tests/python/conftest.py).
TEST_WORKERS ?= 3

test-with-database:
	$(CLI) lint
	$(BIN)/pytest -n $(TEST_WORKERS) --durations 10

# The tests that need no warehouse: pytest without the integration ones, and dbt's unit
# tests on empty relations (dbt needs the models' parents to exist, not their rows). The two
# halves run side by side (each is mostly one busy process); each prints when it is done.
test-fast: install
	$(BIN)/ruff check .
	$(MAKE) --no-print-directory -j2 --output-sync=target test-fast-pytest test-fast-dbt-unit

test-fast-pytest:
	$(BIN)/pytest -m "not integration" --durations 5

test-fast-dbt-unit:
	$(CLI) throwaway-db -- $(CLI) dbt -- build --empty --select "+test_type:unit" \
		--exclude-resource-type test --quiet

# BENCH=loader (the loader against PostgreSQL's COPY), run (the scheduled run at SCALE:
# first run, one new hour, one new day, dashboard queries, sizes) or all; SCALE=30k (a smoke
# test), 300k, 1M, 3M (the largest that fits this machine's disk), 10M or 100M. BENCH=api:
# 200 concurrent clients against `serve` on the demo's warehouse (after `make demo`; not
# part of all).
BENCH ?= all
SCALE ?= 1M
# END_DATE=YYYY-MM-DD: the data set's last day (default two days ago); a month's last day
# gives the run's month all its days.
END_DATE ?=

bench: install
	@if [ "$(BENCH)" = loader ] || [ "$(BENCH)" = all ]; then \
		$(BIN)/python -m routing_analytics.tools.bench; fi
	@if [ "$(BENCH)" = run ] || [ "$(BENCH)" = all ]; then \
		$(BIN)/python -m routing_analytics.tools.bench_runs --scale $(SCALE) \
			$(if $(END_DATE),--end-date $(END_DATE)); fi
	@if [ "$(BENCH)" = api ]; then $(BIN)/python -m routing_analytics.tools.load_test; fi

db-start: install
	$(CLI) db start

db-stop: install
	$(CLI) db stop

clean:
	rm -rf target logs .pytest_cache .ruff_cache .mypy_cache
