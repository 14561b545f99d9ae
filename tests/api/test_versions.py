"""The version rule: ``/api/v1/...`` is ``/api/...``, every answer names its version, and a version
Ritmo does not have is a 404 that says which it has. Deprecated operations say so in headers."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Flask

from lti_tool.api import versions
from lti_tool.api.spec import document
from tests.mentoring.conversations.factories import make_world


def test_v1_and_the_unversioned_path_are_one_operation(app: Flask) -> None:
    world = make_world()
    client = app.test_client()
    path = f"/matches/{world.match.id}/space"

    plain = client.get(f"/api{path}", headers=world.headers(world.mentor))
    v1 = client.get(f"/api/v1{path}", headers=world.headers(world.mentor))

    assert plain.status_code == v1.status_code == 200
    assert plain.get_json() == v1.get_json()
    assert plain.headers["Ritmo-API-Version"] == v1.headers["Ritmo-API-Version"] == "1"


def test_errors_and_the_document_carry_the_version_too(app: Flask) -> None:
    client = app.test_client()

    unauthenticated = client.get("/api/v1/notifications")
    document = client.get("/api/v1/openapi.json")

    assert unauthenticated.status_code == 401
    assert unauthenticated.mimetype == "application/problem+json"
    assert unauthenticated.headers["Ritmo-API-Version"] == "1"
    assert document.status_code == 200 and document.headers["Ritmo-API-Version"] == "1"
    assert document.get_json()["openapi"] == "3.1.0"
    assert client.get("/health").headers.get("Ritmo-API-Version") is None


def test_an_unknown_version_is_a_404_naming_the_versions_there_are(app: Flask) -> None:
    absurd = app.test_client().get("/api/v" + "9" * 5000 + "/x")  # no number Python would read
    assert absurd.status_code == 404 and absurd.mimetype == "application/problem+json"
    for path in ("/api/v2/notifications", "/api/v7/", "/api/v2"):
        response = app.test_client().post(path) if path.endswith("/") else app.test_client().get(path)
        assert response.status_code == 404, path
        assert response.mimetype == "application/problem+json"
        body = response.get_json()
        assert body["versions"] == [1], path
        assert "/api/v1/" in body["detail"]


def test_an_id_too_large_for_any_row_is_not_found(app: Flask) -> None:
    world = make_world()
    client = app.test_client()
    too_large = 2**31
    answers = [
        client.get(f"/api/v1/matches/{too_large}/space", headers=world.headers(world.mentor)),
        client.get(f"/api/v1/matches/{2**64}/space", headers=world.headers(world.mentor)),
        # A write to a path another method shares: still 404, not 405.
        client.patch(f"/api/v1/programmes/{too_large}", json={}, headers=world.headers(world.coordinator)),
    ]
    assert [a.status_code for a in answers] == [404, 404, 404]
    assert {a.mimetype for a in answers} == {"application/problem+json"}


def test_a_deprecated_operation_says_when_and_until_when() -> None:
    app = Flask(__name__)
    versions.init_app(app)
    bp = Blueprint("old", __name__)

    @bp.get("/api/old")
    @document("Old", deprecated=date(2027, 1, 15), sunset=date(2027, 7, 15))
    def old():
        return {"ok": True}

    @bp.get("/api/new")
    @document("New")
    def new():
        return {"ok": True}

    app.register_blueprint(bp)
    client = app.test_client()

    old_answer = client.get("/api/v1/old")
    assert old_answer.headers["Deprecation"] == "@1799971200"  # 2027-01-15T00:00:00Z
    assert old_answer.headers["Sunset"] == "Thu, 15 Jul 2027 00:00:00 GMT"
    assert "Deprecation" not in client.get("/api/new").headers
