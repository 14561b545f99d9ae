"""A person's data: a copy of everything Ritmo holds about them, and erasure (GDPR articles 15-17).

What counts as theirs is read off the schema: their user row, and every row that references it or
one of their participations through a foreign key. A table added later is covered without a
change here.

Erasure follows the inventory of personal columns (``personal_data``): it deletes the rows that
only make sense for the person, blanks what they wrote into shared spaces (the rows stay, so that
threads, matches and calendars read whole for everyone else), and removes what other people's
rows say of them: notifications and queued e-mails that quote or name them, and audit details. It
runs in one transaction, ends the person's sessions at once, and can be run again.
"""

from __future__ import annotations

import base64
import binascii
import enum
import html
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from lti_tool import audit
from lti_tool.accounts import personal_data
from lti_tool.accounts.models import User
from lti_tool.accounts.personal_data import Fate
from lti_tool.db import db, utcnow
from lti_tool.errors import NotFound
from lti_tool.identity import revocation
from lti_tool.launch import memo
from lti_tool.launch.models import Platform
from lti_tool.launch.tool_config import PlatformSnapshot

# Words shorter than this are too common to look for in other people's rows.
MIN_QUOTE = 8
# Names shorter than this are not looked for (they would match too much).
MIN_NAME = 5
# Excerpts keep a text's beginning: this much of it is enough to recognise a quote.
QUOTE_PREFIX = 40
# Mark left where a value named or quoted the person: stored once, read in every language.
MARK = "—"
# Audit details that carry what the actor typed.
_TYPED_DETAILS = frozenset({"reason", "note", "notes", "message", "comment", "text"})


def _table(name: str) -> sa.Table:
    return db.metadata.tables[name]


def _references(target: str) -> list[tuple[sa.Table, sa.Column[Any]]]:
    """Every (table, column) whose foreign key points at ``target``'s primary key."""
    found = []
    for table in db.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table.name == target:
                found.append((table, fk.parent))
    return found


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return value


def _rows(table: sa.Table, where: sa.ColumnElement[bool]) -> list[dict[str, Any]]:
    order = list(table.primary_key.columns)
    result = db.session.execute(sa.select(table).where(where).order_by(*order))
    return [{key: _plain(value) for key, value in row._mapping.items()} for row in result]


def _user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("This person does not exist in Ritmo.")
    return user


def _participant_ids(user_id: int) -> list[int]:
    participants = _table("participant")
    return list(
        db.session.execute(sa.select(participants.c.id).where(participants.c.user_id == user_id)).scalars()
    )


def export(user_id: int) -> dict[str, Any]:
    """Everything Ritmo holds about the person: ``{"user": {...}, "rows": {table: [row, ...]}}``."""
    user = _user(user_id)
    participant_ids = _participant_ids(user_id)
    rows: dict[str, list[dict[str, Any]]] = {}
    wanted: list[tuple[sa.Table, sa.ColumnElement[bool]]] = [
        (table, column == user_id) for table, column in _references("user")
    ]
    if participant_ids:
        wanted += [(table, column.in_(participant_ids)) for table, column in _references("participant")]
    # Rows that name nobody and are the person's only through another of their rows (a survey
    # answer, through their response).
    person = _Person(user_id, tuple(participant_ids))
    wanted += [
        (_table(name), person.owned(name, by))
        for name, by in personal_data.OWNERS.items()
        if not any(_names_a_person(name, column) for column in by)
    ]
    for table, where in wanted:
        for row in _rows(table, where):
            bucket = rows.setdefault(table.name, [])
            if row not in bucket:  # a table that names the person twice (organiser and proposer)
                bucket.append(row)
    return {
        "exported_at": utcnow().isoformat(),
        "user": _rows(_table("user"), _table("user").c.id == user.id)[0],
        "rows": {name: rows[name] for name in sorted(rows)},
    }


