"""Meetings: JSON API under ``/api`` and in-frame pages (forms post back, then redirect)."""

from __future__ import annotations

from typing import Any, cast

from flask import Blueprint, redirect, render_template, request
from flask import Response as WebResponse

from lti_tool import headers
from lti_tool.accounts.models import User
from lti_tool.api.spec import Response, document
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
    return _meeting_out.dump(
        schemas.meeting_view(
            meeting, viewer_zone(space.programme.timezone), spaces.users_by_id([meeting.organiser_user_id])
        )
    )


def _ics_response(meeting: Meeting, text: str) -> WebResponse:
    method = "CANCEL" if "\r\nMETHOD:CANCEL\r\n" in text else "REQUEST"
    return WebResponse(
        text,
        mimetype="text/calendar",
        headers={
            "Content-Type": f"text/calendar; charset=utf-8; method={method}",
            "Content-Disposition": f'attachment; filename="ritmo-meeting-{meeting.id}.ics"',
        },
    )


def _form_times(form: Any) -> list[str]:
    return [t for t in form.getlist("times") if t.strip()]


def _back(meeting_id: int) -> WebResponse:
    return back_to("meetings.meeting_page", meeting_id=meeting_id)


# -- API -------------------------------------------------------------------------------------------

TAGS = ("meetings",)
MEMBERS = "The match's mentor and mentees (coordinators read meetings but do not arrange them)."
_meeting_out = schemas.MeetingsMeetingOut()
_list_out = schemas.MeetingsListOut()
_presence_out = schemas.MeetingsPresenceOut()


def _json_body() -> Any:
    return request.get_json(silent=True) or {}


@bp.get("/api/matches/<int:match_id>/meetings")
@document(
    "List a match's meetings",
    description="The match's members and the programme's coordinators. Times come in UTC and in the "
    "caller's time zone.",
    tags=TAGS,
    responses={200: schemas.MeetingsListOut},
)
@login_required
def api_list(match_id: int) -> dict[str, Any]:
    space, meetings = access.list_meetings(current_context(), match_id)
    tz = viewer_zone(space.programme.timezone)
    people = spaces.users_by_id(m.organiser_user_id for m in meetings)
    return _list_out.dump(
        {"meetings": [schemas.meeting_view(m, tz, people) for m in meetings], "display_timezone": tz.key}
    )


@bp.post("/api/matches/<int:match_id>/meetings")
@document(
    "Propose a meeting",
    description=MEMBERS + " Offers up to five times; the other side accepts one. The others are told "
    "in Ritmo and by e-mail.",
    tags=TAGS,
    body=schemas.MeetingsProposeIn,
    responses={201: schemas.MeetingsMeetingOut},
)
@login_required
@limit("mail", key=per_person)
@limit("posting", key=_me)
def api_propose(match_id: int) -> tuple[dict[str, Any], int]:
    data = schemas.MeetingsProposeIn().load(_json_body())
    meeting = service.propose(current_context(), match_id, **data)
    return _json(meeting, spaces.match_space(current_context(), match_id)), 201


@bp.get("/api/meetings/<int:meeting_id>")
@document(
    "Read a meeting",
    description="The match's members and the programme's coordinators.",
    tags=TAGS,
    responses={200: schemas.MeetingsMeetingOut},
)
@login_required
def api_get(meeting_id: int) -> dict[str, Any]:
    meeting, space = access.get_meeting(current_context(), meeting_id)
    return _json(meeting, space)


@bp.post("/api/meetings/<int:meeting_id>/accept")
@document(
    "Accept one of the times offered",
    description=MEMBERS + " The side that did not propose the times; everyone gets a calendar invitation.",
    tags=TAGS,
    body=schemas.MeetingsAcceptIn,
    responses={200: schemas.MeetingsMeetingOut},
    errors=(409,),
)
@login_required
def api_accept(meeting_id: int) -> dict[str, Any]:
    data = schemas.MeetingsAcceptIn().load(_json_body())
    meeting = service.accept(current_context(), meeting_id, data["slot_id"])
    return _json(meeting, access.get_meeting(current_context(), meeting.id)[1])


@bp.post("/api/meetings/<int:meeting_id>/reschedule")
@document(
    "Offer new times for a meeting",
    description=MEMBERS + " A proposed or confirmed meeting goes back to proposed with the new times.",
    tags=TAGS,
    body=schemas.MeetingsRescheduleIn,
    responses={200: schemas.MeetingsMeetingOut},
    errors=(409,),
)
@login_required
@limit("mail", key=per_person)
@limit("posting", key=_me)
def api_reschedule(meeting_id: int) -> dict[str, Any]:
    data = schemas.MeetingsRescheduleIn().load(_json_body())
    meeting = service.reschedule(current_context(), meeting_id, **data)
    return _json(meeting, access.get_meeting(current_context(), meeting.id)[1])


@bp.post("/api/meetings/<int:meeting_id>/cancel")
@document(
    "Cancel a meeting",
    description=MEMBERS + " A confirmed meeting's invitation is withdrawn from everyone's calendar.",
    tags=TAGS,
    body=schemas.MeetingsCancelIn,
    body_required=False,
    responses={200: schemas.MeetingsMeetingOut},
    errors=(409,),
)
@login_required
def api_cancel(meeting_id: int) -> dict[str, Any]:
    data = schemas.MeetingsCancelIn().load(_json_body())
    meeting = service.cancel(current_context(), meeting_id, data["reason"])
    return _json(meeting, access.get_meeting(current_context(), meeting.id)[1])


