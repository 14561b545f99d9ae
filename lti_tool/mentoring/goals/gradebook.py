"""What the LMS gradebook gets from milestones: a column per graded milestone and the programme total.

Scores go through the grades outbox in the caller's transaction, so a completion and its score
commit together. A column deep linking placed (its resource link carries the line item URL) is
adopted instead of a second column being created; the ``resourceId``/``tag`` pairs here are the ones
the placed links declare (see :func:`.milestones.placeable_milestones`).

Columns follow their milestone (:func:`follow_milestone`, :func:`follow_total`): a new title or
points reach the LMS (PUT, from the grades job) before the next score. A deleted or ungraded
milestone keeps its column, with its grades cleared and its label marked "no longer graded", so an
instructor's own entries in it are never lost; it is theirs to delete.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from lti_tool.accounts.models import ResourceLink, User
from lti_tool.db import db
from lti_tool.grades import line_items
from lti_tool.grades import service as grades
from lti_tool.i18n import written_for
from lti_tool.mentoring.goals.models import CompletionState, Milestone, MilestoneCompletion
from lti_tool.mentoring.matching.models import Match, MatchMentee
from lti_tool.mentoring.matching.statuses import VISIBLE_TO_MEMBERS
from lti_tool.mentoring.programmes.models import Participant, Programme

TOTAL_TARGET = "milestone:total"
TOTAL_RESOURCE_ID = "ritmo:programme:{id}"
MILESTONE_RESOURCE_ID = "ritmo:milestone:{id}"
MILESTONE_TAG = "ritmo-milestone"
TOTAL_TAG = "ritmo-programme"
#: Programme setting that sends a total of all graded milestones to its own gradebook column.
GRADE_TOTAL_SETTING = "grade_total"


def _is_completed(milestone_id: int, participant_id: int) -> bool:
    state = db.session.execute(
        sa.select(MilestoneCompletion.state).where(
            MilestoneCompletion.milestone_id == milestone_id,
            MilestoneCompletion.participant_id == participant_id,
        )
    ).scalar_one_or_none()
    return state is not None and CompletionState(state) is CompletionState.COMPLETED


def _graded_points(programme_id: int) -> list[float]:
    """The points of the programme's graded milestones, in the milestones' order."""
    return list(
        db.session.execute(
            sa.select(Milestone.points)
            .where(Milestone.programme_id == programme_id, Milestone.graded.is_(True))
            .order_by(Milestone.position, Milestone.id)
        ).scalars()
    )


def send_scores(
    milestone: Milestone, mentee: Participant, programme: Programme, actor_user_id: int | None,
    *, clear: bool = False, completed: bool | None = None,
) -> None:
    """Put the milestone's and the programme total's current value into the score outbox."""
    user = db.session.get_one(User, mentee.user_id)
    if milestone.graded or clear:
        if completed is None:
            completed = _is_completed(milestone.id, mentee.id)
        completed = completed and not clear
        item = grades.ensure_line_item(
            programme.course_id, MILESTONE_RESOURCE_ID.format(id=milestone.id), MILESTONE_TAG,
            milestone.title, milestone.points or 1.0,
        )
        line_items.adopt_link(item, programme.course_id, [f"milestone:{milestone.id}"])
        score = (
            grades.Score(milestone.points, milestone.points)
            if completed else grades.Score.cleared(milestone.points or 1.0)
        )
        grades.set_score(item, user, score, actor_user_id=actor_user_id)
    _send_total(programme, mentee, user, actor_user_id)


def _placed_link(course_id: int, target: str) -> ResourceLink | None:
    """A link placed for ``target`` whose launch told Ritmo its gradebook column."""
    return db.session.execute(
        sa.select(ResourceLink)
        .where(ResourceLink.course_id == course_id, ResourceLink.target == target,
               ResourceLink.lineitem_url.is_not(None))
        .order_by(ResourceLink.id)
        .limit(1)
    ).scalar_one_or_none()


def _total_wanted(programme: Programme) -> bool:
    """The total goes out when the coordinator asked for it or placed it graded: deep linking
    placed the total (Ritmo keeps its column from then), or the LMS grades the programme's link."""
    setting = (programme.settings or {}).get(GRADE_TOTAL_SETTING)
    if setting:
        return True
    if _placed_link(programme.course_id, "programme") is not None:
        return True
    placed = line_items.find(programme.course_id, TOTAL_RESOURCE_ID.format(id=programme.id))
    return setting is None and placed is not None


