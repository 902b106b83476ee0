# shellcheck shell=bash
# Shared by the bin/ steps: where the kit and its Python are, one-line messages, and the one
# guard every step runs first. Sourced, never run. Portable to macOS bash 3.2 and BSD tools.
# Decisions live in scripts/.
# shellcheck disable=SC2034 # the settings below are for the steps that source this file

RELEASEKIT_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PYTHON=${PYTHON:-python3}
if [ -x "$RELEASEKIT_ROOT/.venv/bin/python" ] && [ -z "${VIRTUAL_ENV:-}" ]; then
  PYTHON="$RELEASEKIT_ROOT/.venv/bin/python"
fi
CHANGES=${CHANGES:-CHANGES.rst}
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
# never decides. The scripts' yes_no() (src/releasekit/rules/cli.py) reads the same way;
# tests/test_contract.py runs both over one table.
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

# The guard: a DRY_RUN that is no yes/no stops every step before its first command, so no
# step writes even a scratch file under a typo (the scripts refuse it too, when run alone).
is_true DRY_RUN || :
