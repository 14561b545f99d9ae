"""Files attached to posts: the content uploads' checks, members-only downloads, erasure and export."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
import sqlalchemy as sa

from lti_tool.accounts import privacy
from lti_tool.db import db
from lti_tool.mentoring.attachments import service
from lti_tool.mentoring.attachments.models import PostAttachment
from lti_tool.mentoring.content import uploads
from lti_tool.mentoring.conversations.models import Post
from tests.mentoring.conversations.factories import World, make_world

PDF = b"%PDF-1.4\n% a small document\n"


@pytest.fixture
def world(app) -> World:
    return make_world()


def first_post(client, world: World) -> int:
    thread = client.post(
        f"/api/matches/{world.match.id}/threads",
        headers=world.headers(world.mentor),
        json={"title": "Reading list", "body": "Here is the plan"},
    ).get_json()
    return db.session.execute(sa.select(Post.id).where(Post.thread_id == thread["id"])).scalar_one()


def attach(client, world: World, user, post_id: int, data: bytes = PDF, name: str = "plan.pdf"):
    return client.post(
        f"/api/posts/{post_id}/attachments",
        headers=world.headers(user),
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def stored_files() -> list[str]:
    return sorted(p.name for p in uploads.upload_dir(service.FOLDER).iterdir())


def test_the_author_attaches_and_members_download_with_safe_headers(client, world: World) -> None:
    post_id = first_post(client, world)
    made = attach(client, world, world.mentor, post_id)
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    assert body["file_name"] == "plan.pdf" and body["content_type"] == "application/pdf"
    assert body["size_bytes"] == len(PDF)
    row = db.session.get(PostAttachment, body["id"])
    path = uploads.path_for(row.storage_name, service.FOLDER)
    assert path.read_bytes() == PDF and row.storage_name != "plan.pdf"
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    got = client.get(f"/attachments/{body['id']}", headers=world.headers(world.mentee))
    assert got.status_code == 200 and got.data == PDF
    assert got.headers["Content-Type"] == "application/pdf"
    assert got.headers["Content-Disposition"].startswith("attachment;")
    assert got.headers["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert got.headers["Cache-Control"] == "private, no-store"
    got.close()
    # The thread page lists it, with a link, on the post.
    thread_id = row.thread_id
    page = client.get(f"/threads/{thread_id}", headers=world.headers(world.mentee)).get_data(as_text=True)
    assert f"/attachments/{body['id']}" in page and "plan.pdf" in page


def test_non_members_cannot_download_and_only_the_author_attaches(client, world: World) -> None:
    post_id = first_post(client, world)
    made = attach(client, world, world.mentor, post_id).get_json()
    assert client.get(f"/attachments/{made['id']}", headers=world.headers(world.outsider)).status_code == 404
    # The coordinator reads the thread, but the files are the pair's.
    assert (
        client.get(f"/attachments/{made['id']}", headers=world.headers(world.coordinator)).status_code == 404
    )
    assert client.get(f"/attachments/{made['id']}").status_code == 401
    assert attach(client, world, world.mentee, post_id).status_code == 403
    assert attach(client, world, world.outsider, post_id).status_code == 404
    assert db.session.execute(sa.select(sa.func.count(PostAttachment.id))).scalar_one() == 1
    assert len(stored_files()) == 1


@pytest.mark.parametrize(
    ("data", "name", "status"),
    [
        (b"MZ\x90\x00 an executable", "plan.pdf", 422),  # the bytes are not a PDF
        (b"<html><script>alert(1)</script>", "page.html", 422),  # not an accepted type
        (b"", "empty.txt", 422),
    ],
)
def test_wrong_types_and_empty_files_are_refused_and_nothing_is_kept(
    client, world: World, data: bytes, name: str, status: int
) -> None:
    post_id = first_post(client, world)
    refused = attach(client, world, world.mentor, post_id, data, name)
    assert refused.status_code == status and "file" in refused.get_json()["errors"]
    assert db.session.execute(sa.select(PostAttachment)).scalars().all() == []
    assert stored_files() == []


def test_a_file_over_the_limit_is_refused(app, client, world: World) -> None:
    app.config["CONTENT_UPLOAD_MAX_BYTES"] = 1024
    post_id = first_post(client, world)
    refused = attach(client, world, world.mentor, post_id, PDF + b"x" * 2048)
    assert refused.status_code == 413
    assert db.session.execute(sa.select(PostAttachment)).scalars().all() == []
    assert stored_files() == []


def test_the_uploader_removes_a_file(client, world: World) -> None:
    post_id = first_post(client, world)
    made = attach(client, world, world.mentor, post_id).get_json()
    url = f"/api/attachments/{made['id']}"
    assert client.delete(url, headers=world.headers(world.mentee)).status_code == 403
    assert client.delete(url, headers=world.headers(world.mentor)).status_code == 204
    assert stored_files() == []
    assert client.get(f"/attachments/{made['id']}", headers=world.headers(world.mentor)).status_code == 404


def test_export_lists_them_and_erasure_removes_rows_then_the_sweep_the_files(client, world: World) -> None:
    post_id = first_post(client, world)
    made = attach(client, world, world.mentor, post_id).get_json()
    exported = privacy.export(world.mentor.id)
    assert [r["file_name"] for r in exported["rows"]["post_attachment"]] == ["plan.pdf"]
    privacy.erase(world.mentor.id)
    assert db.session.get(PostAttachment, made["id"]) is None
    (name,) = stored_files()
    # A file younger than the grace period may be an upload in progress: left alone.
    assert service.sweep() == 0 and stored_files() == [name]
    old = service.SWEEP_GRACE_SECONDS + 60
    path: Path = uploads.path_for(name, service.FOLDER)
    os.utime(path, (path.stat().st_atime - old, path.stat().st_mtime - old))
    assert service.sweep() == 1 and stored_files() == []


def test_forum_posts_take_no_files(client, world: World) -> None:
    thread = client.post(
        "/api/forum/threads", headers=world.headers(world.mentor), json={"title": "Hello", "body": "Hi all"}
    ).get_json()
    post_id = db.session.execute(sa.select(Post.id).where(Post.thread_id == thread["id"])).scalar_one()
    assert attach(client, world, world.mentor, post_id).status_code == 403
