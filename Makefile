# Sluice — the one front door. `make` alone lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
TOX := $(BIN)/tox

.DEFAULT_GOAL := help
.PHONY: help test test-unit test-functional lint typecheck format bench demo clean

help: ## List the targets
	@echo "Sluice: a realtime event pipeline for video-player telemetry"
	@echo
	@awk 'BEGIN {FS = ":.*## "} /^[a-z][a-zA-Z_-]+:.*## / {printf "  make %-14s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(VENV)/.installed: shared/pyproject.toml images/*/pyproject.toml tests/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet tox ruff -e 'shared[local]' -e images/ingest -e images/processor -e images/indexer -e images/loader -e images/monitor -r tests/requirements.txt
	@touch $@

test: $(VENV)/.installed ## Run every check and test, as CI does
	$(TOX) run -e lint,typecheck,unit,functional

test-unit: $(VENV)/.installed ## Unit tests only (the fast loop); pass args with ARGS="-k codec"
	$(TOX) run -e unit -- $(ARGS)

test-functional: $(VENV)/.installed ## Functional tests against moto in server mode
	$(TOX) run -e functional -- $(ARGS)

lint: $(VENV)/.installed ## ruff lint and format check
	$(TOX) run -e lint

typecheck: $(VENV)/.installed ## mypy on the library
	$(TOX) run -e typecheck

format: $(VENV)/.installed ## Reformat and autofix with ruff
	$(BIN)/ruff format . && $(BIN)/ruff check --fix .

bench: $(VENV)/.installed ## Throughput figures, each beside its baseline
	cd tests && ../$(BIN)/python -m bench

demo: $(VENV)/.installed ## Run simulated player traffic through Sluice and print what happened
	$(BIN)/sluice demo

clean: ## Remove the virtualenv, tox environments and caches
	rm -rf $(VENV) .tox .mypy_cache .ruff_cache .pytest_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
