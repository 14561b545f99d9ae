"""Meetings: JSON API under ``/api`` and in-frame pages (forms post back, then redirect)."""

from __future__ import annotations

from typing import Any, cast

from flask import Blueprint, Response, redirect, render_template, request

from lti_tool import headers
from lti_tool.accounts.models import User
from lti_tool.db import db, utcnow
from lti_tool.identity.session import current_context, login_required, session_url
from lti_tool.mentoring.conversations import spaces
from lti_tool.mentoring.meetings import access, bbb, invitations, presence, schemas, service, video
from lti_tool.mentoring.meetings.models import Meeting
from lti_tool.ratelimit import limit, per_person
from lti_tool.web import back_to, viewer_zone

bp = Blueprint("meetings", __name__)


@bp.app_context_processor
def _slots() -> dict[str, int]:
    # The forms offer as many time fields as a proposal may hold.
    return {"meeting_max_slots": service.MAX_SLOTS}


def _me() -> str:
    return str(current_context().user_id)


def _json(meeting: Meeting, space: spaces.Space) -> dict[str, Any]:
    return schemas.meeting_json(
        meeting, viewer_zone(space.programme.timezone), spaces.users_by_id([meeting.organiser_user_id])
    )


def _ics_response(meeting: Meeting, text: str) -> Response:
    method = "CANCEL" if "\r\nMETHOD:CANCEL\r\n" in text else "REQUEST"
    return Response(
        text,
        mimetype="text/calendar",
        headers={
            "Content-Type": f"text/calendar; charset=utf-8; method={method}",
            "Content-Disposition": f'attachment; filename="ritmo-meeting-{meeting.id}.ics"',
        },
    )


def _form_times(form: Any) -> list[str]:
    return [t for t in form.getlist("times") if t.strip()]


def _back(meeting_id: int) -> Response:
    return back_to("meetings.meeting_page", meeting_id=meeting_id)


# -- API -------------------------------------------------------------------------------------------


@bp.get("/api/matches/<int:match_id>/meetings")
@login_required
def api_list(match_id: int) -> dict[str, Any]:
    space, meetings = access.list_meetings(current_context(), match_id)
    tz = viewer_zone(space.programme.timezone)
    people = spaces.users_by_id(m.organiser_user_id for m in meetings)
    return {"meetings": [schemas.meeting_json(m, tz, people) for m in meetings], "display_timezone": tz.key}


@bp.post("/api/matches/<int:match_id>/meetings")
@login_required
@limit("mail", key=per_person)
@limit("posting", key=_me)
def api_propose(match_id: int) -> tuple[dict[str, Any], int]:
    data = schemas.ProposeSchema().load(request.get_json(silent=True) or {})
    meeting = service.propose(current_context(), match_id, **data)
    return _json(meeting, spaces.match_space(current_context(), match_id)), 201


@bp.get("/api/meetings/<int:meeting_id>")
@login_required
def api_get(meeting_id: int) -> dict[str, Any]:
    meeting, space = access.get_meeting(current_context(), meeting_id)
    return _json(meeting, space)


@bp.post("/api/meetings/<int:meeting_id>/accept")
@login_required
def api_accept(meeting_id: int) -> dict[str, Any]:
    data = schemas.AcceptSchema().load(request.get_json(silent=True) or {})
    meeting = service.accept(current_context(), meeting_id, data["slot_id"])
    return _json(meeting, access.get_meeting(current_context(), meeting.id)[1])


@bp.post("/api/meetings/<int:meeting_id>/reschedule")
@login_required
@limit("mail", key=per_person)
@limit("posting", key=_me)
def api_reschedule(meeting_id: int) -> dict[str, Any]:
    data = schemas.RescheduleSchema().load(request.get_json(silent=True) or {})
    meeting = service.reschedule(current_context(), meeting_id, **data)
    return _json(meeting, access.get_meeting(current_context(), meeting.id)[1])


@bp.post("/api/meetings/<int:meeting_id>/cancel")
@login_required
def api_cancel(meeting_id: int) -> dict[str, Any]:
    data = schemas.CancelSchema().load(request.get_json(silent=True) or {})
    meeting = service.cancel(current_context(), meeting_id, data["reason"])
    return _json(meeting, access.get_meeting(current_context(), meeting.id)[1])


@bp.post("/api/meetings/<int:meeting_id>/outcome")
@login_required
def api_outcome(meeting_id: int) -> dict[str, Any]:
    data = schemas.OutcomeSchema().load(request.get_json(silent=True) or {})
    meeting = service.record_outcome(current_context(), meeting_id, **data)
    return _json(meeting, access.get_meeting(current_context(), meeting.id)[1])


def _presence_json(state: presence.RoomState) -> dict[str, Any]:
    people = spaces.users_by_id(state.present_user_ids)
    return {
        "meeting_id": state.meeting.id,
        "status": state.meeting.status.value,
        "held": state.held,
        "present": [
            {"user_id": uid, "name": people[uid].display_name}
            for uid in state.present_user_ids
            if uid in people
        ],
        "heartbeat_seconds": int(presence.HEARTBEAT.total_seconds()),
    }


@bp.get("/api/meetings/<int:meeting_id>/presence")
@login_required
def api_presence(meeting_id: int) -> dict[str, Any]:
    """Who is in the room now (members only)."""
    return _presence_json(presence.room_state(current_context(), meeting_id))


