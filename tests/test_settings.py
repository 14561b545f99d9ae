"""Every setting the code reads is declared in config/default.py, and environment values get its type."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

import lti_tool
from lti_tool import create_app
from lti_tool.settings import declared_settings

SOURCE = Path(lti_tool.__file__).resolve().parent
SETTING_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
# Written by lti_tool/settings.py from declared settings, then read: not settings of their own.
DERIVED = {"SQLALCHEMY_DATABASE_URI", "SQLALCHEMY_ENGINE_OPTIONS"}
# Declared for an extension, which reads it itself.
READ_BY_EXTENSIONS = {"BABEL_DEFAULT_LOCALE"}


def _is_config(node: ast.expr) -> bool:
    """``app.config``, ``current_app.config`` or a local ``config`` alias of either."""
    return (isinstance(node, ast.Attribute) and node.attr == "config") or (
        isinstance(node, ast.Name) and node.id == "config"
    )


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and SETTING_NAME.match(node.value):
        return node.value
    return None


def settings_read(tree: ast.AST) -> Iterator[str]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load) and _is_config(node.value):
            name = _name(node.slice)
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr == "get" and _is_config(func.value):
                name = _name(node.args[0])
            elif (isinstance(func, ast.Name) and func.id == "limit") or (
                isinstance(func, ast.Attribute) and func.attr == "limit"
            ):
                # ``@limit("posting", ...)`` reads RATELIMIT_POSTING.
                first = node.args[0]
                is_text = isinstance(first, ast.Constant) and isinstance(first.value, str)
                name = f"RATELIMIT_{first.value.upper()}" if is_text else None  # type: ignore[union-attr]
            else:
                continue
        else:
            continue
        if name:
            yield name


def read_by_code() -> dict[str, set[str]]:
    """Setting name -> the modules that read it."""
    found: dict[str, set[str]] = {}
    for path in sorted(SOURCE.rglob("*.py")):
        for name in settings_read(ast.parse(path.read_text(), str(path))):
            found.setdefault(name, set()).add(str(path.relative_to(SOURCE.parent)))
    return found


def test_the_scan_sees_every_kind_of_read():
    found = read_by_code()
    # A subscript, a .get(), a local alias (mail.py) and a rate limit decorator, each seen.
    assert "lti_tool/mentoring/webinars/providers.py" in found["WEBINAR_BBB_HOSTS"]
    assert "lti_tool/launch/dynamic_registration.py" in found["REGISTRATION_ALLOWED_ISSUERS"]
    assert "lti_tool/mail.py" in found["SMTP_HOST"]
    assert "lti_tool/mentoring/conversations/views.py" in found["RATELIMIT_POSTING"]


def test_every_setting_the_code_reads_is_declared():
    undeclared = {
        name: sorted(modules)
        for name, modules in read_by_code().items()
        if name not in declared_settings() and name not in DERIVED
    }
    assert undeclared == {}, "declare these in config/default.py with a comment: " + repr(undeclared)


def test_every_declared_setting_is_read():
    unread = set(declared_settings()) - set(read_by_code()) - READ_BY_EXTENSIONS
    assert unread == set(), f"declared in config/default.py but read nowhere: {sorted(unread)}"


def test_environment_values_take_the_declared_types(tmp_path: Path, monkeypatch):
    env = {
        "WEBINAR_BBB_HOSTS": "bbb.example.edu, bbb2.example.edu",
        "REGISTRATION_ALLOWED_ISSUERS": '["https://moodle.example.edu"]',
        "CHAT_MAX_WAIT_SECONDS": "5",
        "CHAT_CHECK_INTERVAL_SECONDS": "0.25",
        "RATELIMIT_POSTING": "20",
        "RATELIMIT_ENABLED": "off",
        "CONTENT_UPLOAD_MAX_BYTES": "1048576",
        "NOTIFICATIONS_DIGEST_HOUR_UTC": "18",
        "HTTP_TIMEOUT_SECONDS": "[2, 5]",
        "SMTP_PASSWORD": "123456",
        "WEBINAR_JITSI_BASE_URL": "https://jitsi.example.edu",
    }
    for name, value in env.items():
        monkeypatch.setenv(f"LTI_TOOL_{name}", value)
    config = create_app({"DATA_DIR": str(tmp_path)}).config
    assert config["WEBINAR_BBB_HOSTS"] == ["bbb.example.edu", "bbb2.example.edu"]
    assert config["REGISTRATION_ALLOWED_ISSUERS"] == ["https://moodle.example.edu"]
    assert config["CHAT_MAX_WAIT_SECONDS"] == 5.0 and isinstance(config["CHAT_MAX_WAIT_SECONDS"], float)
    assert config["CHAT_CHECK_INTERVAL_SECONDS"] == 0.25
    assert config["RATELIMIT_POSTING"] == 20 and config["RATELIMIT_ENABLED"] is False
    assert config["CONTENT_UPLOAD_MAX_BYTES"] == 1_048_576
    assert config["NOTIFICATIONS_DIGEST_HOUR_UTC"] == 18
    assert config["HTTP_TIMEOUT_SECONDS"] == (2.0, 5.0)
    assert config["SMTP_PASSWORD"] == "123456"
    assert config["WEBINAR_JITSI_BASE_URL"] == "https://jitsi.example.edu"


@pytest.mark.parametrize(
    ("name", "value"),
    [("RATELIMIT_CHAT", "lots"), ("RATELIMIT_ENABLED", "maybe"), ("HTTP_TIMEOUT_SECONDS", "5"),
     ("CHAT_MAX_WAIT_SECONDS", "true"), ("CELERY_CONFIG", "broker_pool_limit=1")],
)
def test_a_value_of_the_wrong_type_names_the_variable(tmp_path: Path, monkeypatch, name, value):
    monkeypatch.setenv(f"LTI_TOOL_{name}", value)
    with pytest.raises(ValueError, match=f"LTI_TOOL_{name} must be"):
        create_app({"DATA_DIR": str(tmp_path)})


def test_bigbluebutton_hosts_from_the_environment_are_accepted(tmp_path: Path, monkeypatch):
    from lti_tool.errors import InvalidInput
    from lti_tool.mentoring.webinars import providers
    from lti_tool.mentoring.webinars.models import JoinProvider

    # One host as a plain string: it used to be read character by character.
    monkeypatch.setenv("LTI_TOOL_WEBINAR_BBB_HOSTS", "bbb.example.edu")
    app = create_app({"DATA_DIR": str(tmp_path)})
    with app.app_context():
        assert providers.classify_join_url("https://bbb.example.edu/b/room") is JoinProvider.BIGBLUEBUTTON
        with pytest.raises(InvalidInput):
            providers.classify_join_url("https://b.example/room")