def _names_a_person(table_name: str, owner: str) -> bool:
    """Whether the owner column ``owner`` of ``OWNERS[table_name]`` references a user or participant."""
    if "." in owner:  # backwards: another table names the person
        return True
    return any(
        fk.column.table.name in ("user", "participant") for fk in _table(table_name).c[owner].foreign_keys
    )


# -- erasure ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Erasure:
    user_id: int
    deleted_rows: int
    blanked_texts: int
    scrubbed_rows: int = 0  # other people's notifications, jobs and audit events


@dataclass(frozen=True)
class _Person:
    user_id: int
    participant_ids: tuple[int, ...]

    def owned(self, table_name: str, by: tuple[str, ...]) -> sa.ColumnElement[bool]:
        """Rows of ``table_name`` that are the person's through any of ``by`` (see ``OWNERS``)."""
        table = _table(table_name)
        found: list[sa.ColumnElement[bool]] = []
        for name in by:
            if "." in name:  # backwards: rows another table links to the person
                other, _, link = name.partition(".")
                other_table = _table(other)
                found.append(table.c.id.in_(
                    sa.select(other_table.c[link]).where(self.owned(other, personal_data.OWNERS[other]))
                ))
                continue
            column = table.c[name]
            if column.primary_key and table_name == "user":
                found.append(column == self.user_id)
                continue
            (fk,) = column.foreign_keys
            target = fk.column.table.name
            if target == "user":
                found.append(column == self.user_id)
            elif target == "participant":
                found.append(column.in_(self.participant_ids))
            else:
                found.append(column.in_(
                    sa.select(fk.column).where(self.owned(target, personal_data.OWNERS[target]))
                ))
        if not found:
            raise LookupError(f"personal_data: no way to tell whose rows of {table_name} are whose")
        return sa.or_(*found)


def erase(user_id: int, *, actor_user_id: int | None = None, reason: str = "") -> Erasure:
    """Remove the person's identity and personal data for good; keep the programme's records whole.

    One transaction, committed here (a failure changes nothing). Running it again is harmless and
    removes whatever named the person since. The person's sessions end at once; their next launch
    from the LMS makes a new, unrelated user.
    """
    try:
        done, forget = _erase(user_id, actor_user_id, reason)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    # After the commit: the embedded cache lives in the same SQLite file, which the erasure's
    # transaction holds locked until then.
    forget()
    return done


def _erase(user_id: int, actor_user_id: int | None, reason: str) -> tuple[Erasure, Any]:
    user = _user(user_id)
    platform = db.session.get(Platform, user.platform_id)
    old_sub = user.sub
    person = _Person(user_id, tuple(_participant_ids(user_id)))
    conn = db.session.connection()  # the session's transaction: all of it commits, or none
    quotes = _Quotes(_identity(user) + _their_words(conn, person))
    scrubbed = _scrub_notifications(conn, person, user.platform_id, quotes)
    scrubbed += _scrub_jobs(conn, quotes)
    scrubbed += _scrub_audit(conn, user_id, quotes)
    scrubbed += _scrub_nudges(conn, person, quotes)
    scrubbed += _scrub_attention(conn, user_id, quotes)
    blanked = _blank(conn, person)
    deleted = _delete(conn, person)
    user.sub = f"erased-{secrets.token_hex(16)}"
    revocation.revoke([user_id])
    audit.record(
        "user.erased", "user", user_id, actor_user_id=actor_user_id, reason=reason[:500],
        deleted_rows=deleted, blanked_texts=blanked, scrubbed_rows=scrubbed,
    )

    def forget() -> None:
        if platform is not None:
            memo.forget(PlatformSnapshot.of(platform).scope, old_sub)

    return Erasure(user_id, deleted, blanked, scrubbed), forget


def _entries(fate: Fate) -> Iterator[personal_data.Entry]:
    return (entry for entry in personal_data.INVENTORY if entry.fate is fate)


def _delete(conn: sa.Connection, person: _Person) -> int:
    deleted = 0
    for name in sorted({entry.table for entry in _entries(Fate.DELETE)}):
        table = _table(name)
        where = person.owned(name, personal_data.OWNERS[name])
        deleted += conn.execute(table.delete().where(where)).rowcount
    return deleted


