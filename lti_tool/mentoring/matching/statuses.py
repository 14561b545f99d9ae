"""Which match statuses mean what: the one home of the status sets every feature asks about.

A match is proposed (by a run, a coordinator or a mentor accepting a request), approved (waiting
for the programme's start date) or started, and finally ended with a reason (``EndReason``). A
match that was *completed* is an ended one whose reason says it ran its course; no separate status,
so everything that asks "has it ended?" keeps one answer. Features do not list statuses
themselves; they name the meaning they need here.
Tuples, in the order of a match's life, so the SQL they produce is the same on every run.
"""

from __future__ import annotations

from lti_tool.mentoring.matching.models import EndReason, MatchStatus

#: Not ended: each of these matches holds a place in its mentor's capacity and keeps its mentees
#: out of the next proposals (a mentee with one of these "already has a mentor").
HOLDING_PLACES: tuple[MatchStatus, ...] = (MatchStatus.PROPOSED, MatchStatus.APPROVED, MatchStatus.ACTIVE)
#: The pair works together: approved by a coordinator, or started. Members write in their space,
#: plan goals and complete milestones; the KPI dashboard counts these as its live pairs.
CONFIRMED: tuple[MatchStatus, ...] = (MatchStatus.APPROVED, MatchStatus.ACTIVE)
#: What members see of their matches: the confirmed ones, and the ended ones as read-only history.
#: A proposal stays the coordinator's until it is approved.
VISIBLE_TO_MEMBERS: tuple[MatchStatus, ...] = (*CONFIRMED, MatchStatus.ENDED)
#: Why an ended match counts as *completed*: closed by its pair or a coordinator, or by the
#: programme's end date. The other reasons (a rematch, a withdrawal, a coordinator ending it, a
#: proposal removed) ended it before it ran its course.
COMPLETING: tuple[EndReason, ...] = (EndReason.COMPLETED, EndReason.PROGRAMME_ENDED)
