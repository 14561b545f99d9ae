"""One navigation across sections (issue 19): every page a person reaches from their programme home
carries the same site navigation, where "Programme" is always the way home."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from tests.mentoring.conversations.factories import World, make_world
from tests.mentoring.programmes.test_home import home_links
from tests.session_codes import rh

SITE_NAV = re.compile(r'<nav class="site-nav"[^>]*data-site-nav>(.*?)</nav>', re.S)
TOPBAR = re.compile(r'<header class="topbar">(.*?)</header>', re.S)


@pytest.fixture
def world(app) -> World:
    return make_world()


def _page(client, href: str, token: str) -> str:
    response = client.get(href, query_string={"rh": rh(token)})
    if response.status_code == 303:
        location = urlsplit(response.headers["Location"])
        response = client.get(location.path + "?" + location.query)
    assert response.status_code == 200, (href, response.status_code)
    return response.get_data(as_text=True)


@pytest.mark.parametrize("who", ["mentor", "mentee", "coordinator"])
def test_every_section_carries_the_same_site_navigation(client, world: World, who: str) -> None:
    token = world.token(getattr(world, who))
    pages = ["/programme", *sorted(h for h in home_links(client, token) if not h.startswith("/api/"))]
    navs = {}
    for href in pages:
        html = _page(client, href, token)
        found = SITE_NAV.findall(html)
        assert len(found) == 1, (who, href, len(found))
        # The same links everywhere; only which one is marked current changes.
        navs[href] = re.sub(r'\s*aria-current="page"', "", found[0])
        assert '<a href="/programme"' in found[0] and ">Programme</a>" in found[0], href
        # No section calls the way home something else.
        topbar = TOPBAR.search(html).group(1)
        assert ">Home</a>" not in topbar, (who, href)
    assert len(set(navs.values())) == 1, f"{who}: the site navigation differs between pages"
    assert len(pages) > 8


def test_the_current_section_is_marked(client, world: World) -> None:
    token = world.token(world.mentee)
    nav = SITE_NAV.search(_page(client, "/forum", token)).group(1)
    assert re.findall(r'<a href="([^"]+)" aria-current="page"', nav) == ["/forum"]


def test_learners_and_coordinators_get_their_own_links(client, world: World) -> None:
    learner = SITE_NAV.search(_page(client, "/forum", world.token(world.mentee))).group(1)
    coordinator = SITE_NAV.search(_page(client, "/forum", world.token(world.coordinator))).group(1)
    assert 'href="/goals"' in learner and 'href="/goals/progress"' not in learner
    assert 'href="/goals/progress"' in coordinator and 'href="/meetings"' not in coordinator
