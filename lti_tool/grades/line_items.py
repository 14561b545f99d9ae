"""Gradebook columns that follow what they grade: placed, adopted, created and updated.

A column starts in one of three ways: deep linking placed it (the placement is recorded here when
Ritmo signs the response, see :func:`record_placements`), the LMS told Ritmo its address at a
launch (the AGS claim's ``lineitem`` for the placed resource link, adopted by :func:`adopt_link`),
or Ritmo finds or creates it by ``resourceId``/``tag`` at delivery time, with the resource link's
``resourceLinkId`` when one is known (Open edX's programmatic grades give only ``lineitems`` and
ignore a deep-linked ``lineItem``).

A change of label or maximum bumps the column's ``revision`` in the caller's transaction and
queues ``grades.line_item``; the PUT itself runs in that job, or in delivery before the next score
(:func:`resolve`), never in a person's request.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from flask import current_app

from lti_tool import audit, http
from lti_tool.accounts.models import Course, ResourceLink
from lti_tool.db import db
from lti_tool.errors import RitmoError
from lti_tool.grades.models import GradeLineItem
from lti_tool.identity.context import LaunchContext
from lti_tool.jobs import enqueue
from lti_tool.launch.models import Platform
from lti_tool.lti_services import ags, tokens
from lti_tool.lti_services.errors import AgsError, ServiceError

log = logging.getLogger(__name__)

SYNC_TASK = "grades.line_item"
MAX_LABEL = 255


def follow(item: GradeLineItem, label: str, score_maximum: float) -> bool:
    """Give the column a new label and maximum; the LMS gets them before the next score."""
    label = label[:MAX_LABEL]
    if (item.label, item.score_maximum) == (label, score_maximum):
        return False
    item.label, item.score_maximum = label, score_maximum
    _changed(item)
    return True


def follow_existing(course_id: int, resource_id: str, label: str, score_maximum: float) -> bool:
    """:func:`follow` for a column Ritmo already knows; nothing to do for one never used."""
    item = find(course_id, resource_id)
    return item is not None and follow(item, label, score_maximum)


def find(course_id: int, resource_id: str) -> GradeLineItem | None:
    return db.session.execute(
        sa.select(GradeLineItem).where(
            GradeLineItem.course_id == course_id, GradeLineItem.resource_id == resource_id
        )
    ).scalar_one_or_none()


def _changed(item: GradeLineItem) -> None:
    item.revision = (item.revision or 0) + 1
    if item.id is None:
        db.session.flush()
    if item.url is not None:
        # A column that exists in the LMS is updated soon, even if no score is due.
        enqueue(SYNC_TASK, {"line_item_id": item.id},
                dedupe_key=f"{SYNC_TASK}:{item.id}:{item.revision}")


def adopt_link(item: GradeLineItem, course_id: int, targets: Iterable[str]) -> ResourceLink | None:
    """Tie the column to the resource link placed for one of ``targets``.

    A link whose launch named its column (AGS ``lineitem``) gives the column's address: that column
    is the one scored, never a second. Otherwise the link's id is what a column Ritmo creates
    carries as ``resourceLinkId``.
    """
    wanted = list(targets)
    link = db.session.execute(
        sa.select(ResourceLink)
        .where(ResourceLink.course_id == course_id, ResourceLink.target.in_(wanted))
        .order_by(ResourceLink.lineitem_url.is_(None), ResourceLink.id)
        .limit(1)
    ).scalar_one_or_none()
    if link is None:
        return None
    if item.url is None and link.lineitem_url:
        item.url = link.lineitem_url
        # The LMS made this column from the placement: make it say what Ritmo says now.
        item.resource_link_id = link.resource_link_id
        _changed(item)
    elif item.resource_link_id is None:
        item.resource_link_id = link.resource_link_id
        if item.url is not None:
            _changed(item)
    return link


# --- placements -------------------------------------------------------------------------------


def record_placements(ctx: LaunchContext, content_items: list[dict[str, Any]]) -> None:
    """Deep linking placed these items: remember each graded one as a column of the course.

    Scoring then knows the item was placed graded even where the LMS never makes a column from the
    deep-linked ``lineItem`` (Open edX): Ritmo creates it at the first score.
    """
    if ctx.course_id is None:
        return
    for entry in content_items:
        line_item = entry.get("lineItem")
        if not isinstance(line_item, dict) or not line_item.get("resourceId"):
            continue
        resource_id = str(line_item["resourceId"])
        item = find(ctx.course_id, resource_id)
        label = str(line_item.get("label") or entry.get("title") or resource_id)
        maximum = float(line_item["scoreMaximum"])
        if item is None:
            item = GradeLineItem(
                course_id=ctx.course_id, resource_id=resource_id,
                tag=str(line_item.get("tag") or ""), label=label[:MAX_LABEL], score_maximum=maximum,
                revision=0, synced_revision=0,
            )
            db.session.add(item)
            db.session.flush()
        else:
            follow(item, label, maximum)
        audit.record("grade.column_placed", "grade_line_item", item.id,
                     actor_user_id=ctx.user_id, resource_id=resource_id)


# --- delivery: the column's address, and its update before the next score -------------------


def body(item: GradeLineItem) -> dict[str, Any]:
    """What Ritmo wants the LMS's column to say."""
    wanted: dict[str, Any] = {
        "label": item.label, "scoreMaximum": item.score_maximum, "resourceId": item.resource_id,
    }
    if item.tag:
        wanted["tag"] = item.tag
    if item.resource_link_id:
        wanted["resourceLinkId"] = item.resource_link_id
    return wanted