def _blank(conn: sa.Connection, person: _Person) -> int:
    """Every BLANK entry, one UPDATE per table and set of owner columns; counts rows changed."""
    now = utcnow()
    groups: dict[tuple[str, tuple[str, ...]], dict[str, Any]] = {}
    for entry in _entries(Fate.BLANK):
        table = _table(entry.table)
        column = table.c[entry.name]
        value: Any = entry.to
        if value is personal_data.NOW_IF_UNSET:
            value = sa.func.coalesce(column, sa.bindparam(None, now, type_=column.type))
        groups.setdefault((entry.table, personal_data.owners_of(entry)), {})[entry.name] = value
    blanked = 0
    for (name, by), values in groups.items():
        table = _table(name)
        if name == "user":
            # ORM attributes, so that the session's user row follows.
            user = db.session.get(User, person.user_id)
            for key, value in values.items():
                setattr(user, key, value)
            continue
        blanked += conn.execute(table.update().where(person.owned(name, by)).values(**values)).rowcount
    return int(blanked)


# -- what names or quotes the person ------------------------------------------------------------------


def _identity(user: User) -> list[str]:
    """Their name as pages show it, and their address (a given name alone is too common to look
    for)."""
    full = f"{user.given_name} {user.family_name}" if user.given_name and user.family_name else None
    return [s for s in (user.display_name, user.name, full, user.email) if s and len(s) >= MIN_NAME]


def _their_words(conn: sa.Connection, person: _Person) -> list[str]:
    """The beginnings of what the person typed (read before it is blanked or deleted)."""
    words: list[str] = []
    for entry in personal_data.INVENTORY:
        if not entry.words:
            continue
        table = _table(entry.table)
        where = person.owned(entry.table, personal_data.owners_of(entry))
        for value in conn.execute(sa.select(table.c[entry.name]).where(where)).scalars():
            words.extend(_strings(value))
    return [text for text in (_normal(w) for w in words) if len(text) >= MIN_QUOTE]


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


_MARKUP = re.compile(r"[`*_>#\[\]()~|]")  # what ``text.excerpt`` drops
_TAG = re.compile(r"<[^>]*>")
_ICS_ESCAPE = re.compile(r"\\([,;\\nN])")


def _normal(text: str) -> str:
    """Text as excerpts, e-mails and calendars may quote it, reduced to words for comparison."""
    text = text.replace("\r\n ", "").replace("\r\n\t", "")  # unfolded calendar lines
    text = _ICS_ESCAPE.sub(lambda m: " " if m.group(1) in "nN" else m.group(1), text)
    text = html.unescape(_TAG.sub(" ", text))
    return re.sub(r"\s+", " ", _MARKUP.sub("", text)).strip().casefold()


class _Quotes:
    """Recognises a text that names the person or quotes their words."""

    def __init__(self, needles: list[str]) -> None:
        self.needles = sorted({_normal(n)[:QUOTE_PREFIX] for n in needles} - {""}, key=len)

    def __bool__(self) -> bool:
        return bool(self.needles)

    def found_in(self, *values: Any) -> bool:
        for value in values:
            for text in _strings(value):
                plain = _normal(text)
                if any(needle in plain for needle in self.needles):
                    return True
        return False


def _scrub_notifications(conn: sa.Connection, person: _Person, platform_id: int, quotes: _Quotes) -> int:
    """Other people's notifications that quote or name the person go (theirs go with the row)."""
    if not quotes:
        return 0
    notes, users = _table("notification"), _table("user")
    of_platform = sa.select(users.c.id).where(users.c.platform_id == platform_id)
    rows = conn.execute(
        sa.select(notes.c.id, notes.c.subject, notes.c.text, notes.c.link, notes.c.ics)
        .where(notes.c.user_id != person.user_id, notes.c.user_id.in_(of_platform))
    )
    doomed = [row.id for row in rows if quotes.found_in(row.subject, row.text, row.link, row.ics)]
    return _delete_ids(conn, notes, doomed)


