"""Which addresses may be fetched: web addresses only (http and https)."""

from __future__ import annotations

from urllib.parse import urlsplit

WEB_SCHEMES = ("http", "https")


def not_web(url: str) -> str | None:
    """Why ``url`` is no web address to fetch, or None when it is one."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        parts = None
    if parts is None or parts.scheme.lower() not in WEB_SCHEMES or not parts.hostname:
        return "not a web address (give one starting with https://)"
    return None
