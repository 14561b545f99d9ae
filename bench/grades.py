"""Benchmark of score delivery: completions -> score outbox -> AGS scores on the demo LMS.

Usage: ``python bench/grades.py [--learners 2000] [--milestones 5] [--database-url URL]``

Two scenarios, one JSON line each: a healthy LMS, then one failing 30% of token and AGS requests
with HTTP 500. Completions go through the real path (events -> automatic milestone rules ->
completion + outbox row in one transaction); delivery runs the ``grades.deliver`` jobs in this
process. The demo LMS runs in a subprocess (its own GIL), its roster extended to every learner.
``seconds`` is delivery time (all completions committed -> every score acknowledged);
``write_seconds`` the time to record the completions. ``--outage 60`` adds a scenario
where the LMS answers 503 (with ``Retry-After``) for a minute as delivery starts. ``lost``
counts (learner, milestone) pairs whose final value in the LMS gradebook is not the expected one.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lti_tool import create_app
from lti_tool.accounts.models import Course, CourseRole, User
from lti_tool.db import db, utcnow
from lti_tool.demo.server import serve_in_thread
from lti_tool.events import DomainEvent, emit
from lti_tool.grades.models import DeliveryState, ScoreOutbox
from lti_tool.identity.context import LaunchContext
from lti_tool.jobs.runner import run_due_jobs
from lti_tool.launch import keys, registry
from lti_tool.mentoring.goals import milestones
from lti_tool.mentoring.matching.models import Match, MatchMentee, MatchStatus
from lti_tool.mentoring.programmes.models import Participant, ParticipantRole, Programme
from lti_tool.migrations_runner import upgrade

ROOT = Path(__file__).resolve().parents[1]
# (event, personal?) — each automatic milestone completes on one of these.
RULES = [
    ("meeting.held", False), ("goal.plan_agreed", False), ("message.sent", False),
    ("survey.answered", True), ("content.viewed", True),
]
EVENT_BATCH = 20
DELIVERY_DEADLINE_SECONDS = 600

LMS_SCRIPT = """
import sys, time
from lti_tool.demo import DemoPlatform, start_demo_server
from lti_tool.demo.roster import Person
jwks, learners = sys.argv[1], int(sys.argv[2])
handle = start_demo_server({"tool_jwks_url": jwks})
course = DemoPlatform.of(handle.app).course
course.members.extend(Person(f"b-{n:05d}", "Bench", str(n)) for n in range(learners))
print(handle.url, flush=True)
while True:
    time.sleep(3600)
