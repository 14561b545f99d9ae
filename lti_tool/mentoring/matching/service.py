"""Matching rules: runs in the background, review and edits, approval, mentee choice, history.

Every decision that changes who is paired with whom is written to the audit trail
(``subject_type="match"``) with who took it, when and why.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, timedelta
from typing import Any

import numpy as np
import sqlalchemy as sa
from babel import dates as babel_dates
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from lti_tool import audit
from lti_tool.accounts.models import User
from lti_tool.db import db, utcnow
from lti_tool.errors import Conflict, Forbidden, InvalidInput, NotFound
from lti_tool.events import DomainEvent, emit
from lti_tool.i18n import language_of
from lti_tool.identity.context import LaunchContext
from lti_tool.jobs import enqueue, task
from lti_tool.mentoring.matching import problem as build
from lti_tool.mentoring.matching.engine import MatchingResult, solve
from lti_tool.mentoring.matching.models import (
    EndReason,
    Match,
    MatchMentee,
    MatchRequest,
    MatchRun,
    MatchStatus,
    RequestStatus,
    RunState,
    UnmatchedMentee,
)
from lti_tool.mentoring.profiles import service as profiles
from lti_tool.mentoring.programmes.models import (
    MatchingMode,
    Participant,
    ParticipantRole,
    ParticipantStatus,
    Programme,
)
from lti_tool.safety.names import clean_name

log = logging.getLogger(__name__)

RUN_TASK = "matching.run"
EXPIRE_TASK = "matching.expire_request"
#: Default hours a mentor has to answer a mentee's request (``settings["request_deadline_hours"]``).
DEFAULT_REQUEST_DEADLINE_HOURS = 72
RECOMMENDATIONS = 3
#: Matches that hold a mentor's place and a mentee's.
LIVE = (MatchStatus.PROPOSED, MatchStatus.APPROVED, MatchStatus.ACTIVE)
CONFIRMED = (MatchStatus.APPROVED, MatchStatus.ACTIVE)
GATES_MODULE = "lti_tool.mentoring.webinars.training_gates"
#: How a match's history names each decision this service records about it (``audit.record`` actions).
DECISION_TITLES: dict[str, LazyString] = {
    "match.assigned": _l("Matching: assigned by a coordinator"),
    "match.swapped": _l("Matching: mentors swapped"),
    "match.locked": _l("Matching: pair locked"),
    "match.unlocked": _l("Matching: pair unlocked"),
    "match.removed": _l("Matching: proposal removed"),
    "match.activated": _l("Matching: match started"),
    "match.ended": _l("Matching: match ended"),
    "match.rematch_requested": _l("Matching: new match requested"),
    "match.accepted_request": _l("Matching: request accepted"),
}


# -- seams to other features ---------------------------------------------------------------------


def decision_title(action: str) -> str:
    """The history's title for a recorded matching decision (never the raw action code)."""
    title = DECISION_TITLES.get(action)
    return str(title) if title is not None else _("Matching decision")


def training_gate() -> Callable[[int, int], str | None] | None:
    """The training feature's ``blocked_reason(programme_id, participant_id)``, when it exists."""
    try:
        module = importlib.import_module(GATES_MODULE)
    except ImportError:
        return None
    return getattr(module, "blocked_reason", None)


def notify(user_id: int, kind: str, subject: str, text: str, link: str | None = None) -> None:
    """Tell a person in the app and by e-mail (notifications feature), or by e-mail alone."""
    try:
        from lti_tool.notifications.service import notify as send
    except ImportError:
        user = db.session.get(User, user_id)
        if user is not None and user.email:
            from lti_tool.mail import send_email

            send_email(user.email, subject, text)
        return
    send(user_id, kind, subject, text, link=link)


# -- people --------------------------------------------------------------------------------------


def capacity_of(programme: Programme, mentor: Participant) -> int:
    if programme.matching_mode is MatchingMode.ONE_TO_ONE:
        return 1
    return mentor.capacity if mentor.capacity is not None else programme.default_capacity


def _participants(programme_id: int, role: ParticipantRole) -> list[Participant]:
    return list(
        db.session.execute(
            sa.select(Participant)
            .where(
                Participant.programme_id == programme_id,
                Participant.role == role,
                Participant.status != ParticipantStatus.WITHDRAWN,
            )
            .order_by(Participant.id)
        ).scalars()
    )


def _load(programme_id: int, statuses: Sequence[MatchStatus]) -> dict[int, int]:
    """Mentees per mentor in matches of the given statuses."""
    rows = db.session.execute(
        sa.select(Match.mentor_id, sa.func.count(MatchMentee.id))
        .join(MatchMentee, MatchMentee.match_id == Match.id)
        .where(Match.programme_id == programme_id, Match.status.in_(statuses))
        .group_by(Match.mentor_id)
    ).all()
    return {mentor: count for mentor, count in rows}


def _matched_mentees(programme_id: int, statuses: Sequence[MatchStatus]) -> set[int]:
    return set(
        db.session.execute(
            sa.select(MatchMentee.mentee_id)
            .join(Match, MatchMentee.match_id == Match.id)
            .where(Match.programme_id == programme_id, Match.status.in_(statuses))
        ).scalars()
    )


