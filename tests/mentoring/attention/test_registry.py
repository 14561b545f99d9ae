"""The registry: sources register, their items are gathered in order, a broken source is survived,
and acting on an item records who acted, in one transaction with what the source did."""

from __future__ import annotations

from datetime import datetime

import pytest
import sqlalchemy as sa

from lti_tool.accounts.models import CourseRole
from lti_tool.db import db, without_transaction
from lti_tool.errors import Conflict, Forbidden, NotFound
from lti_tool.identity.context import LaunchContext
from lti_tool.mentoring.attention import registry, service
from lti_tool.mentoring.attention.models import AttentionAction
from lti_tool.mentoring.attention.registry import Item
from lti_tool.mentoring.programmes.models import ParticipantRole, Programme
from tests.mentoring.attention.conftest import TEST_SOURCE, Pairs
from tests.mentoring.programmes.factories import World, world


@pytest.fixture
def w(app) -> World:
    return world()


def coordinator(w: World) -> LaunchContext:
    return LaunchContext(
        platform_id=w.platform.id,
        user_id=w.coordinator.id,
        course_id=w.course.id,
        role=CourseRole.COORDINATOR,
    )


def count_actions() -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(AttentionAction)).scalar_one()


def test_items_come_urgent_first_then_oldest_first(w: World, pairs: Pairs) -> None:
    pairs.add("recent", severity=1, days=1)
    pairs.add("urgent", severity=2, days=0)
    pairs.add("old", severity=1, days=5)
    pairs.add("info", severity=0, days=9)
    gathered = registry.gather(w.programme)
    assert [i.key for i in gathered.items] == ["urgent", "old", "recent", "info"]
    assert gathered.failed == []
    assert registry.open_count(w.programme) == 4


def test_a_page_that_began_without_a_transaction_reads_every_source(w: World, pairs: Pairs) -> None:
    # The programme home after a launch reads without a transaction (no BEGIN on PostgreSQL), and
    # PostgreSQL refuses savepoints there: the list must still read its sources.
    pairs.add("a")
    db.session.commit()
    without_transaction()
    db.session.execute(sa.select(Programme.id)).all()
    gathered = registry.gather(w.programme)
    assert gathered.failed == [] and [i.key for i in gathered.items] == ["a"]


def test_registering_a_name_again_replaces_the_source(w: World, pairs: Pairs) -> None:
    pairs.add("a")
    registry.register_source(TEST_SOURCE, lambda programme, now: [], pairs.act, label="Quiet pairs")
    assert [s.name for s in registry.sources()].count(TEST_SOURCE) == 1
    assert registry.gather(w.programme).items == []


def test_a_broken_source_costs_only_its_own_items(w: World, pairs: Pairs) -> None:
    pairs.add("a")

    def bad_sql(programme: Programme, now: datetime) -> list[Item]:
        db.session.execute(sa.text("SELECT * FROM no_such_table"))
        return []

    registry.register_source("test_bad_sql", bad_sql, None, label="Broken table")
    try:
        gathered = registry.gather(w.programme)
        pairs.broken = True
        twice = registry.gather(w.programme)
    finally:
        registry.unregister_source("test_bad_sql")
    assert [i.key for i in gathered.items] == ["a"] and gathered.failed == ["Broken table"]
    assert twice.items == [] and sorted(twice.failed) == ["Broken table", "Quiet pairs"]
    # The failed statement was rolled back to its savepoint: the session still works.
    assert db.session.get(Programme, w.programme.id) is not None


def test_acting_records_who_acted_with_the_note_and_the_result(w: World, pairs: Pairs) -> None:
    pairs.add("a")
    record = service.act(
        coordinator(w), w.programme, TEST_SOURCE, "a", "end", {"why": "x"}, note="Both  agreed"
    )
    assert pairs.acted == [(w.coordinator.id, "a", "end", {"why": "x"})]
    db.session.expire_all()
    row = db.session.get(AttentionAction, record.id)
    assert row is not None
    assert (row.programme_id, row.source, row.key, row.action) == (w.programme.id, TEST_SOURCE, "a", "end")
    assert (row.actor_user_id, row.note, row.result) == (w.coordinator.id, "Both agreed", "Pair a ended.")
    [shown] = service.records(w.programme)[(TEST_SOURCE, "a")]
    assert (shown.actor_name, shown.action, shown.at) == ("Cora Coordinator", "end", row.at)


def test_only_an_offered_action_on_an_open_item_is_taken(w: World, pairs: Pairs) -> None:
    pairs.add("a")
    ctx = coordinator(w)
    with pytest.raises(NotFound):
        service.act(ctx, w.programme, TEST_SOURCE, "a", "message", {})  # a link, not a handler
    with pytest.raises(NotFound):
        service.act(ctx, w.programme, TEST_SOURCE, "a", "delete_everything", {})
    with pytest.raises(Conflict):
        service.act(ctx, w.programme, TEST_SOURCE, "gone", "end", {})
    with pytest.raises(NotFound):
        service.act(ctx, w.programme, "no_such_source", "a", "end", {})
    assert count_actions() == 0 and pairs.acted == []


def test_a_participant_may_not_act(w: World, pairs: Pairs) -> None:
    pairs.add("a")
    mentee = w.person("Eve Mentee", ParticipantRole.MENTEE)
    ctx = LaunchContext(
        platform_id=w.platform.id, user_id=mentee.user_id, course_id=w.course.id, role=CourseRole.PARTICIPANT
    )
    with pytest.raises(Forbidden):
        service.act(ctx, w.programme, TEST_SOURCE, "a", "end", {})
    assert count_actions() == 0


def test_a_refused_action_leaves_no_record(w: World, pairs: Pairs) -> None:
    pairs.add("a")
    with pytest.raises(Conflict):
        service.act(coordinator(w), w.programme, TEST_SOURCE, "a", "end", {"refuse": "1"})
    assert count_actions() == 0
    assert "a" in pairs.open
