"""Secrets: never shown, whatever a step prints."""

from __future__ import annotations

from collections.abc import Iterable


def redact(text: str, secrets: Iterable[str]) -> str:
    """`text` with every secret of `secrets` shown as ***."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text
