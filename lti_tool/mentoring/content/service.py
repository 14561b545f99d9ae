"""Content rules: who sees which module and item, uploads, and progress (viewed, completed).

Coordinators manage modules and items; a webinar's host may attach materials to their webinar.
Participants see published modules and items whose audience includes their role, and their views
and completions become ``content.viewed`` / ``content.completed`` events (each once per person).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO, Any

import sqlalchemy as sa
from flask_babel import gettext as _

from lti_tool import audit
from lti_tool.db import db, utcnow
from lti_tool.errors import Forbidden, InvalidInput, NotFound
from lti_tool.events import DomainEvent, emit
from lti_tool.identity.context import LaunchContext
from lti_tool.mentoring.content import uploads
from lti_tool.mentoring.content.models import ContentItem, ContentModule, ContentProgress, ItemKind
from lti_tool.mentoring.programmes.models import ParticipantRole
from lti_tool.mentoring.webinars.access import Viewer, viewer
from lti_tool.mentoring.webinars.models import Audience, Webinar
from lti_tool.mentoring.webinars.providers import video_embed_url
from lti_tool.safety import urls
from lti_tool.text import render_markdown


@dataclass(frozen=True)
class ItemView:
    item: ContentItem
    html: str
    viewed: bool
    completed: bool


@dataclass(frozen=True)
class ModuleView:
    module: ContentModule
    description_html: str
    items: list[ItemView]

    @property
    def completed_count(self) -> int:
        return sum(1 for i in self.items if i.completed)

    @property
    def is_complete(self) -> bool:
        return bool(self.items) and self.completed_count == len(self.items)


def _visible(audience: Audience, who: Viewer) -> bool:
    return audience.includes(who.role)


def _module(who: Viewer, module_id: int) -> ContentModule:
    module = db.session.get(ContentModule, module_id)
    if module is None or module.programme_id != who.programme.id:
        raise NotFound(_("This module does not exist in your programme."))
    if not who.is_coordinator and not (module.published and _visible(module.audience, who)):
        raise NotFound(_("This module does not exist in your programme."))
    return module


def _webinar_visible(who: Viewer, webinar_id: int | None) -> bool:
    if webinar_id is None:
        return True
    webinar = db.session.get(Webinar, webinar_id)
    if webinar is None:
        return False
    return who.is_coordinator or webinar.host_user_id == who.user_id or _visible(webinar.audience, who)


def _item(who: Viewer, item_id: int) -> ContentItem:
    item = db.session.get(ContentItem, item_id)
    if item is None or item.programme_id != who.programme.id:
        raise NotFound(_("This item does not exist in your programme."))
    if who.is_coordinator:
        return item
    if item.module_id is not None:
        _module(who, item.module_id)
    hosted = item.webinar_id is not None and _is_host(who, item.webinar_id)
    if not hosted and not (_visible(item.audience, who) and _webinar_visible(who, item.webinar_id)):
        raise NotFound(_("This item does not exist in your programme."))
    return item


def _is_host(who: Viewer, webinar_id: int) -> bool:
    webinar = db.session.get(Webinar, webinar_id)
    return webinar is not None and webinar.host_user_id == who.user_id


def _progress(participant_id: int, item_ids: list[int]) -> dict[int, ContentProgress]:
    if not item_ids:
        return {}
    rows = db.session.execute(
        sa.select(ContentProgress).where(
            ContentProgress.participant_id == participant_id, ContentProgress.item_id.in_(item_ids)
        )
    ).scalars()
    return {row.item_id: row for row in rows}


def _item_views(who: Viewer, items: list[ContentItem], *, checked: bool = False) -> list[ItemView]:
    """Items with their HTML and the caller's progress; ``checked``: access was already decided."""
    visible = [i for i in items if checked or who.is_coordinator or _visible(i.audience, who)]
    tracked = who.participant is not None and not who.is_coordinator
    progress = _progress(who.participant.id, [i.id for i in visible]) if tracked and who.participant else {}
    views = []
    for item in visible:
        row = progress.get(item.id)
        views.append(
            ItemView(
                item=item,
                html=render_markdown(item.body) if item.kind is ItemKind.TEXT else "",
                viewed=bool(row and row.viewed_at),
                completed=bool(row and row.completed_at),
            )
        )
    return views


