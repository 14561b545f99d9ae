"""Each test starts from an empty database whose ids start again from 1, on either backend, however
the test before it left the tables (``tests.conftest.clean_database``)."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import Flask

from lti_tool.accounts.models import Course
from lti_tool.cache import CacheEntry
from lti_tool.db import Base, db, utcnow
from lti_tool.jobs.models import Job
from tests.conftest import clean_database
from tests.grades.factory import make_world


def counts() -> dict[str, int]:
    return {
        table.name: db.session.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
        for table in Base.metadata.sorted_tables
    }


def test_a_clean_database_has_no_rows_and_draws_ids_from_one(app: Flask) -> None:
    assert set(counts().values()) == {0}
    # Rows in many tables, a table whose rows were all deleted after drawing ids, and a table
    # keyed by name (no id sequence).
    make_world(matches=2)
    drawn = Job(task="test.fixture", payload={})
    db.session.add(drawn)
    db.session.add(CacheEntry(key="k", value={}, expires_at=utcnow() + timedelta(minutes=1)))
    db.session.commit()
    drawn_id = drawn.id
    db.session.execute(sa.delete(Job))
    db.session.commit()
    assert drawn_id >= 1 and counts()["job"] == 0 and counts()["course"] >= 1
    db.session.remove()

    clean_database()
    assert set(counts().values()) == {0}
    again = Job(task="test.fixture", payload={})
    db.session.add(again)
    db.session.commit()
    assert again.id == 1
    world = make_world(matches=1)
    assert world.course.id == 1 and db.session.get(Course, 1) is not None
