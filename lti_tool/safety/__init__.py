"""What people typed, made inert where it leaves Ritmo or is shown.

- :mod:`.cells`: spreadsheet cells of every CSV export, so no cell runs as a formula;
- :mod:`.urls`: the one check of a web address stored from input (http/https, a host, no userinfo);
- :mod:`.names`: person names without bidi controls or invisible characters (no name spoofing).

:func:`init_app` adds the Jinja filters that apply the last two when a page is rendered, so rows
stored before these checks existed are shown safely too.
"""

from __future__ import annotations

from flask import Flask

from lti_tool.safety import names, urls


def init_app(app: Flask) -> None:
    app.jinja_env.filters["person"] = names.person_html
    app.jinja_env.filters["safe_href"] = urls.safe_href
