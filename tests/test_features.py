"""Features register themselves explicitly, from ``init_app``, once per app and idempotently.

Importing Ritmo's modules registers nothing (no task, event handler, timeline source or SQLAlchemy
listener); building an app registers every feature's; building many apps in one process leaves one
registration of each.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from lti_tool import create_app, events
from lti_tool.jobs import register_task
from lti_tool.jobs.registry import TASKS
from lti_tool.launch import framing, tool_config
from lti_tool.mentoring.conversations import history
from lti_tool.mentoring.kpis import figures
from lti_tool.mentoring.webinars import training_gates

# What a process holds: the registries and the Session listeners features install.
_PROBE = textwrap.dedent(
    """
    import json, pkgutil, importlib
    import sqlalchemy as sa
    from sqlalchemy.orm import Session
    import lti_tool
    from lti_tool import events
    from lti_tool.jobs.registry import TASKS
    from lti_tool.mentoring.conversations import history
    from lti_tool.mentoring.webinars import training_gates

    skip = (".migrations", ".demo", "celery_app", "wsgi")
    for info in pkgutil.walk_packages(lti_tool.__path__, "lti_tool."):
        if not any(part in info.name for part in skip):
            importlib.import_module(info.name)
    for _ in range(3 if BUILD else 0):
        lti_tool.create_app({"TESTING": True, "DATA_DIR": DATA_DIR})
    state = {
        "tasks": sorted(TASKS),
        "handlers": sorted(name for name, hs in events._handlers.items() if hs),
        "sources": sorted(history._sources),
        "gates_listener": sa.event.contains(Session, "after_commit", training_gates._forget),
        "handler_counts": {name: len(hs) for name, hs in events._handlers.items() if hs},
    }
    print(json.dumps(state))
    """
)


def _probe(tmp_path: Path, build: bool) -> dict:
    code = f"BUILD = {build!r}\nDATA_DIR = {str(tmp_path)!r}\n" + _PROBE
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_importing_every_module_registers_nothing(tmp_path: Path) -> None:
    state = _probe(tmp_path, build=False)
    assert state == {
        "tasks": [], "handlers": [], "sources": [], "gates_listener": False, "handler_counts": {}
    }


def test_building_apps_registers_each_feature_once(tmp_path: Path) -> None:
    state = _probe(tmp_path, build=True)
    assert state["tasks"] == [
        "api_keys.purge_uses",
        "attachments.sweep", "attention.digest", "conversations.announce", "conversations.chat_reminder",
        "grades.deliver", "grades.line_item", "grades.sweep", "kpis.snapshots", "launch.last_seen",
        "mail.send", "matching.expire_request", "matching.lifecycle_round", "matching.run",
        "meetings.reminder",
        "notifications.digest", "notifications.purge_links", "nudges.daily", "rhythm.daily", "roster.sync",
        "support.reminders", "surveys.schedules", "webhooks.deliver", "webinars.remind",
        "webinars.reminder_sweep",
    ]
    assert state["sources"] == [
        "chat", "decisions", "goals", "meetings", "milestones", "nudges", "posts", "sent_mail", "support",
        "webinar_attendance",
    ]
    assert state["gates_listener"] is True
    # Three apps, one subscription each: attendance scores once and the milestone rules count once.
    assert state["handler_counts"]["webinar.attended"] == 2
    assert set(state["handler_counts"].values()) <= {1, 2}


def test_a_second_app_adds_no_listener_or_handler(app) -> None:
    before = {name: list(handlers) for name, handlers in events._handlers.items()}
    create_app({"TESTING": True, "DATA_DIR": app.config["DATA_DIR"]})
    assert {name: list(handlers) for name, handlers in events._handlers.items() if handlers} == {
        name: handlers for name, handlers in before.items() if handlers
    }
    for target, name, fn in (
        (Session, "after_commit", training_gates._forget),
        (Session, "after_commit", framing._committed),
        (Session, "after_flush", tool_config._registry_flushed),
    ):
        assert event.contains(target, name, fn)


def test_each_app_gets_the_features_pages_targets_and_offers(app) -> None:
    assert {"health", "lti", "lti_setup", "launch_api", "programmes", "programmes.matching",
            "programmes.profiles", "programmes.roster", "goals", "grades", "webinars", "content",
            "conversations", "conversations_api", "meetings", "support", "support_api", "notifications",
            "signin",
            "survey_instruments", "survey_builder", "surveys", "match_actions", "matching_review",
            "kpis", "attention", "match_life", "survey_schedules", "survey_evaluation", "rhythm",
            "attachments",
            "webhooks", "webhooks_api",  # the LMS admins' page; the API for keys with webhooks:manage
            # The platform API (API keys), one blueprint per feature that answers it.
            "programmes_platform", "kpis_platform", "roster_platform", "profiles_platform",
            "meetings_platform",
            "api",  # the OpenAPI document, its reference, the refusal of unknown versions
    } == set(app.blueprints)
    # The picker lists what it offers in the order the features registered it.
    offers = list(app.extensions["ritmo_deep_linking_offers"])
    assert offers == ["programme", "milestone", "webinar", "content"]
    targets = app.extensions["ritmo_launch_targets"]
    assert set(targets.pages) == {"programme", "milestone", "content", "webinar"}
    assert targets.default == "programme"
    assert history.known_kinds() == [
        "chat", "decision", "email", "goal", "meeting", "milestone", "nudge", "post", "support", "webinar"
    ]
    # Each feature's dashboard figures, in the order the features registered them.
    assert list(figures.registered(app)) == [
        "participants", "profiles_started", "mentees", "matches", "pending_requests", "milestones",
        "webinars", "meetings", "activity", "gradebook",
    ]


def test_a_task_name_names_one_function() -> None:
    def first(payload: dict) -> None:
        return None

    def other(payload: dict) -> None:
        return None

    register_task("test.one-function", first)
    register_task("test.one-function", first)  # the same function again: nothing changes
    with pytest.raises(ValueError, match="already registered"):
        register_task("test.one-function", other)
    assert TASKS.pop("test.one-function") is first
