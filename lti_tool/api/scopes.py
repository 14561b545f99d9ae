"""What an API key may do: each scope names one kind of data and whether the key reads or writes it.

A key carries the scopes its admin gave it (``lti-tool apikey create --scopes``); each operation
under ``/api/platform/...`` names the scopes it needs (``key_required``), and the OpenAPI document
lists them with these descriptions.
"""

from __future__ import annotations

from collections.abc import Iterable

#: Every scope, with what it lets a system do, in the order the documentation lists them.
SCOPES: dict[str, str] = {
    "programmes:read": "Read the platform's programmes and their state (phase, participants and matches).",
    "kpis:read": "Read a programme's KPI figures, as its coordinators see them on the dashboard.",
    "roster:read": "Read a programme's participants: LMS user id, name, e-mail, role and status.",
    "roster:write": "Add and update a programme's participants by LMS user id, under the roster's rules.",
    "profiles:read": "Read participants' questionnaire answers.",
    "profiles:write": "Write participants' questionnaire answers, checked as the questionnaire checks them.",
    "meetings:read": "Read a person's next accepted meeting (time, partner, join link).",
    "webhooks:manage": "Subscribe URLs to the platform's events and manage those subscriptions.",
}

#: The scopes that only read.
READ_SCOPES: tuple[str, ...] = tuple(name for name in SCOPES if name.endswith(":read"))


def unknown(names: Iterable[str]) -> list[str]:
    """The names of ``names`` that are not scopes, in their order."""
    return [name for name in names if name not in SCOPES]
