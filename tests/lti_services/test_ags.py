"""Line items and scores against the demo LMS's real AGS server."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from lti_tool import http
from lti_tool.demo import start_demo_server
from lti_tool.demo.server import serve_in_thread
from lti_tool.lti_services import ags
from lti_tool.lti_services.errors import AgsError
from tests.grades.factory import Lms, _StaticJson


@contextmanager
def demo_lms_no_app(**config: object) -> Iterator[Lms]:
    jwks = serve_in_thread(_StaticJson({"keys": []}))  # type: ignore[arg-type]
    handle = start_demo_server({"tool_jwks_url": jwks.url, **config})
    try:
        yield Lms(handle, jwks)
    finally:
        handle.shutdown()
        jwks.shutdown()


def test_existing_line_item_found_across_pages_with_typographic_quotes() -> None:
    with demo_lms_no_app(link_header_quirk="always") as lms:
        lms.faults()
        gradebook = lms.platform.gradebook
        for n in range(5):
            gradebook.create(
                "CourseA", {"label": f"x{n}", "scoreMaximum": 1, "resourceId": f"r{n}", "tag": "t"}
            )
        token = lms.platform.tokens.issue("ritmo-demo", frozenset(ags.DELIVERY_SCOPES)).token
        found = ags.find_line_item(
            http.Client(allow_private=True), token, lms.lineitems_url, "r4", "t", 5, limit=2
        )
        assert found is not None and found["label"] == "x4" and "?type_id=1" in found["id"]


def test_scores_url_keeps_the_line_item_query() -> None:
    assert ags.scores_url("https://lms/x/lineitems/7?type_id=1") == "https://lms/x/lineitems/7/scores?type_id=1"
    assert ags.with_query("https://lms/x?limit=5&a=1", {"limit": "100", "tag": "t"}) == (
        "https://lms/x?limit=5&a=1&tag=t"
    )


def test_timeouts_are_transient(app) -> None:
    def slow(environ, start_response):
        time.sleep(1.0)
        start_response("200 OK", [("Content-Type", "application/json")])
        return [b"{}"]

    with (
        serve_in_thread(slow) as server,
        pytest.raises(AgsError) as caught,
    ):
        ags.post_score(http.client(), "t", server.url + "/lineitems/1", {"userId": "u"}, (1.0, 0.2))
    assert caught.value.transient and caught.value.status is None


@pytest.mark.parametrize(("body", "call"), [
    (b"<html>Maintenance</html>", "find"),
    (b"[" * 100_000, "find"),
    (b"[1, \"two\", null]", "find"),
    (b"<html>Maintenance</html>", "create"),
])
def test_a_malformed_answer_is_an_ags_error(app, body: bytes, call: str) -> None:
    def lms(environ, start_response):
        start_response("200 OK", [("Content-Type", "application/json")])
        return [body]

    with serve_in_thread(lms) as server:
        client, url = http.client(), server.url + "/lineitems"
        if call == "find" and body.startswith(b"[1"):
            # Items that are not objects are passed over, not a crash.
            assert ags.find_line_item(client, "t", url, "r", "t", 5) is None
            return
        with pytest.raises(AgsError) as caught:
            if call == "find":
                ags.find_line_item(client, "t", url, "r", "t", 5)
            else:
                ags.create_line_item(client, "t", url, {"label": "x"}, 5)
    assert caught.value.transient and caught.value.status == 200
