"""Launch benchmark: full OIDC login + launch flows against Ritmo, a plain pylti1p3 tool and a ceiling.

Usage::

    .venv/bin/python bench/launch.py [--seconds 10] [--concurrency 1,8,32] [--threads 1]
        [--servers ritmo,peer,ceiling] [--database-url postgresql://postgres@127.0.0.1:5432/test]
        [--redis-url redis://127.0.0.1:6379/14]

All three servers run under gunicorn with the same settings (2 workers, sync worker class; with
``--threads N`` > 1, gthread for all): Ritmo through ``lti-tool serve`` on a scratch PostgreSQL
database (created here, migrated with ``lti-tool db upgrade``, the bench platform registered with
``lti-tool platform add``, dropped at the end) with Redis for state; the peer is
``bench/peer_pylti1p3`` (Flask-Caching on Redis); the ceiling is ``bench/ceiling_app.py``. This
process is the load generator and the platform (see ``bench/lti_driver.py``); it only contacts
127.0.0.1 and stops by itself. Prints one JSON line per (server, concurrency) and a summary line.
Budget (design.md section 6): in every phase, Ritmo's launches/s at least 0.9 of the peer's at each
concurrency, and p99 < 150 ms at 32.

``--phase`` says whose launches are measured (the peer writes nothing, so it is the same for it):
``first`` (new users: every launch inserts its user, enrolment and participation), ``returning``
(the default: every user launched before, but longer ago than ``LAUNCH_MEMO_SECONDS``, so each
launch reads its rows and writes what changed) or ``relaunch`` (within minutes: the launch memo
answers and the launch writes nothing; later the same day it adds one UPDATE every five minutes).
Several phases, comma-separated (``--phase relaunch,returning,first``), are measured one after the
other against the same servers, each with its own summary line.

``--before DIR`` also serves Ritmo from another checkout (``git worktree add DIR <commit>``; it runs
with this environment's packages) as the server ``before``, on its own scratch database and Redis
database, in the same slices: a change's cost is then read in one run, not across two.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.lti_driver import LOOPBACK, USERS, BenchPlatform, RunResult, Target, run  # noqa: E402

BIN = Path(sys.executable).parent
WORKERS = 2
BUDGET_RATIO = 0.9  # at most 10% behind the peer
BUDGET_P99_MS = 150.0
BUDGET_CONCURRENCY = 32
# In the order several run: a relaunch needs the seeding's memos, which a returning phase deletes.
PHASES = ("relaunch", "returning", "first")
# Ritmo's launch memos in Redis (its cache prefix + the memo's own).
MEMO_PREFIX = "ritmo:launch-memo:"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def wait_ready(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server for {url} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # loopback only
                if response.status < 500:
                    return
        except urllib.error.HTTPError as error:
            if error.code < 500:
                return
            time.sleep(0.2)
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


def _children(pid: int) -> list[int]:
    try:
        tasks = Path(f"/proc/{pid}/task").iterdir()
        return [int(c) for t in tasks for c in (t / "children").read_text().split()]
    except OSError:
        return []


def _cpu_ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])  # utime + stime


@dataclass
class Server:
    target: Target
    process: subprocess.Popen
    log: Path

    def cpu_seconds(self) -> float:
        """CPU used so far by the server's processes (gunicorn master and workers), from /proc:
        per launch, a figure the shared machine's load does not distort much."""
        pids = [self.process.pid, *_children(self.process.pid)]
        return sum(_cpu_ticks(pid) for pid in pids) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class ScratchDatabase:
    """A PostgreSQL database of our own on the given server, dropped at the end."""

    def __init__(self, admin_url: str) -> None:
        import psycopg

        self._psycopg = psycopg
        self.admin_url = admin_url
        self.name = f"ritmo_bench_{os.getpid()}_{secrets.token_hex(3)}"
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.name}"')
        base, _, _ = admin_url.rpartition("/")
        self.url = f"{base}/{self.name}"

    def drop(self) -> None:
        with self._psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def gunicorn_args(threads: int, port: int) -> list[str]:
    return [
        str(BIN / "gunicorn"), "--workers", str(WORKERS), "--threads", str(threads),
        "--bind", f"{LOOPBACK}:{port}", "--log-level", "warning",
    ]


