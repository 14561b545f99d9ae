"""The guarded outbound client against real servers on 127.0.0.1.

With ``ALLOW_PRIVATE_URLS`` off (production), nothing reaches a loopback or private address, not
even through a name that resolves to one or a redirect; with it on (demos, tests), the redirect,
time and size limits still hold.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from lti_tool import http
from lti_tool.demo.server import ServerHandle, serve_in_thread
from lti_tool.launch import platform_keys
from lti_tool.launch.models import Platform, PlatformStatus
from lti_tool.lti_services import ags, nrps, tokens
from lti_tool.lti_services.errors import AccessTokenError, AgsError, NrpsError

GUARDED = http.Client(allow_private=False, timeout=(1.0, 2.0))
OPEN = http.Client(allow_private=True, timeout=(1.0, 2.0), deadline_seconds=1.0, max_bytes=1000)


class Target:
    """A WSGI app that records every request it gets and answers by path."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        self.lock = threading.Lock()
        self.url = ""

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        path = environ["PATH_INFO"]
        with self.lock:
            self.hits.append(path)
        if path == "/redirect":
            start_response("302 Found", [("Location", self.url + "/secret")])
            return [b""]
        if path == "/big":
            start_response("200 OK", [("Content-Type", "application/json")])
            return [b"x" * 600 for _ in range(5)]  # no Content-Length: streamed and counted
        if path == "/big-declared":
            start_response("200 OK", [("Content-Length", "5000")])
            return [b"y" * 5000]
        if path == "/deep":
            start_response("200 OK", [("Content-Type", "application/json")])
            return [b"[" * 100_000 + b"]" * 100_000]
        if path == "/slow":
            start_response("200 OK", [("Content-Type", "text/plain")])
            return _drip()
        start_response("200 OK", [("Content-Type", "application/json")])
        return [b'{"keys": []}']


def _drip() -> Iterator[bytes]:
    for _ in range(20):
        time.sleep(0.15)
        yield b"."


@pytest.fixture(scope="module")
def target() -> Iterator[tuple[Target, ServerHandle]]:
    app = Target()
    server = serve_in_thread(app)
    app.url = server.url
    yield app, server
    server.shutdown()


@pytest.fixture
def hits(target: tuple[Target, ServerHandle]) -> Target:
    target[0].hits.clear()
    return target[0]


def _port(target: Target) -> int:
    return int(target.url.rsplit(":", 1)[1])


@pytest.mark.parametrize(
    "address, refused",
    [
        ("127.0.0.1", True), ("10.1.2.3", True), ("172.16.0.1", True), ("192.168.1.1", True),
        ("169.254.169.254", True), ("100.64.0.1", True), ("0.0.0.0", True), ("224.0.0.1", True),
        ("240.0.0.1", True), ("255.255.255.255", True), ("::1", True), ("::", True),
        ("fe80::1", True), ("fc00::1", True), ("ff02::1", True), ("::ffff:127.0.0.1", True),
        ("::ffff:169.254.169.254", True), ("2002:7f00:1::1", True), ("64:ff9b::a9fe:a9fe", True),
        ("fec0::1", True),  # deprecated site-local (RFC 3879), still routed inside some networks
        ("93.184.216.34", False), ("2606:4700:4700::1111", False), ("::ffff:93.184.216.34", False),
    ],
)
def test_address_classes(address: str, refused: bool) -> None:
    assert (http.address_refusal(address) is not None) is refused


@pytest.mark.parametrize(
    "url_template",
    [
        "https://127.0.0.1:{port}/jwks",
        "https://10.0.0.7:{port}/jwks",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::1]:{port}/jwks",
        "https://[::ffff:127.0.0.1]:{port}/jwks",
        "https://localhost:{port}/jwks",  # a name: refused once resolved, before connecting
        "http://127.0.0.1:{port}/jwks",  # not https
        "https://lms.example.edu@127.0.0.1:{port}/jwks",  # user info
        "ftp://127.0.0.1:{port}/jwks",
    ],
)
def test_private_and_odd_addresses_are_refused_without_a_request(hits: Target, url_template: str) -> None:
    url = url_template.format(port=_port(hits))
    with pytest.raises(http.OutboundRefused):
        GUARDED.get(url)
    assert hits.hits == []


