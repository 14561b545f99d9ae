"""Outgoing e-mail: composed in a request, sent by a job over SMTP with retries.

:func:`send_email` only enqueues (in the caller's transaction), so a message exists exactly when the
change it announces was committed, and an SMTP outage delays mail without failing the request.
"""

from __future__ import annotations

import base64
import smtplib
from datetime import datetime
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

from flask import Flask, current_app

from lti_tool.jobs import enqueue, register_task

SEND_TASK = "mail.send"


def send_email(
    to: str,
    subject: str,
    text: str,
    *,
    html: str | None = None,
    attachments: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    dedupe_key: str | None = None,
    run_at: datetime | None = None,
) -> None:
    """Queue one message. ``attachments``: ``{"filename", "content_type", "data": bytes}``;
    ``run_at`` holds it until then (a person's quiet hours)."""
    payload = {
        "to": to,
        "subject": subject,
        "text": text,
        "html": html,
        "headers": headers or {},
        "attachments": [
            {
                "filename": a["filename"],
                "content_type": a["content_type"],
                "data": base64.b64encode(a["data"]).decode(),
            }
            for a in attachments or []
        ],
    }
    enqueue(SEND_TASK, payload, run_at=run_at, dedupe_key=dedupe_key, max_attempts=10)


def build_message(payload: dict[str, Any]) -> EmailMessage:
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = payload["to"]
    message["Subject"] = payload["subject"]
    message["Message-ID"] = make_msgid(domain="ritmo.invalid")
    for name, value in payload.get("headers", {}).items():
        message[name] = value
    message.set_content(payload["text"])
    if payload.get("html"):
        message.add_alternative(payload["html"], subtype="html")
    for attachment in payload.get("attachments", []):
        maintype, _, subtype = attachment["content_type"].partition("/")
        params = {}
        if "; " in subtype:
            subtype, _, extra = subtype.partition("; ")
            key, _, value = extra.partition("=")
            params[key] = value
        message.add_attachment(
            base64.b64decode(attachment["data"]),
            maintype=maintype,
            subtype=subtype,
            filename=attachment["filename"],
            params=params,
        )
    return message


def deliver(payload: dict[str, Any]) -> None:
    """Send over SMTP; any error makes the job retry with backoff."""
    config = current_app.config
    message = build_message(payload)
    with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=15) as smtp:
        if config["SMTP_STARTTLS"]:
            smtp.starttls()
        if config["SMTP_USERNAME"]:
            smtp.login(config["SMTP_USERNAME"], config["SMTP_PASSWORD"] or "")
        smtp.send_message(message)


def init_app(app: Flask) -> None:
    """Let the job runners send what :func:`send_email` queued."""
    register_task(SEND_TASK, deliver)
