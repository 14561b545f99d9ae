"""One Ritmo, many LMSs: two platforms sending the same ``sub`` and context id stay apart."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask import Flask, url_for

from lti_tool.accounts.models import Course, User
from lti_tool.db import db
from lti_tool.errors import NotFound
from lti_tool.identity.session import read_token
from lti_tool.launch import deep_linking, registry
from lti_tool.mentoring.programmes import service as programmes
from lti_tool.mentoring.programmes.models import Participant, Programme
from tests import lti_platform
from tests.lti_platform import INSTRUCTOR, PlatformServer, launch, session_token
from tests.session_codes import rh


@pytest.fixture(scope="module")
def second_server() -> Iterator[PlatformServer]:
    server = PlatformServer(lambda url: lti_platform.TestPlatform(issuer=url))
    yield server
    server.close()


@pytest.fixture
def two(app, platform, second_server):
    """Platform A and B: same client id, deployment id, user sub and context id."""
    other = second_server.platform
    registry.add_platform({**other.registration(), "name": "Other LMS"})
    return platform, other


def launched(client, platform, title: str, roles=None) -> str:
    response = launch(client, platform, roles=roles or [INSTRUCTOR],
                      **{lti_platform.LTI + "context": {"id": "course-1", "title": title}})
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return session_token(response.get_data(as_text=True))


def rows(model) -> list:
    return list(db.session.execute(sa.select(model)).scalars())


def test_same_sub_and_context_are_different_people_and_courses(client, two, app: Flask):
    a, b = two
    token_a = launched(client, a, "Course on A")
    token_b = launched(client, b, "Course on B")
    users, courses = rows(User), rows(Course)
    assert [u.sub for u in users] == ["user-1", "user-1"]
    assert len({u.platform_id for u in users}) == 2
    assert {c.title for c in courses} == {"Course on A", "Course on B"}
    assert len(rows(Programme)) == 2 and len(rows(Participant)) == 2

    with app.test_request_context():
        ctx_a, ctx_b = read_token(token_a), read_token(token_b)
    assert ctx_a.platform_id != ctx_b.platform_id and ctx_a.user_id != ctx_b.user_id
    me_a = client.get("/api/me", headers={"Authorization": f"Bearer {token_a}"}).get_json()
    me_b = client.get("/api/me", headers={"Authorization": f"Bearer {token_b}"}).get_json()
    assert me_a["platform"]["issuer"] == a.issuer and me_a["course"]["title"] == "Course on A"
    assert me_b["platform"]["issuer"] == b.issuer and me_b["course"]["title"] == "Course on B"
    # The programme page follows the session, never the ids it names.
    home_a = client.get("/programme", query_string={"rh": rh(token_a)}).get_data(as_text=True)
    assert "Course on A" in home_a and "Course on B" not in home_a


def test_a_session_from_a_cannot_read_bs_programme(client, two, app: Flask):
    a, b = two
    token_a = launched(client, a, "Course on A")
    launched(client, b, "Course on B")
    with app.test_request_context():
        ctx_a = read_token(token_a)
    programme_b = next(p for p in rows(Programme) if p.course_id != ctx_a.course_id)
    with pytest.raises(NotFound):
        programmes.get_programme(ctx_a, programme_b.id)
    # Every programme endpoint of the API refuses the other platform's programme and shows
    # nothing of it (404 normally; a 4xx for input it checks first is no leak).
    routes = [r for r in app.url_map.iter_rules()
              if r.rule.startswith("/api/programmes/<") and "GET" in (r.methods or ())
              and len(r.arguments) == 1]
    for rule in routes:
        name = next(iter(rule.arguments))
        with app.test_request_context():
            url = url_for(rule.endpoint, **{name: programme_b.id})
        response = client.get(url, headers={"Authorization": f"Bearer {token_a}"})
        assert 400 <= response.status_code < 500, (url, response.status_code)
        assert "Course on B" not in response.get_data(as_text=True)
    assert routes, "no /api/programmes/<id> endpoint to check"


def test_deep_linking_picker_of_a_is_useless_from_b(client, two, app: Flask):
    a, b = two
    auth = lti_platform.start_login(client, a)
    claims = a.claims(auth["nonce"], roles=[INSTRUCTOR], **{
        lti_platform.LTI + "message_type": "LtiDeepLinkingRequest",
        lti_platform.LTI + "resource_link": None,
        "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings": {
            "deep_link_return_url": a.issuer + "/return", "accept_types": ["ltiResourceLink"],
            "accept_presentation_document_targets": ["iframe"]},
    })
    page = client.post("/lti/launch", data={"id_token": a.sign(claims), "state": auth["state"]})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    marker = "/lti/deep-linking/"
    picker_id = html[html.index(marker) + len(marker):].split('"', 1)[0]
    token_b = launched(client, b, "Course on B")
    with app.test_request_context():
        ctx_b = read_token(token_b)
        with pytest.raises(NotFound):
            deep_linking.settings_for(ctx_b, picker_id)
    response = client.post(f"/lti/deep-linking/{picker_id}",
                           data={"ritmo_session": token_b, "item": "programme"})
    assert response.status_code == 404


def test_removing_one_platform_keeps_the_other(client, two, runner):
    a, b = two
    launched(client, a, "Course on A")
    launched(client, b, "Course on B")
    platform_a = registry.find_platform(a.issuer, a.client_id)
    assert platform_a is not None
    result = runner.invoke(args=["platform", "remove", str(platform_a.id), "--yes"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert [c.title for c in rows(Course)] == ["Course on B"]
    assert len(rows(User)) == 1 and len(rows(Programme)) == 1
