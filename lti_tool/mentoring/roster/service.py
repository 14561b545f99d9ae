"""Roster rules: sync the course membership over NRPS, import and export profiles as CSV.

A CSV import is checked entirely before anything is written: a file with one bad cell is rejected
with a report per row and column, and the programme stays as it was.
"""

from __future__ import annotations

import csv
import functools
import io
import logging
from collections.abc import Iterable, Iterator
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import ngettext

from lti_tool import audit
from lti_tool.accounts.models import Course, CourseRole, Enrolment, ResourceLink, User
from lti_tool.db import db, utcnow
from lti_tool.errors import Conflict, InvalidInput
from lti_tool.events import DomainEvent, emit
from lti_tool.identity import revocation, roles
from lti_tool.identity.context import LaunchContext
from lti_tool.jobs import enqueue
from lti_tool.jobs.registry import RetryLater
from lti_tool.launch.models import Platform
from lti_tool.lti_services import nrps, tokens
from lti_tool.lti_services.errors import ServiceError
from lti_tool.mentoring.profiles import service as profiles
from lti_tool.mentoring.profiles.models import Question, QuestionKind
from lti_tool.mentoring.programmes.models import (
    Participant,
    ParticipantRole,
    ParticipantStatus,
    Programme,
)
from lti_tool.mentoring.programmes.service import in_live_matches, origin_of, role_from_lms, settle
from lti_tool.mentoring.roster import failures
from lti_tool.safety import cells
from lti_tool.safety.names import clean_name
from lti_tool.web import NUL, NUL_MESSAGE

log = logging.getLogger(__name__)

SYNC_TASK = "roster.sync"
MAX_IMPORT_BYTES = 20 * 1024 * 1024
MAX_IMPORT_ROWS = 200_000
MAX_REPORTED_ERRORS = 200
LIST_SEPARATOR = ";"
FIXED_COLUMNS = ("user_id", "name", "email", "role", "capacity")
ACTIVE_STATUSES = {"active"}
CUSTOM_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/custom"
#: Resource links read for their mentors at each sync (NRPS with ``rlid``), oldest first.
MAX_LINKS_READ = 20


# -- NRPS sync -----------------------------------------------------------------------------------


def start_sync(ctx: LaunchContext, programme: Programme) -> None:
    """Queue a roster sync of the programme's course."""
    if not programme.course.memberships_url:
        raise Conflict(
            _(
                "The LMS has not shared the course roster with Ritmo (no Names and Roles service). "
                "Ask the LMS administrator to enable it, or import a CSV file."
            )
        )
    enqueue(
        SYNC_TASK,
        {"programme_id": programme.id, "by": ctx.user_id},
        dedupe_key=f"roster-sync:{programme.id}:{utcnow():%Y%m%d%H%M%S}",
    )
    db.session.commit()


def sync_task(payload: dict[str, Any]) -> None:
    """The ``roster.sync`` job: a sync, or a failure recorded for the coordinator and retried."""
    programme = db.session.get(Programme, int(payload["programme_id"]))
    if programme is None:
        return
    try:
        summary = sync(programme, actor_user_id=payload.get("by"))
    except ServiceError as error:
        db.session.rollback()
        retry_at = failures.record(int(payload["programme_id"]), error)
        if retry_at is not None:
            raise RetryLater(error.message, retry_at) from error
        return
    log.info("roster sync of programme %s: %s", programme.id, summary)


def sync(
    programme: Programme, *, actor_user_id: int | None = None, token: nrps.TokenSource = tokens.access_token
) -> dict[str, int]:
    """Bring every course member into the programme; returns counts. Commits."""
    course: Course = programme.course
    platform = db.session.get(Platform, course.platform_id)
    assert platform is not None and course.memberships_url
    marked = link_mentors(platform, course, token)
    return apply_members(
        programme,
        nrps.members(platform, course.memberships_url, token=token),
        actor_user_id=actor_user_id,
        link_mentors=marked,
    )


def link_mentors(platform: Platform, course: Course, token: nrps.TokenSource) -> set[str]:
    """Who a link's custom parameters make a mentor (``ritmo_role=mentor``: Moodle's way, having no
    Mentor role), read per resource link Ritmo knows in the course (NRPS with ``rlid``). A link the
    LMS no longer knows (it answers 400 or 404) is skipped; any other failure fails the sync."""
    assert course.memberships_url
    links = db.session.execute(
        sa.select(ResourceLink.resource_link_id)
        .where(ResourceLink.course_id == course.id)
        .order_by(ResourceLink.id)
        .limit(MAX_LINKS_READ)
    ).scalars()
    marked: set[str] = set()
    for rlid in list(links):
        try:
            for member in nrps.members(platform, course.memberships_url, token=token, rlid=rlid):
                if roles.is_mentor((), _custom(member)):
                    marked.add(str(member["user_id"])[:255])
        except ServiceError as error:
            if error.status not in (400, 404):
                raise
    return marked


