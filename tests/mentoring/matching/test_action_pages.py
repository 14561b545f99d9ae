"""The pages behind "every action has its button": swap and assign by name, end a match, ask for a
different partner. Each goes through the app over HTTP as the person who would press it."""

from __future__ import annotations

import sqlalchemy as sa

from lti_tool.audit import AuditEvent
from lti_tool.db import db
from lti_tool.mentoring.matching.models import EndReason, Match, MatchMentee, MatchStatus
from lti_tool.mentoring.programmes.models import ParticipantRole
from tests.mentoring.matching import states
from tests.mentoring.programmes.factories import World, world

M, E = ParticipantRole.MENTOR, ParticipantRole.MENTEE


def _html(w: World, user_id: int) -> dict[str, str]:
    return {"Authorization": f"Bearer {w.token(user_id)}", "Accept": "text/html"}


def _mentor_of(mentee_id: int) -> int:
    return db.session.execute(
        sa.select(Match.mentor_id)
        .join(MatchMentee, MatchMentee.match_id == Match.id)
        .where(MatchMentee.mentee_id == mentee_id, Match.status == MatchStatus.PROPOSED)
    ).scalar_one()


def _two_proposals() -> tuple[World, dict[str, object]]:
    w = world()
    ada, bob = w.person("Ada Mentor", M), w.person("Bob Mentor", M)
    eve, fay = w.person("Eve Mentee", E), w.person("Fay Mentee", E)
    states.proposed(w.programme, ada, [eve])
    states.proposed(w.programme, bob, [fay])
    return w, {"ada": ada, "bob": bob, "eve": eve, "fay": fay}


def test_a_coordinator_swaps_two_mentees_mentors_by_name(client, app):
    w, p = _two_proposals()
    url = f"/programmes/{w.programme.id}/matching/swap"
    page = client.get(url, headers=_html(w, w.coordinator.id)).get_data(as_text=True)
    assert '<option value="Eve Mentee">' in page and '<option value="Fay Mentee">' in page
    done = client.post(
        url, headers=_html(w, w.coordinator.id), data={"first": "Eve Mentee", "second": "Fay Mentee"}
    )
    assert done.status_code == 302, done.get_data(as_text=True)
    assert _mentor_of(p["eve"].id) == p["bob"].id and _mentor_of(p["fay"].id) == p["ada"].id
    assert db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == "match.swapped")).first()


def test_the_swap_page_says_what_is_wrong_and_changes_nothing(client, app):
    w, p = _two_proposals()
    url = f"/programmes/{w.programme.id}/matching/swap"
    unknown = client.post(
        url, headers=_html(w, w.coordinator.id), data={"first": "Eve Mentee", "second": "Nobody Here"}
    )
    assert unknown.status_code == 422
    assert "Choose the second mentee from the list of names." in unknown.get_data(as_text=True)
    same = client.post(
        url, headers=_html(w, w.coordinator.id), data={"first": "Eve Mentee", "second": "Eve Mentee"}
    )
    assert same.status_code == 422 and "Choose two different mentees." in same.get_data(as_text=True)
    assert _mentor_of(p["eve"].id) == p["ada"].id
    mentee = client.post(url, headers=_html(w, p["eve"].user_id), data={"first": "x", "second": "y"})
    assert mentee.status_code == 403


def test_a_coordinator_assigns_by_picking_names_and_same_names_are_told_apart(client, app):
    w = world()
    ada = w.person("Ada Mentor", M)
    first, second = w.person("Sam Twin", E), w.person("Sam Twin", E)
    url = f"/programmes/{w.programme.id}/matching/assign"
    page = client.get(url, headers=_html(w, w.coordinator.id)).get_data(as_text=True)
    label = f"Sam Twin ({second.user.email})"
    assert f'<option value="{label}">' in page and '<option value="Sam Twin">' not in page
    done = client.post(
        url, headers=_html(w, w.coordinator.id), data={"mentee": label, "mentor": "Ada Mentor"}
    )
    assert done.status_code == 302, done.get_data(as_text=True)
    assert _mentor_of(second.id) == ada.id
    assert db.session.execute(sa.select(MatchMentee).where(MatchMentee.mentee_id == first.id)).first() is None
    wrong = client.post(url, headers=_html(w, w.coordinator.id), data={"mentee": "Sam Twin", "mentor": "Ada"})
    assert wrong.status_code == 422
    text = wrong.get_data(as_text=True)
    assert "Choose a mentee from the list of names." in text and 'value="Sam Twin"' in text
    assert client.post(url, headers=_html(w, ada.user_id), data={}).status_code == 403


def test_a_coordinator_ends_a_match_with_a_reason_after_a_warning(client, app):
    w = world()
    ada, eve = w.person("Ada Mentor", M), w.person("Eve Mentee", E)
    match = states.active(w.programme, ada, [eve])
    url = f"/programmes/{w.programme.id}/matches/{match.id}/end"
    page = client.get(url, headers=_html(w, w.coordinator.id)).get_data(as_text=True)
    assert 'class="button danger"' in page and "data-confirm=" in page and "Ada Mentor" in page
    review = client.get(
        f"/programmes/{w.programme.id}/matching?status=active", headers=_html(w, w.coordinator.id)
    ).get_data(as_text=True)
    assert f"/matches/{match.id}/end" in review
    assert client.post(url, headers=_html(w, eve.user_id), data={"reason": "x"}).status_code == 403
    too_long = client.post(url, headers=_html(w, w.coordinator.id), data={"reason": "x" * 1001})
    assert too_long.status_code == 422 and "Please correct the following" in too_long.get_data(as_text=True)
    db.session.refresh(match)
    assert match.status is MatchStatus.ACTIVE
    done = client.post(url, headers=_html(w, w.coordinator.id), data={"reason": "They never met."})
    assert done.status_code == 302
    db.session.refresh(match)
    assert match.status is MatchStatus.ENDED and match.end_reason is EndReason.COORDINATOR
    again = client.post(url, headers=_html(w, w.coordinator.id), data={"reason": "again"})
    assert again.status_code == 409 and "already ended" in again.get_data(as_text=True)


def test_a_member_asks_for_a_different_partner_and_only_members_may(client, app):
    w = world()
    ada, eve, oli = w.person("Ada Mentor", M), w.person("Eve Mentee", E), w.person("Oli Outsider", E)
    match = states.active(w.programme, ada, [eve])
    url = f"/programmes/{w.programme.id}/matches/{match.id}/rematch"
    mine = client.get(f"/programmes/{w.programme.id}/my-match", headers=_html(w, eve.user_id))
    assert url in mine.get_data(as_text=True)
    page = client.get(url, headers=_html(w, eve.user_id)).get_data(as_text=True)
    assert 'class="button danger"' in page and "data-confirm=" in page
    assert client.get(url, headers=_html(w, oli.user_id)).status_code == 404
    assert client.post(url, headers=_html(w, w.coordinator.id), data={"reason": "x"}).status_code == 404
    empty = client.post(url, headers=_html(w, eve.user_id), data={"reason": "  "})
    assert empty.status_code == 422 and "Say in a few words why" in empty.get_data(as_text=True)
    done = client.post(url, headers=_html(w, eve.user_id), data={"reason": "Our hours never overlap."})
    assert done.status_code == 302
    db.session.refresh(match)
    assert match.status is MatchStatus.ENDED and match.end_reason is EndReason.REMATCH
