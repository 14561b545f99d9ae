"""Enum labels: every member must have one, and pages read them in the person's language."""

from __future__ import annotations

import pytest

from lti_tool.labels import LabelledEnum, labels
from lti_tool.mentoring.programmes.models import ParticipantRole


class Colour(LabelledEnum):
    RED = "red"
    BLUE = "blue"


def test_a_member_without_a_label_is_refused_at_import():
    with pytest.raises(TypeError, match=r"Colour has no label for \['blue'\]"):
        labels(Colour, {Colour.RED: "red"})


def test_label_is_the_registered_text_and_value_stays_the_value():
    labels(Colour, {Colour.RED: "rosso", Colour.BLUE: "blu"})
    assert Colour.BLUE.label == "blu" and Colour.BLUE.value == "blue" and Colour.BLUE == "blue"


def test_feature_enums_speak_the_request_language(app):
    with app.test_request_context(headers={"Accept-Language": "it"}):
        assert ParticipantRole.COORDINATOR.label == "coordinatore"
