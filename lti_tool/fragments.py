"""Page fragments rendered once per process: parts of hot pages that depend on a few values only.

The programme home opens on every launch, and its links (a dozen ``url_for`` and translated labels)
are the same for everyone with the same role in the same programme. A fragment is keyed by every
variable its template receives, the language and the URL root, so a cached copy is exactly what
rendering again would give; the template must use nothing else (no request, no ``g``).

A whole page can be kept the same way when what differs per person is a few strings (a name, the
session token): :func:`page` renders it with a marker in each such *slot* and fills the slots,
escaped, on every request.
"""

from __future__ import annotations

import secrets
from collections.abc import Hashable

from flask import current_app, render_template, request
from flask_babel import get_locale
from markupsafe import Markup, escape

from lti_tool.headers import csp_nonce

# Distinct fragments per process before the store starts afresh (each is a few kB).
MAX_FRAGMENTS = 2048


def fragment(template: str, **values: Hashable) -> Markup:
    """``template`` rendered with ``values``, from the process's store when it was rendered before."""
    return _kept(template, values, {})


def _kept(template: str, values: dict[str, Hashable], extra: dict[str, object]) -> Markup:
    store: dict[tuple[object, ...], Markup] = current_app.extensions.setdefault("ritmo_fragments", {})
    key = (template, str(get_locale()), request.script_root, tuple(sorted(values.items())))
    found = store.get(key)
    if found is None:
        if len(store) >= MAX_FRAGMENTS:
            store.clear()
        # An autoescaped template's output: already safe HTML.
        found = store[key] = Markup(render_template(template, **values, **extra))  # noqa: S704
    return found


# Markers that stand for slots in kept pages: letters only (autoescaping leaves them as they are),
# and random per process, so no text a person writes can collide with one.
_MARKER = "RitmoSlot" + secrets.token_hex(8)


def page(template: str, slots: dict[str, str], **values: Hashable) -> str:
    """``template`` rendered with ``values``, and each slot's string from ``slots``.

    The page is kept per process for the ``values`` (as :func:`fragment` does) with a marker where
    each slot goes; the slots' strings are escaped into it on every call. A slot is a template
    variable holding a string, except ``session_token``, which stands for the base layout's
    ``session_token()``.
    """
    markers = {name: f"{_MARKER}{name.replace('_', '')}X" for name in slots}
    extra: dict[str, object] = {name: marker for name, marker in markers.items()}
    if "session_token" in markers:
        token_marker = markers["session_token"]
        extra["session_token"] = lambda: token_marker
    # A script's nonce is this request's, never the one of the request that filled the store.
    nonce_marker = f"{_MARKER}cspnonceX"
    extra["csp_nonce"] = lambda: nonce_marker
    kept = str(_kept(template, {**values, "_slots": tuple(sorted(markers))}, extra))
    for name, text in slots.items():
        kept = kept.replace(markers[name], str(escape(text)))
    if nonce_marker in kept:
        kept = kept.replace(nonce_marker, csp_nonce())
    return kept
