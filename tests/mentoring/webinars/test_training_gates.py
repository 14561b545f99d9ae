"""Training gates: who must complete or attend what before matching, and who is waiting."""

from __future__ import annotations

from datetime import timedelta

from lti_tool.db import db, utcnow
from lti_tool.mentoring.webinars import training_gates
from lti_tool.mentoring.webinars.models import Webinar
from tests.mentoring.webinars.factory import api
from tests.session_codes import rh


def _series(client, world, count=2):
    start = (utcnow() + timedelta(days=2)).replace(tzinfo=None, microsecond=0)
    return api(
        client,
        world.people["coach"],
        "POST",
        "/api/webinars",
        json={
            "title": "Orientation",
            "starts_at": start.isoformat(),
            "timezone": "UTC",
            "duration_minutes": 60,
            "audience": "mentees",
            "repeat_weekly": count,
        },
    ).get_json()["webinars"]


def test_gates_block_until_training_is_done(client, world):
    coach = world.people["coach"]
    module = api(client, coach, "POST", "/api/content/modules", json={"title": "Mentor basics"}).get_json()
    steps = [
        api(
            client,
            coach,
            "POST",
            "/api/content/items",
            json={
                "module_id": module["id"],
                "kind": "link",
                "title": f"Step {n}",
                "url": f"https://example.edu/{n}",
                "audience": audience,
            },
        ).get_json()
        for n, audience in ((1, "everyone"), (2, "mentors"), (3, "mentees"))
    ]
    sessions = _series(client, world)
    assert (
        api(
            client, coach, "POST", "/api/training/gates", json={"role": "mentor", "module_id": module["id"]}
        ).status_code
        == 201
    )
    assert (
        api(
            client,
            coach,
            "POST",
            "/api/training/gates",
            json={"role": "mentee", "webinar_id": sessions[0]["id"]},
        ).status_code
        == 201
    )

    programme_id = world.programme.id
    mara, marco, nina, noah = (world.people[n] for n in ("mara", "marco", "nina", "noah"))
    assert training_gates.blocked_reason(programme_id, mara.id) == (
        'Waiting on training: complete the module "Mentor basics".'
    )
    assert training_gates.blocked_reason(programme_id, nina.id) == (
        'Waiting on training: attend a session of the webinar "Orientation".'
    )
    assert training_gates.blocked_reason(programme_id, world.people["coach"].id) is None
    assert set(training_gates.blocked_participants(programme_id)) == {mara.id, marco.id, nina.id, noah.id}

    # Mara completes the items meant for mentors (step 3 is for mentees only).
    for step in steps[:2]:
        api(client, mara, "POST", f"/api/content/items/{step['id']}/completion")
    assert training_gates.blocked_reason(programme_id, mara.id) is None

    # Nina attends the second session of the series: that counts too.
    webinar = db.session.get(Webinar, sessions[1]["id"])
    webinar.starts_at = utcnow() - timedelta(minutes=5)
    db.session.commit()
    assert client.get(f"/webinars/{webinar.id}/join?rh={rh(nina.token)}").status_code == 303
    assert training_gates.blocked_reason(programme_id, nina.id) is None

    overview = api(client, coach, "GET", "/api/training/gates").get_json()
    assert [(w["name"], w["missing"]) for w in overview["waiting"]] == [
        ("Noah", ['attend a session of the webinar "Orientation"']),
        ("Marco", ['complete the module "Mentor basics"']),
    ]
    page = client.get(f"/training/waiting?rh={rh(coach.token)}").get_data(as_text=True)
    assert "Marco" in page and "Noah" in page and "Mara" not in page

    # Removing a gate unblocks those it held.
    gate_id = next(g["id"] for g in overview["gates"] if g["role"] == "mentor")
    assert api(client, coach, "DELETE", f"/api/training/gates/{gate_id}").status_code == 204
    assert training_gates.blocked_reason(programme_id, marco.id) is None


def test_gate_rules_and_permissions(client, world):
    coach = world.people["coach"]
    module = api(client, coach, "POST", "/api/content/modules", json={"title": "M"}).get_json()
    [webinar] = _series(client, world, count=1)
    assert (
        api(
            client,
            world.people["mara"],
            "POST",
            "/api/training/gates",
            json={"role": "mentor", "module_id": module["id"]},
        ).status_code
        == 403
    )
    assert api(client, world.people["mara"], "GET", "/api/training/gates").status_code == 403
    both = api(
        client,
        coach,
        "POST",
        "/api/training/gates",
        json={"role": "mentor", "module_id": module["id"], "webinar_id": webinar["id"]},
    )
    assert both.status_code == 422
    assert api(client, coach, "POST", "/api/training/gates", json={"role": "mentor"}).status_code == 422
    assert (
        api(
            client,
            coach,
            "POST",
            "/api/training/gates",
            json={"role": "coordinator", "module_id": module["id"]},
        ).status_code
        == 422
    )
    assert (
        api(
            client, coach, "POST", "/api/training/gates", json={"role": "mentor", "module_id": 999}
        ).status_code
        == 404
    )
    assert (
        api(
            client, coach, "POST", "/api/training/gates", json={"role": "mentor", "module_id": module["id"]}
        ).status_code
        == 201
    )
    assert (
        api(
            client, coach, "POST", "/api/training/gates", json={"role": "mentor", "module_id": module["id"]}
        ).status_code
        == 409
    )
    # An empty module asks nothing of anyone.
    assert training_gates.blocked_reason(world.programme.id, world.people["mara"].id) is None


def test_matching_a_large_programme_asks_few_queries(client, world):
    """Matching calls ``blocked_reason`` for everyone: the answer is computed once per transaction."""
    import sqlalchemy as sa

    from lti_tool.mentoring.programmes.models import Participant, ParticipantRole

    coach = world.people["coach"]
    module = api(client, coach, "POST", "/api/content/modules", json={"title": "Basics"}).get_json()
    step = api(
        client,
        coach,
        "POST",
        "/api/content/items",
        json={"module_id": module["id"], "kind": "text", "title": "Read", "body": "Text"},
    ).get_json()
    api(client, coach, "POST", "/api/training/gates", json={"role": "mentee", "module_id": module["id"]})
    sessions = _series(client, world, count=1)
    api(
        client, coach, "POST", "/api/training/gates", json={"role": "mentor", "webinar_id": sessions[0]["id"]}
    )
    from lti_tool.accounts.models import User

    users = [User(platform_id=world.platform_id, sub=f"bulk-{n}") for n in range(600)]
    db.session.add_all(users)
    db.session.flush()
    db.session.add_all(
        Participant(
            programme_id=world.programme.id,
            user_id=u.id,
            role=ParticipantRole.MENTEE if n % 4 else ParticipantRole.MENTOR,
        )
        for n, u in enumerate(users)
    )
    db.session.commit()
    api(client, world.people["nina"], "POST", f"/api/content/items/{step['id']}/completion")
    ids = (
        db.session.execute(sa.select(Participant.id).where(Participant.programme_id == world.programme.id))
        .scalars()
        .all()
    )

    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        reasons = {pid: training_gates.blocked_reason(world.programme.id, pid) for pid in ids}
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    assert len(statements) <= 10, len(statements)
    assert reasons[world.people["nina"].id] is None
    assert reasons[world.people["noah"].id] == 'Waiting on training: complete the module "Basics".'
    assert reasons[world.people["coach"].id] is None
    assert sum(1 for r in reasons.values() if r) == 600 + 3  # everyone but Nina and the coach
