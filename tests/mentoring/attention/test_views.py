"""The attention page: coordinators see every source's items (a test source's, and real failed roster
syncs and grade deliveries), act on them and see who acted; participants are refused; a broken
source does not break the page."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from lti_tool.db import db
from lti_tool.grades.models import DeliveryState, ScoreOutbox
from lti_tool.jobs.models import Job, JobState
from lti_tool.launch import registry as platforms
from lti_tool.mentoring.attention.models import AttentionAction
from lti_tool.mentoring.programmes.models import ParticipantRole
from lti_tool.mentoring.roster import service as roster
from tests.grades.factory import bearer, deliver_all, demo_lms, make_world
from tests.mentoring.attention.conftest import TEST_SOURCE, Pairs
from tests.mentoring.attention.factories import failed_delivery
from tests.mentoring.programmes.factories import World, world
from tests.session_codes import rh


@pytest.fixture
def w(app) -> World:
    return world()


def page(client, w: World, user=None, **query):
    user = user or w.coordinator
    return client.get(
        f"/programmes/{w.programme.id}/attention", query_string={"rh": rh(w.token(user)), **query}
    )


def post(client, w: World, path: str, **form: str):
    return client.post(path, data={"ritmo_session": w.token(w.coordinator), **form})


def test_the_coordinator_sees_each_item_with_its_reason_actions_and_link(
    client, w: World, pairs: Pairs
) -> None:
    pairs.add("p1", severity=2, days=3)
    pairs.add("p2", severity=1, days=1)
    response = page(client, w)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.index("Pair p1 has gone quiet") < html.index("Pair p2 has gone quiet")
    assert "Nobody wrote for 3 days." in html and "Urgent" in html
    assert 'href="/pairs/p1"' in html and 'href="/pairs/p1/write"' in html  # the url action is a link
    end = f"/programmes/{w.programme.id}/attention/{TEST_SOURCE}/p1/end"
    assert re.search(rf'formaction="{re.escape(end)}"[^>]*data-confirm="End the match: are you sure', html)
    assert "Waiting for 3 days" in html


def test_participants_are_refused(client, w: World, pairs: Pairs) -> None:
    pairs.add("p1")
    mentee = w.person("Eve Mentee", ParticipantRole.MENTEE)
    assert page(client, w, mentee.user_id).status_code == 403
    api = f"/api/programmes/{w.programme.id}/attention"
    assert client.get(api, headers=w.headers(mentee.user_id)).status_code == 403
    action = client.post(
        f"/programmes/{w.programme.id}/attention/{TEST_SOURCE}/p1/end",
        data={"ritmo_session": w.token(mentee.user_id)},
    )
    assert action.status_code == 403
    assert pairs.open == {"p1": 1} and not db.session.execute(sa.select(AttentionAction)).first()


def test_acting_from_the_page_records_and_shows_who_acted(client, w: World, pairs: Pairs) -> None:
    pairs.add("p1")
    pairs.add("p2")
    response = post(
        client, w, f"/programmes/{w.programme.id}/attention/{TEST_SOURCE}/p1/end", note="Spoke to both"
    )
    assert response.status_code == 303
    done = re.search(r"done=(\d+)", response.headers["Location"])
    assert done
    shown = page(client, w, done=done.group(1)).get_data(as_text=True)
    assert "Pair p1 ended." in shown  # how it went
    listed, handled = shown.split('id="attention-handled"')
    assert "Pair p1 has gone quiet" not in listed and "Pair p2 has gone quiet" in listed
    # p1 left the list; what was done about it stays, under "Recently handled".
    assert "Pair p1 has gone quiet" in handled
    said = r"<bdi>Cora Coordinator</bdi> chose “End the match” \d+ seconds? ago\. “Spoke to both” — Pair p1"
    assert re.search(said, handled)
    row = db.session.execute(sa.select(AttentionAction)).scalar_one()
    assert (row.actor_user_id, row.action, row.note) == (w.coordinator.id, "end", "Spoke to both")
    # A record shows beside an item that is still open: act on p2, refused mid-way, nothing recorded.
    refused = post(client, w, f"/programmes/{w.programme.id}/attention/{TEST_SOURCE}/p2/end", refuse="1")
    assert refused.status_code == 409
    assert db.session.execute(sa.select(sa.func.count()).select_from(AttentionAction)).scalar_one() == 1


def test_the_record_of_who_acted_stays_beside_an_open_item(client, w: World, pairs: Pairs) -> None:
    pairs.add("p1")
    db.session.add(
        AttentionAction(
            programme_id=w.programme.id,
            source=TEST_SOURCE,
            key="p1",
            action="end",
            action_label="End the match",
            title="Pair p1 has gone quiet",
            actor_user_id=w.coordinator.id,
            note="",
            result="",
        )
    )
    db.session.commit()
    html = page(client, w).get_data(as_text=True)
    assert re.search(
        r"<bdi>Cora Coordinator</bdi> chose “End the match” (0 seconds|1 second|\d+ seconds) ago", html
    )


def test_a_broken_source_is_named_and_the_others_shown(client, w: World, pairs: Pairs) -> None:
    pairs.broken = True
    w.programme.settings = {"roster_sync": {"at": "2026-12-01T10:00:00+00:00", "error": "invalid_client"}}
    db.session.commit()
    response = page(client, w)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "“Quiet pairs” could not be read right now" in html
    assert "The roster sync failed" in html and "invalid_client" in html
    listed = client.get(f"/api/programmes/{w.programme.id}/attention", headers=w.headers(w.coordinator)).json
    assert listed["unavailable"] == ["Quiet pairs"]
    assert [i["source"] for i in listed["items"]] == ["roster_sync"]


def test_nothing_waiting_says_so(client, w: World) -> None:
    html = page(client, w).get_data(as_text=True)
    assert "Nothing needs your attention right now." in html


def test_the_programme_home_counts_what_waits(client, w: World, pairs: Pairs) -> None:
    pairs.add("p1")
    pairs.add("p2")
    html = client.get("/programme", query_string={"rh": rh(w.token(w.coordinator))}).get_data(as_text=True)
    assert re.search(
        r'id="open-attention">Needs attention</a> <span class="badge" data-attention-count>2<', html
    )
    mentee = w.person("Eve Mentee", ParticipantRole.MENTEE)
    html = client.get("/programme", query_string={"rh": rh(w.token(mentee.user_id))}).get_data(as_text=True)
    assert "open-attention" not in html


def test_the_badge_is_kept_a_minute_and_refreshed_by_the_list_and_by_acting(
    client, w: World, pairs: Pairs
) -> None:
    def badge() -> str:
        home = client.get("/programme", query_string={"rh": rh(w.token(w.coordinator))})
        html = home.get_data(as_text=True)
        found = re.search(r"data-attention-count>(\d+)<", html)
        return found.group(1) if found else "none"

    pairs.add("p1")
    assert badge() == "1"
    pairs.add("p2")
    assert badge() == "1"  # kept: every coordinator's launch shows it, the sources are not asked again
    page(client, w)  # the list asks every source, and the badge follows it
    assert badge() == "2"
    post(client, w, f"/programmes/{w.programme.id}/attention/{TEST_SOURCE}/p1/end")
    assert badge() == "1"  # acting forgets the count


# -- the real sources -----------------------------------------------------------------------------


def test_a_failed_grade_delivery_is_listed_and_retried_for_real(app, client) -> None:
    with demo_lms() as lms:
        gw, row = failed_delivery(app, lms)
        listed = client.get(f"/api/programmes/{gw.programme.id}/attention", headers=bearer(gw.coord)).json
        [item] = listed["items"]
        assert item["source"] == "grade_delivery" and item["key"] == f"score:{row.id}"
        assert "Mentee 1" in item["title"] and "First meeting" in item["title"]
        assert "not a member" in item["reason"]
        lms.add_members(["u-stranger"])  # the coordinator fixed it in the LMS
        acted = client.post(
            f"/api/programmes/{gw.programme.id}/attention/grade_delivery/score:{row.id}/retry",
            headers=bearer(gw.coord),
        )
        assert (
            acted.status_code == 200
            and acted.json["result"] == "1 score will be sent to the gradebook again."
        )
        db.session.expire_all()
        assert db.session.get(ScoreOutbox, row.id).state is DeliveryState.PENDING
        queued = (
            db.session.execute(
                sa.select(Job).where(Job.task == "grades.deliver", Job.state == JobState.QUEUED)
            )
            .scalars()
            .all()
        )
        assert queued
        deliver_all(app)
        assert db.session.get(ScoreOutbox, row.id).state is DeliveryState.DELIVERED
    listed = client.get(f"/api/programmes/{gw.programme.id}/attention", headers=bearer(gw.coord)).json
    assert listed["items"] == []
    record = db.session.execute(sa.select(AttentionAction)).scalar_one()
    assert (record.source, record.action, record.actor_user_id) == (
        "grade_delivery",
        "retry",
        gw.coordinator.id,
    )


def test_a_failed_roster_sync_is_listed_and_retried_for_real(app, client) -> None:
    with demo_lms() as lms:
        # The LMS refuses Ritmo's token: the sync task records why and gives up.
        registration = {**lms.platform.registration(), "client_id": "not-the-client"}
        gw = make_world(platforms.add_platform(registration), matches=0)
        gw.course.memberships_url = lms.platform.memberships_url("CourseA")
        db.session.commit()
        roster.sync_task({"programme_id": gw.programme.id, "by": None})
    listed = client.get(f"/api/programmes/{gw.programme.id}/attention", headers=bearer(gw.coord)).json
    [item] = listed["items"]
    assert item["source"] == "roster_sync" and "invalid_client" in item["reason"]
    assert [a["name"] for a in item["actions"]] == ["retry"]
    acted = client.post(
        f"/api/programmes/{gw.programme.id}/attention/roster_sync/last/retry", headers=bearer(gw.coord)
    )
    assert acted.status_code == 200
    job = db.session.execute(sa.select(Job).where(Job.task == "roster.sync")).scalar_one()
    assert job.state is JobState.QUEUED and job.payload == {
        "programme_id": gw.programme.id,
        "by": gw.coordinator.id,
    }
    # While the new sync waits, the item says so and offers no second retry.
    [item] = client.get(f"/api/programmes/{gw.programme.id}/attention", headers=bearer(gw.coord)).json[
        "items"
    ]
    assert "A new sync is waiting to run." in item["reason"] and item["actions"] == []