@bp.post("/api/meetings/<int:meeting_id>/outcome")
@document(
    "Record whether a meeting was held",
    description=MEMBERS + " Once a confirmed meeting has started: held or missed, with notes.",
    tags=TAGS,
    body=schemas.MeetingsOutcomeIn,
    responses={200: schemas.MeetingsMeetingOut},
    errors=(409,),
)
@login_required
def api_outcome(meeting_id: int) -> dict[str, Any]:
    data = schemas.MeetingsOutcomeIn().load(_json_body())
    meeting = service.record_outcome(current_context(), meeting_id, **data)
    return _json(meeting, access.get_meeting(current_context(), meeting.id)[1])


def _presence_json(state: presence.RoomState) -> dict[str, Any]:
    people = spaces.users_by_id(state.present_user_ids)
    return _presence_out.dump(
        {
            "meeting_id": state.meeting.id,
            "status": state.meeting.status,
            "held": state.held,
            "present": [
                {"user_id": uid, "name": people[uid].display_name}
                for uid in state.present_user_ids
                if uid in people
            ],
            "heartbeat_seconds": int(presence.HEARTBEAT.total_seconds()),
        }
    )


@bp.get("/api/meetings/<int:meeting_id>/presence")
@document(
    "See who is in a meeting's room",
    description="The match's members, once the meeting's time is agreed (409 before).",
    tags=TAGS,
    responses={200: schemas.MeetingsPresenceOut},
    errors=(409,),
)
@login_required
def api_presence(meeting_id: int) -> dict[str, Any]:
    """Who is in the room now (members only)."""
    return _presence_json(presence.room_state(current_context(), meeting_id))


@bp.post("/api/meetings/<int:meeting_id>/presence")
@document(
    "Tell Ritmo I am in a meeting's room",
    description="The room page's heartbeat, from the match's members once the meeting's time is agreed "
    "(409 before). When both sides were in the room together, the meeting is recorded as held. "
    "No body.",
    tags=TAGS,
    responses={200: schemas.MeetingsPresenceOut},
    errors=(409,),
)
@login_required
def api_heartbeat(meeting_id: int) -> dict[str, Any]:
    """The room page's heartbeat: the caller is in the room; answers who else is."""
    return _presence_json(presence.heartbeat(current_context(), meeting_id))


@bp.get("/api/meetings/<int:meeting_id>/invite.ics")
@document(
    "Download a meeting's calendar invitation",
    description="The match's members and the programme's coordinators, once a time is agreed (409 "
    "before). A cancelled meeting's invitation is a cancellation (METHOD:CANCEL).",
    tags=TAGS,
    responses={
        200: Response(
            "An iCalendar (RFC 5545) invitation.",
            media_type="text/calendar",
            headers={"Content-Disposition": 'attachment; filename="ritmo-meeting-<id>.ics"'},
        )
    },
    errors=(409,),
)
@login_required
def api_invite(meeting_id: int) -> WebResponse:
    meeting, text = invitations.invitation_for(current_context(), meeting_id)
    return _ics_response(meeting, text)


# -- pages -----------------------------------------------------------------------------------------


@bp.route("/meetings", methods=["GET", "POST"])
@login_required
def my_meetings_page() -> WebResponse | str:
    """Meetings belong to a match: with one match, go straight to its meetings; else pick one."""
    matches = access.my_matches(current_context())
    if len(matches) == 1:
        url = session_url("meetings.meetings_page", match_id=matches[0].id)
        return cast(WebResponse, redirect(url, code=303))
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
def propose_form(match_id: int) -> WebResponse:
    form = request.form
    data = schemas.MeetingsProposeIn().load(
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
def room_page(meeting_id: int) -> WebResponse:
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
    response = WebResponse(html, mimetype="text/html")
    if room.origin:
        # Only this page lets the video service's script and frame in.
        response.headers["Content-Security-Policy"] = headers.policy(extra_origins=(room.origin,))
    return response


@bp.post("/meetings/<int:meeting_id>/accept")
@login_required
def accept_form(meeting_id: int) -> WebResponse:
    data = schemas.MeetingsAcceptIn().load({"slot_id": request.form.get("slot_id")})
    service.accept(current_context(), meeting_id, data["slot_id"])
    return _back(meeting_id)


@bp.post("/meetings/<int:meeting_id>/reschedule")
@login_required
@limit("mail", key=per_person)
@limit("posting", key=_me)
def reschedule_form(meeting_id: int) -> WebResponse:
    data = schemas.MeetingsRescheduleIn().load(
        {"times": _form_times(request.form), "timezone": request.form.get("timezone") or "UTC"}
    )
    service.reschedule(current_context(), meeting_id, **data)
    return _back(meeting_id)


@bp.post("/meetings/<int:meeting_id>/cancel")
@login_required
def cancel_form(meeting_id: int) -> WebResponse:
    data = schemas.MeetingsCancelIn().load({"reason": request.form.get("reason", "")})
    service.cancel(current_context(), meeting_id, data["reason"])
    return _back(meeting_id)


@bp.post("/meetings/<int:meeting_id>/outcome")
@login_required
def outcome_form(meeting_id: int) -> WebResponse:
    data = schemas.MeetingsOutcomeIn().load(
        {"outcome": request.form.get("outcome", ""), "notes": request.form.get("notes", "")}
    )
    service.record_outcome(current_context(), meeting_id, **data)
    return _back(meeting_id)


@bp.get("/meetings/<int:meeting_id>/invite.ics")
@login_required
def invite_download(meeting_id: int) -> WebResponse:
    meeting, text = invitations.invitation_for(current_context(), meeting_id)
    return _ics_response(meeting, text)
