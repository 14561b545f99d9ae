"""Recording a launch: what is read and written, the same on SQLite and PostgreSQL.

One read finds the person's rows, then only what is missing or differs is written. Registrations
are kept per process for a few seconds, and a relaunch with the claims of the last launch reuses
what that launch recorded (the launch memo). Each must still see every change that matters.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
import sqlalchemy as sa

from lti_tool.accounts.models import Course, CourseRole, Enrolment, ResourceLink, User
from lti_tool.db import db, utcnow
from lti_tool.launch import registry
from lti_tool.launch.models import Platform, PlatformStatus
from lti_tool.mentoring.programmes.models import Participant, ParticipantRole
from tests.lti_platform import INSTRUCTOR, launch, session_token, start_login


@contextmanager
def statements(app, autocommit: list[bool] | None = None) -> Iterator[list[str]]:
    """The SQL the app sends, without the embedded cache's own table (it stands in for Redis):
    through SQLAlchemy, and (PostgreSQL) any sent straight to the driver. With
    ``autocommit``, also whether each statement ran outside a transaction."""
    seen: list[str] = []

    def keep(statement: str, outside: bool) -> None:
        if "cache_entry" not in statement:
            seen.append(" ".join(statement.split()))
            if autocommit is not None:
                autocommit.append(outside)

    def record(conn, cursor, statement, parameters, context, executemany):
        keep(statement, bool(getattr(conn.connection.dbapi_connection, "autocommit", False)))

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    with pytest.MonkeyPatch.context() as patch:
        if engine.dialect.name == "postgresql":
            import psycopg

            execute = psycopg.Connection.execute

            def straight(connection, query, *args, **kwargs):  # observes, then runs the real call
                keep(str(query), connection.autocommit)
                return execute(connection, query, *args, **kwargs)

            patch.setattr(psycopg.Connection, "execute", straight)
        try:
            yield seen
        finally:
            sa.event.remove(engine, "before_cursor_execute", record)


def writes(seen: list[str]) -> list[str]:
    return [s for s in seen if re.match(r"(INSERT|UPDATE|DELETE)\b", s)]


def reads(seen: list[str]) -> list[str]:
    return [s for s in seen if s.startswith("SELECT")]


def launch_reads(seen: list[str]) -> list[str]:
    """The launch's own read (from the platform's row), not the programme home's."""
    return [s for s in reads(seen) if re.search(r'FROM platform LEFT OUTER JOIN "?user\b', s)]


def writes_to(seen: list[str]) -> list[str]:
    """``INSERT INTO user``, ``UPDATE enrolment``...: each write's verb and table."""
    return [re.sub(r"^(INSERT INTO|UPDATE) (\S+).*", r"\1 \2", s).replace('"', "") for s in writes(seen)]


def last_seen_at() -> object:
    db.session.expire_all()
    return db.session.execute(sa.select(User.last_seen_at)).scalar_one()


def me(client, response) -> dict:
    token = session_token(response.get_data(as_text=True))
    return client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).get_json()


def test_relaunch_with_the_same_claims_writes_nothing(app, client, platform):
    first = launch(client, platform)
    assert first.status_code == 200
    with statements(app) as seen:
        again = launch(client, platform)
    assert again.status_code == 200
    assert writes(seen) == []
    assert not any(re.search(r'\bFROM (platform|"user"|enrolment|course)\b', s) for s in seen), seen
    # The session the shortcut hands out names the same person, course and role.
    assert me(client, again) == me(client, first)


def test_a_changed_claim_takes_the_full_path(app, client, platform):
    launch(client, platform)
    response = launch(client, platform, name="Ada King", roles=[INSTRUCTOR])
    assert response.status_code == 200
    assert me(client, response)["role"] == "coordinator"
    user = db.session.execute(sa.select(User)).scalar_one()
    assert user.name == "Ada King"
    enrolment = db.session.execute(sa.select(Enrolment)).scalar_one()
    assert enrolment.role.value == "coordinator"


def test_another_person_is_not_served_the_first_ones_context(client, platform):
    launch(client, platform)
    response = launch(client, platform, sub="user-2")
    assert me(client, response)["user"]["sub"] == "user-2"
    assert db.session.execute(sa.select(sa.func.count()).select_from(User)).scalar_one() == 2