def _module_items(module_id: int) -> list[ContentItem]:
    return list(
        db.session.execute(
            sa.select(ContentItem)
            .where(ContentItem.module_id == module_id)
            .order_by(ContentItem.position, ContentItem.id)
        ).scalars()
    )


# --- reading -----------------------------------------------------------------------------------


def list_modules(ctx: LaunchContext) -> list[ModuleView]:
    who = viewer(ctx)
    query = sa.select(ContentModule).where(ContentModule.programme_id == who.programme.id)
    if not who.is_coordinator:
        query = query.where(ContentModule.published.is_(True))
    modules = db.session.execute(query.order_by(ContentModule.position, ContentModule.id)).scalars()
    return [_module_view(who, m) for m in modules if who.is_coordinator or _visible(m.audience, who)]


def _module_view(who: Viewer, module: ContentModule) -> ModuleView:
    return ModuleView(module, render_markdown(module.description), _item_views(who, _module_items(module.id)))


def module_page(ctx: LaunchContext, module_id: int) -> ModuleView:
    who = viewer(ctx)
    return _module_view(who, _module(who, module_id))


def materials_for_webinar(who: Viewer, webinar_id: int) -> list[ItemView]:
    """Items attached to a webinar that ``who`` may see (the webinar's content page)."""
    items = db.session.execute(
        sa.select(ContentItem)
        .where(ContentItem.webinar_id == webinar_id)
        .order_by(ContentItem.position, ContentItem.id)
    ).scalars()
    hosting = _is_host(who, webinar_id)
    return [
        v
        for v in _item_views(who, list(items))
        if hosting or v.item.module_id is None or _module_visible(who, v.item.module_id)
    ]


def _module_visible(who: Viewer, module_id: int) -> bool:
    try:
        _module(who, module_id)
    except NotFound:
        return False
    return True


# --- managing ----------------------------------------------------------------------------------


def _require_coordinator(who: Viewer) -> None:
    if not who.is_coordinator:
        raise Forbidden(_("Only the course's coordinators can change training content."))


def create_module(ctx: LaunchContext, data: dict[str, Any]) -> ContentModule:
    who = viewer(ctx)
    _require_coordinator(who)
    module = ContentModule(programme_id=who.programme.id, **data)
    db.session.add(module)
    db.session.flush()
    audit.record("content.module_created", "content_module", module.id, actor_user_id=ctx.user_id)
    db.session.commit()
    return module


def update_module(ctx: LaunchContext, module_id: int, data: dict[str, Any]) -> ContentModule:
    who = viewer(ctx)
    _require_coordinator(who)
    module = _module(who, module_id)
    for key, value in data.items():
        setattr(module, key, value)
    db.session.commit()
    return module


def delete_module(ctx: LaunchContext, module_id: int) -> None:
    who = viewer(ctx)
    _require_coordinator(who)
    module = _module(who, module_id)
    files = [i.storage_name for i in _module_items(module.id) if i.storage_name]
    db.session.execute(sa.delete(ContentItem).where(ContentItem.module_id == module.id))
    db.session.delete(module)
    audit.record("content.module_deleted", "content_module", module_id, actor_user_id=ctx.user_id)
    db.session.commit()
    for name in files:  # only once the rows are gone for good
        uploads.delete(name)


