"""Statements run straight on the driver (``lti_tool.direct_statements``) read and write what
``Connection.execute`` would, on either backend: the same converted values, the columns'
Python-side defaults, the engine's cursor events, and SQLAlchemy's errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from lti_tool.accounts.models import Course, CourseRole, Enrolment, User
from lti_tool.db import db, utcnow
from lti_tool.direct_statements import DirectStatement
from tests.grades.factory import make_platform

INSERT = DirectStatement(sa.insert(Enrolment).returning(Enrolment.id, Enrolment.updated_at))
UPDATE = DirectStatement(sa.update(Enrolment).where(Enrolment.id == sa.bindparam("for_id")))
READ = DirectStatement(
    sa.select(
        Enrolment.id, Enrolment.role, Enrolment.lis_roles, Enrolment.is_mentor,
        Enrolment.updated_at, User.sub.label("who"),
    )
    .join(User, User.id == Enrolment.user_id)
    .where(Enrolment.course_id == sa.bindparam("course_id"))
    .order_by(Enrolment.id)
    .limit(1)
)


def _person_and_course() -> tuple[int, int]:
    platform = make_platform()
    user = User(platform_id=platform.id, sub="ada", name="Ada")
    course = Course(platform_id=platform.id, context_id="C1", title="Course")
    db.session.add_all([user, course])
    db.session.commit()
    return user.id, course.id


def test_an_insert_fills_defaults_converts_values_and_returns_its_columns(app: Flask) -> None:
    user_id, course_id = _person_and_course()
    before = utcnow()
    inserted = INSERT.execute(
        db.session.connection(),
        {"user_id": user_id, "course_id": course_id, "role": CourseRole.PARTICIPANT},
    ).one()
    db.session.commit()

    row = db.session.execute(sa.select(Enrolment)).scalar_one()  # read back through the ORM
    assert inserted.id == row.id
    assert row.role is CourseRole.PARTICIPANT
    assert row.lis_roles == [] and row.is_mentor is False  # ``default=list`` and ``default=False``
    assert row.updated_at >= before - timedelta(seconds=1)  # ``default=utcnow``
    assert inserted.updated_at == row.updated_at and inserted.updated_at.tzinfo is UTC


def test_a_read_answers_as_connection_execute_would(app: Flask) -> None:
    user_id, course_id = _person_and_course()
    db.session.add(Enrolment(
        user_id=user_id, course_id=course_id, role=CourseRole.COORDINATOR,
        lis_roles=["http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"], is_mentor=True,
    ))
    db.session.commit()
    params = {"course_id": course_id}

    direct = READ.execute(db.session.connection(), params).one()
    through_sqlalchemy = db.session.connection().execute(READ.statement, params).one()
    assert tuple(direct) == tuple(through_sqlalchemy)
    assert direct.role is CourseRole.COORDINATOR and direct.who == "ada"  # named as selected
    assert READ.execute(db.session.connection(), {"course_id": course_id + 1}).first() is None
    with pytest.raises(sa.exc.NoResultFound):
        READ.execute(db.session.connection(), {"course_id": course_id + 1}).one()


def test_an_update_sets_only_its_columns_fills_onupdate_and_counts_rows(app: Flask) -> None:
    user_id, course_id = _person_and_course()
    enrolment = Enrolment(user_id=user_id, course_id=course_id, role=CourseRole.PARTICIPANT,
                          updated_at=datetime(2020, 1, 1, tzinfo=UTC))
    db.session.add(enrolment)
    db.session.commit()
    enrolment_id = enrolment.id

    changed = UPDATE.execute(db.session.connection(), {"for_id": enrolment_id, "is_mentor": True})
    missing = UPDATE.execute(db.session.connection(), {"for_id": enrolment_id + 1, "is_mentor": True})
    db.session.commit()

    assert (changed.rowcount, missing.rowcount) == (1, 0)
    row = db.session.get_one(Enrolment, enrolment_id)
    assert row.is_mentor is True and row.role is CourseRole.PARTICIPANT
    assert row.updated_at.year > 2020  # ``onupdate=utcnow``


def test_the_engines_cursor_events_see_each_statement(app: Flask) -> None:
    user_id, course_id = _person_and_course()
    seen: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany) -> None:
        seen.append(statement.split()[0])

    sa.event.listen(db.engine, "before_cursor_execute", before)
    try:
        INSERT.execute(db.session.connection(),
                       {"user_id": user_id, "course_id": course_id, "role": CourseRole.PARTICIPANT})
        READ.execute(db.session.connection(), {"course_id": course_id})
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", before)
    db.session.rollback()
    assert seen == ["INSERT", "SELECT"]


def test_a_broken_constraint_raises_sqlalchemys_integrity_error_and_writes_nothing(app: Flask) -> None:
    user_id, course_id = _person_and_course()
    values = {"user_id": user_id, "course_id": course_id, "role": CourseRole.PARTICIPANT}
    INSERT.execute(db.session.connection(), values)
    db.session.commit()

    with pytest.raises(sa.exc.IntegrityError):  # one enrolment per person and course
        INSERT.execute(db.session.connection(), values)
    db.session.rollback()
    assert db.session.execute(sa.select(sa.func.count()).select_from(Enrolment)).scalar_one() == 1


def test_a_statement_with_an_in_list_is_refused_at_first_use(app: Flask) -> None:
    by_ids = DirectStatement(sa.select(User.id).where(User.id.in_(sa.bindparam("ids", expanding=True))))
    with pytest.raises(TypeError, match="IN lists"):
        by_ids.execute(db.session.connection(), {"ids": [1, 2]})
    db.session.rollback()


def test_a_lost_connection_is_invalidated_and_the_next_statement_gets_a_new_one(app: Flask) -> None:
    if db.engine.dialect.name != "postgresql":
        pytest.skip("an SQLite connection is a file: it cannot be lost")
    _user_id, course_id = _person_and_course()
    params = {"course_id": course_id}
    backend = db.session.connection().execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
    with db.engine.connect() as other:  # the server ends the session's connection
        other.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})

    with pytest.raises(sa.exc.DBAPIError) as raised:
        READ.execute(db.session.connection(), params)
    assert raised.value.connection_invalidated
    db.session.rollback()
    assert READ.execute(db.session.connection(), params).first() is None  # a new connection
    assert db.session.connection().execute(sa.text("SELECT pg_backend_pid()")).scalar_one() != backend
