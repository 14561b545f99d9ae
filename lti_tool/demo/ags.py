"""Assignment and Grade Services v2: line items, scores, results (in-memory gradebook)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, jsonify, request

from .oauth import require_scope
from .paging import BadRequest, api_error, next_link, page_params, paginate
from .platform import AGS_SCOPES, DemoPlatform, get_platform

SCOPE_LINEITEM, SCOPE_LINEITEM_RO, SCOPE_RESULT_RO, SCOPE_SCORE = AGS_SCOPES
LINEITEM_MT = "application/vnd.ims.lis.v2.lineitem+json"
CONTAINER_MT = "application/vnd.ims.lis.v2.lineitemcontainer+json"
SCORE_MT = "application/vnd.ims.lis.v1.score+json"
RESULTS_MT = "application/vnd.ims.lis.v2.resultcontainer+json"
ACTIVITY_PROGRESS = {"Initialized", "Started", "InProgress", "Submitted", "Completed"}
GRADING_PROGRESS = {"FullyGraded", "Pending", "PendingManual", "Failed", "NotReady"}
_OPTIONAL_STR = ("resourceId", "resourceLinkId", "tag", "startDateTime", "endDateTime")

bp = Blueprint("demo_ags", __name__)


@dataclass
class LineItem:
    id: int
    context_id: str
    label: str
    score_maximum: float
    extra: dict[str, Any] = field(default_factory=dict)  # resourceId, tag, ...

    def to_json(self, url: str) -> dict[str, Any]:
        return {"id": url, "label": self.label, "scoreMaximum": self.score_maximum, **self.extra}


@dataclass
class ScoreRecord:
    latest: dict[str, Any]
    timestamp: datetime
    posts: int = 1
    stale_ignored: int = 0


def parse_timestamp(value: Any) -> datetime:
    """ISO 8601 with a timezone (naive times are ambiguous across platforms)."""
    if not isinstance(value, str):
        raise BadRequest("timestamp is required (ISO 8601 string)")
    try:
        ts = datetime.fromisoformat(value)
    except ValueError as exc:
        raise BadRequest(f"timestamp {value!r} is not ISO 8601") from exc
    if ts.tzinfo is None:
        raise BadRequest("timestamp must include a timezone offset")
    return ts


def _number(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadRequest(f"{name} must be a number")
    return float(value)


def validate_lineitem(data: Any, partial_id: str | None = None) -> dict[str, Any]:
    """Check a line item body; returns the normalised fields."""
    if not isinstance(data, dict):
        raise BadRequest("body must be a JSON object")
    if partial_id is not None and "id" in data and data["id"] != partial_id:
        raise BadRequest("id in body does not match the line item URL")
    label = data.get("label")
    if not isinstance(label, str) or not label.strip():
        raise BadRequest("label is required")
    maximum = _number(data.get("scoreMaximum"), "scoreMaximum")
    if maximum <= 0:
        raise BadRequest("scoreMaximum must be > 0")
    extra: dict[str, Any] = {}
    for key in _OPTIONAL_STR:
        if data.get(key) is not None:
            if not isinstance(data[key], str):
                raise BadRequest(f"{key} must be a string")
            extra[key] = data[key]
    if "gradesReleased" in data:
        extra["gradesReleased"] = bool(data["gradesReleased"])
    return {"label": label, "scoreMaximum": maximum, "extra": extra}


class Gradebook:
    """Thread-safe line items and latest scores, with delivery counts for tests."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[int, LineItem] = {}
        self._scores: dict[int, dict[str, ScoreRecord]] = {}
        self._next_id = 1

    def create(self, context_id: str, data: Any) -> LineItem:
        fields = validate_lineitem(data)
        with self._lock:
            item = LineItem(self._next_id, context_id, fields["label"], fields["scoreMaximum"])
            item.extra = fields["extra"]
            self._items[item.id] = item
            self._scores[item.id] = {}
            self._next_id += 1
            return item

    def get(self, context_id: str, item_id: int) -> LineItem | None:
        with self._lock:
            item = self._items.get(item_id)
            return item if item and item.context_id == context_id else None

    def update(self, item: LineItem, fields: Mapping[str, Any]) -> LineItem:
        with self._lock:
            item.label = fields["label"]
            item.score_maximum = fields["scoreMaximum"]
            item.extra = dict(fields["extra"])
            return item

    def delete(self, item: LineItem) -> None:
        with self._lock:
            self._items.pop(item.id, None)
            self._scores.pop(item.id, None)

    def query(self, context_id: str, filters: Mapping[str, str]) -> list[LineItem]:
        with self._lock:
            items = [i for i in self._items.values() if i.context_id == context_id]
        for key, value in filters.items():
            items = [i for i in items if i.extra.get(key) == value]
        return items

    def first_for_link(self, context_id: str, link_id: str) -> LineItem | None:
        found = self.query(context_id, {"resourceLinkId": link_id})
        return found[0] if found else None

    def post_score(self, item: LineItem, score: dict[str, Any], ts: datetime) -> bool:
        """Store a score unless an older timestamp than the stored one; True if stored."""
        with self._lock:
            per_user = self._scores.setdefault(item.id, {})
            rec = per_user.get(score["userId"])
            if rec is None:
                per_user[score["userId"]] = ScoreRecord(score, ts)
                return True
            rec.posts += 1
            if ts < rec.timestamp:
                rec.stale_ignored += 1
                return False
            rec.latest, rec.timestamp = score, ts
            return True

    def scores(self, item: LineItem) -> dict[str, ScoreRecord]:
        with self._lock:
            return dict(self._scores.get(item.id, {}))

    def snapshot(self, url_for: Callable[[LineItem], str]) -> dict[str, Any]:
        """JSON for /demo/gradebook."""
        with self._lock:
            items = list(self._items.values())
            scores = {k: dict(v) for k, v in self._scores.items()}
        out = []
        for item in items:
            entry = item.to_json(url_for(item))
            entry["lineitem_id"] = item.id
            entry["context_id"] = item.context_id
            entry["scores"] = {
                user: {
                    "latest": rec.latest,
                    "posts": rec.posts,
                    "stale_ignored": rec.stale_ignored,
                }
                for user, rec in scores.get(item.id, {}).items()
            }
            out.append(entry)
        return {"lineitems": out}


