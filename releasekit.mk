# releasekit.mk: the release train as make targets. The kit's own Makefile includes it, and
# `releasekit init` copies it into a project and adds `include releasekit.mk` to its Makefile.
# Every variable below can be overridden on the command line or from the environment;
# [tool.releasekit] in the project's pyproject.toml sets the project's own defaults.
#
# A guest in the project's Makefile: it sets no make flags, no default goal and no global
# SHELL; bash with -euo pipefail and the train's variables in the environment apply to the
# train's own targets only (RELEASEKIT_TARGETS, at the end); its targets depend on no file of
# the project's, so no rule of the project's runs for them. Included twice, it is read once.
ifndef releasekit_fragment
releasekit_fragment := $(lastword $(MAKEFILE_LIST))

# Values are data. RULE FOR EVERY RECIPE, new targets included: never splice a variable's
# value into shell text. Write "$$CHANGES", never "$(CHANGES)" or $(PY): `export` the
# variable and let the shell read it from the environment, so a `$(...)`, a backtick, a quote,
# a `;` or a newline in a value runs nothing. Where Make itself must run a command
# ($(shell ...)), quote each value with $(call shell_quote,...). A value given on the command
# line or in the environment is taken literally: a `$` in it is text, not a Make reference
# (`VERSION='$(shell ...)'` runs nothing); list every variable a user may set (each `?=`) in
# a $(call take_literally,...). tests/test_make_injection.py checks all of this.
take_literally = $(foreach v,$(1),$(if $(filter command line environment environment override,\
    $(origin $(v))),$(eval override $(v) := $$(value $(v)))$(eval export $(v))))
shell_quote = '$(subst ','\'',$(1))'
$(call take_literally,PYTHON VENV PY DRY_RUN BASE_BRANCH REMOTE CHANGES TAG_PATTERN VERSION SIGN \
    PACKAGE_DIR DIST BUILD_NO_ISOLATION RESUME PYPI_REPOSITORY_URL PYPI_SIMPLE_URL GITHUB_API_URL \
    DOCKER IMAGE_LOCAL IMAGES_EVERY_BUILD IMAGES_RELEASE_ONLY REF BASE_IMAGE_LOCAL BASE_IMAGE \
    PLATFORMS DOCKERFILE VERSION_SOURCE CHANGES_FROM RELEASEKIT_BIN MAX_WAIT)

# The folder of this fragment: its scripts/ (and, unless [tool.releasekit] bin-dir says
# otherwise, its bin/ steps) sit beside it.
RELEASEKIT_DIR := $(patsubst %/,%,$(dir $(releasekit_fragment)))

PYTHON       ?= python3
VENV         ?= .venv
PY           ?= $(if $(wildcard $(VENV)/bin/python),$(VENV)/bin/python,$(PYTHON))

# [tool.releasekit] -> `NAME ?= value` lines; they come first, so they only set defaults.
RELEASEKIT_CONFIG := $(shell $(call shell_quote,$(PY)) \
    $(call shell_quote,$(RELEASEKIT_DIR)/scripts/project_config.py) make-include)
ifneq ($(RELEASEKIT_CONFIG),)
include $(RELEASEKIT_CONFIG)
endif

DRY_RUN      ?= 0
BASE_BRANCH  ?= main
REMOTE       ?= origin
CHANGES      ?= CHANGES.rst
CHANGES_FROM ?= commits
TAG_PATTERN  ?= v*
VERSION      ?=
VERSION_SOURCE ?= bumpver
SIGN         ?= 0
PACKAGE_DIR  ?= .
DIST         ?= dist
BUILD_NO_ISOLATION ?= 0
RESUME       ?=
PYPI_REPOSITORY_URL ?= https://upload.pypi.org/legacy/
PYPI_SIMPLE_URL ?=
GITHUB_API_URL ?= https://api.github.com
# Most seconds one step may wait in all (each script's --max-wait); empty: each script's own.
MAX_WAIT     ?=
BASE_IMAGE_LOCAL ?= localhost/releasekit-base:python3
BASE_IMAGE   ?=
PLATFORMS    ?=
DOCKERFILE   ?= Dockerfile
# The bin/ steps: beside the fragment, or where [tool.releasekit] bin-dir puts them (a project
# whose .gitignore hides bin/ keeps them in another folder).
RELEASEKIT_BIN ?= $(RELEASEKIT_DIR)/bin

