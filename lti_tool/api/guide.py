"""What the document says about the API as a whole: its introduction, the error shape, the two ways
to authenticate and how lists are paged. ``docs/api.md`` says the same at more length."""

from __future__ import annotations

from typing import Any

DESCRIPTION = """\
Ritmo's JSON API: every page of Ritmo uses it, and an institution's other systems can too.

**Versions.** The paths of this document start with `/api/v1/`: version 1, which only grows
(new operations, new optional fields). Every response carries `Ritmo-API-Version: 1`. A path
without the version (`/api/...`) is the same operation and stays available for Ritmo's own
pages; integrations use `/api/v1/`. A deprecated operation or field is marked `deprecated` here,
its responses carry `Deprecation` (RFC 9745) and, once it has a date, `Sunset` (RFC 8594); it
keeps working for at least six months after it was deprecated.

**Authentication.** `session`: the session token of a launch from the LMS, as the pages send
it (`Authorization: Bearer <token>`); it acts as that person, with their role in that course.
`apiKey`: a key an administrator created for a system (`X-API-Key: <key>`), bound to one
platform and limited to its scopes. Each operation lists which it takes.

**Errors.** Every error is `application/problem+json` (RFC 9457): `type`, `title`, `status`,
a `detail` a person can act on and, for invalid input, `errors` by field.

**Pagination.** Long lists come in pages with a cursor: pass the cursor the last page
returned to get the next one, and stop when it is `null`. The notifications take `before` and
return `next_before`; a space's threads, the forum and a space's history take `cursor` and return
`next_cursor`; a thread's posts and, with an API key, a programme's participants take `after`
and return `next_after`; a chat's older messages take `before` (the oldest message id you hold),
and fewer than a page back means there are no more.

**Rate limits.** Writes count against a budget per person per minute (and some operations a
smaller one of their own); past it the answer is 429 with `Retry-After` in seconds.
"""

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Problem details (RFC 9457): what went wrong and what to do next.",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "description": "`about:blank`: the status says the kind."},
        "title": {"type": "string", "description": "A short summary of the kind of problem."},
        "status": {"type": "integer", "description": "The HTTP status, repeated."},
        "detail": {"type": "string", "description": "What went wrong and what to do next."},
        "errors": {
            "type": "object",
            "description": "For invalid input: the messages by field (nested for nested fields).",
            "additionalProperties": True,
        },
    },
    "additionalProperties": True,
}

SESSION_SCHEME = {
    "type": "http",
    "scheme": "bearer",
    "description": "The session token of a launch from the LMS (the `ritmo-session` meta tag of a "
    "Ritmo page). It expires within an hour and acts as the person who launched.",
}

API_KEY_SCHEME = {
    "type": "apiKey",
    "in": "header",
    "name": "X-API-Key",
    "description": "An API key an administrator created with `lti-tool apikey create`, bound to one "
    "platform and to its scopes (listed on each operation).",
}

ERROR_MEANINGS = {
    400: "The request is malformed (for example, a body that is not valid JSON).",
    401: "No valid session token or API key: authenticate and try again.",
    403: "Authenticated, but this person or key may not do this.",
    404: "Nothing with this id, or nothing you may see.",
    409: "This conflicts with the current state (it changed, or it was already done).",
    410: "This is gone (ended, closed or past its sunset).",
    413: "The body is larger than this operation accepts.",
    415: "The body's Content-Type is not one this operation takes.",
    422: "Some fields are missing or invalid: `errors` says which.",
    429: "Too many requests: wait `Retry-After` seconds.",
    502: "A service Ritmo relies on (the LMS) did not answer as expected.",
    503: "Not available right now: try again later.",
}

#: Query parameters that page through lists, and how (added where a schema does not say).
CURSORS = {
    "before": "Page backwards: pass the cursor (`next_before`, or the oldest id you have) the "
    "previous page returned; omit it for the newest page.",
    "cursor": "Page through the list: pass the `next_cursor` the previous page returned; omit it "
    "for the first page. A `null` next cursor means there is no more.",
    "after": "Page forwards: pass the `next_after` the previous page returned; omit it for the "
    "first page.",
}

#: The tags, in the order the reference lists them, with what each groups.
TAGS = {
    "session": "Who is asking: the launch's person, their data, a session handed to a new window.",
    "programmes": "A course's mentoring programme: its settings and participants.",
    "profiles": "The programme's questionnaire and each participant's answers.",
    "matching": "Matching runs, proposed pairs, requests between participants, approved matches.",
    "roster": "The programme's roster: syncs from the LMS, CSV import and export.",
    "match-life": "A match's life: check-ins, reflection, planned end, closure.",
    "goals": "Milestones of the programme, goals of a match, completions and progress.",
    "webinars": "Webinars: scheduling, registration, attendance.",
    "training": "Training a role must complete before matching.",
    "content": "Content modules and their items, and their completion.",
    "conversations": "A match's space and the forum: threads, posts, chat, history.",
    "meetings": "Meetings of a match: proposals, acceptance, outcome, presence, calendar file.",
    "attachments": "Files attached to posts in a match's space.",
    "support": "Support requests and the FAQ.",
    "rhythm": "Pair health against the programme's cadence.",
    "kpis": "The programme's key figures and their targets.",
    "attention": "What in a programme needs a coordinator, and acting on it.",
    "surveys": "Surveys: building, ready-made instruments, answering, results.",
    "notifications": "A person's notifications and their preferences.",
    "grades": "Scores sent to the LMS gradebook, and their delivery.",
    "deep-linking": "Placing Ritmo's items in the LMS (deep linking).",
    "platform": "For an institution's systems with an API key: programmes, KPIs, roster, profiles, meetings.",
    "webhooks": "For an institution's systems with an API key: subscriptions to events, deliveries.",
    "contract": "This document and its reference.",
}
