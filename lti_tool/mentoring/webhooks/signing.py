"""The signature of a delivery, and its check as a receiver does it (the docs show the same check).

``Ritmo-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>``. The timestamp
is inside what is signed, so a receiver that refuses signatures older than the replay window
(:data:`REPLAY_WINDOW_SECONDS`) cannot be fed an old delivery again.
"""

from __future__ import annotations

import hashlib
import hmac
import time

REPLAY_WINDOW_SECONDS = 300
ID_HEADER = "Ritmo-Webhook-Id"
TIMESTAMP_HEADER = "Ritmo-Webhook-Timestamp"
EVENT_HEADER = "Ritmo-Webhook-Event"
SIGNATURE_HEADER = "Ritmo-Signature"


def digest(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def headers(secret: str, event_id: str, event_type: str, body: bytes, timestamp: int) -> dict[str, str]:
    """The headers of one attempt (a new timestamp, so a new signature, every attempt)."""
    return {
        "Content-Type": "application/json",
        ID_HEADER: event_id,
        EVENT_HEADER: event_type,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: f"t={timestamp},v1={digest(secret, timestamp, body)}",
    }


def verify(secret: str, header: str, body: bytes, *, now: float | None = None,
           window: int = REPLAY_WINDOW_SECONDS) -> bool:
    """What a receiver does: parse the header, refuse an old or future timestamp, compare the
    signature in constant time."""
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(fields["t"])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - timestamp) > window:
        return False
    return hmac.compare_digest(digest(secret, timestamp, body), fields.get("v1", ""))
