"""Names and Role Provisioning Services v2: the course membership container."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, jsonify, request

from .oauth import require_scope
from .paging import BadRequest, api_error, next_link, page_params, paginate
from .platform import NRPS_SCOPE, get_platform
from .roster import LIS_MEMBERSHIP, Person

MEMBERSHIP_MT = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"

bp = Blueprint("demo_nrps", __name__)


@bp.before_request
def _before() -> Response | None:
    platform = get_platform()
    platform.stats.incr("nrps_requests")
    return platform.faults.check("nrps")


@bp.errorhandler(BadRequest)
def _bad_request(exc: BadRequest) -> Response:
    return api_error(400, "invalid_request", str(exc))


CUSTOM_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/custom"


def member_json(person: Person, include_pii: bool = True) -> dict[str, Any]:
    member: dict[str, Any] = {
        "user_id": person.user_id,
        "status": person.status,
        "roles": person.role_uris,
    }
    if include_pii:
        member |= {
            "name": person.name,
            "given_name": person.given_name,
            "family_name": person.family_name,
            "email": person.email,
        }
    return member


@bp.get("/demo/courses/<context_id>/memberships")
@require_scope(NRPS_SCOPE)
def memberships(context_id: str) -> Response:
    """Members of a context; filters `role` (URI or short name) and `rlid`."""
    platform = get_platform()
    # Exact, case-sensitive match: "courseA" is a different (unknown) context.
    course = platform.courses.get(context_id)
    if course is None:
        return api_error(404, "not_found", f"unknown context {context_id!r}")
    members = list(course.members)
    role = request.args.get("role")
    if role:
        uri = role if "#" in role or role.startswith("http") else LIS_MEMBERSHIP + role
        members = [p for p in members if uri in p.role_uris]
    rlid = request.args.get("rlid")
    link = platform.find_link(context_id, rlid) if rlid else None
    if rlid and link is None:
        raise BadRequest(f"rlid {rlid!r} is not a resource link of {context_id}")
    limit, page = page_params()
    page_members, more = paginate(members, limit, page)
    payload: dict[str, Any] = {
        "id": platform.url(quote(request.path))
        + ("?" + request.query_string.decode() if request.query_string else ""),
        "context": {"id": course.context_id, "label": course.label, "title": course.title},
        "members": [member_json(p) for p in page_members],
    }
    if link is not None:  # NRPS with rlid: each member's launch message, custom parameters included
        for member, person in zip(payload["members"], page_members, strict=True):
            custom = {**link.custom, **person.custom}
            member["message"] = [
                {
                    "https://purl.imsglobal.org/spec/lti/claim/message_type": "LtiResourceLinkRequest",
                    CUSTOM_CLAIM: custom,
                }
            ]
    resp = jsonify(payload)
    resp.mimetype = MEMBERSHIP_MT
    if more:
        resp.headers["Link"] = next_link(page)
    return resp
