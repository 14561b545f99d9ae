"""Content modules and items: sanitised text, links, privacy-friendly video embeds, uploads with
limits and access control, audience, and progress events."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from tests.mentoring.webinars.factory import api
from tests.session_codes import rh

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\n"


@pytest.fixture
def module(client, world):
    response = api(
        client,
        world.people["coach"],
        "POST",
        "/api/content/modules",
        json={"title": "Mentor basics", "description": "Start *here*.", "audience": "mentors"},
    )
    assert response.status_code == 201
    return response.get_json()


def add(client, person, **fields):
    return api(client, person, "POST", "/api/content/items", json=fields)


def upload(client, person, module_id, name: str, data: bytes, **extra):
    return api(
        client,
        person,
        "POST",
        "/api/content/items",
        data={
            "module_id": str(module_id),
            "kind": "file",
            "title": name,
            "file": (io.BytesIO(data), name),
            **extra,
        },
        content_type="multipart/form-data",
    )


def uploads_dir(app) -> Path:
    return Path(app.config["DATA_DIR"]) / "uploads"


def test_text_is_sanitised_markdown(client, world, module):
    item = add(
        client,
        world.people["coach"],
        module_id=module["id"],
        kind="text",
        title="Welcome",
        body="# Hi\n<script>alert(1)</script>\n[click](javascript:alert(1)) **bold**",
    )
    assert item.status_code == 201
    seen = api(client, world.people["mara"], "GET", f"/api/content/items/{item.get_json()['id']}").get_json()
    assert "<script" not in seen["html"] and "&lt;script&gt;" in seen["html"]
    assert 'href="javascript' not in seen["html"]
    assert "<h1>Hi</h1>" in seen["html"] and "<strong>bold</strong>" in seen["html"]
    code = rh(world.people["mara"].token)
    page = client.get(f"/content/items/{seen['id']}?rh={code}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page


@pytest.mark.parametrize(
    ("url", "embed"),
    [
        (
            "https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=10",
            "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ",
        ),
        ("https://youtu.be/dQw4w9WgXcQ", "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"),
        ("https://vimeo.com/76979871", "https://player.vimeo.com/video/76979871?dnt=1"),
    ],
)
def test_videos_from_allowed_providers_get_privacy_friendly_embeds(client, world, module, url, embed):
    item = add(client, world.people["coach"], module_id=module["id"], kind="video", title="Talk", url=url)
    assert item.status_code == 201, item.get_json()
    assert item.get_json()["embed_url"] == embed


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example.com/watch?v=dQw4w9WgXcQ",
        "https://www.youtube.com/watch?v=<script>",
        "javascript:alert(1)",
        "https://youtube.com.evil.example/embed/dQw4w9WgXcQ",
    ],
)
def test_other_video_addresses_are_refused(client, world, module, url):
    item = add(client, world.people["coach"], module_id=module["id"], kind="video", title="Talk", url=url)
    assert item.status_code == 422 and "url" in item.get_json()["errors"]


def test_uploaded_file_is_stored_outside_the_database_and_served_safely(client, world, module, app):
    response = upload(client, world.people["coach"], module["id"], "../../Intro deck.pdf", PDF)
    assert response.status_code == 201, response.get_json()
    item = response.get_json()
    assert item["file_name"] == "Intro deck.pdf" and item["size_bytes"] == len(PDF)
    stored = os.listdir(uploads_dir(app))
    assert len(stored) == 1 and len(stored[0]) == 32 and "Intro" not in stored[0]
    assert (uploads_dir(app) / stored[0]).read_bytes() == PDF

    with client.get(f"/content/items/{item['id']}/file?rh={rh(world.people['mara'].token)}") as download:
        assert download.status_code == 200 and download.data == PDF
        assert download.mimetype == "application/pdf"
        assert download.headers["Content-Disposition"].startswith("attachment;")
        assert "Intro deck.pdf" in download.headers["Content-Disposition"]
        assert download.headers["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in download.headers["Content-Security-Policy"]
    # Mentees are not the audience of this module; strangers have no session.
    code = rh(world.people["nina"].token)
    assert client.get(f"/content/items/{item['id']}/file?rh={code}").status_code == 404
    assert client.get(f"/content/items/{item['id']}/file").status_code == 401
    # Participants cannot add files to modules.
    assert upload(client, world.people["mara"], module["id"], "x.pdf", PDF).status_code == 403

    assert api(client, world.people["coach"], "DELETE", f"/api/content/items/{item['id']}").status_code == 204
    assert os.listdir(uploads_dir(app)) == []


def test_upload_limits_leave_nothing_behind(client, world, module, app):
    app.config["CONTENT_UPLOAD_MAX_BYTES"] = 1024
    too_big = upload(client, world.people["coach"], module["id"], "big.pdf", PDF + b"0" * 2048)
    assert too_big.status_code == 413 and "larger than" in too_big.get_json()["detail"]
    html_as_pdf = upload(client, world.people["coach"], module["id"], "page.pdf", b"<html><script>")
    assert html_as_pdf.status_code == 422
    exe = upload(client, world.people["coach"], module["id"], "tool.exe", b"MZ\x90\x00")
    assert exe.status_code == 422 and "pdf" in exe.get_json()["errors"]["file"][0]
    empty = upload(client, world.people["coach"], module["id"], "empty.txt", b"")
    assert empty.status_code == 422
    assert os.listdir(uploads_dir(app)) == []
    listing = api(client, world.people["coach"], "GET", f"/api/content/modules/{module['id']}").get_json()
    assert listing["items"] == []
    ok = upload(client, world.people["coach"], module["id"], "notes.txt", "Note è\n".encode())
    assert ok.status_code == 201
    code = rh(world.people["mara"].token)
    with client.get(f"/content/items/{ok.get_json()['id']}/file?rh={code}") as served:
        assert served.headers["Content-Type"] == "text/plain; charset=utf-8"


def test_audience_and_drafts(client, world, module):
    everyone = api(
        client,
        world.people["coach"],
        "POST",
        "/api/content/modules",
        json={"title": "For all", "audience": "everyone"},
    ).get_json()
    add(
        client,
        world.people["coach"],
        module_id=everyone["id"],
        kind="link",
        title="Mentor guide",
        url="https://example.edu/mentors",
        audience="mentors",
    )
    add(
        client,
        world.people["coach"],
        module_id=everyone["id"],
        kind="link",
        title="Mentee guide",
        url="https://example.edu/mentees",
        audience="mentees",
    )
    draft = api(
        client,
        world.people["coach"],
        "POST",
        "/api/content/modules",
        json={"title": "Draft", "published": False},
    ).get_json()

    def titles(person):
        modules = api(client, person, "GET", "/api/content/modules").get_json()["modules"]
        return {m["title"]: [i["title"] for i in m["items"]] for m in modules}

    assert titles(world.people["nina"]) == {"For all": ["Mentee guide"]}
    assert titles(world.people["mara"]) == {"Mentor basics": [], "For all": ["Mentor guide"]}
    assert set(titles(world.people["coach"])) == {"Mentor basics", "For all", "Draft"}
    assert api(client, world.people["nina"], "GET", f"/api/content/modules/{module['id']}").status_code == 404
    assert api(client, world.people["mara"], "GET", f"/api/content/modules/{draft['id']}").status_code == 404


def test_viewed_and_completed_are_events_once_each(client, world, module, events):
    items = [
        add(
            client,
            world.people["coach"],
            module_id=module["id"],
            kind="link",
            title=f"Step {n}",
            url=f"https://example.edu/{n}",
        ).get_json()
        for n in (1, 2)
    ]
    mara = world.people["mara"]
    for _ in range(2):
        api(client, mara, "GET", f"/api/content/items/{items[0]['id']}")
    viewed = [e for e in events if e.name == "content.viewed"]
    assert [(e.participant_id, e.data["item_id"]) for e in viewed] == [(mara.id, items[0]["id"])]

    first = api(client, mara, "POST", f"/api/content/items/{items[0]['id']}/completion").get_json()
    assert first["completed"] is True
    api(client, mara, "POST", f"/api/content/items/{items[0]['id']}/completion")
    api(client, mara, "POST", f"/api/content/items/{items[1]['id']}/completion")
    completed = [e for e in events if e.name == "content.completed"]
    assert [(e.data["item_id"], e.data["module_completed"]) for e in completed] == [
        (items[0]["id"], False),
        (items[1]["id"], True),
    ]
    assert api(client, mara, "GET", f"/api/content/modules/{module['id']}").get_json()["is_complete"] is True
    # Completing straight away counts as viewing it too (no separate event needed).
    assert len([e for e in events if e.name == "content.viewed"]) == 1
    # Coordinators preview without being tracked.
    assert (
        api(
            client, world.people["coach"], "POST", f"/api/content/items/{items[0]['id']}/completion"
        ).status_code
        == 403
    )


def test_item_needs_a_place_and_the_right_fields(client, world, module):
    nowhere = add(client, world.people["coach"], kind="text", title="x", body="y")
    assert nowhere.status_code == 422 and "module_id" in nowhere.get_json()["errors"]
    assert (
        add(client, world.people["coach"], module_id=module["id"], kind="link", title="x").status_code == 422
    )
    assert (
        add(client, world.people["coach"], module_id=module["id"], kind="text", title="x").status_code == 422
    )
    assert (
        add(client, world.people["coach"], module_id=module["id"], kind="file", title="x").status_code == 422
    )
    assert (
        add(client, world.people["coach"], module_id=module["id"], kind="bogus", title="x").status_code == 422
    )


def test_items_can_be_edited_by_coordinators_only(client, world, module):
    video = add(
        client,
        world.people["coach"],
        module_id=module["id"],
        kind="video",
        title="Talk",
        url="https://vimeo.com/76979871",
    ).get_json()
    path = f"/api/content/items/{video['id']}"
    assert api(client, world.people["mara"], "PATCH", path, json={"title": "Mine"}).status_code == 403
    changed = api(
        client,
        world.people["coach"],
        "PATCH",
        path,
        json={"title": "Keynote", "url": "https://youtu.be/dQw4w9WgXcQ", "audience": "everyone"},
    )
    assert changed.status_code == 200
    assert (changed.get_json()["title"], changed.get_json()["embed_url"]) == (
        "Keynote",
        "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ",
    )
    bad = api(client, world.people["coach"], "PATCH", path, json={"url": "https://evil.example/v"})
    assert bad.status_code == 422
    assert api(client, world.people["mara"], "GET", path).get_json()["title"] == "Keynote"