def start_ritmo(platform: BenchPlatform, database_url: str, redis_url: str, threads: int,
                workdir: Path, extra_env: dict[str, str] | None = None, name: str = "ritmo") -> Server:
    port = free_port()
    home = workdir / name
    home.mkdir(exist_ok=True)
    env = {
        **os.environ,
        "LTI_TOOL_DATABASE_URL": database_url,
        "LTI_TOOL_REDIS_URL": redis_url,
        "LTI_TOOL_BASE_URL": f"http://{LOOPBACK}:{port}",
        "LTI_TOOL_SECRET_KEY": secrets.token_urlsafe(32),
        "LTI_TOOL_DATA_DIR": str(home / "data"),
        # One client address sends every launch: the per-address limit would measure itself.
        "LTI_TOOL_RATELIMIT_ENABLED": "false",
        # The measured platform listens on 127.0.0.1 over http.
        "LTI_TOOL_ALLOW_PRIVATE_URLS": "true",
        **(extra_env or {}),
    }
    tool = str(BIN / "lti-tool")
    subprocess.run([tool, "db", "upgrade"], env=env, check=True, capture_output=True, cwd=home)
    subprocess.run(
        [tool, "platform", "add", "--issuer", platform.issuer, "--client-id", platform.client_id,
         "--deployment-id", platform.deployment_id, "--auth-login-url", platform.auth_login_url,
         "--auth-token-url", platform.auth_token_url, "--key-set-url", platform.key_set_url,
         "--name", "Bench LMS"],
        env=env, check=True, capture_output=True, cwd=home,
    )
    log = workdir / f"{name}.log"
    process = subprocess.Popen(
        [tool, "serve", "--host", LOOPBACK, "--port", str(port), "--workers", str(WORKERS),
         "--threads", str(threads)],
        env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, cwd=home,
    )
    base = f"http://{LOOPBACK}:{port}"
    wait_ready(base + "/lti/jwks", process)
    return Server(Target(name, base, "/lti/login", "/lti/launch", b'name="ritmo-session"'),
                  process, log)


@dataclass
class RitmoState:
    """Where one Ritmo server keeps its rows and its launch memos."""

    database: ScratchDatabase
    redis_url: str


def neighbour_redis_db(url: str) -> str:
    """The same Redis server, the database below ``url``'s (13 for 14): the ``before`` server's
    launch memos must not answer Ritmo's launches (same keys, other rows)."""
    base, _, number = url.rpartition("/")
    db_number = int(number) if number.isdigit() else 0
    return f"{base}/{db_number - 1 if db_number > 0 else 1}"


def write_peer_config(platform: BenchPlatform, workdir: Path) -> Path:
    """The peer's ``ToolConfJsonFile`` (and the key files it names), as pylti1p3's README shows."""
    conf_dir = workdir / "peer"
    conf_dir.mkdir(exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    (conf_dir / "private.key").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ))
    (conf_dir / "public.key").write_bytes(key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ))
    path = conf_dir / "tool.json"
    path.write_text(json.dumps({
        platform.issuer: [{
            "default": True,
            "client_id": platform.client_id,
            "auth_login_url": platform.auth_login_url,
            "auth_token_url": platform.auth_token_url,
            "auth_audience": None,
            "key_set_url": platform.key_set_url,
            "key_set": None,
            "private_key_file": "private.key",
            "public_key_file": "public.key",
            "deployment_ids": [platform.deployment_id],
        }]
    }))
    return path


def start_peer(platform: BenchPlatform, redis_url: str, prefix: str, threads: int,
               workdir: Path) -> Server:
    port = free_port()
    config = write_peer_config(platform, workdir)
    env = {
        **os.environ,
        "PEER_TOOL_CONFIG": str(config),
        "PEER_REDIS_URL": redis_url,
        "PEER_CACHE_PREFIX": prefix,
    }
    log = workdir / "peer.log"
    process = subprocess.Popen(
        [*gunicorn_args(threads, port), "bench.peer_pylti1p3.app:app"],
        env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, cwd=ROOT,
    )
    base = f"http://{LOOPBACK}:{port}"
    wait_ready(base + "/launch/", process)
    return Server(Target("peer", base, "/login/", "/launch/", b"data-launch-id="), process, log)


def start_ceiling(threads: int, workdir: Path) -> Server:
    port = free_port()
    log = workdir / "ceiling.log"
    process = subprocess.Popen(
        [*gunicorn_args(threads, port), "bench.ceiling_app:app"],
        stdout=log.open("wb"), stderr=subprocess.STDOUT, cwd=ROOT,
    )
    base = f"http://{LOOPBACK}:{port}"
    wait_ready(base + "/lti/launch", process)
    return Server(Target("ceiling", base, "/lti/login", "/lti/launch", b'name="ritmo-session"'),
                  process, log)


def delete_redis_prefix(redis_url: str, prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(match=prefix + "*", count=1000))
    for start in range(0, len(keys), 500):
        client.delete(*keys[start:start + 500])


def age_last_seen(database_url: str) -> None:
    """Make every user's last launch a day old, as the returning phase promises (the launch then
    also refreshes ``last_seen_at``)."""
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("UPDATE \"user\" SET last_seen_at = now() - interval '1 day'")


