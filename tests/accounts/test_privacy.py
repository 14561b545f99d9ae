"""A person's data: the copy they or the organisation can ask for, and erasure for good."""

from __future__ import annotations

import json

import sqlalchemy as sa

from lti_tool.accounts import privacy
from lti_tool.accounts.models import User
from lti_tool.audit import AuditEvent
from lti_tool.db import db
from lti_tool.mentoring.conversations.models import Post
from lti_tool.mentoring.matching.models import Match
from lti_tool.mentoring.meetings.models import Meeting, VideoProvider
from lti_tool.mentoring.profiles.models import Answer as ProfileAnswer
from lti_tool.mentoring.profiles.models import Question, QuestionKind
from lti_tool.mentoring.programmes.models import Participant
from lti_tool.notifications.models import Notification
from lti_tool.notifications.service import notify
from tests.mentoring.conversations.factories import World, make_world


def _lived_in(client, world: World) -> None:
    """Ben answers his profile, both sides write in their space, and Ben is notified."""
    ben = world.mentee
    question = Question(
        programme_id=world.programme.id, key="skills", kind=QuestionKind.FREE_TEXT, label="About you"
    )
    db.session.add(question)
    db.session.flush()
    me = db.session.execute(sa.select(Participant).where(Participant.user_id == ben.id)).scalar_one()
    db.session.add(ProfileAnswer(participant_id=me.id, question_id=question.id, value="I love maps"))
    db.session.commit()
    for author, body in ((ben, "Ben's own words"), (world.mentor, "Marta's reply")):
        response = client.post(
            f"/api/matches/{world.match.id}/threads",
            headers=world.headers(author),
            json={"title": f"From {author.name}", "body": body},
        )
        assert response.status_code == 201
    notify(world.mentor.id, "post", "For Marta", "not Ben's")
    notify(ben.id, "post", "For Ben", "Ben's notification")
    db.session.commit()


def test_export_holds_what_is_theirs_and_nothing_of_others(app, client) -> None:
    world = make_world()
    _lived_in(client, world)
    data = privacy.export(world.mentee.id)
    assert data["user"]["name"] == "Ben Mentee0" and data["user"]["email"] == "ben0@example.org"
    rows = data["rows"]
    assert [a["value"] for a in rows["profile_answer"]] == ["I love maps"]
    assert [p["body"] for p in rows["conversation_post"]] == ["Ben's own words"]
    # What was sent to him (Marta's new thread, with its excerpt, included), not what went to her.
    assert "For Ben" in [n["subject"] for n in rows["notification"]]
    assert {n["user_id"] for n in rows["notification"]} == {world.mentee.id}
    assert {p["role"] for p in rows["participant"]} == {"mentee"}
    assert "For Marta" not in json.dumps(data)


def test_a_person_downloads_their_own_data_and_only_theirs(app, client) -> None:
    world = make_world()
    _lived_in(client, world)
    response = client.get("/api/me/export", headers=world.headers(world.mentee))
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="ritmo-my-data.json"'
    assert response.headers["Cache-Control"] == "no-store"
    assert response.get_json()["user"]["id"] == world.mentee.id
    assert client.get("/api/me/export").status_code == 401


def test_erasure_removes_the_person_and_keeps_the_programme_whole(app, client) -> None:
    world = make_world()
    _lived_in(client, world)
    ben_id, marta_id = world.mentee.id, world.mentor.id
    for organiser, title in ((world.mentee, "Ben's visa worries"), (world.mentor, "Marta's review")):
        db.session.add(Meeting(
            programme_id=world.programme.id, match_id=world.match.id, organiser_user_id=organiser.id,
            title=title, agenda=f"{title}: agenda", agenda_html=f"<p>{title}: agenda</p>",
            video_provider=VideoProvider.JITSI, video_url="https://meet.example/x",
            ical_uid=f"meeting-{organiser.id}@ritmo.test",
        ))
    db.session.commit()
    done = privacy.erase(ben_id, actor_user_id=world.coordinator.id, reason="request #12")
    assert done.deleted_rows >= 2 and done.blanked_texts >= 1
    db.session.expire_all()
    ben = db.session.get(User, ben_id)
    assert ben.sub.startswith("erased-") and ben.sub != "mentee0"
    assert (ben.name, ben.given_name, ben.email, ben.timezone) == (None, None, None, None)
    assert ben.display_name.startswith("User erased-")
    assert db.session.scalars(sa.select(ProfileAnswer)).all() == []
    assert set(db.session.scalars(sa.select(Notification.user_id))) == {marta_id}
    posts = {p.author_user_id: p for p in db.session.scalars(sa.select(Post))}
    assert posts[ben_id].body == "" and posts[ben_id].body_html == "" and posts[ben_id].deleted_at
    assert posts[marta_id].body == "Marta's reply" and posts[marta_id].deleted_at is None
    meetings = {m.organiser_user_id: m for m in db.session.scalars(sa.select(Meeting))}
    assert (meetings[ben_id].title, meetings[ben_id].agenda, meetings[ben_id].agenda_html) == ("—", "", "")
    assert meetings[marta_id].title == "Marta's review" and meetings[marta_id].agenda_html
    # The match, and Ben's place in it, remain for Marta's history.
    assert db.session.get(Match, world.match.id) is not None
    assert "Ben" not in json.dumps(privacy.export(ben_id))
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "user.erased")).one()
    assert event.actor_user_id == world.coordinator.id and event.detail["reason"] == "request #12"
    assert "Ben" not in json.dumps(event.detail)


def test_the_command_line_finds_the_person_as_the_lms_knows_them(app, runner, tmp_path) -> None:
    world = make_world()
    out = tmp_path / "ben.json"
    result = runner.invoke(args=[
        "user", "export", "--issuer", world.platform.issuer, "--sub", "mentee0", "--output", str(out)
    ])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["user"]["sub"] == "mentee0"
    result = runner.invoke(args=["user", "erase", "--issuer", world.platform.issuer, "--sub", "mentee0",
                                 "--reason", "ticket 7", "--yes"])
    assert result.exit_code == 0, result.output
    assert "erased" in result.output
    result = runner.invoke(args=["user", "export", "--issuer", world.platform.issuer, "--sub", "mentee0"])
    assert result.exit_code == 1 and "no person" in result.output
    assert runner.invoke(args=["user", "erase", "999999", "--yes"]).exit_code == 1
    assert runner.invoke(args=["user", "export"]).exit_code == 2
