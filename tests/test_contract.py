"""One table per shared rule, run once on the rule module that holds it.

Each shared rule lives in one module of src/releasekit/rules/; tools/assemble.py inlines it
into the scripts that use it (tests/test_assemble.py checks they are current). Register a
rule under its module in RULES. The one copy in another language, bin/lib.sh's yes/no guard,
is in BASH_COPIES and runs over the same table. What each assembled script carries of its
own (its PEP 723 header, its commit subjects) runs over the scripts.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import importlib
import importlib.util
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from packaging.version import Version

from tests.conftest import ROOT, declared_dependencies
from tests.peers.git_repos import GitRepo
from tests.peers.github_api import GitHubStandIn

# Which ref a deploy target works for, and what kind it is: every deploy planner agrees.
REF_RULES = ("ref_kind", "full_ref", "current_ref")
# The deploy targets that release a version tag only (PyPI, the GitHub Release) agree too.
DEPLOY_RULES = ("release_tag_of", "checkout_head")
# The one-line refusal (`PROG: error: ...`), of a script and of its command line.
ONE_LINE = {"fail", "Parser"}
ACTIONS_CHECK = "actions_files_problem"  # asked before a step changes anything
OUTPUTS = {"output_lines", "write_outputs", ACTIONS_CHECK}
ACTIONS_FILES = {*OUTPUTS, "write_summary"}
# The refusals of the two steps that change the checkout (release-tag, release-candidate):
# each is `check(run) -> message | None` over the script's own Run(parse_args([])).
CHECKOUT_CHECKS = {
    "not_a_repository",
    "no_commits",
    "operation_in_progress",
    "dirty_tree",
    "unwritable_outputs",
}
GIT_HELPERS = {"git", "out", "ok"}  # git, its output, its status; a failure is one line
TREE = "work_tree_problem"  # every file a step reads or writes is inside the work tree
# How long a GitHub call waits, how often it is tried, and the one deadline (--max-wait)
# over every request, time-out and wait of a run.
RETRIES = {"retry_delay", "Deadline", "seconds"}
# OWNER/REPO: a given one checked, else read from the remote's URL as `gh` reads it.
REPOSITORY = {"valid_repository", "repository_of_url"}
# ...and where the scripts that need one read it (said in one line, else refused in one).
FROM_REMOTE = "repository_from_remote"

RULES_DIR = "src/releasekit/rules"
# rule module (relative to the repository root) -> the shared rules it holds
RULES: dict[str, set[str]] = {
    f"{RULES_DIR}/versions.py": {"is_releasable"},
    f"{RULES_DIR}/refs.py": {
        "tag_for",
        "version_of_tag",
        *REF_RULES,
        *DEPLOY_RULES,
        "last_release",
    },
    f"{RULES_DIR}/changelog.py": {"heading_parts", "heading_date", "date_line", "layout"},
    f"{RULES_DIR}/cli.py": {"yes_no", *ONE_LINE},
    f"{RULES_DIR}/actions.py": ACTIONS_FILES,
    f"{RULES_DIR}/worktree.py": {TREE},
    f"{RULES_DIR}/retries.py": RETRIES,
    f"{RULES_DIR}/github.py": {"api_message", FROM_REMOTE, "github_client"},
    f"{RULES_DIR}/repository.py": REPOSITORY,
    f"{RULES_DIR}/checkout.py": {*CHECKOUT_CHECKS, *GIT_HELPERS},
    f"{RULES_DIR}/commands.py": {"run"},
    f"{RULES_DIR}/rc.py": {"rc_branch", "is_rc_branch"},
    f"{RULES_DIR}/registries.py": {"api_host", "api_path", "is_loopback", "plain_http"},
    f"{RULES_DIR}/secrets.py": {"redact", "bad_secret"},
}
# sourced bash file -> rule -> its function there (`is_true NAME`: status 0 yes, 1 no, else
# one line and exit 2)
BASH_COPIES: dict[str, dict[str, str]] = {
    "bin/lib.sh": {"yes_no": "is_true"},
}

# A run without a package: (the module an import missed, the package the one line names), for
# each package the copy's own PEP 723 header declares: {package}, imported as {module}.
# The line also lists every package of that header, for `pip install`.
MISSING_DEPENDENCY = [
    ("{module}", "{package}"),
    ("{module}.sub", "{package}"),  # a module inside it
    ("six", "six"),  # not in the header (a dependency's own): named as imported
]
UV_RUN = "(or run it with uv run, which reads the script's header)"

# (version, TAG_PATTERN) -> tag
TAG_FOR = [
    ("1.2.3", "v*", "v1.2.3"),
    ("1.2.3", "pkg-v*", "pkg-v1.2.3"),
    ("1.2.3", "*", "1.2.3"),
    ("1.2.3rc1", "v*", "v1.2.3rc1"),
    ("1.2.3-rc.1", "v*", "v1.2.3rc1"),  # the PEP 440 normal form
    ("1.0-beta", "release-*", "release-1.0b0"),
    ("1.2.3.post1", "v*-final", "v1.2.3.post1"),  # the prefix is what comes before `*`
]

# (tag, TAG_PATTERN) -> version, or None
VERSION_OF_TAG = [
    ("v1.2.3", "v*", "1.2.3"),
    ("pkg-v1.1.0", "pkg-v*", "1.1.0"),
    ("8.1.7", "*", "8.1.7"),
    ("8.1.7", "v*", None),  # no prefix
    ("v1.0-beta", "v*", "1.0b0"),  # PEP 440 reads it: a version
    ("vnext", "v*", None),
    ("v", "v*", None),
    ("other-v1.0.0", "pkg-v*", None),
    ("pkg-v2.0.0rc1", "pkg-v*", "2.0.0rc1"),
    ("v" + "1" * 5000, "v*", None),  # past int()'s 4,300 digits: no version, no traceback
]

# (full ref, GITHUB_EVENT_NAME, BASE_BRANCH, TAG_PATTERN) -> kind
REF_KIND = [
    ("refs/tags/v1.2.3", "push", "main", "v*", "release-tag"),
    ("refs/tags/v1.2.3rc1", "", "main", "v*", "release-tag"),
    ("refs/tags/pkg-v2.0.0", "", "main", "pkg-v*", "release-tag"),
    ("refs/tags/v1.2.3", "", "main", "pkg-v*", "other"),
    ("refs/tags/nightly", "", "main", "v*", "other"),
    ("refs/heads/main", "push", "main", "v*", "base-branch"),
    ("refs/heads/main", "", "trunk", "v*", "other"),
    ("refs/heads/topic", "", "main", "v*", "other"),
    ("refs/pull/7/merge", "pull_request", "main", "v*", "pull-request"),
    ("refs/pull/7/head", "", "main", "v*", "pull-request"),
    ("refs/heads/main", "pull_request_target", "main", "v*", "pull-request"),
    ("HEAD", "", "main", "v*", "other"),
]

# (a ref given by hand, TAG_PATTERN) -> the full ref
FULL_REF = [
    ("refs/tags/v1.2.3", "v*", "refs/tags/v1.2.3"),
    ("refs/heads/main", "v*", "refs/heads/main"),
    ("v1.2.3", "v*", "refs/tags/v1.2.3"),  # a version tag, even one not made yet
    ("pkg-v1.0.0", "pkg-v*", "refs/tags/pkg-v1.0.0"),
    ("v1.2.3", "pkg-v*", "refs/heads/v1.2.3"),
    ("main", "v*", "refs/heads/main"),
    ("nightly", "v*", "refs/heads/nightly"),
    ("pr-42", "v*", "refs/pull/42/merge"),
]

# (environment, tags at HEAD, branch at HEAD, TAG_PATTERN) -> the full ref: REF, else
# GITHUB_REF, else GITHUB_REF_NAME + GITHUB_REF_TYPE, else the checkout
CURRENT_REF = [
    ({"REF": "v1.2.3", "GITHUB_REF": "refs/heads/main"}, [], "main", "v*", "refs/tags/v1.2.3"),
    ({"REF": "refs/heads/topic"}, ["v1.0.0"], "main", "v*", "refs/heads/topic"),
    ({"REF": "pr-9"}, [], "main", "v*", "refs/pull/9/merge"),
    ({"REF": "", "GITHUB_REF": "refs/tags/v2.0.0"}, [], "main", "v*", "refs/tags/v2.0.0"),
    ({"GITHUB_REF": "refs/pull/3/merge"}, ["v1.0.0"], "main", "v*", "refs/pull/3/merge"),
    ({"GITHUB_REF_NAME": "v1.0.0", "GITHUB_REF_TYPE": "tag"}, [], "", "v*", "refs/tags/v1.0.0"),
    ({"GITHUB_REF_NAME": "dev", "GITHUB_REF_TYPE": "branch"}, [], "", "v*", "refs/heads/dev"),
    ({"GITHUB_REF_NAME": "dev"}, [], "main", "v*", "refs/heads/main"),
    ({}, ["v1.0.0", "v1.10.0", "v1.9.0"], "main", "v*", "refs/tags/v1.10.0"),
    ({}, ["nightly", "v1.0.0rc1"], "", "v*", "refs/tags/v1.0.0rc1"),
    ({}, ["nightly"], "main", "v*", "refs/heads/main"),
    ({}, ["v1.0.0"], "main", "pkg-v*", "refs/heads/main"),
    ({}, [], "", "v*", "HEAD"),
]

# version -> releasable (proposed by the drafter, accepted by the check, written by bumpver)
IS_RELEASABLE = [
    ("1.2.3", True),
    ("0.1.0", True),
    ("10.20.30", True),
    ("1.2.3a1", True),
    ("1.2.3b2", True),
    ("1.2.3rc1", True),
    ("1.2.3.post1", True),
    ("1.2.3rc1.post2", True),
    ("1.2", False),  # bumpver's MAJOR.MINOR.PATCH needs three parts
    ("1.1", False),
    ("1.0b0", False),
    ("1.2.3.dev1", False),  # the kit's bumpver pattern has no .dev part
    ("1!1.2.3", False),
    ("1.2.3+local", False),
    ("v1.2.3", False),
    ("1.2.3-rc1", False),  # not normalised
    ("01.2.3", False),
    ("1.2.3.4", False),
    ("", False),
]

# section title -> (version, date) or None
HEADING_PARTS = [
    ("1.2.3 (2025-06-30)", ("1.2.3", "2025-06-30")),
    ("pytest-xdist 3.8.0 (2025-06-30)", ("3.8.0", "2025-06-30")),
    ("v1.2.3 (2025-06-30)", ("1.2.3", "2025-06-30")),
    ("1.2.3 - 2025-06-30", ("1.2.3", "2025-06-30")),
    ("Version 1.2.3", ("1.2.3", "")),
    ("1.2.3", ("1.2.3", "")),
    ("1.2.3 (March 8, 2015)", ("1.2.3", "March 8, 2015")),
    ("3.0.0 (tbd)", ("3.0.0", "tbd")),
    ("1.4.0 (unreleased)", ("1.4.0", "unreleased")),
    ("1.0-beta (2011-01-01)", ("1.0-beta", "2011-01-01")),
    ("1.2.3rc1 (2015-03-8)", ("1.2.3rc1", "2015-03-8")),  # read; the date is judged apart
    ("[1.2.3] - 2025-06-30", ("1.2.3", "2025-06-30")),  # Keep a Changelog
    ("[1.2.3]", ("1.2.3", "")),
    ("v7.6.2", ("7.6.2", "")),  # pip-tools; its date is on the line below
    ("[1.2.3 - 2025-06-30", None),
    ("1.2.3]", None),
    ("Changelog", None),
    ("Features", None),
    ("Unreleased", None),
    ("x.y.z (tbd)", None),
    ("2 new features", None),
]

# a yes/no setting's value (None: unset) -> True (yes), False (no) or None (refused, naming
# the setting and the value: a typo never decides whether a release goes out)
YES_NO = [
    ("1", True),
    ("true", True),
    ("yes", True),
    ("on", True),
    ("TRUE", True),
    ("Yes", True),
    ("oN", True),
    (" on ", True),
    ("\ttrue\n", True),
    ("0", False),
    ("false", False),
    ("no", False),
    ("off", False),
    ("FALSE", False),
    ("Off", False),
    (" 0 ", False),
    ("", False),
    ("  ", False),
    (None, False),
    ("ture", None),
    ("flase", None),
    ("2", None),
    ("-1", None),
    ("01", None),
    ("y", None),
    ("n", None),
    ("t", None),
    ("enabled", None),
    ("o n", None),
    ("yes please", None),
    ("'1'", None),
    ("1\n0", None),
]
REFUSED = "is not a yes/no value (use 1/0, true/false, yes/no, on/off)"

# Actions outputs -> how each is written: "=" (name=value) or "<<" (GitHub's heredoc form)
OUTPUT_LINES: list[tuple[dict[str, str], tuple[str, ...]]] = [
    ({"version": "1.2.3"}, ("=",)),
    ({"uploaded": ""}, ("=",)),
    ({"labels": "a=b"}, ("=",)),  # the first `=` ends the name
    ({"reason": "x << y"}, ("=",)),
    ({"tags": "a:1\na:latest"}, ("<<",)),
    ({"body": "ends with a newline\n"}, ("<<",)),
    ({"body": "\n"}, ("<<",)),
    ({"body": "windows\r\nline"}, ("<<",)),
    ({"body": "a bare\rreturn"}, ("<<",)),  # one line on Linux, two on Windows runners
    ({"body": "x\nEOF\ny"}, ("<<",)),  # the delimiter other tools pick
    ({"body": "x\nRELEASEKIT_\ny"}, ("<<",)),
    ({"version": "1.2.3", "tags": "a\nb", "push": "true"}, ("=", "<<", "=")),
]

# a path as a step gets it, run from the work tree `{top}` -> None (may be read or written),
# "symlink" or "outside". The tree: a.txt, sub/b.txt, link-in -> a.txt, inner -> sub,
# link-out -> {outside}/secret.txt, linked -> {outside}.
WORK_TREE_PROBLEM = [
    ("a.txt", None),
    ("sub/b.txt", None),
    ("sub", None),
    (".", None),
    ("not-yet-written.txt", None),
    ("sub/../a.txt", None),
    ("{top}/a.txt", None),
    ("inner/b.txt", None),  # a linked folder that stays inside
    ("link-in", "symlink"),
    ("inner", "symlink"),
    ("link-out", "symlink"),
    ("linked", "symlink"),
    ("linked/secret.txt", "outside"),
    ("linked/new.txt", "outside"),
    ("..", "outside"),
    ("../outside/secret.txt", "outside"),
    ("sub/../../outside/secret.txt", "outside"),
    ("{outside}/secret.txt", "outside"),
    ("/etc/hostname", "outside"),
]

# (message, exit status): one line on stderr, `PROG: error: message`, nothing on stdout
FAIL = [
    ("DIST dist is outside the work tree /w", 2),
    ("docker build failed (exit 1); its output is above", 1),
    ("interrupted", 1),
    ("", 1),
]

# a command (sh -c ...) -> its stdout, stripped, or None when run() refuses it; then what
# stands on stderr (the end of a failed command's output) and in the one-line refusal
RUN = [
    ("echo '  out  '", "out", "", ""),
    ("printf 'a\\nb\\n'", "a\nb", "", ""),
    (
        "echo out; echo err >&2; exit 3",
        None,
        "out\nerr\n",
        "thing failed (exit 3); its output is above",
    ),
    ("head -c 5000 /dev/zero | tr '\\0' a; exit 1", None, "a" * 4000, "thing failed (exit 1)"),
    ("exit 1", None, "", "thing failed (exit 1)"),
]

# GITHUB_OUTPUT / GITHUB_STEP_SUMMARY ({dir}: a writable folder holding `existing`, a file,
# and `link` -> existing) -> None (both can take appended lines, or are unset), else why not
ACTIONS_FILES_PROBLEM: list[tuple[dict[str, str], str | None]] = [
    ({}, None),
    ({"GITHUB_OUTPUT": "", "GITHUB_STEP_SUMMARY": ""}, None),
    ({"GITHUB_OUTPUT": "{dir}/existing", "GITHUB_STEP_SUMMARY": "{dir}/existing"}, None),
    ({"GITHUB_OUTPUT": "{dir}/new"}, None),  # created by the first write
    ({"GITHUB_STEP_SUMMARY": "new.md"}, None),  # relative to the current folder
    ({"GITHUB_OUTPUT": "{dir}"}, "GITHUB_OUTPUT={dir} is not a writable file: not a regular file"),
    (
        {"GITHUB_OUTPUT": "{dir}/link"},
        "GITHUB_OUTPUT={dir}/link is not a writable file: not a regular file",
    ),
    (
        {"GITHUB_OUTPUT": "/dev/null"},
        "GITHUB_OUTPUT=/dev/null is not a writable file: not a regular file",
    ),
    (
        {"GITHUB_STEP_SUMMARY": "{dir}/missing/summary.md"},
        "GITHUB_STEP_SUMMARY={dir}/missing/summary.md is not a writable file: cannot be created:"
        " its folder is missing or not writable",
    ),
    (
        {"GITHUB_OUTPUT": "{dir}/existing", "GITHUB_STEP_SUMMARY": "{dir}"},
        "GITHUB_STEP_SUMMARY={dir} is not a writable file: not a regular file",
    ),
    (  # the output first: one line names one file
        {"GITHUB_OUTPUT": "{dir}", "GITHUB_STEP_SUMMARY": "{dir}"},
        "GITHUB_OUTPUT={dir} is not a writable file: not a regular file",
    ),
]

# a GitHub error answer's (body, HTTP reason) -> the text a refusal shows
API_MESSAGE = [
    (b'{"message": "Not Found", "documentation_url": "https://docs.github.com"}', "", "Not Found"),
    (
        b'{"message": "Validation Failed", "errors": '
        b'[{"resource": "Release", "code": "already_exists", "field": "tag_name"}]}',
        "Unprocessable Entity",
        "Validation Failed; already_exists",
    ),
    (
        b'{"message": "Validation Failed", "errors": '
        b'[{"message": "A pull request already exists for o:b."}, {"code": "custom"}]}',
        "",
        "Validation Failed; A pull request already exists for o:b.; custom",
    ),
    (b'{"message": "x", "errors": ["plain", null, 3]}', "", "x"),
    (b'{"message": null, "errors": "nope"}', "", ""),
    (b"[]", "OK", ""),
    (b"<html><body>502 Bad Gateway</body></html>", "Bad Gateway", "Bad Gateway"),
    (b"", "Service Unavailable", "Service Unavailable"),
    (b"\xff\xfe", "Bad Request", "Bad Request"),
]

# a bad command line -> the one line after `PROG: error: ` (exit status 2, no usage block)
PARSER = [
    (["--bogus"], "unrecognized arguments: --bogus"),
    (["--known"], "argument --known: expected one argument"),
    (["--known", "a", "extra"], "unrecognized arguments: extra"),
]

# (full ref, GITHUB_EVENT_NAME, TAG_PATTERN) -> the version tag it releases, or None (skip)
RELEASE_TAG_OF = [
    ("refs/tags/v1.2.3", "push", "v*", "v1.2.3"),
    ("refs/tags/v1.2.3rc1", "", "v*", "v1.2.3rc1"),
    ("refs/tags/pkg-v2.0.0", "workflow_dispatch", "pkg-v*", "pkg-v2.0.0"),
    ("refs/tags/v1.2.3", "", "pkg-v*", None),
    ("refs/tags/nightly", "push", "v*", None),
    ("refs/tags/v1.2.3", "pull_request", "v*", None),  # a PR run never releases
    ("refs/heads/main", "push", "v*", None),
    ("refs/pull/7/merge", "pull_request", "v*", None),
    ("HEAD", "", "v*", None),
]

# (TAG_PATTERN, detached) -> (the tags at HEAD it matches, the branch or "" when detached);
# HEAD carries v1.0.0, v1.0.1rc1, pkg-v3.0.0 and nightly, on `main`
CHECKOUT_HEAD = [
    ("v*", False, (["v1.0.0", "v1.0.1rc1"], "main")),
    ("pkg-v*", False, (["pkg-v3.0.0"], "main")),
    ("release-*", False, ([], "main")),
    ("v*", True, (["v1.0.0", "v1.0.1rc1"], "")),
]

NOW = 1_700_000_000.0  # epoch seconds, as x-ratelimit-reset is
LIMIT = "API rate limit exceeded for installation ID 1."
SECONDARY = "You have exceeded a secondary rate limit. Please wait a few minutes."
# (status or None for no answer, headers, message, attempt) -> seconds to wait, or None
RETRY_DELAY: list[tuple[int | None, dict[str, str], str, int, float | None]] = [
    (None, {}, "", 0, 0.5),  # a dropped connection or a time-out: backoff, doubling
    (None, {}, "", 3, 4.0),
    (500, {}, "", 0, 0.5),
    (502, {}, "", 1, 1.0),
    (503, {"retry-after": "7"}, "", 2, 2.0),  # a 5xx is backed off, whatever it says
    (403, {"retry-after": "30"}, SECONDARY, 0, 30.0),  # secondary: GitHub says how long
    (429, {"Retry-After": " 5 "}, "", 4, 5.0),  # header names are case-blind
    (403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW) + 90)}, LIMIT, 0, 90.0),
    (429, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW) - 5)}, LIMIT, 0, 1.0),
    (403, {"x-ratelimit-remaining": "0"}, LIMIT, 0, 60.0),  # no reset: at least a minute
    (403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "soon"}, LIMIT, 0, 60.0),
    (403, {"retry-after": "2", "x-ratelimit-remaining": "0"}, LIMIT, 0, 2.0),
    (403, {}, SECONDARY, 0, 60.0),  # secondary without retry-after: at least a minute
    (429, {"x-ratelimit-remaining": "4999"}, SECONDARY, 0, 60.0),
    (403, {"x-ratelimit-remaining": "4999"}, "Resource not accessible by integration", 0, None),
    (403, {"retry-after": "soon"}, "Forbidden", 0, None),
    (404, {}, "Not Found", 0, None),
    (401, {"retry-after": "1"}, "Bad credentials", 0, None),
    (422, {}, "Validation Failed", 0, None),
    (400, {}, "", 0, None),
]

# date text -> date or None
HEADING_DATE = [
    ("2025-06-30", dt.date(2025, 6, 30)),
    ("March 8, 2015", dt.date(2015, 3, 8)),
    ("Mar 8, 2015", dt.date(2015, 3, 8)),
    ("September 30, 2020", dt.date(2020, 9, 30)),
    ("2015-03-8", None),
    ("2015-02-30", None),
    ("February 30, 2015", None),
    ("Smarch 8, 2015", None),
    ("tbd", None),
    ("unreleased", None),
    ("", None),
]


# OWNER/REPO -> GitHub's grammar of an owner and a repository name
VALID_REPOSITORY = [
    ("octo-org/project", True),
    ("o_1/a.b-c_d", True),
    ("octo-org", False),
    ("octo-org/a/b", False),
    ("-octo/project", False),
    ("octo--org/project", False),
    ("octo-org/..", False),
    ("octo-org/project.git", False),
    ("octo org/project", False),
    ("", False),
]

# a remote's URL -> the OWNER/REPO it names, or None (credentials never part of it)
REPOSITORY_OF_URL = [
    ("git@github.com:octo-org/project.git", "octo-org/project"),
    ("git@github.com:octo-org/project", "octo-org/project"),
    ("github.com:octo-org/project.git", "octo-org/project"),
    ("https://github.com/octo-org/project", "octo-org/project"),
    ("https://github.com/octo-org/project.git", "octo-org/project"),
    ("https://github.com/octo-org/project/", "octo-org/project"),
    ("https://github.com/octo-org/project.git/", "octo-org/project"),
    ("HTTPS://github.com/Octo-Org/Project", "Octo-Org/Project"),
    ("http://127.0.0.1:8080/octo-org/project.git", "octo-org/project"),
    ("ssh://git@github.com/octo-org/project.git", "octo-org/project"),
    ("ssh://git@github.com:22/octo-org/project.git", "octo-org/project"),
    ("git://github.com/octo-org/project.git", "octo-org/project"),
    ("https://x-access-token:ghp_SECRET@github.com/octo-org/project.git", "octo-org/project"),
    ("https://ghp_SECRET@github.com/octo-org/project", "octo-org/project"),
    ("git@ghe.example.com:octo-org/project.git", "octo-org/project"),
    ("https://ghe.example.com/octo-org/project.git", "octo-org/project"),
    (" git@github.com:octo-org/project.git\n", "octo-org/project"),  # as git prints it
    ("/srv/git/octo-org/project.git", None),  # a local path
    ("../octo-org/project.git", None),
    ("file:///srv/git/octo-org/project.git", None),
    ("https://github.com/project.git", None),  # one path part
    ("git@github.com:project.git", None),
    ("https://github.com/octo-org/group/project.git", None),  # three parts
    ("git@github.com:octo-org/group/project.git", None),
    ("https://github.com/octo-org/project.git.git", None),
    ("https://github.com/octo-org/..", None),
    ("https:///octo-org/project", None),  # no host
    ("https://[::1/octo-org/project", None),  # a broken host
    ("ssh://git@github.com:octo-org/project.git", None),  # scp form inside a URL
    ("ftp://github.com/octo-org/project", None),
    ("", None),
]
SECRET = "ghp_NotARealTokenFromTheUrl"
# (the remote asked for, the checkout's remotes or None for a folder outside git) -> OWNER/REPO
# and the one line said, or the refusal's end
REPOSITORY_FROM_REMOTE = [
    ("origin", {"origin": "git@github.com:octo-org/project.git"}, "octo-org/project"),
    ("origin", {"origin": f"https://x:{SECRET}@github.com/octo-org/project"}, "octo-org/project"),
    ("upstream", {"origin": "/srv/x.git", "upstream": "git@ghe.example:o/r"}, "o/r"),
    ("upstream", {"origin": "git@github.com:octo-org/project.git"}, "from upstream's URL"),
    ("origin", {"origin": "/srv/git/octo-org/project.git"}, "from origin's URL"),
    ("origin", {"origin": f"https://x:{SECRET}@host/a/b/c.git"}, "from origin's URL"),
    ("origin", None, "from origin's URL"),
    ("-v\n", {"origin": "git@github.com:octo-org/project.git"}, "from '-v\\n''s URL"),
]


# day -> the release-candidate branch opened that day
RC_BRANCH = [
    (dt.date(2026, 11, 1), "auto-release-candidate-2026-11-01"),
    (dt.date(999, 1, 2), "auto-release-candidate-0999-01-02"),
]

# branch -> a branch the release candidate opens (and so may find and reuse)
IS_RC_BRANCH = [
    ("auto-release-candidate-2026-11-01", True),
    ("auto-release-candidate-2024-02-29", True),
    ("auto-release-candidate-2026-02-30", False),  # no such day
    ("auto-release-candidate-2026-1-1", False),
    ("auto-release-candidate-notes", False),
    ("auto-release-candidate-", False),
    ("feature/auto-release-candidate-2026-11-01", False),
    ("main", False),
]

# The subjects of the kit's own commits and pull requests: the drafter leaves them out of the
# notes (make_rc_changes.BOOKKEEPING), or the next draft would list the last release's work.
KIT_SUBJECTS = [
    ("scripts/release_candidate.py", lambda m: m.COMMIT_MESSAGE.format(notes="CHANGES.rst")),
    ("scripts/release_tag.py", lambda m: m.COMMIT_MESSAGE.format(old="1.2.0", new="1.3.0")),
    ("scripts/rc_pull_request.py", lambda m: m.default_title(m.rc_branch(dt.date(2026, 11, 1)))),
]


@functools.cache
def _load(relpath: str) -> ModuleType:
    """A rule module as the package imports it; an assembled script by its path."""
    if relpath.startswith(RULES_DIR + "/"):
        return importlib.import_module("releasekit.rules." + Path(relpath).stem)
    path = ROOT / relpath
    name = "contract_" + Path(relpath).stem.replace("-", "_")
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader, relpath
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _copies(rule: str) -> list[str]:
    """The module that holds `rule` (a list, so that a rule held twice shows as two rows)."""
    return sorted(path for path, rules in RULES.items() if rule in rules)


def _rows(rule: str, table: list[tuple[Any, ...]]) -> list[Any]:
    return [
        pytest.param(path, *row, id=f"{Path(path).stem}:{'-'.join(map(str, row))}")
        for path in _copies(rule)
        for row in table
    ]


def _rule(path: str, name: str) -> Callable[..., Any]:
    function = getattr(_load(path), name, None)
    assert callable(function), f"{path} has no {name}()"
    return function  # type: ignore[no-any-return]


def _assembled_with(name: str) -> list[str]:
    """The assembled scripts that carry the rule `name` (defined at their top level)."""
    return sorted(
        f"scripts/{script.name}"
        for script in (ROOT / "scripts").glob("*.py")
        if re.search(rf"(?m)^(def|class) {name}\b", script.read_text(encoding="utf-8"))
    )


def test_every_rule_is_held_once() -> None:
    missing = [path for path in RULES if not (ROOT / path).is_file()]
    assert not missing
    held = [rule for rules in RULES.values() for rule in rules]
    assert len(held) == len(set(held))


@pytest.mark.parametrize(("path", "version", "pattern", "tag"), _rows("tag_for", TAG_FOR))
def test_tag_for(path: str, version: str, pattern: str, tag: str) -> None:
    assert _rule(path, "tag_for")(version, pattern) == tag


@pytest.mark.parametrize(
    ("path", "tag", "pattern", "version"), _rows("version_of_tag", VERSION_OF_TAG)
)
def test_version_of_tag(path: str, tag: str, pattern: str, version: str | None) -> None:
    found = _rule(path, "version_of_tag")(tag, pattern)
    # A copy may return its own version type: its str() is the PEP 440 normal form.
    assert (None if found is None else str(found)) == (str(Version(version)) if version else None)


@pytest.mark.parametrize(("path", "version", "releasable"), _rows("is_releasable", IS_RELEASABLE))
def test_is_releasable(path: str, version: str, releasable: bool) -> None:
    assert _rule(path, "is_releasable")(version) is releasable


@pytest.mark.parametrize(("path", "title", "parts"), _rows("heading_parts", HEADING_PARTS))
def test_heading_parts(path: str, title: str, parts: tuple[str, str] | None) -> None:
    assert _rule(path, "heading_parts")(title) == parts


# (the tags with their versions, the ones in the branch's history) -> the last release and a
# higher tag elsewhere: one rule for rc, check-changes and release-tag
LAST_RELEASE: list[tuple[list[str], tuple[str, ...], str | None, str | None]] = [
    (["v1.0.0", "v1.1.0"], ("v1.0.0", "v1.1.0"), "v1.1.0", None),
    (["v1.0.0", "v1.1.0", "v2.0.0"], ("v1.0.0", "v1.1.0"), "v1.1.0", "v2.0.0"),  # click's 8.5
    (["v1.10.0", "v1.9.0"], ("v1.10.0", "v1.9.0"), "v1.10.0", None),  # versions, not text
    (["v2.0.0rc1", "v1.9.0"], ("v2.0.0rc1", "v1.9.0"), "v2.0.0rc1", None),
    (["v2.0.0"], (), None, "v2.0.0"),
    ([], (), None, None),
]


@pytest.mark.parametrize(
    ("path", "tags", "reachable", "last", "elsewhere"), _rows("last_release", LAST_RELEASE)
)
def test_last_release(
    path: str, tags: list[str], reachable: tuple[str, ...], last: str | None, elsewhere: str | None
) -> None:
    versions = [(tag, Version(tag[1:])) for tag in tags]
    found = _rule(path, "last_release")(versions, lambda tag: tag in reachable)
    assert (found.tag, found.elsewhere) == (last, elsewhere)


# (the lines below a Markdown heading) -> the date they give, or None
DATE_LINE: list[tuple[list[str], str | None]] = [
    (["", "Released 2023-08-17", "", "- x"], "2023-08-17"),  # click
    (["", "*2025-11-19*"], "2025-11-19"),  # pip-tools
    (["", "_2025-11-19_"], "2025-11-19"),
    (["", "**March 8, 2015**"], "March 8, 2015"),
    (["", "Unreleased"], "Unreleased"),
    (
        [
            "",
            "<!-- releasekit-draft: 0123456789abcdef0123456789abcdef01234567 -->",
            "",
            "*2025-01-01*",
        ],
        "2025-01-01",
    ),
    (["", "*2025-01-01"], None),  # no closing emphasis
    (["", "- Released 2025-01-01"], None),  # an entry
    (["", "2025-01-01 was a good day"], None),
    (["", "### Fixed", "", "*2025-01-01*"], None),  # only the first text line dates it
    ([], None),
]


@pytest.mark.parametrize(("path", "below", "date"), _rows("date_line", DATE_LINE))
def test_date_line(path: str, below: list[str], date: str | None) -> None:
    module = _load(path)
    lines = ["## Version 1.2.3", *below]
    heading = module.Heading(0, "Version 1.2.3", ("#", 2), True)
    found = _rule(path, "date_line")(lines, heading, len(lines))
    assert (found.date if found else None) == date


# (a changelog, Markdown or not) -> each section's heading line and the line it ends before
LAYOUT: list[tuple[str, bool, list[tuple[int, int]]]] = [
    ("Changes\n=======\n\n1.1 (x)\n-------\n\n- a\n\n1.0 (y)\n-------\n", False, [(4, 8), (9, 10)]),
    ("1.1\n===\n\nNotes\n-----\n\n1.0\n===\n", False, [(1, 6), (7, 8)]),  # subsections
    ("# Changes\n\n## 1.1\n\n### Fixed\n\n- a\n\n## 1.0\n", True, [(3, 8), (9, 9)]),
    ("# Changes\n\n## [Unreleased]\n\n## [1.0] - 2025-01-01\n", True, [(3, 4), (5, 5)]),
    ("```\n## 9.9\n```\n\n## 1.0\n", True, [(5, 5)]),  # not in a code block
    ("# Changes\n\nno sections\n", True, []),
]


@pytest.mark.parametrize(("path", "text", "markdown", "sections"), _rows("layout", LAYOUT))
def test_layout(path: str, text: str, markdown: bool, sections: list[tuple[int, int]]) -> None:
    found = _rule(path, "layout")(text.splitlines(), markdown)
    assert [(h.line, end) for h, end in found.sections] == sections


@pytest.mark.parametrize(("path", "text", "date"), _rows("heading_date", HEADING_DATE))
def test_heading_date(path: str, text: str, date: dt.date | None) -> None:
    assert _rule(path, "heading_date")(text) == date


def _missing_rows() -> list[Any]:
    rows = []
    for path in _assembled_with("missing_dependency"):  # each reads its own header
        declared = [r.name for r in declared_dependencies(ROOT / path)]
        for module, named in MISSING_DEPENDENCY:
            for package in declared if "{" in module else declared[:1]:
                names = {"package": package, "module": package.replace("-", "_")}
                case = (module.format(**names), named.format(**names), declared)
                rows.append(pytest.param(path, *case, id=f"{Path(path).name}:{case[0]}"))
    return rows


@pytest.mark.parametrize(("path", "module", "named", "declared"), _missing_rows())
def test_missing_dependency(path: str, module: str, named: str, declared: list[str]) -> None:
    error = ModuleNotFoundError(f"No module named {module!r}", name=module)
    listed = " ".join(declared)
    said = f"needs the {named!r} package: pip install {listed} {UV_RUN}"
    assert _rule(path, "missing_dependency")(error) == said


def test_missing_dependency_names_a_package_by_its_distribution_name() -> None:
    """The module markdown_it is the package markdown-it-py that changes.py's header names."""
    error = ModuleNotFoundError("No module named 'markdown_it'", name="markdown_it")
    listed = " ".join(r.name for r in declared_dependencies(ROOT / "scripts/changes.py"))
    said = f"needs the 'markdown-it-py' package: pip install {listed} {UV_RUN}"
    assert _rule("scripts/changes.py", "missing_dependency")(error) == said


