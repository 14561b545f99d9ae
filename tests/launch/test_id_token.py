"""The id_token's JWS: strict decoding, RS256 only, and the issuer, audience and time checks."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from lti_tool.launch import id_token
from lti_tool.launch.id_token import TokenError

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
NOW = 1_800_000_000


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def token(body: dict, header: dict | None = None, key=KEY) -> str:
    head = b64(json.dumps(header or {"alg": "RS256", "kid": "k"}).encode())
    signing_input = f"{head}.{b64(json.dumps(body).encode())}"
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{b64(signature)}"


def claims(**override) -> dict:
    return {"iss": "https://lms.example", "aud": "tool", "iat": NOW, "exp": NOW + 60,
            "nonce": "n", **override}


def check(body: dict, leeway: float = 5) -> None:
    id_token.check_claims(body, issuer="https://lms.example", client_id="tool", leeway=leeway,
                          required=["exp", "iat", "iss", "aud", "nonce"], now=NOW)


def test_a_good_token_parses_and_verifies():
    jws = id_token.parse(token(claims(name="Zoë")))
    assert jws.body["name"] == "Zoë" and jws.header["kid"] == "k"
    id_token.verify_rs256(jws, KEY.public_key())
    check(jws.body)


@pytest.mark.parametrize("bad", [
    "", "a.b", "a.b.c.d",
    "e30.e30.e30!",            # a character outside base64url
    "e30.e3 0.e30",            # whitespace inside a segment
    "W10.e30.e30",             # header is a JSON list
    "e30.bm90IGpzb24.e30",     # body is not JSON
    "e30.__8.e30",             # body is not UTF-8
])
def test_malformed_tokens_are_refused(bad):
    with pytest.raises(TokenError):
        id_token.parse(bad)


def test_a_signature_over_other_bytes_or_by_another_key_is_refused():
    good = token(claims())
    head, _body, signature = good.split(".")
    other_body = b64(json.dumps(claims(sub="admin")).encode())
    with pytest.raises(TokenError, match="does not verify"):
        id_token.verify_rs256(id_token.parse(f"{head}.{other_body}.{signature}"), KEY.public_key())
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(TokenError, match="does not verify"):
        id_token.verify_rs256(id_token.parse(token(claims(), key=forger)), KEY.public_key())


@pytest.mark.parametrize("alg", ["none", "HS256", "RS512", None])
def test_only_rs256_is_accepted(alg):
    jws = id_token.parse(token(claims(), header={"alg": alg, "kid": "k"}))
    with pytest.raises(TokenError, match="RS256"):
        id_token.verify_rs256(jws, KEY.public_key())


@pytest.mark.parametrize("override, message", [
    ({"iss": "https://evil.example"}, "iss"),
    ({"aud": "someone-else"}, "aud"),
    ({"aud": ["someone-else"]}, "aud"),
    ({"aud": {"tool": 1}}, "aud"),
    ({"exp": NOW - 6}, "expired"),
    ({"iat": NOW + 6}, "future"),
    ({"nbf": NOW + 6}, "nbf"),
    ({"exp": "tomorrow"}, "number"),
    ({"iat": True}, "number"),
])
def test_claims_that_fail_a_check(override, message):
    with pytest.raises(TokenError, match=message):
        check(claims(**override))


@pytest.mark.parametrize("missing", ["exp", "iat", "iss", "aud", "nonce"])
def test_required_claims(missing):
    body = claims()
    del body[missing]
    with pytest.raises(TokenError, match=missing):
        check(body)


def test_the_leeway_applies_both_ways():
    check(claims(exp=NOW - 4, iat=NOW + 4, nbf=NOW + 4, aud=["other", "tool"]))
    with pytest.raises(TokenError):
        check(claims(exp=NOW - 4), leeway=0)