def _forbidden(programme_id: int) -> list[tuple[int, int]]:
    """Pairs never proposed again: ended by a rematch request or removed by a coordinator."""
    return [
        (a, b)
        for a, b in db.session.execute(
            sa.select(MatchMentee.mentee_id, Match.mentor_id)
            .join(Match, MatchMentee.match_id == Match.id)
            .where(
                Match.programme_id == programme_id,
                Match.status == MatchStatus.ENDED,
                Match.end_reason.in_([EndReason.REMATCH, EndReason.REMOVED]),
            )
        ).all()
    ]


def _blocked(
    programme: Programme,
    people: Sequence[Participant],
    answers: dict[int, dict[int, Any]],
    by_role: dict[ParticipantRole, list[Any]],
) -> dict[int, str]:
    reasons = profiles.missing_reasons(people, by_role, answers)
    gate = training_gate()
    if gate is not None:
        for p in people:
            if p.id not in reasons:
                why = gate(programme.id, p.id)
                if why:
                    reasons[p.id] = str(why)
    for p in people:
        if p.status is ParticipantStatus.PAUSED and p.id not in reasons:
            reasons[p.id] = _("paused their availability")
    return reasons


@dataclass
class Pool:
    """Everything a run, a recommendation or a why-not needs, loaded once."""

    programme: Programme
    built: build.Built
    mentees: dict[int, Participant]
    mentors: dict[int, Participant]
    blocked: dict[int, str]
    room: dict[int, int]


def load_pool(
    programme: Programme,
    *,
    mentee_ids: Sequence[int] | None = None,
    mentor_ids: Sequence[int] | None = None,
    keep_proposals: bool = False,
    include_matched: bool = False,
) -> Pool:
    """Build the engine problem for a programme as it stands now.

    Mentees already in confirmed matches are left out (unless ``include_matched``); mentors' room is
    their capacity minus confirmed load. Locked proposals become locked pairs; with
    ``keep_proposals`` every live proposal counts as load instead (recommendations).
    """
    questions = profiles.questions(programme.id)
    by_role = {
        role: profiles.questions(programme.id, role)
        for role in (ParticipantRole.MENTEE, ParticipantRole.MENTOR)
    }
    mentees = _participants(programme.id, ParticipantRole.MENTEE)
    mentors = _participants(programme.id, ParticipantRole.MENTOR)
    if mentee_ids is not None:
        wanted = set(mentee_ids)
        mentees = [p for p in mentees if p.id in wanted]
    if mentor_ids is not None:
        wanted = set(mentor_ids)
        mentors = [p for p in mentors if p.id in wanted]
    taken = _matched_mentees(programme.id, LIVE if keep_proposals else CONFIRMED)
    if not include_matched:
        mentees = [p for p in mentees if p.id not in taken]
    answers = profiles.answers_for([p.id for p in (*mentees, *mentors)])
    blocked = _blocked(programme, [*mentees, *mentors], answers, by_role)
    load = _load(programme.id, LIVE if keep_proposals else CONFIRMED)
    room = {m.id: max(capacity_of(programme, m) - load.get(m.id, 0), 0) for m in mentors}
    locked: list[tuple[int, int]] = []
    if not keep_proposals:
        locked = [
            (a, b)
            for a, b in db.session.execute(
                sa.select(MatchMentee.mentee_id, Match.mentor_id)
                .join(Match, MatchMentee.match_id == Match.id)
                .where(
                    Match.programme_id == programme.id,
                    Match.status == MatchStatus.PROPOSED,
                    MatchMentee.locked.is_(True),
                )
            ).all()
        ]
    built = build.build(
        questions,
        [(p.id, answers[p.id], blocked.get(p.id)) for p in mentees],
        [(p.id, answers[p.id], blocked.get(p.id), room[p.id]) for p in mentors],
        capacity=programme.default_capacity,
        group=programme.matching_mode is not MatchingMode.ONE_TO_ONE,
        locked=locked,
        forbidden=_forbidden(programme.id),
    )
    return Pool(programme, built, {p.id: p for p in mentees}, {p.id: p for p in mentors}, blocked, room)


# -- runs ----------------------------------------------------------------------------------------


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


@task(RUN_TASK)
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
        _activate(programme, created, actor_user_id=run.requested_by_user_id, why=_("approval not required"))
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


# -- review --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    items: list[Any]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _names() -> tuple[Any, Any, Any, Any]:
    mentee_p = sa.orm.aliased(Participant)
    mentor_p = sa.orm.aliased(Participant)
    mentee_u = sa.orm.aliased(User)
    mentor_u = sa.orm.aliased(User)
    return mentee_p, mentor_p, mentee_u, mentor_u


def _name_filter(query: Any, users: Sequence[Any], search: str | None) -> Any:
    if not search:
        return query
    like = f"%{search.strip().lower()}%"
    return query.where(
        sa.or_(*[sa.or_(sa.func.lower(u.name).like(like), sa.func.lower(u.email).like(like)) for u in users])
    )