def test_second_login_does_not_read_the_registry(app, client, platform):
    start_login(client, platform)
    with statements(app) as seen:
        start_login(client, platform)
    assert seen == []


def test_registry_change_in_this_process_is_seen_at_once(client, platform):
    launch(client, platform)
    registry.set_status(registry.find_platform(platform.issuer, platform.client_id).id,
                        PlatformStatus.DISABLED)
    response = client.get("/lti/login", query_string={
        "iss": platform.issuer, "client_id": platform.client_id, "login_hint": "u",
        "target_link_uri": "http://127.0.0.1:5000/lti/launch"})
    assert response.status_code == 403


def test_registry_change_from_another_process_is_seen_within_the_setting(app, client, platform):
    start_login(client, platform)
    # Another process (the CLI, another server) disables the platform: no ORM event reaches us.
    with db.engine.begin() as conn:
        conn.execute(sa.update(Platform).values(status=PlatformStatus.DISABLED))
    assert launch(client, platform).status_code == 200  # within REGISTRY_CACHE_SECONDS
    app.config["REGISTRY_CACHE_SECONDS"] = 0
    response = client.get("/lti/login", query_string={
        "iss": platform.issuer, "client_id": platform.client_id, "login_hint": "u",
        "target_link_uri": "http://127.0.0.1:5000/lti/launch"})
    assert response.status_code == 403


def test_platform_registered_again_starts_afresh(client, platform):
    first = launch(client, platform)
    assert first.status_code == 200
    registry.remove_platform(registry.find_platform(platform.issuer, platform.client_id).id)
    registry.add_platform(platform.registration())
    again = launch(client, platform)
    assert again.status_code == 200
    # The user row of the first registration went with it; the relaunch made (and names) a new one.
    user = db.session.execute(sa.select(User)).scalar_one()
    assert me(client, again)["user"]["id"] == user.id


def test_launch_after_the_memo_expired_reads_its_rows_once(app, client, platform):
    from lti_tool.cache import cache

    launch(client, platform)
    cache().delete_prefix("launch-memo:")  # hours later: nothing remembered
    seen_before = last_seen_at()
    with statements(app) as seen:
        again = launch(client, platform)
    assert again.status_code == 200
    # One query for user, course, link and enrolment; one for the programme and participation,
    # which the page it opens reuses. Nothing changed and ``last_seen_at`` is recent: no write.
    assert len(launch_reads(seen)) == 1 and len(seen) == 2, seen
    assert writes(seen) == []
    assert last_seen_at() == seen_before
    assert "Mentoring 101" in again.get_data(as_text=True)


def test_launch_a_day_later_reads_once_and_updates_last_seen_outside_a_transaction(
    app, client, platform
):
    """Every statement of this launch stands alone: on PostgreSQL none needs BEGIN and COMMIT."""
    from lti_tool.cache import cache

    launch(client, platform)
    cache().delete_prefix("launch-memo:")
    day_ago = utcnow() - timedelta(days=1)
    with db.engine.begin() as conn:
        conn.execute(sa.update(User).values(last_seen_at=day_ago))
    db.session.remove()  # requests here share the test's app context; a new request starts afresh
    autocommit: list[bool] = []
    with statements(app, autocommit) as seen:
        again = launch(client, platform)
    assert again.status_code == 200
    assert len(launch_reads(seen)) == 1, seen
    assert writes_to(seen) == ["UPDATE user"]
    assert "SET last_seen_at" in writes(seen)[0]
    if db.engine.dialect.name == "postgresql":
        assert all(autocommit), list(zip(seen, autocommit, strict=True))
    db.session.expire_all()
    assert db.session.execute(sa.select(User.last_seen_at)).scalar_one() > day_ago + timedelta(hours=23)


def test_a_changed_claim_and_a_due_last_seen_are_written_together(app, client, platform):
    launch(client, platform)
    with db.engine.begin() as conn:
        conn.execute(sa.update(User).values(last_seen_at=utcnow() - timedelta(days=1)))
    db.session.remove()
    response = launch(client, platform, name="Ada King")
    assert response.status_code == 200
    db.session.expire_all()
    user = db.session.execute(sa.select(User)).scalar_one()
    assert user.name == "Ada King"
    assert user.last_seen_at > utcnow() - timedelta(minutes=1)


