"""Each KPI on a programme small enough to count by hand (the numbers are explained in factories.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lti_tool.mentoring.kpis import service
from tests.mentoring.kpis.factories import DAY, SECOND, KpiWorld, build


@pytest.fixture
def kw(app) -> KpiWorld:
    return build()


@pytest.fixture
def kpis(kw: KpiWorld) -> dict:
    return service.dashboard(kw.world.programme, now=kw.now)


def test_participants_by_role_and_status(kpis: dict) -> None:
    people = kpis["participants"]
    assert people["total"] == 13
    assert people["by_role"]["mentee"] == {"active": 7, "paused": 1, "withdrawn": 1, "total": 9}
    assert people["by_role"]["mentor"] == {"active": 2, "paused": 1, "withdrawn": 0, "total": 3}
    assert people["by_role"]["coordinator"] == {"active": 1, "paused": 0, "withdrawn": 0, "total": 1}


def test_mentees_with_and_without_a_live_match(kpis: dict) -> None:
    # A proposed or ended match is no match yet; a withdrawn mentee is not waiting for one.
    assert kpis["mentees"] == {"matched": 5, "unmatched": 3}


def test_matches_by_status_and_why_they_ended(kpis: dict) -> None:
    assert kpis["matches"]["by_status"] == {"proposed": 1, "approved": 1, "active": 3, "ended": 3}
    assert kpis["matches"]["live"] == 4
    # Made by the service: closed by a coordinator, rematched at a mentee's request, ended when
    # the mentee left the course. Nothing the product makes ends without a reason.
    assert kpis["matches"]["ended_by_reason"] == {
        "completed": 1,
        "rematch": 1,
        "coordinator": 0,
        "removed": 0,
        "programme_ended": 0,
        "withdrawn": 1,
        "not_recorded": 0,
    }
    assert kpis["matches"]["completed"] == 1


def test_pending_requests_and_started_profiles(kpis: dict) -> None:
    assert kpis["pending_requests"] == 2
    assert kpis["profiles_started"] == 2


def test_active_and_quiet_pairs_over_the_last_30_days(kpis: dict) -> None:
    assert kpis["activity"]["active_pairs"] == 3
    assert kpis["activity"]["quiet_pairs"] == 1


def test_posts_and_chat_messages_per_week(kw: KpiWorld, kpis: dict) -> None:
    weeks = kpis["activity"]["weeks"]
    assert [w["posts"] for w in weeks] == [2, 1, 0, 1]
    assert [w["chat_messages"] for w in weeks] == [1, 0, 0, 1]
    assert weeks[0]["ends_at"] == kw.now.isoformat()


def test_meetings_held_and_upcoming(kpis: dict) -> None:
    assert kpis["meetings"] == {"held_last_30_days": 2, "upcoming": 1}


def test_milestones_webinars_and_gradebook(kpis: dict) -> None:
    assert kpis["milestones"] == {"completed": 3, "mentees_with_one_completed": 2}
    assert kpis["webinars"] == {"registered": 2, "waitlisted": 1, "cancelled": 1, "attended": 1}
    assert kpis["gradebook"] == {"delivered": 1, "waiting": 2, "failed": 1}


def test_times_are_utc(kw: KpiWorld, kpis: dict) -> None:
    generated = datetime.fromisoformat(kpis["generated_at"])
    assert generated.tzinfo is not None and generated.utcoffset() == UTC.utcoffset(None)
    assert datetime.fromisoformat(kpis["window"]["since"]) == kw.now - 30 * DAY


def test_the_window_moves_with_now(kw: KpiWorld) -> None:
    # One second later, a's only post (exactly 30 days old until then) is out of the window.
    later = service.dashboard(kw.world.programme, now=kw.now + SECOND)
    assert (later["activity"]["active_pairs"], later["activity"]["quiet_pairs"]) == (2, 2)
    # A day and a second later, g's meeting of 29 days ago is out and h's upcoming one took place.
    later = service.dashboard(kw.world.programme, now=kw.now + DAY + SECOND)
    assert later["meetings"] == {"held_last_30_days": 2, "upcoming": 0}
    assert later["activity"]["active_pairs"] == 3  # b, g, and now h


def test_an_empty_programme_counts_zeros(kw: KpiWorld) -> None:
    empty = service.dashboard(kw.other_programme, now=kw.now)
    assert empty["participants"]["total"] == 0
    assert empty["activity"]["weeks"][0]["posts"] == 1  # its own forum post, and only that
    assert empty["gradebook"] == {"delivered": 1, "waiting": 0, "failed": 0}
