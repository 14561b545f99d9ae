"""Writing scores into the outbox, waking the deliverer, and what coordinators and admins see.

:func:`set_score` joins the caller's transaction: the completion and the score it causes commit or
roll back together. Delivery happens later in a job (``delivery.py``), never in a person's request.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from lti_tool import audit
from lti_tool.accounts.models import User
from lti_tool.db import db, upsert_insert, utcnow
from lti_tool.errors import NotFound
from lti_tool.grades import line_items
from lti_tool.grades.models import DeliveryState, GradeLineItem, ScoreOutbox
from lti_tool.jobs.models import Job, JobState

DELIVER_TASK = "grades.deliver"
SWEEP_TASK = "grades.sweep"
# Completions within one bucket share one delivery job (and its batch).
KICK_BUCKET_SECONDS = 1.0
# A score's AGS timestamp grows by at least this much per new value, so platforms keep the latest.
TIMESTAMP_STEP = timedelta(milliseconds=1)

ACTIVITY_COMPLETED = "Completed"
ACTIVITY_INITIALIZED = "Initialized"
GRADING_FULLY_GRADED = "FullyGraded"
GRADING_NOT_READY = "NotReady"


@dataclass(frozen=True)
class Score:
    """The value Ritmo wants in the gradebook; ``given=None`` clears the grade."""

    given: float | None
    maximum: float
    activity_progress: str = ACTIVITY_COMPLETED
    grading_progress: str = GRADING_FULLY_GRADED
    comment: str | None = None

    @classmethod
    def cleared(cls, maximum: float) -> Score:
        """No grade: the activity is not done (after an undone completion)."""
        return cls(None, maximum, ACTIVITY_INITIALIZED, GRADING_NOT_READY)


def ensure_line_item(
    course_id: int, resource_id: str, tag: str, label: str, score_maximum: float
) -> GradeLineItem:
    """Ritmo's record of a gradebook column; the platform's URL is resolved at delivery time."""
    item = db.session.execute(
        sa.select(GradeLineItem).where(
            GradeLineItem.course_id == course_id, GradeLineItem.resource_id == resource_id
        )
    ).scalar_one_or_none()
    if item is None:
        item = GradeLineItem(
            course_id=course_id, resource_id=resource_id, tag=tag, label=label[:255],
            score_maximum=score_maximum,
        )
        try:
            with db.session.begin_nested():
                db.session.add(item)
        except sa.exc.IntegrityError:
            # Another transaction created it first.
            return ensure_line_item(course_id, resource_id, tag, label, score_maximum)
    else:
        # A new label or maximum reaches the LMS's column before the next score.
        line_items.follow(item, label, score_maximum)
    return item


def set_score(
    line_item: GradeLineItem, user: User, score: Score, *, actor_user_id: int | None
) -> ScoreOutbox:
    """Make ``score`` the value the LMS must end with for ``user``; delivered by a job later."""
    now = utcnow()
    row = db.session.execute(
        sa.select(ScoreOutbox)
        .where(ScoreOutbox.line_item_id == line_item.id, ScoreOutbox.user_id == user.id)
        .with_for_update()
    ).scalar_one_or_none()
    if row is None:
        row = ScoreOutbox(
            platform_id=user.platform_id, line_item_id=line_item.id, user_id=user.id,
            score_timestamp=now, version=1, delivered_version=0, state=DeliveryState.PENDING,
            attempts=0, next_attempt_at=now,
        )
        _apply(row, score)
        try:
            with db.session.begin_nested():
                db.session.add(row)
        except sa.exc.IntegrityError:
            return set_score(line_item, user, score, actor_user_id=actor_user_id)
    else:
        row.version += 1
        row.score_timestamp = max(now, row.score_timestamp + TIMESTAMP_STEP)
        _apply(row, score)
        row.attempts = 0
        row.last_error = None
        row.next_attempt_at = now
        # A row being sent stays claimed; the deliverer sends the newer version right after.
        if row.state is not DeliveryState.SENDING:
            row.state = DeliveryState.PENDING
    audit.record(
        "grade.set", "score_outbox", f"{line_item.id}:{user.id}", actor_user_id=actor_user_id,
        line_item=line_item.resource_id, score_given=score.given, version=row.version,
    )
    kick(user.platform_id)
    return row


def _apply(row: ScoreOutbox, score: Score) -> None:
    row.score_given = score.given
    row.score_maximum = score.maximum
    row.activity_progress = score.activity_progress
    row.grading_progress = score.grading_progress
    row.comment = score.comment


def score_body(row: ScoreOutbox, sub: str) -> dict[str, Any]:
    """The AGS score JSON for the row's current version."""
    body: dict[str, Any] = {
        "userId": sub,
        "activityProgress": row.activity_progress,
        "gradingProgress": row.grading_progress,
        "timestamp": row.score_timestamp.isoformat(timespec="microseconds"),
    }
    if row.score_given is not None:
        body["scoreGiven"] = row.score_given
        body["scoreMaximum"] = row.score_maximum
    if row.comment:
        body["comment"] = row.comment
    return body


