"""WSGI entry point for ``gunicorn lti_tool.wsgi:app`` (``lti-tool serve`` does the same)."""

from lti_tool import create_app

app = create_app()