def test_two_first_launches_at_once_both_succeed(app, client, platform, monkeypatch):
    """The same new person launching twice at once (a double click): the second insert of their
    user row loses the race and the launch goes on with the winner's row instead of failing."""
    from lti_tool.launch import service

    read = service._read
    raced = []

    def other_launch_commits_first(params):
        known = read(params)
        if not raced:  # between our read and our insert, the other launch commits the same user
            raced.append(True)
            with db.engine.begin() as conn:
                platform_id = params["for_platform"]
                conn.execute(sa.insert(User).values(platform_id=platform_id, sub="user-1", name="Ada"))
        return known

    monkeypatch.setattr(service, "_read", other_launch_commits_first)
    response = launch(client, platform)
    assert raced and response.status_code == 200
    users = db.session.execute(sa.select(User)).scalars().all()
    assert len(users) == 1 and me(client, response)["user"]["id"] == users[0].id


def _age_memo(platform, seconds: float) -> None:
    """Make the person's launch memo say ``last_seen_at`` was written ``seconds`` ago."""
    from lti_tool.cache import cache
    from lti_tool.launch import memo
    from lti_tool.launch.tool_config import find_snapshot

    key = memo.key(find_snapshot(platform.issuer, platform.client_id).scope, "user-1")
    entry = cache().get(key)
    entry["seen_at"] -= seconds
    cache().set(key, entry, 3600)


def test_relaunch_hours_later_only_refreshes_last_seen(app, client, platform):
    launch(client, platform)
    before = db.session.execute(sa.select(User.last_seen_at)).scalar_one()
    _age_memo(platform, 3 * 3600)
    with statements(app) as seen:
        again = launch(client, platform)
    assert again.status_code == 200
    assert writes_to(seen) == ["UPDATE user"]
    assert not any(re.search(r'\bFROM (platform|"user"|enrolment|course)\b', s) for s in seen)
    db.session.expire_all()
    assert db.session.execute(sa.select(User.last_seen_at)).scalar_one() > before
    # Remembered as seen now: the next relaunch writes nothing.
    with statements(app) as seen:
        launch(client, platform)
    assert writes(seen) == []


def test_a_memo_naming_a_vanished_user_takes_the_full_path(app, client, platform):
    first = launch(client, platform)
    gone = me(client, first)["user"]["id"]
    assert gone is not None
    with db.engine.begin() as conn:  # erased behind the launch path's back
        conn.execute(sa.delete(User).where(User.id == gone))
    _age_memo(platform, 3 * 3600)
    again = launch(client, platform)
    assert again.status_code == 200
    # The launch made the person again (SQLite may even reuse the id) and the session names that row.
    user = db.session.execute(sa.select(User)).scalar_one()
    assert me(client, again)["user"] == {**me(client, again)["user"], "id": user.id, "sub": "user-1"}


def test_a_person_erased_and_launching_again_is_someone_new(app, client, platform):
    from lti_tool.accounts import privacy

    first = launch(client, platform)
    erased = me(client, first)["user"]["id"]
    privacy.erase(erased, reason="test")
    db.session.remove()
    again = launch(client, platform)  # same claims: the launch memo must not bring the old row back
    assert again.status_code == 200
    now = me(client, again)["user"]
    assert now["sub"] == "user-1" and now["id"] != erased
    assert db.session.get(User, erased).sub.startswith("erased-")


LTI = "https://purl.imsglobal.org/spec/lti/claim/"
AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
MENTOR_ROLE = "http://purl.imsglobal.org/vocab/lis/v2/membership#Mentor"


def _columns(entity, *names):
    return db.session.execute(sa.select(*(getattr(entity, n) for n in names))).one()