def is_active(member: dict[str, Any]) -> bool:
    """NRPS ``status``: ``Active`` (the default), ``Inactive`` or ``Deleted``; some platforms send
    a URI ending in ``#Active``."""
    status = str(member.get("status") or "Active").strip()
    return status.rpartition("#")[2].lower() in ACTIVE_STATUSES


def _custom(member: dict[str, Any]) -> dict[str, object]:
    """Custom parameters a platform sends with a member (NRPS ``message`` claims), if any."""
    custom: dict[str, object] = {}
    for message in member.get("message") or []:
        if isinstance(message, dict) and isinstance(message.get(CUSTOM_CLAIM), dict):
            custom.update(message[CUSTOM_CLAIM])
    return custom


def apply_members(
    programme: Programme,
    members: Iterable[dict[str, Any]],
    *,
    actor_user_id: int | None = None,
    link_mentors: set[str] | frozenset[str] = frozenset(),
) -> dict[str, int]:
    """Apply a roster read to the programme. ``members`` must be the whole roster: it is consumed
    to the end before anyone absent is withdrawn, so a read that fails part-way withdraws nobody
    (the exception leaves the caller to roll back)."""
    course: Course = programme.course
    counts = {"members": 0, "added": 0, "updated": 0, "withdrawn": 0}
    users = {
        u.sub: u
        for u in db.session.execute(sa.select(User).where(User.platform_id == course.platform_id)).scalars()
    }
    people = {
        p.user_id: p
        for p in db.session.execute(
            sa.select(Participant).where(Participant.programme_id == programme.id)
        ).scalars()
    }
    enrolled = {
        e.user_id: e
        for e in db.session.execute(sa.select(Enrolment).where(Enrolment.course_id == course.id)).scalars()
    }
    live: set[int] | None = None

    def in_live_match(participant_id: int) -> bool:
        nonlocal live
        if live is None:  # one query, and only when a mentor or mentee would change part
            live = in_live_matches(programme.id)
        return participant_id in live

    ended: set[int] = set()  # people whose sessions no longer say what they may do
    seen: set[int] = set()
    for member in members:
        counts["members"] += 1
        sub = str(member["user_id"])[:255]
        lis_roles = [str(r) for r in member.get("roles") or []]
        active = is_active(member)
        user = users.get(sub)
        if user is None:
            user = User(platform_id=course.platform_id, sub=sub)
            db.session.add(user)
            users[sub] = user
        for name in ("name", "given_name", "family_name"):
            if member.get(name):
                setattr(user, name, clean_name(str(member[name])[:255]))
        if member.get("email"):
            user.email = str(member["email"])[:255]
        db.session.flush()
        seen.add(user.id)
        course_role = roles.course_role(lis_roles)
        custom = _custom(member)
        if sub in link_mentors:
            custom = {**custom, "ritmo_role": "mentor"}
        mentor = roles.is_mentor(lis_roles, custom)
        via_link = mentor and not roles.is_mentor(lis_roles, None)
        enrolment = enrolled.get(user.id)
        if enrolment is None:
            enrolment = Enrolment(user_id=user.id, course_id=course.id, role=course_role)
            db.session.add(enrolment)
            enrolled[user.id] = enrolment
        elif (enrolment.role, enrolment.is_mentor) != (course_role, mentor):
            ended.add(user.id)
        enrolment.role, enrolment.lis_roles, enrolment.is_mentor = course_role, lis_roles, mentor
        wanted = role_from_lms(course_role is CourseRole.COORDINATOR, mentor)
        person = people.get(user.id)
        if person is None:
            if not active:
                continue
            person = Participant(
                programme_id=programme.id,
                user_id=user.id,
                role=wanted,
                role_origin=origin_of(wanted, via_link),
                lms_role=wanted,
            )
            db.session.add(person)
            people[user.id] = person
            counts["added"] += 1
            continue
        if not active and person.status is not ParticipantStatus.WITHDRAWN:
            _withdraw(programme, person, actor_user_id)
            counts["withdrawn"] += 1
            ended.add(user.id)
        elif active and person.status is ParticipantStatus.WITHDRAWN:
            person.status = ParticipantStatus.ACTIVE
            counts["updated"] += 1
        person.lms_role = wanted
        changed = settle(
            current=person.role,
            origin=person.role_origin,
            lms_says=wanted,
            source=programme.role_source,
            live_match=functools.partial(in_live_match, person.id),
        )
        if changed is not None:
            person.role, person.role_origin = changed, origin_of(changed, via_link)
            counts["updated"] += 1
            ended.add(user.id)
            emit(
                DomainEvent(
                    "participant.role_changed",
                    programme.id,
                    participant_id=person.id,
                    actor_user_id=actor_user_id,
                )
            )
    # The whole roster was read: whoever takes part and is no longer in it has left the course.
    for user_id, person in people.items():
        if user_id in seen or person.status is ParticipantStatus.WITHDRAWN:
            continue
        if person.role is ParticipantRole.COORDINATOR:
            continue  # staff who launched without a course role (a site admin) are not in rosters
        _withdraw(programme, person, actor_user_id)
        counts["withdrawn"] += 1
        ended.add(user_id)
    revocation.revoke(ended)
    programme.settings = {**(programme.settings or {}), "roster_sync": {"at": utcnow().isoformat(), **counts}}
    audit.record("roster.synced", "programme", programme.id, actor_user_id=actor_user_id, **counts)
    db.session.commit()
    return counts


