"""Sign-in links in e-mail: sent over real SMTP, confirmed by POST, spent once, refused when they must be."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from lti_tool.accounts import privacy
from lti_tool.accounts.models import CourseRole, Enrolment
from lti_tool.db import db, utcnow
from lti_tool.errors import InvalidInput
from lti_tool.identity import email_links, revocation
from lti_tool.identity.email_links import SignInLink
from lti_tool.jobs import enqueue
from lti_tool.jobs.runner import drain
from lti_tool.launch.models import PlatformStatus
from lti_tool.notifications import links, service
from lti_tool.notifications.models import EmailMode
from tests.mentoring.conversations.factories import Mailbox, World

BASE = "http://127.0.0.1:5000"
SIGN_IN = re.compile(re.escape(BASE) + r"/signin/([A-Za-z0-9_-]{43})")


def enrol(world: World) -> None:
    """The enrolments a launch would have recorded for the world's people."""
    for user in [world.mentor, *world.mentees, world.outsider]:
        db.session.add(
            Enrolment(
                user_id=user.id,
                course_id=world.course.id,
                role=CourseRole.PARTICIPANT,
                is_mentor=user is world.mentor,
            )
        )
    db.session.add(
        Enrolment(user_id=world.coordinator.id, course_id=world.course.id, role=CourseRole.COORDINATOR)
    )
    db.session.commit()


def mailed_token(mailbox: Mailbox, address: str) -> str:
    [message] = mailbox.to(address)
    found = SIGN_IN.search(message.get_body(("plain",)).get_content())
    assert found, "the e-mail carries a sign-in link"
    return found.group(1)


@pytest.fixture
def enrolled(world: World) -> World:
    enrol(world)
    return world


def test_an_e_mail_link_opens_its_page_once_after_a_confirming_post(
    client, enrolled: World, mailbox: Mailbox
) -> None:
    world = enrolled
    space = f"/matches/{world.match.id}/space"
    service.notify(
        world.mentee.id, "post", "New reply", "Marta answered.", link=space, course_id=world.course.id
    )
    db.session.commit()
    drain()
    token = mailed_token(mailbox, "ben0@example.org")
    html = mailbox.messages[0].get_body(("html",)).get_content()
    assert f'href="{BASE}/signin/{token}"' in html

    # A link scanner's GET (twice) spends nothing: it shows whom the link signs in.
    for _ in range(2):
        page = client.get(f"/signin/{token}")
        assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
        assert "Ben Mentee0" in page.get_data(as_text=True) and "Mentoring 101" in page.get_data(as_text=True)
    assert db.session.execute(sa.select(SignInLink.used_at)).scalar_one() is None

    spent = client.post(f"/signin/{token}")
    assert spent.status_code == 303
    location = spent.headers["Location"]
    assert location.startswith(space + "?rh=")
    landed = client.get(location)
    assert landed.status_code == 200
    assert 'name="ritmo-session"' in landed.get_data(as_text=True)

    again = client.post(f"/signin/{token}")
    assert again.status_code == 410
    body = again.get_data(as_text=True)
    assert "used already" in body and "Mentoring 101" in body and "https://lms.example" in body
    assert client.get(f"/signin/{token}").status_code == 410


def test_the_session_is_the_persons_role_in_that_course(client, enrolled: World, mailbox: Mailbox) -> None:
    world = enrolled
    token = email_links.mint(world.coordinator.id, world.course.id, f"/matches/{world.match.id}/space")
    db.session.commit()
    location = client.post(f"/signin/{token}").headers["Location"]
    assert client.get(location).status_code == 200  # a coordinator sees any match of the programme
    outsider_token = email_links.mint(world.outsider.id, world.course.id, f"/matches/{world.match.id}/space")
    db.session.commit()
    location = client.post(f"/signin/{outsider_token}").headers["Location"]
    assert client.get(location).status_code == 404  # the match check still applies


def test_the_token_is_kept_only_as_a_keyed_digest(app, enrolled: World) -> None:
    token = email_links.mint(enrolled.mentee.id, enrolled.course.id, "/notifications")
    db.session.commit()
    row = db.session.execute(sa.select(SignInLink)).scalar_one()
    assert token not in (row.token_hash, row.path) and len(row.token_hash) == 64
    assert email_links.find(token) is row
    assert email_links.find(("B" if token[0] == "A" else "A") + token[1:]) is None


@pytest.mark.parametrize(
    "link",
    [
        "https://evil.example/phish",
        "//evil.example/x",
        "/\\evil.example",
        "javascript:alert(1)",
        "matches/1",
        "/ space",
    ],
)
def test_a_link_only_ever_opens_a_ritmo_path(app, link: str) -> None:
    with pytest.raises(InvalidInput):
        email_links.ritmo_path(link)


def test_ritmo_addresses_become_paths_and_other_sites_stay_plain(
    app, enrolled: World, mailbox: Mailbox
) -> None:
    assert email_links.ritmo_path(f"{BASE}/webinars/3?x=1") == "/webinars/3?x=1"
    service.notify(enrolled.mentee.id, "meeting", "Room", "Join", link="https://meet.jit.si/Ritmo-abc")
    db.session.commit()
    drain()
    text = mailbox.messages[0].get_body(("plain",)).get_content()
    assert "https://meet.jit.si/Ritmo-abc" in text and "/signin/" not in text