def review(
    programme: Programme,
    *,
    status: MatchStatus = MatchStatus.PROPOSED,
    search: str | None = None,
    page: int = 1,
    per_page: int = 50,
    order: str = "score_desc",
) -> Page:
    """Pairs of a programme in one status, best score first (or worst), with names, paginated."""
    mentee_p, mentor_p, mentee_u, mentor_u = _names()
    query = (
        sa.select(MatchMentee, Match, mentee_u, mentor_u)
        .join(Match, MatchMentee.match_id == Match.id)
        .join(mentee_p, MatchMentee.mentee_id == mentee_p.id)
        .join(mentee_u, mentee_p.user_id == mentee_u.id)
        .join(mentor_p, Match.mentor_id == mentor_p.id)
        .join(mentor_u, mentor_p.user_id == mentor_u.id)
        .where(Match.programme_id == programme.id, Match.status == status)
    )
    query = _name_filter(query, (mentee_u, mentor_u), search)
    total = db.session.execute(sa.select(sa.func.count()).select_from(query.subquery())).scalar_one()
    score = sa.func.coalesce(MatchMentee.score, -1.0)
    ordering = score.asc() if order == "score_asc" else score.desc()
    rows = db.session.execute(
        query.order_by(ordering, MatchMentee.id).offset((page - 1) * per_page).limit(per_page)
    ).all()
    items = [
        {
            "match_id": match.id,
            "pair_id": member.id,
            "status": match.status.value,
            "mentee": {"id": member.mentee_id, "name": mentee.display_name},
            "mentor": {"id": match.mentor_id, "name": mentor.display_name},
            "score": member.score,
            "locked": member.locked,
            "explanation": member.explanation or {},
            "started_at": match.started_at,
        }
        for member, match, mentee, mentor in rows
    ]
    return Page(items, total, page, per_page)


def unmatched(
    programme: Programme, run: MatchRun, *, search: str | None = None, page: int = 1, per_page: int = 50
) -> Page:
    """Mentees a run left without a mentor, with the reason, paginated."""
    query = (
        sa.select(UnmatchedMentee, User)
        .join(Participant, UnmatchedMentee.participant_id == Participant.id)
        .join(User, Participant.user_id == User.id)
        .where(UnmatchedMentee.run_id == run.id)
    )
    query = _name_filter(query, (User,), search)
    total = db.session.execute(sa.select(sa.func.count()).select_from(query.subquery())).scalar_one()
    rows = db.session.execute(
        query.order_by(UnmatchedMentee.id).offset((page - 1) * per_page).limit(per_page)
    ).all()
    items = [
        {"mentee": {"id": u.participant_id, "name": user.display_name}, "code": u.code, "reason": u.reason}
        for u, user in rows
    ]
    return Page(items, total, page, per_page)


def _participant(programme: Programme, participant_id: int, role: ParticipantRole, field: str) -> Participant:
    person = db.session.get(Participant, participant_id)
    if person is None or person.programme_id != programme.id or person.role is not role:
        message = (
            _("Choose a mentor of this programme.")
            if role is ParticipantRole.MENTOR
            else _("Choose a mentee of this programme.")
        )
        raise InvalidInput(errors={field: [message]})
    return person


def why_not(programme: Programme, mentee_id: int, mentor_id: int) -> dict[str, Any]:
    """Why the engine would not (or did not) pair this mentee with this mentor, in plain words."""
    mentee = _participant(programme, mentee_id, ParticipantRole.MENTEE, "mentee_id")
    mentor = _participant(programme, mentor_id, ParticipantRole.MENTOR, "mentor_id")
    pool = load_pool(programme, mentee_ids=[mentee.id], mentor_ids=[mentor.id], include_matched=True)
    reasons: list[str] = []
    if mentee.id in pool.blocked:
        reasons.append(_("The mentee is not available for matching: %(r)s.", r=pool.blocked[mentee.id]))
    if mentor.id in pool.blocked:
        reasons.append(_("The mentor is not available for matching: %(r)s.", r=pool.blocked[mentor.id]))
    for text in build.check_pair(pool.built, 0, 0):
        reasons.append(_("A hard constraint rules the pair out: %(t)s.", t=text))
    if (mentee.id, mentor.id) in set(_forbidden(programme.id)):
        reasons.append(
            _("This pair ended before (rematch or removed by a coordinator), so it is not proposed again.")
        )
    if pool.room.get(mentor.id, 0) <= 0:
        reasons.append(_("The mentor has no room left (capacity %(c)d).", c=capacity_of(programme, mentor)))
    explanation = build.explain_pairs(pool.built, [0], [0])[0]
    current = db.session.execute(
        sa.select(MatchMentee, Match)
        .join(Match, MatchMentee.match_id == Match.id)
        .where(MatchMentee.mentee_id == mentee.id, Match.status.in_(LIVE))
    ).first()
    instead = None
    if current is not None:
        member, match = current
        instead = {
            "match_id": match.id,
            "mentor_id": match.mentor_id,
            "score": member.score,
            "status": match.status.value,
        }
        if match.mentor_id == mentor.id:
            reasons.append(_("They are already paired."))
        elif member.score is not None and member.score >= explanation["score"]:
            reasons.append(
                _(
                    "The mentee's current mentor scores higher (%(a).2f against %(b).2f).",
                    a=member.score,
                    b=explanation["score"],
                )
            )
        else:
            reasons.append(
                _(
                    "Giving this mentor to the mentee would leave the programme with fewer matches "
                    "or a lower total score overall."
                )
            )
    if not reasons:
        reasons.append(_("Nothing rules the pair out; run the matching again or assign them by hand."))
    return {
        "mentee_id": mentee.id,
        "mentor_id": mentor.id,
        "allowed": not build.check_pair(pool.built, 0, 0),
        "reasons": reasons,
        "score": explanation["score"],
        "explanation": explanation,
        "current": instead,
    }


