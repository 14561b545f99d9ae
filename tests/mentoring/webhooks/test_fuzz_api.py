"""Schemathesis against a served Ritmo, as a system with an API key holding ``webhooks:manage``:
no 5xx, no answer outside its declared schema or statuses, across the webhooks operations (ids
pinned to a real subscription and delivery)."""

from __future__ import annotations

import time

import pytest
import requests
import schemathesis
import sqlalchemy as sa
from flask import Flask
from schemathesis.core.errors import SerializationNotPossible

from lti_tool.api import keys
from lti_tool.db import db
from lti_tool.demo.server import ServerHandle
from lti_tool.events import DomainEvent
from lti_tool.mentoring.webhooks import outbox, subscriptions
from lti_tool.mentoring.webhooks.models import WebhookDelivery
from tests.api.fuzz_world import seed
from tests.api.test_fuzz import ORDER, SECONDS, Findings, fuzz_operation, pinned_document, write_report

pytestmark = pytest.mark.slow


@pytest.fixture
def app_config() -> dict[str, object]:
    return {"CHAT_MAX_WAIT_SECONDS": 0.2}


def test_the_webhooks_api_keeps_its_contract(app: Flask, ritmo: ServerHandle) -> None:
    world = seed(app)
    platform_id = world.base.platform.id
    # Deletions run last; this one is the target of every path id.
    added = subscriptions.add(platform_id, "https://receiver.example.edu/hooks", ["match.ended"])
    subscriptions.add(platform_id, "https://other.example.edu/hooks", ["match.approved"])
    # A delivery to re-send, written by the real handler as if the match had ended.
    outbox.on_event(DomainEvent("match.ended", world.base.programme.id, match_id=world.base.match.id,
                                data={"end_reason": "coordinator"}))
    db.session.commit()
    world.ids["subscription_id"] = added.subscription.id
    world.ids["delivery_id"] = db.session.execute(sa.select(WebhookDelivery.id)).scalar_one()
    _key, text = keys.create(platform_id, ["webhooks:manage"], name="fuzz webhooks")
    schema = schemathesis.openapi.from_dict(pinned_document(app, world))
    findings = Findings("system with webhooks:manage")
    deadline = time.monotonic() + SECONDS
    operations = [result.ok() for result in schema.get_all_operations()]
    operations.sort(key=lambda op: (ORDER.get(op.method.upper(), 1), op.path))
    with requests.Session() as session:
        for operation in operations:
            if "webhooks" not in (operation.definition.raw.get("tags") or []):
                continue
            label = f"{operation.method.upper()} {operation.path}"
            if time.monotonic() > deadline:
                findings.unreached.append(label)
                continue
            findings.operations += 1
            try:
                fuzz_operation(operation, "webhooks", label, session, ritmo.url, {"X-API-Key": text},
                               findings)
            except SerializationNotPossible as error:
                findings.skipped.append(f"{label}: {error}")
    write_report(findings, world)
    assert findings.operations == 9
    if findings.failures:
        texts = findings.failures["webhooks"]
        pytest.fail(f"{len(texts)} contract failures:\n\n" + "\n\n".join(texts), pytrace=False)
