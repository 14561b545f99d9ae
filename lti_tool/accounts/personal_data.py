"""Every column that can hold a person's data, listed once, with what export and erasure do with it.

This list drives erasure (``privacy.erase`` runs each ``DELETE`` and ``BLANK`` entry) and is checked
against the schema by a test: any column that can hold text (strings, text, JSON, bytes) or that
names a person (a foreign key to ``user`` or ``participant``) must be listed here, as personal data
with its fate or as not personal with a reason. Numbers, flags, times and enums cannot carry a
name or words; they are listed only when erasure changes them.

Export needs no list: it copies every row that references the person or their participations
(``privacy.export``); the test checks it shows every personal column listed here.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa


class Fate(enum.StrEnum):
    DELETE = "delete"  # the person's rows are deleted
    BLANK = "blank"  # the value is replaced (``to``) in the person's rows; the rows stay for others
    PSEUDONYMISE = "pseudonymise"  # replaced by a random stand-in (the row stays, unidentifiable)
    SCRUB = "scrub"  # in anyone's rows: what quotes, names or addresses the person goes
    KEEP = "keep"  # personal, kept for a stated reason
    NOT_PERSONAL = "not personal"


#: ``to`` for a deletion time: now, unless the row was already deleted.
NOW_IF_UNSET = object()


@dataclass(frozen=True)
class Entry:
    column: str  # "table.column"
    fate: Fate
    why: str
    to: Any = None  # what BLANK writes
    # Columns naming the person whose rows BLANK changes (default: the table's owners, ``OWNERS``).
    by: tuple[str, ...] = ()
    # Words the person typed: erasure also looks for them where others' rows may quote them.
    words: bool = False

    @property
    def table(self) -> str:
        return self.column.partition(".")[0]

    @property
    def name(self) -> str:
        return self.column.partition(".")[2]


#: How a row is known to be the person's, by table: columns that reference ``user`` (their id),
#: ``participant`` (one of their participations) or another table (a row of it that is theirs);
#: ``"table.column"`` reads backwards (rows that ``table`` links to the person through ``column``).
OWNERS: dict[str, tuple[str, ...]] = {
    "notification": ("user_id",),
    "email_preference": ("user_id",),
    "sign_in_link": ("user_id",),
    "space_visit": ("user_id",),
    "chat_read": ("user_id",),
    "conversation_thread_read": ("user_id",),
    "score_outbox": ("user_id",),
    "goal_note": ("author_user_id",),
    "profile_answer": ("participant_id",),
    "match_unmatched": ("participant_id",),
    "webinar_reminder": ("participant_id",),
    "enrolment": ("user_id",),
    "conversation_thread": ("author_user_id",),
    "conversation_post": ("author_user_id",),
    "conversation_post_revision": ("editor_user_id", "post_id"),
    "chat_message": ("author_user_id",),
    "goal": ("created_by_user_id",),
    "meeting": ("organiser_user_id",),
    "meeting_presence": ("user_id",),
    "post_attachment": ("uploader_user_id",),
    "milestone_completion": ("participant_id", "marked_by_user_id"),
    "match": ("mentor_id", "match_mentee.match_id"),
    "match_mentee": ("mentee_id",),
    "match_request": ("mentee_id",),
    "support_request": ("requester_user_id",),
    "support_message": ("author_user_id",),
    "support_staff": ("user_id",),
    "survey_invitation": ("user_id",),
    "survey_response": ("user_id",),
    "survey_answer": ("response_id",),
    "nudge": ("user_id",),
    "match_reflection": ("participant_id",),
}

_COURSE = "the course's own material, written by its coordinators in that role; it belongs to the course"
_SETUP = "the organisation's registration of its LMS"
_KEPT_LINK = "kept so others' history stays whole; it names nobody once the user row is erased"

INVENTORY: tuple[Entry, ...] = (
    # -- the person -------------------------------------------------------------------------------
    Entry("user.sub", Fate.PSEUDONYMISE, "the LMS's id: replaced, so a new launch makes a new person"),
    Entry("user.name", Fate.BLANK, "name from the LMS", to=None, by=("id",)),
    Entry("user.given_name", Fate.BLANK, "name from the LMS", to=None, by=("id",)),
    Entry("user.family_name", Fate.BLANK, "name from the LMS", to=None, by=("id",)),
    Entry("user.email", Fate.BLANK, "e-mail address from the LMS", to=None, by=("id",)),
    Entry("user.locale", Fate.BLANK, "language", to=None, by=("id",)),
    Entry("user.timezone", Fate.BLANK, "time zone", to=None, by=("id",)),
    Entry("user.last_seen_at", Fate.BLANK, "when they last opened Ritmo", to=None, by=("id",)),
    Entry("user.sessions_valid_after", Fate.KEEP,
          "stays (set by the erasure) so that sessions issued before it are refused"),
    Entry("enrolment.user_id", Fate.KEEP, "the course membership stays anonymous for the course's counts"),
    Entry("enrolment.lis_roles", Fate.BLANK, "the person's LMS roles", to=[]),
    Entry("participant.user_id", Fate.KEEP, "their place in the programme: " + _KEPT_LINK),
    Entry("profile_answer.participant_id", Fate.DELETE, "their questionnaire answers"),
    Entry("profile_answer.value", Fate.DELETE, "what they answered", words=True),
    Entry("email_preference.user_id", Fate.DELETE, "their e-mail choice"),
    Entry("sign_in_link.user_id", Fate.DELETE, "sign-in links e-mailed to them"),
    Entry("sign_in_link.path", Fate.DELETE, "which page a link e-mailed to them opens"),
    Entry("sign_in_link.token_hash", Fate.DELETE, "a link's keyed digest, deleted with its row"),
    Entry("space_visit.user_id", Fate.DELETE, "when they visited which space"),
    Entry("space_visit.space_key", Fate.DELETE, "which space they visited"),
    Entry("chat_read.user_id", Fate.DELETE, "how far they read"),
    Entry("conversation_thread_read.user_id", Fate.DELETE, "how far they read"),
    Entry("webinar_reminder.participant_id", Fate.DELETE, "reminders sent to them"),
    Entry("webinar_reminder.kind", Fate.DELETE, "which reminder they got"),
    Entry("match_unmatched.participant_id", Fate.DELETE, "why the engine found them no match"),
    Entry("match_unmatched.code", Fate.DELETE, "why the engine found them no match"),
    Entry("match_unmatched.reason", Fate.DELETE, "why the engine found them no match (may quote answers)"),
    Entry("score_outbox.user_id", Fate.DELETE,
          "undelivered scores: the LMS could not tell whose they are; delivered ones live in the LMS"),
    Entry("score_outbox.comment", Fate.DELETE, "a score's comment, deleted with its row"),
    Entry("score_outbox.activity_progress", Fate.DELETE, "deleted with its row"),
    Entry("score_outbox.grading_progress", Fate.DELETE, "deleted with its row"),
    Entry("score_outbox.last_error", Fate.DELETE, "deleted with its row"),
    Entry("webinar_registration.participant_id", Fate.KEEP, "attendance: " + _KEPT_LINK),
    Entry("webinar_registration.attendance_source", Fate.NOT_PERSONAL, "how attendance was taken"),
    Entry("content_progress.participant_id", Fate.KEEP, "training progress: " + _KEPT_LINK),
    Entry("goal_plan_agreement.participant_id", Fate.KEEP, "the pair's agreement: " + _KEPT_LINK),
    # -- what they wrote ---------------------------------------------------------------------------
    Entry("conversation_thread.author_user_id", Fate.KEEP, "threads stay for others' replies: " + _KEPT_LINK),
    Entry("conversation_thread.title", Fate.BLANK, "their words; a mark, not a word, read in every language",
          to="—", words=True),
    Entry("conversation_post.author_user_id", Fate.KEEP, "posts stay in order for others: " + _KEPT_LINK),
    Entry("conversation_post.deleted_by_user_id", Fate.KEEP, _KEPT_LINK),
    Entry("conversation_post.body", Fate.BLANK, "their words", to="", words=True),
    Entry("conversation_post.body_html", Fate.BLANK, "their words", to=""),
    Entry("conversation_post.links", Fate.BLANK, "links they shared", to=[]),
    Entry("conversation_post.mentions", Fate.BLANK, "whom they mentioned", to=[]),
    Entry("conversation_post.deleted_at", Fate.BLANK, "shown as deleted", to=NOW_IF_UNSET),
    Entry("conversation_post_revision.editor_user_id", Fate.KEEP, _KEPT_LINK),
    Entry("meeting_presence.user_id", Fate.DELETE, "when they were in a meeting's room"),
    # The stored files go with the rows: the hourly sweep deletes files no row names (attachments).
    Entry("post_attachment.uploader_user_id", Fate.DELETE, "files they attached to posts"),
    Entry("post_attachment.storage_name", Fate.DELETE, "their file's stored name, deleted with its row"),
    Entry("post_attachment.file_name", Fate.DELETE, "the name they gave their file"),
    Entry("post_attachment.content_type", Fate.DELETE, "their file's type, deleted with its row"),
    Entry("conversation_post_revision.body", Fate.BLANK, "earlier versions of their words", to="",
          words=True),
    Entry("conversation_post_revision.body_html", Fate.BLANK, "earlier versions of their words", to=""),
    Entry("conversation_post_revision.links", Fate.BLANK, "earlier links they shared", to=[]),
    Entry("chat_message.author_user_id", Fate.KEEP, "chats stay in order for others: " + _KEPT_LINK),
    Entry("chat_message.body", Fate.BLANK, "their words", to="", words=True),
    Entry("chat_message.body_html", Fate.BLANK, "their words", to=""),
    Entry("chat_message.mentions", Fate.BLANK, "whom they mentioned", to=[]),
    Entry("chat_message.deleted_at", Fate.BLANK, "shown as deleted", to=NOW_IF_UNSET),
    Entry("goal.created_by_user_id", Fate.KEEP, "the pair's goal stays: " + _KEPT_LINK),
    Entry("goal.title", Fate.BLANK, "a goal they wrote", to="—", words=True),
    Entry("goal.measure", Fate.BLANK, "a goal they wrote", to="", words=True),
    Entry("goal_note.author_user_id", Fate.DELETE, "their notes on goals"),
    Entry("goal_note.text", Fate.DELETE, "their notes on goals", words=True),
    Entry("meeting.organiser_user_id", Fate.KEEP, "the meeting stays on the other calendars: " + _KEPT_LINK),
    Entry("meeting.proposed_by_user_id", Fate.KEEP, _KEPT_LINK),
    Entry("meeting.title", Fate.BLANK, "a meeting they organised", to="—", words=True),
    Entry("meeting.agenda", Fate.BLANK, "a meeting they organised", to="", words=True),
    Entry("meeting.agenda_html", Fate.BLANK, "a meeting they organised", to=""),
    # Ritmo does not record who wrote a meeting's notes (or a cancellation's reason): the notes of
    # every meeting of their matches, or that they organised or proposed, go.
    Entry("meeting.notes", Fate.BLANK, "notes of their meetings", to="",
          by=("organiser_user_id", "proposed_by_user_id", "match_id"), words=True),
    Entry("meeting.notes_html", Fate.BLANK, "notes of their meetings", to="",
          by=("organiser_user_id", "proposed_by_user_id", "match_id")),
    Entry("meeting.video_url", Fate.KEEP, "the room the others join (Ritmo made it, or the organiser)"),
    Entry("meeting.ical_uid", Fate.NOT_PERSONAL, "a random calendar id"),
    Entry("meeting.timezone", Fate.NOT_PERSONAL, "the meeting's zone, from the programme"),
    Entry("milestone_completion.participant_id", Fate.KEEP, "completions and grades: " + _KEPT_LINK),
    Entry("milestone_completion.marked_by_user_id", Fate.KEEP, _KEPT_LINK),
    Entry("milestone_completion.confirmed_by_user_id", Fate.KEEP, _KEPT_LINK),
    Entry("milestone_completion.note", Fate.BLANK, "what they or their mentor wrote about it", to="",
          words=True),
    Entry("match.mentor_id", Fate.KEEP, "the match stays in the others' history: " + _KEPT_LINK),
    Entry("match.explanation", Fate.BLANK, "read off their answers", to={}),
    Entry("match_mentee.mentee_id", Fate.KEEP, "the match stays in the others' history: " + _KEPT_LINK),
    Entry("match_mentee.explanation", Fate.BLANK, "read off their answers", to={}),
    Entry("match_request.mentee_id", Fate.KEEP, "the mentor's record of requests: " + _KEPT_LINK),
    Entry("match_request.mentor_id", Fate.KEEP, "the mentee's record of requests: " + _KEPT_LINK),
    Entry("match_request.message", Fate.BLANK, "what the mentee wrote", to="", words=True),
    Entry("match_request.explanation", Fate.BLANK, "read off both sides' answers", to={},
          by=("mentee_id", "mentor_id")),
    Entry("match_run.requested_by_user_id", Fate.KEEP, "who ran a matching: " + _KEPT_LINK),
    Entry("webinar.host_user_id", Fate.KEEP, "the session stays for its audience: " + _KEPT_LINK),
    Entry("webinar.created_by_user_id", Fate.KEEP, _KEPT_LINK),
    Entry("kpi_target.created_by_user_id", Fate.KEEP, "who set a programme's target: " + _KEPT_LINK),
    Entry("kpi_target.updated_by_user_id", Fate.KEEP, "who last changed a target: " + _KEPT_LINK),
    Entry("kpi_target.kpi", Fate.NOT_PERSONAL, "the name of a catalogue figure"),
    Entry("kpi_snapshot.kpi", Fate.NOT_PERSONAL, "the name of a catalogue figure"),
    Entry("audit_event.actor_user_id", Fate.KEEP, "who decided what, for others: " + _KEPT_LINK),
    # The life of a match: reflections are the member's words; who proposed closing stays.
    Entry("match.closure_proposed_by_id", Fate.KEEP, _KEPT_LINK),
    Entry("match_reflection.participant_id", Fate.KEEP, "the pair's record of its check-ins: " + _KEPT_LINK),
    Entry("match_reflection.text", Fate.BLANK, "their words", to="", words=True),
    Entry("match_reflection.text_html", Fate.BLANK, "their words", to=""),
    # Rhythm: the pair's state is recomputed daily; reasons may name a member who stopped coming.
    Entry("rhythm_cadence.updated_by_user_id", Fate.KEEP, "who set the programme's rhythm: " + _KEPT_LINK),
    Entry("rhythm_pair.last_writer_user_id", Fate.KEEP, "who wrote last in a pair: " + _KEPT_LINK),
    Entry("rhythm_pair.reasons", Fate.BLANK, "reasons in words may name them; the next daily run "
          "writes them anew", to=[], by=("match_id",)),
    # Nudges: theirs go; others' that quote or name them go, like notifications.
    Entry("nudge.user_id", Fate.DELETE, "the nudges sent to them"),
    Entry("nudge.kind", Fate.DELETE, "which nudges they were sent"),
    Entry("nudge.dedupe_key", Fate.DELETE, "which situation a nudge to them was about"),
    Entry("nudge.subject", Fate.SCRUB,
          "theirs are deleted; others' nudges that quote or name them are deleted"),
    Entry("nudge.text", Fate.SCRUB, "as subject"),
    Entry("nudge.action_label", Fate.SCRUB, "as subject"),
    Entry("nudge.action_link", Fate.SCRUB, "as subject"),
    # The attention list's record of who acted stays for the other coordinators.
    Entry("attention_action.actor_user_id", Fate.KEEP, "who acted on an item: " + _KEPT_LINK),
    Entry("attention_action.title", Fate.SCRUB,
          "an item's title naming or quoting them is replaced by a mark"),
    Entry("attention_action.result", Fate.SCRUB, "as title"),
    Entry("attention_action.note", Fate.SCRUB, "their own notes, and others' quoting or naming them, are "
          "replaced by a mark"),
    # Support: a person's requests are private to them and support; their answers as support stay.
    Entry("support_request.requester_user_id", Fate.DELETE,
          "their private requests for help (support's answers in them go too)"),
    Entry("support_request.subject", Fate.DELETE, "what they asked about", words=True),
    Entry("support_request.assignee_user_id", Fate.KEEP, "who handled a request: " + _KEPT_LINK),
    Entry("support_message.author_user_id", Fate.KEEP, "answers stay in others' requests: " + _KEPT_LINK),
    Entry("support_message.body", Fate.BLANK, "their words", to="", words=True),
    Entry("support_message.body_html", Fate.BLANK, "their words", to=""),
    Entry("support_message.links", Fate.BLANK, "links they shared", to=[]),
    Entry("support_staff.user_id", Fate.DELETE, "their place in the support team"),
    Entry("support_staff.added_by_user_id", Fate.KEEP, "who named the support team: " + _KEPT_LINK),
    # Surveys: a person's answers are theirs (deleted with their responses); the surveys are the course's.
    Entry("survey_invitation.user_id", Fate.DELETE, "which surveys they were asked to answer, and when"),
    Entry("survey_invitation.participant_id", Fate.DELETE, "which surveys they were asked to answer"),
    Entry("survey_invitation.occasion", Fate.DELETE, "on which occasion they were asked"),
    Entry("survey_response.user_id", Fate.DELETE, "their answers to surveys"),
    Entry("survey_response.occasion", Fate.DELETE, "on which occasion they answered"),
    Entry("survey_response.participant_role", Fate.DELETE, "their role when they answered"),
    Entry("survey_answer.row_key", Fate.DELETE, "which matrix row they answered"),
    Entry("survey_answer.value_text", Fate.DELETE, "what they wrote in a survey", words=True),
    Entry("survey_answer.value_choices", Fate.DELETE, "what they chose in a survey"),
    # -- in other people's rows --------------------------------------------------------------------
    Entry("notification.user_id", Fate.DELETE, "what was sent to them"),
    Entry("notification.subject", Fate.SCRUB,
          "theirs are deleted; others' notifications that quote or name them are deleted"),
    Entry("notification.text", Fate.SCRUB, "as subject"),
    Entry("notification.link", Fate.SCRUB, "as subject"),
    Entry("notification.ics", Fate.SCRUB, "as subject (an invitation names its attendees)"),
    Entry("job.payload", Fate.SCRUB, "jobs addressed to them, or quoting or naming them, are deleted"),
    Entry("job.last_error", Fate.SCRUB, "as payload (an SMTP error may quote the address)"),
    Entry("audit_event.detail", Fate.SCRUB,
          "their typed reasons, and any value quoting or naming them, are replaced by a mark"),
    Entry("cache_entry.value", Fate.KEEP,
          "short-lived: erasure drops their launch memo; session stamps hold dates only"),
    # -- not personal --------------------------------------------------------------------------------
    Entry("cache_entry.key", Fate.NOT_PERSONAL, "keys are hashed or hold ids, never an identity"),
    Entry("job.task", Fate.NOT_PERSONAL, "a task's name"),
    Entry("job.dedupe_key", Fate.NOT_PERSONAL, "task names, ids and dates"),
    *(Entry(f"platform.{name}", Fate.NOT_PERSONAL, _SETUP) for name in (
        "issuer", "client_id", "name", "auth_login_url", "auth_token_url", "key_set_url", "token_audience",
        "product_family",
    )),
    *(Entry(f"webhook_subscription.{name}", Fate.NOT_PERSONAL, "an institution's receiving system")
      for name in ("url", "events", "secret_sealed", "paused_reason", "description")),
    Entry("webhook_delivery.body", Fate.KEEP,
          "an event already sent to the institution's own system: ids and LMS user ids, no names or "
          "words; deleted 30 days after it was delivered or failed"),
    Entry("webhook_delivery.event_id", Fate.NOT_PERSONAL, "a random id"),
    Entry("webhook_delivery.event_type", Fate.NOT_PERSONAL, "a fixed vocabulary"),
    Entry("webhook_delivery.last_error", Fate.NOT_PERSONAL,
          "Ritmo's words: a status line or a network error"),
    *(Entry(f"api_key.{name}", Fate.NOT_PERSONAL, "an institution's key for its systems")
      for name in ("name", "prefix", "secret_hash", "scopes")),
    *(Entry(f"api_key_use.{name}", Fate.NOT_PERSONAL,
            "a call a system made: its key, method and route (an LMS user id in a path is not kept)")
      for name in ("key_prefix", "method", "path")),
    Entry("tool_key.kid", Fate.NOT_PERSONAL, "Ritmo's keys"),
    Entry("tool_key.private_key_encrypted", Fate.NOT_PERSONAL, "Ritmo's keys"),
    Entry("tool_key.public_jwk", Fate.NOT_PERSONAL, "Ritmo's keys"),
    Entry("deployment.deployment_id", Fate.NOT_PERSONAL, _SETUP),
    Entry("platform_invite.token_hash", Fate.NOT_PERSONAL, "a registration link's digest"),
    Entry("platform_invite.name", Fate.NOT_PERSONAL, "the admin's label for an LMS to come"),
    Entry("notification.kind", Fate.NOT_PERSONAL, "a fixed vocabulary"),
    Entry("audit_event.action", Fate.NOT_PERSONAL, "a fixed vocabulary"),
    Entry("audit_event.subject_type", Fate.NOT_PERSONAL, "a fixed vocabulary"),
    Entry("audit_event.subject_id", Fate.NOT_PERSONAL, "ids"),
    *(Entry(f"course.{name}", Fate.NOT_PERSONAL, _COURSE) for name in (
        "context_id", "title", "label", "lineitems_url", "memberships_url",
    )),
    *(Entry(f"resource_link.{name}", Fate.NOT_PERSONAL, _COURSE) for name in (
        "resource_link_id", "title", "target", "lineitem_url",
    )),
    *(Entry(f"grade_line_item.{name}", Fate.NOT_PERSONAL, _COURSE) for name in (
        "resource_id", "tag", "label", "url",
    )),
    *(Entry(f"programme.{name}", Fate.NOT_PERSONAL, _COURSE) for name in (
        "title", "description", "timezone", "settings",
    )),
    *(Entry(f"content_module.{name}", Fate.NOT_PERSONAL, _COURSE) for name in ("title", "description")),
    *(Entry(f"content_item.{name}", Fate.NOT_PERSONAL, _COURSE) for name in (
        "title", "body", "url", "embed_url", "storage_name", "file_name", "content_type",
    )),
    *(Entry(f"milestone.{name}", Fate.NOT_PERSONAL, _COURSE) for name in (
        "title", "description", "evidence", "rule_event", "texts",
    )),
    *(Entry(f"profile_question.{name}", Fate.NOT_PERSONAL, _COURSE) for name in (
        "key", "label", "help", "options", "texts",
    )),
    *(Entry(f"webinar.{name}", Fate.NOT_PERSONAL, _COURSE) for name in (
        "title", "description", "timezone", "join_url", "series_key", "recording_url", "slides_url",
    )),
    *(Entry(f"survey.{name}", Fate.NOT_PERSONAL, _COURSE) for name in (
        "title_en", "title_it", "intro_en", "intro_it", "instrument_key", "schedule",
    )),
    *(Entry(f"survey_item.{name}", Fate.NOT_PERSONAL, _COURSE) for name in (
        "text_en", "text_it", "options", "scale", "rows", "subscale", "key",
    )),
    *(Entry(f"faq_entry.{name}", Fate.NOT_PERSONAL, _COURSE) for name in (
        "question_en", "question_it", "answer_en", "answer_it", "answer_en_html", "answer_it_html",
    )),
    Entry("event_tally.scope_key", Fate.NOT_PERSONAL, "counts by scope (ids)"),
    Entry("event_tally.event_name", Fate.NOT_PERSONAL, "a fixed vocabulary"),
    Entry("match_run.stage", Fate.NOT_PERSONAL, "the engine's progress"),
    Entry("match_run.summary", Fate.NOT_PERSONAL, "counts, timings and ids"),
    Entry("match_run.error", Fate.NOT_PERSONAL, "the engine's error"),
    Entry("grade_line_item.resource_link_id", Fate.NOT_PERSONAL, "the LMS's id of a placed link"),
    Entry("rhythm_cadence.phases", Fate.NOT_PERSONAL, _COURSE),
    Entry("rhythm_pair.state", Fate.NOT_PERSONAL, "a fixed vocabulary"),
    Entry("attention_action.source", Fate.NOT_PERSONAL, "which list an item came from (a fixed vocabulary)"),
    Entry("attention_action.key", Fate.NOT_PERSONAL, "an item's ids (such as match:12)"),
    Entry("attention_action.action", Fate.NOT_PERSONAL, "which action (a fixed vocabulary)"),
    Entry("attention_action.action_label", Fate.NOT_PERSONAL, "the action's button label"),
    Entry("inbound_mail.digest", Fate.NOT_PERSONAL, "a hash of a reply's Message-ID and reply address"),
    Entry("inbound_mail.kind", Fate.NOT_PERSONAL, "which kind of reply address (a fixed vocabulary)"),
)


def by_column() -> dict[str, Entry]:
    return {entry.column: entry for entry in INVENTORY}


def owners_of(entry: Entry) -> tuple[str, ...]:
    """The columns that say a row of ``entry``'s table is the person's."""
    return entry.by or OWNERS.get(entry.table, ())


_PERSON_TABLES = ("user", "participant")


def needs_listing(column: sa.Column[Any]) -> bool:
    """Whether ``column`` could hold a person's data: any type that holds text (strings, text,
    JSON, bytes; enums are a fixed vocabulary), or a reference to a person or a participation."""
    kind = column.type
    if isinstance(kind, sa.Enum):
        return False
    if isinstance(kind, sa.String | sa.JSON | sa.LargeBinary):
        return True
    return any(fk.column.table.name in _PERSON_TABLES for fk in column.foreign_keys)


def unlisted(metadata: sa.MetaData) -> list[str]:
    """Columns of ``metadata`` that :func:`needs_listing` and ``INVENTORY`` does not list."""
    listed = by_column()
    return [
        f"{table.name}.{column.name}"
        for table in metadata.sorted_tables
        for column in table.columns
        if needs_listing(column) and f"{table.name}.{column.name}" not in listed
    ]
