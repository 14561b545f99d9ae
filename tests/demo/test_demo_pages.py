"""The demo LMS's Gradebook and Outbox pages, over real HTTP: a score posted through AGS shows in the
instructor's grid; a message sent over SMTP to the mail catcher shows in the Outbox, links clickable."""

from __future__ import annotations

import json
import re
import smtplib
from datetime import UTC, datetime
from email.message import EmailMessage

import requests
from markupsafe import escape

from lti_tool.demo import MailCatcher, start_demo_server
from tests.demo.test_demo_lms import ALL_AGS, SCORE_MT, TIMEOUT, Demo, score, with_path


def _row(page: str, name: str) -> str:
    found = re.search(r"<tr>\s*<th scope=\"row\">" + re.escape(str(escape(name))) + r".*?</tr>", page, re.S)
    assert found, f"no gradebook row for {name}"
    return found.group(0)


def test_gradebook_page_shows_a_score_posted_through_ags(demo: Demo) -> None:
    auth = demo.bearer(*ALL_AGS)
    item = demo.platform.gradebook.query("CourseA", {})[0]
    url = with_path(demo.platform.lineitem_url("CourseA", item.id), "/scores")
    body = score("u-learner-02", 7, datetime(2026, 3, 1, 10, 0, tzinfo=UTC))
    posted = requests.post(
        url, data=json.dumps(body), headers={**auth, "Content-Type": SCORE_MT}, timeout=TIMEOUT
    )
    assert posted.status_code == 200, posted.text

    page = demo.get("/gradebook")
    assert page.status_code == 200
    assert "Ritmo mentoring participation" in page.text
    # 7 out of 10 on a 100-point column, as the instructor sees it.
    assert "70 / 100" in _row(page.text, "Liam O'Connor")
    assert "Completed, FullyGraded" in _row(page.text, "Liam O'Connor")
    assert "70 / 100" not in _row(page.text, "Giulia Bianchi")
    assert "Irene Instructor" not in page.text  # learners only


def test_pages_link_to_each_other(demo: Demo) -> None:
    for path in ("/", "/gradebook", "/outbox"):
        page = demo.get(path).text
        assert 'href="/gradebook"' in page and 'href="/outbox"' in page and 'href="/"' in page


def test_the_empty_course_is_listed_only_when_asked_for() -> None:
    with start_demo_server({"empty_course": True}) as lms:
        page = requests.get(lms.url + "/", timeout=TIMEOUT).text
        assert "Mentoring 101" in page and "Mentoring 102" in page
        assert "ctx=CourseB&amp;user=u-instructor" in page
    with start_demo_server() as lms:
        assert "Mentoring 102" not in requests.get(lms.url + "/", timeout=TIMEOUT).text


def test_outbox_shows_caught_mail_with_clickable_links() -> None:
    with start_demo_server() as lms:
        from lti_tool.demo import DemoPlatform

        catcher = MailCatcher(DemoPlatform.of(lms.app).outbox).start()
        try:
            assert "No e-mail yet" in requests.get(lms.url + "/outbox", timeout=TIMEOUT).text
            message = EmailMessage()
            message["Subject"], message["From"] = "Your mentor wrote", "Ritmo <no-reply@ritmo.invalid>"
            message["To"] = "giulia.bianchi@demo.ritmo.invalid"
            message.set_content("Read it here: http://127.0.0.1:5000/signin/abc123.\nThanks")
            with smtplib.SMTP(catcher.host, catcher.port, timeout=TIMEOUT) as smtp:
                smtp.send_message(message)
            listing = requests.get(lms.url + "/outbox", timeout=TIMEOUT).text
            assert "Your mentor wrote" in listing and "giulia.bianchi@demo.ritmo.invalid" in listing
            number = re.search(r'href="/outbox/(\d+)"', listing)
            assert number
            shown = requests.get(f"{lms.url}/outbox/{number.group(1)}", timeout=TIMEOUT).text
            # The link without the sentence's full stop, clickable; the rest as text.
            assert '<a href="http://127.0.0.1:5000/signin/abc123"' in shown
            assert "Read it here: " in shown and "Thanks" in shown
            missing = requests.get(lms.url + "/outbox/999", timeout=TIMEOUT)
            assert missing.status_code == 404
        finally:
            catcher.stop()