# --- waking the deliverer -------------------------------------------------------------------


def kick(platform_id: int, at: datetime | None = None) -> None:
    """Make sure a delivery job for ``platform_id`` runs at ``at`` (default: within a second).

    Completions in the same second share one job (its dedupe key names the bucket); inserting with
    "on conflict do nothing" never fails a person's transaction because another one kicked first.
    """
    when = max(at or utcnow(), utcnow())
    bucket = math.ceil(when.timestamp() / KICK_BUCKET_SECONDS)
    key = f"{DELIVER_TASK}:{platform_id}:{bucket}"
    if _kicked_in_this_transaction(key):
        return
    run_at = datetime.fromtimestamp(bucket * KICK_BUCKET_SECONDS, tz=when.tzinfo)
    _insert_job(DELIVER_TASK, {"platform_id": platform_id}, run_at, key)
    ensure_sweeper()


def ensure_sweeper() -> None:
    """The periodic safety net (see ``delivery.sweep``): one perpetual job per installation."""
    if not _kicked_in_this_transaction(SWEEP_TASK):
        _insert_job(SWEEP_TASK, {}, utcnow(), SWEEP_TASK)


def _kicked_in_this_transaction(key: str) -> bool:
    """True if ``key`` was already inserted by this transaction (many completions, one job row)."""
    session = db.session()
    transaction = session.get_transaction()
    seen: tuple[object, set[str]] | None = session.info.get("grades_kicks")
    if seen is None or seen[0] is not transaction:
        seen = session.info["grades_kicks"] = (transaction, set())
    if key in seen[1]:
        return True
    seen[1].add(key)
    return False


def _insert_job(task: str, payload: dict[str, Any], run_at: datetime, dedupe_key: str) -> None:
    statement = upsert_insert(db.session.get_bind(), Job).values(
        task=task, payload=payload, state=JobState.QUEUED, run_at=run_at, attempts=0,
        max_attempts=8, dedupe_key=dedupe_key, created_at=utcnow(),
    ).on_conflict_do_nothing(index_elements=["dedupe_key"])
    db.session.execute(statement)


# --- visibility and retry -------------------------------------------------------------------


def delivery_rows(
    course_id: int | None = None, state: DeliveryState | None = None, limit: int = 500
) -> list[ScoreOutbox]:
    query = sa.select(ScoreOutbox).join(GradeLineItem).order_by(ScoreOutbox.updated_at.desc()).limit(limit)
    if course_id is not None:
        query = query.where(GradeLineItem.course_id == course_id)
    if state is not None:
        query = query.where(ScoreOutbox.state == state)
    return list(db.session.execute(query).scalars())


def state_counts(course_id: int | None = None) -> dict[str, int]:
    query = sa.select(ScoreOutbox.state, sa.func.count()).group_by(ScoreOutbox.state)
    if course_id is not None:
        query = query.join(GradeLineItem).where(GradeLineItem.course_id == course_id)
    counts = {state.value: 0 for state in DeliveryState}
    for state, count in db.session.execute(query).all():
        counts[DeliveryState(state).value] = count
    return counts


def retry(
    *, course_id: int | None = None, outbox_id: int | None = None, actor_user_id: int | None = None
) -> int:
    """Send failed scores again (all of a course's, or one); returns how many were requeued."""
    query = sa.select(ScoreOutbox).where(ScoreOutbox.state == DeliveryState.FAILED)
    if outbox_id is not None:
        query = sa.select(ScoreOutbox).where(ScoreOutbox.id == outbox_id)
    if course_id is not None:
        query = query.join(GradeLineItem).where(GradeLineItem.course_id == course_id)
    rows = list(db.session.execute(query).scalars())
    if outbox_id is not None and not rows:
        raise NotFound("This score does not exist in your course. Reload the delivery page.")
    now = utcnow()
    platforms = set()
    requeued = 0
    for row in rows:
        if row.state in (DeliveryState.FAILED, DeliveryState.PENDING):
            row.state = DeliveryState.PENDING
            row.attempts = 0
            row.next_attempt_at = now
            row.last_error = None
            platforms.add(row.platform_id)
            requeued += 1
            audit.record("grade.retry", "score_outbox", row.id, actor_user_id=actor_user_id)
    for platform_id in platforms:
        kick(platform_id)
    db.session.commit()
    return requeued