def test_without_a_course_given_the_latest_enrolment_is_used(
    client, enrolled: World, mailbox: Mailbox
) -> None:
    service.notify(enrolled.mentee.id, "post", "Hi", "text", link="/notifications")
    db.session.commit()
    drain()
    token = mailed_token(mailbox, "ben0@example.org")
    location = client.post(f"/signin/{token}").headers["Location"]
    assert location.startswith("/notifications?rh=") and client.get(location).status_code == 200


def test_a_person_with_no_course_gets_the_plain_link(app, world: World, mailbox: Mailbox) -> None:
    service.notify(world.mentee.id, "post", "Hi", "text", link="/notifications")
    db.session.commit()
    drain()
    assert f"{BASE}/notifications" in mailbox.messages[0].get_body(("plain",)).get_content()
    assert db.session.execute(sa.select(sa.func.count()).select_from(SignInLink)).scalar_one() == 0


def test_revoked_sessions_refuse_links_made_before(client, enrolled: World) -> None:
    token = email_links.mint(
        enrolled.mentee.id, enrolled.course.id, "/notifications", now=utcnow() - timedelta(seconds=5)
    )
    revocation.revoke([enrolled.mentee.id])  # e.g. their role changed
    db.session.commit()
    refused = client.post(f"/signin/{token}")
    assert refused.status_code == 410 and "withdrawn" in refused.get_data(as_text=True)
    assert "E-mail me a new link" not in refused.get_data(as_text=True)


def test_disabled_platforms_and_departed_people_are_refused(client, enrolled: World) -> None:
    token = email_links.mint(enrolled.mentee.id, enrolled.course.id, "/notifications")
    enrolled.platform.status = PlatformStatus.DISABLED
    db.session.commit()
    assert client.post(f"/signin/{token}").status_code == 410
    enrolled.platform.status = PlatformStatus.ACTIVE
    other = email_links.mint(enrolled.mentor.id, enrolled.course.id, "/notifications")
    db.session.execute(sa.delete(Enrolment).where(Enrolment.user_id == enrolled.mentor.id))
    db.session.commit()
    assert client.post(f"/signin/{other}").status_code == 410
    assert client.post(f"/signin/{token}").status_code == 303  # the platform is back


def test_erased_people_lose_their_links(client, enrolled: World) -> None:
    token = email_links.mint(enrolled.mentee.id, enrolled.course.id, "/notifications")
    db.session.commit()
    privacy.erase(enrolled.mentee.id)
    assert client.get(f"/signin/{token}").status_code == 404  # the row went with the person
    assert db.session.execute(sa.select(sa.func.count()).select_from(SignInLink)).scalar_one() == 0


def test_unknown_tokens_are_404(client, app) -> None:
    assert client.get("/signin/not-a-token").status_code == 404
    assert client.post("/signin/" + "A" * 43).status_code == 404


def test_an_expired_link_offers_a_fresh_one_by_e_mail_once(client, enrolled: World, mailbox: Mailbox) -> None:
    old = email_links.mint(
        enrolled.mentee.id, enrolled.course.id, "/notifications", now=utcnow() - timedelta(hours=25)
    )
    db.session.commit()
    refused = client.get(f"/signin/{old}")
    assert refused.status_code == 410 and "expired" in refused.get_data(as_text=True)
    assert "E-mail me a new link" in refused.get_data(as_text=True)
    assert client.post(f"/signin/{old}/renew").status_code == 200
    drain()
    fresh = mailed_token(mailbox, "ben0@example.org")
    assert mailbox.messages[0]["Subject"] == "Your new link to Ritmo"
    assert client.post(f"/signin/{fresh}").headers["Location"].startswith("/notifications?rh=")
    # The old link renews once: a forwarded copy cannot flood the person's inbox.
    second = client.post(f"/signin/{old}/renew")
    assert second.status_code == 410 and "already sent" in second.get_data(as_text=True)
    drain()
    assert len(mailbox.messages) == 1


def test_each_digest_item_carries_its_own_link(client, enrolled: World, mailbox: Mailbox) -> None:
    service.set_email_mode(enrolled.mentee.id, EmailMode.DIGEST)
    service.notify(enrolled.mentee.id, "post", "One", "first", link="/notifications")
    service.notify(enrolled.mentee.id, "post", "Two", "second", link=f"/matches/{enrolled.match.id}/space")
    db.session.commit()
    assert service.send_digests() == 1
    db.session.commit()
    drain()
    text = mailbox.messages[0].get_body(("plain",)).get_content()
    tokens = SIGN_IN.findall(text)
    assert len(set(tokens)) == 2
    paths = {client.post(f"/signin/{t}").headers["Location"].split("?")[0] for t in tokens}
    assert paths == {"/notifications", f"/matches/{enrolled.match.id}/space"}


def test_links_long_expired_are_purged_daily(app, enrolled: World) -> None:
    long_gone = email_links.mint(
        enrolled.mentee.id, enrolled.course.id, "/notifications", now=utcnow() - timedelta(days=9)
    )
    lately = email_links.mint(
        enrolled.mentee.id, enrolled.course.id, "/notifications", now=utcnow() - timedelta(days=2)
    )
    db.session.commit()
    enqueue(links.PURGE_TASK, {})
    db.session.commit()
    drain()
    assert email_links.find(long_gone) is None
    assert email_links.find(lately) is not None  # a late click still reads "expired"
