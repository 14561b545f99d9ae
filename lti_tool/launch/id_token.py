"""The id_token as a compact JWS signed with RS256: decoded strictly, once; verified with the
platform's key; its issuer, audience and times checked.

Every launch goes through here, so it avoids what a general JWT library spends on tokens of any
shape: the three segments are decoded by the C base64 decoder in strict mode (any character outside
the base64url alphabet is refused) and the header and body are parsed once, for the LTI checks and
the signature alike. The signature covers the exact bytes received, so what is parsed is what the
platform signed.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey


class TokenError(Exception):
    """The token is malformed, badly signed, or its claims fail a check (the message says which)."""


@dataclass(frozen=True)
class CompactJws:
    header: dict[str, Any]
    body: dict[str, Any]
    signing_input: bytes
    signature: bytes


def _segment(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(
            text + "=" * (-len(text) % 4), altchars=b"-_", validate=True
        )
    except (binascii.Error, ValueError) as error:
        raise TokenError(f"id_token {what} is not base64url") from error


def _object(raw: bytes, what: str) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except ValueError as error:  # UnicodeDecodeError is a ValueError too
        raise TokenError(f"id_token {what} is not JSON") from error
    if not isinstance(value, dict):
        raise TokenError(f"id_token {what} is not a JSON object")
    return value


def parse(token: str) -> CompactJws:
    """Split and decode a compact JWS; nothing is verified yet."""
    parts = token.split(".")
    if len(parts) != 3:
        raise TokenError("id_token is not a JWS in compact form (three segments)")
    header_text, body_text, signature_text = parts
    return CompactJws(
        header=_object(_segment(header_text, "header"), "header"),
        body=_object(_segment(body_text, "body"), "body"),
        signing_input=f"{header_text}.{body_text}".encode("ascii"),
        signature=_segment(signature_text, "signature"),
    )


def verify_rs256(jws: CompactJws, key: RSAPublicKey) -> None:
    if jws.header.get("alg") != "RS256":
        raise TokenError(f"id_token alg {jws.header.get('alg')!r} is not RS256")
    try:
        key.verify(jws.signature, jws.signing_input, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature as error:
        raise TokenError("id_token signature does not verify with the platform's key") from error


def check_claims(
    body: dict[str, Any], *, issuer: str, client_id: str, leeway: float,
    required: Iterable[str], now: float | None = None,
) -> None:
    """Presence of ``required``; ``iss``; ``aud`` names ``client_id`` (string or list); ``exp``,
    ``iat`` and ``nbf`` against the clock, ``leeway`` seconds either way."""
    for claim in required:
        if claim not in body:
            raise TokenError(f"id_token lacks the {claim!r} claim")
    if body["iss"] != issuer:
        raise TokenError(f"id_token iss {body['iss']!r} is not the platform's {issuer!r}")
    aud = body["aud"]
    audiences = [aud] if isinstance(aud, str) else aud
    if not isinstance(audiences, list) or client_id not in audiences:
        raise TokenError("id_token aud does not name this tool")
    now = time.time() if now is None else now
    times = {}
    for claim in ("exp", "iat", "nbf"):
        value = body.get(claim)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TokenError(f"id_token {claim} is not a number")
        times[claim] = value
    if "exp" in times and now > times["exp"] + leeway:
        raise TokenError("id_token has expired")
    if "iat" in times and times["iat"] > now + leeway:
        raise TokenError("id_token was issued in the future")
    if "nbf" in times and times["nbf"] > now + leeway:
        raise TokenError("id_token is not valid yet (nbf)")
