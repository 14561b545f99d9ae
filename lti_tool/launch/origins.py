"""Whether a URL lies under another: same origin and a path prefix on a segment boundary.

String prefixes are not enough: ``https://lms.example.edu@evil.example/`` and
``https://lms.example.edu.evil.example/`` both start with ``https://lms.example.edu``. Every
comparison of a platform's URLs with its issuer, or with the admin's list of allowed issuers, goes
through :func:`url_within`.
"""

from __future__ import annotations

from typing import NamedTuple
from urllib.parse import unquote, urlsplit

DEFAULT_PORTS = {"http": 80, "https": 443}


class Location(NamedTuple):
    scheme: str
    host: str
    port: int
    path: str


def parse(url: str) -> Location | None:
    """Scheme, host, port and path of an http(s) URL; ``None`` for anything else, including URLs
    with a user name or password (nothing a platform needs, and the classic way to hide a host)
    or with dot segments in the path."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname or "@" in parts.netloc:
        return None
    # A path prefix means nothing once ``..`` climbs out of it: the client resolves plain dot
    # segments, servers decode ``%2e`` and many read a backslash as a slash.
    if {".", ".."} & set(unquote(parts.path).replace("\\", "/").split("/")):
        return None
    return Location(scheme, parts.hostname.lower().rstrip("."), port or DEFAULT_PORTS[scheme],
                    parts.path)


def url_within(url: str, base: str) -> bool:
    """``url`` has ``base``'s scheme, host and port, and its path is ``base``'s or below it."""
    inner, outer = parse(url), parse(base)
    if inner is None or outer is None or inner[:3] != outer[:3]:
        return False
    prefix = outer.path.rstrip("/")
    return not prefix or inner.path == prefix or inner.path.startswith(prefix + "/")


def within_any(url: str, bases: list[str]) -> bool:
    return any(url_within(url, base) for base in bases)
