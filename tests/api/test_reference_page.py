"""``/api/docs`` in a real browser: Swagger UI, served by Ritmo itself, renders the document's
operations under Ritmo's Content-Security-Policy, without one violation or outside request."""

from __future__ import annotations

import pytest
from flask import Flask

from lti_tool.demo.server import ServerHandle
from tests.browser.conftest import browser  # noqa: F401 - the fixture

pytestmark = pytest.mark.browser


def test_the_reference_shows_the_operations_under_the_strict_policy(
    app: Flask, ritmo: ServerHandle, browser  # noqa: F811
) -> None:
    page = browser.new_page()
    console: list[str] = []
    outside: list[str] = []
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    page.on("request", lambda r: None if r.url.startswith(ritmo.url) or r.url.startswith("data:")
            else outside.append(r.url))
    page.add_init_script(
        "window.__violations = [];"
        "document.addEventListener('securitypolicyviolation',"
        " e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    try:
        # A deep link (tag, operation id) opens one operation, wherever the list renders it.
        response = page.goto(f"{ritmo.url}/api/docs#/contract/api.openapi_json")
        assert response is not None and response.ok
        policy = response.headers["content-security-policy"]
        assert "'unsafe-inline'" not in policy.split("script-src", 1)[1].split(";", 1)[0]
        page.wait_for_selector(".opblock", timeout=30_000)
        opened = page.locator(".opblock.is-open")
        opened.wait_for(timeout=30_000)
        summary = opened.locator(".opblock-summary").inner_text()
        answers = opened.locator(".responses-wrapper").inner_text()
        page.mouse.wheel(0, 100_000)  # the list renders near the viewport: down to the schemas
        page.locator("section.models").wait_for(timeout=30_000)
        violations = page.evaluate("window.__violations")
    finally:
        page.close()
    assert "/api/v1/openapi.json" in summary and "Get this OpenAPI document" in summary
    assert "200" in answers
    assert violations == [], violations
    assert not [line for line in console if "Content Security Policy" in line or "Refused" in line], console
    assert outside == []