def _yes_no_rows(paths: list[str]) -> list[Any]:
    return [
        pytest.param(path, value, yes, id=f"{Path(path).name}:{value!r}")
        for path in paths
        for value, yes in YES_NO
    ]


@pytest.mark.parametrize(("path", "value", "yes"), _yes_no_rows(_copies("yes_no")))
def test_yes_no(path: str, value: str | None, yes: bool | None) -> None:
    yes_no = _rule(path, "yes_no")
    if yes is None:
        with pytest.raises(ValueError, match=f"^{re.escape(f'SIGN={value!r} {REFUSED}')}$"):
            yes_no("SIGN", value)
    else:
        assert yes_no("SIGN", value) is yes


@pytest.mark.parametrize(
    ("path", "value", "yes"),
    _yes_no_rows(sorted(path for path, rules in BASH_COPIES.items() if "yes_no" in rules)),
)
def test_yes_no_in_bash(path: str, value: str | None, yes: bool | None) -> None:
    env = {name: text for name, text in os.environ.items() if name not in ("SIGN", "DRY_RUN")}
    if value is not None:
        env["SIGN"] = value
    script = f'set -euo pipefail; . "$1"; {BASH_COPIES[path]["yes_no"]} SIGN'
    result = subprocess.run(
        ["bash", "-c", script, "step", str(ROOT / path)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == {True: 0, False: 1, None: 2}[yes], result.stderr
    if yes is None:
        assert value is not None
        [line] = result.stderr.splitlines()
        if value.isprintable() and "'" not in value:  # what Python's repr() shows as is
            assert line == f"step: error: SIGN={value!r} {REFUSED}"
        assert line.startswith("step: error: SIGN='") and line.endswith(REFUSED)
    else:
        assert result.stderr == ""


@pytest.mark.parametrize(
    ("path", "ref", "event_name", "base_branch", "pattern", "kind"), _rows("ref_kind", REF_KIND)
)
def test_ref_kind(
    path: str, ref: str, event_name: str, base_branch: str, pattern: str, kind: str
) -> None:
    assert _rule(path, "ref_kind")(ref, event_name, base_branch, pattern) == kind


@pytest.mark.parametrize(("path", "name", "pattern", "ref"), _rows("full_ref", FULL_REF))
def test_full_ref(path: str, name: str, pattern: str, ref: str) -> None:
    assert _rule(path, "full_ref")(name, pattern) == ref


@pytest.mark.parametrize(
    ("path", "env", "tags", "branch", "pattern", "ref"), _rows("current_ref", CURRENT_REF)
)
def test_current_ref(
    path: str, env: dict[str, str], tags: list[str], branch: str, pattern: str, ref: str
) -> None:
    assert _rule(path, "current_ref")(env, pattern, lambda: (tags, branch)) == ref


def read_github_output(text: str) -> list[tuple[str, str, str]]:
    """GITHUB_OUTPUT as the Actions runner reads it (actions/runner, FileCommandManager.cs),
    as (name, form, value): `name=value` when a `=` comes before any `<<`, else
    `name<<DELIMITER` and the lines up to the first that is exactly DELIMITER, joined by newlines.
    """
    found = []
    lines = iter(text.split("\n"))
    for line in lines:
        if not line:
            continue
        equals, heredoc = line.find("="), line.find("<<")
        if equals >= 0 and (heredoc < 0 or equals < heredoc):
            found.append((line[:equals], "=", line[equals + 1 :]))
            continue
        assert heredoc > 0, f"not an output line: {line!r}"
        name, delimiter = line[:heredoc], line[heredoc + 2 :]
        assert delimiter, line
        body = []
        for inner in lines:
            if inner == delimiter:
                break
            body.append(inner)
        else:
            raise AssertionError(f"{name}: no line {delimiter!r} ends the value")
        found.append((name, "<<", "\n".join(body)))
    return found


def _output_rows(rule: str) -> list[Any]:
    return [
        pytest.param(path, values, forms, id=f"{Path(path).name}:{index}")
        for path in _copies(rule)
        for index, (values, forms) in enumerate(OUTPUT_LINES)
    ]


@pytest.mark.parametrize(("path", "values", "forms"), _output_rows("output_lines"))
def test_output_lines(path: str, values: dict[str, str], forms: tuple[str, ...]) -> None:
    read = read_github_output(_rule(path, "output_lines")(values))
    assert [(name, value) for name, _, value in read] == list(values.items())
    assert tuple(form for _, form, _ in read) == forms


@pytest.mark.parametrize(("path", "values", "forms"), _output_rows("write_outputs"))
def test_write_outputs_appends_to_github_output(
    path: str,
    values: dict[str, str],
    forms: tuple[str, ...],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    output = tmp_path / "output"
    output.write_text("earlier=step\n", encoding="utf-8")
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    _rule(path, "write_outputs")(values)
    read = read_github_output(output.read_bytes().decode())  # the bytes: no newline folding
    assert [(name, value) for name, _, value in read] == [("earlier", "step"), *values.items()]
    monkeypatch.delenv("GITHUB_OUTPUT")
    _rule(path, "write_outputs")(values)  # outside Actions: nothing to write, no error


@pytest.mark.parametrize("path", _copies("write_summary"))
def test_write_summary_appends_to_the_step_summary(
    path: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("## earlier step\n", encoding="utf-8")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    _rule(path, "write_summary")("### this step\n\n| a | b |\n")
    assert summary.read_text(encoding="utf-8") == "## earlier step\n### this step\n\n| a | b |\n"
    monkeypatch.delenv("GITHUB_STEP_SUMMARY")
    _rule(path, "write_summary")("nothing to write to\n")


@pytest.mark.parametrize(
    ("path", "status", "headers", "message", "attempt", "wait"), _rows("retry_delay", RETRY_DELAY)
)
def test_retry_delay(
    path: str,
    status: int | None,
    headers: dict[str, str],
    message: str,
    attempt: int,
    wait: float | None,
) -> None:
    assert _rule(path, "retry_delay")(status, headers, message, attempt, NOW) == wait


# ---- the one deadline of a run (Deadline), over a clock the row sets ------------------------


@dataclass
class Clock:
    """Real time plus every wait slept: a wait takes no time yet spends the deadline."""

    slept: list[float] = field(default_factory=list)
    start: float = field(default_factory=time.monotonic)
    skipped: float = 0.0  # seconds the row lets pass before asking

    def now(self) -> float:
        return time.monotonic() - self.start + self.skipped + sum(self.slept)

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)


# (--max-wait, seconds already spent, status or None, headers, attempt) ->
#   the wait slept, or the one line the run stops with (a part of it)
DEADLINE: list[tuple[float, float, int | None, dict[str, str], int, float | str]] = [
    (60.0, 0.0, 502, {}, 0, 0.5),
    (60.0, 50.0, None, {}, 3, 4.0),
    (60.0, 0.0, 429, {"retry-after": "30"}, 0, 30.0),
    (60.0, 0.0, 403, {"retry-after": "30"}, 4, "; gave up after 5 attempts"),  # 5 in every copy
    (60.0, 45.0, 429, {"retry-after": "30"}, 0, "waiting 30.0 s more would pass --max-wait 60 s"),
    (60.0, 58.5, None, {}, 2, "; waiting 2.0 s more would pass --max-wait 60 s (1.5 s left)"),
    (5.0, 0.0, 403, {"x-ratelimit-remaining": "0"}, 0, "60.0 s more would pass --max-wait 5 s"),
    (1.0, 5.0, 500, {}, 0, "(0.0 s left), try again later"),
]


@pytest.mark.parametrize(
    ("path", "budget", "spent", "status", "headers", "attempt", "outcome"),
    _rows("Deadline", DEADLINE),
)
def test_deadline_waits_or_stops_in_one_line(
    path: str,
    budget: float,
    spent: float,
    status: int | None,
    headers: dict[str, str],
    attempt: int,
    outcome: float | str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    module = _load(path)
    clock = Clock()
    deadline = module.Deadline(budget, sleep=clock.sleep, clock=clock.now)
    clock.skipped = spent
    problem = module.TransientError("GET /releases: why", status, headers, LIMIT)
    if isinstance(outcome, float):
        deadline.wait(problem, attempt)
        assert clock.slept == [outcome]
        (line,) = capsys.readouterr().err.splitlines()
        assert (
            f"GET /releases: why; waiting {outcome:.1f} s before attempt {attempt + 2} of 5" in line
        )
        return
    with pytest.raises(module.FatalError) as stopped:
        deadline.wait(problem, attempt)
    assert clock.slept == []
    assert capsys.readouterr().err == ""
    assert str(stopped.value).startswith("GET /releases: why; ")
    assert outcome in str(stopped.value)
    assert "\n" not in str(stopped.value)


# (--max-wait, seconds already spent, --timeout) -> the request's time-out, or the stop line
DEADLINE_TIMEOUT: list[tuple[float, float, float, float | str]] = [
    (60.0, 0.0, 30.0, 30.0),
    (60.0, 45.0, 30.0, 15.0),  # never past the deadline
    (60.0, 59.5, 30.0, 0.5),
    (60.0, 60.0, 30.0, "GET /releases: --max-wait 60 s spent, try again later"),
    (2.0, 7.0, 30.0, "GET /releases: --max-wait 2 s spent, try again later"),
]


@pytest.mark.parametrize(
    ("path", "budget", "spent", "wanted", "outcome"), _rows("Deadline", DEADLINE_TIMEOUT)
)
def test_deadline_shortens_each_time_out(
    path: str, budget: float, spent: float, wanted: float, outcome: float | str
) -> None:
    module = _load(path)
    clock = Clock()
    deadline = module.Deadline(budget, sleep=clock.sleep, clock=clock.now)
    clock.skipped = spent
    if isinstance(outcome, float):
        assert deadline.timeout(wanted, "GET /releases") == pytest.approx(outcome, abs=0.1)
        return
    with pytest.raises(module.FatalError) as stopped:
        deadline.timeout(wanted, "GET /releases")
    assert str(stopped.value) == outcome


# text -> seconds, or None: refused in one line (exit 2)
SECONDS = [
    ("30", 30.0),
    ("0.5", 0.5),
    ("3600", 3600.0),
    ("3601", None),
    ("0", None),
    ("-5", None),
    ("nan", None),
    ("inf", None),
    ("1e999", None),
    ("abc", None),
    ("", None),
]


@pytest.mark.parametrize(("path", "text", "value"), _rows("seconds", SECONDS))
def test_seconds(path: str, text: str, value: float | None) -> None:
    parse = _rule(path, "seconds")(0, 3600)
    if value is not None:
        assert parse(text) == value
        return
    with pytest.raises(argparse.ArgumentTypeError, match="want seconds above 0 and at most 3600"):
        parse(text)


# ---- the retry loop around retry_delay(), against the GitHub API stand-in -------------------

MAX_WAIT = 120.0  # seconds; the default deadline of a row


@dataclass(frozen=True)
class ClientSettings:
    """What a script's settings give its GitHub client (draft_release.py's Settings,
    rc_pull_request.py's Config)."""

    api_url: str
    repository: str
    token: str
    timeout: float
    max_wait: float


def _client(module: ModuleType, gh: GitHubStandIn, row: Loop, clock: Clock) -> Any:
    settings = ClientSettings(gh.api_url, gh.repository, gh.token, row.timeout, row.max_wait)
    deadline = module.Deadline(row.max_wait, sleep=clock.sleep, clock=clock.now)
    return module.Client(settings, deadline)


@dataclass(frozen=True)
class Loop:
    """One fault: what the stand-in does, then the waits and requests a GET must take."""

    id: str
    fault: Callable[[GitHubStandIn], None]
    waits: tuple[float, ...] | None  # seconds slept, in order; None: as many as attempts allow
    ok: bool = True  # the GET answers in the end; else one FatalError
    last: str = ""  # a part of that FatalError's one line
    timeout: float = 5.0  # --timeout
    max_wait: float = MAX_WAIT  # --max-wait


PASSES = "more would pass --max-wait"

LOOPS = [
    Loop("answered", lambda gh: None, ()),
    Loop("5xx-backed-off", lambda gh: gh.fail(502, times=2), (0.5, 1.0)),
    Loop("dropped-connection", lambda gh: gh.drop(), (0.5,)),
    Loop(
        "secondary-retry-after",
        lambda gh: gh.rate_limit("secondary", status=429, retry_after=3),
        (3.0,),
    ),
    Loop(
        "secondary-without-retry-after",
        lambda gh: gh.rate_limit("secondary", retry_after=None),
        (60.0,),
    ),
    Loop("primary-until-reset", lambda gh: gh.rate_limit("primary", reset_in=30), (30.0,)),
    Loop(
        "primary-reset-beyond-the-deadline",
        lambda gh: gh.rate_limit("primary", reset_in=3600),
        (),
        ok=False,
        last=f"{PASSES} 120 s",
    ),
    Loop("not-found-is-final", lambda gh: gh.fail(404), (), ok=False, last="404"),
    Loop(
        "forbidden-is-final",
        lambda gh: gh.fail(403, body={"message": "Resource not accessible by integration"}),
        (),
        ok=False,
        last="Resource not accessible by integration",
    ),
    Loop(
        "attempts-are-bounded",
        lambda gh: gh.fail(503, times=50),
        None,
        ok=False,
        last="; gave up after 5 attempts",
    ),
    # The waits spend the one deadline: 0.5 + 1 + 2 s leave 1.5 s of 5, too few for 4 s more.
    Loop(
        "waits-spend-the-deadline",
        lambda gh: gh.fail(503, times=50),
        (0.5, 1.0, 2.0),
        ok=False,
        last=f"; waiting 4.0 s {PASSES} 5 s",
        max_wait=5.0,
    ),
    # Each answer stalls past the time-out: 0.5 s, a 0.5 s wait, 0.5 s, then 1 s more would
    # pass the 2.4 s deadline. A run that added up its waits only would try a third time. The
    # 0.9 s to spare is for a loaded machine: the second time-out stays 0.5 s.
    Loop(
        "stalled-answers-stop-at-the-deadline",
        lambda gh: gh.delay(3, times=5),
        (0.5,),
        ok=False,
        last=f"no answer within 0.5 s; waiting 1.0 s {PASSES} 2.4 s",
        timeout=0.5,
        max_wait=2.4,
    ),
    # A stall longer than what is left: the time-out shrinks to the deadline, not --timeout.
    Loop(
        "a-time-out-shrinks-to-what-is-left",
        lambda gh: gh.delay(3, times=1),
        (),
        ok=False,
        last=f"; waiting 0.5 s {PASSES} 1 s",
        timeout=30.0,
        max_wait=1.0,
    ),
]


@pytest.mark.parametrize(
    ("path", "row"),
    [
        pytest.param(path, row, id=f"{Path(path).name}:{row.id}")
        for path in _copies("github_client")
        for row in LOOPS
    ],
)
def test_retries_wait_as_retry_delay_says_and_print_one_line_each(
    path: str, row: Loop, github_api: GitHubStandIn, capsys: pytest.CaptureFixture[str]
) -> None:
    module = _load(path)
    clock = Clock()
    client = _client(module, github_api, row, clock)
    row.fault(github_api)
    if row.ok:
        response = client.call("GET", client.url("/releases"))
        assert response.status_code == 200
    else:
        with pytest.raises(module.FatalError) as failure:
            client.call("GET", client.url("/releases"))
        assert "\n" not in str(failure.value)
        assert github_api.token not in str(failure.value)
        assert row.last in str(failure.value)
    attempts = _load(f"{RULES_DIR}/retries.py").MAX_ATTEMPTS
    expected = (
        row.waits if row.waits is not None else tuple(0.5 * 2**n for n in range(attempts - 1))
    )
    # A primary limit's reset is whole epoch seconds: the wait is up to one second shorter.
    assert clock.slept == pytest.approx(expected, abs=1.0)
    assert len(github_api.requests) == len(clock.slept) + 1
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == len(clock.slept), lines
    for line, wait in zip(lines, clock.slept, strict=True):
        assert f"; waiting {wait:.1f} s before attempt " in line, line


@pytest.mark.parametrize(("path", "value", "valid"), _rows("valid_repository", VALID_REPOSITORY))
def test_valid_repository(path: str, value: str, valid: bool) -> None:
    assert _rule(path, "valid_repository")(value) is valid


@pytest.mark.parametrize(
    ("path", "url", "repository"), _rows("repository_of_url", REPOSITORY_OF_URL)
)
def test_repository_of_url(path: str, url: str, repository: str | None) -> None:
    assert _rule(path, "repository_of_url")(url) == repository


@pytest.mark.parametrize(
    ("path", "remote", "remotes", "gives"), _rows(FROM_REMOTE, REPOSITORY_FROM_REMOTE)
)
def test_repository_from_remote(
    path: str,
    remote: str,
    remotes: dict[str, str] | None,
    gives: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    here = tmp_path / "here"
    if remotes is None:
        here.mkdir()
    else:
        _checkout(here)
        for name, url in remotes.items():
            subprocess.run(["git", "-C", str(here), "remote", "add", name, url], check=True)
    monkeypatch.chdir(here)
    module = _load(path)
    if "/" in gives:
        assert _rule(path, FROM_REMOTE)(remote) == gives
        said = f"{module.PROG}: repository {gives} (from {remote}'s URL)\n"
        assert capsys.readouterr() == ("", said)
    else:
        with pytest.raises(module.FatalError) as refused:
            _rule(path, FROM_REMOTE)(remote)
        assert refused.value.status == 2
        line = f"set GITHUB_REPOSITORY or --repository to OWNER/REPO: it could not be read {gives}"
        assert str(refused.value) == line
        assert capsys.readouterr() == ("", "")


@pytest.mark.parametrize(("path", "day", "branch"), _rows("rc_branch", RC_BRANCH))
def test_rc_branch(path: str, day: dt.date, branch: str) -> None:
    assert _rule(path, "rc_branch")(day) == branch


@pytest.mark.parametrize(("path", "branch", "is_rc"), _rows("is_rc_branch", IS_RC_BRANCH))
def test_is_rc_branch(path: str, branch: str, is_rc: bool) -> None:
    assert _rule(path, "is_rc_branch")(branch) is is_rc


@pytest.mark.parametrize(
    ("path", "subject"), KIT_SUBJECTS, ids=[Path(path).name for path, _ in KIT_SUBJECTS]
)
def test_the_kits_own_commits_stay_out_of_the_notes(
    path: str, subject: Callable[[ModuleType], str]
) -> None:
    written = subject(_load(path))
    assert _load("scripts/make_rc_changes.py").BOOKKEEPING.match(written), written


# ---- the checkout checks: (check, the state it meets, its refusal or None) --------------------
# `{dir}` is the folder the check runs in. A state is made with real git.


def _plain_folder(where: Path) -> None:
    where.mkdir()


def _checkout(where: Path) -> None:
    subprocess.run(["git", "init", "--quiet", str(where)], check=True)
    (where / "a.txt").write_text("a\n", encoding="utf-8")
    subprocess.run(["git", "-C", str(where), "add", "a.txt"], check=True)
    subprocess.run(["git", "-C", str(where), "commit", "--quiet", "-m", "one"], check=True)


def _bare(where: Path) -> None:
    subprocess.run(["git", "init", "--quiet", "--bare", str(where)], check=True)


def _no_commits(where: Path) -> None:
    subprocess.run(["git", "init", "--quiet", str(where)], check=True)


def _marker(name: str, folder: bool = False) -> Callable[[Path], None]:
    def setup(where: Path) -> None:
        _checkout(where)
        marker = where / ".git" / name
        marker.mkdir() if folder else marker.write_text("0" * 40 + "\n", encoding="utf-8")

    return setup


def _edited(where: Path) -> None:
    _checkout(where)
    (where / "a.txt").write_text("b\n", encoding="utf-8")


def _untracked(where: Path) -> None:
    _checkout(where)
    (where / "new.txt").write_text("new\n", encoding="utf-8")


@dataclass(frozen=True)
class ActionsFiles:
    github_output: str
    github_step_summary: str


@dataclass
class CheckoutRun:
    """What a step's run gives the checks (release_tag.py's and release_candidate.py's Run)."""

    s: ActionsFiles
    top: Path = Path()
    prefix: str = ""


NOT_WRITABLE = "is not a writable file"
CHECKOUT = [
    ("not_a_repository", _plain_folder, {}, "not inside a git repository; run it from a checkout"),
    ("not_a_repository", _bare, {}, "this is a bare repository (no work tree); run it from a"),
    ("not_a_repository", _checkout, {}, None),
    ("no_commits", _no_commits, {}, "the repository has no commits yet"),
    ("no_commits", _checkout, {}, None),
    ("operation_in_progress", _marker("MERGE_HEAD"), {}, "a merge is in progress; finish or"),
    ("operation_in_progress", _marker("rebase-merge", True), {}, "a rebase is in progress;"),
    ("operation_in_progress", _marker("rebase-apply", True), {}, "a rebase is in progress;"),
    ("operation_in_progress", _marker("CHERRY_PICK_HEAD"), {}, "a cherry-pick is in progress;"),
    ("operation_in_progress", _checkout, {}, None),
    ("dirty_tree", _edited, {}, "the working tree has uncommitted changes; commit or stash"),
    ("dirty_tree", _untracked, {}, None),
    ("dirty_tree", _checkout, {}, None),
    (
        "unwritable_outputs",
        _checkout,
        {"GITHUB_OUTPUT": "{dir}"},
        f"GITHUB_OUTPUT={{dir}} {NOT_WRITABLE}",
    ),
    (
        "unwritable_outputs",
        _checkout,
        {"GITHUB_STEP_SUMMARY": "{dir}/missing/summary"},
        f"GITHUB_STEP_SUMMARY={{dir}}/missing/summary {NOT_WRITABLE}",
    ),
    ("unwritable_outputs", _checkout, {"GITHUB_OUTPUT": "{dir}/out"}, None),
    ("unwritable_outputs", _checkout, {}, None),
]


def _checkout_rows() -> list[Any]:
    return [
        pytest.param(path, *row, id=f"{Path(path).name}:{row[0]}:{row[1].__name__}:{index}")
        for path in _copies("not_a_repository")
        for index, row in enumerate(CHECKOUT)
    ]


@pytest.mark.parametrize(("path", "check", "state", "env", "refusal"), _checkout_rows())
def test_checkout_checks(
    path: str,
    check: str,
    state: Callable[[Path], None],
    env: dict[str, str],
    refusal: str | None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    where = tmp_path / "here"
    state(where)
    monkeypatch.chdir(where)
    for name in ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "DRY_RUN", "SIGN"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value.replace("{dir}", str(where)))
    files = ActionsFiles(
        os.environ.get("GITHUB_OUTPUT", ""), os.environ.get("GITHUB_STEP_SUMMARY", "")
    )
    run = CheckoutRun(files)

    said = _rule(path, check)(run)

    if refusal is None:
        assert said is None
    else:
        assert said is not None and said.startswith(refusal.replace("{dir}", str(where))), said


@pytest.fixture
def work_tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    top, outside = tmp_path / "work", tmp_path / "outside"
    (top / "sub").mkdir(parents=True)
    outside.mkdir()
    (top / "a.txt").write_text("a\n", encoding="utf-8")
    (top / "sub" / "b.txt").write_text("b\n", encoding="utf-8")
    (outside / "secret.txt").write_text("secret\n", encoding="utf-8")
    (top / "link-in").symlink_to("a.txt")
    (top / "inner").symlink_to("sub")
    (top / "link-out").symlink_to(outside / "secret.txt")
    (top / "linked").symlink_to(outside)
    monkeypatch.chdir(top)
    return top, outside


@pytest.mark.parametrize(("path", "given", "problem"), _rows(TREE, WORK_TREE_PROBLEM))
def test_work_tree_problem(
    path: str, given: str, problem: str | None, work_tree: tuple[Path, Path]
) -> None:
    top, outside = work_tree
    said = {
        None: None,
        "symlink": "is a symlink",
        "outside": f"resolves outside the work tree {top.resolve()}",
    }[problem]
    where = Path(given.format(top=top, outside=outside))
    assert _rule(path, TREE)(top, where) == said


@pytest.mark.parametrize(("path", "message", "status"), _rows("fail", FAIL))
def test_fail(path: str, message: str, status: int, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as leaving:
        _rule(path, "fail")(message, status)
    assert leaving.value.code == status
    assert capsys.readouterr() == ("", f"{_load(path).PROG}: error: {message}\n")


@pytest.mark.parametrize(("path", "script", "stdout", "stderr", "refusal"), _rows("run", RUN))
def test_run(
    path: str,
    script: str,
    stdout: str | None,
    stderr: str,
    refusal: str,
    capfd: pytest.CaptureFixture[str],
) -> None:
    run = _rule(path, "run")
    if stdout is not None:
        assert run(["sh", "-c", script], "thing") == stdout
    else:
        with pytest.raises(_load(path).FailedError) as failure:
            run(["sh", "-c", script], "thing")
        assert refusal in str(failure.value)
        assert "\n" not in str(failure.value)
    assert capfd.readouterr() == ("", stderr)


@pytest.mark.parametrize("path", _copies("run"))
def test_run_refuses_a_missing_program_in_one_line(path: str) -> None:
    with pytest.raises(_load(path).FailedError) as failure:
        _rule(path, "run")(["releasekit-no-such-program", "--version"], "the engine")
    assert str(failure.value) == (
        "the engine failed: releasekit-no-such-program: No such file or directory"
    )


@pytest.mark.parametrize(("path", "env", "problem"), _rows(ACTIONS_CHECK, ACTIONS_FILES_PROBLEM))
def test_actions_files_problem(
    path: str,
    env: dict[str, str],
    problem: str | None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (tmp_path / "existing").write_text("earlier=step\n", encoding="utf-8")
    (tmp_path / "link").symlink_to("existing")
    monkeypatch.chdir(tmp_path)
    before = sorted(tmp_path.rglob("*"))
    given = {name: value.replace("{dir}", str(tmp_path)) for name, value in env.items()}
    said = _rule(path, ACTIONS_CHECK)(given)
    assert said == (problem.replace("{dir}", str(tmp_path)) if problem else None)
    assert sorted(tmp_path.rglob("*")) == before  # it creates nothing
    assert (tmp_path / "existing").read_text(encoding="utf-8") == "earlier=step\n"


@pytest.mark.parametrize(("path", "body", "reason", "message"), _rows("api_message", API_MESSAGE))
def test_api_message(path: str, body: bytes, reason: str, message: str) -> None:
    assert _rule(path, "api_message")(body, reason) == message


@pytest.mark.parametrize(("path", "argv", "error"), _rows("Parser", PARSER))
def test_parser(path: str, argv: list[str], error: str, capsys: pytest.CaptureFixture[str]) -> None:
    module = _load(path)
    parser = module.Parser(prog=module.PROG)
    parser.add_argument("--known")
    with pytest.raises(SystemExit) as leaving:
        parser.parse_args(argv)
    assert leaving.value.code == 2
    assert capsys.readouterr() == ("", f"{module.PROG}: error: {error}\n")


@pytest.mark.parametrize(
    ("path", "ref", "event_name", "pattern", "tag"), _rows("release_tag_of", RELEASE_TAG_OF)
)
def test_release_tag_of(
    path: str,
    ref: str,
    event_name: str,
    pattern: str,
    tag: str | None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GITHUB_EVENT_NAME", event_name)
    assert _rule(path, "release_tag_of")(ref, pattern) == tag


@pytest.mark.parametrize(
    ("path", "pattern", "detached", "head"), _rows("checkout_head", CHECKOUT_HEAD)
)
def test_checkout_head(
    path: str, pattern: str, detached: bool, head: tuple[list[str], str], repo: GitRepo
) -> None:
    repo.commit("one")
    for name in ("v1.0.0", "v1.0.1rc1", "pkg-v3.0.0", "nightly"):
        repo.tag(name)
    if detached:
        repo.git("checkout", "--quiet", "--detach")
    assert _rule(path, "checkout_head")(pattern, repo.path) == head


# ---- git, its output, its status: (helper, arguments, what it gives, or the failure's line) ---


class Fails(str):
    """The helper raises the script's FailureError with this line."""


GIT = [
    ("out", ("rev-parse", "--is-inside-work-tree"), "true"),
    ("out", ("log", "-1", "--format=%s"), "one"),
    ("ok", ("rev-parse", "--verify", "--quiet", "HEAD"), True),
    ("ok", ("rev-parse", "--verify", "--quiet", "refs/heads/nope"), False),
    (
        "out",
        ("rev-parse", "--verify", "nope"),
        Fails("git rev-parse failed: fatal: Needed a single"),
    ),
    ("git", ("no-such-command",), Fails("git no-such-command failed: ")),
]


def _git_rows() -> list[Any]:
    return [
        pytest.param(path, *row, id=f"{Path(path).name}:{row[0]}:{index}")
        for path in _copies("git")
        for index, row in enumerate(GIT)
    ]


@pytest.mark.parametrize(("path", "helper", "args", "gives"), _git_rows())
def test_git_helpers(
    path: str,
    helper: str,
    args: tuple[str, ...],
    gives: object,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _checkout(tmp_path / "here")
    monkeypatch.chdir(tmp_path / "here")
    call = _rule(path, helper)
    if isinstance(gives, Fails):
        with pytest.raises(_load(path).FailureError) as failure:
            call(*args)
        assert str(failure.value).startswith(gives), failure.value
        assert "\n" not in str(failure.value)
    elif helper == "git":
        assert call(*args).stdout == gives
    else:
        assert call(*args) == gives


# (image host, image path) -> (the API host, the API's repository path)
REGISTRY_API = [
    ("docker.io", "acme/app", "registry-1.docker.io", "acme/app"),
    ("docker.io", "app", "registry-1.docker.io", "library/app"),  # distribution's defaultRepoPrefix
    ("index.docker.io", "app", "registry-1.docker.io", "library/app"),  # legacyDefaultDomain
    ("DOCKER.IO", "acme/app", "registry-1.docker.io", "acme/app"),
    ("ghcr.io", "acme/app", "ghcr.io", "acme/app"),
    ("ghcr.io", "app", "ghcr.io", "app"),  # only Docker Hub has library/
    ("registry-1.docker.io", "app", "registry-1.docker.io", "app"),  # the API host as written
    ("127.0.0.1:5000", "app", "127.0.0.1:5000", "app"),
]


@pytest.mark.parametrize(
    ("path", "host", "image_path", "api", "api_repo"), _rows("api_host", REGISTRY_API)
)
def test_registry_api(path: str, host: str, image_path: str, api: str, api_repo: str) -> None:
    assert _rule(path, "api_host")(host) == api
    assert _rule(path, "api_path")(host, image_path) == api_repo


# (host[:port], INSECURE_REGISTRIES) -> (loopback, plain HTTP without TLS checks)
LOOPBACK = [
    ("127.0.0.1:5000", (), True, True),
    ("127.1.2.3", (), True, True),  # all of 127.0.0.0/8
    ("localhost:5000", (), True, True),
    ("LOCALHOST", (), True, True),
    ("[::1]:5000", (), True, True),
    ("[::1]", (), True, True),
    ("127.evil.example", (), False, False),  # a name, not an address
    ("127.0.0.1.nip.io:5000", (), False, False),
    ("localhost.example", (), False, False),
    ("10.0.0.5:5000", (), False, False),
    ("10.0.0.5:5000", ("10.0.0.5:5000",), False, True),  # named by the user
    ("registry.internal", ("registry.internal",), False, True),
    ("registry.internal:5000", ("registry.internal",), False, True),
    ("ghcr.io", ("registry.internal",), False, False),
]


@pytest.mark.parametrize(
    ("path", "host", "insecure", "loopback", "plain"), _rows("is_loopback", LOOPBACK)
)
def test_loopback_and_plain_http(
    path: str, host: str, insecure: tuple[str, ...], loopback: bool, plain: bool
) -> None:
    assert _rule(path, "is_loopback")(host) is loopback
    assert _rule(path, "plain_http")(host, insecure) is plain


# (text, secrets) -> what a line shows
REDACT = [
    ("GET https://x:ghs_TOKEN1234@api.example/repos", [], "GET https://***@api.example/repos"),
    ("http://uploader:s3cr%40t@127.0.0.1:8080/", [], "http://***@127.0.0.1:8080/"),
    ("to https://upload.pypi.org/legacy/ ok", [], "to https://upload.pypi.org/legacy/ ok"),
    ("token abcd1234 and abcd1234x", ["abcd1234", "abcd1234x"], "token *** and ***"),
    ("no secret here", ["", "zzzz"], "no secret here"),
    ("mail ada@example.org stays", [], "mail ada@example.org stays"),  # no scheme: no URL
]


@pytest.mark.parametrize(("path", "text", "secrets", "shown"), _rows("redact", REDACT))
def test_redact(path: str, text: str, secrets: list[str], shown: str) -> None:
    assert _rule(path, "redact")(text, secrets) == shown


# (name, value) -> refused (a secret too short to be real would mangle every line)
SHORT = "is shorter than 4 characters"
NOT_ASCII = "holds a character that is not printable ASCII"
# (name, value, the refusal's text after the name, or None: accepted)
BAD_SECRET = [
    ("TWINE_PASSWORD", "p", SHORT),
    ("TWINE_PASSWORD", "abc", SHORT),
    ("TWINE_PASSWORD", " ab ", SHORT),
    ("TWINE_PASSWORD", "abcd", None),
    ("TWINE_PASSWORD", "", None),  # not set: no secret
    ("GITHUB_TOKEN", None, None),
    ("GITHUB_TOKEN", "ghp_abcdé123", NOT_ASCII),  # latin-1: requests would send it as is
    ("GITHUB_TOKEN", "ghp_abc€123", NOT_ASCII),  # not latin-1: http.client raises
    ("DOCKERHUB_TOKEN", "abc\ndef", NOT_ASCII),
    ("GHCR_TOKEN", "ghp_abc def", NOT_ASCII),
    ("GITHUB_TOKEN", " ghp_abcdef\n", None),  # the line break a pasted file ends with
]


@pytest.mark.parametrize(("path", "name", "value", "says"), _rows("bad_secret", BAD_SECRET))
def test_bad_secret(path: str, name: str, value: str | None, says: str | None) -> None:
    said = _rule(path, "bad_secret")(name, value)
    assert said == (None if says is None else f"{name} {says}: that is no real token")
