"""Graded placement and columns that follow, against the PyPI ``lti1p3platform`` platform.

A small real server around the library: its OIDC login and signed launches, its deep-linking
response check, its client-credentials tokens and its AGS service (``AssignmentsGradesService``:
bearer-token check and scopes, line item GET/POST/PUT, scores), with the line items kept in memory
by this server the way the library leaves storage to its host. An instructor places a graded
milestone from Ritmo's picker; the server makes the column from the deep-linked ``lineItem`` (with
the new link's ``resourceLinkId``) and names it in the link's launches; Ritmo scores that column and
updates it (PUT through the library) when the coordinator renames the milestone.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask
from lti1p3platform.exceptions import LineItemNotFoundException
from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.oidc_login import OIDCLoginAbstract
from lti1p3platform.registration import Registration
from lti1p3platform.score import UpdateScoreStatus
from lti1p3platform.service_connector import AssignmentsGradesService
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from lti_tool.db import db
from lti_tool.launch import registry
from lti_tool.lti_services import tokens
from lti_tool.mentoring.goals import completion
from tests.grades.factory import FAST_GRADES, deliver_all
from tests.launch.test_deep_linking import form_of, launch_via_login, pick, return_to_platform
from tests.launch.test_graded_placement import api, graded_milestone, match_learner
from tests.launch.test_interop_lti1p3platform import Launch, WerkzeugRequest, _pem
from tests.lti_platform import INSTRUCTOR, LEARNER, session_token

CLIENT_ID = "ritmo-gradebook"
DEPLOYMENT_ID = "gradebook-deployment"
CONTEXT_ID = "gradebook-course"


@pytest.fixture
def app_config() -> dict[str, object]:
    return dict(FAST_GRADES)


class Conf(LTI1P3PlatformConfAbstract):
    def init_platform_config(self, **kwargs: Any) -> None:
        self.registration: Registration = kwargs["registration"]

    def get_registration_by_params(self, **kwargs: Any) -> Registration:
        return self.registration


class Login(OIDCLoginAbstract):
    def set_lti_message_hint(self, **kwargs: Any) -> None:
        self._lti_message_hint = kwargs["hint"]

    def get_redirect(self, url: str) -> str:
        return url


@dataclass
class Column:
    id: str
    data: dict[str, Any]
    scores: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class Link:
    id: str
    custom: dict[str, str]
    column: str | None = None


class Store:
    """What the host keeps for the library: links placed in the course and their columns."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.links: dict[str, Link] = {}
        self.columns: dict[str, Column] = {}
        self.puts = 0

    def new_column(self, data: dict[str, Any]) -> Column:
        with self.lock:
            column = Column(str(len(self.columns) + 1), dict(data))
            self.columns[column.id] = column
            return column


class Gradebook(AssignmentsGradesService):
    """The library's AGS endpoints over :class:`Store`."""

    store: Store
    base: str

    def _json(self, column: Column) -> dict[str, Any]:
        return {**column.data, "id": f"{self.base}/lineitems/{column.id}"}

    def _column(self, line_item_id: str) -> Column:
        column = self.store.columns.get(str(line_item_id))
        if column is None:
            raise LineItemNotFoundException()
        return column

    def find_lineitems(self, page: int = 1, limit: Any = None, line_item_id: Any = None,
                       resource_link_id: Any = None, resource_id: Any = None, tag: Any = None,
                       **_: Any) -> Any:
        wanted = {"resourceLinkId": resource_link_id, "resourceId": resource_id, "tag": tag}
        found = [self._json(c) for c in self.store.columns.values()
                 if all(v is None or c.data.get(k) == v for k, v in wanted.items())]
        return {"content": found, "has_next": False, "next": None}

    def find_lineitem(self, line_item_id: str) -> Any:
        return self._json(self._column(line_item_id))

    def create_lineitem(self, creation_data: Any) -> Any:
        return self._json(self.store.new_column(creation_data))

    def update_lineitem(self, update_data: Any) -> Any:
        column = self._column(update_data["id"])
        self.store.puts += 1
        column.data.update({k: v for k, v in update_data.items() if k != "id"})
        return self._json(column)

    def delete_lineitem(self, line_item_id: str) -> None:
        self.store.columns.pop(self._column(line_item_id).id)

    def update_score(self, line_item_id: str, score: Any) -> UpdateScoreStatus:
        self._column(line_item_id).scores[score["userId"]] = dict(score)
        return UpdateScoreStatus.SUCCESS

    def get_results(self, line_item_id: str, page: int = 1, limit: Any = None,
                    user_id: Any = None) -> Any:
        return {"content": [], "has_next": False, "next": None}


class JsonRequest(WerkzeugRequest):
    def build_metadata(self, request: Request) -> Any:
        metadata = super().build_metadata(request)
        metadata["json"] = request.get_json(silent=True)
        return metadata


