"""Request limits at the edge (``lti_tool.limits``): body sizes, the sender known before a body is
read, malformed and too-deep JSON, and per-person write budgets with 429 and Retry-After."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
import sqlalchemy as sa

from lti_tool.db import db
from lti_tool.mentoring.content.models import ContentModule
from tests.mentoring.webinars.factory import make_world

MB = 1024 * 1024


class CountingStream(io.RawIOBase):
    """A request body of ``size`` bytes made on demand, counting what the server read."""

    def __init__(self, size: int, head: bytes = b"", fill: bytes = b"x") -> None:
        self.size, self.head, self.fill = size, head, fill
        self.pos = self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:  # the test client measures the body by seeking
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        self.pos = offset if whence == 0 else self.size + offset if whence == 2 else self.pos + offset
        return self.pos

    def tell(self) -> int:
        return self.pos

    def readinto(self, buffer: Any) -> int:
        n = min(len(buffer), self.size - self.pos)
        if n <= 0:
            return 0
        chunk = self.head[self.pos:self.pos + n]
        chunk += self.fill * (n - len(chunk))
        buffer[:n] = chunk
        self.pos += n
        self.read_bytes += n
        return n


def send(client, path: str, body: CountingStream, content_type: str, headers: dict[str, str] | None = None):
    return client.post(path, input_stream=body, content_type=content_type, headers=headers or {})


def bearer(person) -> dict[str, str]:
    return {"Authorization": f"Bearer {person.token}"}


def modules() -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(ContentModule)).scalar_one()


def multipart(
    fields: list[tuple[str, str]], file_size: int, boundary: str = "b0undary"
) -> tuple[bytes, int, str]:
    """The head of a multipart body (the fields, then a file part's headers), its full size with a
    file of ``file_size`` bytes, and its content type."""
    head = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields
    )
    head += (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n'
             "Content-Type: application/pdf\r\n\r\n").encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    return head, len(head) + file_size + len(tail), f"multipart/form-data; boundary={boundary}"


@pytest.fixture
def world(app):
    return make_world()


# -- size ---------------------------------------------------------------------------------------------


def test_a_40_mb_json_body_is_refused_unread_and_nothing_is_stored(client, world):
    body = CountingStream(40 * MB, head=b'{"title": "x", "description": "', fill=b"a")
    response = send(client, "/api/content/modules", body, "application/json", bearer(world.people["coach"]))
    assert response.status_code == 413
    assert response.mimetype == "application/problem+json"
    assert "at most 1 MB" in response.get_json()["detail"]
    assert body.read_bytes == 0
    assert modules() == 0


def test_json_just_over_the_setting_is_refused_and_under_it_accepted(client, world, app):
    app.config["REQUEST_MAX_JSON_BYTES"] = 2000
    coach = world.people["coach"]
    big = client.post("/api/content/modules", json={"title": "x", "description": "d" * 3000},
                      headers=bearer(coach))
    assert big.status_code == 413
    small = client.post("/api/content/modules", json={"title": "x", "description": "d" * 100},
                        headers=bearer(coach))
    assert small.status_code == 201
    assert modules() == 1


def test_an_unauthenticated_60_mb_form_is_refused_before_it_is_read(client, world):
    body = CountingStream(60 * MB, head=b"title=x&description=", fill=b"a")
    response = send(client, "/api/content/modules", body, "application/x-www-form-urlencoded")
    assert response.status_code == 413
    assert body.read_bytes == 0


@pytest.mark.parametrize("path", ["/lti/launch", "/lti/login", "/lti/register"])
def test_anonymous_endpoints_refuse_a_large_form_unread(client, path):
    body = CountingStream(60 * MB, head=b"id_token=", fill=b"a")
    response = send(client, path, body, "application/x-www-form-urlencoded")
    assert response.status_code == 413
    assert body.read_bytes == 0


def test_an_upload_larger_than_the_upload_limit_gets_413_in_the_frame(client, world, app):
    app.config["CONTENT_UPLOAD_MAX_BYTES"] = 1 * MB
    head, size, content_type = multipart([("ritmo_session", world.people["coach"].token)], 3 * MB)
    body = CountingStream(size, head=head)
    response = send(client, "/content/items", body, content_type)
    assert response.status_code == 413
    assert response.mimetype == "text/html"
    assert "larger than Ritmo accepts here" in response.get_data(as_text=True)
    assert body.read_bytes == 0


def test_an_upload_without_a_session_is_refused_after_reading_only_its_start(client, world):
    head, size, content_type = multipart([("kind", "file")], 10 * MB)
    body = CountingStream(size, head=head)
    response = send(client, "/api/content/items", body, content_type)
    assert response.status_code == 401
    assert body.read_bytes <= 64 * 1024


def test_an_upload_with_a_bad_session_field_is_refused_before_its_file(client, world):
    head, size, content_type = multipart([("ritmo_session", "forged"), ("kind", "file")], 10 * MB)
    body = CountingStream(size, head=head)
    response = send(client, "/api/content/items", body, content_type)
    assert response.status_code == 401
    assert body.read_bytes <= 64 * 1024


def test_an_upload_with_a_bad_bearer_token_reads_nothing(client, world):
    head, size, content_type = multipart([("kind", "file")], 10 * MB)
    body = CountingStream(size, head=head)
    response = send(client, "/api/content/items", body, content_type, {"Authorization": "Bearer forged"})
    assert response.status_code == 401
    assert body.read_bytes == 0


def test_an_upload_form_with_the_session_field_first_is_accepted(client, world):
    coach = world.people["coach"]
    module = client.post("/api/content/modules", json={"title": "Basics"}, headers=bearer(coach)).get_json()
    data = {
        "ritmo_session": coach.token,  # first, as Ritmo's upload forms put it
        "module_id": str(module["id"]),
        "kind": "file",
        "title": "Guide",
        "file": (io.BytesIO(b"%PDF-1.7\n" + b"x" * 200_000), "guide.pdf"),
    }
    response = client.post("/content/items", data=data, content_type="multipart/form-data")
    assert response.status_code == 303, response.get_data(as_text=True)[:400]


def test_upload_pages_put_the_session_field_before_the_file(client, world):
    coach = world.people["coach"]
    module = client.post("/api/content/modules", json={"title": "Basics"}, headers=bearer(coach)).get_json()
    page = client.post(f"/content/modules/{module['id']}", data={"ritmo_session": coach.token})
    html = page.get_data(as_text=True)
    form = html[html.index('enctype="multipart/form-data"'):]
    assert form.index('name="ritmo_session"') < form.index('type="file"')


# -- JSON -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b'{"title": "x",}',
        b"\xff\xfe",
        b"[" * 100_000 + b"]" * 100_000,
        b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
        b'{"title": ' + b"[" * 100 + b"]" * 100 + b"}",  # parses, but deeper than any document Ritmo takes
    ],
    ids=["broken", "trailing-comma", "not-utf8", "list-100000-deep", "object-100000-deep", "100-deep"],
)
@pytest.mark.parametrize(
    "path",
    ["/api/content/modules", "/api/goals/milestones", "/api/notifications/read", "/api/webinars"],
)
def test_malformed_or_too_deep_json_answers_400(client, world, body, path):
    response = client.post(path, data=body, content_type="application/json",
                           headers=bearer(world.people["coach"]))
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["title"] == "Invalid JSON"
    assert modules() == 0


def test_malformed_json_to_a_page_answers_400_html(client, world):
    response = client.post("/content/items", data=b"[" * 100_000, content_type="application/json",
                           headers={**bearer(world.people["coach"]), "Accept": "text/html"})
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert "nests too deeply" in response.get_data(as_text=True)


def test_reasonable_nesting_still_works(client, world):
    nested: Any = "leaf"
    for _ in range(20):
        nested = {"n": nested}
    response = client.post("/api/content/modules", data=json.dumps({"title": "ok", "extra": nested}),
                           content_type="application/json", headers=bearer(world.people["coach"]))
    assert response.status_code in (201, 422)  # unknown field or accepted, never 400/500


# -- per-person write budgets ---------------------------------------------------------------------------


@pytest.fixture
def app_config() -> dict[str, object]:
    return {"RATELIMIT_ENABLED": True, "RATELIMIT_WRITES": 3, "RATELIMIT_UPLOADS": 1, "RATELIMIT_MAIL": 1}


def test_writes_past_the_budget_get_429_and_write_nothing(client, world):
    coach = world.people["coach"]
    for n in range(3):
        created = client.post("/api/content/modules", json={"title": f"m{n}"}, headers=bearer(coach))
        assert created.status_code == 201
    refused = client.post("/api/content/modules", json={"title": "one too many"}, headers=bearer(coach))
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert refused.mimetype == "application/problem+json"
    assert modules() == 3
    # Reading is not writing.
    assert client.get("/api/content/modules", headers=bearer(coach)).status_code == 200


def test_the_budget_is_per_person_not_per_address(client, world):
    coach, mara = world.people["coach"], world.people["mara"]
    for n in range(3):
        client.post("/api/content/modules", json={"title": f"m{n}"}, headers=bearer(coach))
    assert client.post("/api/content/modules", json={"title": "x"}, headers=bearer(coach)).status_code == 429
    # Another person from the same address still writes...
    assert client.post("/api/notifications/read", json={}, headers=bearer(mara)).status_code != 429
    # ...and the same person from another address is still limited.
    other_address = client.post("/api/content/modules", json={"title": "y"}, headers=bearer(coach),
                                environ_base={"REMOTE_ADDR": "10.9.8.7"})
    assert other_address.status_code == 429


def test_a_page_form_past_the_budget_gets_429_html_with_retry_after(client, world):
    coach = world.people["coach"]
    for n in range(3):
        client.post("/content/modules", data={"ritmo_session": coach.token, "title": f"m{n}"})
    refused = client.post("/content/modules", data={"ritmo_session": coach.token, "title": "x"})
    assert refused.status_code == 429 and refused.mimetype == "text/html"
    assert "Retry-After" in refused.headers
    assert modules() == 3


def test_uploads_have_a_stricter_budget(client, world):
    coach = world.people["coach"]
    module = client.post("/api/content/modules", json={"title": "Basics"}, headers=bearer(coach)).get_json()

    def upload(name: str):
        return client.post("/api/content/items", headers=bearer(coach), content_type="multipart/form-data",
                           data={"module_id": str(module["id"]), "kind": "file", "title": name,
                                 "file": (io.BytesIO(b"%PDF-1.7\n"), name)})

    assert upload("a.pdf").status_code == 201
    refused = upload("b.pdf")
    assert refused.status_code == 429 and "Retry-After" in refused.headers


def test_match_requests_which_send_mail_have_a_stricter_budget(client, app):
    from lti_tool.mentoring.matching.models import MatchRequest
    from tests.mentoring.matching.test_service_choice import setup
    from tests.mentoring.programmes.factories import call

    w, (ada, bob, _cat, _dan), eve = setup()
    base = f"/api/programmes/{w.programme.id}"
    asked = call(client, w, eve.user_id, "POST", base + "/requests", json={"mentor_id": ada.id})
    assert asked.status_code == 201
    call(client, w, eve.user_id, "POST", f"{base}/requests/{asked.json['id']}/withdraw")
    again = call(client, w, eve.user_id, "POST", base + "/requests", json={"mentor_id": bob.id})
    assert again.status_code == 429 and "Retry-After" in again.headers
    assert db.session.execute(sa.select(sa.func.count()).select_from(MatchRequest)).scalar_one() == 1


# -- the client address behind a proxy -------------------------------------------------------------------


def _logins(client, n: int, forwarded_for: str) -> list[int]:
    return [
        client.get("/lti/login", query_string={"iss": "https://nowhere.example"},
                   headers={"X-Forwarded-For": forwarded_for}).status_code
        for _ in range(n)
    ]


@pytest.mark.parametrize("app_config", [{"RATELIMIT_ENABLED": True, "RATELIMIT_LOGIN": 2}])
def test_without_proxy_fix_a_forwarded_header_does_not_escape_the_limit(client):
    assert _logins(client, 2, "1.1.1.1") != [429, 429]
    assert _logins(client, 1, "2.2.2.2") == [429]  # the same peer, whatever it claims


@pytest.mark.parametrize("app_config", [{"RATELIMIT_ENABLED": True, "RATELIMIT_LOGIN": 2, "PROXY_FIX": 1}])
def test_behind_proxy_fix_clients_are_told_apart_by_the_proxy_address(client):
    assert 429 not in _logins(client, 2, "1.1.1.1")
    assert _logins(client, 1, "1.1.1.1") == [429]
    assert 429 not in _logins(client, 2, "2.2.2.2")  # another client behind the same proxy
    # A client cannot pick its key by prepending addresses: the proxy's (rightmost) one counts.
    assert _logins(client, 1, "9.9.9.9, 1.1.1.1") == [429]


@pytest.mark.parametrize("counter", ["memory", "redis"])
@pytest.mark.parametrize("at", [0, 59.5])
def test_a_budget_is_not_doubled_across_a_minute_boundary(app, at, counter):
    """A burst at the end of one minute and another at the start of the next are one minute's
    burst: the last 60 seconds count, not the clock's minute. Both counters agree."""
    from uuid import uuid4

    from lti_tool.errors import TooManyRequests
    from lti_tool.ratelimit import MemoryCounter, RedisCounter, hit
    from tests.conftest import REDIS_URL, need

    if counter == "redis":
        app.extensions["ritmo_counter"] = RedisCounter(need(REDIS_URL, "Redis", "LTI_TOOL_TEST_REDIS_URL"))
    else:
        app.extensions["ritmo_counter"] = MemoryCounter()
    bucket, minute = f"test:{uuid4().hex}", 60 * 29_000_000  # a whole minute, in Unix time
    with app.app_context():
        for n in range(3):
            hit(bucket, 3, now=minute + at + n * 0.1)
        with pytest.raises(TooManyRequests) as refused:
            hit(bucket, 3, now=minute + 60.2)  # just after the boundary
        assert 0 < int(refused.value.extra["headers"]["Retry-After"]) <= 60
        # Once the earlier hits have slid out of the last 60 seconds, there is room again.
        hit(bucket, 3, now=minute + 119.9)
