"""Server-side sign-in sessions (global table: reached only through `daiko.auth`)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from daiko.db.base import Base


class UserSession(Base):
    """A browser session. The cookie holds a random token; only its SHA-256 is stored,
    so a database leak does not hand out live sessions."""

    __tablename__ = "user_sessions"
    __table_args__ = (Index("ix_user_sessions_user_id", "user_id"),)

    id: Mapped[str] = mapped_column(Text, primary_key=True)  # sha256(token) hex
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(server_default=text("now()"))
    last_seen_at: Mapped[datetime] = mapped_column(server_default=text("now()"))
    expires_at: Mapped[datetime]  # absolute timeout
    idle_expires_at: Mapped[datetime]  # idle timeout, pushed forward on use
    mfa_verified: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    csrf_token: Mapped[str] = mapped_column(Text)
    revoked_at: Mapped[datetime | None]
    ip: Mapped[str | None] = mapped_column(Text)
    user_agent: Mapped[str | None] = mapped_column(Text)