def parse_phases(value: str) -> list[str]:
    """``--phase``: one phase or several, comma-separated, returned in ``PHASES`` order."""
    asked = {item.strip() for item in value.split(",") if item.strip()}
    unknown = asked - set(PHASES)
    if unknown or not asked:
        raise argparse.ArgumentTypeError(
            f"unknown phase {', '.join(sorted(unknown)) or '(none)'}; choose from {', '.join(PHASES)}"
        )
    return [phase for phase in PHASES if phase in asked]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="measured time per run")
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured seconds per server")
    parser.add_argument("--rounds", type=int, default=2,
                        help="slices per (server, concurrency), interleaved between servers")
    parser.add_argument("--concurrency", default="1,8,32")
    parser.add_argument("--servers", default="ritmo,peer,ceiling")
    parser.add_argument("--threads", type=int, default=1,
                        help="gunicorn threads per worker for every server (>1 means gthread)")
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/test",
                        help="an existing database to connect to; a scratch one is created beside it")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    parser.add_argument(
        "--phase", type=parse_phases, default=["returning"],
        help="first: every flow is a new user's first launch; returning: every user launched "
             "before, longer ago than the launch memo lasts (rows exist, nothing remembered); "
             "relaunch: users who launched minutes ago (the launch memo answers). Several, "
             "comma-separated, measure each against the same servers, with a summary each")
    parser.add_argument("--before", type=Path, metavar="DIR",
                        help="also serve Ritmo from this checkout, as the server 'before'")
    parser.add_argument("--ritmo-env", action="append", default=[], metavar="LTI_TOOL_X=VALUE",
                        help="extra setting for Ritmo (repeatable), to try a lever")
    args = parser.parse_args(argv)
    levels = [int(c) for c in args.concurrency.split(",")]
    names = [s.strip() for s in args.servers.split(",") if s.strip()]
    if args.before is not None:
        if not (args.before / "lti_tool").is_dir():
            parser.error(f"--before {args.before}: no lti_tool/ there (a checkout of Ritmo?)")
        names.insert(names.index("ritmo") + 1 if "ritmo" in names else 0, "before")

    workdir = Path(tempfile.mkdtemp(prefix="ritmo-bench-"))
    platform = BenchPlatform().serve()
    peer_prefix = f"bench-peer-{os.getpid()}-{secrets.token_hex(3)}:"
    ritmos: dict[str, RitmoState] = {}
    servers: dict[str, Server] = {}
    try:
        extra_env = dict(item.split("=", 1) for item in args.ritmo_env)
        for name in ("ritmo", "before"):
            if name not in names:
                continue
            redis_url = args.redis_url if name == "ritmo" else neighbour_redis_db(args.redis_url)
            ritmos[name] = RitmoState(ScratchDatabase(args.database_url), redis_url)
            env = extra_env if name == "ritmo" else {**extra_env, "PYTHONPATH": str(args.before)}
            delete_redis_prefix(redis_url, MEMO_PREFIX)
            servers[name] = start_ritmo(platform, ritmos[name].database.url, redis_url,
                                        args.threads, workdir, env, name)
        if "peer" in names:
            servers["peer"] = start_peer(platform, args.redis_url, peer_prefix, args.threads,
                                         workdir)
        if "ceiling" in names:
            servers["ceiling"] = start_ceiling(args.threads, workdir)
        for name in names:
            warm = run(platform, servers[name].target, 8, args.warmup)
            if warm.failures:
                print(json.dumps({"warmup": name, **warm.summary()}), file=sys.stderr)
        if set(args.phase) - {"first"}:
            for name in ritmos:
                # Every user of the population launches once, unmeasured: a programme under way.
                seeded = run(platform, servers[name].target, 16, 600, flows=USERS)
                print(json.dumps({"seeded": seeded.launches, "server": name,
                                  "failures": seeded.failures}), file=sys.stderr)
        fresh_users = iter(range(USERS, 10**9, 100_000))
        for phase in args.phase:
            results = measure(args, phase, levels, names, servers, platform, ritmos, fresh_users)
            # Printed as each phase ends: a later phase that fails keeps the earlier ones' verdicts.
            print(json.dumps({**summarise(results), "phase": phase}), flush=True)
    finally:
        for server in servers.values():
            server.stop()
        platform.close()
        for state in ritmos.values():
            state.database.drop()
            delete_redis_prefix(state.redis_url, MEMO_PREFIX)
        if "peer" in names:
            delete_redis_prefix(args.redis_url, peer_prefix)
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


