"""The load generator for ``bench/launch.py``: an LTI 1.3 platform that drives login + launch flows.

It plays the platform's part: it serves its JWKS from a small HTTP server on 127.0.0.1 and, for each
flow, does ``GET <login>`` (third-party initiated login), reads ``state``/``nonce``/``redirect_uri``
from the 302 ``Location``, signs an id_token bound to that nonce and ``POST``s it, with the cookies the
login set, to the redirect URI. Each virtual user is a thread with its own cookie jar, eight of them
per process (the client must cost as little CPU as possible, because it shares the machine with
the servers it measures). Only 127.0.0.1 is ever contacted.
"""

from __future__ import annotations

import base64
import json
import logging
import multiprocessing
import socket
import statistics
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from jwt.algorithms import RSAAlgorithm
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
LOOPBACK = "127.0.0.1"

# The population the flows launch as: a realistic mix of returning users in a few courses.
USERS = 2000
COURSES = 20
INSTRUCTOR_SHARE = 0.05


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class LoopbackOnly(Exception):
    """A URL that would leave the machine: the load generator refuses it."""


def _loopback(url: str) -> tuple[int, str]:
    parts = urlsplit(url)
    if parts.scheme != "http" or parts.hostname != LOOPBACK or parts.port is None:
        raise LoopbackOnly(f"refusing to contact {url!r}: the benchmark only talks to {LOOPBACK}")
    return parts.port, parts.path + (f"?{parts.query}" if parts.query else "")


@dataclass
class BenchPlatform:
    """The platform's identity and key; its JWKS is served by :meth:`serve`."""

    client_id: str = "bench-client"
    deployment_id: str = "bench-deployment"
    kid: str = "bench-key-1"
    key: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )
    issuer: str = ""
    jwks_requests: int = 0
    _server: Any = None

    def serve(self) -> BenchPlatform:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self._server = make_server(LOOPBACK, 0, self._wsgi, threaded=True)
        self.issuer = f"http://{LOOPBACK}:{self._server.server_port}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        jwk = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        jwk.update(kid=self.kid, alg="RS256", use="sig")
        self._jwks = json.dumps({"keys": [jwk]})
        header = {"alg": "RS256", "typ": "JWT", "kid": self.kid}
        self._header = _b64(json.dumps(header, separators=(",", ":")).encode())
        return self

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()

    def _wsgi(self, environ: Any, start_response: Any) -> Any:
        request = Request(environ)
        if request.path == "/jwks":
            self.jwks_requests += 1
            response = Response(self._jwks, mimetype="application/json")
        else:
            response = Response("not found", status=404)
        return response(environ, start_response)

    @property
    def auth_login_url(self) -> str:
        return self.issuer + "/auth"

    @property
    def auth_token_url(self) -> str:
        return self.issuer + "/token"

    @property
    def key_set_url(self) -> str:
        return self.issuer + "/jwks"

    def sign(self, claims: dict[str, Any]) -> str:
        """RS256 with ``cryptography`` directly: PyJWT's extra work would be load-generator CPU."""
        body = _b64(json.dumps(claims, separators=(",", ":")).encode())
        signing_input = f"{self._header}.{body}".encode()
        signature = self.key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input.decode()}.{_b64(signature)}"

    def claims(self, nonce: str, user: int, target_link_uri: str) -> dict[str, Any]:
        now = int(time.time())
        course = user % COURSES
        instructor = (user * 7919) % 1000 < INSTRUCTOR_SHARE * 1000
        return {
            "iss": self.issuer,
            "aud": self.client_id,
            "sub": f"bench-user-{user}",
            "iat": now,
            "exp": now + 300,
            "nonce": nonce,
            "name": f"Bench User {user}",
            "given_name": "Bench",
            "family_name": f"User {user}",
            "email": f"user{user}@bench.invalid",
            "locale": "en",
            LTI + "message_type": "LtiResourceLinkRequest",
            LTI + "version": "1.3.0",
            LTI + "deployment_id": self.deployment_id,
            LTI + "target_link_uri": target_link_uri,
            LTI + "resource_link": {"id": f"link-{course}", "title": "Mentoring"},
            LTI + "roles": [INSTRUCTOR if instructor else LEARNER],
            LTI + "context": {
                "id": f"course-{course}", "title": f"Course {course}", "label": f"C{course}",
            },
        }


@dataclass
class Target:
    """A server under test: where its login and launch live and what a good launch page contains."""

    name: str
    base_url: str
    login_path: str
    launch_path: str
    marker: bytes

    @property
    def launch_url(self) -> str:
        return self.base_url + self.launch_path


class FlowError(Exception):
    pass


