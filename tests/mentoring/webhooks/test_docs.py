"""The signature checks docs/api.md gives receivers (Python, and openssl in a shell) accept a real
delivery and refuse a changed body."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from lti_tool.mentoring.webhooks import delivery, signing, subscriptions
from tests.grades.factory import make_platform, make_world
from tests.mentoring.webhooks.receiver import Received, serving

DOC = Path(__file__).resolve().parents[3] / "docs" / "api.md"


def blocks(language: str) -> list[str]:
    section = DOC.read_text().split("## Webhooks", 1)[1]
    return re.findall(rf"```{language}\n(.*?)```", section, flags=re.S)


def a_delivery(app) -> tuple[str, Received]:
    platform = make_platform()
    with serving() as receiver:
        secret = subscriptions.add(platform.id, receiver.url, ["match.approved"]).secret
        make_world(platform, matches=1)
        delivery.deliver_due()
        [got] = receiver.received
    return secret, got


def test_the_python_check_of_the_docs(app) -> None:
    [code] = [b for b in blocks("python") if "def verify" in b]
    namespace: dict[str, object] = {}
    exec(compile(code, str(DOC), "exec"), namespace)
    verify = namespace["verify"]
    secret, got = a_delivery(app)
    assert verify(secret, got.headers["Ritmo-Signature"], got.body) is True  # type: ignore[operator]
    assert verify(secret, got.headers["Ritmo-Signature"], got.body[:-1]) is False  # type: ignore[operator]


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
def test_the_shell_check_of_the_docs(app, tmp_path: Path) -> None:
    [script] = [b for b in blocks("sh") if "openssl dgst" in b and "body.json" in b]
    secret, got = a_delivery(app)
    fields = dict(part.split("=", 1) for part in got.headers["Ritmo-Signature"].split(","))
    filled = re.sub(r"^SECRET=.*$", f"SECRET='{secret}'", script, flags=re.M)
    filled = re.sub(r"^t=.*$", f"t={fields['t']}", filled, flags=re.M)
    filled = re.sub(r"^v1=.*$", f"v1={fields['v1']}", filled, flags=re.M)
    (tmp_path / "body.json").write_bytes(got.body)
    ran = subprocess.run(["bash", "-c", filled], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert ran.stdout.strip() == "signature valid"
    (tmp_path / "body.json").write_bytes(got.body.replace(b"match.approved", b"match.ended"))
    ran = subprocess.run(["bash", "-c", filled], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert ran.stdout.strip() == "signature INVALID"


@pytest.mark.skipif(shutil.which("openssl") is None or shutil.which("curl") is None,
                    reason="openssl or curl is not installed")
def test_the_docs_test_request_is_signed_as_ritmo_signs(app) -> None:
    [script] = [b for b in blocks("sh") if "curl -sS -X POST https://hooks.example.edu" in b]
    secret = "whsec_documentation-example"
    with serving() as receiver:
        filled = script.replace("https://hooks.example.edu/ritmo", receiver.url)
        subprocess.run(["bash", "-c", filled], env={"SECRET": secret, "PATH": "/usr/bin:/bin"},
                       capture_output=True, check=True)
        [got] = receiver.received
    assert signing.verify(secret, got.headers["Ritmo-Signature"], got.body)
    assert got.headers["Ritmo-Webhook-Event"] == "match.approved"
