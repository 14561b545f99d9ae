"""Tool keys: created on first use, published by kid, rotated with a grace period, never in logs."""

from __future__ import annotations

import logging
from datetime import timedelta

import jwt
import sqlalchemy as sa
from jwt.algorithms import RSAAlgorithm

from lti_tool.db import db, utcnow
from lti_tool.launch import keys
from lti_tool.launch.models import ToolKey


def test_jwks_creates_the_first_key(client):
    body = client.get("/lti/jwks").get_json()
    assert len(body["keys"]) == 1
    key = body["keys"][0]
    assert key["kty"] == "RSA" and key["alg"] == "RS256" and key["use"] == "sig" and key["kid"]
    assert "d" not in key  # public half only
    assert client.get("/.well-known/jwks.json").get_json() == body


def test_private_key_is_encrypted_at_rest(app):
    keys.signing_key()
    stored = db.session.execute(sa.select(ToolKey.private_key_encrypted)).scalar_one()
    assert b"PRIVATE KEY" not in stored


def test_signatures_verify_with_the_published_key(client):
    signer = keys.signing_key()
    token = jwt.encode({"x": 1}, signer.private_key, algorithm="RS256", headers={"kid": signer.kid})
    published = {k["kid"]: k for k in client.get("/lti/jwks").get_json()["keys"]}
    public = RSAAlgorithm.from_jwk(published[signer.kid])
    assert jwt.decode(token, public, algorithms=["RS256"]) == {"x": 1}


def test_rotation_keeps_the_old_key_published_until_it_expires(client, runner, caplog):
    old = keys.signing_key()
    with caplog.at_level(logging.DEBUG):
        result = runner.invoke(args=["keys", "rotate", "--grace-days", "3"])
    assert result.exit_code == 0
    new = keys.signing_key()
    assert new.kid != old.kid
    kids = {k["kid"] for k in client.get("/lti/jwks").get_json()["keys"]}
    assert kids == {old.kid, new.kid}
    # Past the grace period only the new key is published.
    retired = db.session.execute(sa.select(ToolKey).where(ToolKey.kid == old.kid)).scalar_one()
    retired.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    kids = {k["kid"] for k in client.get("/lti/jwks").get_json()["keys"]}
    assert kids == {new.kid}
    assert "PRIVATE KEY" not in caplog.text and "PRIVATE KEY" not in result.output
