"""The webhooks page for the platform's LMS admins (forms without script, the in-frame session in
each), 403 for a course's coordinator; and the command line."""

from __future__ import annotations

import re

import sqlalchemy as sa

from lti_tool.accounts.models import CourseRole, Enrolment
from lti_tool.db import db
from lti_tool.identity.context import LaunchContext
from lti_tool.identity.session import issue_token
from lti_tool.mentoring.programmes import views
from lti_tool.mentoring.webhooks import delivery, subscriptions
from lti_tool.mentoring.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookSubscription
from tests.grades.factory import World, make_platform, make_world
from tests.mentoring.webhooks.receiver import serving

ADMIN = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"


def token_of(world: World, lis_roles: list[str], role: CourseRole) -> str:
    db.session.add(Enrolment(user_id=world.coordinator.id, course_id=world.course.id, role=role,
                             lis_roles=lis_roles))
    db.session.commit()
    return issue_token(LaunchContext(platform_id=world.platform.id, user_id=world.coordinator.id,
                                     course_id=world.course.id, role=role))


def form(token: str, **fields: object) -> dict[str, object]:
    return {"ritmo_session": token, **fields}


def test_an_lms_admin_adds_a_subscription_and_resends_deliveries(client, app) -> None:
    world = make_world(matches=0)
    token = token_of(world, [ADMIN], CourseRole.PARTICIPANT)
    page = client.post("/platform/webhooks", data=form(token))
    assert page.status_code == 200 and 'id="add-webhook"' in page.text
    assert 'name="ritmo_session"' in page.text  # every form carries the session: no script needed
    with serving([500]) as receiver:
        bad = client.post("/platform/webhooks/add", data=form(token, url=receiver.url, events=["lost.event"]))
        assert bad.status_code == 422
        # The form comes back as sent, with the message beside it, and nothing is subscribed.
        assert 'id="add-webhook"' in bad.text and f'value="{receiver.url}"' in bad.text
        assert 'class="errors" role="alert"' in bad.text
        assert "Ritmo sends no event named lost.event." in bad.text
        refused = client.post("/platform/webhooks/add", data=form(
            token, url="https://someone:secret@example.org/hook", events=["match.ended"],
            description="Kept as typed",
        ))
        assert refused.status_code == 422 and "Ritmo cannot send to this URL" in refused.text
        assert 'value="match.ended" checked' in refused.text and 'value="Kept as typed"' in refused.text
        assert not db.session.execute(sa.select(WebhookSubscription)).first()
        added = client.post("/platform/webhooks/add", data=form(
            token, url=receiver.url, events=["match.approved", "match.ended"], description="Data warehouse",
        ))
        assert added.status_code == 201
        secret = re.search(r"<code data-secret>(whsec_[\w-]+)</code>", added.text)
        assert secret is not None
        subscription = db.session.execute(sa.select(WebhookSubscription)).scalar_one()
        assert subscription.events == ["match.approved", "match.ended"]
        assert secret.group(1) not in subscription.secret_sealed  # kept encrypted
        again = client.post("/platform/webhooks", data=form(token))
        assert "Data warehouse" in again.text and secret.group(1) not in again.text  # shown once
        # An event, a failed delivery, the failure shown, then re-sent from the page.
        make_world(world.platform, matches=1, context_id="CourseB")
        delivery.deliver_due()
        row = db.session.execute(sa.select(WebhookDelivery)).scalar_one()
        row.status = DeliveryStatus.FAILED
        db.session.commit()
        listed = client.post("/platform/webhooks", data=form(token))
        assert f'data-delivery="{row.id}" data-status="failed"' in listed.text
        assert "The receiver answered 500" in listed.text
        failed_only = client.post("/platform/webhooks", data=form(token, status="failed"))
        assert f'data-delivery="{row.id}"' in failed_only.text
        delivered_only = client.get("/platform/webhooks", query_string={"status": "delivered"},
                                    headers={"Authorization": f"Bearer {token}"})
        assert f'data-delivery="{row.id}"' not in delivered_only.text
        everything = client.post("/platform/webhooks", data=form(token, status=""))
        assert everything.status_code == 200 and f'data-delivery="{row.id}"' in everything.text
        assert client.post("/platform/webhooks", data=form(token, status="lost")).status_code == 422
        resent = client.post(f"/platform/webhooks/deliveries/{row.id}/resend", data=form(token))
        assert resent.status_code == 303 and "rh=" in resent.headers["Location"]
        db.session.expire_all()
        assert (row.status, row.attempts) == (DeliveryStatus.PENDING, 0)
        row.status = DeliveryStatus.FAILED
        db.session.commit()
        assert client.post("/platform/webhooks/deliveries/resend-failed", data=form(token)).status_code == 303
        db.session.expire_all()
        assert row.status is DeliveryStatus.PENDING
        paused = client.post(f"/platform/webhooks/{subscription.id}/pause", data=form(token))
        assert paused.status_code == 303
        db.session.expire_all()
        assert subscription.active is False
        client.post(f"/platform/webhooks/{subscription.id}/resume", data=form(token))
        db.session.expire_all()
        assert subscription.active is True
        deleted = client.post(f"/platform/webhooks/{subscription.id}/delete", data=form(token))
        assert deleted.status_code == 303
    assert db.session.execute(sa.select(sa.func.count(WebhookSubscription.id))).scalar_one() == 0


