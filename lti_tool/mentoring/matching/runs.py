"""Matching runs: one queued at a time per programme, solved in the background, stored as proposals.

A run loads the pool, solves the engine problem, explains each pair and replaces the programme's
unlocked proposals with its own; its progress is committed as it goes so the coordinator's page can
follow it. Without approval required, the new proposals start at once.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
import sqlalchemy as sa
from flask_babel import gettext as _

from lti_tool import audit
from lti_tool.db import db, utcnow
from lti_tool.errors import Conflict, NotFound
from lti_tool.identity.context import LaunchContext
from lti_tool.jobs import enqueue
from lti_tool.mentoring.matching import problem as build
from lti_tool.mentoring.matching.engine import MatchingResult, solve
from lti_tool.mentoring.matching.lifecycle import activate
from lti_tool.mentoring.matching.models import (
    Match,
    MatchMentee,
    MatchRun,
    MatchStatus,
    RunState,
    UnmatchedMentee,
)
from lti_tool.mentoring.matching.pool import Pool, load_pool
from lti_tool.mentoring.programmes.models import MatchingMode, Programme

log = logging.getLogger(__name__)

RUN_TASK = "matching.run"


def start_run(ctx: LaunchContext, programme: Programme) -> MatchRun:
    """Queue a matching run; only one runs at a time per programme."""
    busy = db.session.execute(
        sa.select(MatchRun.id).where(
            MatchRun.programme_id == programme.id, MatchRun.state.in_([RunState.QUEUED, RunState.RUNNING])
        )
    ).first()
    if busy is not None:
        raise Conflict(_("A matching is already running for this programme; wait for it to finish."))
    run = MatchRun(programme_id=programme.id, requested_by_user_id=ctx.user_id, summary={})
    db.session.add(run)
    db.session.flush()
    enqueue(RUN_TASK, {"run_id": run.id}, max_attempts=1)
    audit.record(
        "matching.run_requested", "programme", programme.id, actor_user_id=ctx.user_id, run_id=run.id
    )
    db.session.commit()
    return run


def get_run(programme: Programme, run_id: int) -> MatchRun:
    run = db.session.get(MatchRun, run_id)
    if run is None or run.programme_id != programme.id:
        raise NotFound(_("This matching run does not exist in the programme."))
    return run


def latest_run(programme: Programme) -> MatchRun | None:
    return db.session.execute(
        sa.select(MatchRun).where(MatchRun.programme_id == programme.id).order_by(MatchRun.id.desc()).limit(1)
    ).scalar_one_or_none()


def _progress(run: MatchRun, stage: str, percent: int) -> None:
    """Commit progress so the coordinator's page sees it while the run goes on."""
    run.stage, run.progress = stage, percent
    db.session.commit()


def run_matching(payload: dict[str, Any]) -> None:
    run = db.session.get(MatchRun, int(payload["run_id"]))
    if run is None or run.state is not RunState.QUEUED:
        return
    run.state, run.started_at = RunState.RUNNING, utcnow()
    _progress(run, "loading", 5)
    try:
        execute_run(run)
    except Exception as error:  # the run is over either way: show why instead of retrying blindly
        db.session.rollback()
        log.exception("matching run %s failed", run.id)
        run = db.session.get(MatchRun, int(payload["run_id"]))
        assert run is not None
        run.state, run.error, run.finished_at = RunState.FAILED, f"{type(error).__name__}: {error}", utcnow()
        run.stage = "failed"
        db.session.commit()


