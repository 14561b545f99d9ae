"""The one outbound HTTP client, for every address that came from outside Ritmo.

Platform configurations, registration endpoints, key sets, token endpoints and the AGS/NRPS URLs in
launch claims are all named by someone else, so every call to them goes through :func:`request`:

- https only, no user name or password in the URL;
- the host is resolved inside the connection, every address it resolves to is checked, and the
  socket connects to the address that was checked (TLS still verifies the certificate against the
  host name). There is no second lookup, so a name that answers a public address to a check and
  127.0.0.1 to the connection (DNS rebinding) cannot get through. Loopback, private, link-local,
  multicast, reserved, unspecified and shared addresses are refused, also inside IPv4-mapped,
  6to4 and NAT64 IPv6 addresses;
- no redirects (a redirect could point anywhere; the caller gets :class:`OutboundRefused`);
- environment proxies are ignored (a proxy would hide the destination from the check);
- bounded time (connect and read timeouts plus ``HTTP_DEADLINE_SECONDS`` for the whole answer,
  headers included: at the deadline the socket is shut)
  and size (the body is streamed and cut at ``HTTP_MAX_RESPONSE_BYTES``).

``ALLOW_PRIVATE_URLS`` lifts the scheme and address checks (demos and tests on 127.0.0.1); the
redirect, time and size limits stay.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import socket
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from flask import current_app
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    MaxRetryError,
    NewConnectionError,
    ReadTimeoutError,
)
from urllib3.util import connection as urllib3_connection

USER_AGENT = "Ritmo-LTI-Tool/0.1"
CHUNK_BYTES = 65536
# IPv6 prefixes that carry an IPv4 address in their low 32 bits (NAT64 well-known prefix).
_NAT64 = ipaddress.ip_network("64:ff9b::/96")

_local = threading.local()


class OutboundRefused(requests.RequestException):
    """Ritmo will not make (or finish) this call; the message is the reason, for the admin's log."""


class ResponseTooLarge(OutboundRefused):
    """The answer was larger than ``HTTP_MAX_RESPONSE_BYTES``."""


class _AddressRefused(NewConnectionError):
    """Raised inside the connection; :func:`request` turns it into :class:`OutboundRefused`."""


@dataclass(frozen=True)
class Answer:
    """A whole, size-capped answer: what callers read instead of a streaming response."""

    status_code: int
    reason: str
    headers: CaseInsensitiveDict[str]
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        """The body as JSON; raises ``ValueError`` when it is not (or nests past the recursion
        limit, which ``json`` reports as ``RecursionError``: a remote server's doing, not ours)."""
        try:
            return json.loads(self.content)
        except RecursionError as error:
            raise ValueError("the JSON answer nests too deeply") from error


def address_refusal(address: str) -> str | None:
    """Why Ritmo must not connect to ``address`` (an IP literal), or ``None`` if it may."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return f"{address!r} is not an IP address"
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            reason = address_refusal(str(embedded))
            return f"{ip} carries {reason}" if reason else None
    # ``is_global`` alone misses fec0::/10 (site-local, deprecated but still routed in places).
    for kind in ("loopback", "private", "link_local", "site_local", "multicast", "reserved",
                 "unspecified"):
        if getattr(ip, f"is_{kind}", False):
            return f"{ip} is a {kind.replace('_', '-')} address"
    if not ip.is_global:  # shared (100.64/10), benchmarking, documentation ranges
        return f"{ip} is not a public address"
    return None


def check_url(url: str, *, allow_private: bool) -> None:
    """Refuse, before any connection, what the URL alone shows: scheme, user info, an IP host."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as error:
        raise OutboundRefused(f"{url!r} is not a URL") from error
    if parts.scheme not in ("https", "http") or not host:
        raise OutboundRefused(f"{url!r} is not an https URL")
    if "@" in parts.netloc:
        raise OutboundRefused("URLs with a user name or password are refused")
    if allow_private:
        return
    if parts.scheme != "https":
        raise OutboundRefused(f"{url!r} is not https")
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return  # a name: checked once resolved, inside the connection
    reason = address_refusal(host)
    if reason:
        raise OutboundRefused(reason)


