"""Secrets: never shown, whatever a step prints.

A URL may carry credentials (`https://user:PASS@host/`): every URL a step prints is shown
without them (`https://***@host/`). A secret shorter than MIN_SECRET characters, or one
holding anything but printable ASCII, is refused as bad input before any work: no real token
is like that, and hiding a short one would mangle every line (a password `p` would turn
`http` into `htt***`)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import unquote, urlsplit

MIN_SECRET = 4
# scheme://userinfo@ (RFC 3986): the userinfo never holds `/`, `@` or white space.
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@]+@")


def without_userinfo(text: str) -> str:
    """`text` with the credentials of every URL in it shown as ***."""
    return _USERINFO.sub(r"\1***@", text)


def url_secrets(url: str) -> tuple[str, ...]:
    """The password a URL carries, as written and decoded, to redact wherever it shows."""
    try:
        password = urlsplit(url).password
    except ValueError:
        return ()
    return tuple(dict.fromkeys(p for p in (password, unquote(password or "")) if p))


def bad_secret(name: str, value: str | None) -> str | None:
    """The one-line refusal for a secret no service issues, else None: one too short to be
    real, or one with a character outside printable ASCII (a pasted `é` or a line break),
    which an HTTP header cannot carry: the HTTP client would fail on it mid-request."""
    if value and len(value.strip()) < MIN_SECRET:
        return f"{name} is shorter than {MIN_SECRET} characters: that is no real token"
    if value and not all(" " < c < "\x7f" for c in value.strip()):
        return f"{name} holds a character that is not printable ASCII: that is no real token"
    return None


def redact(text: str, secrets: Iterable[str]) -> str:
    """`text` with URL credentials and every secret of `secrets` shown as ***."""
    text = without_userinfo(text)
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text
