"""What every LTI service call shares: Link paging, Retry-After, and errors that say what to do,
against real servers on 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from lti_tool.demo.server import ServerHandle, serve_in_thread
from lti_tool.http import Client
from lti_tool.lti_services.errors import AccessTokenError, AgsError, ServiceError
from lti_tool.lti_services.transport import call, next_page_url, retry_after_seconds

PAGE = "https://lms.example/courses/CourseA/lineitems?page=2&type_id=1"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (f'<{PAGE}>; rel="next"', PAGE),
        (f"<{PAGE}>; rel=\u201cnext\u201d", PAGE),
        # Moodle's typographic quotes, as UTF-8 read as latin-1
        (f"<{PAGE}>; rel=\u201cnext\u201d".encode().decode("latin-1"), PAGE),
        (f'<https://x/first>; rel="first", <{PAGE}>; REL=next', PAGE),
        ('<https://x/Diff>; rel="differences", <https://x/CourseA?p=3>; REL=Next', "https://x/CourseA?p=3"),
        ("<https://x/a>; rel='prev first'", None),
        ('<https://x/prev>; rel="prev"', None),
        ("", None),
        (None, None),
    ],
)
def test_next_page_url_is_read_tolerantly_and_kept_verbatim(header: str | None, expected: str | None) -> None:
    assert next_page_url(header) == expected


def test_retry_after_parsing() -> None:
    assert retry_after_seconds("3") == 3
    assert retry_after_seconds("999999") == 3600  # capped: the normal backoff takes over
    assert retry_after_seconds(None) is None
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0


class Answers:
    """Answers each path with the status, headers and JSON body registered for it."""

    def __init__(self) -> None:
        self.by_path: dict[str, tuple[str, list[tuple[str, str]], Any]] = {}

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        status, headers, body = self.by_path[environ["PATH_INFO"]]
        start_response(status, [("Content-Type", "application/json"), *headers])
        return [json.dumps(body).encode()]


@pytest.fixture
def lms() -> Iterator[tuple[ServerHandle, Answers]]:
    answers = Answers()
    with serve_in_thread(answers) as server:  # type: ignore[arg-type]
        yield server, answers


def test_errors_are_of_the_service_named_and_say_whether_to_retry(lms) -> None:
    server, answers = lms
    session = Client(allow_private=True)
    answers.by_path = {
        "/busy": ("503 Service Unavailable", [("Retry-After", "7")], {}),
        "/refused": ("400 Bad Request", [], {"error": "invalid_grant", "detail": "userId unknown"}),
        "/expired": ("401 Unauthorized", [], {}),
        "/ok": ("200 OK", [], {"fine": True}),
    }
    with pytest.raises(AgsError) as busy:
        call(session, "GET", server.url + "/busy", 2, error=AgsError, token="t")
    assert busy.value.transient and busy.value.status == 503 and busy.value.retry_after == 7
    with pytest.raises(AccessTokenError) as refused:
        call(session, "POST", server.url + "/refused", 2, error=AccessTokenError, data={"a": "b"})
    assert not refused.value.transient
    assert refused.value.message == "The LMS answered 400: invalid_grant - userId unknown"
    with pytest.raises(ServiceError) as expired:
        call(session, "GET", server.url + "/expired", 2, error=AgsError, token="t")
    assert expired.value.token_rejected and type(expired.value) is AgsError
    assert call(session, "GET", server.url + "/ok", 2, error=AgsError).json() == {"fine": True}
