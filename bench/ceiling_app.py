"""The ceiling in ``bench/launch.py``: the same two-request flow with no LTI work at all.

``/lti/login`` redirects with a fresh state and nonce, ``/lti/launch`` answers a tiny page: what
gunicorn, Flask and the load generator cost by themselves on this machine.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlencode

from flask import Flask, redirect, request

app = Flask("ceiling")


@app.get("/lti/login")
def login():
    query = urlencode({
        "state": secrets.token_urlsafe(24),
        "nonce": secrets.token_urlsafe(32),
        "redirect_uri": request.args.get("target_link_uri", ""),
    })
    return redirect(f"http://127.0.0.1/auth?{query}", code=302)


@app.post("/lti/launch")
def launch():
    return '<!doctype html><meta name="ritmo-session" content="ceiling"><p>ok</p>'