def resolve(line_item_id: int, token: str) -> str:
    """The platform URL of a line item: adopted, found by ``resourceId``/``tag``, or created; and
    brought up to date (PUT) when its label or maximum changed since the LMS last heard.

    The row is locked while resolving so two deliverers never create the same column twice.
    """
    query = sa.select(GradeLineItem).where(GradeLineItem.id == line_item_id)
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update()
    item = db.session.execute(query).scalar_one()
    if item.url and item.synced_revision >= item.revision:
        url = item.url
        db.session.rollback()
        return url
    revision = item.revision
    timeout = current_app.config["HTTP_TIMEOUT_SECONDS"]
    try:
        if item.url:
            _put(item, token, timeout)
        else:
            _find_or_create(item, token, timeout)
    except ServiceError:
        db.session.rollback()
        raise
    assert item.url is not None
    item.synced_revision = max(item.synced_revision, revision)
    url = item.url
    db.session.commit()
    return url


def _find_or_create(item: GradeLineItem, token: str, timeout: Any) -> None:
    course = db.session.get(Course, item.course_id)
    if course is None or not course.lineitems_url:
        raise AgsError(
            "The LMS has not given Ritmo a gradebook service for this course. Enable grade sync "
            "(AGS) for Ritmo in the LMS, open Ritmo once from the course, then retry.",
            transient=False,
        )
    found = ags.find_line_item(
        http.client(), token, course.lineitems_url, item.resource_id, item.tag, timeout
    )
    if found is None and item.resource_link_id:
        # The LMS made the placed link's column but kept only its link, not Ritmo's resourceId.
        found = ags.find_link_line_item(
            http.client(), token, course.lineitems_url, item.resource_link_id, timeout
        )
    if found is None:
        created = ags.create_line_item(http.client(), token, course.lineitems_url, body(item), timeout)
        item.url = str(created["id"])
        return
    item.url = str(found["id"])
    wanted = body(item)
    if any(found.get(key) != value for key, value in wanted.items()):
        _put(item, token, timeout)


def _put(item: GradeLineItem, token: str, timeout: Any) -> None:
    assert item.url is not None
    try:
        ags.update_line_item(http.client(), token, item.url, body(item), timeout)
    except ServiceError as error:
        if error.transient or error.token_rejected:
            raise
        # The LMS does not let Ritmo edit this column (a score-only ``lineitem``): scores still go
        # to it, out of the maximum they carry; the refusal is kept for the administrator.
        log.warning("LMS refused to update line item %s: %s", item.id, error.message)
        audit.record("grade.column_update_refused", "grade_line_item", item.id,
                     status=error.status, reason=error.message[:500])
        return
    audit.record("grade.column_updated", "grade_line_item", item.id, label=item.label,
                 score_maximum=item.score_maximum)


def sync_task(payload: dict[str, Any]) -> None:
    """``grades.line_item``: update one column in the LMS now (a rename with no score due)."""
    line_item_id = int(payload["line_item_id"])
    item = db.session.get(GradeLineItem, line_item_id)
    if item is None or (item.url and item.synced_revision >= item.revision):
        return
    course = db.session.get_one(Course, item.course_id)
    platform = db.session.get(Platform, course.platform_id)
    if platform is None:
        return
    try:
        token = tokens.access_token(platform, ags.DELIVERY_SCOPES)
        db.session.rollback()  # resolve() locks the row in a transaction of its own
        resolve(line_item_id, token)
    except ServiceError as error:
        if error.transient or error.token_rejected:
            raise ColumnNotUpdated(error.message) from error
        log.warning("gradebook column %s not updated: %s", payload["line_item_id"], error.message)


class ColumnNotUpdated(RitmoError):
    """The LMS could not be reached; the job runner tries again with its backoff."""
