"""``/lti/setup``: every value an admin pastes into Moodle, Open edX and Canvas, copyable."""

from __future__ import annotations

import html
import json
import re


def page(client) -> str:
    response = client.get("/lti/setup")
    assert response.status_code == 200
    assert not response.headers.getlist("Set-Cookie")
    return html.unescape(response.get_data(as_text=True))


def copy_value(body: str, element_id: str) -> str:
    match = re.search(rf'<code id="{element_id}"[^>]*>(.*?)</code>', body, re.S)
    assert match, element_id
    return match.group(1)


def test_every_lms_gets_its_values(client):
    body = page(client)
    base = "http://127.0.0.1:5000"
    expected = {
        "v-register": f"{base}/lti/register",
        "v-moodle-url": f"{base}/lti/launch",
        "v-moodle-login": f"{base}/lti/login",
        "v-moodle-redirect": f"{base}/lti/launch",
        "v-moodle-dl": f"{base}/lti/launch",
        "v-moodle-custom": "ritmo_target=programme",
        "v-edx-launch": f"{base}/lti/launch",
        "v-edx-login": f"{base}/lti/login",
        "v-edx-dl": f"{base}/lti/launch",
        "v-canvas-json-url": f"{base}/lti/config.json",
    }
    for element_id, value in expected.items():
        assert copy_value(body, element_id) == value, element_id
    assert json.loads(copy_value(body, "v-edx-redirect")) == [f"{base}/lti/launch"]
    assert json.loads(copy_value(body, "v-edx-custom")) == ["ritmo_target=programme"]
    jwks_path = copy_value(body, "v-moodle-jwks").removeprefix(base)
    assert client.get(jwks_path).get_json()["keys"]
    assert json.loads(copy_value(body, "v-canvas-json")) == client.get("/lti/config.json").get_json()
    for command in ("v-moodle-cmd", "v-edx-cmd", "v-canvas-cmd"):
        assert copy_value(body, command).startswith("lti-tool platform add")


def test_every_value_has_a_copy_button(client):
    body = page(client)
    values = set(re.findall(r'<code id="(v-[\w-]+)"', body))
    buttons = set(re.findall(r'data-copy="(v-[\w-]+)"', body))
    assert values - {"v-registration-json"} <= buttons
    assert "navigator.clipboard" in body and 'execCommand("copy")' in body


def test_page_explains_approval_and_never_approves(client, app):
    from lti_tool.launch import registry
    from lti_tool.launch.models import PlatformStatus
    from tests.lti_platform import TestPlatform

    lms = TestPlatform(issuer="https://pending-lms.example.edu")
    pending = registry.add_platform({**lms.registration(), "status": "pending"})
    body = page(client)
    assert "lti-tool platform invite" in body and "lti-tool platform approve" in body
    # A public page: it names no pending registration and offers no way to approve one.
    assert pending.issuer not in body and "<form" not in body
    for method in ("post", "put"):
        assert getattr(client, method)("/lti/setup").status_code == 405
    assert registry.get_platform(pending.id).status is PlatformStatus.PENDING
