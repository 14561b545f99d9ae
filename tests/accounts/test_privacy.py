"""A person's data: the copy they or the organisation can ask for, and erasure for good."""

from __future__ import annotations

import base64
import json

import pytest
import sqlalchemy as sa

from lti_tool.accounts import privacy
from lti_tool.accounts.models import User
from lti_tool.audit import AuditEvent
from lti_tool.db import db, utcnow
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


# -- erasure leaves no trace ---------------------------------------------------------------------------

NAME, GIVEN, FAMILY, EMAIL = "Zephyrine Quorwell", "Zephyrine", "Quorwell", "zq.erase@example.org"
WORDS = "Xylofant"  # in everything she types
TRACES = ("zephyrine", "quorwell", "zq.erase", WORDS.lower())


def _traces() -> list[str]:
    """Every text, JSON or byte value of every table that still holds one of ``TRACES``."""
    found = []
    with db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            for column in table.columns:
                kind = column.type
                if isinstance(kind, sa.Enum) or not isinstance(kind, sa.String | sa.JSON | sa.LargeBinary):
                    continue
                for value in conn.execute(sa.select(column).where(column.is_not(None))).scalars():
                    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else json.dumps(
                        value, ensure_ascii=False
                    ) if not isinstance(value, str) else value
                    if any(trace in text.lower() for trace in TRACES):
                        found.append(f"{table.name}.{column.name}: {text[:80]!r}")
    return found


def _queued_calendars() -> list[str]:
    """The calendar files attached to queued e-mails (base64 in the job's payload)."""
    from lti_tool.jobs.models import Job

    found = []
    for payload in db.session.scalars(sa.select(Job.payload).where(Job.task == "mail.send")):
        for attachment in payload.get("attachments", []):
            found.append(base64.b64decode(attachment["data"]).decode().replace("\r\n ", ""))  # unfolded
    return found


