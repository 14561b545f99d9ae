"""Real failures for the attention list: a score the demo LMS refuses, through the grades outbox."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask

from lti_tool.db import db
from lti_tool.grades.models import DeliveryState, ScoreOutbox
from lti_tool.launch.models import Platform
from lti_tool.mentoring.goals import completion, milestones
from tests.grades.factory import Lms, World, deliver_all, make_world


def failed_delivery(app: Flask, lms: Lms, platform: Platform | None = None) -> tuple[World, ScoreOutbox]:
    """A graded milestone completed by a learner the demo LMS does not know: it answers 400, and
    the outbox row ends failed after a real delivery attempt."""
    gw = make_world(
        platform or lms.register(), matches=1, lineitems_url=lms.lineitems_url, sub=lambda n: "u-stranger"
    )
    milestone = milestones.create_milestone(
        gw.coord, {"title": "First meeting", "graded": True, "points": 5, "requires_confirmation": False}
    )
    completion.mark_done(gw.ctx(gw.mentees[0]), gw.matches[0].id, milestone.id)
    deliver_all(app)
    row = db.session.execute(sa.select(ScoreOutbox)).scalar_one()
    assert row.state is DeliveryState.FAILED
    return gw, row