def test_redirects_are_not_followed(hits: Target) -> None:
    with pytest.raises(http.OutboundRefused, match="redirect"):
        OPEN.get(hits.url + "/redirect")
    assert hits.hits == ["/redirect"]  # the target of the redirect was never asked


def test_answers_are_capped_in_size_and_time(hits: Target) -> None:
    assert OPEN.get(hits.url + "/jwks").json() == {"keys": []}
    with pytest.raises(http.ResponseTooLarge):
        OPEN.get(hits.url + "/big")
    with pytest.raises(http.ResponseTooLarge):
        OPEN.get(hits.url + "/big-declared")
    started = time.monotonic()
    with pytest.raises(requests.Timeout):
        OPEN.get(hits.url + "/slow")
    assert time.monotonic() - started < 2.5  # the whole answer would take 3 s


def _dripping_headers() -> tuple[int, threading.Event]:
    """A server that sends a status line, then one header line every 0.3 s for 6 s: each read is
    quick, the whole answer is not."""
    import socket

    listener = socket.create_server(("127.0.0.1", 0))
    done = threading.Event()

    def serve() -> None:
        conn, _ = listener.accept()
        with conn, listener:
            conn.recv(65536)
            try:
                conn.sendall(b"HTTP/1.1 200 OK\r\n")
                for _ in range(20):
                    if done.wait(0.3):
                        return
                    conn.sendall(b"X-Drip: 1\r\n")
                conn.sendall(b"Content-Length: 2\r\n\r\n{}")
            except OSError:
                return

    threading.Thread(target=serve, daemon=True).start()
    return listener.getsockname()[1], done


def test_the_deadline_also_bounds_an_answer_whose_headers_drip(hits: Target) -> None:
    port, done = _dripping_headers()
    started = time.monotonic()
    try:
        with pytest.raises(requests.Timeout):
            OPEN.get(f"http://127.0.0.1:{port}/")
    finally:
        done.set()
    assert time.monotonic() - started < 2.5  # the deadline is 1 s; the headers would take 6 s


def test_json_nested_too_deep_is_a_value_error_like_any_bad_json(hits: Target) -> None:
    # Callers turn ValueError into "the LMS answered no JSON"; a RecursionError would be a 500.
    answer = http.Client(allow_private=True, timeout=(1.0, 2.0)).get(hits.url + "/deep")
    with pytest.raises(ValueError):
        answer.json()


def test_environment_proxies_are_ignored(hits: Target, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://10.9.9.9:3128")
    monkeypatch.setenv("NO_PROXY", "")
    assert OPEN.get(hits.url + "/jwks").status_code == 200


def test_outbound_settings_come_from_the_app(app: Any, hits: Target) -> None:
    app.config["ALLOW_PRIVATE_URLS"] = False
    with pytest.raises(http.OutboundRefused):
        http.request("GET", hits.url + "/jwks")
    app.config["ALLOW_PRIVATE_URLS"] = True
    assert http.request("GET", hits.url + "/jwks").status_code == 200


def test_platform_keys_and_services_use_the_guarded_client(app: Any, hits: Target) -> None:
    app.config["ALLOW_PRIVATE_URLS"] = False
    port = _port(hits)
    with pytest.raises(platform_keys.KeySetError):
        platform_keys.public_key(f"https://localhost:{port}/jwks", "k1")
    with pytest.raises(AgsError) as refused:
        ags.post_score(http.client(), "t", f"https://10.0.0.1:{port}/lineitems/1", {}, (1, 1))
    assert not refused.value.transient
    endpoint = tokens.TokenEndpoint("c", f"https://[::1]:{port}/token")
    from lti_tool.launch import keys

    with pytest.raises(AccessTokenError):
        tokens.request_token(http.client(), endpoint, keys.signing_key(), ags.DELIVERY_SCOPES, (1, 1))
    platform = Platform(status=PlatformStatus.ACTIVE)
    with pytest.raises(NrpsError) as roster:
        list(nrps.members(platform, f"https://localhost:{port}/members", token=lambda p, s: "t"))
    assert not roster.value.transient
    assert hits.hits == []