@bp.post("/api/meetings/<int:meeting_id>/presence")
@login_required
def api_heartbeat(meeting_id: int) -> dict[str, Any]:
    """The room page's heartbeat: the caller is in the room; answers who else is."""
    return _presence_json(presence.heartbeat(current_context(), meeting_id))


@bp.get("/api/meetings/<int:meeting_id>/invite.ics")
@login_required
def api_invite(meeting_id: int) -> Response:
    meeting, text = invitations.invitation_for(current_context(), meeting_id)
    return _ics_response(meeting, text)


# -- pages -----------------------------------------------------------------------------------------


@bp.route("/meetings", methods=["GET", "POST"])
@login_required
def my_meetings_page() -> Response | str:
    """Meetings belong to a match: with one match, go straight to its meetings; else pick one."""
    matches = access.my_matches(current_context())
    if len(matches) == 1:
        url = session_url("meetings.meetings_page", match_id=matches[0].id)
        return cast(Response, redirect(url, code=303))
    return render_template("meetings/mine.html", matches=matches)


@bp.route("/matches/<int:match_id>/meetings", methods=["GET", "POST"])
@login_required
def meetings_page(match_id: int) -> str:
    space, meetings = access.list_meetings(current_context(), match_id)
    user = db.session.get(User, current_context().user_id)
    return render_template(
        "meetings/list.html",
        space=space,
        meetings=meetings,
        tz=viewer_zone(space.programme.timezone),
        tz_known=bool(user and user.timezone),
        providers=sorted(video.VIDEO_HOSTS),
    )


@bp.post("/matches/<int:match_id>/meetings/new")
@login_required
@limit("mail", key=per_person)
@limit("posting", key=_me)
def propose_form(match_id: int) -> Response:
    form = request.form
    data = schemas.ProposeSchema().load(
        {
            "title": form.get("title", ""),
            "times": _form_times(form),
            "timezone": form.get("timezone") or "UTC",
            "duration_minutes": form.get("duration_minutes") or 45,
            "agenda": form.get("agenda", ""),
            "video_url": form.get("video_url") or None,
        }
    )
    meeting = service.propose(current_context(), match_id, **data)
    return _back(meeting.id)


@bp.route("/meetings/<int:meeting_id>", methods=["GET", "POST"])
@login_required
def meeting_page(meeting_id: int) -> str:
    ctx = current_context()
    meeting, space = access.get_meeting(ctx, meeting_id)
    user = db.session.get(User, ctx.user_id)
    return render_template(
        "meetings/detail.html",
        meeting=meeting,
        space=space,
        tz=viewer_zone(space.programme.timezone),
        me=ctx.user_id,
        tz_known=bool(user and user.timezone),
        slots=access.current_slots(meeting),
        people=spaces.users_by_id(space.member_user_ids),
        now=utcnow(),
    )


@bp.route("/meetings/<int:meeting_id>/room", methods=["GET", "POST"])
@login_required
def room_page(meeting_id: int) -> Response:
    """The meeting's video inside Ritmo, with who is in the room; members only."""
    ctx = current_context()
    meeting, space = presence.open_room(ctx, meeting_id)
    room = video.room_for(meeting)
    user = db.session.get(User, ctx.user_id)
    join_url = ""
    if room.kind == "bbb":
        bbb.create(meeting)
        join_url = bbb.join_url(meeting, ctx.user_id, user.display_name if user else "")
    html = render_template(
        "meetings/room.html",
        meeting=meeting,
        space=space,
        room=room,
        join_url=join_url,
        me_name=user.display_name if user else "",
        heartbeat_seconds=int(presence.HEARTBEAT.total_seconds()),
    )
    response = Response(html, mimetype="text/html")
    if room.origin:
        # Only this page lets the video service's script and frame in.
        response.headers["Content-Security-Policy"] = headers.policy(extra_origins=(room.origin,))
    return response


@bp.post("/meetings/<int:meeting_id>/accept")
@login_required
def accept_form(meeting_id: int) -> Response:
    data = schemas.AcceptSchema().load({"slot_id": request.form.get("slot_id")})
    service.accept(current_context(), meeting_id, data["slot_id"])
    return _back(meeting_id)


@bp.post("/meetings/<int:meeting_id>/reschedule")
@login_required
@limit("mail", key=per_person)
@limit("posting", key=_me)
def reschedule_form(meeting_id: int) -> Response:
    data = schemas.RescheduleSchema().load(
        {"times": _form_times(request.form), "timezone": request.form.get("timezone") or "UTC"}
    )
    service.reschedule(current_context(), meeting_id, **data)
    return _back(meeting_id)


@bp.post("/meetings/<int:meeting_id>/cancel")
@login_required
def cancel_form(meeting_id: int) -> Response:
    data = schemas.CancelSchema().load({"reason": request.form.get("reason", "")})
    service.cancel(current_context(), meeting_id, data["reason"])
    return _back(meeting_id)


@bp.post("/meetings/<int:meeting_id>/outcome")
@login_required
def outcome_form(meeting_id: int) -> Response:
    data = schemas.OutcomeSchema().load(
        {"outcome": request.form.get("outcome", ""), "notes": request.form.get("notes", "")}
    )
    service.record_outcome(current_context(), meeting_id, **data)
    return _back(meeting_id)


@bp.get("/meetings/<int:meeting_id>/invite.ics")
@login_required
def invite_download(meeting_id: int) -> Response:
    meeting, text = invitations.invitation_for(current_context(), meeting_id)
    return _ics_response(meeting, text)