class GradebookPlatform:
    """lti1p3platform behind WSGI: /auth, /jwks, /token, /dl-return and AGS under /lineitems."""

    def __init__(self, tool_url: str, *, keep_resource_id: bool = True, name_column: bool = True) -> None:
        # An LMS may keep only a deep-linked column's label, maximum and link, and may leave the
        # column out of the link's launches: Ritmo then finds it by ``resourceLinkId``.
        self.keep_resource_id, self.name_column = keep_resource_id, name_column
        self._server = make_server("127.0.0.1", 0, self._wsgi, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        private_pem, public_pem = _pem_pair()
        self.registration = (
            Registration()
            .set_iss(self.url).set_client_id(CLIENT_ID).set_deployment_id(DEPLOYMENT_ID)
            .set_oidc_login_url(tool_url + "/lti/login").set_launch_url(tool_url + "/lti/launch")
            .set_deeplink_launch_url(tool_url + "/lti/launch")
            .set_tool_key_set_url(tool_url + "/lti/jwks")
            .set_platform_public_key(public_pem).set_platform_private_key(private_pem)
        )
        self.store = Store()
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def conf(self) -> Conf:
        conf = Conf(registration=self.registration)
        conf.get_registration()
        return conf

    def for_ritmo(self) -> dict[str, Any]:
        return {"issuer": self.url, "client_id": CLIENT_ID, "deployment_ids": [DEPLOYMENT_ID],
                "auth_login_url": self.url + "/auth", "auth_token_url": self.url + "/token",
                "key_set_url": self.url + "/jwks", "name": "lti1p3platform gradebook"}

    def login_url(self, user: str, *, link: str | None = None, dl: bool = False) -> str:
        login = Login(None, self.conf())
        login.set_lti_message_hint(hint=json.dumps({"user": user, "link": link, "dl": dl}))
        if dl:
            login.set_deeplinking_launch_url()
        return login.initiate_login(user)

    def close(self) -> None:
        self._server.shutdown()

    def _wsgi(self, environ: Any, start_response: Any) -> Any:
        request = Request(environ)
        parts = [p for p in request.path.split("/") if p]
        if request.path == "/jwks":
            response = Response(json.dumps(self.conf().get_jwks()), mimetype="application/json")
        elif request.path == "/auth":
            response = self._auth(request)
        elif request.path == "/token":
            token = self.conf().get_access_token(request.form.to_dict())
            response = Response(json.dumps(dict(token)), mimetype="application/json")
        elif request.path == "/dl-return":
            response = self._dl_return(request)
        elif parts and parts[0] == "lineitems":
            response = self._ags(request, parts[1:])
        else:
            response = Response("not found", status=404)
        return response(environ, start_response)

    def _auth(self, request: Request) -> Response:
        hint = json.loads(request.args["lti_message_hint"])
        launch = Launch(JsonRequest(request), self.conf())
        roles = [INSTRUCTOR] if hint["user"].startswith("teacher") else [LEARNER]
        launch.set_user_data(hint["user"], roles, full_name=f"Pat {hint['user']}")
        launch.set_launch_context_claim(CONTEXT_ID, context_title="Gradebook course")
        lineitem = None
        if hint["dl"]:
            launch.set_dl(self.url + "/dl-return", title="Add", accept_types={"ltiResourceLink"},
                          extra_data={"slot": 1})
        else:
            link = self.store.links[hint["link"]]
            launch.set_resource_link_claim(link.id)
            launch.set_custom_parameters_claim(link.custom)
            if link.column and self.name_column:
                lineitem = f"{self.url}/lineitems/{link.column}"
        launch.set_ags(lineitems_url=self.url + "/lineitems", lineitem_url=lineitem)
        return Response(launch.lti_launch(), mimetype="text/html")

    def _dl_return(self, request: Request) -> Response:
        items = self.conf().validate_deeplinking_resp({"JWT": request.form["JWT"]})
        for item in items:
            link = Link(f"link-{len(self.store.links) + 1}", dict(item.get("custom") or {}))
            if isinstance(item.get("lineItem"), dict):
                kept = {k: v for k, v in item["lineItem"].items()
                        if self.keep_resource_id or k not in ("resourceId", "tag")}
                column = self.store.new_column({**kept, "resourceLinkId": link.id})
                link.column = column.id
            self.store.links[link.id] = link
        return Response(json.dumps({"links": list(self.store.links)}), mimetype="application/json")

    def _ags(self, request: Request, rest: list[str]) -> Response:
        service = Gradebook(JsonRequest(request), self.conf(), self.url + "/lineitems")
        service.store, service.base = self.store, self.url
        reading = request.method == "GET"
        if not rest:
            handler = service.handle_get_lineitems if reading else service.handle_create_lineitem
            answer = service.handle_resp(handler)
        elif len(rest) == 1:
            handler = service.handle_get_lineitem if reading else service.handle_update_lineitem
            answer = service.handle_resp(handler, line_item_id=rest[0])
        else:
            answer = service.handle_resp(service.handle_update_score, line_item_id=rest[0])
        result = answer.result
        if isinstance(result, dict) and "content" in result:
            result = result["content"]
        body = json.dumps(result) if result is not None else json.dumps({"message": answer.message})
        return Response(body, status=answer.code, content_type=answer.media_type)


def _pem_pair() -> tuple[str, str]:
    return _pem(rsa.generate_private_key(public_exponent=65537, key_size=2048))


@pytest.fixture
def platform_options() -> dict[str, bool]:
    return {}


@pytest.fixture
def gradebook(app: Flask, ritmo: Any, platform_options: dict[str, bool]) -> Iterator[GradebookPlatform]:
    platform = GradebookPlatform(ritmo.url, **platform_options)
    registry.add_platform(platform.for_ritmo())
    # Tokens are remembered per platform row: forget another test's (the library answers a token
    # it cannot verify with a 500, which Ritmo rightly treats as passing, not as a refusal).
    tokens.clear_memo()
    yield platform
    platform.close()
    tokens.clear_memo()


def test_placed_milestone_scored_and_followed_in_lti1p3platform(app, ritmo, gradebook) -> None:
    browser = requests.Session()
    first = launch_via_login(browser, gradebook.login_url("teacher-1", dl=True))
    assert first.status_code == 200, first.text[:1000]
    coordinator = form_of(first.text).fields["ritmo_session"]
    milestone = graded_milestone(ritmo, coordinator, "First meeting", 5)

    picker = launch_via_login(browser, gradebook.login_url("teacher-1", dl=True))
    assert f"milestone:{milestone}" in form_of(picker.text).choices
    answer = pick(browser, ritmo.url, picker, [f"milestone:{milestone}"])
    assert return_to_platform(browser, answer).json() == {"links": ["link-1"]}
    (column,) = gradebook.store.columns.values()
    assert column.data == {"scoreMaximum": 5, "label": "First meeting", "tag": "ritmo-milestone",
                           "resourceId": f"ritmo:milestone:{milestone}", "resourceLinkId": "link-1"}

    joined = launch_via_login(browser, gradebook.login_url("learner-1", link="link-1"))
    assert joined.status_code == 200, joined.text[:1000]
    learner, match_id = match_learner(app, session_token(joined.text))
    opened = launch_via_login(browser, gradebook.login_url("learner-1", link="link-1"))
    assert f'class="milestone focus" id="milestone-{milestone}"' in opened.text
    completion.mark_done(learner, match_id, milestone)
    db.session.commit()
    deliver_all(app)
    (column,) = gradebook.store.columns.values()  # the placed column, no second one
    assert column.scores["learner-1"]["scoreGiven"] == 5

    api(ritmo, coordinator, "PATCH", f"/api/goals/milestones/{milestone}",
        json={"title": "First meeting held", "points": 8})
    deliver_all(app)
    (column,) = gradebook.store.columns.values()
    assert (column.data["label"], column.data["scoreMaximum"]) == ("First meeting held", 8)
    assert column.data["resourceLinkId"] == "link-1" and gradebook.store.puts >= 1
    assert column.scores["learner-1"]["scoreGiven"] == 8
    assert column.scores["learner-1"]["scoreMaximum"] == 8


@pytest.mark.parametrize("platform_options", [{"keep_resource_id": False, "name_column": False}])
def test_placed_column_found_by_its_resource_link(app, ritmo, gradebook) -> None:
    """No ``lineitem`` in the launch and no ``resourceId`` on the column: its link finds it."""
    browser = requests.Session()
    first = launch_via_login(browser, gradebook.login_url("teacher-1", dl=True))
    coordinator = form_of(first.text).fields["ritmo_session"]
    milestone = graded_milestone(ritmo, coordinator, "First meeting", 5)
    picker = launch_via_login(browser, gradebook.login_url("teacher-1", dl=True))
    answer = pick(browser, ritmo.url, picker, [f"milestone:{milestone}"])
    assert return_to_platform(browser, answer).json() == {"links": ["link-1"]}
    (column,) = gradebook.store.columns.values()
    assert "resourceId" not in column.data
    joined = launch_via_login(browser, gradebook.login_url("learner-1", link="link-1"))
    learner, match_id = match_learner(app, session_token(joined.text))
    completion.mark_done(learner, match_id, milestone)
    db.session.commit()
    deliver_all(app)
    (column,) = gradebook.store.columns.values()  # found by resourceLinkId, not made again
    assert column.scores["learner-1"]["scoreGiven"] == 5
    assert column.data["resourceId"] == f"ritmo:milestone:{milestone}"  # Ritmo's ids written back