class VirtualUser:
    """One browser: its own cookie jar; one connection per request, as gunicorn's sync workers
    close each after answering (the requests are written and the answers read on plain sockets:
    ``http.client`` and its e-mail header parser cost the load generator about a millisecond per
    flow, which the servers under test would otherwise lose)."""

    def __init__(self, platform: BenchPlatform, target: Target) -> None:
        self.platform = platform
        self.target = target
        self.port, _ = _loopback(target.base_url + "/")
        self.cookies: dict[str, str] = {}

    def _request(self, method: str, url: str, body: bytes | None = None,
                 headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        port, path = _loopback(url)
        if port != self.port:
            raise FlowError(f"redirected to another server: {url}")
        lines = [f"{method} {path} HTTP/1.1", f"Host: {LOOPBACK}:{port}", "Connection: close"]
        if self.cookies:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        lines.extend(f"{name}: {value}" for name, value in (headers or {}).items())
        if body is not None:
            lines.append(f"Content-Length: {len(body)}")
        request = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b"")
        chunks = []
        with socket.create_connection((LOOPBACK, port), timeout=30) as sock:
            sock.sendall(request)
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        head, _, data = b"".join(chunks).partition(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        try:
            status = int(status_line.split(" ", 2)[1])
        except (IndexError, ValueError):
            raise FlowError(f"not an HTTP response: {status_line[:80]!r}") from None
        answer: dict[str, str] = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "set-cookie":
                cookie, _, _ = value.partition(";")
                key, _, cookie_value = cookie.partition("=")
                self.cookies[key.strip()] = cookie_value
            else:
                answer[name] = value
        if answer.get("transfer-encoding", "").lower() == "chunked":
            data = _unchunk(data)
        return status, answer, data

    def flow(self, user: int) -> float:
        """One login + launch; returns the launch POST's own latency. Raises FlowError on failure."""
        self.cookies.clear()
        query = urlencode({
            "iss": self.platform.issuer,
            "client_id": self.platform.client_id,
            "login_hint": f"bench-user-{user}",
            "target_link_uri": self.target.launch_url,
            "lti_deployment_id": self.platform.deployment_id,
        })
        status, headers, data = self._request(
            "GET", f"{self.target.base_url}{self.target.login_path}?{query}"
        )
        if status != 302:
            raise FlowError(f"login answered {status}: {data[:200]!r}")
        location = headers["location"]
        params = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
        try:
            state, nonce, redirect_uri = params["state"], params["nonce"], params["redirect_uri"]
        except KeyError as missing:
            raise FlowError(f"login redirect lacks {missing}: {location}") from None
        id_token = self.platform.sign(self.platform.claims(nonce, user, self.target.launch_url))
        body = urlencode({"id_token": id_token, "state": state}).encode()
        started = time.perf_counter()
        status, _, data = self._request(
            "POST", redirect_uri, body,
            {"Content-Type": "application/x-www-form-urlencoded"},
        )
        elapsed = time.perf_counter() - started
        if status != 200:
            raise FlowError(f"launch answered {status}: {data[:300]!r}")
        if self.target.marker not in data:
            raise FlowError(f"launch page lacks {self.target.marker!r}: {data[:300]!r}")
        return elapsed



def _unchunk(data: bytes) -> bytes:
    """The body of a chunked transfer encoding."""
    body = bytearray()
    while True:
        size_line, _, rest = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            return bytes(body)
        body += rest[:size]
        data = rest[size + 2:]


@dataclass
class RunResult:
    server: str
    concurrency: int
    seconds: float
    launches: int
    failures: int
    flow_latencies: list[float]
    launch_latencies: list[float]
    errors: dict[str, int]
    client_cpu_seconds: float

    @classmethod
    def merged(cls, parts: list[RunResult]) -> RunResult:
        """Several slices of the same (server, concurrency) as one run."""
        errors: dict[str, int] = {}
        for part in parts:
            for kind, count in part.errors.items():
                errors[kind] = errors.get(kind, 0) + count
        return cls(
            server=parts[0].server,
            concurrency=parts[0].concurrency,
            seconds=sum(p.seconds for p in parts),
            launches=sum(p.launches for p in parts),
            failures=sum(p.failures for p in parts),
            flow_latencies=[x for p in parts for x in p.flow_latencies],
            launch_latencies=[x for p in parts for x in p.launch_latencies],
            errors=errors,
            client_cpu_seconds=sum(p.client_cpu_seconds for p in parts),
        )

    @classmethod
    def side_by_side(cls, parts: list[RunResult]) -> RunResult:
        """The processes of one run, over the same window, as one run."""
        whole = cls.merged(parts)
        whole.seconds = parts[0].seconds
        whole.concurrency = sum(p.concurrency for p in parts)
        return whole

    def summary(self) -> dict[str, Any]:
        def pct(values: list[float], q: float) -> float | None:
            if not values:
                return None
            ordered = sorted(values)
            index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))
            return round(ordered[index] * 1000, 1)

        flows = self.flow_latencies
        return {
            "server": self.server,
            "concurrency": self.concurrency,
            "seconds": round(self.seconds, 2),
            "launches": self.launches,
            "failures": self.failures,
            "launches_per_s": round(self.launches / self.seconds, 1) if self.seconds else 0.0,
            # Latency of the whole flow (login + launch), as a person waiting for the page sees it.
            "p50_ms": pct(flows, 50),
            "p95_ms": pct(flows, 95),
            "p99_ms": pct(flows, 99),
            "mean_ms": round(statistics.fmean(flows) * 1000, 1) if flows else None,
            # The launch POST alone (validation, database writes, page).
            "launch_p50_ms": pct(self.launch_latencies, 50),
            "launch_p99_ms": pct(self.launch_latencies, 99),
            "client_cpu_s": round(self.client_cpu_seconds, 2),
            "errors": dict(sorted(self.errors.items(), key=lambda kv: -kv[1])[:3]),
        }