# -- edits ---------------------------------------------------------------------------------------


def get_match(programme: Programme, match_id: int) -> Match:
    match = db.session.get(Match, match_id)
    if match is None or match.programme_id != programme.id:
        raise NotFound(_("This match does not exist in the programme."))
    return match


def _pair(programme: Programme, mentee_id: int) -> tuple[MatchMentee, Match]:
    row = db.session.execute(
        sa.select(MatchMentee, Match)
        .join(Match, MatchMentee.match_id == Match.id)
        .where(
            MatchMentee.mentee_id == mentee_id,
            Match.programme_id == programme.id,
            Match.status == MatchStatus.PROPOSED,
        )
    ).first()
    if row is None:
        raise NotFound(_("This mentee has no proposed mentor; run the matching or assign one."))
    return row[0], row[1]


def set_locked(ctx: LaunchContext, programme: Programme, mentee_ids: Sequence[int], locked: bool) -> int:
    """Lock (or unlock) proposed pairs so re-runs keep them."""
    count = 0
    for mentee_id in mentee_ids:
        member, match = _pair(programme, mentee_id)
        member.locked = locked
        match.locked = locked or any(m.locked for m in match.members)
        audit.record(
            "match.locked" if locked else "match.unlocked",
            "match",
            match.id,
            actor_user_id=ctx.user_id,
            mentee_id=mentee_id,
        )
        count += 1
    db.session.commit()
    return count


def remove(ctx: LaunchContext, programme: Programme, mentee_ids: Sequence[int], reason: str = "") -> int:
    """Drop proposed pairs; re-runs will not propose those pairs again."""
    count = 0
    for mentee_id in mentee_ids:
        member, match = _pair(programme, mentee_id)
        _detach(match, member, EndReason.REMOVED)
        audit.record(
            "match.removed",
            "match",
            match.id,
            actor_user_id=ctx.user_id,
            mentee_id=mentee_id,
            mentor_id=match.mentor_id,
            reason=reason,
        )
        count += 1
    db.session.commit()
    return count


def _detach(match: Match, member: MatchMentee, why: EndReason) -> None:
    """Take one mentee out of a proposal, keeping an ended record of the pair."""
    ended = Match(
        programme_id=match.programme_id,
        mentor_id=match.mentor_id,
        status=MatchStatus.ENDED,
        score=member.score,
        explanation={},
        end_reason=why,
        ended_at=utcnow(),
        run_id=match.run_id,
    )
    ended.members.append(
        MatchMentee(mentee_id=member.mentee_id, score=member.score, explanation=member.explanation)
    )
    db.session.add(ended)
    match.members.remove(member)
    db.session.flush()
    if not match.members:
        db.session.delete(match)
    else:
        scores = [m.score for m in match.members if m.score is not None]
        match.score = sum(scores) / len(scores) if scores else None


def assign(
    ctx: LaunchContext, programme: Programme, mentee_id: int, mentor_id: int, *, force: bool = False
) -> Match:
    """Propose ``mentor`` for ``mentee`` by hand (moving the mentee if proposed elsewhere); locked."""
    mentee = _participant(programme, mentee_id, ParticipantRole.MENTEE, "mentee_id")
    mentor = _participant(programme, mentor_id, ParticipantRole.MENTOR, "mentor_id")
    if mentee.id in _matched_mentees(programme.id, CONFIRMED):
        raise Conflict(_("This mentee already has an approved match; end it first."))
    pool = load_pool(programme, mentee_ids=[mentee.id], mentor_ids=[mentor.id], include_matched=True)
    broken = build.check_pair(pool.built, 0, 0)
    if broken and not force:
        raise Conflict(
            _(
                "The pair breaks the programme's rules: %(r)s. Confirm to assign them anyway.",
                r="; ".join(broken),
            ),
            errors={"force": [_("Set force to assign anyway.")]},
        )
    load = _load(programme.id, LIVE).get(mentor.id, 0)
    try:
        current_member, current = _pair(programme, mentee.id)
    except NotFound:
        current_member, current = None, None
    if current is not None and current.mentor_id == mentor.id:
        current_member.locked = True  # type: ignore[union-attr]
        current.locked = True
        db.session.commit()
        return current
    if load >= capacity_of(programme, mentor) and not force:
        raise Conflict(
            _("This mentor has no room left; remove one of their mentees or confirm to go over."),
            errors={"force": [_("Set force to go over capacity.")]},
        )
    explanation = build.explain_pairs(pool.built, [0], [0])[0]
    if current is not None and current_member is not None:
        current.members.remove(current_member)
        db.session.flush()
        if not current.members:
            db.session.delete(current)
    target = None
    if programme.matching_mode is not MatchingMode.ONE_TO_ONE:
        target = db.session.execute(
            sa.select(Match)
            .where(
                Match.programme_id == programme.id,
                Match.mentor_id == mentor.id,
                Match.status == MatchStatus.PROPOSED,
            )
            .limit(1)
        ).scalar_one_or_none()
    if target is None:
        target = Match(
            programme_id=programme.id, mentor_id=mentor.id, status=MatchStatus.PROPOSED, explanation={}
        )
        db.session.add(target)
    target.members.append(
        MatchMentee(mentee_id=mentee.id, score=explanation["score"], explanation=explanation, locked=True)
    )
    target.locked = True
    db.session.flush()
    scores = [m.score for m in target.members if m.score is not None]
    target.score = sum(scores) / len(scores) if scores else None
    audit.record(
        "match.assigned",
        "match",
        target.id,
        actor_user_id=ctx.user_id,
        mentee_id=mentee.id,
        mentor_id=mentor.id,
        previous_mentor_id=current.mentor_id if current else None,
        forced=bool(force and broken),
        broken_rules=broken,
    )
    db.session.commit()
    return target