def _she_lives_in(client, world: World) -> dict[str, int]:
    """She answers, posts, chats, sets goals, writes notes, asks a mentor; others quote her."""
    from lti_tool.audit import record
    from lti_tool.mail import send_email
    from lti_tool.mentoring.goals.models import (
        CompletionSource,
        CompletionState,
        Milestone,
        MilestoneCompletion,
    )
    from lti_tool.mentoring.matching.models import MatchRequest

    she, marta = world.mentee, world.mentor
    she.name, she.given_name, she.family_name, she.email = NAME, GIVEN, FAMILY, EMAIL
    db.session.commit()
    _lived_in(client, world)
    me = db.session.execute(sa.select(Participant).where(Participant.user_id == she.id)).scalar_one()
    other_mentor = db.session.execute(
        sa.select(Match.mentor_id).where(Match.id == world.other_match.id)
    ).scalar_one()
    hers = world.headers(she)
    made = client.post(f"/api/matches/{world.match.id}/threads", headers=hers, json={
        "title": f"{WORDS} worries about the visa", "body": f"{WORDS}: my landlord is **awful**",
    })
    assert made.status_code == 201, made.get_data(as_text=True)
    assert client.post(f"/api/matches/{world.match.id}/chat", headers=hers,
                       json={"body": f"{WORDS} chat: call me at home"}).status_code == 201
    goal = client.post(f"/api/goals/matches/{world.match.id}/goals", headers=hers,
                       json={"title": f"{WORDS} goal: pass the exam", "measure": f"{WORDS} measure: a grade"})
    assert goal.status_code == 201, goal.get_data(as_text=True)
    assert client.post(f"/api/goals/goals/{goal.get_json()['id']}/notes", headers=hers,
                       json={"text": f"{WORDS} note: I am anxious"}).status_code == 201
    # A meeting she proposes and Marta accepts: invitations (calendar files) name both of them.
    proposed = client.post(f"/api/matches/{world.match.id}/meetings", headers=hers, json={
        "title": f"{WORDS} talk about my thesis", "times": ["2027-03-27T09:00"],
        "timezone": "Europe/Rome", "agenda": f"{WORDS} agenda: the chapters",
    })
    assert proposed.status_code == 201, proposed.get_data(as_text=True)
    meeting = proposed.get_json()
    accepted = client.post(f"/api/meetings/{meeting['id']}/accept", headers=world.headers(marta),
                           json={"slot_id": meeting["slots"][0]["id"]})
    assert accepted.status_code == 200, accepted.get_data(as_text=True)
    # Marta's own words, which must stay.
    assert client.post(f"/api/matches/{world.match.id}/chat", headers=world.headers(marta),
                       json={"body": "Marta keeps her chat"}).status_code == 201
    for organiser, title in ((she, f"{WORDS} meeting about family"), (marta, "Marta's check-in")):
        db.session.add(Meeting(
            programme_id=world.programme.id, match_id=world.match.id, organiser_user_id=organiser.id,
            title=title, agenda=f"{title}: agenda", agenda_html=f"<p>{title}: agenda</p>",
            notes=f"{WORDS} notes: she cried", notes_html=f"<p>{WORDS} notes</p>",
            video_provider=VideoProvider.JITSI, video_url="https://meet.example/x",
            ical_uid=f"meeting-{organiser.id}@ritmo.test",
        ))
    db.session.add(MatchRequest(
        programme_id=world.programme.id, mentee_id=me.id, mentor_id=other_mentor,
        message=f"{WORDS} request: please take me", explanation={"why": f"{WORDS} answers"},
        expires_at=utcnow(),
    ))
    milestone = Milestone(programme_id=world.programme.id, title="First meeting")
    db.session.add(milestone)
    db.session.flush()
    db.session.add(MilestoneCompletion(
        milestone_id=milestone.id, participant_id=me.id, match_id=world.match.id,
        state=CompletionState.COMPLETED, source=CompletionSource.MANUAL, note=f"{WORDS} completion note",
    ))
    record("match.ended", "match", world.match.id, actor_user_id=she.id, reason=f"{WORDS} typed reason")
    record("participant.changed", "participant", me.id, actor_user_id=world.coordinator.id,
           note=f"asked by {NAME}")
    notify(marta.id, "post", f"{NAME} needs you", f"“{WORDS}: my landlord is awful” she wrote")
    send_email(EMAIL, "Your week", "Dear Zephyrine, three things happened.")
    _the_match_lives_on(client, world, she, marta)
    db.session.commit()
    return {"marta_notifications": len(db.session.scalars(
        sa.select(Notification).where(Notification.user_id == marta.id)
    ).all())}


def _the_match_lives_on(client, world: World, she: User, marta: User) -> None:
    """Her check-in; a nudge to Marta, the pair's rhythm and the attention list naming her."""
    from flask_babel import lazy_gettext

    from lti_tool.mentoring.attention.models import AttentionAction
    from lti_tool.mentoring.nudges.service import send_nudge
    from lti_tool.mentoring.rhythm.models import PairRhythm

    checked = client.put(
        f"/api/programmes/{world.programme.id}/matches/{world.match.id}/check-in",
        headers=world.headers(she), json={"feeling": "mixed", "text": f"{WORDS} check-in: it is hard"},
    )
    assert checked.status_code == 200, checked.get_data(as_text=True)
    sent = send_nudge(
        programme=world.programme, user_id=marta.id, kind="rhythm.unanswered",
        subject=lazy_gettext("Answer %(name)s", name=NAME), text=lazy_gettext("%(name)s waits", name=NAME),
        action_label=lazy_gettext("Answer"), action_link=f"/matches/{world.match.id}/space",
        match_id=world.match.id,
    )
    assert sent is not None
    db.session.add(PairRhythm(
        match_id=world.match.id, programme_id=world.programme.id,
        reasons=[{"code": "absent", "severity": 2, "params": {"days": 9, "user": she.id, "name": NAME}}],
    ))
    db.session.add(AttentionAction(
        programme_id=world.programme.id, source="pairs_at_risk", key=f"match:{world.match.id}",
        action="followed_up", action_label="Mark as followed up", title=f"Pair at risk: {NAME} and Marta",
        actor_user_id=world.coordinator.id, note=f"Called {NAME}", result=f"{NAME}: followed up",
    ))


