"""The rhythm pages: cadence settings (coordinators only), the programme overview, a member's hints."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from lti_tool.db import db, utcnow
from lti_tool.mentoring.conversations.models import ChatMessage
from lti_tool.mentoring.rhythm.escalation import run_programme
from lti_tool.mentoring.rhythm.models import Cadence
from tests.mentoring.conversations.factories import World
from tests.mentoring.rhythm.conftest import chat
from tests.session_codes import rh


def settings_url(world: World) -> str:
    return f"/programmes/{world.programme.id}/rhythm/settings"


def test_cadence_settings_are_for_coordinators_only(client, world: World) -> None:
    for user in (world.mentor, world.mentee):
        assert client.get(f"{settings_url(world)}?rh={rh(world.token(user))}").status_code == 403
        refused = client.put(
            f"/api/programmes/{world.programme.id}/rhythm/cadence",
            headers=world.headers(user),
            json={"meet_every_days": 7, "write_every_days": 3},
        )
        assert refused.status_code == 403
    assert (
        client.get(
            f"/api/programmes/{world.programme.id}/rhythm", headers=world.headers(world.mentee)
        ).status_code
        == 403
    )
    page = client.get(f"{settings_url(world)}?rh={rh(world.token(world.coordinator))}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'name="meet_every_days"' in html and 'value="14"' in html and 'value="7"' in html
    assert db.session.get(Cadence, world.programme.id) is None


def test_the_coordinator_sets_a_cadence_with_a_phase(client, world: World) -> None:
    form = {
        "meet_every_days": "10",
        "write_every_days": "4",
        "start_meet_every_days": "7",
        "start_write_every_days": "2",
        "middle_meet_every_days": "",
        "middle_write_every_days": "",
    }
    saved = client.post(f"{settings_url(world)}?rh={rh(world.token(world.coordinator))}", data=form)
    assert saved.status_code == 200 and "Rhythm saved." in saved.get_data(as_text=True)
    db.session.expire_all()
    row = db.session.get(Cadence, world.programme.id)
    assert row is not None and (row.meet_every_days, row.write_every_days) == (10, 4)
    assert row.phases == {"start": {"meet_every_days": 7, "write_every_days": 2}}
    got = client.get(
        f"/api/programmes/{world.programme.id}/rhythm/cadence", headers=world.headers(world.coordinator)
    )
    assert got.get_json()["is_default"] is False
    # The start phase's writing rhythm (2 days) now drives the pair's health: silence of 2.5 days shows.
    chat(client, world, world.mentor, "hi")
    chat(client, world, world.mentee, "hi")
    run_programme(world.programme, utcnow() + timedelta(days=2.5))
    db.session.commit()
    health = client.get(
        f"/api/matches/{world.match.id}/rhythm", headers=world.headers(world.coordinator)
    ).get_json()
    assert "health" in health


def test_bad_cadence_input_is_refused_and_nothing_is_written(client, world: World) -> None:
    bad = client.post(
        f"{settings_url(world)}?rh={rh(world.token(world.coordinator))}",
        data={"meet_every_days": "0", "write_every_days": "abc", "closing_meet_every_days": "5"},
    )
    assert bad.status_code == 200
    html = bad.get_data(as_text=True)
    assert "Choose a number of days between 1 and 120." in html and "Rhythm saved." not in html
    api = client.put(
        f"/api/programmes/{world.programme.id}/rhythm/cadence",
        headers=world.headers(world.coordinator),
        json={"meet_every_days": 5, "write_every_days": 7, "phases": {"later": {"meet_every_days": 1}}},
    )
    assert api.status_code == 422
    db.session.expire_all()
    assert db.session.get(Cadence, world.programme.id) is None


def _quiet_for(world: World, client, days: float) -> None:
    """The mentor wrote ``days`` ago and nobody answered (the rows are dated back)."""
    chat(client, world, world.mentor, "How did the interview go?")
    back = utcnow() - timedelta(days=days)
    db.session.execute(
        sa.update(ChatMessage).where(ChatMessage.match_id == world.match.id).values(created_at=back)
    )
    world.match.started_at = back - timedelta(days=1)
    db.session.commit()


def test_the_programme_overview_counts_pairs_per_state_with_reasons(client, world: World) -> None:
    _quiet_for(world, client, 5.5)
    body = client.get(
        f"/api/programmes/{world.programme.id}/rhythm", headers=world.headers(world.coordinator)
    ).get_json()
    assert sum(body["counts"].values()) == 2
    mine = next(p for p in body["pairs"] if p["match_id"] == world.match.id)
    assert mine["state"] == "quiet" and mine["names"] == "Marta Rossi with Ben Mentee0"
    assert any("waited 5 days for a reply" in r for r in mine["reasons"])
    page = client.get(f"/programmes/{world.programme.id}/rhythm?rh={rh(world.token(world.coordinator))}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and f'data-match="{world.match.id}" data-state="quiet"' in html
    only = client.get(
        f"/api/programmes/{world.programme.id}/rhythm",
        headers=world.headers(world.coordinator),
        query_string={"state": "quiet"},
    ).get_json()
    assert [p["match_id"] for p in only["pairs"]] == [world.match.id]
    assert (
        client.get(
            f"/api/programmes/{world.programme.id}/rhythm",
            headers=world.headers(world.coordinator),
            query_string={"state": "x"},
        ).status_code
        == 422
    )


def test_a_member_sees_a_gentle_version_with_one_step_each(client, world: World) -> None:
    _quiet_for(world, client, 5.5)
    mentee = client.get(
        f"/api/matches/{world.match.id}/rhythm", headers=world.headers(world.mentee)
    ).get_json()
    assert "health" not in mentee  # no state, no blame: what they can do
    texts = {h["action_label"]: h for h in mentee["hints"]}
    assert (
        texts["Answer the message"]["text"] == "A message from Marta Rossi has waited 5 days for your reply."
    )
    assert texts["Answer the message"]["link"] == f"/matches/{world.match.id}/space"
    mentor = client.get(
        f"/api/matches/{world.match.id}/rhythm", headers=world.headers(world.mentor)
    ).get_json()
    assert "Answer the message" not in {h["action_label"] for h in mentor["hints"]}
    page = client.get(f"/matches/{world.match.id}/rhythm?rh={rh(world.token(world.mentee))}")
    assert page.status_code == 200 and "Answer the message" in page.get_data(as_text=True)
    outsider = client.get(f"/api/matches/{world.match.id}/rhythm", headers=world.headers(world.outsider))
    assert outsider.status_code == 404


def test_the_space_page_shows_the_last_evaluation_hints(client, world: World) -> None:
    _quiet_for(world, client, 5.5)
    run_programme(world.programme, utcnow())
    db.session.commit()
    html = client.get(f"/matches/{world.match.id}/space?rh={rh(world.token(world.mentee))}").get_data(
        as_text=True
    )
    assert "rhythm-hints" in html and "Answer the message" in html
