"""Names with bidi controls or invisible characters: written clean from launches, roster syncs and
CSV imports, and shown clean (isolated in <bdi>) on pages and in the API, also for rows stored
before the cleaning existed."""

from __future__ import annotations

import io

import sqlalchemy as sa

from lti_tool.accounts.models import User
from lti_tool.db import db
from lti_tool.mentoring.programmes.models import ParticipantRole, Programme
from lti_tool.mentoring.roster import service as roster
from tests.lti_platform import launch, session_token
from tests.mentoring.programmes.factories import call, world

# "Ada" + RIGHT-TO-LEFT OVERRIDE + reversed text: shows as "Adagnp.exe"-style spoofs; a zero-width
# space, a word joiner, an isolate and a BOM make two people look alike.
SPOOFED = "Ada\u202eexe.gnp\u202c\u200b Love\u2060lace\ufeff\u2067"
HIDDEN = (
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
    "\u200b\u200c\u200d\u2060\ufeff"
)


def _shows_no_hidden_characters(text: str) -> None:
    leaked = sorted({f"U+{ord(ch):04X}" for ch in text if ch in HIDDEN})
    assert not leaked, leaked


def test_a_launch_writes_the_name_clean_and_the_home_page_shows_it_isolated(app, client, platform):
    response = launch(
        client, platform, name=SPOOFED, given_name="\u202eAda", family_name="Love\u200blace"
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html[:500]
    user = db.session.execute(sa.select(User).where(User.sub == "user-1")).scalar_one()
    assert (user.name, user.given_name, user.family_name) == ("Adaexe.gnp Lovelace", "Ada", "Lovelace")
    _shows_no_hidden_characters(html)
    assert "<bdi>Adaexe.gnp Lovelace</bdi>" in html
    assert session_token(html)


def test_rows_stored_before_are_shown_clean_on_pages_and_in_the_api(client, app):
    w = world()
    person = w.person(SPOOFED, ParticipantRole.MENTEE)
    other = w.person("\u200b\u2067\u202e", ParticipantRole.MENTOR)  # nothing visible: a stand-in
    api = call(client, w, w.coordinator, "GET", f"/api/programmes/{w.programme.id}/participants")
    names = {item["id"]: item["name"] for item in api.json["items"]}
    assert names[person.id] == "Adaexe.gnp Lovelace"
    assert names[other.id].startswith("User ")
    page = client.get(f"/programmes/{w.programme.id}/participants", headers=w.headers(w.coordinator))
    html = page.get_data(as_text=True)
    assert page.status_code == 200, html[:500]
    _shows_no_hidden_characters(html)
    assert "<bdi>Adaexe.gnp Lovelace</bdi>" in html


def test_roster_sync_and_csv_import_write_names_clean(client, app):
    w = world()
    programme = db.session.get(Programme, w.programme.id)
    roster.apply_members(
        programme,
        [{"user_id": "nrps-1", "roles": [], "name": SPOOFED, "given_name": "\u2066Ada\u2069",
          "family_name": "Love\u200dlace"}],
    )
    synced = db.session.execute(sa.select(User).where(User.sub == "nrps-1")).scalar_one()
    assert (synced.name, synced.given_name, synced.family_name) == ("Adaexe.gnp Lovelace", "Ada", "Lovelace")
    body = f"user_id,name,email,role\ncsv-1,{SPOOFED},ada@example.test,mentee\n"
    response = call(
        client, w, w.coordinator, "POST", f"/api/programmes/{w.programme.id}/roster/import",
        data={"file": (io.BytesIO(body.encode()), "people.csv")}, content_type="multipart/form-data",
    )
    assert response.status_code == 200, response.json
    imported = db.session.execute(sa.select(User).where(User.sub == "csv-1")).scalar_one()
    assert imported.name == "Adaexe.gnp Lovelace"


def test_joiners_that_spell_a_script_are_kept():
    from lti_tool.safety.names import clean_name

    persian = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"  # ZWNJ inside a Persian word
    hindi = "\u0915\u094d\u200d\u0937"  # ZWJ inside a Devanagari conjunct
    assert clean_name(persian) == persian and clean_name(hindi) == hindi
    assert clean_name("A\u200dd\u200ca") == "Ada"  # between Latin letters they only hide
    assert clean_name("  Ada\t\nLovelace\u2028 ") == "Ada Lovelace"
    assert clean_name("Ada Lovelace") == "Ada Lovelace" and clean_name(None) is None