# One claim changed between two launches a day apart (the memo gone): the rows must follow.
CHANGES = {
    "name": ({"name": "Ada King"}, lambda: _columns(User, "name") == ("Ada King",)),
    "email": ({"email": "ada@king.example"}, lambda: _columns(User, "email") == ("ada@king.example",)),
    "locale": ({"locale": "it-IT"}, lambda: _columns(User, "locale") == ("it-IT",)),
    "course title": (
        {"context_title": "Mentoring 102"}, lambda: _columns(Course, "title") == ("Mentoring 102",)
    ),
    "link title": (
        {LTI + "resource_link": {"id": "link-1", "title": "Mentors"}},
        lambda: _columns(ResourceLink, "title") == ("Mentors",),
    ),
    "link target": (
        {LTI + "custom": {"ritmo_target": "programme"}},
        lambda: _columns(ResourceLink, "target") == ("programme",),
    ),
    "line items": (
        {AGS: {"lineitems": "https://lms.example/li", "lineitem": "https://lms.example/li/1"}},
        lambda: _columns(Course, "lineitems_url") == ("https://lms.example/li",)
        and _columns(ResourceLink, "lineitem_url") == ("https://lms.example/li/1",),
    ),
    "memberships": (
        {NRPS: {"context_memberships_url": "https://lms.example/m", "service_versions": ["2.0"]}},
        lambda: _columns(Course, "memberships_url") == ("https://lms.example/m",),
    ),
    "mentor role": (
        {"roles": [MENTOR_ROLE]},
        lambda: _columns(Enrolment, "is_mentor", "lis_roles") == (True, [MENTOR_ROLE])
        and _columns(Participant, "role") == (ParticipantRole.MENTOR,),
    ),
    "instructor": (
        {"roles": [INSTRUCTOR]},
        lambda: _columns(Enrolment, "role") == (CourseRole.COORDINATOR,)
        and _columns(Participant, "role") == (ParticipantRole.COORDINATOR,),
    ),
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_a_claim_changed_after_the_memo_expired_is_written(app, client, platform, change):
    from lti_tool.cache import cache

    overrides, written = CHANGES[change]
    launch(client, platform)
    cache().delete_prefix("launch-memo:")
    db.session.remove()
    claims = dict(overrides)
    if "context_title" in claims:
        claims[LTI + "context"] = {"id": "course-1", "title": claims.pop("context_title"), "label": "M101"}
    response = launch(client, platform, **claims)
    assert response.status_code == 200
    db.session.expire_all()
    assert written(), change
    # And the next launch with the same claims, the memo gone again, finds nothing left to write.
    cache().delete_prefix("launch-memo:")
    db.session.remove()
    with statements(app) as seen:
        assert launch(client, platform, **claims).status_code == 200
    assert writes(seen) == [], change


def test_a_launch_outside_a_course_after_the_memo_expired_reads_once(app, client, platform):
    from lti_tool.cache import cache

    launch(client, platform, **{LTI + "context": None})
    cache().delete_prefix("launch-memo:")
    db.session.remove()
    with statements(app) as seen:
        response = launch(client, platform, **{LTI + "context": None})
    assert response.status_code in (200, 404)  # no course: the page says to open it from a course
    assert reads(seen)[:1] and writes(seen) == []
    assert me(client, response)["course"] is None


def test_the_lms_role_wins_again_after_the_memo_expired(app, client, platform):
    # The programme takes roles from the LMS: a role changed in Ritmo is set back by the next launch
    # even when every claim is as before.
    from lti_tool.cache import cache

    launch(client, platform)
    with db.engine.begin() as conn:
        conn.execute(sa.update(Participant).values(role=ParticipantRole.MENTOR))
    cache().delete_prefix("launch-memo:")
    db.session.remove()
    assert launch(client, platform).status_code == 200
    db.session.expire_all()
    assert _columns(Participant, "role") == (ParticipantRole.MENTEE,)


def test_a_first_launch_in_a_known_course_reads_once_and_inserts_the_person(app, client, platform):
    launch(client, platform)  # the course, its link and programme now exist
    db.session.remove()
    with statements(app) as seen:
        response = launch(client, platform, sub="user-2", name="Grace Hopper")
    assert response.status_code == 200
    # The launch's read and the programme's, the person's two rows, then their participation.
    assert len(launch_reads(seen)) == 1 and len(reads(seen)) == 2, seen
    assert writes_to(seen) == ["INSERT INTO user", "INSERT INTO enrolment", "INSERT INTO participant"]
    assert len(seen) == 5, seen
    assert "Welcome, <bdi>Grace Hopper</bdi>." in response.get_data(as_text=True)
    person = me(client, response)
    assert person["user"]["sub"] == "user-2" and person["course"] is not None
    roles = db.session.execute(sa.select(Participant.role)).scalars().all()
    assert sorted(r.value for r in roles) == ["mentee", "mentee"]


def test_a_first_launch_in_a_known_course_needs_no_transaction_and_one_connection(app, client, platform):
    """Each insert is one row: on PostgreSQL the launch and its programme step run in one
    autocommit connection, with no BEGIN and COMMIT round trips."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no round trip to save")
    launch(client, platform)
    db.session.remove()
    connections: list[int] = []

    def on(conn, _cursor, statement, *_rest) -> None:
        if "cache_entry" not in statement:
            connections.append(id(conn.connection.dbapi_connection))

    sa.event.listen(db.engine, "before_cursor_execute", on)
    autocommit: list[bool] = []
    try:
        with statements(app, autocommit) as seen:
            response = launch(client, platform, sub="user-2", name="Grace Hopper")
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", on)
    assert response.status_code == 200
    assert writes_to(seen) == ["INSERT INTO user", "INSERT INTO enrolment", "INSERT INTO participant"]
    assert all(autocommit), list(zip(seen, autocommit, strict=True))
    assert len(set(connections)) == 1, seen


def test_a_first_launch_racing_a_double_click_in_a_known_course_succeeds(app, client, platform, monkeypatch):
    """The person's row appears between the launch's read and its inserts (the same person's
    other launch won): the inserts fail as a whole and the launch goes on with the winner's rows."""
    from lti_tool.launch import service

    launch(client, platform)  # the course, its link and programme now exist
    db.session.remove()
    read = service._read
    raced = []

    def other_launch_commits_first(params):
        known = read(params)
        if not raced:
            raced.append(True)
            with db.engine.begin() as conn:
                conn.execute(sa.insert(User).values(
                    platform_id=params["for_platform"], sub=params["for_sub"], name="Grace Hopper"))
        return known

    monkeypatch.setattr(service, "_read", other_launch_commits_first)
    response = launch(client, platform, sub="user-2", name="Grace Hopper")
    assert raced and response.status_code == 200
    user = db.session.execute(sa.select(User).where(User.sub == "user-2")).scalar_one()
    assert me(client, response)["user"]["id"] == user.id
    # Nothing half-written by the failed attempt: one enrolment and one participation each.
    assert db.session.execute(sa.select(sa.func.count()).select_from(Enrolment)).scalar_one() == 2
    assert db.session.execute(sa.select(sa.func.count()).select_from(Participant)).scalar_one() == 2


def test_a_first_launch_that_renames_the_course_takes_the_full_path(app, client, platform):
    launch(client, platform)
    db.session.remove()
    context = {"id": "course-1", "title": "Mentoring 201", "label": "M201"}
    response = launch(client, platform, sub="user-2", **{LTI + "context": context})
    assert response.status_code == 200
    db.session.expire_all()
    assert _columns(Course, "title", "label") == ("Mentoring 201", "M201")
    assert db.session.execute(sa.select(sa.func.count()).select_from(Participant)).scalar_one() == 2


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_a_claim_changed_within_the_memo_is_written(app, client, platform, change):
    """The memo remembers a digest of every mapped column's value: any change misses it."""
    overrides, written = CHANGES[change]
    launch(client, platform)
    db.session.remove()
    claims = dict(overrides)
    if "context_title" in claims:
        claims[LTI + "context"] = {"id": "course-1", "title": claims.pop("context_title"), "label": "M101"}
    with statements(app) as seen:
        assert launch(client, platform, **claims).status_code == 200
    assert launch_reads(seen), change
    db.session.expire_all()
    assert written(), change


def test_the_first_launch_in_a_new_course_writes_each_row_once(app, client, platform):
    with statements(app) as seen:
        response = launch(client, platform)
    assert response.status_code == 200
    assert writes_to(seen) == [
        "INSERT INTO user", "INSERT INTO course", "INSERT INTO resource_link", "INSERT INTO enrolment",
        "INSERT INTO programme", "INSERT INTO participant",
    ]
    assert len(launch_reads(seen)) == 1
    assert "Mentoring 101" in response.get_data(as_text=True)


def test_the_launch_reads_every_mapped_column():
    """One entry in ``claims.COLUMNS`` is all a new claim column needs on the launch's side."""
    from lti_tool.launch import service
    from lti_tool.launch.claims import COLUMNS

    selected = {column.key for column in service._read_statement().selected_columns}
    for model, columns in COLUMNS.items():
        for column in columns:
            assert service.PREFIX[model] + column.name in selected
