"""A lived-in programme for fuzzing the API: a coordinator, a mentor and a mentee in a live match,
and one of each thing a path's id points at, made through the API as people make them.

Each step that fails is noted, not fatal: the fuzz run then reports which operations could only
be reached with ids that point at nothing, and the run still covers everything else.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask

from lti_tool.api import keys
from lti_tool.api.scopes import SCOPES
from lti_tool.db import db, utcnow
from lti_tool.mentoring.programmes.models import Participant
from tests.mentoring.conversations.factories import World, make_world


@dataclass
class FuzzWorld:
    base: World
    ids: dict[str, int] = field(default_factory=dict)  # a path parameter's name -> an id that exists
    by_path: dict[tuple[str, str], int | str] = field(default_factory=dict)  # (path regex, name) -> value
    strings: dict[str, str] = field(default_factory=dict)  # string path parameters
    problems: list[str] = field(default_factory=list)  # seeding steps that failed

    api_key: str = ""  # a key of the world's platform with every scope

    def token(self, role: str) -> str:
        user = {"coordinator": self.base.coordinator, "mentor": self.base.mentor, "mentee": self.base.mentee}
        return self.base.token(user[role])

    def headers(self, role: str) -> dict[str, str]:
        """How ``role`` authenticates: a person's session token, or the system's API key."""
        if role == "system":
            return {"X-API-Key": self.api_key}
        return {"Authorization": f"Bearer {self.token(role)}"}

    def value_for(self, path: str, name: str) -> int | str | None:
        """The id (or string) to put in ``path``'s parameter ``name``."""
        for (fragment, param), value in self.by_path.items():
            if param == name and re.search(fragment, path):
                return value
        if name in self.ids:
            return self.ids[name]
        return self.strings.get(name)


class _Seeder:
    def __init__(self, app: Flask, world: FuzzWorld) -> None:
        self.client = app.test_client()
        self.world = world

    def call(
        self, role: str, method: str, path: str, json: Any = None, **kwargs: Any
    ) -> dict[str, Any] | None:
        response = self.client.open(
            # Buffered: the answer is closed at once (the served Ritmo waits for open ones at its end).
            path, method=method, json=json, buffered=True,
            headers={**self.world.headers(role), "Accept": "application/json"}, **kwargs,
        )
        if response.status_code >= 300:
            self.world.problems.append(f"{method} {path} as {role}: {response.status_code} "
                                       f"{response.get_data(as_text=True)[:300]}")
            return None
        return response.get_json(silent=True) or {}

    def keep(self, name: str, body: dict[str, Any] | None, *keys: str, fragment: str | None = None) -> None:
        value: Any = body
        for key in keys:
            if isinstance(value, list):
                value = value[0] if value else None
            if not isinstance(value, dict):
                return
            value = value.get(key)
        if isinstance(value, list):
            value = value[0] if value else None
        if isinstance(value, int):
            if fragment:
                self.world.by_path[(fragment, name)] = value
            else:
                self.world.ids.setdefault(name, value)