# Virtual users per load-generator process: one process of Python threads is bound by its GIL (at
# 32 threads it saturated one core before the trivial ceiling server did, and every server's
# latency then included the generator's queueing), so the users are spread over processes.
USERS_PER_PROCESS = 8


def run(platform: BenchPlatform, target: Target, concurrency: int, seconds: float,
        user_offset: int = 0, population: int = USERS, flows: int | None = None) -> RunResult:
    """Drive ``concurrency`` virtual users for ``seconds``; every process and thread stops by itself.

    Flows launch as users ``user_offset + 1, + 2, ...`` modulo ``population`` (each process takes
    every n-th of them); with ``flows``, the run also stops once that many flows have started
    (seeding every user once, for instance).
    """
    processes = max(1, -(-concurrency // USERS_PER_PROCESS))
    start_at = time.monotonic() + 0.2 * processes  # every process starts its clock together
    if processes == 1:
        return _run_threads(platform, target, concurrency, start_at, seconds,
                            user_offset, 1, population, flows)
    context = multiprocessing.get_context("fork")  # the children inherit the platform's key
    pipes, children = [], []
    for index in range(processes):
        users = concurrency // processes + (index < concurrency % processes)
        share = None if flows is None else flows // processes + (index < flows % processes)
        receive, send = context.Pipe(duplex=False)
        child = context.Process(target=_child, daemon=True, args=(
            send, platform, target, users, start_at, seconds, user_offset + index, processes,
            population, share,
        ))
        child.start()
        send.close()
        pipes.append(receive)
        children.append(child)
    parts = []
    for pipe, child in zip(pipes, children, strict=True):
        # Each child answers within ``seconds`` + 60 (its threads' join timeout): one that died or
        # hung must fail the run loudly rather than leave it waiting forever.
        if not pipe.poll(max(0.0, start_at + seconds + 120 - time.monotonic())):
            raise RuntimeError(f"load generator {child.pid} sent no result (exit code {child.exitcode})")
        parts.append(pipe.recv())
    for child in children:
        child.join(10)
    return RunResult.side_by_side(parts)


def _child(send: Any, *args: Any) -> None:
    send.send(_run_threads(*args))
    send.close()


def _run_threads(platform: BenchPlatform, target: Target, concurrency: int, start_at: float,
                 seconds: float, user_offset: int, stride: int, population: int,
                 flows: int | None) -> RunResult:
    """``concurrency`` threads of this process, flows for users ``user_offset + stride * i``."""
    lock = threading.Lock()
    limit = flows
    flows_done: list[float] = []
    posts: list[float] = []
    errors: dict[str, int] = {}
    started_flows = [0]
    done = [0]
    deadline = start_at + seconds

    def next_user() -> int | None:
        with lock:
            if limit is not None and started_flows[0] >= limit:
                return None
            started_flows[0] += 1
            return (user_offset + stride * started_flows[0]) % population

    def worker() -> None:
        browser = VirtualUser(platform, target)
        mine_f: list[float] = []
        mine_p: list[float] = []
        mine_done = [0]
        try:
            while time.monotonic() < deadline:
                user = next_user()
                if user is None:
                    break
                started = time.monotonic()
                try:
                    post = browser.flow(user)
                except Exception as error:  # every failure is counted, none fatal
                    kind = f"{type(error).__name__}: {str(error)[:120]}"
                    with lock:
                        errors[kind] = errors.get(kind, 0) + 1
                    continue
                finished = time.monotonic()
                mine_f.append(finished - started)
                mine_p.append(post)
                if finished <= deadline:
                    # Throughput counts what completes inside the window (a slow server's tail
                    # must not stretch it); latencies keep every flow, the tail's too.
                    mine_done[0] += 1
        finally:
            with lock:
                flows_done.extend(mine_f)
                posts.extend(mine_p)
                done[0] += mine_done[0]

    time.sleep(max(0.0, start_at - time.monotonic()))
    cpu_before = time.process_time()
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 60)
    return RunResult(
        server=target.name,
        concurrency=concurrency,
        seconds=seconds,
        launches=done[0],
        failures=sum(errors.values()),
        flow_latencies=flows_done,
        launch_latencies=posts,
        errors=errors,
        client_cpu_seconds=time.process_time() - cpu_before,
    )