def swap(
    ctx: LaunchContext, programme: Programme, mentee_a: int, mentee_b: int, *, force: bool = False
) -> None:
    """Exchange the proposed mentors of two mentees (both pairs become locked)."""
    member_a, match_a = _pair(programme, mentee_a)
    member_b, match_b = _pair(programme, mentee_b)
    if match_a.mentor_id == match_b.mentor_id:
        raise InvalidInput(errors={"mentee_ids": [_("Both mentees have the same mentor; nothing to swap.")]})
    pool = load_pool(
        programme,
        mentee_ids=[mentee_a, mentee_b],
        mentor_ids=[match_a.mentor_id, match_b.mentor_id],
        include_matched=True,
    )
    ia, ib = pool.built.mentee_ids.index(mentee_a), pool.built.mentee_ids.index(mentee_b)
    ja, jb = pool.built.mentor_ids.index(match_a.mentor_id), pool.built.mentor_ids.index(match_b.mentor_id)
    broken = build.check_pair(pool.built, ia, jb) + build.check_pair(pool.built, ib, ja)
    if broken and not force:
        raise Conflict(
            _("The swap breaks the programme's rules: %(r)s. Confirm to swap anyway.", r="; ".join(broken)),
            errors={"force": [_("Set force to swap anyway.")]},
        )
    new_a, new_b = build.explain_pairs(pool.built, [ia, ib], [jb, ja])
    member_a.match_id, member_b.match_id = match_b.id, match_a.id
    member_a.score, member_a.explanation, member_a.locked = new_a["score"], new_a, True
    member_b.score, member_b.explanation, member_b.locked = new_b["score"], new_b, True
    db.session.flush()
    for match in (match_a, match_b):
        db.session.refresh(match)
        scores = [m.score for m in match.members if m.score is not None]
        match.score = sum(scores) / len(scores) if scores else None
        match.locked = True
    audit.record(
        "match.swapped",
        "match",
        match_a.id,
        actor_user_id=ctx.user_id,
        mentee_ids=[mentee_a, mentee_b],
        mentor_ids=[match_a.mentor_id, match_b.mentor_id],
        other_match_id=match_b.id,
    )
    db.session.commit()


# -- approval and life of a match ----------------------------------------------------------------


def approve(ctx: LaunchContext, programme: Programme, match_ids: Sequence[int] | None = None) -> int:
    """Approve proposals (all of them when ``match_ids`` is None): they become active, people are told."""
    query = sa.select(Match.id).where(
        Match.programme_id == programme.id, Match.status == MatchStatus.PROPOSED
    )
    if match_ids is not None:
        query = query.where(Match.id.in_(match_ids))
    ids = list(db.session.execute(query).scalars())
    if match_ids is not None and len(ids) != len(set(match_ids)):
        raise InvalidInput(
            errors={
                "match_ids": [
                    _("Some of these matches are not proposals of this programme; reload the list.")
                ]
            }
        )
    _activate(programme, ids, actor_user_id=ctx.user_id, why=_("approved by a coordinator"))
    db.session.commit()
    return len(ids)


def _activate(programme: Programme, match_ids: Sequence[int], *, actor_user_id: int | None, why: str) -> None:
    now = utcnow()
    for match_id in match_ids:
        match = db.session.get(Match, match_id)
        if match is None or match.status is not MatchStatus.PROPOSED:
            continue
        match.status, match.started_at = MatchStatus.ACTIVE, now
        audit.record(
            "match.activated",
            "match",
            match.id,
            actor_user_id=actor_user_id,
            reason=why,
            mentor_id=match.mentor_id,
            mentee_ids=[m.mentee_id for m in match.members],
        )
        emit(DomainEvent("match.activated", programme.id, match_id=match.id, actor_user_id=actor_user_id))
        _announce(programme, match)


def _announce(programme: Programme, match: Match) -> None:
    link = f"/programmes/{programme.id}/my-match"
    mentor_user = match.mentor.user
    names = ", ".join(m.mentee.user.display_name for m in match.members)
    notify(
        mentor_user.id,
        "match.activated",
        _l("You have a new mentee in %(p)s", p=programme.title),
        _l("You now mentor %(names)s. Open Ritmo to see why you were matched and say hello.", names=names),
        link,
    )
    for member in match.members:
        notify(
            member.mentee.user_id,
            "match.activated",
            _l("Meet your mentor in %(p)s", p=programme.title),
            _l(
                "Your mentor is %(name)s. Open Ritmo to see why you were matched and say hello.",
                name=mentor_user.display_name,
            ),
            link,
        )


