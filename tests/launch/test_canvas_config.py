"""``/lti/config.json`` against the fields Canvas documents for an LTI 1.3 developer key
(canvas.instructure.com/doc/api/file.lti_dev_key_config.html)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

REQUIRED = {"title", "description", "oidc_initiation_url", "target_link_uri"}
PRIVACY_LEVELS = {"public", "name_only", "email_only", "anonymous"}
MESSAGE_TYPES = {"LtiResourceLinkRequest", "LtiDeepLinkingRequest"}
# Placements Canvas only opens with a deep-linking request (content selection).
SELECTION_PLACEMENTS = {"link_selection", "assignment_selection", "editor_button",
                        "homework_submission", "migration_selection", "collaboration"}
KNOWN_PLACEMENTS = SELECTION_PLACEMENTS | {
    "course_navigation", "account_navigation", "user_navigation", "global_navigation",
    "course_home_sub_navigation", "course_settings_sub_navigation", "assignment_menu",
    "module_menu", "file_menu", "quiz_menu", "wiki_page_menu", "submission_type_selection",
}
CANVAS_SCOPES = {
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
    "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
    "https://canvas.instructure.com/lti/public_jwk/scope/update",
    "https://canvas.instructure.com/lti/account_lookup/scope/show",
    "https://canvas.instructure.com/lti/data_services/scope/create",
}


def canvas_problems(config: dict[str, Any]) -> list[str]:
    """What Canvas's developer key form would reject, as messages."""
    problems = [f"missing {name}" for name in sorted(REQUIRED) if not config.get(name)]
    if not (config.get("public_jwk_url") or config.get("public_jwk")):
        problems.append("public_jwk_url or public_jwk is required")
    for name in ("oidc_initiation_url", "target_link_uri", "public_jwk_url"):
        if name in config and urlsplit(config[name]).scheme not in ("http", "https"):
            problems.append(f"{name} is not a URL")
    problems += [f"unknown scope {s}" for s in config.get("scopes", []) if s not in CANVAS_SCOPES]
    custom = config.get("custom_fields", {})
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in custom.items()):
        problems.append("custom_fields must map strings to strings")
    for extension in config.get("extensions", []):
        if extension.get("platform") != "canvas.instructure.com":
            problems.append("extension platform must be canvas.instructure.com")
        if extension.get("privacy_level") not in PRIVACY_LEVELS:
            problems.append(f"privacy_level {extension.get('privacy_level')!r}")
        for placement in extension.get("settings", {}).get("placements", []):
            name = placement.get("placement")
            if name not in KNOWN_PLACEMENTS:
                problems.append(f"unknown placement {name!r}")
            if placement.get("message_type") not in MESSAGE_TYPES:
                problems.append(f"{name}: message_type {placement.get('message_type')!r}")
            if name in SELECTION_PLACEMENTS and placement.get("message_type") != "LtiDeepLinkingRequest":
                problems.append(f"{name} must use LtiDeepLinkingRequest")
            if not urlsplit(placement.get("target_link_uri", "")).netloc:
                problems.append(f"{name}: target_link_uri")
    return problems


def test_config_json_is_a_valid_canvas_developer_key(client):
    response = client.get("/lti/config.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    config = response.get_json()
    assert canvas_problems(config) == []
    assert config["title"] == "Ritmo"
    assert config["oidc_initiation_url"] == "http://127.0.0.1:5000/lti/login"
    assert config["target_link_uri"] == "http://127.0.0.1:5000/lti/launch"
    # The key Ritmo publishes is really at public_jwk_url.
    jwks = client.get(urlsplit(config["public_jwk_url"]).path).get_json()
    assert jwks["keys"] and jwks["keys"][0]["kty"] == "RSA"
    assert set(config["scopes"]) >= {
        "https://purl.imsglobal.org/spec/lti-ags/scope/score",
        "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
    }
    [extension] = config["extensions"]
    placements = {p["placement"]: p for p in extension["settings"]["placements"]}
    assert set(placements) == {"course_navigation", "link_selection", "assignment_selection"}
    assert placements["course_navigation"]["message_type"] == "LtiResourceLinkRequest"
    assert placements["link_selection"]["message_type"] == "LtiDeepLinkingRequest"
    assert config["custom_fields"] == {"ritmo_target": "programme"}


def test_validator_catches_what_canvas_rejects():
    bad = {"title": "x", "description": "", "oidc_initiation_url": "nope", "target_link_uri": "",
           "extensions": [{"platform": "canvas.instructure.com", "privacy_level": "everything",
                           "settings": {"placements": [{"placement": "link_selection",
                                                        "message_type": "LtiResourceLinkRequest",
                                                        "target_link_uri": "x"}]}}]}
    problems = canvas_problems(bad)
    assert "missing description" in problems and "public_jwk_url or public_jwk is required" in problems
    assert "link_selection must use LtiDeepLinkingRequest" in problems
    assert "privacy_level 'everything'" in problems


@pytest.mark.parametrize("app_config", [{"BASE_URL": "https://ritmo.example.edu/",
                                          "CANVAS_PRIVACY_LEVEL": "anonymous"}])
def test_urls_follow_base_url_and_settings(client, app_config):
    config = client.get("/lti/config.json").get_json()
    assert config["oidc_initiation_url"] == "https://ritmo.example.edu/lti/login"
    assert config["extensions"][0]["domain"] == "ritmo.example.edu"
    assert config["extensions"][0]["privacy_level"] == "anonymous"
    assert canvas_problems(config) == []
