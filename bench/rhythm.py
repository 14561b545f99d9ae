"""Benchmark of pair health and its nudges: a programme simulated day by day through Ritmo's own
rhythm code (``lti_tool.mentoring.rhythm.escalation.run_programme``, the daily task's body), on SQLite.

Usage: ``.venv/bin/python bench/rhythm.py [--pairs 10000] [--weeks 12] [--seed 1] [--quiet-share 0.1]``

Seeds one programme of ``--pairs`` active one-to-one matches on a scratch, migrated SQLite database.
Every simulated day, each pair that is still active writes in its space (chat messages, one member
then the other, every one to four days, as the product stores them), and meets every ten to sixteen
days (a meeting proposed and confirmed five days ahead, at a time of day); the author's
``last_seen_at`` follows, as a launch would set it. A known, seeded set of pairs (``--quiet-share``)
goes quiet at a random day and does nothing from then on; the rest stay active to the end. Activity
is written in bulk into the product's own tables; the evaluation runs at 20:00 each day, after that
day's activity, and sends its nudges through the nudges service (weekly limit, dedupe).

Prints one JSON line: ``pairs``, ``weeks``, ``seconds`` (seeding and the simulation; migrations
excluded), ``cpu_seconds`` (the same, this process's CPU time), ``quiet_pairs``,
``detected_share`` (quiet pairs flagged quiet or at risk within 7 days of their last activity),
``median_detection_days``, ``false_alarm_share`` (active pairs ever at risk),
``active_ever_quiet_share`` (active pairs ever flagged quiet: nudged, not alarmed),
``nudges_sent``, ``max_nudges_per_person_week``, the ``baseline`` (the usual rule, a fixed 7-day
inactivity threshold checked by the same daily run, measured on the same quiet pairs) and
``budget_met``. Budget (issue 20): detected >= 0.9, false alarms <= 0.05, at most two nudges a week
to anyone, under 60 s at 10,000 pairs over 12 weeks.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.seed import bench_programme  # noqa: E402
from lti_tool import create_app  # noqa: E402
from lti_tool.accounts.models import User  # noqa: E402
from lti_tool.db import db  # noqa: E402
from lti_tool.mentoring.conversations.models import ChatMessage  # noqa: E402
from lti_tool.mentoring.matching.models import Match, MatchMentee, MatchStatus  # noqa: E402
from lti_tool.mentoring.meetings.models import Meeting, MeetingStatus, VideoProvider  # noqa: E402
from lti_tool.mentoring.nudges.models import Nudge  # noqa: E402
from lti_tool.mentoring.programmes.models import Participant, ParticipantRole  # noqa: E402
from lti_tool.mentoring.rhythm.escalation import run_programme  # noqa: E402
from lti_tool.mentoring.rhythm.models import PairRhythm  # noqa: E402
from lti_tool.migrations_runner import upgrade  # noqa: E402

BUDGET = {"detected_share": 0.9, "false_alarm_share": 0.05, "max_nudges_per_person_week": 2, "seconds": 60.0}
DETECT_WITHIN = timedelta(days=7)
#: The baseline: a fixed inactivity threshold, as most mentoring platforms flag pairs.
BASELINE_DAYS = 7
EVALUATE_AT = timedelta(hours=20)
START = datetime(2027, 1, 4, tzinfo=UTC)
# The product's tables, written in bulk (Core statements: the activity of a day in a few executemany).
CHAT: sa.Table = ChatMessage.__table__  # type: ignore[assignment]
MEETING: sa.Table = Meeting.__table__  # type: ignore[assignment]
USER: sa.Table = User.__table__  # type: ignore[assignment]
SEEN = USER.update().where(USER.c.id == sa.bindparam("b_id")).values(last_seen_at=sa.bindparam("b_seen"))


class Simulation:
    def __init__(self, pairs: int, weeks: int, seed: int, quiet_share: float) -> None:
        self.rng = random.Random(seed)
        self.pairs, self.days = pairs, weeks * 7
        self.match_ids: list[int] = []
        self.members: dict[int, tuple[int, int]] = {}  # match -> (mentor user, mentee user)
        self.quiet_day: dict[int, int] = {}  # the known quiet pairs: the day they stop
        self.next_write: dict[int, float] = {}
        self.next_meet: dict[int, float] = {}
        self.writer: dict[int, int] = {}
        self.last_activity: dict[int, datetime] = {}
        self.flagged: dict[int, datetime] = {}  # quiet pairs: first flag after their last activity
        self.ever_at_risk: set[int] = set()
        self.ever_quiet: set[int] = set()
        self.quiet_share = quiet_share
        self.meetings_on: dict[int, list[tuple[int, datetime]]] = defaultdict(list)  # day -> meetings

    def seed(self) -> None:
        platform, _course, self.programme = bench_programme()
        n = self.pairs
        db.session.execute(
            sa.insert(User),
            [
                {"platform_id": platform.id, "sub": f"u{i}", "name": f"Person {i}", "email": None}
                for i in range(2 * n)
            ],
        )
        users = list(
            db.session.execute(
                sa.select(User.id).where(User.platform_id == platform.id).order_by(User.id)
            ).scalars()
        )
        db.session.execute(
            sa.insert(Participant),
            [
                {
                    "programme_id": self.programme.id,
                    "user_id": uid,
                    "role": ParticipantRole.MENTOR if i % 2 == 0 else ParticipantRole.MENTEE,
                }
                for i, uid in enumerate(users)
            ],
        )
        people = dict(
            db.session.execute(
                sa.select(Participant.user_id, Participant.id).where(
                    Participant.programme_id == self.programme.id
                )
            ).all()
        )
        db.session.execute(
            sa.insert(Match),
            [
                {
                    "programme_id": self.programme.id,
                    "mentor_id": people[users[2 * k]],
                    "status": MatchStatus.ACTIVE,
                    "started_at": START,
                    "explanation": {},
                }
                for k in range(n)
            ],
        )
        self.match_ids = list(
            db.session.execute(
                sa.select(Match.id).where(Match.programme_id == self.programme.id).order_by(Match.id)
            ).scalars()
        )
        db.session.execute(
            sa.insert(MatchMentee),
            [{"match_id": m, "mentee_id": people[users[2 * k + 1]]} for k, m in enumerate(self.match_ids)],
        )
        db.session.commit()
        for k, m in enumerate(self.match_ids):
            self.members[m] = (users[2 * k], users[2 * k + 1])
            self.writer[m] = self.rng.choice(self.members[m])
            self.next_write[m] = self.rng.uniform(0, 2)
            self.next_meet[m] = self.rng.uniform(2, 10)
            self.last_activity[m] = START
        quiet = self.rng.sample(self.match_ids, round(self.quiet_share * n))
        for m in quiet:  # they stop on a random day, early enough to be followed for a week after
            self.quiet_day[m] = self.rng.randint(3, self.days - 8)

    def day(self, d: int) -> None:
        """Write day ``d``'s activity in bulk, as the product would store it."""
        chats: list[dict[str, Any]] = []
        meetings: list[dict[str, Any]] = []
        seen: dict[int, datetime] = {}
        for m in self.match_ids:
            stop = self.quiet_day.get(m)
            if stop is not None and d >= stop:
                continue
            while self.next_write[m] < d + 1:
                at = START + timedelta(days=d, hours=self.rng.uniform(8, 19.9))
                mentor, mentee = self.members[m]
                author = mentee if self.writer[m] == mentor else mentor
                self.writer[m] = author
                chats.append(
                    {
                        "match_id": m,
                        "author_user_id": author,
                        "body": "x",
                        "body_html": "<p>x</p>",
                        "mentions": [],
                        "created_at": at,
                    }
                )
                seen[author] = at
                self.last_activity[m] = max(self.last_activity[m], at)
                self.next_write[m] += self.rng.uniform(1, 4)
            if self.next_meet[m] < d + 1:
                meet_day = d + 5
                if stop is None or meet_day < stop:
                    starts = START + timedelta(days=meet_day, hours=self.rng.uniform(9, 18))
                    meetings.append(self._meeting(m, START + timedelta(days=d, hours=9), starts))
                self.next_meet[m] = meet_day + self.rng.uniform(10, 16) - 5
        if chats:
            db.session.execute(CHAT.insert(), chats)
        if meetings:
            db.session.execute(MEETING.insert(), meetings)
            for row in meetings:  # a meeting that takes place is activity on its day
                self.meetings_on[(row["starts_at"] - START).days].append((row["match_id"], row["starts_at"]))
        if seen:
            db.session.execute(SEEN, [{"b_id": uid, "b_seen": at} for uid, at in seen.items()])
        for m, at in self.meetings_on.pop(d, ()):  # before the evaluation at 20:00
            self.last_activity[m] = max(self.last_activity[m], at)
        db.session.commit()

    def _meeting(self, match_id: int, created: datetime, starts: datetime) -> dict[str, Any]:
        return {
            "programme_id": self.programme.id,
            "match_id": match_id,
            "organiser_user_id": self.members[match_id][0],
            "title": "Catch-up",
            "agenda": "",
            "agenda_html": "",
            "status": MeetingStatus.CONFIRMED,
            "duration_minutes": 45,
            "starts_at": starts,
            "timezone": "UTC",
            "video_provider": VideoProvider.JITSI,
            "video_url": f"https://meet.jit.si/ritmo-{match_id}-{created:%j}",
            "ical_uid": f"{match_id}-{starts.timestamp()}@bench",
            "sequence": 0,
            "proposed_by_user_id": self.members[match_id][0],
            "notes": "",
            "notes_html": "",
            "created_at": created,
            "updated_at": created,
        }

    def evaluate(self, d: int) -> int:
        now = START + timedelta(days=d) + EVALUATE_AT
        stats = run_programme(self.programme, now)
        db.session.commit()
        for m, state in db.session.execute(
            sa.select(PairRhythm.match_id, PairRhythm.state).where(PairRhythm.state.in_(["quiet", "at_risk"]))
        ):
            if m in self.quiet_day:
                if self.quiet_day[m] <= d and m not in self.flagged:
                    self.flagged[m] = now
            else:
                self.ever_quiet.add(m)
                if state == "at_risk":
                    self.ever_at_risk.add(m)
        return stats.nudges

    def baseline(self, quiet: list[int]) -> dict[str, Any]:
        """The usual rule, on the same pairs and the same daily run at 20:00: flag a pair after
        ``BASELINE_DAYS`` days without any activity."""
        delays = []
        for m in quiet:
            due = self.last_activity[m] + timedelta(days=BASELINE_DAYS)
            day = math.ceil((due - START - EVALUATE_AT) / timedelta(days=1))  # its first run after
            flagged = START + timedelta(days=day) + EVALUATE_AT
            if day < self.days:
                delays.append(flagged - self.last_activity[m])
        share, median = _share_and_median(delays, len(quiet))
        return {
            "rule": f"flag after {BASELINE_DAYS} days without activity",
            "detected_share": share,
            "median_detection_days": median,
        }

    def run(self) -> dict[str, Any]:
        started, cpu = time.perf_counter(), time.process_time()
        self.seed()
        nudges = 0
        for d in range(self.days):
            self.day(d)
            nudges += self.evaluate(d)
        seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
        quiet = list(self.quiet_day)
        delays = [(self.flagged[m] - self.last_activity[m]) for m in quiet if m in self.flagged]
        detected = sum(
            1 for m in quiet if m in self.flagged and self.flagged[m] - self.last_activity[m] <= DETECT_WITHIN
        )
        active = len(self.match_ids) - len(quiet)
        result = {
            "pairs": self.pairs,
            "weeks": self.days // 7,
            "seconds": round(seconds, 2),
            "cpu_seconds": round(cpu_seconds, 2),  # this process only: a busy machine inflates ``seconds``
            "quiet_pairs": len(quiet),
            "detected_share": round(detected / len(quiet), 4) if quiet else 1.0,
            "median_detection_days": round(statistics.median(d.total_seconds() / 86400 for d in delays), 2)
            if delays
            else None,
            "false_alarm_share": round(len(self.ever_at_risk) / active, 4) if active else 0.0,
            "active_ever_quiet_share": round(len(self.ever_quiet) / active, 4) if active else 0.0,
            "nudges_sent": db.session.execute(sa.select(sa.func.count(Nudge.id))).scalar_one(),
            "nudges_counted_by_runs": nudges,
            "max_nudges_per_person_week": max_per_week(),
            "baseline": self.baseline(quiet),
        }
        result["budget_met"] = (
            result["detected_share"] >= BUDGET["detected_share"]
            and result["false_alarm_share"] <= BUDGET["false_alarm_share"]
            and result["max_nudges_per_person_week"] <= BUDGET["max_nudges_per_person_week"]
            and (self.pairs < 10_000 or seconds < BUDGET["seconds"])
        )
        return result


