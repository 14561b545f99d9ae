"""Editing a question from its page, its words in each programme language, and the rule for
questions people have answered: an option someone chose stays."""

from __future__ import annotations

from lti_tool.db import db
from lti_tool.mentoring.profiles.models import Question
from lti_tool.mentoring.programmes.models import ParticipantRole
from tests.mentoring.programmes.factories import World, call, world


def _html(w: World, user_id: int, language: str = "en") -> dict[str, str]:
    return {"Authorization": f"Bearer {w.token(user_id)}", "Accept": "text/html", "Accept-Language": language}


def _skills(w: World) -> Question:
    return w.question(kind="single_choice", label="Favourite tool", options=["vim", "emacs", "nano"])


def test_a_coordinator_edits_words_options_and_required_from_the_page(client, app):
    w = world()
    question = _skills(w)
    url = f"/programmes/{w.programme.id}/questionnaire/{question.id}"
    builder = client.get(f"/programmes/{w.programme.id}/questionnaire", headers=_html(w, w.coordinator.id))
    text = builder.get_data(as_text=True)
    assert url in text and 'class="button danger"' in text and "data-confirm=" in text
    page = client.get(url, headers=_html(w, w.coordinator.id)).get_data(as_text=True)
    assert 'name="label_en"' in page and 'name="label_it"' in page and 'value="Favourite tool"' in page
    saved = client.post(
        url,
        headers=_html(w, w.coordinator.id),
        data={
            "label_en": "Favourite editor",
            "label_it": "Editor preferito",
            "help_en": "The one you open first",
            "help_it": "",
            "options_text": "vim\nemacs\nnano\nhelix",
            "required": "on",
        },
    )
    assert saved.status_code == 302, saved.get_data(as_text=True)
    db.session.refresh(question)
    assert question.label == "Favourite editor" and question.required
    assert question.options == ["vim", "emacs", "nano", "helix"]
    assert question.texts == {
        "en": {"label": "Favourite editor", "help": "The one you open first"},
        "it": {"label": "Editor preferito"},
    }
    assert client.get(url, headers=_html(w, w.programme.id + 999)).status_code in (401, 403, 404)


def test_options_chosen_in_answers_stay_and_the_page_says_so(client, app):
    w = world()
    question = _skills(w)
    w.person("Eve Mentee", ParticipantRole.MENTEE, answers={"favourite_tool": "emacs"})
    url = f"/programmes/{w.programme.id}/questionnaire/{question.id}"
    page = client.get(url, headers=_html(w, w.coordinator.id)).get_data(as_text=True)
    assert "Chosen in answers, so they stay: emacs" in page
    refused = client.post(
        url,
        headers=_html(w, w.coordinator.id),
        data={"label_en": "Favourite tool", "options_text": "vim\nnano"},
    )
    assert refused.status_code == 422
    assert "These options are chosen in people&#39;s answers and must stay: emacs." in refused.get_data(
        as_text=True
    )
    db.session.refresh(question)
    assert question.options == ["vim", "emacs", "nano"]
    # Removing one nobody chose is fine; over the API too.
    dropped = call(
        client,
        w,
        w.coordinator,
        "PATCH",
        f"/api/programmes/{w.programme.id}/questions/{question.id}",
        json={"options": ["vim", "emacs"]},
    )
    assert dropped.status_code == 200 and dropped.json["options"] == ["vim", "emacs"]


def test_only_coordinators_edit_questions(client, app):
    w = world()
    question = _skills(w)
    eve = w.person("Eve Mentee", ParticipantRole.MENTEE)
    url = f"/programmes/{w.programme.id}/questionnaire/{question.id}"
    assert client.get(url, headers=_html(w, eve.user_id)).status_code == 403
    assert client.post(url, headers=_html(w, eve.user_id), data={"label_en": "x"}).status_code == 403
    missing = f"/programmes/{w.programme.id}/questionnaire/{question.id + 100}"
    assert client.get(missing, headers=_html(w, w.coordinator.id)).status_code == 404


def test_words_round_trip_in_both_languages_and_the_old_single_field_is_the_default(client, app):
    w = world()
    eve = w.person("Eve Mentee", ParticipantRole.MENTEE)
    base = f"/api/programmes/{w.programme.id}/questions"
    made = call(
        client,
        w,
        w.coordinator,
        "POST",
        base,
        json={
            "kind": "free_text",
            "label": "About you",
            "texts": {"it": {"label": "Su di te", "help": "Due righe"}},
        },
    )
    assert made.status_code == 201, made.json
    assert made.json["label"] == "About you"
    assert made.json["texts"] == {
        "en": {"label": "About you"},
        "it": {"label": "Su di te", "help": "Due righe"},
    }
    old = call(
        client, w, w.coordinator, "PATCH", f"{base}/{made.json['id']}", json={"label": "About yourself"}
    )
    assert (
        old.json["texts"]["en"]["label"] == "About yourself"
        and old.json["texts"]["it"]["label"] == "Su di te"
    )
    profile = f"/programmes/{w.programme.id}/profile"
    italian = client.get(profile, headers=_html(w, eve.user_id, "it")).get_data(as_text=True)
    assert "Su di te" in italian and "Due righe" in italian
    english = client.get(profile, headers=_html(w, eve.user_id, "en")).get_data(as_text=True)
    assert "About yourself" in english and "Su di te" not in english


def test_a_question_without_its_default_words_is_refused_in_the_page(client, app):
    w = world()
    added = client.post(
        f"/programmes/{w.programme.id}/questionnaire",
        headers=_html(w, w.coordinator.id),
        data={"label_en": "", "label_it": "", "kind": "free_text", "weight": "0", "constraint": "none"},
    )
    assert "Please correct the following" in added.get_data(as_text=True)
    added = client.post(
        f"/programmes/{w.programme.id}/questionnaire",
        headers=_html(w, w.coordinator.id),
        data={"label_en": "Hobbies", "label_it": "Passatempi", "kind": "free_text", "weight": "0"},
    )
    assert "Question added." in added.get_data(as_text=True)
    italian = client.get(
        f"/programmes/{w.programme.id}/questionnaire", headers=_html(w, w.coordinator.id, "it")
    ).get_data(as_text=True)
    assert "Passatempi" in italian


def test_emptying_every_language_is_refused(client, app):
    w = world()
    question = _skills(w)
    url = f"/programmes/{w.programme.id}/questionnaire/{question.id}"
    refused = client.post(
        url,
        headers=_html(w, w.coordinator.id),
        data={"label_en": "", "label_it": "", "options_text": "vim\nemacs\nnano"},
    )
    assert refused.status_code == 422 and "Give the question a label." in refused.get_data(as_text=True)
    db.session.refresh(question)
    assert question.label == "Favourite tool"