def test_a_coordinator_and_another_platforms_admin_are_refused(client, app) -> None:
    world = make_world(matches=0)
    coordinator = token_of(world, ["http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"],
                           CourseRole.COORDINATOR)
    assert client.post("/platform/webhooks", data=form(coordinator)).status_code == 403
    added = client.post("/platform/webhooks/add", data=form(
        coordinator, url="https://receiver.example.edu/h", events=["match.ended"],
    ))
    assert added.status_code == 403
    assert db.session.execute(sa.select(WebhookSubscription)).first() is None
    theirs = subscriptions.add(make_platform("https://other.example.edu").id,
                               "https://receiver.example.edu/h", ["match.ended"])
    admin = token_of(make_world(world.platform, matches=0, context_id="CourseC"), [ADMIN],
                     CourseRole.PARTICIPANT)
    gone = client.post(f"/platform/webhooks/{theirs.subscription.id}/delete", data=form(admin))
    assert gone.status_code == 404
    assert "receiver.example.edu" not in client.post("/platform/webhooks", data=form(admin)).text


def test_the_command_line(app, runner) -> None:
    platform = make_platform()
    with serving([200]) as receiver:
        added = runner.invoke(args=["webhook", "add", "--platform", str(platform.id), "--url", receiver.url,
                                    "--events", "match.approved,match.ended", "--description", "BI"])
        assert added.exit_code == 0, added.output
        secret = re.search(r"(whsec_[\w-]+)", added.output)
        assert secret is not None
        bad = runner.invoke(args=["webhook", "add", "--platform", str(platform.id), "--url", receiver.url,
                                  "--events", "match.nope"])
        assert bad.exit_code != 0 and "events" in bad.output
        listed = runner.invoke(args=["webhook", "list"])
        assert receiver.url in listed.output and "match.approved,match.ended" in listed.output
        assert secret.group(1) not in listed.output
        make_world(platform, matches=1)
        row = db.session.execute(sa.select(WebhookDelivery)).scalar_one()
        row.status, row.last_error = DeliveryStatus.FAILED, "The receiver answered 503."
        db.session.commit()
        failed = runner.invoke(args=["webhook", "deliveries", "--status", "failed"])
        assert f"{row.id}\tmatch.approved\tfailed" in failed.output
        assert runner.invoke(args=["webhook", "resend", str(row.id)]).exit_code == 0
        assert delivery.deliver_due() == 1
        assert len(receiver.received) == 1
    subscription_id = db.session.execute(sa.select(WebhookSubscription.id)).scalar_one()
    assert runner.invoke(args=["webhook", "remove", str(subscription_id)]).exit_code == 0
    assert runner.invoke(args=["webhook", "list"]).output.strip() == ""
    assert runner.invoke(args=["webhook", "resend", "999"]).exit_code != 0


def test_the_programme_home_links_an_lms_admin_to_the_platform_pages(client, app) -> None:
    """At the launch (its roles in the context) and later (the session's token: the enrolment)."""
    world = make_world(matches=1)
    db.session.add(Enrolment(user_id=world.coordinator.id, course_id=world.course.id,
                             role=CourseRole.PARTICIPANT, lis_roles=[ADMIN]))
    db.session.commit()
    launched = LaunchContext(platform_id=world.platform.id, user_id=world.coordinator.id,
                             course_id=world.course.id, role=CourseRole.PARTICIPANT, lis_roles=(ADMIN,))
    with app.test_request_context():
        at_launch = views.open_programme(launched, "")
    admin = issue_token(launched)
    later = client.post("/programme", data=form(admin))
    assert later.status_code == 200
    for path in ("/platform/kpis", "/platform/webhooks"):
        assert f'href="{path}"' in at_launch and f'href="{path}"' in later.text, path
        assert client.post(path, data=form(admin)).status_code == 200, path
    mentee = world.mentees[0].user_id
    db.session.add(Enrolment(user_id=mentee, course_id=world.course.id, role=CourseRole.PARTICIPANT,
                             lis_roles=[LEARNER]))
    db.session.commit()
    learner = issue_token(world.ctx(world.mentees[0]))
    assert "/platform/" not in client.post("/programme", data=form(learner)).text
