"""A plain pylti1p3 Flask tool, as pylti1p3's README and Flask example set one up.

``ToolConfJsonFile`` for the registration, ``FlaskOIDCLogin``/``FlaskMessageLaunch`` for the flow,
launch data in Flask-Caching on Redis through ``FlaskCacheDataStorage``, and the platform's public
key cached there with ``set_public_key_caching``, as the README's "Cache for Public Key" section says.
The one departure: the login answers the 302 directly instead of the README's optional
``enable_check_cookies()`` interstitial page, which only a JavaScript-running browser can follow.

Settings come from the environment (``bench/launch.py`` sets them): ``PEER_TOOL_CONFIG`` (the JSON
file), ``PEER_REDIS_URL`` and ``PEER_CACHE_PREFIX``.
"""

from __future__ import annotations

import os

from flask import Flask, render_template_string
from flask_caching import Cache
from pylti1p3.contrib.flask import (
    FlaskCacheDataStorage,
    FlaskMessageLaunch,
    FlaskOIDCLogin,
    FlaskRequest,
)
from pylti1p3.tool_config import ToolConfJsonFile

app = Flask("pylti1p3-peer")
app.config.from_mapping(
    SECRET_KEY=os.environ.get("PEER_SECRET_KEY", "bench-only-secret"),
    CACHE_TYPE="RedisCache",
    CACHE_REDIS_URL=os.environ.get("PEER_REDIS_URL", "redis://127.0.0.1:6379/0"),
    CACHE_KEY_PREFIX=os.environ.get("PEER_CACHE_PREFIX", "pylti1p3-peer:"),
    CACHE_DEFAULT_TIMEOUT=600,
)
cache = Cache(app)

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>Peer tool</title></head>
<body data-launch-id="{{ launch_id }}">
<h1>Hello {{ name }}</h1>
<p>Course: {{ course }}. Roles: {{ roles|join(", ") }}.</p>
</body></html>"""


def get_lti_config_path() -> str:
    return os.environ["PEER_TOOL_CONFIG"]


def get_launch_data_storage() -> FlaskCacheDataStorage:
    return FlaskCacheDataStorage(cache)


@app.route("/login/", methods=["GET", "POST"])
def login():
    tool_conf = ToolConfJsonFile(get_lti_config_path())
    launch_data_storage = get_launch_data_storage()
    flask_request = FlaskRequest()
    target_link_uri = flask_request.get_param("target_link_uri")
    if not target_link_uri:
        raise Exception('Missing "target_link_uri" param')
    oidc_login = FlaskOIDCLogin(flask_request, tool_conf, launch_data_storage=launch_data_storage)
    return oidc_login.redirect(target_link_uri)


@app.route("/launch/", methods=["POST"])
def launch():
    tool_conf = ToolConfJsonFile(get_lti_config_path())
    flask_request = FlaskRequest()
    launch_data_storage = get_launch_data_storage()
    message_launch = FlaskMessageLaunch(
        flask_request, tool_conf, launch_data_storage=launch_data_storage
    )
    message_launch.set_public_key_caching(launch_data_storage, cache_lifetime=7200)
    data = message_launch.get_launch_data()
    context = data.get("https://purl.imsglobal.org/spec/lti/claim/context", {})
    return render_template_string(
        PAGE,
        launch_id=message_launch.get_launch_id(),
        name=data.get("name", ""),
        course=context.get("title", ""),
        roles=data.get("https://purl.imsglobal.org/spec/lti/claim/roles", []),
    )
