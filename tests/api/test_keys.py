"""API keys: made, listed and revoked from the command line; stored as digests; checked on every
call (401 missing/unknown/revoked/expired, 403 without the scope, 404 for another platform's data,
429 past the per-key limit); every call recorded."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from lti_tool.api import keys
from lti_tool.api.scopes import SCOPES
from lti_tool.db import Base, db, utcnow
from lti_tool.launch.models import Platform
from tests.mentoring.programmes.factories import World, world


def make_key(runner, platform_id: int, scopes: str, *extra: str) -> str:
    result = runner.invoke(
        args=["apikey", "create", "--platform", str(platform_id), "--scopes", scopes, *extra]
    )
    assert result.exit_code == 0, result.output
    line = next(line for line in result.stdout.splitlines() if line.startswith("rk_"))
    return line.strip()


def other_platform() -> Platform:
    other = Platform(
        issuer="https://other.example.test", client_id="x", name="Other",
        auth_login_url="https://other.example.test/a", auth_token_url="https://other.example.test/t",
        key_set_url="https://other.example.test/k",
    )
    db.session.add(other)
    db.session.commit()
    return other


#: Every operation under a programme: another platform's key finds none of them.
PROGRAMME_PATHS = ("", "/kpis", "/participants", "/participants/1/profile")


@pytest.fixture
def w(app: Flask) -> World:
    return world()


def test_create_prints_the_key_once_with_a_warning_and_list_never_shows_it(w: World, runner) -> None:
    result = runner.invoke(
        args=["apikey", "create", "--platform", str(w.platform.id), "--scopes", "kpis:read,roster:read",
              "--name", " BI\u202e nightly ", "--expires-days", "30"]
    )
    assert result.exit_code == 0, result.output
    text = next(line for line in result.stdout.splitlines() if line.startswith("rk_"))
    assert "cannot show it again" in result.output
    key = db.session.execute(sa.select(keys.ApiKey)).scalar_one()
    assert key.name == "BI nightly" and key.scopes == ["kpis:read", "roster:read"]
    assert key.platform_id == w.platform.id and key.expires_at is not None
    assert text.startswith(f"rk_{key.prefix}_")

    listed = runner.invoke(args=["apikey", "list", "--platform", str(w.platform.id)])
    assert listed.exit_code == 0
    assert key.prefix in listed.output and "BI nightly" in listed.output and "active" in listed.output
    assert text not in listed.output and text.split("_", 2)[2] not in listed.output
    as_json = runner.invoke(args=["apikey", "list", "--json"])
    assert text.split("_", 2)[2] not in as_json.output and key.prefix in as_json.output


def test_the_secret_is_nowhere_in_the_database(w: World, runner) -> None:
    text = make_key(runner, w.platform.id, "programmes:read")
    secret = text.split("_", 2)[2]
    db.session.expire_all()
    for table in Base.metadata.sorted_tables:
        for row in db.session.execute(sa.select(table)).all():
            assert all(secret not in str(value) for value in row), table.name
    assert db.session.execute(sa.select(keys.ApiKey.secret_hash)).scalar_one() == keys.digest(secret)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--scopes", "kpis:read,grades:write"], "Unknown scope: grades:write"),
        (["--scopes", ""], "at least one scope"),
        (["--scopes", "kpis:read", "--expires-days", "0"], "--expires-days"),
    ],
)
def test_a_bad_create_says_why_exits_non_zero_and_creates_nothing(w: World, runner, args, says) -> None:
    result = runner.invoke(args=["apikey", "create", "--platform", str(w.platform.id), *args])
    assert result.exit_code != 0
    assert says in result.output
    assert db.session.execute(sa.select(sa.func.count()).select_from(keys.ApiKey)).scalar_one() == 0


def test_an_unknown_platform_is_refused(w: World, runner) -> None:
    result = runner.invoke(args=["apikey", "create", "--platform", "999", "--scopes", "kpis:read"])
    assert result.exit_code != 0
    assert "no platform 999" in result.output
    assert db.session.execute(sa.select(sa.func.count()).select_from(keys.ApiKey)).scalar_one() == 0


def test_revoke_ends_a_key_at_once(w: World, runner, client: FlaskClient) -> None:
    text = make_key(runner, w.platform.id, "programmes:read")
    assert client.get("/api/platform/programmes", headers={"X-API-Key": text}).status_code == 200
    key_id = db.session.execute(sa.select(keys.ApiKey.id)).scalar_one()
    result = runner.invoke(args=["apikey", "revoke", str(key_id)])
    assert result.exit_code == 0 and "revoked" in result.output
    response = client.get("/api/platform/programmes", headers={"X-API-Key": text})
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert "revoked" in response.json["detail"] and response.json["title"] == "API key refused"
    assert response.headers["WWW-Authenticate"].startswith("ApiKey")
    assert "revoked" in runner.invoke(args=["apikey", "list"]).output
    assert runner.invoke(args=["apikey", "revoke", "12345"]).exit_code != 0


def test_missing_unknown_and_expired_keys_are_401(w: World, runner, client: FlaskClient) -> None:
    text = make_key(runner, w.platform.id, "programmes:read")
    for headers in ({}, {"X-API-Key": "nonsense"}, {"X-API-Key": text[:-2] + "xx"},
                    {"X-API-Key": "rk_00000000_" + "a" * 43}):
        response = client.get("/api/platform/programmes", headers=headers)
        assert response.status_code == 401, headers
        assert response.mimetype == "application/problem+json"
        assert "WWW-Authenticate" in response.headers
    key = db.session.execute(sa.select(keys.ApiKey)).scalar_one()
    key.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    response = client.get("/api/platform/programmes", headers={"X-API-Key": text})
    assert response.status_code == 401 and "expired" in response.json["detail"]


def test_a_key_without_the_scope_is_403_naming_it(w: World, runner, client: FlaskClient) -> None:
    text = make_key(runner, w.platform.id, "kpis:read")
    response = client.get("/api/platform/programmes", headers={"X-API-Key": text})
    assert response.status_code == 403
    assert "programmes:read" in response.json["detail"]
    assert response.json["missing_scopes"] == ["programmes:read"]


def test_another_platforms_programme_is_404(w: World, runner, client: FlaskClient) -> None:
    other = other_platform()
    text = make_key(runner, other.id, "programmes:read,kpis:read,roster:read,profiles:read")
    headers = {"X-API-Key": text}
    assert client.get("/api/platform/programmes", headers=headers).json["items"] == []
    for path in PROGRAMME_PATHS:
        response = client.get(f"/api/platform/programmes/{w.programme.id}{path}", headers=headers)
        assert response.status_code == 404, path
        assert response.mimetype == "application/problem+json"
    mine = make_key(runner, w.platform.id, "programmes:read")
    response = client.get(f"/api/platform/programmes/{w.programme.id}", headers={"X-API-Key": mine})
    assert response.status_code == 200


def test_a_disabled_platforms_keys_are_refused(w: World, runner, client: FlaskClient) -> None:
    from lti_tool.launch.models import PlatformStatus

    text = make_key(runner, w.platform.id, "programmes:read")
    w.platform.status = PlatformStatus.DISABLED
    db.session.commit()
    assert client.get("/api/platform/programmes", headers={"X-API-Key": text}).status_code == 401


def test_every_call_is_recorded_refused_ones_too(w: World, runner, client: FlaskClient) -> None:
    text = make_key(runner, w.platform.id, "programmes:read")
    headers = {"X-API-Key": text}
    client.get("/api/platform/programmes", headers=headers)
    client.get(f"/api/platform/programmes/{w.programme.id}", headers=headers)
    client.get("/api/platform/programmes/999999", headers=headers)  # 404
    client.get("/api/platform/programmes", headers={"X-API-Key": "rk_deadbeef_nothing"})  # unknown
    without = make_key(runner, w.platform.id, "meetings:read")
    client.get("/api/platform/programmes", headers={"X-API-Key": without})  # 403: no programmes:read
    uses = db.session.execute(sa.select(keys.ApiKeyUse).order_by(keys.ApiKeyUse.id)).scalars().all()
    key, other = db.session.execute(sa.select(keys.ApiKey).order_by(keys.ApiKey.id)).scalars()
    assert [(u.key_id, u.method, u.path, u.status) for u in uses] == [
        (key.id, "GET", "/api/platform/programmes", 200),
        (key.id, "GET", f"/api/platform/programmes/{w.programme.id}", 200),
        (key.id, "GET", "/api/platform/programmes/999999", 404),
        (None, "GET", "/api/platform/programmes", 401),
        (other.id, "GET", "/api/platform/programmes", 403),
    ]
    assert uses[3].key_prefix == "deadbeef"
    assert key.last_used_at is not None
    shown = runner.invoke(args=["apikey", "show", str(key.id)])
    assert shown.exit_code == 0
    assert "GET /api/platform/programmes\t200" in shown.output
    assert "404" in shown.output and text not in shown.output


def test_old_calls_are_purged_after_the_retention_period(w: World, runner, client: FlaskClient) -> None:
    text = make_key(runner, w.platform.id, "programmes:read")
    client.get("/api/platform/programmes", headers={"X-API-Key": text})
    client.get("/api/platform/programmes", headers={"X-API-Key": text})
    first = db.session.execute(sa.select(keys.ApiKeyUse).order_by(keys.ApiKeyUse.id)).scalars().first()
    assert first is not None
    first.at = utcnow() - timedelta(days=91)
    db.session.commit()
    assert keys.purge_uses() == 1
    assert db.session.execute(sa.select(sa.func.count()).select_from(keys.ApiKeyUse)).scalar_one() == 1


class TestRateLimit:
    @pytest.fixture
    def app_config(self) -> dict[str, object]:
        return {"RATELIMIT_ENABLED": True, "RATELIMIT_API_KEY": 3}

    def test_each_key_has_its_own_budget(self, w: World, runner, client: FlaskClient) -> None:
        first = make_key(runner, w.platform.id, "programmes:read")
        second = make_key(runner, w.platform.id, "programmes:read")
        answers = [client.get("/api/platform/programmes", headers={"X-API-Key": first}) for _ in range(4)]
        assert [r.status_code for r in answers] == [200, 200, 200, 429]
        assert int(answers[-1].headers["Retry-After"]) >= 1
        assert answers[-1].mimetype == "application/problem+json"
        assert client.get("/api/platform/programmes", headers={"X-API-Key": second}).status_code == 200
        statuses = db.session.execute(sa.select(keys.ApiKeyUse.status).order_by(keys.ApiKeyUse.id)).scalars()
        assert list(statuses) == [200, 200, 200, 429, 200]

    def test_guessing_keys_is_limited_per_address(self, w: World, runner, client: FlaskClient) -> None:
        answers = [client.get("/api/platform/programmes", headers={"X-API-Key": f"rk_0000000{n}_guess"})
                   for n in range(4)]
        assert [r.status_code for r in answers] == [401, 401, 401, 429]
        good = make_key(runner, w.platform.id, "programmes:read")
        assert client.get("/api/platform/programmes", headers={"X-API-Key": good}).status_code == 200


def test_the_guide_lists_every_scope_as_the_code_describes_it() -> None:
    guide = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text(encoding="utf-8")
    for name, description in SCOPES.items():
        line = f"| `{name}` | {description[0].lower()}{description[1:].rstrip('.')}"
        assert line in guide, name


def test_removing_a_platform_removes_its_keys_and_their_record(w: World, runner, client: FlaskClient) -> None:
    text = make_key(runner, w.platform.id, "programmes:read")
    client.get("/api/platform/programmes", headers={"X-API-Key": text})
    assert runner.invoke(args=["platform", "remove", str(w.platform.id), "--yes"]).exit_code == 0
    db.session.expire_all()
    for model in (keys.ApiKey, keys.ApiKeyUse):
        assert db.session.execute(sa.select(sa.func.count()).select_from(model)).scalar_one() == 0
    assert client.get("/api/platform/programmes", headers={"X-API-Key": text}).status_code == 401
