# Everything the project needs is installed by these targets into .venv; nothing by hand.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CLI := $(BIN)/routing-analytics

.PHONY: install demo test lint bench db-start db-stop clean
.DEFAULT_GOAL := help

help:
	@echo "make demo   - start the embedded PostgreSQL, generate, load, build and summarise"
	@echo "make test   - ruff, pytest (with a throwaway PostgreSQL), sqlfluff, dbt build"
	@echo "make bench  - loader throughput against PostgreSQL's own COPY (1M executions)"

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

# The throwaway server lives for this target only; tests make their own databases in it.
test: lint
	$(CLI) throwaway-db -- $(MAKE) --no-print-directory test-with-database

test-with-database:
	$(CLI) lint
	$(BIN)/pytest

bench: install
	$(BIN)/python -m loader.bench

db-start: install
	$(CLI) db start

db-stop: install
	$(CLI) db stop

clean:
	rm -rf target logs .pytest_cache .ruff_cache