def _involved(ctx: LaunchContext, match: Match) -> Participant:
    me = db.session.execute(
        sa.select(Participant).where(
            Participant.programme_id == match.programme_id, Participant.user_id == ctx.user_id
        )
    ).scalar_one_or_none()
    if me is None or (me.id != match.mentor_id and me.id not in {m.mentee_id for m in match.members}):
        raise NotFound(_("This match does not exist or is not yours."))
    return me


def end_match(ctx: LaunchContext, programme: Programme, match: Match, reason: str) -> Match:
    """A coordinator ends a match (proposed, approved or active)."""
    if match.status is MatchStatus.ENDED:
        raise Conflict(_("This match has already ended."))
    match.status, match.ended_at, match.end_reason = MatchStatus.ENDED, utcnow(), EndReason.COORDINATOR
    audit.record("match.ended", "match", match.id, actor_user_id=ctx.user_id, reason=reason)
    for user_id in _user_ids(match):
        notify(
            user_id,
            "match.ended",
            _l("Your match in %(p)s has ended", p=programme.title),
            _l("A coordinator ended this match. Reason: %(r)s", r=reason or _l("none given")),
        )
    db.session.commit()
    return match


def request_rematch(ctx: LaunchContext, match: Match, reason: str) -> Match:
    """A participant asks for another partner: the match ends and the pair is never proposed again."""
    me = _involved(ctx, match)
    if match.status not in LIVE:
        raise Conflict(_("This match has already ended."))
    match.status, match.ended_at, match.end_reason = MatchStatus.ENDED, utcnow(), EndReason.REMATCH
    audit.record(
        "match.rematch_requested",
        "match",
        match.id,
        actor_user_id=ctx.user_id,
        participant_id=me.id,
        reason=reason,
    )
    programme = db.session.get(Programme, match.programme_id)
    assert programme is not None
    for user_id in _user_ids(match):
        if user_id != ctx.user_id:
            notify(
                user_id,
                "match.ended",
                _l("Your match in %(p)s has ended", p=programme.title),
                _l("Your partner asked for a new match. You will be offered someone else."),
            )
    db.session.commit()
    return match


def _user_ids(match: Match) -> list[int]:
    return [match.mentor.user_id, *[m.mentee.user_id for m in match.members]]


def my_matches(participant: Participant) -> list[dict[str, Any]]:
    """A participant's confirmed matches with the partner(s) and why they were matched."""
    if participant.role is ParticipantRole.MENTOR:
        matches = (
            db.session.execute(
                sa.select(Match).where(Match.mentor_id == participant.id, Match.status.in_(CONFIRMED))
            )
            .scalars()
            .all()
        )
    else:
        matches = (
            db.session.execute(
                sa.select(Match)
                .join(MatchMentee, MatchMentee.match_id == Match.id)
                .where(MatchMentee.mentee_id == participant.id, Match.status.in_(CONFIRMED))
            )
            .scalars()
            .all()
        )
    out = []
    for match in matches:
        members = [
            m
            for m in match.members
            if participant.role is ParticipantRole.MENTOR or m.mentee_id == participant.id
        ]
        out.append(
            {
                "match_id": match.id,
                "status": match.status.value,
                "started_at": match.started_at,
                "mentor": {"id": match.mentor_id, "name": match.mentor.user.display_name},
                "mentees": [
                    {
                        "id": m.mentee_id,
                        "name": m.mentee.user.display_name,
                        "score": m.score,
                        "explanation": m.explanation or {},
                    }
                    for m in members
                ],
            }
        )
    return out


def history(programme: Programme, match: Match) -> list[dict[str, Any]]:
    """Every recorded decision on a match: who, when, what and why."""
    rows = db.session.execute(
        sa.select(audit.AuditEvent, User)
        .outerjoin(User, audit.AuditEvent.actor_user_id == User.id)
        .where(audit.AuditEvent.subject_type == "match", audit.AuditEvent.subject_id == str(match.id))
        .order_by(audit.AuditEvent.at, audit.AuditEvent.id)
    ).all()
    return [
        {"at": e.at, "action": e.action, "actor": user.display_name if user else None, "detail": e.detail}
        for e, user in rows
    ]


# -- mentee choice -------------------------------------------------------------------------------


def request_deadline(programme: Programme) -> timedelta:
    hours = int((programme.settings or {}).get("request_deadline_hours") or DEFAULT_REQUEST_DEADLINE_HOURS)
    return timedelta(hours=hours)


def _require_choice_mode(programme: Programme) -> None:
    if programme.matching_mode is not MatchingMode.MENTEE_CHOICE:
        raise Conflict(_("In this programme the coordinator proposes matches; mentees do not choose."))