def measure(args: argparse.Namespace, phase: str, levels: list[int], names: list[str],
            servers: dict[str, Server], platform: BenchPlatform, ritmos: dict[str, RitmoState],
            fresh_users: Iterator[int]) -> list[dict[str, Any]]:
    """One phase at every concurrency level; prints and returns one result per (server, level)."""
    results: list[dict[str, Any]] = []
    # Servers take turns in short slices at each level (the order rotating each round), so
    # noise from the shared machine falls on all of them alike.
    for concurrency in levels:
        slices: dict[str, list[RunResult]] = {name: [] for name in names}
        server_cpu = dict.fromkeys(names, 0.0)
        for round_ in range(args.rounds):
            order = names[round_ % len(names):] + names[:round_ % len(names)]
            for name in order:
                offset, population = names.index(name) * 500 + round_ * 97, USERS
                if phase == "first":  # users never seen before, every flow
                    offset, population = next(fresh_users), 10**9
                elif phase == "returning" and name in ritmos:
                    delete_redis_prefix(ritmos[name].redis_url, MEMO_PREFIX)
                    age_last_seen(ritmos[name].database.url)
                cpu = servers[name].cpu_seconds()
                slices[name].append(run(
                    platform, servers[name].target, concurrency, args.seconds / args.rounds,
                    user_offset=offset, population=population,
                ))
                server_cpu[name] += servers[name].cpu_seconds() - cpu
        for name in names:
            merged = RunResult.merged(slices[name])
            result = merged.summary()
            flows = len(merged.flow_latencies)
            # Server CPU per completed flow (database and Redis servers not included).
            result["server_cpu_ms_per_launch"] = (
                round(server_cpu[name] / flows * 1000, 2) if flows else None
            )
            result["rounds"] = args.rounds
            result["phase"] = phase
            if phase == "returning" and name in ritmos:
                # Past USERS flows in one slice, users come back while their memo is fresh:
                # those launches are relaunches, and the phase's figures flatter Ritmo.
                result["relaunched_in_slice"] = sum(
                    max(0, len(piece.flow_latencies) - USERS) for piece in slices[name]
                )
            result["gunicorn"] = {"workers": WORKERS, "threads": args.threads,
                                  "worker_class": "gthread" if args.threads > 1 else "sync"}
            results.append(result)
            print(json.dumps(result), flush=True)
    return results


def _share(by: dict[tuple[str, int], dict[str, Any]], name: str, of: str, level: int) -> float | None:
    """``name``'s launches/s as a share of ``of``'s at ``level``, when both ran."""
    row, other = by.get((name, level)), by.get((of, level))
    if row and other and other["launches_per_s"]:
        return round(row["launches_per_s"] / other["launches_per_s"], 2)
    return None


def _cpu_share(by: dict[tuple[str, int], dict[str, Any]], name: str, of: str) -> float | None:
    """``of``'s server CPU per launch over ``name``'s at the budget's concurrency: the throughput
    share when both are CPU-bound, and much steadier than launches/s on a machine others share."""
    row, other = by.get((name, BUDGET_CONCURRENCY)), by.get((of, BUDGET_CONCURRENCY))
    mine = row and row.get("server_cpu_ms_per_launch")
    theirs = other and other.get("server_cpu_ms_per_launch")
    return round(theirs / mine, 2) if mine and theirs else None


def summarise(results: list[dict[str, Any]]) -> dict[str, Any]:
    by = {(r["server"], r["concurrency"]): r for r in results}
    levels = sorted({r["concurrency"] for r in results})
    names = {r["server"] for r in results}
    ritmo = by.get(("ritmo", BUDGET_CONCURRENCY))
    per_peer = {level: _share(by, "ritmo", "peer", level) for level in levels}
    p99 = ritmo["p99_ms"] if ritmo else None
    of_ceiling = {
        # What share of a do-nothing endpoint's throughput each tool keeps on this machine.
        f"{name}_per_ceiling": _share(by, name, "ceiling", BUDGET_CONCURRENCY)
        for name in ("ritmo", "before", "peer") if name in names and "ceiling" in names
    }
    against_before = {}
    if "before" in names:
        against_before = {
            "ritmo_per_before": {level: _share(by, "ritmo", "before", level) for level in levels},
            "ritmo_per_before_by_cpu": _cpu_share(by, "ritmo", "before"),
            "before_per_peer": {level: _share(by, "before", "peer", level) for level in levels},
        }
    shares = [share for share in per_peer.values() if share is not None]
    return {
        "summary": "launch",
        "concurrency": BUDGET_CONCURRENCY,
        "ritmo_per_peer": per_peer,
        "ritmo_per_peer_by_cpu": _cpu_share(by, "ritmo", "peer"),
        **against_before,
        **of_ceiling,
        "ritmo_p99_ms": p99,
        "failures": sum(r["failures"] for r in results),
        "budget": {"ratio_at_least": BUDGET_RATIO, "p99_ms_under": BUDGET_P99_MS},
        "budget_met": bool(shares and min(shares) >= BUDGET_RATIO
                           and p99 is not None and p99 < BUDGET_P99_MS),
    }


if __name__ == "__main__":
    sys.exit(main())