def execute_run(run: MatchRun) -> None:
    programme = db.session.get(Programme, run.programme_id)
    assert programme is not None
    pool = load_pool(programme)
    _progress(run, "solving", 30)
    result = solve(pool.built.problem)
    _progress(run, "explaining", 70)
    pairs = [p for p in result.pairs if not p.locked]
    explanations = build.explain_pairs(pool.built, [p.mentee for p in pairs], [p.mentor for p in pairs])
    _progress(run, "saving", 85)
    created = _store(run, pool, result, pairs, explanations)
    run.summary = {
        "mentees": len(pool.mentees),
        "mentors": len(pool.mentors),
        "matched": result.matched_count,
        "unmatched": len(result.unmatched),
        "locked": int(np.count_nonzero(result.locked)),
        "total_score": round(result.total_score, 4),
        "mean_score": round(result.total_score / result.matched_count, 4) if result.matched_count else None,
        "timings": {k: round(v, 3) for k, v in result.timings.items()},
        "rejected_locks": [
            {"mentee_id": pool.built.mentee_ids[i], "mentor_id": pool.built.mentor_ids[j], "reason": why}
            for i, j, why in result.rejected_locks
        ],
    }
    run.state, run.stage, run.progress, run.finished_at = RunState.DONE, "done", 100, utcnow()
    audit.record(
        "matching.run_finished",
        "programme",
        programme.id,
        actor_user_id=run.requested_by_user_id,
        run_id=run.id,
        matched=result.matched_count,
        unmatched=len(result.unmatched),
    )
    if not programme.requires_approval and created:
        activate(programme, created, actor_user_id=run.requested_by_user_id, why=_("approval not required"))
    db.session.commit()


def _store(
    run: MatchRun,
    pool: Pool,
    result: MatchingResult,
    pairs: Sequence[Any],
    explanations: Sequence[dict[str, Any]],
) -> list[int]:
    """Replace the programme's unlocked proposals by the run's; returns the new match ids."""
    programme = pool.programme
    proposed = sa.select(Match.id).where(
        Match.programme_id == programme.id, Match.status == MatchStatus.PROPOSED
    )
    db.session.execute(
        sa.delete(MatchMentee).where(MatchMentee.match_id.in_(proposed), MatchMentee.locked.is_(False))
    )
    kept = sa.select(MatchMentee.match_id)
    db.session.execute(sa.delete(Match).where(Match.id.in_(proposed), Match.id.not_in(kept)))
    group = programme.matching_mode is not MatchingMode.ONE_TO_ONE
    existing: dict[int, int] = {}
    if group:
        existing = {
            mentor: mid
            for mid, mentor in db.session.execute(
                sa.select(Match.id, Match.mentor_id).where(
                    Match.programme_id == programme.id, Match.status == MatchStatus.PROPOSED
                )
            ).all()
        }
    ids = pool.built
    new_rows: list[dict[str, Any]] = []
    owners: list[int] = []
    for pair in pairs:
        mentor_id = ids.mentor_ids[pair.mentor]
        if group and mentor_id in existing:
            owners.append(existing[mentor_id])
            continue
        new_rows.append(
            {
                "programme_id": programme.id,
                "mentor_id": mentor_id,
                "status": MatchStatus.PROPOSED,
                "explanation": {},
                "locked": False,
                "run_id": run.id,
                "created_at": utcnow(),
            }
        )
        owners.append(-len(new_rows))  # placeholder: index into new_rows
        if group:
            existing[mentor_id] = -len(new_rows)
    created: list[int] = []
    if new_rows:
        created = list(
            db.session.scalars(sa.insert(Match).returning(Match.id, sort_by_parameter_order=True), new_rows)
        )
    members = []
    for k, pair in enumerate(pairs):
        owner = owners[k]
        if owner < 0:
            owner = created[-owner - 1]
        members.append(
            {
                "match_id": owner,
                "mentee_id": ids.mentee_ids[pair.mentee],
                "score": pair.score,
                "explanation": explanations[k],
                "locked": False,
            }
        )
    if members:
        db.session.execute(sa.insert(MatchMentee), members)
    average = (
        sa.select(sa.func.avg(MatchMentee.score)).where(MatchMentee.match_id == Match.id).scalar_subquery()
    )
    db.session.execute(
        sa.update(Match)
        .where(Match.programme_id == programme.id, Match.status == MatchStatus.PROPOSED)
        .values(score=average)
    )
    if result.unmatched:
        db.session.execute(
            sa.insert(UnmatchedMentee),
            [
                {
                    "run_id": run.id,
                    "participant_id": ids.mentee_ids[u.mentee],
                    "code": u.code.value,
                    "reason": u.reason[:512],
                }
                for u in result.unmatched
            ],
        )
    return created

