"""The matching page's buttons, through the form as a coordinator presses them: an empty selection
is refused (never taken for "all") and changes nothing; a done action says what it did."""

from __future__ import annotations

import re

import sqlalchemy as sa

from lti_tool.db import db
from lti_tool.mentoring.matching.models import Match, MatchMentee, MatchStatus
from lti_tool.mentoring.programmes.models import ParticipantRole
from tests.mentoring.matching import states
from tests.mentoring.programmes.factories import World, world

M, E = ParticipantRole.MENTOR, ParticipantRole.MENTEE


def _two_proposals() -> tuple[World, list[Match]]:
    w = world()
    ada, bob = w.person("Ada Mentor", M), w.person("Bob Mentor", M)
    eve, fay = w.person("Eve Mentee", E), w.person("Fay Mentee", E)
    return w, [states.proposed(w.programme, ada, [eve]), states.proposed(w.programme, bob, [fay])]


def _statuses() -> list[MatchStatus]:
    return list(db.session.execute(sa.select(Match.status).order_by(Match.id)).scalars())


def _press(client, w: World, action: str, **ticked: list[int]):
    return client.post(
        f"/programmes/{w.programme.id}/matching/action",
        headers={"Authorization": f"Bearer {w.token(w.coordinator.id)}", "Accept": "text/html"},
        data={"action": action, **{name: [str(i) for i in ids] for name, ids in ticked.items()}},
        follow_redirects=True,
    )


def test_approve_selected_with_nothing_ticked_is_refused_and_approves_nothing(client, app):
    w, _matches = _two_proposals()
    for action in ("approve_selected", "lock", "unlock", "remove"):
        page = _press(client, w, action)
        assert page.status_code == 422, action
        html = page.get_data(as_text=True)
        assert "Tick one or more pairs first, then press the button again." in html
        assert 'id="proposals"' in html  # the list again, not an error page
    db.session.expire_all()
    assert _statuses() == [MatchStatus.PROPOSED, MatchStatus.PROPOSED]
    locked = db.session.execute(sa.select(MatchMentee.locked)).scalars().all()
    assert not any(locked)


def test_approving_the_ticked_pair_says_so_and_leaves_the_other(client, app):
    w, matches = _two_proposals()
    page = _press(client, w, "approve_selected", match_ids=[matches[0].id])
    assert page.status_code == 200
    said = "1 pair approved: its members are told by e-mail. Find it under Active."
    assert said in page.get_data(as_text=True)
    db.session.expire_all()
    assert _statuses() == [MatchStatus.ACTIVE, MatchStatus.PROPOSED]


def test_approve_all_then_the_empty_list_points_to_active(client, app):
    w, _matches = _two_proposals()
    html = _press(client, w, "approve_all").get_data(as_text=True)
    assert "2 pairs approved: their members are told by e-mail. Find them under Active." in html
    assert "No proposal is waiting. Approved pairs are listed under Active." in html
    assert "Run the matching." not in html
    again = _press(client, w, "approve_all").get_data(as_text=True)
    assert "No proposal was waiting for approval." in again


def test_locking_the_ticked_pairs_says_how_many(client, app):
    w, matches = _two_proposals()
    mentees = db.session.execute(sa.select(MatchMentee.mentee_id).order_by(MatchMentee.id)).scalars().all()
    html = _press(client, w, "lock", mentee_ids=list(mentees)).get_data(as_text=True)
    assert "2 pairs locked: new runs keep them." in html
    db.session.expire_all()
    assert all(db.session.execute(sa.select(MatchMentee.locked)).scalars())
    assert len(matches) == 2


def test_an_unknown_button_is_refused(client, app):
    w, _matches = _two_proposals()
    page = _press(client, w, "explode")
    assert page.status_code == 422
    assert "This button does nothing Ritmo knows. Reload the page." in page.get_data(as_text=True)


def test_a_mentee_without_a_match_is_pointed_to_their_profile(client, app):
    w = world()
    eve = w.person("Eve Mentee", E)
    page = client.get(
        f"/programmes/{w.programme.id}/my-match",
        headers={"Authorization": f"Bearer {w.token(eve.user_id)}", "Accept": "text/html"},
    ).get_data(as_text=True)
    assert "You have no match yet." in page
    assert f'href="/programmes/{w.programme.id}/profile" id="complete-profile"' in page


def test_a_finished_run_says_its_state_once_and_its_mean_score_with_two_decimals(client, app):
    from lti_tool.mentoring.matching import runs

    w = world()
    w.person("Ada Mentor", M)
    w.person("Eve Mentee", E)
    started = _press(client, w, "run").get_data(as_text=True)
    assert "Matching started. The list updates when it finishes." in started
    run = runs.latest_run(w.programme)
    assert run is not None
    runs.execute_run(run)
    html = client.get(
        f"/programmes/{w.programme.id}/matching",
        headers={"Authorization": f"Bearer {w.token(w.coordinator.id)}", "Accept": "text/html"},
    ).get_data(as_text=True)
    line = html.split('<strong id="run-state">')[1].split("</p>")[0]
    assert 'id="run-stage-line" hidden' in line  # "finished", not "finished · finished"
    summary = html.split('id="run-summary">')[1].split("</p>")[0]
    assert "None" not in summary and re.search(r"mean score (\d+\.\d\d|–)", summary), summary


def test_the_page_warns_when_there_is_no_questionnaire_to_match_on(client, app):
    w, _matches = _two_proposals()
    headers = {"Authorization": f"Bearer {w.token(w.coordinator.id)}", "Accept": "text/html"}
    url = f"/programmes/{w.programme.id}/matching"
    assert 'id="no-questionnaire"' in client.get(url, headers=headers).get_data(as_text=True)
    w.question(kind="tags", label="Skills", options=["python", "sql"], weight=1)
    assert 'id="no-questionnaire"' not in client.get(url, headers=headers).get_data(as_text=True)