# --- HTTP ------------------------------------------------------------------------


@bp.before_request
def _before() -> Response | None:
    platform = get_platform()
    platform.stats.incr("ags_requests")
    fault = platform.faults.check("ags")
    if fault is not None:
        return fault
    view_args = request.view_args or {}
    if view_args.get("context_id") not in platform.courses:
        return api_error(404, "not_found", f"unknown context {view_args.get('context_id')!r}")
    # Moodle-style URLs: the query string is part of the resource identity.
    expected = platform.config.lineitem_query
    if expected:
        for pair in expected.split("&"):
            key, _, value = pair.partition("=")
            if request.args.get(key) != value:
                return api_error(
                    400,
                    "invalid_request",
                    f"missing or wrong {key!r} query parameter: use AGS URLs verbatim",
                )
    return None


@bp.errorhandler(BadRequest)
def _bad_request(exc: BadRequest) -> Response:
    return api_error(400, "invalid_request", str(exc))


def _json(payload: Any, media_type: str, status: int = 200) -> Response:
    resp = jsonify(payload)
    resp.status_code = status
    resp.mimetype = media_type
    return resp


def _body(media_type: str) -> Any:
    if request.mimetype != media_type:
        raise _UnsupportedMedia(media_type)
    data = request.get_json(silent=True)
    if data is None:
        raise BadRequest("body is not valid JSON")
    return data


class _UnsupportedMedia(Exception):
    pass


@bp.errorhandler(_UnsupportedMedia)
def _unsupported(exc: _UnsupportedMedia) -> Response:
    return api_error(415, "invalid_request", f"Content-Type must be {exc.args[0]}")


def _item_or_404(platform: DemoPlatform, context_id: str, item_id: int) -> LineItem:
    item = platform.gradebook.get(context_id, item_id)
    if item is None:
        raise _NotFound(f"line item {item_id} not found in {context_id}")
    return item


class _NotFound(Exception):
    pass


@bp.errorhandler(_NotFound)
def _not_found(exc: _NotFound) -> Response:
    return api_error(404, "not_found", str(exc))


def _url(platform: DemoPlatform, item: LineItem) -> str:
    return platform.lineitem_url(item.context_id, item.id)


@bp.get("/demo/courses/<context_id>/lineitems")
@require_scope(SCOPE_LINEITEM, SCOPE_LINEITEM_RO)
def list_lineitems(context_id: str) -> Response:
    platform = get_platform()
    filters = {
        name: request.args[param]
        for param, name in (
            ("resource_id", "resourceId"),
            ("resource_link_id", "resourceLinkId"),
            ("tag", "tag"),
        )
        if param in request.args
    }
    limit, page = page_params()
    items, more = paginate(platform.gradebook.query(context_id, filters), limit, page)
    resp = _json([i.to_json(_url(platform, i)) for i in items], CONTAINER_MT)
    if more:
        resp.headers["Link"] = next_link(page)
    return resp


@bp.post("/demo/courses/<context_id>/lineitems")
@require_scope(SCOPE_LINEITEM)
def create_lineitem(context_id: str) -> Response:
    platform = get_platform()
    data = _body(LINEITEM_MT)
    if not isinstance(data, dict):
        raise BadRequest("body must be a JSON object")
    link_id = data.get("resourceLinkId")
    if link_id is not None and platform.find_link(context_id, str(link_id)) is None:
        raise BadRequest(f"resourceLinkId {link_id!r} is not a resource link of {context_id}")
    item = platform.gradebook.create(context_id, data)
    url = _url(platform, item)
    resp = _json(item.to_json(url), LINEITEM_MT, 201)
    resp.headers["Location"] = url
    return resp