def recommendations(
    programme: Programme, mentee: Participant, limit: int = RECOMMENDATIONS
) -> list[dict[str, Any]]:
    """The best mentors with room for a mentee, best first, each with the reasons."""
    if mentee.role is not ParticipantRole.MENTEE:
        raise Forbidden(_("Only mentees get mentor recommendations."))
    asked = set(
        db.session.execute(
            sa.select(MatchRequest.mentor_id).where(MatchRequest.mentee_id == mentee.id)
        ).scalars()
    )
    pool = load_pool(programme, mentee_ids=[mentee.id], keep_proposals=True, include_matched=True)
    if not pool.built.mentee_ids or not pool.built.mentor_ids:
        return []
    if mentee.id in pool.blocked:
        raise Conflict(_("You cannot choose a mentor yet: %(r)s.", r=pool.blocked[mentee.id]))
    j = np.arange(len(pool.built.mentor_ids))
    scores, ok = pool.built.model.evaluate(np.zeros_like(j), j)
    forbidden = {b for a, b in _forbidden(programme.id) if a == mentee.id}
    candidates = [
        int(k)
        for k in np.argsort(-scores, kind="stable")
        if ok[k]
        and pool.built.mentor_ids[k] not in asked
        and pool.built.mentor_ids[k] not in forbidden
        and pool.room.get(pool.built.mentor_ids[k], 0) > 0
        and pool.built.mentor_ids[k] not in pool.blocked
    ][:limit]
    explanations = build.explain_pairs(pool.built, [0] * len(candidates), candidates)
    return [
        {
            "mentor": {
                "id": pool.built.mentor_ids[k],
                "name": pool.mentors[pool.built.mentor_ids[k]].user.display_name,
            },
            "score": e["score"],
            "explanation": e,
            "room": pool.room[pool.built.mentor_ids[k]],
        }
        for k, e in zip(candidates, explanations, strict=True)
    ]


def _pending_of(mentee_id: int) -> MatchRequest | None:
    return db.session.execute(
        sa.select(MatchRequest).where(
            MatchRequest.mentee_id == mentee_id, MatchRequest.status == RequestStatus.PENDING
        )
    ).scalar_one_or_none()


def ask_mentor(
    ctx: LaunchContext | None, programme: Programme, mentee: Participant, mentor_id: int, message: str = ""
) -> MatchRequest:
    """A mentee asks one of their recommended mentors; the mentor has until the deadline to answer."""
    _require_choice_mode(programme)
    if _pending_of(mentee.id) is not None:
        raise Conflict(_("You already asked a mentor; wait for their answer or withdraw the request."))
    if mentee.id in _matched_mentees(programme.id, LIVE):
        raise Conflict(_("You already have a mentor."))
    offered = {r["mentor"]["id"]: r for r in recommendations(programme, mentee, limit=RECOMMENDATIONS)}
    if mentor_id not in offered:
        raise InvalidInput(errors={"mentor_id": [_("Choose one of the mentors recommended to you.")]})
    return _create_request(
        programme, mentee, mentor_id, offered[mentor_id], message, actor_user_id=ctx.user_id if ctx else None
    )


def _create_request(
    programme: Programme,
    mentee: Participant,
    mentor_id: int,
    offer: dict[str, Any],
    message: str,
    *,
    actor_user_id: int | None,
) -> MatchRequest:
    expires = utcnow() + request_deadline(programme)
    req = MatchRequest(
        programme_id=programme.id,
        mentee_id=mentee.id,
        mentor_id=mentor_id,
        score=offer["score"],
        explanation=offer["explanation"],
        message=profiles._clean_text(message)[:2000],
        expires_at=expires,
    )
    db.session.add(req)
    db.session.flush()
    enqueue(EXPIRE_TASK, {"request_id": req.id}, run_at=expires, dedupe_key=f"match-request-expire:{req.id}")
    audit.record(
        "match_request.created",
        "match_request",
        req.id,
        actor_user_id=actor_user_id,
        mentee_id=mentee.id,
        mentor_id=mentor_id,
    )
    mentor = db.session.get(Participant, mentor_id)
    assert mentor is not None
    when = babel_dates.format_datetime(
        expires, "d MMM y, HH:mm 'UTC'", tzinfo=UTC, locale=language_of(mentor.user.locale)
    )
    notify(
        mentor.user_id,
        "match.requested",
        _l("A mentee asks you to mentor them in %(p)s", p=programme.title),
        _l(
            "%(name)s would like you as their mentor. Answer before %(when)s, or the request expires.",
            name=mentee.user.display_name,
            when=when,
        ),
        f"/programmes/{programme.id}/requests",
    )
    db.session.commit()
    return req


def get_request(programme: Programme, request_id: int) -> MatchRequest:
    req = db.session.get(MatchRequest, request_id)
    if req is None or req.programme_id != programme.id:
        raise NotFound(_("This request does not exist."))
    return req


