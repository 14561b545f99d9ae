"""Schemathesis as a system: the operations tagged ``platform``, called with an API key of the
seeded world's platform, must keep their contract like the pages' operations do (no 5xx, the
documented shape and content type, a documented status). Two keys: every read scope (writes then
answer 403, as documented), and the roster and profile writes as well. Bounded like the people's
run (``RITMO_FUZZ_EXAMPLES``, ``RITMO_FUZZ_SECONDS``, ``RITMO_FUZZ_REPORT``)."""

from __future__ import annotations

import secrets
import time
from datetime import timedelta

import pytest
import requests
import schemathesis
import sqlalchemy as sa
from flask import Flask
from schemathesis.core.errors import SerializationNotPossible

from lti_tool.api import keys
from lti_tool.api.scopes import READ_SCOPES
from lti_tool.db import db, utcnow
from lti_tool.demo.server import ServerHandle
from lti_tool.mentoring.meetings.models import Meeting, MeetingStatus, VideoProvider
from tests.api.fuzz_world import FuzzWorld, seed
from tests.api.test_fuzz import ORDER, SECONDS, Findings, fuzz_operation, pinned_document, write_report

pytestmark = pytest.mark.slow

IDENTITIES = {
    "system": READ_SCOPES,
    "system-writer": (*READ_SCOPES, "roster:write", "profiles:write"),
}


@pytest.fixture
def app_config() -> dict[str, object]:
    return {"CHAT_MAX_WAIT_SECONDS": 0.2}


def _accepted_meeting(world: FuzzWorld) -> None:
    """A meeting both sides accepted, so the mentee's next meeting is there to read."""
    base = world.base
    db.session.add(Meeting(
        programme_id=base.programme.id, match_id=base.match.id, title="Agreed",
        status=MeetingStatus.CONFIRMED,
        starts_at=utcnow() + timedelta(days=3), video_provider=VideoProvider.JITSI,
        video_url="https://meet.jit.si/Ritmo-" + secrets.token_hex(8), ical_uid=secrets.token_hex(16),
    ))
    db.session.commit()


@pytest.mark.parametrize("identity", sorted(IDENTITIES))
def test_the_platform_api_keeps_its_contract_for_a_system(
    app: Flask, ritmo: ServerHandle, identity: str
) -> None:
    world = seed(app)
    _accepted_meeting(world)
    world.strings["sub"] = world.base.mentee.sub
    _key, text = keys.create(world.base.platform.id, IDENTITIES[identity], name=f"fuzz {identity}")
    schema = schemathesis.openapi.from_dict(pinned_document(app, world))
    findings = Findings(identity)
    headers = {"X-API-Key": text}

    deadline = time.monotonic() + SECONDS
    operations = [result.ok() for result in schema.get_all_operations()]
    operations.sort(key=lambda op: (ORDER.get(op.method.upper(), 1), op.path))
    with requests.Session() as session:
        for operation in operations:
            tags = operation.definition.raw.get("tags") or []
            if "platform" not in tags:
                continue
            label = f"{operation.method.upper()} {operation.path}"
            if time.monotonic() > deadline:
                findings.unreached.append(label)
                continue
            findings.operations += 1
            try:
                fuzz_operation(operation, "platform", label, session, ritmo.url, headers, findings)
            except SerializationNotPossible as error:
                findings.skipped.append(f"{label}: {error}")

    write_report(findings, world)
    assert findings.operations, "no platform operation was fuzzed"
    answered = {(use.method, use.path) for use in db.session.execute(
        sa.select(keys.ApiKeyUse).where(keys.ApiKeyUse.status == 200)
    ).scalars()}
    programme = f"/api/platform/programmes/{world.base.programme.id}"
    reached = {("GET", "/api/platform/programmes"), ("GET", programme), ("GET", f"{programme}/kpis"),
               ("GET", f"{programme}/participants"), ("GET", "/api/platform/people/{sub}/next-meeting"),
               ("GET", f"{programme}/participants/{world.ids['participant_id']}/profile")}
    if identity == "system-writer":
        reached |= {("PUT", f"{programme}/participants")}
    assert reached <= answered, f"never answered 200: {sorted(reached - answered)}"
    if findings.failures:
        texts = findings.failures["platform"]
        pytest.fail(f"{len(texts)} contract failures as {identity}:\n\n" + "\n\n".join(texts), pytrace=False)
