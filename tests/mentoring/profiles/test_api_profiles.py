"""Questionnaire builder and profile answers over the API and the in-frame form."""

from __future__ import annotations

from lti_tool.mentoring.programmes.models import ParticipantRole
from tests.mentoring.programmes.factories import call, world
from tests.session_codes import rh


def test_builder_checks_definitions(client, app):
    w = world()
    base = f"/api/programmes/{w.programme.id}/questions"
    ok = call(
        client,
        w,
        w.coordinator,
        "POST",
        base,
        json={"kind": "tags", "label": "Skills", "options": ["python", "sql"], "weight": 2},
    )
    assert ok.status_code == 201 and ok.json["key"] == "skills"
    cases = [
        ({"kind": "single_choice", "label": "Pick", "options": ["one"]}, "options"),
        ({"kind": "scale", "label": "Energy", "constraint": "must_differ"}, "constraint"),
        ({"kind": "timezone", "label": "Zone", "constraint": "at_most"}, "limit"),
        ({"kind": "free_text", "label": "Bio", "weight": 1}, "weight"),
        (
            {
                "kind": "level",
                "label": "Seniority",
                "options": ["a", "b"],
                "weight": 1,
                "audience": "mentors",
            },
            "audience",
        ),
        ({"kind": "nope", "label": "x"}, "kind"),
    ]
    for body, field in cases:
        bad = call(client, w, w.coordinator, "POST", base, json=body)
        assert bad.status_code == 422, body
        assert field in bad.json["errors"], (body, bad.json)
    mentee = w.person("Eve", ParticipantRole.MENTEE)
    assert (
        call(client, w, mentee.user_id, "POST", base, json={"kind": "scale", "label": "x"}).status_code == 403
    )
    changed = call(
        client, w, w.coordinator, "PATCH", f"{base}/{ok.json['id']}", json={"weight": 5, "required": True}
    )
    assert changed.json["weight"] == 5 and changed.json["required"] is True
    kind = call(client, w, w.coordinator, "PATCH", f"{base}/{ok.json['id']}", json={"kind": "scale"})
    assert kind.status_code == 422
    listed = call(client, w, mentee.user_id, "GET", base).json
    assert [q["key"] for q in listed["items"]] == ["skills"]
    assert listed["rules"] == ["Skills counts for 100% of the match score."]
    assert call(client, w, w.coordinator, "DELETE", f"{base}/{ok.json['id']}").status_code == 204


def every_kind(w):
    w.question(kind="tags", label="Skills", options=["python", "sql"], required=True)
    w.question(kind="single_choice", label="Format", options=["online", "onsite"])
    w.question(kind="multi_choice", label="Topics", options=["career", "craft", "life"])
    w.question(kind="languages", label="Languages")
    w.question(kind="timezone", label="Time zone", required=True)
    w.question(kind="availability", label="When free")
    w.question(kind="level", label="Seniority", options=["junior", "mid", "senior"])
    w.question(kind="department", label="Team", options=["eng", "ops"])
    w.question(kind="free_text", label="About you")
    w.question(kind="scale", label="Energy")
    w.question(kind="scale", label="Mentor only", audience="mentors", required=True)