def total_label(programme: Programme) -> str:
    """The total column is named for the programme, in the installation's language."""
    with written_for(None):
        return _("%(programme)s: milestones total", programme=programme.title)


def retired_label(title: str) -> str:
    with written_for(None):
        return _("%(title)s (no longer graded in Ritmo)", title=title)


def _send_total(programme: Programme, mentee: Participant, user: User, actor_user_id: int | None) -> None:
    if not _total_wanted(programme):
        return
    maximum = sum(_graded_points(programme.id))
    if maximum <= 0:
        return
    earned = db.session.execute(
        sa.select(sa.func.coalesce(sa.func.sum(Milestone.points), 0.0))
        .join(MilestoneCompletion, MilestoneCompletion.milestone_id == Milestone.id)
        .where(
            Milestone.programme_id == programme.id, Milestone.graded.is_(True),
            MilestoneCompletion.participant_id == mentee.id,
            MilestoneCompletion.state == CompletionState.COMPLETED,
        )
    ).scalar_one()
    item = grades.ensure_line_item(
        programme.course_id, TOTAL_RESOURCE_ID.format(id=programme.id), TOTAL_TAG,
        total_label(programme), maximum,
    )
    if line_items.adopt_link(item, programme.course_id, [TOTAL_TARGET]) is None and item.url is None:
        # The LMS grades the programme's own link (Moodle's "accept grades"): that column.
        link = _placed_link(programme.course_id, "programme")
        item.url = link.lineitem_url if link is not None else None
    activity = grades.ACTIVITY_COMPLETED if earned >= maximum else "InProgress"
    grades.set_score(item, user, grades.Score(float(earned), maximum, activity), actor_user_id=actor_user_id)


def resync_milestone(milestone: Milestone, actor_user_id: int | None, *, clear: bool = False) -> None:
    """Resend the milestone's score to everyone who has one (completed or previously scored)."""
    programme = db.session.get_one(Programme, milestone.programme_id)
    participant_ids = set(
        db.session.execute(
            sa.select(MilestoneCompletion.participant_id).where(
                MilestoneCompletion.milestone_id == milestone.id,
                MilestoneCompletion.state == CompletionState.COMPLETED,
            )
        ).scalars()
    )
    for participant in db.session.execute(
        sa.select(Participant).where(Participant.id.in_(participant_ids))
    ).scalars():
        send_scores(milestone, participant, programme, actor_user_id, clear=clear)


def resync_totals(programme: Programme, actor_user_id: int | None) -> None:
    """The total's maximum changed (a graded milestone added, changed or removed): resend totals."""
    if not _total_wanted(programme):
        return
    mentees = db.session.execute(
        sa.select(Participant)
        .join(MatchMentee, MatchMentee.mentee_id == Participant.id)
        .join(Match, Match.id == MatchMentee.match_id)
        .where(Match.programme_id == programme.id, Match.status.in_(VISIBLE_TO_MEMBERS))
        .distinct()
    ).scalars()
    for mentee in mentees:
        _send_total(programme, mentee, db.session.get_one(User, mentee.user_id), actor_user_id)



def follow_milestone(milestone: Milestone, *, removed: bool = False) -> None:
    """The milestone's column says its title and points; "no longer graded" once ungraded or
    deleted (its grades were cleared), its title again if graded again."""
    programme = db.session.get_one(Programme, milestone.programme_id)
    resource_id = MILESTONE_RESOURCE_ID.format(id=milestone.id)
    item = line_items.find(programme.course_id, resource_id)
    if item is None:
        return
    if milestone.graded and not removed:
        line_items.follow(item, milestone.title, milestone.points or 1.0)
    else:
        line_items.follow(item, retired_label(milestone.title), item.score_maximum)


def follow_total(programme: Programme) -> None:
    """The total column's label and maximum (the sum of graded milestones' points)."""
    item = line_items.find(programme.course_id, TOTAL_RESOURCE_ID.format(id=programme.id))
    if item is None:
        return
    maximum = sum(_graded_points(programme.id))
    if maximum > 0:
        line_items.follow(item, total_label(programme), maximum)
    else:
        line_items.follow(item, retired_label(total_label(programme)), item.score_maximum)
