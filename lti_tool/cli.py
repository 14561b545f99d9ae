"""The ``lti-tool`` console script."""

from __future__ import annotations

from flask.cli import FlaskGroup

from lti_tool import create_app


def _app_factory():
    return create_app()


def main() -> None:
    from lti_tool.settings import configure_logging

    configure_logging()
    cli = FlaskGroup(
        create_app=_app_factory,
        add_default_commands=True,
        load_dotenv=False,
        help="Ritmo, the e-mentoring LTI tool. Settings come from LTI_TOOL_* variables.",
    )
    cli.main(prog_name="lti-tool")
