"""The management API for systems with an API key holding ``webhooks:manage``: bound to the key's
platform, problem+json for bad input, the secret in the creation's answer only."""

from __future__ import annotations

import sqlalchemy as sa

from lti_tool.db import db
from lti_tool.mentoring.webhooks import delivery, sealing
from lti_tool.mentoring.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookSubscription
from tests.api.test_keys import make_key
from tests.grades.factory import make_platform, make_world
from tests.mentoring.declared import declared
from tests.mentoring.webhooks.receiver import serving


def test_a_system_manages_its_platforms_webhooks(client, app, runner) -> None:
    platform = make_platform()
    key = {"X-API-Key": make_key(runner, platform.id, "webhooks:manage")}
    listed_events = client.get("/api/platform/webhooks/events", headers=key)
    names = [e["name"] for e in declared(app, "GET", "/api/platform/webhooks/events", listed_events)["items"]]
    assert names == ["match.approved", "match.ended", "milestone.completed", "support.request_opened",
                     "pair.at_risk", "survey.closed"]
    bad = client.post("/api/platform/webhooks", headers=key, json={"url": "https://x.example.edu/h",
                                                                   "events": ["match.gone"]})
    assert bad.status_code == 422 and bad.content_type.startswith("application/problem+json")
    assert "events" in bad.get_json()["errors"]
    with serving([503]) as receiver:
        created = client.post("/api/platform/webhooks", headers=key, json={
            "url": receiver.url, "events": ["match.approved"], "description": "BI"})
        assert created.status_code == 201, created.get_json()
        body = declared(app, "POST", "/api/platform/webhooks", created)
        subscription = db.session.get(WebhookSubscription, body["id"])
        assert subscription is not None and sealing.unseal(subscription.secret_sealed) == body["secret"]
        read = declared(app, "GET", f"/api/platform/webhooks/{body['id']}",
                        client.get(f"/api/platform/webhooks/{body['id']}", headers=key))
        assert "secret" not in read and read["events"] == ["match.approved"] and read["active"] is True
        listed = declared(app, "GET", "/api/platform/webhooks",
                          client.get("/api/platform/webhooks", headers=key))["items"]
        assert [s["id"] for s in listed] == [body["id"]]
        make_world(platform, matches=1)
        delivery.deliver_due()
    row = db.session.execute(sa.select(WebhookDelivery)).scalar_one()
    row.status = DeliveryStatus.FAILED
    db.session.commit()
    failed = client.get("/api/platform/webhooks/deliveries", headers=key, query_string={"status": "failed"})
    [item] = declared(app, "GET", "/api/platform/webhooks/deliveries", failed)["items"]
    assert (item["id"], item["event_type"], item["attempts"], item["last_status"]) == (
        row.id, "match.approved", 1, 503)
    assert client.get("/api/platform/webhooks/deliveries", headers=key,
                      query_string={"status": "lost"}).status_code == 422
    resent = client.post(f"/api/platform/webhooks/deliveries/{row.id}/resend", headers=key)
    assert declared(app, "POST", f"/api/platform/webhooks/deliveries/{row.id}/resend", resent) == {
        "requeued": 1}
    assert client.post("/api/platform/webhooks/deliveries/resend-failed", headers=key).get_json() == {
        "requeued": 0}
    paused = client.patch(f"/api/platform/webhooks/{body['id']}", headers=key, json={"active": False})
    assert declared(app, "PATCH", f"/api/platform/webhooks/{body['id']}", paused)["active"] is False
    # Another platform's key sees none of it.
    other = {"X-API-Key": make_key(runner, make_platform("https://other.example.edu").id, "webhooks:manage")}
    assert client.get("/api/platform/webhooks", headers=other).get_json() == {"items": []}
    assert client.get(f"/api/platform/webhooks/{body['id']}", headers=other).status_code == 404
    assert client.delete(f"/api/platform/webhooks/{body['id']}", headers=other).status_code == 404
    assert client.post(f"/api/platform/webhooks/deliveries/{row.id}/resend", headers=other).status_code == 404
    removed = client.delete(f"/api/platform/webhooks/{body['id']}", headers=key)
    assert declared(app, "DELETE", f"/api/platform/webhooks/{body['id']}", removed) is None
    assert db.session.execute(sa.select(WebhookSubscription)).first() is None


def test_a_key_without_the_scope_is_refused(client, app, runner) -> None:
    platform = make_platform()
    reader = {"X-API-Key": make_key(runner, platform.id, "programmes:read")}
    assert client.get("/api/platform/webhooks", headers=reader).status_code == 403
    assert client.post("/api/platform/webhooks", headers=reader, json={
        "url": "https://x.example.edu/h", "events": ["match.ended"]}).status_code == 403
    assert client.get("/api/platform/webhooks").status_code == 401
    assert db.session.execute(sa.select(WebhookSubscription)).first() is None
