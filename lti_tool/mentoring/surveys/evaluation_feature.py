"""Evaluation as part of an app: its page and downloads, the attention source
``low_relationship_quality``, the pair-health signal ``relationship_quality``, and the notice the
answering page shows respondents whose low scores are shared (``relationship_quality_notice``)."""

from __future__ import annotations

from flask import Flask

from lti_tool.mentoring.surveys import evaluation_views, relationship_quality


def init_app(app: Flask) -> None:
    app.register_blueprint(evaluation_views.bp)
    relationship_quality.register()
    app.add_template_global(relationship_quality.notice, "relationship_quality_notice")
