"""``lti-tool platform ...``: several platforms, several deployments, clear errors, no half-writes."""

from __future__ import annotations

import json

import sqlalchemy as sa

from lti_tool.db import db
from lti_tool.launch.models import Deployment, Platform

ARGS = [
    "platform", "add", "--issuer", "https://moodle.example.edu", "--client-id", "abc",
    "--deployment-id", "1", "--deployment-id", "2",
    "--auth-login-url", "https://moodle.example.edu/mod/lti/auth.php",
    "--auth-token-url", "https://moodle.example.edu/mod/lti/token.php",
    "--key-set-url", "https://moodle.example.edu/mod/lti/certs.php", "--name", "Moodle",
]


def rows(model) -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()


def test_add_list_remove(runner):
    result = runner.invoke(args=ARGS)
    assert result.exit_code == 0, result.output
    second = [*ARGS]
    second[second.index("abc")] = "other-client"
    assert runner.invoke(args=second).exit_code == 0
    listed = json.loads(runner.invoke(args=["platform", "list", "--json"]).output)
    assert [p["client_id"] for p in listed] == ["abc", "other-client"]
    assert listed[0]["deployment_ids"] == ["1", "2"]
    result = runner.invoke(args=["platform", "remove", str(listed[0]["id"]), "--yes"])
    assert result.exit_code == 0
    assert rows(Platform) == 1 and rows(Deployment) == 2


def test_duplicate_is_refused_and_changes_nothing(runner):
    runner.invoke(args=ARGS)
    result = runner.invoke(args=ARGS)
    assert result.exit_code == 2
    assert "already registered" in result.output
    assert rows(Platform) == 1 and rows(Deployment) == 2


def test_malformed_url_is_refused_and_changes_nothing(runner):
    bad = [*ARGS]
    bad[bad.index("--key-set-url") + 1] = "not a url"
    result = runner.invoke(args=bad)
    assert result.exit_code == 2
    assert "--key-set-url" in result.output and "not an http(s) URL" in result.output
    assert rows(Platform) == 0 and rows(Deployment) == 0


def test_add_deployment_and_unknown_platform(runner):
    runner.invoke(args=ARGS)
    platform_id = db.session.execute(sa.select(Platform.id)).scalar_one()
    assert runner.invoke(args=["platform", "add-deployment", str(platform_id), "3"]).exit_code == 0
    duplicate = runner.invoke(args=["platform", "add-deployment", str(platform_id), "3"])
    assert duplicate.exit_code == 2 and "already registered" in duplicate.output
    missing = runner.invoke(args=["platform", "remove", "999", "--yes"])
    assert missing.exit_code == 2 and "No platform with id 999" in missing.output
