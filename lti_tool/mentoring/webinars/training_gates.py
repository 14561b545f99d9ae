"""Training gates: what people of a role must complete or attend before they are matched.

The matching feature asks :func:`blocked_reason` for one participant, or :func:`blocked_participants`
for a whole programme at once (one query per gate), and explains who waits on which training.
A webinar gate is met by attending that webinar or any other session of its weekly series; a module
gate by completing every item of the module meant for the person's role.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from lti_tool import audit
from lti_tool.accounts.models import User
from lti_tool.db import db, listen_once
from lti_tool.errors import Conflict, Forbidden, InvalidInput, NotFound
from lti_tool.identity.context import LaunchContext
from lti_tool.mentoring.content import service as content
from lti_tool.mentoring.content.models import ContentModule
from lti_tool.mentoring.programmes.models import Participant, ParticipantRole, ParticipantStatus
from lti_tool.mentoring.webinars.access import viewer
from lti_tool.mentoring.webinars.attendance import attended_by
from lti_tool.mentoring.webinars.models import TrainingGate, Webinar

GATED_ROLES = (ParticipantRole.MENTOR, ParticipantRole.MENTEE)


def gates_of(programme_id: int) -> list[TrainingGate]:
    return list(
        db.session.execute(
            sa.select(TrainingGate).where(TrainingGate.programme_id == programme_id).order_by(TrainingGate.id)
        ).scalars()
    )


def describe(gate: TrainingGate) -> str:
    """What a gate asks, in words a participant and a coordinator understand."""
    if gate.module_id is not None:
        module = db.session.get(ContentModule, gate.module_id)
        return _('complete the module "%(title)s"', title=module.title if module else "?")
    webinar = db.session.get(Webinar, gate.webinar_id)
    title = webinar.title if webinar else "?"
    if webinar is not None and webinar.series_key:
        return _('attend a session of the webinar "%(title)s"', title=title)
    return _('attend the webinar "%(title)s"', title=title)


def _role_members(programme_id: int, role: ParticipantRole) -> sa.Select[Any]:
    return sa.select(Participant.id).where(
        Participant.programme_id == programme_id,
        Participant.role == role,
        Participant.status != ParticipantStatus.WITHDRAWN,
    )


def _met_by(gate: TrainingGate, members: sa.Select[Any]) -> sa.Select[Any]:
    if gate.module_id is not None:
        return content.participants_who_completed(gate.module_id, members, gate.role)
    webinar = db.session.get(Webinar, gate.webinar_id)
    assert webinar is not None
    return attended_by(members, webinar)


def blocked_participants(programme_id: int) -> dict[int, list[str]]:
    """Participant id -> the trainings they still owe, for everyone blocked in the programme."""
    blocked: dict[int, list[str]] = {}
    for gate in gates_of(programme_id):
        members = _role_members(programme_id, gate.role)
        waiting: list[int] = list(
            db.session.execute(members.where(Participant.id.not_in(_met_by(gate, members)))).scalars()
        )
        text = describe(gate)
        for participant_id in waiting:
            blocked.setdefault(participant_id, []).append(text)
    return blocked


def blocked_reason(programme_id: int, participant_id: int) -> str | None:
    """Why this participant cannot be matched yet, or ``None`` if their training is done.

    Matching asks this for every participant of a run: the whole programme's answer is computed
    once per transaction (a few queries in all) and forgotten at the next flush, commit or rollback,
    so a completion in the same transaction is seen.
    """
    missing = _blocked_in_transaction(programme_id).get(participant_id)
    if not missing:
        return None
    return _("Waiting on training: %(list)s.", list="; ".join(missing))


_CACHE_KEY = "ritmo.training_gates.blocked"


def _blocked_in_transaction(programme_id: int) -> dict[int, list[str]]:
    cache = db.session().info.setdefault(_CACHE_KEY, {})
    if programme_id not in cache:
        cache[programme_id] = blocked_participants(programme_id)
    return cache[programme_id]


def _forget(session: Session, *args: Any) -> None:
    session.info.pop(_CACHE_KEY, None)


def listen() -> None:
    """Drop a transaction's remembered gates whenever it writes or ends (installed once)."""
    for name in ("after_flush", "after_commit", "after_rollback"):
        listen_once(Session, name, _forget)