def _checked_connection(conn: HTTPConnection) -> socket.socket:
    """Resolve the host once, refuse if any address is not public, connect to a checked one."""
    try:
        infos = socket.getaddrinfo(conn.host.strip("[]"), conn.port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise NewConnectionError(conn, f"{conn.host} does not resolve: {error}") from error
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    for address in addresses:
        reason = address_refusal(address)
        if reason:
            raise _AddressRefused(conn, f"{conn.host} resolves to {reason}")
    failure: Exception = NewConnectionError(conn, f"{conn.host} resolves to no address")
    for address in addresses:
        try:
            # An IP literal: create_connection does no further lookup.
            return urllib3_connection.create_connection(
                (address, conn.port or 443), conn.timeout, source_address=conn.source_address,
                socket_options=conn.socket_options,
            )
        except TimeoutError as timeout:
            failure = ConnectTimeoutError(conn, f"Connection to {conn.host} timed out.")
            failure.__cause__ = timeout
        except OSError as error:
            failure = NewConnectionError(conn, f"Failed to connect to {conn.host}: {error}")
    raise failure


def _watch(conn: HTTPConnection) -> None:
    """Let this thread's :meth:`Client.request` cut ``conn`` at its deadline (new or reused)."""
    watched: list[HTTPConnection] | None = getattr(_local, "watched", None)
    if watched is not None:
        watched.append(conn)


def _cut(watched: list[HTTPConnection], fired: threading.Event) -> None:
    """The deadline passed: shut the sockets, so a read blocked on a dripping answer returns.
    ``socket.socket.shutdown`` on the descriptor, not ``SSLSocket.shutdown``, which would drop the
    TLS state under the reading thread."""
    fired.set()
    for conn in list(watched):
        if conn.sock is not None:
            with contextlib.suppress(OSError):  # already closed
                socket.socket.shutdown(conn.sock, socket.SHUT_RDWR)


class _WatchedHTTPConnection(HTTPConnection):
    def request(self, *args: Any, **kwargs: Any) -> None:
        _watch(self)
        super().request(*args, **kwargs)


class _WatchedHTTPSConnection(HTTPSConnection):
    def request(self, *args: Any, **kwargs: Any) -> None:
        _watch(self)
        super().request(*args, **kwargs)


class _GuardedHTTPConnection(_WatchedHTTPConnection):
    def _new_conn(self) -> socket.socket:
        return _checked_connection(self)


class _GuardedHTTPSConnection(_WatchedHTTPSConnection):
    def _new_conn(self) -> socket.socket:
        return _checked_connection(self)


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class _GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class _GuardedAdapter(HTTPAdapter):
    """Connections :meth:`Client.request` can cut at its deadline; with ``guarded``, they also
    check the addresses they connect to."""

    def __init__(self, guarded: bool = True) -> None:
        self.guarded = guarded
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = (
            {"http": _GuardedHTTPPool, "https": _GuardedHTTPSPool} if self.guarded
            else {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}
        )


def http_session(allow_private: bool | None = None) -> requests.Session:
    """This thread's outbound session (connection reuse; Canvas requires a User-Agent).

    Prefer :class:`Client`, which adds the URL, redirect, time and size checks; the session alone
    checks addresses at connect time only.
    """
    if allow_private is None:
        allow_private = bool(current_app.config["ALLOW_PRIVATE_URLS"])
    name = "open" if allow_private else "guarded"
    session = getattr(_local, name, None)
    if session is None:
        session = requests.Session()
        session.trust_env = False
        session.headers["User-Agent"] = USER_AGENT
        session.mount("https://", _GuardedAdapter(guarded=not allow_private))
        session.mount("http://", _GuardedAdapter(guarded=not allow_private))
        setattr(_local, name, session)
    return session


@dataclass(frozen=True)
class Client:
    """The settings of outbound calls, fixed when made so worker threads need no app context."""

    allow_private: bool = False
    timeout: Any = (3.05, 10.0)
    deadline_seconds: float = 30.0
    max_bytes: int = 5_000_000

    def request(
        self, method: str, url: str, *, headers: dict[str, str] | None = None,
        json_body: Any = None, data: Any = None, timeout: Any = None,
    ) -> Answer:
        """One outbound call under every rule above; raises ``requests.RequestException``.

        :class:`OutboundRefused` says Ritmo refused the address or the answer; other
        ``RequestException`` errors are the network's.
        """
        check_url(url, allow_private=self.allow_private)
        # Read timeouts bound each read, not the answer: a server that sends a byte now and then
        # (headers included) would hold this thread for ever. At the deadline the socket is cut.
        watched: list[HTTPConnection] = []
        fired = threading.Event()
        timer = threading.Timer(self.deadline_seconds, _cut, (watched, fired))
        timer.daemon = True
        _local.watched = watched
        timer.start()
        try:
            return self._request(method, url, headers, json_body, data, timeout, fired)
        except (requests.RequestException, HTTPError) as error:
            if fired.is_set() and not isinstance(error, OutboundRefused):
                raise requests.Timeout(
                    f"{url} took longer than {self.deadline_seconds} s to answer"
                ) from error
            # From reading the body (requests wraps only what happens before): the network's.
            if isinstance(error, ReadTimeoutError):
                raise requests.ReadTimeout(f"{url}: {error}") from error
            if isinstance(error, HTTPError):
                raise requests.ConnectionError(f"{url}: {error}") from error
            raise
        finally:
            timer.cancel()
            _local.watched = None

    def _request(self, method: str, url: str, headers: dict[str, str] | None, json_body: Any,
                 data: Any, timeout: Any, fired: threading.Event) -> Answer:
        try:
            response = http_session(self.allow_private).request(
                method, url, headers=headers, json=json_body, data=data,
                timeout=timeout if timeout is not None else self.timeout,
                allow_redirects=False, stream=True,
            )
        except requests.ConnectionError as error:
            cause = error.args[0] if error.args else None
            reason = cause.reason if isinstance(cause, MaxRetryError) else cause
            if isinstance(reason, _AddressRefused):
                raise OutboundRefused(str(reason).split(": ", 1)[-1]) from error
            raise
        with response:
            if response.is_redirect:
                raise OutboundRefused(f"{url} answered a redirect ({response.status_code}); "
                                      "redirects are not followed")
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > self.max_bytes:
                raise ResponseTooLarge(f"{url} answered {declared} bytes (limit {self.max_bytes})")
            body = bytearray()
            # Once the headers are in, the connection may have handed its socket to the response
            # (an answer that ends when the server closes): the deadline is checked here too.
            while chunk := response.raw.read1(CHUNK_BYTES, decode_content=True):
                body += chunk
                if len(body) > self.max_bytes:
                    raise ResponseTooLarge(f"{url} answered more than {self.max_bytes} bytes")
                if fired.is_set():
                    break
            if fired.is_set():  # cut at the deadline: what was read is not the whole answer
                raise requests.Timeout(f"{url} took longer than {self.deadline_seconds} s to answer")
            return Answer(status_code=response.status_code, reason=response.reason or "",
                          headers=response.headers, content=bytes(body))

    def get(self, url: str, **kwargs: Any) -> Answer:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> Answer:
        return self.request("POST", url, **kwargs)


def client() -> Client:
    """The outbound client with this app's settings."""
    config = current_app.config
    return Client(
        allow_private=bool(config["ALLOW_PRIVATE_URLS"]), timeout=config["HTTP_TIMEOUT_SECONDS"],
        deadline_seconds=float(config["HTTP_DEADLINE_SECONDS"]),
        max_bytes=int(config["HTTP_MAX_RESPONSE_BYTES"]),
    )


def request(method: str, url: str, **kwargs: Any) -> Answer:
    """:meth:`Client.request` with this app's settings."""
    return client().request(method, url, **kwargs)
