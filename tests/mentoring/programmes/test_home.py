"""The programme home links each role to the features it may use, and every link opens for that role."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

from lti_tool.db import db
from lti_tool.mentoring.programmes.models import MatchingMode
from tests.mentoring.conversations.factories import World, make_world
from tests.session_codes import rh

# Page paths by feature; {p} is the programme id. The home links no others.
LEARNER = {
    "profile": "/programmes/{p}/profile",
    "my match": "/programmes/{p}/my-match",
    "conversations": "/spaces",
    "meetings": "/meetings",
    "goals": "/goals",
    "my surveys": "/surveys/mine",
}
COORDINATOR = {
    "settings": "/programmes/{p}/settings",
    "questionnaire": "/programmes/{p}/questionnaire",
    "surveys": "/programmes/{p}/surveys",
    "milestones": "/goals/milestones",
    "participants": "/programmes/{p}/participants",
    "roster": "/programmes/{p}/roster",
    "training gates": "/training/waiting",
    "attention list": "/programmes/{p}/attention",
    "matching review": "/programmes/{p}/matching",
    "progress (KPIs)": "/goals/progress",
    "KPI dashboard": "/programmes/{p}/kpis",
    "gradebook delivery": "/grades/deliveries",
    "match spaces": "/spaces",
}
EVERYONE = {
    "forum": "/forum",
    "webinars": "/webinars",
    "content": "/content",
    "help and support": "/support",
    "notifications": "/notifications",
    "my data": "/api/me/export",
}


class _Links(HTMLParser):
    """The hrefs inside the home's feature navigation."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "nav" and "features" in (found.get("class") or ""):
            self.depth = 1
        elif tag == "nav" and self.depth:
            self.depth += 1
        elif tag == "a" and self.depth and found.get("href"):
            self.hrefs.append(found["href"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "nav" and self.depth:
            self.depth -= 1


def home_links(client, token: str) -> set[str]:
    page = client.get("/programme", query_string={"rh": rh(token)})
    assert page.status_code == 200
    parser = _Links()
    parser.feed(page.get_data(as_text=True))
    for href in parser.hrefs:
        # Same-origin paths without a session: ritmo.js gets a one-time code when one is followed
        # (the page is kept per process: a code in it would be someone else's, and spent).
        assert href.startswith("/") and "rs=" not in href and "rh=" not in href, href
    return set(parser.hrefs)


def paths(world: World, *groups: dict[str, str]) -> set[str]:
    return {path.format(p=world.programme.id) for group in groups for path in group.values()}


@pytest.fixture
def world(app) -> World:
    return make_world()


def test_a_learner_sees_their_features_and_no_coordinator_pages(client, world: World) -> None:
    links = home_links(client, world.token(world.mentee))
    assert links == paths(world, LEARNER, EVERYONE)
    assert not links & (paths(world, COORDINATOR) - paths(world, LEARNER))


def test_a_coordinator_sees_the_programme_tools_and_no_learner_pages(client, world: World) -> None:
    links = home_links(client, world.token(world.coordinator))
    assert links == paths(world, COORDINATOR, EVERYONE)
    assert not links & (paths(world, LEARNER) - paths(world, COORDINATOR))


@pytest.mark.parametrize("who", ["mentor", "mentee", "coordinator"])
def test_every_link_on_the_home_opens_for_that_person(client, world: World, who: str) -> None:
    token = world.token(getattr(world, who))
    for href in sorted(home_links(client, token)):
        response = client.get(href, query_string={"rh": rh(token)})
        if response.status_code == 303:  # e.g. "Meetings" goes straight to the only match's
            location = urlsplit(response.headers["Location"])
            assert "rh=" in location.query, "a redirect must keep the in-frame session"
            assert token not in response.headers["Location"]
            response = client.get(location.path + "?" + location.query)
        assert response.status_code == 200, (who, href, response.status_code)


def test_coordinator_pages_stay_closed_to_learners(client, world: World) -> None:
    token = world.token(world.mentee)
    for path in sorted(paths(world, COORDINATOR) - paths(world, LEARNER)):
        assert client.get(path, query_string={"rh": rh(token)}).status_code == 403, path


def test_meetings_of_my_only_match_open_directly(client, world: World) -> None:
    response = client.get("/meetings", query_string={"rh": rh(world.token(world.mentee))})
    assert response.status_code == 303
    assert urlsplit(response.headers["Location"]).path == f"/matches/{world.match.id}/meetings"


def test_the_links_follow_the_matching_mode_once_the_home_was_shown(client, world: World) -> None:
    # The links are rendered once per process for each role, mode and language (fragments.py):
    # a change of mode must give the page of the new mode, not the one shown before.
    mentee, mentor = world.token(world.mentee), world.token(world.mentor)
    choose = f"/programmes/{world.programme.id}/choose"
    requests_page = f"/programmes/{world.programme.id}/requests"
    assert choose not in home_links(client, mentee)
    assert requests_page not in home_links(client, mentor)

    world.programme.matching_mode = MatchingMode.MENTEE_CHOICE
    db.session.commit()

    assert choose in home_links(client, mentee)
    assert requests_page in home_links(client, mentor)
    assert choose not in home_links(client, mentor)


def test_the_links_speak_each_readers_language(client, world: World) -> None:
    english = _nav_text(client, world.token(world.mentee), "en")
    italian = _nav_text(client, world.token(world.mentee), "it")
    assert "My profile" in english and "My profile" not in italian
    assert _nav_text(client, world.token(world.mentee), "en") == english


def _nav_text(client, token: str, language: str) -> str:
    page = client.get("/programme", query_string={"rh": rh(token)}, headers={"Accept-Language": language})
    html = page.get_data(as_text=True)
    start = html.index('<nav class="features"')
    return html[start:html.index("</nav>", start)]


def _meta_token(html: str) -> str:
    start = html.index('<meta name="ritmo-session" content="') + len('<meta name="ritmo-session" content="')
    return html[start:html.index('"', start)]


def test_people_sharing_a_kept_page_each_see_their_own_name_and_session(client, world: World) -> None:
    # The home is kept per programme, role and language, with the name and token filled in per
    # request (fragments.page): one mentee's must never reach another.
    world.outsider.name = '<b>Olga</b> & "Co"'
    db.session.commit()
    ben, olga = world.token(world.mentee), world.token(world.outsider)
    first = client.get("/programme", query_string={"rh": rh(ben)}).get_data(as_text=True)
    second = client.get("/programme", query_string={"rh": rh(olga)}).get_data(as_text=True)
    assert "Welcome, <bdi>Ben Mentee0</bdi>." in first and "Olga" not in first
    assert "Welcome, <bdi>&lt;b&gt;Olga&lt;/b&gt; &amp; &#34;Co&#34;</bdi>." in second
    assert "Ben" not in second and "<b>Olga" not in second
    assert _meta_token(first) != _meta_token(second)
    for html, token in ((first, ben), (second, olga)):
        me = client.get("/api/me", headers={"Authorization": f"Bearer {_meta_token(html)}"})
        assert me.status_code == 200
        assert me.get_json()["user"]["id"] == client.get(
            "/api/me", headers={"Authorization": f"Bearer {token}"}
        ).get_json()["user"]["id"]
    assert "RitmoSlot" not in first + second


def test_a_renamed_programme_shows_its_new_title_on_the_kept_page(client, world: World) -> None:
    token = world.token(world.mentee)
    before = client.get("/programme", query_string={"rh": rh(token)}).get_data(as_text=True)
    assert "<h1>Mentoring 101</h1>" in before
    world.programme.title = "Mentoring 102"
    db.session.commit()
    html = client.get("/programme", query_string={"rh": rh(token)}).get_data(as_text=True)
    assert "<h1>Mentoring 102</h1>" in html and "Mentoring 101" not in html


def test_a_coordinator_of_a_programme_nobody_joined_is_shown_the_way_to_set_it_up(client, app) -> None:
    from lti_tool.mentoring.programmes.models import ParticipantRole
    from tests.mentoring.programmes.factories import world as empty_world

    w = empty_world()
    token = w.token(w.coordinator)
    page = client.get("/programme", query_string={"rh": rh(token)}).get_data(as_text=True)
    steps = page.split('id="getting-started"')[1].split("</ol>")[0]
    hrefs = re.findall(r'href="([^"]+)"', steps)
    assert [h.rsplit("/", 1)[1] for h in hrefs] == ["settings", "questionnaire", "participants", "matching"]
    for href in hrefs:
        assert client.get(href, query_string={"rh": rh(token)}).status_code == 200, href
    w.person("Eve Mentee", ParticipantRole.MENTEE)
    again = client.get("/programme", query_string={"rh": rh(token)}).get_data(as_text=True)
    assert 'id="getting-started"' not in again