def _withdraw(programme: Programme, person: Participant, actor_user_id: int | None) -> None:
    """The person left the course (inactive, or absent from the roster): their matches end and
    their partners are offered new ones (``participant.withdrawn``, handled by matching)."""
    person.status = ParticipantStatus.WITHDRAWN
    db.session.flush()
    emit(
        DomainEvent(
            "participant.withdrawn",
            programme.id,
            participant_id=person.id,
            actor_user_id=actor_user_id,
        )
    )


# -- CSV -----------------------------------------------------------------------------------------


def _cell(question: Question, value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value  # a number (a scale answer) stays one in the spreadsheet
    if question.kind is QuestionKind.AVAILABILITY:
        return f"{LIST_SEPARATOR} ".join(f"{d}-{h}" for d, h in value)
    if isinstance(value, list):
        return f"{LIST_SEPARATOR} ".join(str(v) for v in value)
    return str(value)


def export_csv(programme: Programme) -> Iterator[str]:
    """Participants (mentors and mentees) with their answers, one row each, streamed."""
    questions = profiles.questions(programme.id)
    out = io.StringIO()
    writer = cells.writer(out)
    writer.writerow([*FIXED_COLUMNS, *[q.key for q in questions]])
    yield out.getvalue()
    query = (
        sa.select(Participant, User)
        .join(User, Participant.user_id == User.id)
        .where(
            Participant.programme_id == programme.id,
            Participant.role.in_([ParticipantRole.MENTOR, ParticipantRole.MENTEE]),
        )
        .order_by(Participant.id)
    )
    batch: list[tuple[Participant, User]] = []
    for row in db.session.execute(query.execution_options(yield_per=2000)):
        batch.append((row[0], row[1]))
        if len(batch) >= 2000:
            yield _rows(batch, questions)
            batch = []
    if batch:
        yield _rows(batch, questions)


def _rows(batch: list[tuple[Participant, User]], questions: list[Question]) -> str:
    answers = profiles.answers_for([p.id for p, _u in batch])
    out = io.StringIO()
    writer = cells.writer(out)  # every cell escaped: names, e-mails and answers are people's text
    for p, user in batch:
        mine = answers[p.id]
        writer.writerow(
            [
                user.sub,
                user.name or "",
                user.email or "",
                p.role.value,
                "" if p.capacity is None else p.capacity,
                *[_cell(q, mine.get(q.id)) for q in questions],
            ]
        )
    return out.getvalue()


def _parse(question: Question, raw: str) -> Any:
    text = raw.strip()
    if not text:
        return None
    if question.kind is QuestionKind.AVAILABILITY:
        return [item.strip() for item in text.split(LIST_SEPARATOR) if item.strip()]
    if question.kind in profiles.LIST_KINDS:
        return [item.strip() for item in text.split(LIST_SEPARATOR) if item.strip()]
    if question.kind is QuestionKind.SCALE:
        return int(text) if text.isdigit() else text
    return text


def import_csv(ctx: LaunchContext, programme: Programme, data: bytes) -> dict[str, int]:
    """Create or update participants and their answers from a CSV file: all rows or none."""
    if len(data) > MAX_IMPORT_BYTES:
        raise InvalidInput(
            _(
                "The file is larger than %(n)d MB; split it and import the parts.",
                n=MAX_IMPORT_BYTES // (1024 * 1024),
            )
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InvalidInput(
            _("The file is not UTF-8 text; save it as \u201cCSV UTF-8\u201d and try again.")
        ) from error
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    questions = {q.key: q for q in profiles.questions(programme.id)}
    if "user_id" not in header:
        raise InvalidInput(
            _("The file needs a user_id column (the person's LMS user id)."),
            errors={"header": [_("Missing column: user_id.")]},
        )
    unknown = [h for h in header if h not in FIXED_COLUMNS and h not in questions]
    if unknown:
        raise InvalidInput(
            _("Unknown columns: %(c)s. Use the column names of the export.", c=", ".join(unknown)),
            errors={"header": [_("Unknown column: %(c)s.", c=c) for c in unknown]},
        )
    problems: list[dict[str, Any]] = []
    parsed: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(reader, start=2):
        if number - 1 > MAX_IMPORT_ROWS:
            raise InvalidInput(_("The file has more than %(n)d rows; split it.", n=MAX_IMPORT_ROWS))
        # A cell our export escaped comes back as what it stood for.
        row = {(k or "").strip(): cells.uncell(v or "") for k, v in row.items()}

        def bad(column: str, message: str, line: int = number) -> None:
            problems.append({"row": line, "column": column, "message": message})

        unkept = [column for column, text in row.items() if NUL in text]  # no database keeps it
        for column in unkept:
            bad(column, str(NUL_MESSAGE))
        if unkept:
            continue
        sub = row.get("user_id", "").strip()
        if not sub:
            bad("user_id", _("The user id is empty."))
            continue
        if sub in seen:
            bad("user_id", _("The same user id is already on row %(n)d.", n=seen[sub]))
            continue
        seen[sub] = number
        role_text = row.get("role", "").strip().lower()
        role = None
        if role_text:
            if role_text not in (ParticipantRole.MENTOR.value, ParticipantRole.MENTEE.value):
                bad("role", _("Write mentor or mentee."))
            else:
                role = ParticipantRole(role_text)
        capacity = None
        cap_text = row.get("capacity", "").strip()
        if cap_text:
            if not cap_text.isdigit() or int(cap_text) > 50:
                bad("capacity", _("Write a whole number from 0 to 50."))
            else:
                capacity = int(cap_text)
        answers: dict[int, Any] = {}
        for key, question in questions.items():
            if key not in row:
                continue
            try:
                answers[question.id] = profiles.normalise(question, _parse(question, row[key]))
            except ValueError as error:
                bad(key, str(error))
        parsed.append(
            {
                "sub": sub,
                "name": clean_name(row.get("name", "")) or "",
                "email": row.get("email", "").strip(),
                "role": role,
                "capacity": capacity,
                "answers": answers,
                "row": number,
            }
        )
    if problems:
        raise InvalidInput(
            ngettext(
                "%(num)d problem in the file; nothing was imported. "
                "Correct the row listed and import again.",
                "%(num)d problems in the file; nothing was imported. "
                "Correct the rows listed and import again.",
                len(problems),
            ),
            errors={
                f"row {p['row']}": [f"{p['column']}: {p['message']}"] for p in problems[:MAX_REPORTED_ERRORS]
            },
            rows=problems[:MAX_REPORTED_ERRORS],
        )
    return _write_import(ctx, programme, parsed)


def _write_import(ctx: LaunchContext, programme: Programme, rows: list[dict[str, Any]]) -> dict[str, int]:
    course: Course = programme.course
    users = {
        u.sub: u
        for u in db.session.execute(sa.select(User).where(User.platform_id == course.platform_id)).scalars()
    }
    people = {
        p.user_id: p
        for p in db.session.execute(
            sa.select(Participant).where(Participant.programme_id == programme.id)
        ).scalars()
    }
    counts = {"rows": len(rows), "added": 0, "updated": 0}
    try:
        for row in rows:
            user = users.get(row["sub"])
            if user is None:
                user = User(platform_id=course.platform_id, sub=row["sub"])
                db.session.add(user)
                users[row["sub"]] = user
            if row["name"]:
                user.name = row["name"][:255]
            if row["email"]:
                user.email = row["email"][:320]
            db.session.flush()
            person = people.get(user.id)
            if person is None:
                person = Participant(
                    programme_id=programme.id, user_id=user.id, role=row["role"] or ParticipantRole.MENTEE
                )
                db.session.add(person)
                db.session.flush()
                people[user.id] = person
                counts["added"] += 1
            else:
                counts["updated"] += 1
                if row["role"] is not None and person.role not in (ParticipantRole.COORDINATOR, row["role"]):
                    person.role = row["role"]
                    revocation.revoke([user.id])
            if row["capacity"] is not None:
                person.capacity = row["capacity"]
            profiles._write(person.id, row["answers"])
        audit.record("roster.imported", "programme", programme.id, actor_user_id=ctx.user_id, **counts)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return counts
