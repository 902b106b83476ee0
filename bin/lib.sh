# shellcheck shell=bash
# Shared helpers for the bin/ steps: messages, dry-run aware command runner, git guards.
# Sourced, never run. Portable to macOS bash 3.2 and BSD tools.
# shellcheck disable=SC2034 # the settings below are for the steps that source this file

RELEASEKIT_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PYTHON=${PYTHON:-python3}
if [ -x "$RELEASEKIT_ROOT/.venv/bin/python" ] && [ -z "${VIRTUAL_ENV:-}" ]; then
  PYTHON="$RELEASEKIT_ROOT/.venv/bin/python"
fi
DRY_RUN=${DRY_RUN:-0}
BASE_BRANCH=${BASE_BRANCH:-main}
REMOTE=${REMOTE:-origin}
CHANGES=${CHANGES:-CHANGES.rst}
TAG_PATTERN=${TAG_PATTERN:-v*}
SCRIPTS="$RELEASEKIT_ROOT/scripts"

# One clear line on stderr, then exit. Exit 2 is bad input or a refusal, 1 a failure.
die() {
  local code=${2:-1}
  printf '%s: error: %s\n' "${0##*/}" "$1" >&2
  exit "$code"
}

info() {
  printf '%s: %s\n' "${0##*/}" "$*" >&2
}

# The yes/no setting named $1: 1/true/yes/on is yes (status 0), 0/false/no/off or empty is no
# (status 1), any case, spaces around ignored. Anything else stops the step (exit 2): a typo
# never decides. The scripts' yes_no() reads the same way (tests/test_contract.py).
is_true() {
  local name=$1 word shown nl=$'\n' cr=$'\r'
  word=$(printf '%s' "${!name:-}" | tr '[:upper:]' '[:lower:]')
  word=${word#"${word%%[![:space:]]*}"}
  word=${word%"${word##*[![:space:]]}"}
  case "$word" in
    1 | true | yes | on) return 0 ;;
    0 | false | no | off | '') return 1 ;;
  esac
  shown=${!name}
  shown=${shown//$nl/\\n}
  shown=${shown//$cr/\\r} # one line, as Python's repr() shows it
  die "$name='$shown' is not a yes/no value (use 1/0, true/false, yes/no, on/off)" 2
}

is_dry_run() {
  is_true DRY_RUN
}

# Run a command that changes something outside the checkout; in dry-run, only show it.
run() {
  if is_dry_run; then
    printf 'DRY_RUN: would run:' >&2
    printf ' %q' "$@" >&2
    printf '\n' >&2
  else
    "$@"
  fi
}

# Write "name=value" to GITHUB_OUTPUT when running in Actions.
gh_output() {
  if [ -n "${GITHUB_OUTPUT:-}" ]; then
    printf '%s=%s\n' "$1" "$2" >>"$GITHUB_OUTPUT"
  fi
}

# Append Markdown to the job summary when running in Actions.
gh_summary() {
  if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
    printf '%s\n' "$@" >>"$GITHUB_STEP_SUMMARY"
  fi
}

require_git_repo() {
  git rev-parse --git-dir >/dev/null 2>&1 || die "not inside a git repository" 2
  [ "$(git rev-parse --is-inside-work-tree 2>/dev/null)" = true ] ||
    die "not inside a work tree (a bare repository?); run it from a checkout of the project" 2
}

# GITHUB_OUTPUT and GITHUB_STEP_SUMMARY, when set, must be writable files: checked first.
require_writable_outputs() {
  local name value
  for name in GITHUB_OUTPUT GITHUB_STEP_SUMMARY; do
    value=${!name:-}
    [ -n "$value" ] || continue
    { [ ! -d "$value" ] && : >>"$value"; } 2>/dev/null || die "$name=$value is not a writable file" 2
  done
}

require_clean_tree() {
  if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
    die "the working tree has uncommitted changes; commit or stash them first" 2
  fi
}

current_branch() {
  git symbolic-ref --quiet --short HEAD || true
}

# Every step reads DRY_RUN before it does anything: one that is no yes/no stops it here.
is_dry_run || :
