"""Planned length, the mid-point check-in (sent once), the programme's start and end dates."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from lti_tool.db import db, utcnow
from lti_tool.jobs.models import Job
from lti_tool.jobs.runner import drain
from lti_tool.mentoring.matching import figures, rounds
from lti_tool.mentoring.matching.lifecycle import programme_today
from lti_tool.mentoring.matching.models import EndReason, Match, MatchStatus
from lti_tool.mentoring.programmes.models import ParticipantRole
from lti_tool.notifications.models import Notification
from tests.mentoring.matching import states
from tests.mentoring.matching.test_closure import Pair
from tests.mentoring.programmes.factories import call, world

DAY = timedelta(days=1)


def pair(*, ends_in_days: int | None) -> Pair:
    w = world()
    if ends_in_days is not None:
        w.programme.ends_on = programme_today(w.programme) + timedelta(days=ends_in_days)
        db.session.commit()
    mentor = w.person("Mia Mentor", ParticipantRole.MENTOR)
    mentee = w.person("Max Mentee", ParticipantRole.MENTEE)
    outsider = w.person("Oli Outsider", ParticipantRole.MENTEE)
    match = states.active(w.programme, mentor, [mentee])
    states.forget_announcements()
    return Pair(w, mentor, mentee, outsider, match)


def _sent(kind: str) -> list[tuple[int, str | None]]:
    return list(
        db.session.execute(
            sa.select(Notification.user_id, Notification.link)
            .where(Notification.kind == kind)
            .order_by(Notification.user_id)
        ).all()
    )


def test_the_mid_point_check_in_is_sent_once_and_answered_by_members(client, app):
    p = pair(ends_in_days=20)
    now = utcnow()
    assert rounds.run_round(now + 5 * DAY)["checkins"] == 0  # not half-way yet
    assert rounds.run_round(now + 11 * DAY)["checkins"] == 1
    assert rounds.run_round(now + 12 * DAY)["checkins"] == 0  # once only
    link = f"/programmes/{p.w.programme.id}/matches/{p.match.id}/check-in"
    assert _sent("match.checkin") == sorted([(p.mentor.user_id, link), (p.mentee.user_id, link)])

    answer = {"feeling": "mixed", "text": "We met _twice_; hard to find time"}
    wrote = call(client, p.w, p.mentee.user_id, "PUT", p.url("check-in"), json=answer)
    assert wrote.status_code == 200 and wrote.json["feeling"] == "mixed"
    assert "<em>twice</em>" in wrote.json["text_html"]
    assert (
        call(client, p.w, p.mentee.user_id, "PUT", p.url("check-in"), json={"text": "x"}).status_code == 422
    )
    coordinator = call(client, p.w, p.w.coordinator.id, "GET", p.url("life")).json
    assert [c["feeling"] for c in coordinator["checkins"]] == ["mixed"]
    assert coordinator["midpoint_sent_at"] is not None
    page = client.get(link, headers=p.w.headers(p.mentor.user_id)).get_data(as_text=True)
    assert "hard to find time" in page and 'name="feeling"' in page
    assert client.get(link, headers=p.w.headers(p.outsider.user_id)).status_code == 404


def test_the_periodic_round_is_a_registered_scheduled_task(app):
    pair(ends_in_days=2)
    db.session.add(Job(task=rounds.TASK, payload={}, run_at=utcnow()))
    db.session.commit()
    drain()
    # Two days to the end is within the notice period: the notice went out through the job.
    assert len(_sent("match.end_notice")) == 2


def test_a_coordinator_sets_the_planned_end_within_the_programme(client, app):
    p = pair(ends_in_days=60)
    life = call(client, p.w, p.mentee.user_id, "GET", p.url("life")).json
    assert life["planned_end_source"] == "programme"
    coordinator = p.w.coordinator.id
    too_late = (p.w.programme.ends_on + DAY).isoformat()
    refused = call(client, p.w, coordinator, "PUT", p.url("planned-end"), json={"planned_end_on": too_late})
    assert refused.status_code == 422 and "planned_end_on" in refused.json["errors"]
    sooner = (programme_today(p.w.programme) + 10 * DAY).isoformat()
    done = call(client, p.w, coordinator, "PUT", p.url("planned-end"), json={"planned_end_on": sooner})
    assert done.status_code == 200 and done.json["planned_end_source"] == "match"
    assert done.json["planned_end_on"].startswith(sooner)
    assert len(_sent("match.planned_end")) == 2
    # The mid-point follows the match's own planned end now: about five days in.
    assert rounds.run_round(utcnow() + 6 * DAY)["checkins"] == 1


def test_the_programme_end_gives_notice_then_closes_what_is_open(client, app):
    p = pair(ends_in_days=10)
    now = utcnow()
    assert rounds.run_round(now)["noticed"] == 0  # the notice period (7 days) has not begun
    expected = {"started": 0, "checkins": 0, "planned_ends": 0, "noticed": 1, "closed": 0}
    assert rounds.run_round(now + 4 * DAY) == expected
    assert rounds.run_round(now + 5 * DAY)["noticed"] == 0
    assert len(_sent("match.end_notice")) == 2
    assert rounds.run_round(now + 10 * DAY)["closed"] == 0  # the end date itself still runs
    assert rounds.run_round(now + 12 * DAY)["closed"] == 1
    assert rounds.run_round(now + 13 * DAY)["closed"] == 0
    db.session.expire_all()
    match = db.session.get(Match, p.match.id)
    assert match.status is MatchStatus.ENDED and match.end_reason is EndReason.PROGRAMME_ENDED
    counted = figures.matches(p.w.programme, utcnow())
    assert counted["completed"] == 1 and counted["ended_by_reason"]["programme_ended"] == 1


def test_a_match_that_missed_the_notice_is_told_before_it_is_closed(app):
    p = pair(ends_in_days=1)
    after_end = utcnow() + 3 * DAY
    expected = {"started": 0, "checkins": 1, "planned_ends": 0, "noticed": 1, "closed": 0}
    assert rounds.run_round(after_end) == expected
    assert rounds.run_round(after_end + timedelta(hours=2))["closed"] == 0  # not a day after notice
    assert rounds.run_round(after_end + DAY)["closed"] == 1
    db.session.expire_all()
    assert db.session.get(Match, p.match.id).end_reason is EndReason.PROGRAMME_ENDED


def test_a_match_approved_before_the_start_date_starts_on_that_day(app):
    w = world()
    w.programme.starts_on = programme_today(w.programme) + 2 * DAY
    db.session.commit()
    mentor = w.person("Mia Mentor", ParticipantRole.MENTOR)
    mentee = w.person("Max Mentee", ParticipantRole.MENTEE)
    match = states.active(w.programme, mentor, [mentee])
    assert match.status is MatchStatus.APPROVED and match.started_at is None
    assert rounds.run_round(utcnow())["started"] == 0
    assert rounds.run_round(utcnow() + 3 * DAY)["started"] == 1
    db.session.expire_all()
    started = db.session.get(Match, match.id)
    assert started.status is MatchStatus.ACTIVE and started.started_at is not None


def test_a_pair_past_its_own_planned_end_is_invited_to_close_once_and_again_after_an_extension(client, app):
    p = pair(ends_in_days=60)
    coordinator = p.w.coordinator.id
    today = programme_today(p.w.programme)
    first_end = (today + 10 * DAY).isoformat()

    def plan(day: str) -> int:
        answer = call(client, p.w, coordinator, "PUT", p.url("planned-end"), json={"planned_end_on": day})
        return answer.status_code

    assert plan(first_end) == 200
    now = utcnow()
    assert rounds.run_round(now + 9 * DAY)["planned_ends"] == 0  # its last day has not passed
    assert rounds.run_round(now + 12 * DAY)["planned_ends"] == 1
    assert rounds.run_round(now + 13 * DAY)["planned_ends"] == 0  # once per planned end
    link = f"/programmes/{p.w.programme.id}/matches/{p.match.id}/closing"
    assert _sent("match.planned_end_reached") == sorted([(p.mentor.user_id, link), (p.mentee.user_id, link)])
    assert db.session.get(Match, p.match.id).status is MatchStatus.ACTIVE  # only the programme's end closes

    later = (today + 20 * DAY).isoformat()
    assert plan(later) == 200
    assert rounds.run_round(now + 15 * DAY)["planned_ends"] == 0
    assert rounds.run_round(now + 22 * DAY)["planned_ends"] == 1
    assert len(_sent("match.planned_end_reached")) == 4


def test_a_match_planned_to_the_programmes_last_day_is_left_to_the_programmes_end(client, app):
    p = pair(ends_in_days=10)
    last_day = {"planned_end_on": p.w.programme.ends_on.isoformat()}
    planned = call(client, p.w, p.w.coordinator.id, "PUT", p.url("planned-end"), json=last_day)
    assert planned.status_code == 200
    assert rounds.run_round(utcnow() + 12 * DAY)["planned_ends"] == 0
    assert _sent("match.planned_end_reached") == []
