"""The SMTP receiver of replies: aiosmtpd on ``INBOUND_SMTP_HOST:INBOUND_SMTP_PORT``.

Started by Ritmo's worker (the in-process job runner of the embedded mode, a Celery worker) and by
``lti-tool mail receive``. SMTP runs on aiosmtpd's event loop in its own thread; each check and each
delivery runs in a small thread pool inside the app's context, so the database work never blocks
the loop. One recipient per message: the answer to DATA is that recipient's. Messages over
``INBOUND_MAIL_MAX_BYTES`` are refused by aiosmtpd itself (552) without being kept.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from aiosmtpd.controller import Controller
from flask import Flask

from lti_tool.db import db
from lti_tool.inbound import service
from lti_tool.inbound.addresses import enabled

log = logging.getLogger(__name__)

EXTENSION = "ritmo_inbound_smtp"
_TRY_LATER = "451 4.3.0 Ritmo could not take this reply now; it will be tried again"


class ReplyHandler:
    """aiosmtpd's handler: the RCPT and DATA steps, each answered by :mod:`service`."""

    def __init__(self, app: Flask, executor: ThreadPoolExecutor):
        self.app = app
        self.executor = executor

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if envelope.rcpt_tos:
            return "452 4.5.3 One recipient per message: send the others separately"
        answer = await self._run(lambda: (service.accept_recipient(address), "250 2.1.5 OK")[1])
        if answer.startswith("250"):
            envelope.rcpt_tos.append(address)
        return answer

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        address = envelope.rcpt_tos[0]
        return await self._run(lambda: service.receive(address, raw))

    async def _run(self, step: Callable[[], str]) -> str:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, self._in_app, step)

    def _in_app(self, step: Callable[[], str]) -> str:
        with self.app.app_context():
            try:
                return step()
            except service.Refused as refused:
                return refused.reply
            except Exception:  # the server's edge: any bug answers "try later", never a dropped reply
                log.exception("a reply by e-mail could not be taken in")
                db.session.rollback()
                return _TRY_LATER
            finally:
                db.session.remove()


class Receiver:
    """A running receiver; :meth:`stop` closes it."""

    def __init__(self, app: Flask, host: str, port: int):
        self.executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="ritmo-inbound")
        self.controller = Controller(
            ReplyHandler(app, self.executor),
            hostname=host,
            port=port,
            data_size_limit=int(app.config["INBOUND_MAIL_MAX_BYTES"]),
            ident="Ritmo replies",
        )

    @property
    def port(self) -> int:
        return int(self.controller.port)

    def start(self) -> Receiver:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()
        self.executor.shutdown(wait=True)

    def discard(self) -> None:
        """Let go of a receiver that could not start (its loop never ran; aiosmtpd leaves it open)."""
        self.controller.stop(no_assert=True)  # joins the thread, which ended when binding failed
        self.controller.loop.close()
        self.executor.shutdown(wait=False)


def start_receiver(app: Flask, *, port: int | None = None) -> Receiver | None:
    """Start the app's receiver, once; ``None`` when replies by e-mail are off, or when another
    process of this server already listens on the port (gunicorn's workers all try)."""
    running: Receiver | None = app.extensions.get(EXTENSION)
    if running is not None:
        return running
    with app.app_context():
        if not enabled():
            return None
    host = str(app.config["INBOUND_SMTP_HOST"])
    port = int(app.config["INBOUND_SMTP_PORT"]) if port is None else port
    receiver = Receiver(app, host, port)
    try:
        receiver.start()
    except OSError as error:
        receiver.discard()
        log.info("replies by e-mail: %s:%s is taken (%s); another process receives them", host, port, error)
        return None
    app.extensions[EXTENSION] = receiver
    log.info("replies by e-mail: receiving on %s:%s", host, receiver.port)
    return receiver


def stop_receiver(app: Flask) -> None:
    receiver: Receiver | None = app.extensions.pop(EXTENSION, None)
    if receiver is not None:
        receiver.stop()
