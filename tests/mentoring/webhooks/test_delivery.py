"""Deliveries leave the outbox signed, through the guarded client, to a real receiver on 127.0.0.1;
retries follow the backoff (time driven through ``now``), 410 pauses, private addresses are
refused when they are not allowed, and the outbox row commits or rolls back with the event."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from lti_tool.db import db, utcnow
from lti_tool.errors import InvalidInput
from lti_tool.mentoring.matching import lifecycle
from lti_tool.mentoring.matching.models import EndReason
from lti_tool.mentoring.webhooks import delivery, signing, subscriptions
from lti_tool.mentoring.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookSubscription
from tests.grades.factory import make_platform, make_world
from tests.mentoring.matching import states
from tests.mentoring.webhooks.receiver import serving


def _deliveries() -> list[WebhookDelivery]:
    db.session.expire_all()
    return list(db.session.execute(sa.select(WebhookDelivery).order_by(WebhookDelivery.id)).scalars())


def test_an_approved_match_reaches_the_receiver_signed(app) -> None:
    platform = make_platform()
    with serving() as receiver:
        added = subscriptions.add(platform.id, receiver.url, ["match.approved", "match.ended"])
        world = make_world(platform, matches=1)  # proposed, then approved by the coordinator
        [row] = _deliveries()
        assert row.status is DeliveryStatus.PENDING and row.event_type == "match.approved"
        assert delivery.deliver_due() == 1
        [got] = receiver.received
    assert got.path == "/hooks/ritmo"
    header = got.headers["Ritmo-Signature"]
    timestamp = int(got.headers["Ritmo-Webhook-Timestamp"])
    assert abs(time.time() - timestamp) < 60 and header.startswith(f"t={timestamp},v1=")
    assert signing.verify(added.secret, header, got.body)
    assert not signing.verify(added.secret, header, got.body + b" ")  # the body is signed
    assert not signing.verify("whsec_other", header, got.body)
    assert not signing.verify(added.secret, header, got.body, now=timestamp + 301)  # replay window
    payload = json.loads(got.body)
    assert got.headers["Ritmo-Webhook-Id"] == payload["id"]
    match = world.matches[0]
    assert payload["type"] == "match.approved" and payload["api_version"] == "1"
    assert payload["platform"] == {"id": platform.id, "issuer": platform.issuer}
    assert payload["programme"] == {"id": world.programme.id, "title": "Mentoring 101"}
    assert payload["data"]["match"] == {
        "id": match.id, "mentor": {"sub": "u-mentor-01"}, "mentees": [{"sub": "u-learner-01"}],
    }
    assert "Mentor 1" not in got.body.decode()  # ids, not names
    [row] = _deliveries()
    assert (row.status, row.attempts, row.last_status) == (DeliveryStatus.DELIVERED, 1, 200)


def test_a_failing_receiver_gets_the_retry_after_the_backoff(app) -> None:
    platform = make_platform()
    with serving([500, 200]) as receiver:
        subscriptions.add(platform.id, receiver.url, ["match.ended"])
        world = make_world(platform, matches=1)
        assert _deliveries() == []  # not subscribed to match.approved
        states.ended(world.programme, world.matches[0], EndReason.COORDINATOR)
        start = utcnow()
        assert delivery.deliver_due(start) == 0
        [row] = _deliveries()
        assert (row.status, row.attempts, row.last_status) == (DeliveryStatus.PENDING, 1, 500)
        assert row.last_error == "The receiver answered 500 Internal Server Error."
        assert "internals" not in row.last_error
        wait = row.next_attempt_at - start
        assert timedelta(seconds=47) < wait < timedelta(seconds=73)  # a minute, with jitter
        assert delivery.deliver_due(start + timedelta(seconds=40)) == 0
        assert len(receiver.received) == 1
        assert delivery.deliver_due(start + timedelta(seconds=75)) == 1
        assert len(receiver.received) == 2
        first, second = receiver.received
    assert first.headers["Ritmo-Webhook-Id"] == second.headers["Ritmo-Webhook-Id"]
    assert first.body == second.body
    assert json.loads(second.body)["data"]["end_reason"] == "coordinator"
    [row] = _deliveries()
    assert (row.status, row.attempts, row.last_error) == (DeliveryStatus.DELIVERED, 2, None)


def test_the_backoff_grows_to_hours_and_gives_up_after_about_a_day(app) -> None:
    assert timedelta(seconds=48) <= delivery.backoff(1) <= timedelta(seconds=72)
    assert timedelta(minutes=3) <= delivery.backoff(3) <= timedelta(minutes=5)
    assert delivery.backoff(12) <= timedelta(hours=7.2)
    platform = make_platform()
    with serving([503]) as receiver:
        subscriptions.add(platform.id, receiver.url, ["match.approved"])
        make_world(platform, matches=1)
        now = utcnow()
        for _attempt in range(delivery.MAX_ATTEMPTS):
            [row] = _deliveries()
            assert row.status is DeliveryStatus.PENDING
            now = max(now, row.next_attempt_at)
            delivery.deliver_due(now)
        assert len(receiver.received) == delivery.MAX_ATTEMPTS
    [row] = _deliveries()
    assert row.status is DeliveryStatus.FAILED and row.last_error.startswith("Gave up after 13 attempts")
    assert timedelta(hours=20) < now - row.created_at < timedelta(hours=32)


def test_410_pauses_the_subscription(app) -> None:
    platform = make_platform()
    with serving([410]) as receiver:
        subscriptions.add(platform.id, receiver.url, ["match.approved"])
        world = make_world(platform, matches=2)
        delivery.deliver_due()
        assert len(receiver.received) == 1  # paused after the first answer: the second waits
    subscription = db.session.execute(sa.select(WebhookSubscription)).scalar_one()
    assert not subscription.active and "410" in subscription.paused_reason
    statuses = sorted(d.status.value for d in _deliveries())
    assert statuses == ["failed", "pending"]
    assert world.matches


def test_the_outbox_row_rolls_back_with_the_emitters_transaction(app) -> None:
    platform = make_platform()
    subscriptions.add(platform.id, "https://receiver.example.edu/hooks", ["match.approved"])
    world = make_world(platform, matches=1)
    before = len(_deliveries())
    mentor, mentee = world.mentors[0], world.mentees[0]
    states.ended(world.programme, world.matches[0], EndReason.COORDINATOR)
    proposal = lifecycle.propose(world.programme, mentor.id, [mentee.id], actor_user_id=None, why="test")
    db.session.commit()
    lifecycle.activate(world.programme, [proposal.id], actor_user_id=None, why="test")
    assert db.session.execute(sa.select(sa.func.count(WebhookDelivery.id))).scalar_one() == before + 1
    db.session.rollback()  # the approval fails later in its transaction: nothing is sent
    assert len(_deliveries()) == before
    lifecycle.activate(world.programme, [proposal.id], actor_user_id=None, why="test")
    db.session.commit()
    assert len(_deliveries()) == before + 1


@pytest.mark.parametrize("app_config", [{"ALLOW_PRIVATE_URLS": False}])
def test_private_addresses_are_refused_when_not_allowed(app, app_config) -> None:
    platform = make_platform()
    for url in ("https://127.0.0.1/hook", "http://receiver.example.edu/hook", "https://10.0.0.8/hook",
                "https://user:pw@receiver.example.edu/hook", "https://localhost/hook",
                "https://" + "a" * 70 + ".example.edu/hook", "https://receiver.example.edu:99999/hook"):
        with pytest.raises(InvalidInput) as refused:
            subscriptions.add(platform.id, url, ["match.approved"])
        assert refused.value.errors and "url" in refused.value.errors, url
    with serving() as receiver:
        # Stored while private addresses were allowed, sent now they are not: the guarded client refuses.
        app.config["ALLOW_PRIVATE_URLS"] = True
        subscriptions.add(platform.id, receiver.url, ["match.approved"])
        app.config["ALLOW_PRIVATE_URLS"] = False
        make_world(platform, matches=1)
        assert delivery.deliver_due() == 0
        assert receiver.received == []
    [row] = _deliveries()
    assert row.status is DeliveryStatus.PENDING and row.last_error.startswith("Ritmo refused to send")


def test_a_slow_receiver_is_cut_at_the_deadline_and_tried_again(app, monkeypatch) -> None:
    monkeypatch.setattr(delivery, "DEADLINE_SECONDS", 0.5)
    platform = make_platform()
    with serving(delay=3) as receiver:
        subscriptions.add(platform.id, receiver.url, ["match.approved"])
        make_world(platform, matches=1)
        started = time.monotonic()
        assert delivery.deliver_due() == 0
        assert time.monotonic() - started < 2.5
    [row] = _deliveries()
    assert row.status is DeliveryStatus.PENDING and row.attempts == 1
    assert row.last_error == "The receiver could not be reached: Timeout" and row.last_status is None


def test_a_claimed_delivery_is_taken_over_when_its_sender_dies(app) -> None:
    platform = make_platform()
    with serving() as receiver:
        subscriptions.add(platform.id, receiver.url, ["match.approved"])
        make_world(platform, matches=1)
        now = utcnow()
        assert len(delivery.claim(now, 10)) == 1  # a sender claims it, then dies before sending
        assert delivery.claim(now, 10) == []  # nobody else sends it meanwhile
        assert delivery.deliver_due(now + timedelta(seconds=30)) == 0
        assert delivery.deliver_due(now + delivery.LEASE + timedelta(seconds=1)) == 1
        assert len(receiver.received) == 1


def test_a_run_stops_sending_when_its_time_is_up(app, monkeypatch) -> None:
    monkeypatch.setattr(delivery, "DEADLINE_SECONDS", 0.5)
    monkeypatch.setattr(delivery, "RUN_BUDGET_SECONDS", 0.3)
    platform = make_platform()
    with serving(delay=3) as receiver:
        subscriptions.add(platform.id, receiver.url, ["match.approved"])
        make_world(platform, matches=2)
        now = utcnow()
        delivery.deliver_due(now)
        assert len(receiver.received) == 1
    first, second = _deliveries()
    assert (first.attempts, second.attempts) == (1, 0)
    assert second.status is DeliveryStatus.PENDING and second.next_attempt_at <= now  # the next run's


def test_a_secret_sealed_under_another_secret_key_says_what_to_do(app) -> None:
    platform = make_platform()
    with serving() as receiver:
        subscriptions.add(platform.id, receiver.url, ["match.approved"])
        make_world(platform, matches=1)
        app.config["SECRET_KEY"] = "a-rotated-secret-key"
        assert delivery.deliver_due() == 0
        assert receiver.received == []
    [row] = _deliveries()
    assert row.status is DeliveryStatus.PENDING and "add it again" in (row.last_error or "")