def answer_request(
    ctx: LaunchContext, programme: Programme, me: Participant, req: MatchRequest, accept: bool, note: str = ""
) -> MatchRequest:
    """The asked mentor accepts (a match starts, or waits for approval) or declines."""
    if req.mentor_id != me.id:
        raise NotFound(_("This request does not exist."))
    if req.status is not RequestStatus.PENDING:
        raise Conflict(_("This request was already answered or has expired."))
    if accept:
        load = _load(programme.id, LIVE).get(me.id, 0)
        if load >= capacity_of(programme, me):
            raise Conflict(
                _("You have no room for another mentee; decline or ask the coordinator for more capacity.")
            )
    req.status = RequestStatus.ACCEPTED if accept else RequestStatus.DECLINED
    req.answered_at = utcnow()
    audit.record(
        "match_request.accepted" if accept else "match_request.declined",
        "match_request",
        req.id,
        actor_user_id=ctx.user_id,
        note=note,
    )
    if accept:
        match = Match(
            programme_id=programme.id,
            mentor_id=me.id,
            status=MatchStatus.PROPOSED,
            score=req.score,
            explanation={},
        )
        match.members.append(
            MatchMentee(mentee_id=req.mentee_id, score=req.score, explanation=req.explanation)
        )
        db.session.add(match)
        db.session.flush()
        audit.record(
            "match.accepted_request", "match", match.id, actor_user_id=ctx.user_id, request_id=req.id
        )
        if not programme.requires_approval:
            _activate(programme, [match.id], actor_user_id=ctx.user_id, why=_("mentor accepted the request"))
    else:
        notify(
            req.mentee.user_id,
            "match.declined",
            _l("Your mentor request in %(p)s", p=programme.title),
            _l(
                "%(name)s cannot take you on. Choose another recommended mentor in Ritmo.",
                name=me.user.display_name,
            ),
            f"/programmes/{programme.id}/choose",
        )
    db.session.commit()
    return req


def withdraw_request(ctx: LaunchContext, mentee: Participant, req: MatchRequest) -> MatchRequest:
    if req.mentee_id != mentee.id:
        raise NotFound(_("This request does not exist."))
    if req.status is not RequestStatus.PENDING:
        raise Conflict(_("This request was already answered or has expired."))
    req.status, req.answered_at = RequestStatus.WITHDRAWN, utcnow()
    audit.record("match_request.withdrawn", "match_request", req.id, actor_user_id=ctx.user_id)
    db.session.commit()
    return req


def requests_for(participant: Participant, *, pending_only: bool = False) -> list[MatchRequest]:
    column = MatchRequest.mentor_id if participant.role is ParticipantRole.MENTOR else MatchRequest.mentee_id
    query = sa.select(MatchRequest).where(column == participant.id)
    if pending_only:
        query = query.where(MatchRequest.status == RequestStatus.PENDING)
    return list(db.session.execute(query.order_by(MatchRequest.id.desc()).limit(100)).scalars())


@task(EXPIRE_TASK)
def expire_request(payload: dict[str, Any]) -> None:
    """An unanswered request expires; the mentee is offered the next best mentor with room."""
    req = db.session.get(MatchRequest, int(payload["request_id"]))
    if req is None or req.status is not RequestStatus.PENDING:
        return
    if req.expires_at > utcnow():  # deadline moved: run again then
        from lti_tool.jobs.registry import RetryLater

        raise RetryLater("not yet due", req.expires_at)
    req.status, req.answered_at = RequestStatus.EXPIRED, utcnow()
    audit.record("match_request.expired", "match_request", req.id)
    programme = db.session.get(Programme, req.programme_id)
    mentee = db.session.get(Participant, req.mentee_id)
    assert programme is not None and mentee is not None
    db.session.flush()
    offers = recommendations(programme, mentee, limit=1)
    if offers:
        _create_request(
            programme,
            mentee,
            offers[0]["mentor"]["id"],
            offers[0],
            _("Sent automatically after an earlier request expired."),
            actor_user_id=None,
        )
        notify(
            mentee.user_id,
            "match.request_expired",
            _l("Your mentor request in %(p)s", p=programme.title),
            _l(
                "Your request expired without an answer, so Ritmo asked %(name)s, "
                "the next best mentor with room.",
                name=offers[0]["mentor"]["name"],
            ),
            f"/programmes/{programme.id}/choose",
        )
    else:
        notify(
            mentee.user_id,
            "match.request_expired",
            _l("Your mentor request in %(p)s", p=programme.title),
            _l(
                "Your request expired without an answer and no other mentor has room now. "
                "Your coordinator has been told."
            ),
        )
    db.session.commit()


def set_paused(ctx: LaunchContext, me: Participant, paused: bool) -> Participant:
    """A mentor pauses (or resumes) their availability for new mentees."""
    if me.role is not ParticipantRole.MENTOR:
        raise Forbidden(_("Only mentors can pause their availability."))
    if me.status is ParticipantStatus.WITHDRAWN:
        raise Conflict(_("You have left this programme."))
    me.status = ParticipantStatus.PAUSED if paused else ParticipantStatus.ACTIVE
    audit.record(
        "participant.paused" if paused else "participant.resumed",
        "participant",
        me.id,
        actor_user_id=ctx.user_id,
    )
    db.session.commit()
    return me


def mentor_choices(programme: Programme) -> list[tuple[int, str]]:
    rows = db.session.execute(
        sa.select(Participant.id, User.name)
        .join(User, Participant.user_id == User.id)
        .where(Participant.programme_id == programme.id, Participant.role == ParticipantRole.MENTOR)
        .order_by(User.name)
        .limit(5000)
    ).all()
    return [(pid, clean_name(name) or f"#{pid}") for pid, name in rows]


def counts(programme: Programme) -> dict[str, int]:
    rows = db.session.execute(
        sa.select(Match.status, sa.func.count(MatchMentee.id))
        .join(MatchMentee, MatchMentee.match_id == Match.id)
        .where(Match.programme_id == programme.id)
        .group_by(Match.status)
    ).all()
    return {status.value: n for status, n in rows} | {"_": 0}