def test_erasure_leaves_no_trace_of_her_in_any_table_and_keeps_others_words(app, client) -> None:
    world = make_world()
    _she_lives_in(client, world)
    before = _traces()
    # Her name, address and words were everywhere: in others' notifications and queued e-mails too.
    invitations = [
        text for text in _queued_calendars() if "zq.erase@example.org" in text.lower()
    ]
    assert invitations  # her address, in the calendar files of e-mails to Marta and to her
    for where in ("notification.subject", "job.payload", "chat_message.body", "goal.title",
                  "goal_note.text", "meeting.notes", "match_request.message", "audit_event.detail",
                  "milestone_completion.note", "conversation_post.body", "user.name",
                  "match_reflection.text", "nudge.subject", "rhythm_pair.reasons", "attention_action.title",
                  "attention_action.note"):
        assert any(line.startswith(where) for line in before), where
    privacy.erase(world.mentee.id, reason="request 9")
    assert _traces() == []
    assert not [text for text in _queued_calendars() if any(trace in text.lower() for trace in TRACES)]
    # Others' words and notifications stay.
    with db.engine.connect() as conn:
        chats = conn.execute(sa.text("select body from chat_message")).scalars().all()
        posts = conn.execute(sa.text("select body from conversation_post")).scalars().all()
        subjects = conn.execute(sa.text("select subject from notification")).scalars().all()
        meetings = conn.execute(sa.text("select title from meeting")).scalars().all()
    assert "Marta keeps her chat" in chats and "Marta's reply" in posts
    assert "For Marta" in subjects and "Marta's check-in" in meetings
    assert db.session.get(Match, world.match.id) is not None


def test_erasure_can_be_run_again(app, client) -> None:
    world = make_world()
    _she_lives_in(client, world)
    privacy.erase(world.mentee.id)
    again = privacy.erase(world.mentee.id)
    assert again.deleted_rows == 0 and again.scrubbed_rows == 0
    assert _traces() == []


def test_erasure_is_all_or_nothing(app, client, monkeypatch) -> None:
    from lti_tool.identity import revocation

    world = make_world()
    _she_lives_in(client, world)
    before = _traces()
    real_revoke = revocation.revoke

    def revoke_then_fail(user_ids):  # the last step before the commit
        real_revoke(user_ids)
        raise RuntimeError("the database went away")

    monkeypatch.setattr(revocation, "revoke", revoke_then_fail)
    with pytest.raises(RuntimeError):
        privacy.erase(world.mentee.id)
    db.session.expire_all()
    assert _traces() == before
    assert db.session.get(User, world.mentee.id).name == NAME


def test_export_shows_every_personal_column_she_has(app, client) -> None:
    from lti_tool.accounts.personal_data import INVENTORY, Fate

    world = make_world()
    _she_lives_in(client, world)
    data = privacy.export(world.mentee.id)
    exported = {"user": [data["user"]], **data["rows"]}
    ids = {world.mentee.id}
    for entry in INVENTORY:
        if entry.fate in (Fate.NOT_PERSONAL, Fate.SCRUB) or entry.table not in exported:
            continue
        assert all(entry.name in row for row in exported[entry.table]), entry.column
    # What she typed is in her copy.
    text = json.dumps(data, ensure_ascii=False)
    for words in ("chat: call me", "goal: pass the exam", "note: I am anxious", "request: please",
                  "completion note", "I love maps", NAME, EMAIL):
        assert words in text, words
    assert ids == {data["user"]["id"]}