def seed(app: Flask) -> FuzzWorld:
    base = make_world()
    world = FuzzWorld(base)
    world.ids.update(programme_id=base.programme.id, match_id=base.match.id)
    world.ids["participant_id"] = db.session.execute(
        sa.select(Participant.id).where(
            Participant.programme_id == base.programme.id, Participant.user_id == base.mentee.id
        )
    ).scalar_one()
    s = _Seeder(app, world)
    match, programme = base.match.id, base.programme.id

    # The relationship space: a thread with a post, a chat message, a meeting.
    thread = s.call("mentor", "POST", f"/api/matches/{match}/threads", {"title": "Plans", "body": "Hello"})
    s.keep("thread_id", thread, "id")
    if thread:
        reply = s.call("mentee", "POST", f"/api/threads/{thread['id']}/posts", {"body": "Hi there"})
        s.keep("post_id", reply, "id")
        if reply and "id" in reply:
            attached = s.call("mentee", "POST", f"/api/posts/{reply['id']}/attachments",
                              data={"file": (io.BytesIO(b"%PDF-1.4\n% a plan\n"), "plan.pdf")},
                              content_type="multipart/form-data")
            s.keep("attachment_id", attached, "id")
    s.keep("message_id", s.call("mentee", "POST", f"/api/matches/{match}/chat", {"body": "hi"}), "id")
    when = (utcnow() + timedelta(days=5)).strftime("%Y-%m-%dT%H:%M")
    meeting = s.call("mentor", "POST", f"/api/matches/{match}/meetings",
                     {"title": "First meeting", "times": [when], "timezone": "Europe/Rome"})
    s.keep("meeting_id", meeting, "id")

    # Goals: a milestone, a goal.
    s.keep("milestone_id", s.call("coordinator", "POST", "/api/goals/milestones",
                                  {"title": "First meeting", "graded": True, "points": 10}), "id")
    s.keep("goal_id", s.call("mentee", "POST", f"/api/goals/matches/{match}/goals",
                             {"title": "Pass the exam", "measure": "A grade"}), "id")

    # Learning: a webinar, a content module and item, a training gate.
    webinar = s.call("coordinator", "POST", "/api/webinars",
                     {"title": "Kick-off", "starts_at": when, "timezone": "UTC", "duration_minutes": 30})
    s.keep("webinar_id", webinar, "webinars", "id")
    s.keep("webinar_id", webinar, "id")
    module = s.call("coordinator", "POST", "/api/content/modules", {"title": "Basics"})
    s.keep("module_id", module, "id")
    if module and "id" in module:
        item = s.call("coordinator", "POST", "/api/content/items",
                      {"module_id": module["id"], "kind": "link", "title": "Guide",
                       "url": "https://example.org/guide"})
        s.keep("item_id", item, "id", fragment=r"/content/")
        gate = s.call("coordinator", "POST", "/api/training/gates",
                      {"role": "mentor", "module_id": module["id"]})
        s.keep("gate_id", gate, "id")

    # Support: a request, an FAQ entry.
    s.keep("request_id", s.call("mentee", "POST", "/api/support/requests",
                                {"subject": "Cannot find goals", "body": "Where?"}), "id")
    s.keep("entry_id", s.call("coordinator", "POST", "/api/support/faq",
                              {"question_en": "Who sees my goals?", "answer_en": "Your match."}), "id")

    # Surveys: one with an item, and a profile question.
    survey = s.call("coordinator", "POST", f"/api/programmes/{programme}/surveys", {"title_en": "Check-in"})
    s.keep("survey_id", survey, "id")
    if survey and "id" in survey:
        item = s.call("coordinator", "POST", f"/api/programmes/{programme}/surveys/{survey['id']}/items", {
            "type": "likert", "text_en": "My mentor listens to me.",
            "scale": {"points": 5, "min_label_en": "Disagree", "max_label_en": "Agree"},
        })
        s.keep("item_id", item, "id", fragment=r"/surveys/")
    s.keep("question_id", s.call("coordinator", "POST", f"/api/programmes/{programme}/questions",
                                 {"label": "What do you study?", "kind": "free_text"}), "id")
    # Strings in paths: a KPI to follow, an attention item and its action, an instrument to add.
    world.strings["sub"] = base.mentee.sub
    world.by_path[(r"/kpis/targets/", "key")] = "participation"
    world.by_path[(r"/attention/", "source")] = "support_requests"
    world.by_path[(r"/attention/", "key")] = f"request:{world.ids.get('request_id', 0)}"
    world.by_path[(r"/attention/", "action")] = "assign"
    instruments = s.call("coordinator", "GET", f"/api/programmes/{programme}/survey-instruments")
    if instruments and instruments.get("instruments"):
        world.by_path[(r"/survey-instruments/", "key")] = instruments["instruments"][0]["key"]
    s.keep("run_id", s.call("coordinator", "POST", f"/api/programmes/{programme}/matching/runs", {}), "id")
    _key, world.api_key = keys.create(base.platform.id, SCOPES, name="fuzz")
    db.session.expire_all()
    return world
