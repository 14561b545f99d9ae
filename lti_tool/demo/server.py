"""Run a WSGI app (the demo LMS) as a real HTTP server in a background thread."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment
    from flask import Flask


class _QuietHandler(WSGIRequestHandler):
    """No access log lines: keeps test output readable."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


@dataclass
class ServerHandle:
    """A running server: `.url`, `.shutdown()`; usable as a context manager."""

    server: BaseWSGIServer
    thread: threading.Thread
    app: Any = field(default=None)

    @property
    def host(self) -> str:
        return str(self.server.host)

    @property
    def port(self) -> int:
        return int(self.server.server_port)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def shutdown(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=10)
        self.server.server_close()

    def __enter__(self) -> ServerHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()


def _bind(host: str, port: int, app: WSGIApplication, quiet: bool) -> BaseWSGIServer:
    handler = _QuietHandler if quiet else None
    return make_server(host, port, app, threaded=True, request_handler=handler)


def _start(server: BaseWSGIServer, app: Any) -> ServerHandle:
    # A short poll interval keeps shutdown() fast (tests start many servers).
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.05},
        name=f"demo-http-{server.server_port}",
        daemon=True,
    )
    thread.start()
    return ServerHandle(server, thread, app)


def serve_in_thread(
    app: WSGIApplication, host: str = "127.0.0.1", port: int = 0, quiet: bool = True
) -> ServerHandle:
    """Serve `app` on host:port (0 picks a free port) from a daemon thread."""
    return _start(_bind(host, port, app, quiet), app)


class _LateApp:
    """Placeholder app: the socket is bound before the demo app knows its own URL."""

    def __init__(self) -> None:
        self.app: WSGIApplication | None = None

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if self.app is None:
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"starting"]
        return self.app(environ, start_response)


def start_demo_server(
    config: Mapping[str, Any] | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    quiet: bool = True,
) -> ServerHandle:
    """Start the demo LMS; `base_url` defaults to the bound address (works with port 0).

    `handle.app` is the Flask app; `DemoPlatform.of(handle.app)` its state.
    """
    from . import create_demo_lms

    late = _LateApp()
    server = _bind(host, port, late, quiet)
    cfg = dict(config or {})
    cfg.setdefault("base_url", f"http://{host}:{server.server_port}")
    try:
        app: Flask = create_demo_lms(cfg)
    except Exception:
        server.server_close()
        raise
    late.app = app
    return _start(server, app)
