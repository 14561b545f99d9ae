"""In Chromium: a participant answers a scheduled survey from its reminder e-mail.

The periodic run invites the mentee to a survey scheduled on joining; near the window's end it
reminds them (a nudge, really sent over SMTP to an aiosmtpd server). The link read from the
message as received opens in a fresh browser context (no cookies, no LMS frame): the sign-in link
page, then the answering page, where the mentee fills the real form. The answer is recorded,
shown on "My surveys", and no second reminder follows.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from lti_tool.db import db, utcnow
from lti_tool.jobs.runner import drain
from lti_tool.mentoring.surveys import occasions
from lti_tool.mentoring.surveys.models import (
    Audience,
    ItemType,
    SurveyAnswer,
    SurveyInvitation,
    SurveyItem,
    SurveyResponse,
)
from tests.mentoring.conversations.factories import make_world
from tests.mentoring.meetings.conftest import app_config, mailbox, smtp  # noqa: F401 - shared fixtures
from tests.mentoring.surveys.schedule_world import add_survey
from tests.notifications.test_email_links import enrol

pytestmark = pytest.mark.browser


def test_a_participant_answers_a_scheduled_survey_from_its_reminder(app, ritmo, mailbox, browser) -> None:  # noqa: F811
    world = make_world()
    enrol(world)
    survey = add_survey(
        world, {"baseline": "joined", "window_days": 14, "remind_days_before": 3}, audience=Audience.MENTEES
    )
    db.session.add(
        SurveyItem(
            survey_id=survey.id,
            position=2,
            type=ItemType.LONG_TEXT,
            text_en="What helped most?",
            text_it="Che cosa ti ha aiutato di più?",
            required=False,
        )
    )
    db.session.commit()
    likert, text_item = db.session.execute(
        sa.select(SurveyItem.id).where(SurveyItem.survey_id == survey.id).order_by(SurveyItem.position)
    ).scalars()
    # Invited twelve days ago, not answered: two days before the window closes, the reminder is due.
    assert occasions.run(utcnow() - timedelta(days=12))["invited"] == 2
    drain()
    mailbox.clear()
    assert occasions.run(utcnow())["reminded"] == 2
    drain()
    [message] = mailbox.to("ben0@example.org")
    assert message["Subject"] == "Reminder: How is it going?"
    text = message.get_body(("plain",)).get_content()
    assert "Answer the survey" in text
    found = re.search(re.escape(ritmo.url) + r"/signin/[A-Za-z0-9_-]{43}", text)
    assert found, text
    invitation = db.session.execute(
        sa.select(SurveyInvitation).where(SurveyInvitation.user_id == world.mentee.id)
    ).scalar_one()

    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(found.group(0))
        assert "Ben Mentee0" in page.locator("main").inner_text()
        with page.expect_navigation():
            page.locator("#signin-continue").click()
        assert page.url.startswith(f"{ritmo.url}/surveys/{survey.id}/answer")
        assert f"invitation={invitation.id}" in page.url
        assert page.locator("h1").first.inner_text() == "How is it going?"
        form = page.locator("#answer-form")
        form.locator(f"input[name='item-{likert}'][value='4']").check()
        form.locator(f"textarea[name='item-{text_item}']").fill("Mock interviews <b>every week</b>")
        with page.expect_navigation():
            form.locator("button[type=submit]").click()
        assert page.url.startswith(f"{ritmo.url}/surveys/mine")
        assert "Your answers are saved." in page.locator("[role=status]").inner_text()
        assert "answered" in page.locator(f"#invitation-{invitation.id}").inner_text()
    finally:
        context.close()

    db.session.expire_all()
    response = db.session.execute(
        sa.select(SurveyResponse).where(SurveyResponse.invitation_id == invitation.id)
    ).scalar_one()
    assert (response.user_id, response.occasion, response.participant_role) == (
        world.mentee.id,
        "baseline",
        "mentee",
    )
    answers = {
        a.item_id: a
        for a in db.session.execute(
            sa.select(SurveyAnswer).where(SurveyAnswer.response_id == response.id)
        ).scalars()
    }
    assert answers[likert].value_num == 4
    assert "every week" in (answers[text_item].value_text or "")
    # Answered: nothing more is sent about it.
    mailbox.clear()
    assert occasions.run(utcnow() + timedelta(hours=1))["reminded"] == 0
    drain()
    assert mailbox.to("ben0@example.org") == []
