"""One rule for unknown time zones: refused as input, passed over (and logged) when only shown."""

from __future__ import annotations

import logging

import pytest

from lti_tool import timezones
from lti_tool.errors import InvalidInput


def test_an_unknown_zone_given_as_input_is_refused_naming_the_field(app):
    with app.test_request_context(), pytest.raises(InvalidInput) as refused:
        timezones.zone("Mars/Olympus_Mons", field="tz")
    assert list(refused.value.errors) == ["tz"]


def test_an_unknown_stored_zone_gives_way_to_the_next_and_is_logged(caplog):
    with caplog.at_level(logging.WARNING, logger="lti_tool.timezones"):
        assert timezones.shown_zone_name("Mars/Olympus_Mons", None, "Europe/Rome") == "Europe/Rome"
        assert timezones.shown_zone("Nowhere/At_All").key == "UTC"
    assert "Mars/Olympus_Mons" in caplog.text and "Nowhere/At_All" in caplog.text
