"""Rules of milestones, goals and completions through the JSON API (and the pages that share them)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from lti_tool.accounts.models import CourseRole
from lti_tool.audit import AuditEvent
from lti_tool.db import db
from lti_tool.events import DomainEvent, emit
from lti_tool.grades.models import DeliveryState, ScoreOutbox
from lti_tool.mentoring.goals import milestones
from lti_tool.mentoring.goals.models import CompletionState, MilestoneCompletion
from lti_tool.mentoring.matching.models import EndReason
from tests.grades.factory import World, bearer, make_world
from tests.mentoring.matching import states as match_states


@pytest.fixture
def world(app) -> World:
    return make_world(matches=2)


def create(client, world: World, **body) -> dict:
    payload = {"title": "First meeting", "graded": True, "points": 10, **body}
    response = client.post("/api/goals/milestones", json=payload, headers=bearer(world.coord))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def outbox() -> list[ScoreOutbox]:
    return list(db.session.execute(sa.select(ScoreOutbox).order_by(ScoreOutbox.id)).scalars())


# --- milestones -------------------------------------------------------------------------------


def test_coordinator_defines_milestones(client, world: World) -> None:
    made = create(client, world, description="<b>Meet</b> once", evidence="A summary", due_offset_days=14)
    assert made["description"] == "Meet once" and made["due_offset_days"] == 14
    changed = client.patch(
        f"/api/goals/milestones/{made['id']}", json={"points": 20}, headers=bearer(world.coord)
    )
    assert changed.status_code == 200 and changed.get_json()["points"] == 20
    assert changed.get_json()["description"] == "Meet once"
    listed = client.get("/api/goals/milestones", headers=bearer(world.ctx(world.mentees[0])))
    assert [m["title"] for m in listed.get_json()["milestones"]] == ["First meeting"]
    assert (
        client.delete(f"/api/goals/milestones/{made['id']}", headers=bearer(world.coord)).status_code == 204
    )
    assert client.get("/api/goals/milestones", headers=bearer(world.coord)).get_json()["milestones"] == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": ""}, "title"),
        ({"graded": True, "points": 0}, "points"),
        ({"due_on": "2027-01-10", "due_offset_days": 3}, "due_offset_days"),
        ({"completion_mode": "automatic"}, "rule_event"),
        ({"completion_mode": "automatic", "rule_event": "nonsense.event"}, "rule_event"),
        ({"completion_mode": "automatic", "rule_event": "message.sent", "rule_count": 0}, "rule_count"),
        ({"completion_mode": "sometimes"}, "completion_mode"),
        ({"due_offset_days": -1}, "due_offset_days"),
    ],
)
def test_invalid_milestones_are_refused_with_the_field(client, world: World, body, field) -> None:
    payload = {"title": "M", "graded": True, "points": 5, **body}
    response = client.post("/api/goals/milestones", json=payload, headers=bearer(world.coord))
    assert response.status_code == 422
    assert field in response.get_json()["errors"]
    assert client.get("/api/goals/milestones", headers=bearer(world.coord)).get_json()["milestones"] == []


def test_only_coordinators_manage_milestones(client, world: World) -> None:
    mentee = bearer(world.ctx(world.mentees[0]))
    assert client.post("/api/goals/milestones", json={"title": "x"}, headers=mentee).status_code == 403
    made = create(client, world)
    assert (
        client.patch(f"/api/goals/milestones/{made['id']}", json={"points": 1}, headers=mentee).status_code
        == 403
    )
    assert client.get("/api/goals/progress", headers=mentee).status_code == 403
    assert client.get("/api/goals/milestones").status_code == 401


def test_milestones_of_another_course_are_invisible(client, world: World) -> None:
    made = create(client, world)
    other = make_world(world.platform, matches=1, context_id="CourseB")
    response = client.patch(
        f"/api/goals/milestones/{made['id']}", json={"points": 1}, headers=bearer(other.coord)
    )
    assert response.status_code == 404


def test_placeable_milestones_declare_line_items(client, world: World) -> None:
    graded = create(client, world, points=7)
    create(client, world, title="Reflection", graded=False, points=0)
    items = client.get("/api/goals/placeable", headers=bearer(world.coord)).get_json()["items"]
    # The total has a target of its own: the programme home stays a plain link in the picker.
    assert items[0]["target"] == "milestone:total" and items[0]["line_item"]["scoreMaximum"] == 7
    assert items[0]["title"] == items[0]["line_item"]["label"] == "Mentoring 101: milestones total"
    assert items[1] == {
        "title": "First meeting",
        "target": f"milestone:{graded['id']}",
        "line_item": {
            "scoreMaximum": 7,
            "label": "First meeting",
            "resourceId": f"ritmo:milestone:{graded['id']}",
            "tag": "ritmo-milestone",
        },
    }
    assert "line_item" not in items[2]


# --- manual completion -----------------------------------------------------------------------


def test_mentee_marks_mentor_confirms_and_the_score_is_queued(client, world: World) -> None:
    milestone = create(client, world)
    match = world.matches[0].id
    url = f"/api/goals/matches/{match}/milestones/{milestone['id']}"
    mentee, mentor = bearer(world.ctx(world.mentees[0])), bearer(world.ctx(world.mentors[0]))
    marked = client.post(url + "/done", json={"note": "We met on Monday"}, headers=mentee)
    assert marked.status_code == 200 and marked.get_json()["state"] == "awaiting_confirmation"
    assert outbox() == []  # no grade before the mentor confirms
    assert client.post(url + "/confirm", json={}, headers=mentee).status_code == 403
    confirmed = client.post(url + "/confirm", json={}, headers=mentor)
    assert confirmed.get_json()["state"] == "completed"
    [row] = outbox()
    assert (row.score_given, row.score_maximum, row.version, row.state) == (10, 10, 1, DeliveryState.PENDING)
    assert client.post(url + "/done", json={}, headers=mentee).status_code == 409
    # A confirmed completion is the mentor's to undo; undoing queues the corrected score.
    assert client.post(url + "/undo", json={}, headers=mentee).status_code == 403
    assert client.post(url + "/undo", json={}, headers=mentor).status_code == 200
    [row] = outbox()
    assert row.version == 2 and row.score_given is None and row.grading_progress == "NotReady"
    assert (
        db.session.execute(
            sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.action == "grade.set")
        ).scalar_one()
        == 2
    )


def test_without_confirmation_the_mentee_completes_alone(client, world: World) -> None:
    milestone = create(client, world, requires_confirmation=False)
    url = f"/api/goals/matches/{world.matches[0].id}/milestones/{milestone['id']}/done"
    assert (
        client.post(url, json={}, headers=bearer(world.ctx(world.mentees[0]))).get_json()["state"]
        == "completed"
    )
    assert len(outbox()) == 1


def test_mentee_withdraws_an_unconfirmed_mark(client, world: World) -> None:
    milestone = create(client, world)
    url = f"/api/goals/matches/{world.matches[0].id}/milestones/{milestone['id']}"
    mentee = bearer(world.ctx(world.mentees[0]))
    client.post(url + "/done", json={}, headers=mentee)
    assert client.post(url + "/undo", json={}, headers=mentee).status_code == 200
    assert outbox() == []
    assert client.post(url + "/undo", json={}, headers=mentee).status_code == 409


def test_members_only_reach_their_own_match(client, world: World) -> None:
    milestone = create(client, world)
    other_match = world.matches[1].id
    stranger = bearer(world.ctx(world.mentees[0]))
    assert client.get(f"/api/goals/matches/{other_match}", headers=stranger).status_code == 404
    url = f"/api/goals/matches/{other_match}/milestones/{milestone['id']}/done"
    assert client.post(url, json={}, headers=stranger).status_code == 404
    assert (
        client.post(
            f"/api/goals/matches/{other_match}/goals", json={"title": "x"}, headers=stranger
        ).status_code
        == 404
    )
    mine = client.get("/api/goals/matches", headers=stranger).get_json()["matches"]
    assert [m["id"] for m in mine] == [world.matches[0].id]
    assert client.get(f"/api/goals/matches/{other_match}", headers=bearer(world.coord)).status_code == 200


def test_proposed_match_is_hidden_and_ended_match_is_read_only(client, world: World) -> None:
    milestone = create(client, world)
    # Mentee 0's match ends and a coordinator proposes a new mentor; mentee 1's match ends.
    match_states.ended(world.programme, world.matches[0], EndReason.COORDINATOR)
    proposal = match_states.proposed(world.programme, world.mentors[1], [world.mentees[0]])
    match_states.ended(world.programme, world.matches[1], EndReason.COORDINATOR)
    mentee = bearer(world.ctx(world.mentees[0]))
    assert client.get(f"/api/goals/matches/{proposal.id}", headers=mentee).status_code == 404
    ended = bearer(world.ctx(world.mentees[1]))
    assert client.get(f"/api/goals/matches/{world.matches[1].id}", headers=ended).status_code == 200
    url = f"/api/goals/matches/{world.matches[1].id}/milestones/{milestone['id']}/done"
    assert client.post(url, json={}, headers=ended).status_code == 409


def test_automatic_milestone_cannot_be_marked_by_members(client, world: World) -> None:
    milestone = create(client, world, completion_mode="automatic", rule_event="meeting.held")
    url = f"/api/goals/matches/{world.matches[0].id}/milestones/{milestone['id']}/done"
    assert client.post(url, json={}, headers=bearer(world.ctx(world.mentees[0]))).status_code == 409
    # The coordinator may override.
    assert client.post(url, json={}, headers=bearer(world.coord)).get_json()["state"] == "completed"


def test_group_match_needs_to_say_which_mentee(client, app) -> None:
    world = make_world(matches=1, mentees_per_match=2)
    milestone = create(client, world)
    url = f"/api/goals/matches/{world.matches[0].id}/milestones/{milestone['id']}/done"
    mentor = bearer(world.ctx(world.mentors[0]))
    response = client.post(url, json={}, headers=mentor)
    assert response.status_code == 422 and "participant_id" in response.get_json()["errors"]
    done = client.post(url, json={"participant_id": world.mentees[1].id}, headers=mentor)
    assert (
        done.get_json()["state"] == "completed" and done.get_json()["participant_id"] == world.mentees[1].id
    )
    # A mentee cannot mark for the other mentee.
    other = client.post(
        url, json={"participant_id": world.mentees[1].id}, headers=bearer(world.ctx(world.mentees[0]))
    )
    assert other.status_code in (403, 409)


# --- automatic completion from events -------------------------------------------------------


def completions(milestone_id: int) -> dict[int, CompletionState]:
    return {
        c.participant_id: c.state
        for c in db.session.execute(
            sa.select(MilestoneCompletion).where(MilestoneCompletion.milestone_id == milestone_id)
        ).scalars()
    }


def test_rules_complete_milestones_from_events(client, world: World) -> None:
    first = create(
        client, world, title="First meeting", completion_mode="automatic", rule_event="meeting.held"
    )
    chat = create(
        client,
        world,
        title="Ten messages",
        completion_mode="automatic",
        rule_event="message.sent",
        rule_count=3,
        graded=False,
        points=0,
    )
    survey = create(client, world, title="Survey", completion_mode="automatic", rule_event="survey.answered")
    p, match, mentee, mentor = world.programme.id, world.matches[0], world.mentees[0], world.mentors[0]
    emit(DomainEvent("meeting.held", p, match_id=match.id, participant_id=mentor.id))
    db.session.commit()
    assert completions(first["id"]) == {mentee.id: CompletionState.COMPLETED}
    for _ in range(2):
        emit(DomainEvent("message.sent", p, match_id=match.id, participant_id=mentee.id, data={"count": 1}))
    db.session.commit()
    assert completions(chat["id"]) == {}
    emit(DomainEvent("message.sent", p, match_id=match.id, participant_id=mentor.id, data={"count": 1}))
    db.session.commit()
    assert completions(chat["id"]) == {mentee.id: CompletionState.COMPLETED}
    # Personal events count only for the mentee who did it, never for a mentor.
    emit(DomainEvent("survey.answered", p, participant_id=mentor.id))
    emit(DomainEvent("survey.answered", p, participant_id=world.mentees[1].id))
    db.session.commit()
    assert completions(survey["id"]) == {world.mentees[1].id: CompletionState.COMPLETED}
    # A second meeting changes nothing: one score per graded completion.
    emit(DomainEvent("meeting.held", p, match_id=match.id))
    db.session.commit()
    assert [(r.user_id, r.version) for r in outbox()] == [(mentee.user_id, 1), (world.mentees[1].user_id, 1)]


def test_events_of_another_programme_are_ignored(client, world: World) -> None:
    milestone = create(client, world, completion_mode="automatic", rule_event="meeting.held")
    other = make_world(world.platform, matches=1, context_id="CourseB")
    emit(DomainEvent("meeting.held", other.programme.id, match_id=world.matches[0].id))
    db.session.commit()
    assert completions(milestone["id"]) == {}


# --- goals ----------------------------------------------------------------------------------------


def test_members_write_goals_together_and_agree_the_plan(client, world: World) -> None:
    agreed = create(
        client, world, title="Goal plan", completion_mode="automatic", rule_event="goal.plan_agreed"
    )
    match = world.matches[0].id
    mentee, mentor = bearer(world.ctx(world.mentees[0])), bearer(world.ctx(world.mentors[0]))
    assert client.post(f"/api/goals/matches/{match}/plan/agree", headers=mentee).status_code == 409
    goal = client.post(
        f"/api/goals/matches/{match}/goals",
        headers=mentee,
        json={
            "title": "Three mock interviews",
            "measure": "3 done, feedback written",
            "due_on": "2027-03-01",
        },
    )
    assert goal.status_code == 201
    goal_id = goal.get_json()["id"]
    edited = client.patch(f"/api/goals/goals/{goal_id}", json={"status": "in_progress"}, headers=mentor)
    assert edited.get_json()["status"] == "in_progress"
    note = client.post(
        f"/api/goals/goals/{goal_id}/notes", json={"text": "<script>x</script>First one done"}, headers=mentee
    )
    assert note.status_code == 201 and note.get_json()["text"] == "First one done"
    assert (
        client.post(f"/api/goals/goals/{goal_id}/notes", json={"text": ""}, headers=mentee).status_code == 422
    )
    assert (
        client.patch(f"/api/goals/goals/{goal_id}", json={"status": "done-ish"}, headers=mentor).status_code
        == 422
    )
    # Coordinators watch but do not write a match's goals.
    assert (
        client.patch(
            f"/api/goals/goals/{goal_id}", json={"title": "x"}, headers=bearer(world.coord)
        ).status_code
        == 403
    )
    assert client.post(f"/api/goals/matches/{match}/plan/agree", headers=mentee).get_json() == {
        "plan_agreed": False
    }
    assert completions(agreed["id"]) == {}
    assert client.post(f"/api/goals/matches/{match}/plan/agree", headers=mentor).get_json() == {
        "plan_agreed": True
    }
    assert completions(agreed["id"]) == {world.mentees[0].id: CompletionState.COMPLETED}
    timeline = client.get(f"/api/goals/matches/{match}", headers=mentor).get_json()
    assert timeline["plan_agreed"] is True
    assert timeline["goals"][0]["notes"][0]["text"] == "First one done"
    assert timeline["milestones"][0]["completions"][str(world.mentees[0].id)]["state"] == "completed"


def test_timeline_due_dates_follow_the_match_start(client, world: World) -> None:
    create(client, world, title="Offset", due_offset_days=10)
    create(client, world, title="Fixed", due_on="2027-02-01")
    timeline = client.get(
        f"/api/goals/matches/{world.matches[0].id}", headers=bearer(world.ctx(world.mentees[0]))
    ).get_json()
    start = world.matches[0].started_at.date()
    dues = {m["title"]: m["due"] for m in timeline["milestones"]}
    assert dues == {
        "Offset": (start + __import__("datetime").timedelta(days=10)).isoformat(),
        "Fixed": "2027-02-01",
    }


# --- progress, totals and pages -----------------------------------------------------------------


def test_progress_across_matches(client, world: World) -> None:
    milestone = create(client, world)
    url = f"/api/goals/matches/{world.matches[0].id}/milestones/{milestone['id']}"
    client.post(url + "/done", json={}, headers=bearer(world.ctx(world.mentors[0])))
    url = f"/api/goals/matches/{world.matches[1].id}/milestones/{milestone['id']}"
    client.post(url + "/done", json={}, headers=bearer(world.ctx(world.mentees[1])))
    progress = client.get("/api/goals/progress", headers=bearer(world.coord)).get_json()
    assert progress["milestones"] == [
        {
            "id": milestone["id"],
            "title": "First meeting",
            "completed": 1,
            "awaiting_confirmation": 1,
            "mentees": 2,
        }
    ]
    assert {m["match_id"]: m["milestones"] for m in progress["matches"]} == {
        world.matches[0].id: {str(milestone["id"]): "completed"},
        world.matches[1].id: {str(milestone["id"]): "awaiting_confirmation"},
    }


def test_programme_total_and_changed_points_resend_scores(client, world: World) -> None:
    a = create(client, world, title="A", points=10, requires_confirmation=False)
    create(client, world, title="B", points=30, requires_confirmation=False)
    mentee = bearer(world.ctx(world.mentees[0]))
    client.post(
        f"/api/goals/matches/{world.matches[0].id}/milestones/{a['id']}/done", json={}, headers=mentee
    )
    response = client.put("/api/goals/programme-total", json={"enabled": True}, headers=bearer(world.coord))
    assert response.get_json() == {"enabled": True}
    mine = world.mentees[0].user_id
    rows = {r.line_item.resource_id: r for r in outbox() if r.user_id == mine}
    total = rows[f"ritmo:programme:{world.programme.id}"]
    assert (total.score_given, total.score_maximum, total.activity_progress) == (10, 40, "InProgress")
    client.patch(f"/api/goals/milestones/{a['id']}", json={"points": 20}, headers=bearer(world.coord))
    rows = {r.line_item.resource_id: r for r in outbox() if r.user_id == mine}
    assert rows[f"ritmo:milestone:{a['id']}"].score_given == 20
    assert rows[f"ritmo:programme:{world.programme.id}"].score_maximum == 50


def test_pages_render_and_forms_work(client, world: World) -> None:
    milestone = create(client, world)
    coord = bearer(world.coord)
    for path in ("/goals", "/goals/milestones", "/goals/progress", "/grades/deliveries"):
        response = client.get(path, headers=coord)
        assert response.status_code == 200, path
        assert "First meeting" in response.text or path == "/grades/deliveries"
    deliveries = client.get("/grades/deliveries", headers={**coord, "Accept-Language": "it"}).text
    assert "<dt>in attesa di invio</dt>" in deliveries and "<dt>pending</dt>" not in deliveries
    mentee_ctx = world.ctx(world.mentees[0])
    page = client.get("/goals", headers=bearer(mentee_ctx))
    assert page.status_code == 200 and f'data-milestone="{milestone["id"]}"' in page.text
    form = client.post(
        f"/goals/matches/{world.matches[0].id}/goals",
        headers=bearer(mentee_ctx),
        data={"title": "Practice pitching", "measure": "", "due_on": ""},
    )
    assert form.status_code == 303 and "rh=" in form.headers["Location"]
    created = client.post(
        "/goals/milestones",
        headers=coord,
        data={
            "action": "create",
            "title": "Second",
            "graded": "on",
            "points": "5",
            "completion_mode": "manual",
            "due_on": "",
            "due_offset_days": "",
            "rule_event": "",
            "rule_count": "1",
        },
    )
    assert created.status_code == 303
    assert client.get("/goals/progress", headers=bearer(mentee_ctx)).status_code == 403
    bad = client.post(
        "/goals/milestones", headers=coord, data={"action": "create", "title": "", "points": ""}
    )
    assert bad.status_code == 422 and "title" in bad.text.lower()


def test_launch_target_opens_the_milestone(app, world: World) -> None:
    from flask import g

    from lti_tool.mentoring.goals.views import open_milestone

    milestone = milestones.create_milestone(world.coord, {"title": "Placed", "graded": True, "points": 3})
    with app.test_request_context("/lti/launch"):
        g.launch_context = world.coord
        assert f'data-milestone="{milestone.id}" class="focus"' in open_milestone(
            world.coord, str(milestone.id)
        )
    with app.test_request_context("/lti/launch"):
        ctx = world.ctx(world.mentees[0])
        g.launch_context = ctx
        assert f'id="milestone-{milestone.id}"' in open_milestone(ctx, str(milestone.id))


_ = CourseRole


def test_a_programme_placed_as_graded_receives_the_total(client, world: World) -> None:
    from lti_tool.accounts.models import ResourceLink

    url = "https://lms.example.edu/courses/CourseA/lineitems/9?type_id=1"
    db.session.add(ResourceLink(course_id=world.course.id, resource_link_id="rl-1", target="programme",
                                lineitem_url=url))
    db.session.commit()
    a = create(client, world, title="A", points=10, requires_confirmation=False)
    mentee = bearer(world.ctx(world.mentees[0]))
    done = f"/api/goals/matches/{world.matches[0].id}/milestones/{a['id']}/done"
    client.post(done, json={}, headers=mentee)
    rows = {r.line_item.resource_id: r for r in outbox() if r.user_id == world.mentees[0].user_id}
    total = rows[f"ritmo:programme:{world.programme.id}"]
    assert total.line_item.url == url and (total.score_given, total.score_maximum) == (10, 10)
    assert total.activity_progress == "Completed"


def test_a_completed_milestone_reads_in_italian_as_the_others_do(client, world: World) -> None:
    milestone = create(client, world, requires_confirmation=False)
    create(client, world, title="Second")
    match_id = world.matches[0].id
    mentee = bearer(world.ctx(world.mentees[0]))
    client.post(f"/api/goals/matches/{match_id}/milestones/{milestone['id']}/done", json={}, headers=mentee)
    page = client.get(f"/goals/matches/{match_id}", headers=mentee | {"Accept": "text/html",
                                                                      "Accept-Language": "it"})
    html = page.get_data(as_text=True)
    # A milestone ("tappa") is feminine: done and not done agree.
    assert "completata" in html and "non ancora completata" in html and "completato" not in html