def add_item(
    ctx: LaunchContext, data: dict[str, Any], upload: tuple[IO[bytes], str] | None = None
) -> ContentItem:
    """Add an item to a module and/or a webinar; a FILE item needs ``upload`` (stream, name)."""
    who = viewer(ctx)
    module_id, webinar_id = data.get("module_id"), data.get("webinar_id")
    if module_id is None and webinar_id is None:
        raise InvalidInput(
            _("Say where the item goes."),
            errors={"module_id": [_("Choose a module, a webinar, or both.")]},
        )
    if module_id is not None:
        _require_coordinator(who)
        _module(who, module_id)
    if webinar_id is not None:
        webinar = db.session.get(Webinar, webinar_id)
        if webinar is None or webinar.programme_id != who.programme.id:
            raise NotFound(_("This webinar does not exist in your programme."))
        if not (who.is_coordinator or webinar.host_user_id == who.user_id):
            raise Forbidden(_("Only the webinar's host or a coordinator can attach materials."))
    kind = ItemKind(data["kind"])
    item = ContentItem(
        programme_id=who.programme.id,
        module_id=module_id,
        webinar_id=webinar_id,
        kind=kind,
        title=data["title"],
        audience=data.get("audience", Audience.EVERYONE),
        position=data.get("position", 0),
        body=data.get("body") or "",
    )
    if kind is ItemKind.LINK:
        item.url = _address(data, _("Give the address the link opens."))
    elif kind is ItemKind.VIDEO:
        item.url = _address(data, _("Give the video's address."))
        item.embed_url = video_embed_url(item.url)
    elif kind is ItemKind.FILE:
        if upload is None:
            raise InvalidInput(_("Attach a file."), errors={"file": [_("Choose the file to upload.")]})
        stored = uploads.store(*upload)
        item.storage_name, item.file_name = stored.storage_name, stored.file_name
        item.content_type, item.size_bytes = stored.content_type, stored.size_bytes
    elif not item.body.strip():
        raise InvalidInput(_("Write the text."), errors={"body": [_("A text item needs some text.")]})
    try:
        db.session.add(item)
        db.session.flush()
        audit.record("content.item_added", "content_item", item.id, actor_user_id=ctx.user_id)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        uploads.delete(item.storage_name)  # nothing half-written: no orphan file
        raise
    return item


def _required(data: dict[str, Any], key: str, message: str) -> str:
    value = (data.get(key) or "").strip()
    if not value:
        raise InvalidInput(message, errors={key: [message]})
    return str(value)


def _address(data: dict[str, Any], missing: str) -> str:
    # Checked here as well as in the schema: items also arrive from paths other than the API.
    try:
        return urls.web_url(_required(data, "url", missing))
    except urls.UnsafeUrl as error:
        raise InvalidInput(str(error), errors={"url": [str(error)]}) from error


def update_item(ctx: LaunchContext, item_id: int, data: dict[str, Any]) -> ItemView:
    """Change an item's title, audience, order, text or address (a file is replaced by a new item)."""
    who = viewer(ctx)
    item = _item(who, item_id)
    _require_editor(who, item)
    # Check everything first: a refused change leaves the item as it was.
    changes: dict[str, Any] = {k: data[k] for k in ("title", "audience", "position") if k in data}
    if "body" in data:
        if item.kind is ItemKind.TEXT and not (data["body"] or "").strip():
            raise InvalidInput(_("Write the text."), errors={"body": [_("A text item needs some text.")]})
        changes["body"] = data["body"] or ""
    if "url" in data and item.kind in (ItemKind.LINK, ItemKind.VIDEO):
        changes["url"] = _address(data, _("Give the address."))
        if item.kind is ItemKind.VIDEO:
            changes["embed_url"] = video_embed_url(changes["url"])
    for key, value in changes.items():
        setattr(item, key, value)
    audit.record(
        "content.item_updated", "content_item", item.id, actor_user_id=ctx.user_id, fields=sorted(data)
    )
    db.session.commit()
    return _item_views(who, [item], checked=True)[0]


def _require_editor(who: Viewer, item: ContentItem) -> None:
    hosting = item.module_id is None and item.webinar_id is not None and _is_host(who, item.webinar_id)
    if not (who.is_coordinator or hosting):
        raise Forbidden(_("Only a coordinator (or the webinar's host, for its materials) can change items."))


def delete_item(ctx: LaunchContext, item_id: int) -> None:
    who = viewer(ctx)
    item = _item(who, item_id)
    _require_editor(who, item)
    storage_name = item.storage_name
    db.session.delete(item)
    audit.record("content.item_deleted", "content_item", item_id, actor_user_id=ctx.user_id)
    db.session.commit()
    uploads.delete(storage_name)