"""


class _Jwks:
    def __init__(self, body: dict[str, Any]):
        self.body = json.dumps(body).encode()

    def __call__(self, environ: Any, start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "application/json")])
        return [self.body]


def scenario(
    name: str, failure_rate: float, args: argparse.Namespace, outage: float = 0.0
) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="grades-", dir=args.workdir))
    database_url = args.database_url or f"sqlite:///{workdir / 'ritmo.sqlite3'}"
    app = create_app({
        "DATABASE_URL": database_url, "DATA_DIR": str(workdir), "SECRET_KEY": "bench",
        "REDIS_URL": None, "GRADES_BACKOFF_BASE_SECONDS": args.backoff_base,
        "GRADES_BACKOFF_CAP_SECONDS": args.backoff_cap, "GRADES_DELIVERY_THREADS": args.threads,
        "GRADES_BATCH_SIZE": args.batch,
        "ALLOW_PRIVATE_URLS": True,  # the measured LMS listens on 127.0.0.1 over http
    })
    with app.app_context():
        upgrade()
        jwks = serve_in_thread(_Jwks(keys.jwks()))  # type: ignore[arg-type]
        lms = subprocess.Popen(
            [sys.executable, "-c", LMS_SCRIPT, jwks.url + "/jwks", str(args.learners)],
            stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[1],
        )
        try:
            assert lms.stdout is not None
            lms_url = lms.stdout.readline().strip()
            return _run(name, failure_rate, args, lms_url, outage)
        finally:
            lms.terminate()
            lms.wait(10)
            jwks.shutdown()
            db.session.remove()
            db.engine.dispose()
            shutil.rmtree(workdir, ignore_errors=True)


def _run(
    name: str, failure_rate: float, args: argparse.Namespace, lms_url: str, outage: float
) -> dict[str, Any]:
    http = requests.Session()
    registration = http.get(lms_url + "/demo/registration").json()
    platform = registry.add_platform(registration)
    world = _seed(platform.id, args.learners, lms_url + "/demo/courses/CourseA/lineitems?type_id=1")
    coord = LaunchContext(platform_id=platform.id, user_id=world["coordinator"],
                          course_id=world["course"], role=CourseRole.COORDINATOR)
    milestone_ids = []
    for n, (event, _personal) in enumerate(RULES[: args.milestones]):
        milestone_ids.append(milestones.create_milestone(coord, {
            "title": f"Milestone {n + 1}: {event}", "graded": True, "points": 10 + n,
            "completion_mode": "automatic", "rule_event": event, "rule_count": 1,
        }).id)
    if failure_rate:
        http.post(lms_url + "/demo/faults", json={"fail_rate": failure_rate, "seed": 11})

    started = time.perf_counter()
    pairs = world["pairs"]
    for offset in range(0, len(pairs), EVENT_BATCH):
        for match_id, mentee_id in pairs[offset : offset + EVENT_BATCH]:
            for event, personal in RULES[: args.milestones]:
                emit(DomainEvent(event, world["programme"], match_id=None if personal else match_id,
                                 participant_id=mentee_id))
        db.session.commit()
    written = time.perf_counter()
    if outage:
        # The LMS goes down (503 with Retry-After) just as delivery starts.
        http.post(lms_url + "/demo/faults", json={"down_until": time.time() + outage})

    deadline = written + DELIVERY_DEADLINE_SECONDS
    while time.perf_counter() < deadline:
        if not run_due_jobs(limit=50):
            waiting = db.session.execute(
                db.select(db.func.count()).select_from(ScoreOutbox).where(
                    ScoreOutbox.state != DeliveryState.DELIVERED
                )
            ).scalar_one()
            db.session.rollback()
            if not waiting:
                break
            time.sleep(0.02)
    delivered_at = time.perf_counter()

    completions = db.session.execute(
        db.select(db.func.count()).select_from(ScoreOutbox)
    ).scalar_one()
    delivered = db.session.execute(
        db.select(db.func.count()).select_from(ScoreOutbox).where(
            ScoreOutbox.state == DeliveryState.DELIVERED
        )
    ).scalar_one()
    book = http.get(lms_url + "/demo/gradebook").json()["lineitems"]
    stats = http.get(lms_url + "/demo/stats").json()
    expected = {
        f"ritmo:milestone:{mid}": 10.0 + n for n, mid in enumerate(milestone_ids)
    }
    correct = 0
    for item in book:
        value = expected.get(item.get("resourceId"))
        if value is None:
            continue
        correct += sum(1 for s in item["scores"].values() if s["latest"].get("scoreGiven") == value)
    seconds = delivered_at - written
    return {
        "scenario": name,
        "completions": completions,
        "seconds": round(seconds, 2),
        "scores_per_s": round(completions / seconds, 1) if seconds else None,
        "token_requests": stats.get("token_requests", 0),
        "tokens_issued": stats.get("tokens_issued", 0),
        "failure_rate": failure_rate,
        "delivered": delivered,
        "lost": len(world["pairs"]) * len(milestone_ids) - correct,
        "write_seconds": round(written - started, 2),
        "score_posts": stats.get("score_posts", 0),
        "faults_injected": stats.get("faults_injected", 0),
        "database": db.engine.dialect.name,
        "backoff_base_s": args.backoff_base,
        "backoff_cap_s": args.backoff_cap,
        "threads": args.threads,
    }


def _seed(platform_id: int, learners: int, lineitems_url: str) -> dict[str, Any]:
    course = Course(platform_id=platform_id, context_id="CourseA", title="Bench",
                    lineitems_url=lineitems_url)
    db.session.add(course)
    db.session.flush()
    programme = Programme(course_id=course.id, title="Bench programme")
    coordinator = User(platform_id=platform_id, sub="u-instructor")
    db.session.add_all([programme, coordinator])
    db.session.flush()
    users = [User(platform_id=platform_id, sub=f"b-{n:05d}") for n in range(learners)]
    mentor_users = [User(platform_id=platform_id, sub=f"m-{n:05d}") for n in range(learners)]
    db.session.add_all(users + mentor_users)
    db.session.flush()
    mentees = [Participant(programme_id=programme.id, user_id=u.id, role=ParticipantRole.MENTEE)
               for u in users]
    mentors = [Participant(programme_id=programme.id, user_id=u.id, role=ParticipantRole.MENTOR)
               for u in mentor_users]
    db.session.add_all(mentees + mentors)
    db.session.flush()
    matches = [Match(programme_id=programme.id, mentor_id=m.id, status=MatchStatus.ACTIVE,
                     started_at=utcnow()) for m in mentors]
    db.session.add_all(matches)
    db.session.flush()
    db.session.add_all(MatchMentee(match_id=m.id, mentee_id=p.id)
                       for m, p in zip(matches, mentees, strict=True))
    db.session.commit()
    return {
        "course": course.id, "programme": programme.id, "coordinator": coordinator.id,
        "pairs": [(m.id, p.id) for m, p in zip(matches, mentees, strict=True)],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=2000)
    parser.add_argument("--milestones", type=int, default=5, choices=range(1, len(RULES) + 1))
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--backoff-base", type=float, default=0.1)
    parser.add_argument("--backoff-cap", type=float, default=2.0)
    parser.add_argument("--workdir", default=str(ROOT / "instance" / "bench"),
                        help="where the scratch SQLite databases go (removed afterwards)")
    parser.add_argument("--only", choices=["healthy", "faults", "outage"], default=None)
    parser.add_argument("--outage", type=float, default=0.0,
                        help="also run a scenario where the LMS is down this many seconds")
    args = parser.parse_args()
    Path(args.workdir).mkdir(parents=True, exist_ok=True)
    scenarios = [("healthy", 0.0, 0.0), ("faults_30pct", 0.3, 0.0)]
    if args.outage:
        scenarios.append((f"outage_{args.outage:g}s", 0.0, args.outage))
    for name, rate, outage in scenarios:
        if args.only and not name.startswith(args.only):
            continue
        print(json.dumps(scenario(name, rate, args, outage)), flush=True)


if __name__ == "__main__":
    main()
