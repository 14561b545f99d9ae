"""The built wheel runs: installed (not editable) into a fresh virtual environment outside the
checkout, it migrates a database, serves, answers ``/health`` and takes a launch from the demo LMS.

Every other test uses the editable install, which finds any file of the checkout, so only this one
notices a package or data file the wheel leaves out.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import socket
import stat
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest
import redis
import requests

from lti_tool.demo import DemoPlatform, start_demo_server
from tests.conftest import REDIS_URL, need

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ("lti_tool/", "config/")  # the folders whose every file the wheel must hold


def run(args: list[str | Path], *, timeout: float, cwd: Path, env: dict[str, str] | None = None) -> str:
    """Run a command to completion; fail the test with its output when it fails or hangs."""
    try:
        done = subprocess.run(
            [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired as error:
        pytest.fail(f"{args[0]} {args[1:3]} took longer than {timeout} s:\n{error.stdout}\n{error.stderr}")
    if done.returncode != 0:
        pytest.fail(f"{args} exited {done.returncode}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done.stdout


def checkout_files() -> list[str]:
    """What a fresh clone holds once the work in progress is committed (tracked + new, not ignored)."""
    listed = run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], timeout=60, cwd=ROOT)
    return [name for name in listed.splitlines() if (ROOT / name).is_file()]


@dataclass
class Installed:
    wheel: Path
    venv: Path
    files: list[str]  # the checkout's files the wheel was built from

    def bin(self, name: str) -> Path:
        return self.venv / "bin" / name


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    # Build from a copy, as from a fresh clone: nothing stale from build/ or the egg-info.
    files = checkout_files()
    source = tmp_path_factory.mktemp("source")
    for name in files:
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, source / name)
    dist = tmp_path_factory.mktemp("dist")
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", dist, source],
        timeout=300, cwd=dist)
    (wheel,) = dist.glob("*.whl")

    venv = tmp_path_factory.mktemp("venv")
    run([sys.executable, "-m", "venv", "--clear", venv], timeout=120, cwd=venv)
    # A real install of the wheel and its dependencies (pip's cache keeps this quick).
    run([venv / "bin" / "python", "-m", "pip", "install", "--quiet", wheel], timeout=600, cwd=venv)
    return Installed(wheel, venv, files)


def test_wheel_holds_every_package_and_data_file(installed: Installed) -> None:
    names = set(zipfile.ZipFile(installed.wheel).namelist())
    expected = [f for f in installed.files if f.startswith(SHIPPED)]
    assert [f for f in expected if f not in names] == []
    for needed in (
        "lti_tool/launch/service.py",
        "lti_tool/templates/base.html",
        "lti_tool/demo/templates/demo/launch.html",
        "lti_tool/static/ritmo.js",
        "lti_tool/static/ritmo.css",
        "lti_tool/translations/it/LC_MESSAGES/messages.mo",
        "lti_tool/translations/it/LC_MESSAGES/messages.po",
        "lti_tool/migrations/env.py",
        "lti_tool/migrations/script.py.mako",
        "lti_tool/migrations/versions/0001_foundation.py",
        "config/default.py",
        "config/logging.json",
        "config/platforms.example.json",
    ):
        assert needed in names
    assert not [n for n in names if "__pycache__" in n or n.startswith(("tests/", "bench/"))]


# --- the installed tool, run from a folder outside the checkout --------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Served:
    url: str
    env: dict[str, str]
    workdir: Path
    data_dir: Path


@pytest.fixture(scope="module")
def served(installed: Installed, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    workdir = tmp_path_factory.mktemp("workdir")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("LTI_TOOL_", "PYTHON", "VIRTUAL_ENV", "FLASK_"))}
    env.update(
        PATH=f"{installed.venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        LTI_TOOL_BASE_URL=url,
        LTI_TOOL_SECRET_KEY="install-test-" + "x" * 40,
        # The demo LMS answers on 127.0.0.1 over http: allowed for this test only.
        LTI_TOOL_ALLOW_PRIVATE_URLS="1",
    )
    lti_tool = installed.bin("lti-tool")
    # No DATA_DIR: the installed package's own instance folder, with SQLite in it.
    located = run([installed.bin("python"), "-c",
                   "import config, lti_tool; print(config.__file__); print(lti_tool.__file__)"],
                  timeout=60, cwd=workdir, env=env)
    site = installed.venv / "lib"
    assert all(Path(p).is_relative_to(site) for p in located.split()), located
    run([lti_tool, "db", "upgrade"], timeout=180, cwd=workdir, env=env)
    data_dir = installed.venv / "var" / "lti_tool-instance"
    assert (data_dir / "ritmo.sqlite3").is_file()

    log = (workdir / "serve.log").open("w")
    server = subprocess.Popen(
        [str(lti_tool), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
        cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                pytest.fail("lti-tool serve stopped:\n" + (workdir / "serve.log").read_text()[-3000:])
            with contextlib.suppress(requests.ConnectionError):  # not listening yet
                if requests.get(url + "/health", timeout=5).status_code in (200, 503):
                    break
            if time.monotonic() > deadline:
                pytest.fail("lti-tool serve did not answer:\n" + (workdir / "serve.log").read_text()[-3000:])
            time.sleep(0.2)
        yield Served(url, env, workdir, data_dir)
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
        log.close()


def test_health_answers(served: Served) -> None:
    answer = requests.get(served.url + "/health", timeout=10)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"status": "ok", "checks": {"database": "ok", "cache": "ok"}}


class _Forms(HTMLParser):
    """The auto-posting form the platform answers the login with: its action and fields."""

    def __init__(self) -> None:
        super().__init__()
        self.action = ""
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "form" and not self.action:
            self.action = values.get("action", "")
        elif tag == "input" and values.get("name"):
            self.fields[values["name"]] = values.get("value", "")


def test_launch_from_the_demo_lms(installed: Installed, served: Served) -> None:
    with start_demo_server({"tool_base_url": served.url}) as lms:
        platform = DemoPlatform.of(lms.app)
        reg = platform.registration()
        added = run([installed.bin("lti-tool"), "platform", "add", "--issuer", reg["issuer"],
                     "--client-id", reg["client_id"], "--deployment-id", reg["deployment_ids"][0],
                     "--auth-login-url", reg["auth_login_url"], "--auth-token-url", reg["auth_token_url"],
                     "--key-set-url", reg["key_set_url"], "--name", reg["name"]],
                    timeout=60, cwd=served.workdir, env=served.env)
        assert "Registered platform" in added

        browser = requests.Session()
        auth = browser.get(platform.login_initiation_url("u-learner-01"), timeout=15)
        assert auth.status_code == 200, auth.text[:2000]
        form = _Forms()
        form.feed(auth.text)
        assert form.action == served.url + "/lti/launch" and "id_token" in form.fields, auth.text[:2000]
        page = browser.post(form.action, data=form.fields, timeout=15)
    assert page.status_code == 200, page.text[:2000]
    assert "Mentoring 101" in page.text  # the course's programme page, rendered from the wheel's templates


def test_data_files_are_private(served: Served) -> None:
    """The instance folder and the SQLite database are the service user's alone."""
    assert stat.S_IMODE(served.data_dir.stat().st_mode) == 0o700
    for path in served.data_dir.glob("ritmo.sqlite3*"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


@pytest.mark.redis
def test_celery_worker_and_beat_start(installed: Installed, served: Served) -> None:
    """The README's production commands: beat sends the dispatch, a worker runs it."""
    redis_url = need(REDIS_URL, "Redis", "LTI_TOOL_TEST_REDIS_URL")
    queue = "install-test-" + secrets.token_hex(4)  # other runs on the same Redis never see it
    env = {**served.env, "LTI_TOOL_JOBS_BACKEND": "celery", "LTI_TOOL_REDIS_URL": redis_url,
           "LTI_TOOL_CELERY_CONFIG": json.dumps({"task_default_queue": queue})}
    celery = installed.bin("celery")
    logs = {name: served.workdir / f"{name}.log" for name in ("worker", "beat")}
    commands = {
        "worker": [celery, "-A", "lti_tool.jobs.celery_app", "worker", "--loglevel", "INFO",
                   "--concurrency", "1", "--queues", queue],
        "beat": [celery, "-A", "lti_tool.jobs.celery_app", "beat", "--loglevel", "INFO",
                 "--schedule", served.workdir / "celerybeat-schedule"],
    }
    outputs = {name: log.open("w") for name, log in logs.items()}
    processes = {
        name: subprocess.Popen([str(a) for a in command], cwd=served.workdir, env=env,
                               stdout=outputs[name], stderr=subprocess.STDOUT)
        for name, command in commands.items()
    }
    try:
        deadline = time.monotonic() + 60
        while "ritmo.dispatch" not in logs["worker"].read_text() or \
                " succeeded " not in logs["worker"].read_text():
            stopped = [name for name, process in processes.items() if process.poll() is not None]
            if stopped or time.monotonic() > deadline:
                pytest.fail(f"no dispatch ran (stopped: {stopped}):\n"
                            + "\n".join(log.read_text()[-2000:] for log in logs.values()))
            time.sleep(0.3)
    finally:
        for process in processes.values():
            process.terminate()
        for process in processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        for output in outputs.values():
            output.close()
        redis.Redis.from_url(redis_url).delete(queue, f"_kombu.binding.{queue}")
