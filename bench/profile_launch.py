"""Profile Ritmo's login + launch in one process (cProfile), on a scratch PostgreSQL database.

Usage: ``.venv/bin/python bench/profile_launch.py [--launches 500] [--sqlite] [--top 40]``

Same flow and population as ``bench/launch.py``, through Flask's test client (no HTTP server, so
the profile shows only Ritmo's own work). Prints the per-launch wall time and the top functions by
cumulative and by own time.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import shutil
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.launch import ScratchDatabase  # noqa: E402
from bench.lti_driver import BenchPlatform  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--launches", type=int, default=500)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--sqlite", action="store_true")
    parser.add_argument("--peer", action="store_true", help="time the pylti1p3 peer instead")
    parser.add_argument("--time-only", action="store_true")
    parser.add_argument("--cpu", action="store_true", help="profile CPU time, not wall time")
    parser.add_argument("--filter", default="", help="regex on the cumulative listing")
    parser.add_argument("--sql", action="store_true", help="list one flow's SQL statements")
    parser.add_argument("--no-redis", action="store_true")
    parser.add_argument("--returning", action="store_true",
                        help="time only users who launched before (rows exist)")
    parser.add_argument("--first", action="store_true",
                        help="time (or, with --sql, list) only first launches of new users")
    parser.add_argument("--memo", choices=["warm", "cold"], default="warm",
                        help="cold: forget launch memos before each launch (returning after hours)")
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    args = parser.parse_args()

    platform = BenchPlatform().serve()
    tmp = Path(tempfile.mkdtemp(prefix="ritmo-profile-"))
    try:
        if args.peer:
            return profile_peer(args, platform, tmp)
        return profile_ritmo(args, platform, tmp)
    finally:
        platform.close()
        shutil.rmtree(tmp, ignore_errors=True)


def profile_ritmo(args: argparse.Namespace, platform: BenchPlatform, tmp: Path) -> int:
    from lti_tool import create_app
    from lti_tool.cache import cache
    from lti_tool.launch import registry
    from lti_tool.migrations_runner import upgrade

    database = None if args.sqlite else ScratchDatabase(args.database_url)
    url = f"sqlite:///{tmp / 'p.db'}" if database is None else database.url
    base = "http://127.0.0.1:5999"
    try:
        app = create_app({
            "DATABASE_URL": url, "REDIS_URL": None if args.no_redis else args.redis_url,
            "BASE_URL": base, "SECRET_KEY": "profile", "DATA_DIR": str(tmp),
            "RATELIMIT_ENABLED": False, "JOBS_BACKEND": "celery",
            "ALLOW_PRIVATE_URLS": True,  # the platform is on 127.0.0.1 over http
        })
    except BaseException:
        if database is not None:
            database.drop()
        raise
    try:
        with app.app_context():
            upgrade()
            registry.add_platform({
                "issuer": platform.issuer, "client_id": platform.client_id,
                "deployment_ids": [platform.deployment_id],
                "auth_login_url": platform.auth_login_url,
                "auth_token_url": platform.auth_token_url, "key_set_url": platform.key_set_url,
            })
        client = app.test_client()

        timings = {"login": 0.0, "launch": 0.0}

        def one(user: int) -> None:
            # A fresh browser per flow, as in bench/launch.py (the jar would grow with states).
            client._cookies.clear()
            t0 = time.perf_counter()
            response = client.get("/lti/login", query_string={
                "iss": platform.issuer, "client_id": platform.client_id,
                "login_hint": str(user), "target_link_uri": base + "/lti/launch",
                "lti_deployment_id": platform.deployment_id,
            })
            assert response.status_code == 302, response.get_data(as_text=True)
            timings["login"] += time.perf_counter() - t0
            q = {k: v[0] for k, v in parse_qs(urlsplit(response.headers["Location"]).query).items()}
            token = platform.sign(platform.claims(q["nonce"], user, base + "/lti/launch"))
            if args.memo == "cold":
                with app.app_context():
                    cache().delete_prefix("launch-memo:")
            t0 = time.perf_counter()
            response = client.post("/lti/launch", data={"id_token": token, "state": q["state"]})
            timings["launch"] += time.perf_counter() - t0
            assert response.status_code == 200 and b"ritmo-session" in response.data, response.data[:500]

        for user in range(200):  # warm: first launches insert, later ones are returning users
            one(user)
        if args.sql:
            import sqlalchemy as sa

            from lti_tool.db import db

            statements: list[str] = []
            with app.app_context():
                engine = db.engine
            sa.event.listen(engine, "before_cursor_execute",
                            lambda c, cur, stmt, *rest: statements.append(" ".join(stmt.split())))
            import psycopg

            original = psycopg.Connection._exec_command

            def traced(self, command, *a, **k):  # type: ignore[no-untyped-def]
                statements.append(f"[command] {bytes(command) if not isinstance(command, str) else command}")
                return original(self, command, *a, **k)

            psycopg.Connection._exec_command = traced  # type: ignore[method-assign]
            execute = psycopg.Connection.execute

            def straight(self, query, *a, **k):  # type: ignore[no-untyped-def]
                # Statements sent to the driver directly, past SQLAlchemy.
                statements.append(f"[driver] {' '.join(str(query).split())}")
                return execute(self, query, *a, **k)

            psycopg.Connection.execute = straight  # type: ignore[method-assign]
            sa.event.listen(engine.pool, "checkout",
                            lambda *a: statements.append("[pool checkout]"))
            one(10**6 if args.first else 7)
            whose = "new" if args.first else "returning"
            print(f"{len(statements)} SQL statements in one {whose} user's login + launch:")
            for stmt in statements:
                print("  ", stmt[:160])
            return 0
        timings.update(login=0.0, launch=0.0)
        cpu = time.process_time()
        started = time.perf_counter()
        population = 200 if args.returning else 2000
        fresh = iter(range(10**6, 10**7))  # --first: a user never seen, every flow

        def who(i: int) -> int:
            return next(fresh) if args.first else i % population

        for i in range(args.launches):
            one(who(i))
        elapsed = time.perf_counter() - started
        n = args.launches
        cpu = time.process_time() - cpu
        print(f"without profiler: {elapsed / n * 1000:.2f} ms per flow ({cpu / n * 1000:.2f} ms CPU "
              f"in this process, client signing included); login "
              f"{timings['login'] / n * 1000:.2f} ms, launch {timings['launch'] / n * 1000:.2f} ms")
        if args.time_only:
            return 0
        profiler = cProfile.Profile(time.process_time) if args.cpu else cProfile.Profile()
        started = time.perf_counter()
        profiler.enable()
        for i in range(args.launches):
            one(who(i))
        profiler.disable()
        elapsed = time.perf_counter() - started
        print(f"{args.launches} login+launch flows under cProfile: "
              f"{elapsed / args.launches * 1000:.2f} ms each (includes the client's signing)")
        stats = pstats.Stats(profiler)
        by_package: dict[str, float] = {}
        for (filename, _, _), (_, _, tottime, _, _) in stats.stats.items():  # type: ignore[attr-defined]
            if "site-packages/" in filename:
                package = filename.split("site-packages/")[1].split("/")[0]
            elif "/lti_tool/" in filename:
                package = "lti_tool/" + filename.split("/lti_tool/")[1].split("/")[0]
            elif filename.startswith("~") or filename.startswith("<"):
                package = "builtins"
            else:
                package = "stdlib:" + filename.rsplit("/", 1)[-1]
            by_package[package] = by_package.get(package, 0.0) + tottime
        total = sum(by_package.values())
        print("own time by package (share of the profiled total):")
        for package, seconds in sorted(by_package.items(), key=lambda kv: -kv[1])[:25]:
            print(f"  {package:40s} {seconds / args.launches * 1000:7.2f} ms/flow {seconds / total:6.1%}")
        stats.sort_stats("cumulative").print_stats(args.filter or "", args.top)
        stats.sort_stats("tottime").print_stats(args.top)
    finally:
        if database is not None:
            with app.app_context():
                from lti_tool.db import db

                db.engine.dispose()
            database.drop()
    return 0


def profile_peer(args: argparse.Namespace, platform: BenchPlatform, tmp: Path) -> int:
    """The same timing for ``bench/peer_pylti1p3`` (its CPU per flow is the yardstick)."""
    import os

    from bench.launch import delete_redis_prefix, write_peer_config

    prefix = f"bench-profile-peer-{os.getpid()}:"
    os.environ.update({
        "PEER_TOOL_CONFIG": str(write_peer_config(platform, tmp)),
        "PEER_REDIS_URL": args.redis_url,
        "PEER_CACHE_PREFIX": prefix,
    })
    from bench.peer_pylti1p3.app import app

    client = app.test_client()
    base = "http://localhost"

    def one(user: int) -> None:
        client._cookies.clear()
        response = client.get("/login/", query_string={
            "iss": platform.issuer, "client_id": platform.client_id,
            "login_hint": str(user), "target_link_uri": base + "/launch/",
            "lti_deployment_id": platform.deployment_id,
        })
        assert response.status_code == 302, response.get_data(as_text=True)
        q = {k: v[0] for k, v in parse_qs(urlsplit(response.headers["Location"]).query).items()}
        token = platform.sign(platform.claims(q["nonce"], user, base + "/launch/"))
        response = client.post("/launch/", data={"id_token": token, "state": q["state"]})
        assert response.status_code == 200 and b"data-launch-id" in response.data, response.data

    try:
        for user in range(100):
            one(user)
        cpu, started = time.process_time(), time.perf_counter()
        for i in range(args.launches):
            one(i % 2000)
        n = args.launches
        print(f"peer: {(time.perf_counter() - started) / n * 1000:.2f} ms per flow "
              f"({(time.process_time() - cpu) / n * 1000:.2f} ms CPU in this process)")
    finally:
        delete_redis_prefix(args.redis_url, prefix)
    return 0


if __name__ == "__main__":
    sys.exit(main())
