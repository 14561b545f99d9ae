"""In Chromium: a coordinator assigns a mentor by typing names, swaps two mentees' mentors, and ends
a match after saying yes to the confirmation, all through the real forms from the matching page."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from lti_tool.db import db
from lti_tool.mentoring.matching.models import Match, MatchMentee, MatchStatus
from lti_tool.mentoring.programmes.models import ParticipantRole
from tests.mentoring.programmes.factories import world
from tests.session_codes import rh

pytestmark = pytest.mark.browser


def _mentors() -> dict[int, int]:
    db.session.expire_all()
    rows = db.session.execute(
        sa.select(MatchMentee.mentee_id, Match.mentor_id)
        .join(Match, Match.id == MatchMentee.match_id)
        .where(Match.status == MatchStatus.PROPOSED)
    ).all()
    return {mentee: mentor for mentee, mentor in rows}


def test_assign_by_name_swap_and_end_through_the_forms(app, ritmo, browser):
    w = world()
    M, E = ParticipantRole.MENTOR, ParticipantRole.MENTEE
    ada, bob = w.person("Ada Mentor", M), w.person("Bob Mentor", M)
    eve, fay = w.person("Eve Mentee", E), w.person("Fay Mentee", E)
    page = browser.new_page()  # type: ignore[attr-defined]
    asked: list[str] = []

    def answer(dialog) -> None:
        asked.append(dialog.message)
        # The first confirmation is declined, the second accepted.
        dialog.accept() if len(asked) > 1 else dialog.dismiss()

    page.on("dialog", answer)
    try:
        page.goto(f"{ritmo.url}/programmes/{w.programme.id}/matching?rh={rh(w.token(w.coordinator))}")
        for mentee, mentor in (("Eve Mentee", "Ada Mentor"), ("Fay Mentee", "Bob Mentor")):
            page.click("#assign-by-hand")
            page.wait_for_selector("#assign-form")
            page.fill("input[name=mentee]", mentee)
            page.fill("input[name=mentor]", mentor)
            page.click("#assign-form button[type=submit]")
            page.wait_for_selector(f"#proposals tr[data-mentee='{mentee}'][data-locked=yes]")
        assert _mentors() == {eve.id: ada.id, fay.id: bob.id}

        page.click("#swap-mentors")
        page.wait_for_selector("#swap-form")
        page.fill("input[name=first]", "Eve Mentee")
        page.fill("input[name=second]", "Nobody")
        page.click("#swap-form button[type=submit]")
        page.wait_for_selector("text=Choose the second mentee from the list of names.")
        page.fill("input[name=second]", "Fay Mentee")
        page.click("#swap-form button[type=submit]")
        page.wait_for_selector("#proposals tr[data-mentee='Eve Mentee']")
        assert "Bob Mentor" in page.locator("#proposals tr[data-mentee='Eve Mentee']").inner_text()
        assert _mentors() == {eve.id: bob.id, fay.id: ada.id}

        page.locator("#proposals tr[data-mentee='Eve Mentee'] a.danger").click()
        page.wait_for_selector("#end-form")
        page.fill("textarea[name=reason]", "Not a good fit after all.")
        page.click("#end-form button.danger")  # declined: nothing happens
        page.wait_for_timeout(300)
        assert page.locator("#end-form").count() == 1 and len(asked) == 1
        page.click("#end-form button.danger")  # accepted
        page.wait_for_selector("#proposals")
        assert asked[0] == "End this match now? This cannot be undone."
    finally:
        page.close()
    assert _mentors() == {fay.id: ada.id}
