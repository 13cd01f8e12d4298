# Sluice — the one front door. `make` alone lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
TOX := $(BIN)/tox
STAGES ?= $(notdir $(patsubst %/pyproject.toml,%,$(wildcard images/*/pyproject.toml)))
# A base Python image for the stage images; CI and air-gapped machines use the local base.
PYTHON_IMAGE ?= python:3.12.8-slim-bookworm
export PYTHON_IMAGE

.DEFAULT_GOAL := help
.PHONY: help test test-web test-browser test-unit test-functional test-integration test-images tf-validate security tf-images lint typecheck format bench demo soak clean build-images push-images run-image image-report local-base release

help: ## List the targets
	@echo "Sluice: a realtime event pipeline for video-player telemetry"
	@echo
	@awk 'BEGIN {FS = ":.*## "} /^[a-z][a-zA-Z_-]+:.*## / {printf "  make %-14s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(VENV)/.installed: shared/pyproject.toml tools/pyproject.toml images/*/pyproject.toml tests/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet tox tox-uv ruff -e shared -e tools -e images/ingest -e images/processor -e images/indexer -e images/loader -e images/monitor -r tests/requirements.txt
	@touch $@

test: $(VENV)/.installed ## Run every check and test, as CI does
	$(TOX) run -e lint,typecheck,unit,web,functional,integration,browser,images,terraform,security

test-web: $(VENV)/.installed ## The web SDK (clients/web): npm ci, eslint, node --test
	$(TOX) run -e web

test-browser: $(VENV)/.installed ## A real player in Debian's chromium against the local pipeline
	$(TOX) run -e browser -- $(ARGS)

test-unit: $(VENV)/.installed ## Unit tests only (the fast loop); pass args with ARGS="-k codec"
	$(TOX) run -e unit -- $(ARGS)

test-functional: $(VENV)/.installed ## Functional tests against moto in server mode
	$(TOX) run -e functional -- $(ARGS)

test-integration: $(VENV)/.installed ## The pipeline end to end on this machine
	$(TOX) run -e integration -- $(ARGS)

test-images: $(VENV)/.installed ## Build every image and run it against the Runtime API harness
	$(TOX) run -e images -- $(ARGS)

build-images: ## Build the base and stage images (STAGES="ingest processor"), write images.lock.json
	python3 docker/images.py build --stages $(STAGES) --python-image $(PYTHON_IMAGE)

push-images: ## Push to REGISTRY=<account>.dkr.ecr.<region>.amazonaws.com and record the digests
	@test -n "$(REGISTRY)" || { echo "set REGISTRY=<account>.dkr.ecr.<region>.amazonaws.com"; exit 2; }
	python3 docker/images.py push --registry $(REGISTRY) --stages $(STAGES)

run-image: ## Run STAGE=<stage> under the Lambda Runtime Interface Emulator on port 9000
	@test -n "$(STAGE)" || { echo "set STAGE=ingest|processor|indexer|loader|monitor"; exit 2; }
	python3 docker/images.py run --stage $(STAGE)

image-report: $(VENV)/.installed ## Size, layers, first invocation (clients built, real calls) of every built image vs a bare one
	$(BIN)/python -m sluice_tools.local.image_report

local-base: ## Build the registry-free Debian base (debootstrap) and import it into the engine
	docker/local-base/build-local-base.sh

tf-validate: $(VENV)/.installed ## Terraform fmt, validate, plan-only tests and the local-stack apply
	$(TOX) run -e terraform

security: $(VENV)/.installed ## checkov over terraform/
	$(TOX) run -e security

release: ## Cut release VERSION=x.y.z: check it, bump every version, build and tag sluice-<stage>:x.y.z, digests into CHANGELOG.md
	@test -n "$(VERSION)" || { echo "set VERSION=x.y.z (the one now: $$(cat VERSION))"; exit 2; }
	python3 scripts/release.py bump $(VERSION)
	@# Committed before the build, so the images carry the release commit's revision, not -dirty.
	git commit -q -m "Release $(VERSION)" -- $$(python3 scripts/release.py files)
	$(MAKE) build-images
	python3 scripts/release.py images
	@echo "then: git commit -m 'CHANGELOG: the images of $(VERSION)' CHANGELOG.md && git tag v$(VERSION);"
	@echo "after make push-images REGISTRY=..., python3 scripts/release.py images again records the registry digests"

tf-images: ## Write terraform/envs/aws/images.auto.tfvars.json from images.lock.json (after push-images)
	python3 docker/images.py tfvars --output terraform/envs/aws/images.auto.tfvars.json

lint: $(VENV)/.installed ## ruff lint and format check
	$(TOX) run -e lint

typecheck: $(VENV)/.installed ## mypy on the library
	$(TOX) run -e typecheck

format: $(VENV)/.installed ## Reformat and autofix with ruff
	$(BIN)/ruff format . && $(BIN)/ruff check --fix .

bench: $(VENV)/.installed ## Throughput figures, each beside its baseline
	cd tests && ../$(BIN)/python -m bench

demo: $(VENV)/.installed ## The whole pipeline locally: simulated players, then the accounting of every event
	$(BIN)/sluice demo $(DEMO_ARGS)

soak: $(VENV)/.installed ## 200,000 events from 16 concurrent clients, then the exact accounting (SOAK_ARGS="--events 50000")
	$(BIN)/python -m sluice_tools.local.soak $(SOAK_ARGS)

clean: ## Remove the virtualenv, tox environments and caches
	rm -rf $(VENV) .tox .mypy_cache .ruff_cache .pytest_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