def _scrub_jobs(conn: sa.Connection, quotes: _Quotes) -> int:
    """Jobs (queued e-mails above all) addressed to the person, or quoting or naming them, go: an
    e-mail that would quote an erased person is not sent."""
    if not quotes:
        return 0
    jobs = _table("job")
    rows = conn.execute(sa.select(jobs.c.id, jobs.c.payload, jobs.c.last_error))
    doomed = [
        row.id for row in rows
        if quotes.found_in(row.last_error, row.payload, *_attached_texts(row.payload))
    ]
    return _delete_ids(conn, jobs, doomed)


def _attached_texts(payload: Any) -> Iterator[str]:
    """Text attachments of a queued e-mail (calendar invitations name their attendees)."""
    if not isinstance(payload, dict):
        return
    for attachment in payload.get("attachments") or []:
        if isinstance(attachment, dict) and str(attachment.get("content_type", "")).startswith("text/"):
            try:
                yield base64.b64decode(str(attachment.get("data", ""))).decode("utf-8", "replace")
            except (binascii.Error, ValueError):
                continue


def _scrub_audit(conn: sa.Connection, user_id: int, quotes: _Quotes) -> int:
    """Audit events stay (who decided what matters to others); what the person typed into them,
    and any value that names or quotes them, is replaced by a mark."""
    events = _table("audit_event")
    changed = 0
    for row in conn.execute(sa.select(events.c.id, events.c.actor_user_id, events.c.detail)).all():
        typed = row.actor_user_id == user_id
        detail = _scrubbed(row.detail, quotes, typed)
        if detail != row.detail:
            conn.execute(events.update().where(events.c.id == row.id).values(detail=detail))
            changed += 1
    return changed


def _scrub_nudges(conn: sa.Connection, person: _Person, quotes: _Quotes) -> int:
    """Other people's nudges that quote or name the person go, as their notifications do."""
    if not quotes:
        return 0
    nudges = _table("nudge")
    rows = conn.execute(
        sa.select(nudges.c.id, nudges.c.subject, nudges.c.text, nudges.c.action_label, nudges.c.action_link)
        .where(nudges.c.user_id != person.user_id)
    )
    doomed = [
        row.id for row in rows if quotes.found_in(row.subject, row.text, row.action_label, row.action_link)
    ]
    return _delete_ids(conn, nudges, doomed)


def _scrub_attention(conn: sa.Connection, user_id: int, quotes: _Quotes) -> int:
    """Records of who acted on the attention list stay for the other coordinators; the person's own
    notes, and any title, result or note naming or quoting them, are replaced by a mark."""
    actions = _table("attention_action")
    changed = 0
    rows = conn.execute(
        sa.select(actions.c.id, actions.c.actor_user_id, actions.c.title, actions.c.result, actions.c.note)
    ).all()
    for row in rows:
        values = {
            name: MARK
            for name in ("title", "result", "note")
            if getattr(row, name)
            and ((name == "note" and row.actor_user_id == user_id) or quotes.found_in(getattr(row, name)))
        }
        if values:
            conn.execute(actions.update().where(actions.c.id == row.id).values(**values))
            changed += 1
    return changed


def _scrubbed(value: Any, quotes: _Quotes, typed: bool, key: str | None = None) -> Any:
    if isinstance(value, dict):
        return {k: _scrubbed(v, quotes, typed, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrubbed(v, quotes, typed) for v in value]
    if isinstance(value, str) and value and ((typed and key in _TYPED_DETAILS) or quotes.found_in(value)):
        return MARK
    return value


def _delete_ids(conn: sa.Connection, table: sa.Table, ids: list[int]) -> int:
    deleted = 0
    for start in range(0, len(ids), 500):
        deleted += conn.execute(table.delete().where(table.c.id.in_(ids[start : start + 500]))).rowcount
    return deleted