def test_answers_are_validated_kept_partially_and_required_enforced(client, app):
    w = world()
    every_kind(w)
    eve = w.person("Eve", ParticipantRole.MENTEE).user_id
    base = f"/api/programmes/{w.programme.id}/profile"
    partial = call(client, w, eve, "PUT", base, json={"answers": {"skills": ["python"]}})
    assert partial.status_code == 200
    assert partial.json["status"]["complete"] is False
    assert list(partial.json["status"]["missing"]) == ["time_zone"]
    assert "Time zone" in partial.json["status"]["missing"]["time_zone"][0]
    submit = call(client, w, eve, "POST", base + "/submit")
    assert submit.status_code == 422 and "Time zone" in submit.json["detail"]
    bad = call(
        client,
        w,
        eve,
        "PUT",
        base,
        json={
            "answers": {
                "time_zone": "Mars/Olympus",
                "energy": 9,
                "format": "hybrid",
                "when_free": [[7, 0]],
                "mentor_only": 3,
                "skills": [],
            }
        },
    )
    assert bad.status_code == 422
    assert set(bad.json["errors"]) == {"time_zone", "energy", "format", "when_free", "mentor_only"}
    kept = call(client, w, eve, "GET", base).json
    assert kept["answers"] == {"skills": ["python"]}  # nothing of the bad request was written
    good = call(
        client,
        w,
        eve,
        "PUT",
        base,
        json={
            "answers": {
                "time_zone": "Europe/Rome",
                "energy": 4,
                "format": "online",
                "when_free": [[0, 9], "0-10", [0, 9]],
                "topics": ["life", "career"],
                "languages": ["Italian", "English"],
                "seniority": "mid",
                "team": "eng",
                "about_you": "<script>x</script>I like <b>maps</b>",
            }
        },
    )
    assert good.status_code == 200 and good.json["status"]["complete"] is True
    answers = call(client, w, eve, "GET", base).json["answers"]
    assert answers["when_free"] == [[0, 9], [0, 10]]
    assert answers["topics"] == ["career", "life"]
    assert "<" not in answers["about_you"] and "maps" in answers["about_you"]
    assert call(client, w, eve, "POST", base + "/submit").status_code == 200
    cleared = call(client, w, eve, "PUT", base, json={"answers": {"energy": None}}).json
    assert "energy" not in call(client, w, eve, "GET", base).json["answers"] and cleared["status"]["complete"]


def test_profile_form_in_the_frame(client, app):
    w = world()
    every_kind(w)
    eve = w.person("Eve", ParticipantRole.MENTEE).user_id
    page = client.get(f"/programmes/{w.programme.id}/profile", query_string={"rh": rh(w.token(eve))})
    assert page.status_code == 200 and b'data-missing="skills"' in page.data
    saved = client.post(
        f"/programmes/{w.programme.id}/profile",
        data={
            "ritmo_session": w.token(eve),
            "skills": ["python"],
            "time_zone": "Europe/Rome",
            "when_free": ["1-18", "1-19"],
            "languages": "Italian, English",
            "energy": "3",
        },
    )
    assert saved.status_code == 200
    assert b"Your answers are saved" in saved.data and b"data-missing" not in saved.data
    wrong = client.post(
        f"/programmes/{w.programme.id}/profile",
        data={"ritmo_session": w.token(eve), "skills": ["cobol"], "time_zone": "Europe/Rome"},
    )
    assert b"Not an option here: cobol" in wrong.data


def test_questionnaire_page_adds_and_reports(client, app):
    w = world()
    token = w.token(w.coordinator)
    added = client.post(
        f"/programmes/{w.programme.id}/questionnaire",
        data={
            "ritmo_session": token,
            "label": "Department",
            "kind": "department",
            "options_text": "eng\nops",
            "audience": "everyone",
            "weight": "0",
            "constraint": "must_differ",
        },
    )
    assert b'data-question="department"' in added.data
    assert b"must differ" in added.data
    refused = client.post(
        f"/programmes/{w.programme.id}/questionnaire",
        data={
            "ritmo_session": token,
            "label_en": "Pick one",
            "kind": "single_choice",
            "options_text": "only",
            "audience": "mentees",
            "weight": "2.5",
            "constraint": "none",
        },
    )
    assert b"at least 2 options" in refused.data
    # The question comes back as typed, for the one thing to correct.
    page = refused.get_data(as_text=True)
    assert 'value="Pick one"' in page and ">only</textarea>" in page
    assert '<option value="single_choice" selected>' in page and '<option value="mentees" selected>' in page
    assert 'name="weight" value="2.5"' in page


