"""Replies already taken in, so a redelivered e-mail is posted once."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from lti_tool.db import Base, utcnow


class InboundMail(Base):
    """One reply handled: a hash of its Message-ID and the address it was sent to (no words, no
    sender), written in the transaction that posts it."""

    __tablename__ = "inbound_mail"

    id: Mapped[int] = mapped_column(primary_key=True)
    digest: Mapped[str] = mapped_column(sa.String(64), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(8))
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
