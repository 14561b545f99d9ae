"""The id_token's target_link_uri must name this tool (1EdTech Security Framework): a token the
platform minted for another tool is refused, on the first launch and on a remembered relaunch."""

from __future__ import annotations

import logging

import pytest

from tests.launch.test_launch_security import assert_rejected
from tests.lti_platform import LTI, launch

TARGET = LTI + "target_link_uri"


@pytest.mark.parametrize(
    "target",
    [
        "http://127.0.0.1:5000/lti/launch",
        "http://127.0.0.1:5000",  # the tool's address itself (Moodle's "Tool URL")
        "http://127.0.0.1:5000/",
        "http://127.0.0.1:5000/lti/launch?ritmo_target=webinar:3",
        "HTTP://127.0.0.1:5000/programme",  # a page Ritmo serves
        "http://127.0.0.1:5000/webinars/3",
        "http://127.0.0.1:5000/lti/launch#placement",
    ],
)
def test_launch_targeting_this_tool_is_accepted(client, platform, target):
    response = launch(client, platform, **{TARGET: target})
    assert response.status_code == 200, response.get_data(as_text=True)[:300]


@pytest.mark.parametrize(
    "target",
    [
        "https://other-tool.example/lti/launch",
        "http://127.0.0.1:5001/lti/launch",  # another port is another origin
        "https://127.0.0.1:5000/lti/launch",  # another scheme too
        "http://127.0.0.1:5000@evil.example/lti/launch",
        "http://evil.example@127.0.0.1:5000/lti/launch",  # userinfo is never ours
        "http://127.0.0.1.evil.example:5000/lti/launch",
        "http://127.0.0.1:5000/no/such/page",
        "http://127.0.0.1:5000/lti/launch/",  # not a page Ritmo serves
        "javascript:alert(1)",
        "/lti/launch",  # not a URL
        "",
        42,
        ["http://127.0.0.1:5000/lti/launch"],
    ],
)
def test_launch_targeting_another_url_is_refused(client, platform, target, caplog):
    with caplog.at_level(logging.WARNING, logger="lti_tool.security"):
        response = launch(client, platform, **{TARGET: target})
    assert_rejected(response)
    assert "points to another address than Ritmo" in response.get_data(as_text=True)
    assert "target_link_uri" in caplog.text


def test_launch_without_target_link_uri_is_refused(client, platform):
    auth_claims = {TARGET: None}  # ``claims()`` drops claims set to None
    assert_rejected(launch(client, platform, **auth_claims))


def test_tool_under_a_path_accepts_only_that_path(client, platform, app):
    app.config["BASE_URL"] = "http://127.0.0.1:5000/ritmo"
    assert launch(client, platform, **{TARGET: "http://127.0.0.1:5000/ritmo/lti/launch"}).status_code == 200
    assert launch(client, platform, **{TARGET: "http://127.0.0.1:5000/ritmo"}).status_code == 200
    refused = launch(client, platform, sub="user-2", **{TARGET: "http://127.0.0.1:5000/lti/launch"})
    assert refused.status_code == 400
    refused = launch(client, platform, sub="user-2", **{TARGET: "http://127.0.0.1:5000/ritmox/lti/launch"})
    assert refused.status_code == 400


def test_remembered_relaunch_still_checks_target(client, platform):
    """The second launch with the same claims takes the fast path (the launch memo); a third,
    identical but for its target, must still be refused."""
    assert launch(client, platform).status_code == 200
    assert launch(client, platform).status_code == 200
    response = launch(client, platform, **{TARGET: "https://other-tool.example/lti/launch"})
    assert response.status_code == 400
    assert "points to another address than Ritmo" in response.get_data(as_text=True)