def test_a_refused_profile_form_comes_back_as_typed(client, app):
    w = world()
    every_kind(w)
    eve = w.person("Eve", ParticipantRole.MENTEE).user_id
    url = f"/programmes/{w.programme.id}/profile"
    page = client.get(url, query_string={"rh": rh(w.token(eve))}).get_data(as_text=True)
    assert 'maxlength="4000"' in page  # the browser stops a text the server would refuse
    wrong = client.post(
        url,
        data={
            "ritmo_session": w.token(eve),
            "skills": ["cobol"],  # not an option: the whole form is refused
            "time_zone": "Europe/Rome",
            "when_free": ["1-18", "2-9"],
            "languages": "Italian, English",
            "energy": "4",
            "format": "onsite",
            "about_you": "I like maps.",
        },
    ).get_data(as_text=True)
    assert "Not an option here: cobol" in wrong and "Your answers are saved" not in wrong
    assert ">I like maps.</textarea>" in wrong
    assert 'value="Italian, English"' in wrong
    assert '<option value="onsite" selected>' in wrong
    assert 'name="energy" value="4" checked' in wrong
    for slot in ("1-18", "2-9"):
        assert f'value="{slot}" aria-label="{slot}" checked' in wrong
    assert "<option selected>Europe/Rome</option>" in wrong
    # Nothing of it was saved.
    stored = call(client, w, eve, "GET", f"/api/programmes/{w.programme.id}/profile").json["answers"]
    assert "about_you" not in stored


def test_a_skills_question_shows_its_own_help_or_else_the_general_one(client, app):
    w = world()
    w.question(kind="tags", label="Skills", options=["python", "sql"])
    w.question(kind="tags", label="Topics", options=["career", "life"], help="Pick what you care about.")
    eve = w.person("Eve", ParticipantRole.MENTEE).user_id
    page = client.get(f"/programmes/{w.programme.id}/profile", query_string={"rh": rh(w.token(eve))})
    html = page.get_data(as_text=True)
    skills = html.split('data-question="skills"')[1].split("</fieldset>")[0]
    topics = html.split('data-question="topics"')[1].split("</fieldset>")[0]
    assert "Mentors: what you can offer." in skills
    assert "Pick what you care about." in topics and "Mentors: what you can offer." not in topics


def test_the_time_zone_picker_lists_current_names_and_keeps_an_old_one_already_saved(
    client, app, tmp_path, monkeypatch, request
):
    from lti_tool import timezones

    # The IANA table the picker reads, as the tz database ships it (a few rows), so that the test
    # does not depend on the machine's copy; without a table, the picker lists every name.
    monkeypatch.setattr(timezones, "TZPATH", (str(tmp_path),))
    request.addfinalizer(timezones.offered.cache_clear)  # later tests read the machine's table
    timezones.offered.cache_clear()
    assert timezones.offered() == tuple(sorted(timezones.names()))
    (tmp_path / "zone1970.tab").write_text(
        "# comment\nIT,SM,VA\t+4154+01229\tEurope/Rome\nUS\t+404251-0740023\tAmerica/New_York\n",
        encoding="utf-8",
    )
    timezones.offered.cache_clear()
    assert timezones.offered() == ("America/New_York", "Europe/Rome", "UTC")
    w = world()
    w.question(kind="timezone", label="Time zone")
    eve = w.person("Eve", ParticipantRole.MENTEE, answers={"time_zone": "Africa/Asmera"}).user_id
    html = client.get(
        f"/programmes/{w.programme.id}/profile", query_string={"rh": rh(w.token(eve))}
    ).get_data(as_text=True)
    picker = html.split('name="time_zone"')[1].split("</select>")[0]
    assert ">Europe/Rome</option>" in picker and ">UTC</option>" in picker
    assert "US/Eastern" not in picker  # an old name kept as a link
    assert picker.count("Africa/Asmera") == 1 and "<option selected>Africa/Asmera</option>" in picker
