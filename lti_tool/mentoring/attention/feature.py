"""The attention list as part of an app: its page, its own sources (failed roster syncs and grade
deliveries) and the daily digest to coordinators."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Registered in :mod:`lti_tool.features`; the page, sources and digest join as they land."""