# --- progress ----------------------------------------------------------------------------------


def _progress_row(participant_id: int, item_id: int) -> ContentProgress:
    row = db.session.execute(
        sa.select(ContentProgress).where(
            ContentProgress.participant_id == participant_id, ContentProgress.item_id == item_id
        )
    ).scalar_one_or_none()
    if row is None:
        row = ContentProgress(item_id=item_id, participant_id=participant_id)
        db.session.add(row)
    return row


def _event(name: str, who: Viewer, item: ContentItem, **data: Any) -> None:
    assert who.participant is not None
    emit(
        DomainEvent(
            name,
            programme_id=who.programme.id,
            participant_id=who.participant.id,
            actor_user_id=who.user_id,
            data={"item_id": item.id, "module_id": item.module_id, "webinar_id": item.webinar_id, **data},
        )
    )


def _tracks(who: Viewer) -> bool:
    return who.participant is not None and who.participant.role is not ParticipantRole.COORDINATOR


def open_item(ctx: LaunchContext, item_id: int) -> ItemView:
    """The item for its page (or download); the first opening records ``content.viewed``."""
    who = viewer(ctx)
    item = _item(who, item_id)
    if _tracks(who):
        assert who.participant is not None
        row = _progress_row(who.participant.id, item.id)
        if row.viewed_at is None:
            row.viewed_at = utcnow()
            _event("content.viewed", who, item)
        db.session.commit()
    return _item_views(who, [item], checked=True)[0]


def complete_item(ctx: LaunchContext, item_id: int) -> ItemView:
    """Mark an item done; the first time emits ``content.completed`` with the module's progress."""
    who = viewer(ctx)
    item = _item(who, item_id)
    participant = who.require_participant()
    if not _tracks(who):
        raise Forbidden(_("Coordinators' progress is not tracked; open Ritmo as a participant to try it."))
    row = _progress_row(participant.id, item.id)
    if row.completed_at is None:
        now = utcnow()
        row.viewed_at = row.viewed_at or now
        row.completed_at = now
        db.session.flush()
        extra: dict[str, Any] = {}
        if item.module_id is not None:
            done, total = module_progress(item.module_id, participant.id, participant.role)
            extra = {"module_completed": total > 0 and done == total, "completed": done, "total": total}
        _event("content.completed", who, item, **extra)
    db.session.commit()
    return _item_views(who, [item], checked=True)[0]


def module_progress(module_id: int, participant_id: int, role: ParticipantRole) -> tuple[int, int]:
    """(completed, total) items of the module meant for ``role``."""
    items = [i for i in _module_items(module_id) if i.audience.includes(role)]
    progress = _progress(participant_id, [i.id for i in items])
    return sum(1 for i in items if progress.get(i.id) and progress[i.id].completed_at), len(items)


def participants_who_completed(
    module_id: int, participants: sa.Select[Any], role: ParticipantRole
) -> sa.Select[Any]:
    """Of the participant ids selected by ``participants`` (all of ``role``), a query for those who
    completed every item of the module meant for them (everyone, if no item is)."""
    item_ids = [i.id for i in _module_items(module_id) if i.audience.includes(role)]
    if not item_ids:
        return participants
    return (
        sa.select(ContentProgress.participant_id)
        .where(
            ContentProgress.item_id.in_(item_ids),
            ContentProgress.completed_at.is_not(None),
            ContentProgress.participant_id.in_(participants),
        )
        .group_by(ContentProgress.participant_id)
        .having(sa.func.count() == len(item_ids))
    )


def modules_of_programme(programme_id: int) -> list[ContentModule]:
    return list(
        db.session.execute(
            sa.select(ContentModule)
            .where(ContentModule.programme_id == programme_id)
            .order_by(ContentModule.position, ContentModule.id)
        ).scalars()
    )


def get_module_for_programme(programme_id: int, module_id: int) -> ContentModule:
    module = db.session.get(ContentModule, module_id)
    if module is None or module.programme_id != programme_id:
        raise NotFound(_("This module does not exist in your programme."))
    return module