def _share_and_median(delays: list[timedelta], total: int) -> tuple[float, float | None]:
    within = sum(1 for d in delays if d <= DETECT_WITHIN)
    days = [d.total_seconds() / 86400 for d in delays]
    return (round(within / total, 4) if total else 1.0), (round(statistics.median(days), 2) if days else None)


def max_per_week() -> int:
    """The most nudges any one person received in any rolling seven days."""
    sent: dict[int, list[datetime]] = defaultdict(list)
    for uid, at in db.session.execute(sa.select(Nudge.user_id, Nudge.sent_at).order_by(Nudge.sent_at)):
        sent[uid].append(at)
    best = 0
    for times in sent.values():
        lo = 0
        for hi, at in enumerate(times):
            while times[lo] <= at - timedelta(days=7):
                lo += 1
            best = max(best, hi - lo + 1)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=10_000)
    parser.add_argument("--weeks", type=int, default=12)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quiet-share", type=float, default=0.1)
    args = parser.parse_args()
    if args.weeks < 2:
        parser.error("--weeks must be at least 2: quiet pairs need a week to be followed")
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            {
                "DATABASE_URL": f"sqlite:///{Path(tmp) / 'rhythm.sqlite3'}",
                "DATA_DIR": tmp,
                "SECRET_KEY": "bench-not-secret",
                "BASE_URL": "http://127.0.0.1:5000",
                "REDIS_URL": None,
            }
        )
        with app.app_context():
            upgrade()
            result = Simulation(args.pairs, args.weeks, args.seed, args.quiet_share).run()
            db.session.remove()
            db.engine.dispose()
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
