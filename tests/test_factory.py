"""The app factory and settings layers."""

from __future__ import annotations

from pathlib import Path

from lti_tool import create_app


def test_factory_takes_overrides(tmp_path: Path):
    app = create_app({"TESTING": True, "DATA_DIR": str(tmp_path), "BASE_URL": "https://r.example/"})
    assert app.testing
    assert app.config["BASE_URL"] == "https://r.example"  # trailing slash dropped
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'ritmo.sqlite3'}"


def test_environment_variables_override_defaults(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("LTI_TOOL_DATABASE_URL", "postgresql://ritmo@db.example/ritmo")
    monkeypatch.setenv("LTI_TOOL_REDIS_URL", "redis://cache.example:6379/2")
    monkeypatch.setenv("LTI_TOOL_BASE_URL", "https://ritmo.example.edu")
    monkeypatch.setenv("LTI_TOOL_SECRET_KEY", "s3cret-from-env")
    monkeypatch.setenv("LTI_TOOL_JWT_LEEWAY_SECONDS", "5")
    app = create_app({"DATA_DIR": str(tmp_path)})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://ritmo@db.example/ritmo"
    assert app.config["REDIS_URL"] == "redis://cache.example:6379/2"
    assert app.config["BASE_URL"] == "https://ritmo.example.edu"
    assert app.config["SECRET_KEY"] == "s3cret-from-env"
    assert app.config["JWT_LEEWAY_SECONDS"] == 5  # parsed as JSON


def test_secret_key_is_generated_once_outside_the_repo(tmp_path: Path):
    first = create_app({"DATA_DIR": str(tmp_path)}).config["SECRET_KEY"]
    second = create_app({"DATA_DIR": str(tmp_path)}).config["SECRET_KEY"]
    assert first == second and len(first) >= 40
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_unknown_route_answers_problem_json_on_api(client):
    response = client.get("/api/nope")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["status"] == 404


def test_unknown_page_answers_html(client):
    response = client.get("/nope")
    assert response.status_code == 404
    assert response.mimetype == "text/html"


def test_pages_can_be_framed_but_send_no_referrer(client):
    response = client.get("/health")
    assert response.headers["Referrer-Policy"] == "no-referrer"
    # Framed by registered platforms only (tests/test_security_headers.py); none here.
    assert response.headers["Content-Security-Policy"].endswith("frame-ancestors 'self'")
    assert "X-Frame-Options" not in response.headers
