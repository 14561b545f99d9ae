"""``last_seen_at`` with a shared cache: a launch that would write it alone notes it in Redis, and
the minute's periodic task writes the notes in bulk. (Without Redis the launch writes it at once:
``test_launch_fast_path``.)"""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from lti_tool.accounts.models import User
from lti_tool.accounts.privacy import erase
from lti_tool.cache import cache
from lti_tool.db import db, utcnow
from lti_tool.jobs.periodic import by_task
from lti_tool.jobs.registry import TASKS
from lti_tool.launch import last_seen
from tests.conftest import REDIS_URL, need
from tests.launch.test_launch_fast_path import statements, writes, writes_to
from tests.lti_platform import launch

pytestmark = pytest.mark.redis


@pytest.fixture
def app_config() -> dict[str, object]:
    return {"REDIS_URL": need(REDIS_URL, "Redis", "LTI_TOOL_TEST_REDIS_URL")}


@pytest.fixture(autouse=True)
def _no_notes_of_other_runs(app):
    cache().take_notes(last_seen.NOTES_KEY)
    yield
    cache().take_notes(last_seen.NOTES_KEY)


def _seen(user_id: int | None = None):
    db.session.expire_all()
    query = sa.select(User.last_seen_at)
    if user_id is not None:
        query = query.where(User.id == user_id)
    return db.session.execute(query).scalar_one()


def _a_day_ago_and_forgotten() -> object:
    """The person launched a day ago: their memo is gone and their last launch is due again."""
    day_ago = utcnow() - timedelta(days=1)
    cache().delete_prefix("launch-memo:")
    with db.engine.begin() as conn:
        conn.execute(sa.update(User).values(last_seen_at=day_ago))
    db.session.remove()
    return day_ago


def test_a_returning_launch_notes_last_seen_and_the_minute_task_writes_it(app, client, platform):
    launch(client, platform)
    day_ago = _a_day_ago_and_forgotten()
    with statements(app) as seen:
        again = launch(client, platform)
    assert again.status_code == 200
    assert writes(seen) == [], seen  # nothing written at the launch: the time waits in Redis
    assert _seen() == day_ago

    assert by_task(last_seen.TASK).every == timedelta(minutes=1)
    TASKS[last_seen.TASK]({})  # the periodic task, as the job runner calls it
    assert _seen() > day_ago + timedelta(hours=23)
    assert last_seen.flush() == 0  # the notes were taken


def test_a_launch_that_writes_the_person_writes_last_seen_with_it(app, client, platform):
    launch(client, platform)
    _a_day_ago_and_forgotten()
    with statements(app) as seen:
        launch(client, platform, name="Ada King")
    assert writes_to(seen) == ["UPDATE user"] and "last_seen_at" in writes(seen)[0]
    assert _seen() > utcnow() - timedelta(minutes=1)
    assert last_seen.flush() == 0  # nothing was noted


def test_a_note_only_moves_a_time_forward_and_never_undoes_an_erasure(app, client, platform):
    launch(client, platform)
    day_ago = _a_day_ago_and_forgotten()
    launch(client, platform)  # noted
    user_id = db.session.execute(sa.select(User.id)).scalar_one()
    erase(user_id, reason="asked to be forgotten")
    db.session.commit()
    assert _seen(user_id) is None
    assert last_seen.flush() == 0
    assert _seen(user_id) is None  # the erased time stays blank

    launch(client, platform)  # a new person now (erasure replaced the LMS id)
    newcomer = db.session.execute(sa.select(User.id).where(User.id != user_id)).scalar_one()
    now = _seen(newcomer)
    assert last_seen.note(newcomer, day_ago)  # an older time, noted late
    assert last_seen.flush() == 0
    assert _seen(newcomer) == now


def test_notes_put_back_keep_what_was_noted_since(app):
    assert last_seen.note(1, utcnow() - timedelta(minutes=3))
    assert last_seen.note(2, utcnow() - timedelta(minutes=3))
    taken = cache().take_notes(last_seen.NOTES_KEY)
    assert set(taken) == {"1", "2"}
    later = utcnow()
    last_seen.note(2, later)  # person 2 launched again while the write failed
    cache().restore_notes(last_seen.NOTES_KEY, taken)
    again = cache().take_notes(last_seen.NOTES_KEY)
    assert again == {"1": taken["1"], "2": later.isoformat()}


def test_many_notes_are_written_in_batches(app, client, platform, monkeypatch):
    launch(client, platform)
    user_id = db.session.execute(sa.select(User.id)).scalar_one()
    platform_id = db.session.execute(sa.select(User.platform_id)).scalar_one()
    hour_ago = utcnow() - timedelta(hours=1)
    with db.engine.begin() as conn:
        conn.execute(sa.insert(User), [
            {"platform_id": platform_id, "sub": f"p-{n}", "last_seen_at": hour_ago} for n in range(25)
        ])
        conn.execute(sa.update(User).values(last_seen_at=hour_ago))
    ids = db.session.execute(sa.select(User.id)).scalars().all()
    now = utcnow()
    for id_ in ids:
        last_seen.note(id_, now)
    monkeypatch.setattr(last_seen, "BATCH", 10)
    assert last_seen.flush() == len(ids) == 26
    assert _seen(user_id) == now
    assert db.session.execute(sa.select(sa.func.min(User.last_seen_at))).scalar_one() == now