@bp.route("/demo/courses/<context_id>/lineitems/<int:item_id>", methods=["GET", "PUT", "DELETE"])
@require_scope(SCOPE_LINEITEM, SCOPE_LINEITEM_RO)
def lineitem(context_id: str, item_id: int) -> Response:
    platform = get_platform()
    item = _item_or_404(platform, context_id, item_id)
    if request.method == "GET":
        return _json(item.to_json(_url(platform, item)), LINEITEM_MT)
    # Writes need the full lineitem scope, not just the read-only one.
    tok = platform.tokens.lookup(request.headers["Authorization"].partition(" ")[2].strip())
    if tok is None or SCOPE_LINEITEM not in tok.scopes:
        return api_error(403, "insufficient_scope", f"requires {SCOPE_LINEITEM}")
    if request.method == "DELETE":
        platform.gradebook.delete(item)
        return Response(status=204)
    fields = validate_lineitem(_body(LINEITEM_MT), partial_id=_url(platform, item))
    platform.gradebook.update(item, fields)
    return _json(item.to_json(_url(platform, item)), LINEITEM_MT)


@bp.post("/demo/courses/<context_id>/lineitems/<int:item_id>/scores")
@require_scope(SCOPE_SCORE)
def post_score(context_id: str, item_id: int) -> Response:
    platform = get_platform()
    item = _item_or_404(platform, context_id, item_id)
    score = _body(SCORE_MT)
    ts = validate_score(platform, context_id, score)
    stored = platform.gradebook.post_score(item, score, ts)
    platform.stats.incr("score_posts")
    # Older scores are ignored but still acknowledged, as real platforms do.
    return jsonify(status="stored" if stored else "ignored_stale")


def validate_score(platform: DemoPlatform, context_id: str, score: Any) -> datetime:
    """Check a score body; returns its parsed timestamp."""
    if not isinstance(score, dict):
        raise BadRequest("score must be a JSON object")
    user_id = score.get("userId")
    if not isinstance(user_id, str) or not user_id:
        raise BadRequest("userId is required")
    if platform.courses[context_id].member(user_id) is None:
        raise BadRequest(f"userId {user_id!r} is not a member of {context_id}")
    if score.get("activityProgress") not in ACTIVITY_PROGRESS:
        raise BadRequest(f"activityProgress must be one of {sorted(ACTIVITY_PROGRESS)}")
    if score.get("gradingProgress") not in GRADING_PROGRESS:
        raise BadRequest(f"gradingProgress must be one of {sorted(GRADING_PROGRESS)}")
    if "scoreGiven" in score and score["scoreGiven"] is not None:
        given = _number(score["scoreGiven"], "scoreGiven")
        if "scoreMaximum" not in score:
            raise BadRequest("scoreMaximum is required when scoreGiven is present")
        maximum = _number(score["scoreMaximum"], "scoreMaximum")
        if maximum <= 0:
            raise BadRequest("scoreMaximum must be > 0")
        if given < 0:
            raise BadRequest("scoreGiven must be >= 0")
        if given > maximum and not platform.config.allow_extra_credit:
            raise BadRequest(f"scoreGiven {given:g} exceeds scoreMaximum {maximum:g}")
    if "comment" in score and not isinstance(score["comment"], str | None):
        raise BadRequest("comment must be a string")
    return parse_timestamp(score.get("timestamp"))


@bp.get("/demo/courses/<context_id>/lineitems/<int:item_id>/results")
@require_scope(SCOPE_RESULT_RO)
def results(context_id: str, item_id: int) -> Response:
    platform = get_platform()
    item = _item_or_404(platform, context_id, item_id)
    wanted = request.args.get("user_id")
    out = []
    for user, rec in sorted(platform.gradebook.scores(item).items()):
        if wanted and user != wanted:
            continue
        score = rec.latest
        result: dict[str, Any] = {
            "id": platform.lineitem_url(context_id, item.id, f"/results/{user}"),
            "scoreOf": _url(platform, item),
            "userId": user,
            "timestamp": score["timestamp"],
        }
        if score.get("scoreGiven") is not None:
            # Results are reported on the line item's scale.
            result["resultScore"] = score["scoreGiven"] / score["scoreMaximum"] * item.score_maximum
            result["resultMaximum"] = item.score_maximum
        if score.get("comment"):
            result["comment"] = score["comment"]
        out.append(result)
    limit, page = page_params()
    page_items, more = paginate(out, limit, page)
    resp = _json(page_items, RESULTS_MT)
    if more:
        resp.headers["Link"] = next_link(page)
    return resp
