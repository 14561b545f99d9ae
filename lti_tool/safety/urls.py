"""The one check of a web address that Ritmo stores from input, and its guard when one is shown.

Stored addresses end up as links people click, redirects and calendar entries, so only ``http`` and
``https`` are kept (no ``javascript:``, ``data:``, ``vbscript:``, ``file:``), with a real host, no
user name or password before it (``https://trusted.example@evil.example``), no whitespace, control
or invisible characters and no backslash (browsers read ``\\`` as ``/``), and a bounded length.

:class:`WebUrl` is the marshmallow field at the API and form boundary; services that take addresses
from elsewhere (the CLI, imports) call :func:`web_url`. :func:`safe_href` is the render-time guard
for rows stored before this check existed.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any
from urllib.parse import urlsplit

from flask_babel import gettext as _
from marshmallow import ValidationError, fields

#: The longest address kept (the columns that store addresses hold 1024 characters).
MAX_LENGTH = 1024
SCHEMES = ("http", "https")
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


class UnsafeUrl(ValueError):
    """An address Ritmo does not store; ``str(error)`` says what to give instead."""


def web_url(value: str, *, https_only: bool = False, max_length: int = MAX_LENGTH) -> str:
    """``value`` without surrounding spaces when it is a plain http(s) address, else :class:`UnsafeUrl`."""
    url = (value or "").strip()
    wanted = (
        _("Give a full address starting with https://.")
        if https_only
        else _("Give a full address starting with https:// or http://.")
    )
    if not url:
        raise UnsafeUrl(wanted)
    if len(url) > max_length:
        raise UnsafeUrl(_("Keep the address under %(n)d characters.", n=max_length))
    if "\\" in url or any(ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf") for ch in url):
        raise UnsafeUrl(_("Give the address without spaces or hidden characters."))
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError as error:
        raise UnsafeUrl(wanted) from error
    if parts.scheme.lower() not in (("https",) if https_only else SCHEMES):
        raise UnsafeUrl(wanted)
    if "@" in parts.netloc:
        raise UnsafeUrl(_("Give the address without a user name or password before the host."))
    if not _valid_host(parts.hostname or "", parts.netloc):
        raise UnsafeUrl(wanted)
    return url


def _valid_host(host: str, netloc: str) -> bool:
    if not host:
        return False
    if netloc.startswith("["):  # an IPv6 literal; urlsplit has checked the brackets
        return True
    try:
        ascii_host = host.rstrip(".").encode("idna").decode("ascii")
    except UnicodeError:
        return False
    labels = ascii_host.split(".")
    return len(ascii_host) <= 253 and all(_LABEL.match(label) for label in labels)


def safe_href(value: str | None) -> str | None:
    """``value`` if it may be a live link (an http(s) address, or a path of this site), else None."""
    if not value:
        return None
    if value.startswith("/") and not value.startswith(("//", "/\\")):
        return None if any(ch.isspace() or ch == "\\" for ch in value) else value
    try:
        return web_url(value)
    except UnsafeUrl:
        return None


class WebUrl(fields.Field[str | None]):
    """A field holding an http(s) address (see :func:`web_url`); blank means none when
    ``allow_none`` is set."""

    def __init__(self, *, https_only: bool = False, max_length: int = MAX_LENGTH, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.https_only = https_only
        self.max_length = max_length

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else str(value)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str | None:
        if not isinstance(value, str):
            raise ValidationError(_("Give the address as text."))
        text = value
        if not text.strip() and self.allow_none:
            return None
        try:
            return web_url(text, https_only=self.https_only, max_length=self.max_length)
        except UnsafeUrl as error:
            raise ValidationError(str(error)) from error
