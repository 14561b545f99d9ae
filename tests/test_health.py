from __future__ import annotations


def test_health_reports_database_and_cache(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "checks": {"database": "ok", "cache": "ok"}}


def test_health_reports_an_unreachable_database(tmp_path):
    from lti_tool import create_app

    app = create_app({"TESTING": True, "DATA_DIR": str(tmp_path),
                      "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"})
    response = app.test_client().get("/health")
    assert response.status_code == 503
    assert response.get_json()["checks"]["database"].startswith("error")
