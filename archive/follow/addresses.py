"""Which addresses may be fetched: web addresses (http and https) only, and
addresses on this machine or a private network only for a source that is
itself on one, so a public feed cannot steer the archive at a router's admin
page or a cloud's metadata service."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

WEB_SCHEMES = ("http", "https")


def not_web(url: str) -> str | None:
    """Why ``url`` is no web address to fetch, or None when it is one."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
    except ValueError:
        return "not a web address (give one starting with https://)"
    if parts.scheme.lower() not in WEB_SCHEMES or not host:
        return "not a web address (give one starting with https://)"
    return None


def private_address(url: str) -> str | None:
    """The loopback, private, link-local or reserved address ``url``'s host
    names (after resolving it), or None when every address it has is public."""
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    for address in resolve(host or ""):
        if _private(address):
            return address
    return None


def resolve(host: str) -> list[str]:
    """The addresses a host name stands for (an address stands for itself);
    none when it cannot be resolved, which the fetch then reports."""
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        pass
    try:
        found = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return []
    return sorted({str(info[4][0]) for info in found})


def _private(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])  # without an IPv6 zone
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    return (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_unspecified  # 0.0.0.0 reaches this machine
        or ip.is_multicast
        or not ip.is_global  # shared address space (100.64.0.0/10) and the like
    )