# Handed to the train's recipes in their environment (and only to theirs: see the end).
RELEASEKIT_EXPORTS := DRY_RUN BASE_BRANCH REMOTE CHANGES CHANGES_FROM TAG_PATTERN VERSION \
    VERSION_SOURCE SIGN RELEASEKIT_DIR RELEASEKIT_BIN PY VENV PACKAGE_DIR DIST BUILD_NO_ISOLATION \
    RESUME PYPI_REPOSITORY_URL PYPI_SIMPLE_URL GITHUB_API_URL DOCKER BASE_IMAGE_LOCAL BASE_IMAGE \
    PLATFORMS IMAGE_LOCAL DOCKERFILE IMAGES_EVERY_BUILD IMAGES_RELEASE_ONLY REF MAX_WAIT

.PHONY: help
help: export HELP_MAKEFILES = $(MAKEFILE_LIST)
help: ## Show this help
	@printf 'Usage: make <target> [VAR=value ...]\n\nTargets:\n'
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_.-]+:.*## / {printf "  %-20s %s\n", $$1, $$2}' $$HELP_MAKEFILES
	@printf '\nVariables (current value):\n'
	@printf '  %-20s %s\n' DRY_RUN "$$DRY_RUN" BASE_BRANCH "$$BASE_BRANCH" REMOTE "$$REMOTE" \
		CHANGES "$$CHANGES" TAG_PATTERN "$$TAG_PATTERN" VERSION "$$VERSION" SIGN "$$SIGN" \
		PACKAGE_DIR "$$PACKAGE_DIR" RESUME "$$RESUME" PY "$$PY"

.PHONY: releasekit-deps
releasekit-deps: ## Install what the train's scripts need into .venv (VENV), creating it if needed
	"$$RELEASEKIT_BIN/releasekit-deps"

## ---- integration -------------------------------------------------------------

.PHONY: ci
ci: check test build ## Everything CI runs: the checks, the tests, then the build (check, test: the project's own)

.PHONY: build
build: ## sdist + wheel into DIST, twine check --strict, SHA256SUMS (unless DIST holds this very input)
	"$$RELEASEKIT_BIN/build"

.PHONY: image
image: ## The image from DIST's wheel (DOCKER, BASE_IMAGE, PLATFORMS) as IMAGE_LOCAL; build/image.json
	"$$RELEASEKIT_BIN/image"

.PHONY: base-image
base-image: ## A Python base image made offline from Debian packages (mmdebstrap), cached in .cache/
	"$$RELEASEKIT_BIN/base-image"

## ---- release train ---------------------------------------------------------

.PHONY: check-changes
check-changes: ## Check that the top section of CHANGES.rst is ready to release
	"$$PY" "$$RELEASEKIT_DIR/scripts/changes.py" --file "$$PACKAGE_DIR/$$CHANGES" check --tag-pattern "$$TAG_PATTERN"

.PHONY: release-candidate rc
release-candidate: ## Draft the next CHANGES.rst section, push it and open or update the draft PR
	"$$RELEASEKIT_BIN/release-candidate"
rc: release-candidate ## Alias of release-candidate

.PHONY: release-tag
release-tag: ## Check the notes, bumpver PACKAGE_DIR, tag from TAG_PATTERN, push atomically (RESUME=undo)
	"$$RELEASEKIT_BIN/release-tag"

.PHONY: dispatch-ci
dispatch-ci: ## Start ci.yml on the tag at HEAD when it was pushed with GITHUB_TOKEN (PUSHED_WITH)
	"$$RELEASEKIT_BIN/dispatch-ci"

## ---- deploy and verify ---------------------------------------------------

# Each deploy target decides from the ref whether it applies (one line when it does not),
# honours DRY_RUN=1, and checks what it published at its end. Safe under make -j.
DEPLOY_TARGETS := deploy-pypi deploy-github-release deploy-images
VERIFY_TARGETS := verify-pypi verify-github-release verify-images

