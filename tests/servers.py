"""Real HTTP servers for end-to-end tests: Ritmo and the demo LMS on 127.0.0.1 / localhost.

Ritmo is served as ``127.0.0.1`` and the demo LMS as ``localhost``: two different sites, so the
browser treats Ritmo inside the LMS page as a cross-site iframe, as in production.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.serving import make_server

from lti_tool import create_app
from lti_tool.demo import demo_registration
from lti_tool.demo.server import ServerHandle, _LateApp, _start, start_demo_server


@dataclass
class Stack:
    tool: ServerHandle
    lms: ServerHandle
    app: Flask

    @property
    def tool_url(self) -> str:
        return self.tool.url

    @property
    def lms_url(self) -> str:
        return self.lms.url


@contextmanager
def ritmo_server(config: dict[str, Any]) -> Iterator[tuple[ServerHandle, Flask]]:
    """Ritmo on 127.0.0.1 with a free port; BASE_URL is that address."""
    late = _LateApp()
    server = make_server("127.0.0.1", 0, late, threaded=True)
    app = create_app({**config, "BASE_URL": f"http://127.0.0.1:{server.server_port}"})
    late.app = app
    handle = _start(server, app)
    try:
        yield handle, app
    finally:
        handle.shutdown()
        from lti_tool.db import db

        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@contextmanager
def demo_stack(database_url: str, data_dir: Path, **lms_config: Any) -> Iterator[Stack]:
    """Ritmo and the demo LMS, registered with each other, on a clean database."""
    from lti_tool.launch import registry
    from tests.conftest import _config, clean_database

    config = _config(database_url, data_dir)
    config.pop("BASE_URL")
    with ritmo_server(config) as (tool, app):
        lms = start_demo_server({"tool_base_url": tool.url, **lms_config}, host="localhost")
        try:
            with app.app_context():
                clean_database()
                registry.add_platform(demo_registration({"base_url": lms.url, **lms_config}))
            yield Stack(tool=tool, lms=lms, app=app)
        finally:
            lms.shutdown()