# --- coordinator side --------------------------------------------------------------------------


@dataclass(frozen=True)
class Waiting:
    participant: Participant
    user: User
    missing: list[str]


def waiting_overview(ctx: LaunchContext) -> dict[str, Any]:
    """The gates and who is waiting on which training (coordinators only)."""
    who = viewer(ctx)
    if not who.is_coordinator:
        raise Forbidden(_("Only the course's coordinators can see who is waiting on training."))
    blocked = blocked_participants(who.programme.id)
    rows: list[Waiting] = []
    if blocked:
        people = db.session.execute(
            sa.select(Participant, User)
            .join(User, User.id == Participant.user_id)
            .where(Participant.id.in_(list(blocked)))
        ).all()
        rows = sorted(
            (Waiting(p, u, blocked[p.id]) for p, u in people),
            key=lambda w: (w.participant.role.value, w.user.display_name.lower()),
        )
    gates = [{"gate": g, "text": describe(g)} for g in gates_of(who.programme.id)]
    return {"gates": gates, "waiting": rows}


def add_gate(ctx: LaunchContext, data: dict[str, Any]) -> TrainingGate:
    who = viewer(ctx)
    if not who.is_coordinator:
        raise Forbidden(_("Only the course's coordinators can set training requirements."))
    role = ParticipantRole(data["role"])
    if role not in GATED_ROLES:
        raise InvalidInput(
            _("Choose mentors or mentees."), errors={"role": [_("Gates apply to mentors or mentees.")]}
        )
    module_id, webinar_id = data.get("module_id"), data.get("webinar_id")
    if (module_id is None) == (webinar_id is None):
        raise InvalidInput(
            _("Choose one requirement."),
            errors={"module_id": [_("Give either a module to complete or a webinar to attend.")]},
        )
    if module_id is not None:
        content.get_module_for_programme(who.programme.id, module_id)
    else:
        webinar = db.session.get(Webinar, webinar_id)
        if webinar is None or webinar.programme_id != who.programme.id:
            raise NotFound(_("This webinar does not exist in your programme."))
    duplicate = db.session.execute(
        sa.select(TrainingGate.id).where(
            TrainingGate.programme_id == who.programme.id,
            TrainingGate.role == role,
            TrainingGate.module_id.is_(None) if module_id is None else TrainingGate.module_id == module_id,
            TrainingGate.webinar_id.is_(None)
            if webinar_id is None
            else TrainingGate.webinar_id == webinar_id,
        )
    ).first()
    if duplicate is not None:
        raise Conflict(_("This requirement already exists."))
    gate = TrainingGate(programme_id=who.programme.id, role=role, module_id=module_id, webinar_id=webinar_id)
    db.session.add(gate)
    db.session.flush()
    audit.record(
        "training.gate_added",
        "training_gate",
        gate.id,
        actor_user_id=ctx.user_id,
        role=role.value,
        module_id=module_id,
        webinar_id=webinar_id,
    )
    db.session.commit()
    return gate


def remove_gate(ctx: LaunchContext, gate_id: int) -> None:
    who = viewer(ctx)
    if not who.is_coordinator:
        raise Forbidden(_("Only the course's coordinators can set training requirements."))
    gate = db.session.get(TrainingGate, gate_id)
    if gate is None or gate.programme_id != who.programme.id:
        raise NotFound(_("This requirement does not exist."))
    db.session.delete(gate)
    audit.record("training.gate_removed", "training_gate", gate_id, actor_user_id=ctx.user_id)
    db.session.commit()
