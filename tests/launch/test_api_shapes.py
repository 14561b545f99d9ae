"""The launch's own API (``/api/me``, the data export, the hand-off code) answers what its
schemas (and so the API document) declare."""

from __future__ import annotations

from lti_tool.launch import api_schemas
from tests.lti_platform import launch, session_token
from tests.schema_check import conforms


def test_me_and_the_handoff_code_match_their_schemas(client, platform) -> None:
    token = session_token(launch(client, platform).get_data(as_text=True))
    headers = {"Authorization": f"Bearer {token}"}
    me = client.get("/api/me", headers=headers).get_json()
    conforms(api_schemas.MeOut, me)
    assert me["platform"]["issuer"] == platform.issuer and me["course"] is not None
    code = client.post("/api/session/handoff", headers=headers)
    conforms(api_schemas.HandoffOut, code.get_json())
    export = client.get("/api/me/export", headers=headers)
    assert export.status_code == 200 and export.mimetype == "application/json"
    assert export.headers["Content-Disposition"] == 'attachment; filename="ritmo-my-data.json"'
    conforms(api_schemas.MeExportOut, export.get_json())
    assert export.get_json()["user"]["id"] == me["user"]["id"]
