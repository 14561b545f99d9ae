"""Daily snapshots (once a day; back-filled only for figures computable from timestamps) and the
trend drawn as an SVG with its table, in English and Italian."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from lti_tool.accounts.models import CourseRole
from lti_tool.db import db
from lti_tool.identity.context import LaunchContext
from lti_tool.identity.session import issue_token
from lti_tool.jobs.registry import TASKS
from lti_tool.mentoring.goals.models import CompletionSource, CompletionState, Milestone, MilestoneCompletion
from lti_tool.mentoring.kpis import trends
from lti_tool.mentoring.kpis.catalogue import CATALOGUE
from lti_tool.mentoring.kpis.models import Direction, KpiSnapshot, KpiTarget
from lti_tool.mentoring.programmes.models import ParticipantRole
from tests.mentoring.kpis.factories import DAY
from tests.mentoring.programmes.factories import World, world
from tests.session_codes import rh


@pytest.fixture
def w(app) -> World:
    w = world()
    now = trends.utcnow()
    mentees = [w.person(f"Mentee {n}", ParticipantRole.MENTEE) for n in range(3)]
    for person in mentees:  # joined ten days ago
        person.created_at = now - 10 * DAY
    w.coordinator_participant = None
    milestone = Milestone(programme_id=w.programme.id, title="Kick-off")
    db.session.add(milestone)
    db.session.flush()
    # Completions 5, 3 and 3 days ago: the back-filled trend rises 0, 1, 3.
    for person, days in zip(mentees, (5, 3, 3), strict=True):
        db.session.add(
            MilestoneCompletion(
                milestone_id=milestone.id,
                participant_id=person.id,
                state=CompletionState.COMPLETED,
                source=CompletionSource.MANUAL,
                completed_at=now - days * DAY + timedelta(minutes=1),
            )
        )
    db.session.commit()
    return w


def stored(w: World) -> dict[tuple[str, object], tuple[float | None, bool]]:
    rows = db.session.execute(
        sa.select(KpiSnapshot).where(KpiSnapshot.programme_id == w.programme.id)
    ).scalars()
    return {(r.kpi, r.day): (r.value, r.backfilled) for r in rows}


def test_snapshots_are_taken_once_a_day_and_backfilled_where_history_allows(w: World) -> None:
    now = trends.utcnow()
    written = trends.snapshot(w.programme, now)
    db.session.commit()
    rows = stored(w)
    assert written == len(rows)
    today = now.date()
    # Today: every catalogue figure; the days before: only the historical ones.
    assert {k for k, day in rows if day == today} == {k.key for k in CATALOGUE}
    past = {k for k, day in rows if day < today}
    assert past == {k.key for k in CATALOGUE if k.historical}
    assert "participation" not in past and "milestones_completed" in past
    assert rows[("milestones_completed", today - timedelta(days=6))] == (0.0, True)
    assert rows[("milestones_completed", today - timedelta(days=4))][0] == 1.0
    assert rows[("milestones_completed", today - timedelta(days=2))][0] == 3.0
    assert rows[("milestones_completed", today)] == (3.0, False)
    # Ten days of history (people joined 10 days ago), today included.
    assert min(day for _k, day in rows) == today - timedelta(days=10)

    # Run again later the same day (halfway to midnight: "two hours later" is tomorrow after 22:00),
    # after another completion: nothing new, today's value is kept.
    db.session.query(MilestoneCompletion).update({"completed_at": now - timedelta(minutes=5)})
    midnight = datetime.combine(today + timedelta(days=1), time(), tzinfo=UTC)
    assert trends.snapshot(w.programme, now + (midnight - now) / 2) == 0
    db.session.commit()
    assert stored(w) == rows
    # The next day: one row per figure.
    assert trends.snapshot(w.programme, now + DAY) == len(CATALOGUE)


def test_the_periodic_task_snapshots_every_programme(w: World) -> None:
    TASKS[trends.TASK]({})
    TASKS[trends.TASK]({})
    count = db.session.execute(
        sa.select(sa.func.count()).select_from(KpiSnapshot).where(KpiSnapshot.day == trends.utcnow().date())
    ).scalar_one()
    assert count == len(CATALOGUE)


def _page(client, w: World, locale: str, path: str = "") -> str:
    token = issue_token(
        LaunchContext(
            platform_id=w.platform.id,
            user_id=w.coordinator.id,
            course_id=w.course.id,
            role=CourseRole.COORDINATOR,
            locale=locale,
        )
    )
    response = client.get(f"/programmes/{w.programme.id}/kpis{path}", query_string={"rh": rh(token)})
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("locale", "value", "target", "met_word"),
    [
        ("en", "3", "2.5", "Meets the target"),
        ("it", "3", "2,5", None),
    ],
)
def test_the_trend_is_an_svg_with_a_table_in_the_readers_language(
    client, w, locale, value, target, met_word
) -> None:
    trends.snapshot(w.programme, trends.utcnow())
    db.session.add(
        KpiTarget(
            programme_id=w.programme.id, kpi="milestones_completed", target=2.5, direction=Direction.AT_LEAST
        )
    )
    db.session.commit()
    html = _page(client, w, locale)
    assert f'<html lang="{locale}">' in html
    article = html[html.index('data-kpi-entry="milestones_completed"') :]
    article = article[: article.index("</article>")]
    svg = re.search(
        r'<svg id="kpi-milestones_completed-chart" role="img" '
        r'aria-labelledby="kpi-milestones_completed-title kpi-milestones_completed-desc".*?</svg>',
        article,
        re.S,
    )
    assert svg, article
    assert '<title id="kpi-milestones_completed-title">' in svg.group(0)
    assert '<desc id="kpi-milestones_completed-desc">' in svg.group(0)
    assert "<script" not in html[html.index("<svg") : html.rindex("</svg>")]
    assert "data-target-line" in svg.group(0)
    assert len(re.findall(r"<circle ", svg.group(0))) == 11  # ten back-filled days and today
    table = re.search(r'<table id="kpi-milestones_completed-table">.*?</table>', article, re.S).group(0)
    assert len(re.findall(r"<tr><th scope=\"row\">", table)) == 11
    assert f"<td>{value}</td>" in table
    # Met, said in words with an icon (the colour only repeats it); the target formatted by Babel.
    assert 'data-standing="met"' in article and "✔" in article
    assert target in article
    if met_word:
        assert met_word in article
    else:  # the existing Italian catalogue: the dashboard's own headings are translated
        assert "Partecipanti" in html


def test_percentages_and_decimals_follow_the_language(client, w: World) -> None:
    db.session.add(KpiTarget(programme_id=w.programme.id, kpi="participation", target=12.5))
    db.session.commit()
    assert "12.5%" in _page(client, w, "en", "/participation")
    assert "12,5%" in _page(client, w, "it", "/participation")