.PHONY: deploy $(DEPLOY_TARGETS) verify $(VERIFY_TARGETS)
deploy: $(DEPLOY_TARGETS) ## Publish the built release everywhere it goes (make -j deploy runs them side by side)

# Every check runs, whichever fails first, so that one run names every mismatch.
verify: ## Prove what is published is byte for byte what was built; exit 1 naming each mismatch
	"$$RELEASEKIT_BIN/verify"

deploy-pypi: ## Upload DIST's wheel and sdist to PYPI_REPOSITORY_URL (version tags only; re-run safe)
	"$$PY" "$$RELEASEKIT_DIR/scripts/pypi_publish.py" publish

verify-pypi: ## Check that the index serves every file of DIST/SHA256SUMS with that hash
	"$$RELEASEKIT_BIN/verify" pypi

deploy-github-release: ## Create or complete the draft GitHub Release: notes as body, DIST and CHANGES.rst as assets
	"$$RELEASEKIT_BIN/deploy-github-release"

verify-github-release: ## Check that every asset of the tag's GitHub Release matches its local file
	"$$RELEASEKIT_BIN/verify" github-release

## ---- deploy: images ---------------------------------------------------------
# Images: empty means the default (docker.io/ and ghcr.io/ + GITHUB_REPOSITORY or the remote's
# owner/name); `none` means no image of that kind. Credentials come from the environment only:
# DOCKERHUB_USERNAME/DOCKERHUB_TOKEN and GHCR_USERNAME/GHCR_TOKEN.
DOCKER              ?= docker
IMAGE_LOCAL         ?=
IMAGES_EVERY_BUILD  ?=
IMAGES_RELEASE_ONLY ?=
REF                 ?=

.PHONY: deploy-images deploy-dockerhub deploy-ghcr verify-images plan
deploy-images: ## deploy-dockerhub then deploy-ghcr, in that order (GHCR copies Docker Hub's digest)
	"$$RELEASEKIT_BIN/deploy-image" dockerhub
	"$$RELEASEKIT_BIN/deploy-image" ghcr

deploy-dockerhub: ## Push the built image once, then its other tags by digest (every-build images)
	"$$RELEASEKIT_BIN/deploy-image" dockerhub

deploy-ghcr: ## Copy the built image by digest to the release-only images (version tags only)
	"$$RELEASEKIT_BIN/deploy-image" ghcr

verify-images: ## Check that every planned registry tag resolves to the built image's digest
	"$$RELEASEKIT_BIN/verify" images

plan: ## What every deploy target would publish for the ref (REF=... picks one); touches nothing
	"$$RELEASEKIT_BIN/plan"

## ---- the project's checks for ci.yml -------------------------------------------------
# Where the project's Makefile has no check/test target for ci.yml to run, `releasekit init`
# writes ci-checks.mk (ci-checks, ci-tests) beside this fragment: the project's own file.
-include $(RELEASEKIT_DIR)/ci-checks.mk

## ---- the train's targets: their shell and their environment ----------------------------

# Every target above but `ci` (whose check and test are the project's own): each runs its
# recipe in bash with -euo pipefail and sees the train's variables in its environment. Set
# per target, so the project's recipes keep their own SHELL, flags and environment; `ci`
# is left out because a target's settings pass to its prerequisites.
RELEASEKIT_TARGETS := help releasekit-deps build image base-image check-changes \
    release-candidate rc release-tag dispatch-ci deploy $(DEPLOY_TARGETS) verify $(VERIFY_TARGETS) \
    deploy-dockerhub deploy-ghcr plan
$(RELEASEKIT_TARGETS): SHELL := bash
$(RELEASEKIT_TARGETS): .SHELLFLAGS := -euo pipefail -c
$(foreach v,$(RELEASEKIT_EXPORTS),$(eval $(RELEASEKIT_TARGETS): export $(v) := $$($(v))))

# The makefiles read here are never remade: no rule of the project's applies to them.
$(releasekit_fragment) $(RELEASEKIT_CONFIG) $(RELEASEKIT_DIR)/ci-checks.mk: ;

endif
