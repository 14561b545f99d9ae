"""Page fragments rendered once per process: parts of hot pages that depend on a few values only.

The programme home opens on every launch, and its links (a dozen ``url_for`` and translated labels)
are the same for everyone with the same role in the same programme. A fragment is keyed by every
variable its template receives, the language and the URL root, so a cached copy is exactly what
rendering again would give; the template must use nothing else (no request, no ``g``).
"""

from __future__ import annotations

from collections.abc import Hashable

from flask import current_app, render_template, request
from flask_babel import get_locale
from markupsafe import Markup

# Distinct fragments per process before the store starts afresh (each is a few kB).
MAX_FRAGMENTS = 2048


def fragment(template: str, **values: Hashable) -> Markup:
    """``template`` rendered with ``values``, from the process's store when it was rendered before."""
    store: dict[tuple[object, ...], Markup] = current_app.extensions.setdefault("ritmo_fragments", {})
    key = (template, str(get_locale()), request.script_root, tuple(sorted(values.items())))
    found = store.get(key)
    if found is None:
        if len(store) >= MAX_FRAGMENTS:
            store.clear()
        # An autoescaped template's output: already safe HTML.
        found = store[key] = Markup(render_template(template, **values))  # noqa: S704
    return found
