"""The release-candidate branch: auto-release-candidate-YYYY-MM-DD, opened by the kit."""

from __future__ import annotations

import datetime as dt
import re

RC_BRANCH_PREFIX = "auto-release-candidate-"


def rc_branch(day: dt.date) -> str:
    """The release-candidate branch opened on `day`: auto-release-candidate-YYYY-MM-DD."""
    return f"{RC_BRANCH_PREFIX}{day.isoformat()}"


def is_rc_branch(name: str) -> bool:
    """A branch this step opens (and so may reuse): the prefix, then a real YYYY-MM-DD date."""
    day = name.removeprefix(RC_BRANCH_PREFIX)
    if day == name or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", day):
        return False
    try:
        dt.date.fromisoformat(day)
    except ValueError:
        return False
    return True
