"""`audit_events`: one tenant's trail, a hash chain ordered by a gap-free sequence.

The runtime role may only INSERT and SELECT (UPDATE/DELETE/TRUNCATE are revoked after
every migration, see `daiko.db.base.APPEND_ONLY_TABLES`), and a trigger refuses UPDATE
and DELETE for every other role too. The owner can still disable the trigger: that is
what the hash chain and `daiko audit verify` are for.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from daiko.db.base import Base, TenantOwned

ACTOR_KINDS = ("user", "operator", "partner", "system")
# "case.status_changed", "employee.my_number_revealed": dotted lower-case words.
ACTION_PATTERN = r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$"
HASH_PATTERN = r"^[0-9a-f]{64}$"


class AuditEvent(TenantOwned, Base):
    """One audited change or sensitive read (監査ログ)."""

    __tablename__ = "audit_events"
    __table_args__ = (
        CheckConstraint("seq >= 1", name="seq_positive"),
        CheckConstraint(
            "actor_kind in ({})".format(", ".join(f"'{k}'" for k in ACTOR_KINDS)),
            name="actor_kind",
        ),
        CheckConstraint(f"action ~ '{ACTION_PATTERN}'", name="action_format"),
        CheckConstraint(f"hash ~ '{HASH_PATTERN}'", name="hash_format"),
        CheckConstraint(f"prev_hash ~ '{HASH_PATTERN}'", name="prev_hash_format"),
        # The chain order; also the index behind "last event of this tenant".
        Index("uq_audit_events_tenant_id_seq", "tenant_id", "seq", unique=True),
        Index("ix_audit_events_tenant_id_action_seq", "tenant_id", "action", "seq"),
        Index(
            "ix_audit_events_tenant_id_resource_seq",
            "tenant_id",
            "resource_type",
            "resource_id",
            "seq",
        ),
        Index("ix_audit_events_tenant_id_actor_id_seq", "tenant_id", "actor_id", "seq"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    occurred_at: Mapped[datetime]
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[str | None] = mapped_column(Text)
    actor_display: Mapped[str | None] = mapped_column(Text)
    action: Mapped[str] = mapped_column(String(128))
    resource_type: Mapped[str] = mapped_column(String(64))
    resource_id: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'"))
    request_id: Mapped[str | None] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
