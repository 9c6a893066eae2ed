"""`tenant_data_keys`: each tenant's data keys, stored only wrapped by the master key.

A field is encrypted with its tenant's active data key (AES-256-GCM); the data key is
stored encrypted ("wrapped") under the deployment's master key (`DAIKO_MASTER_KEY`), so
a database dump alone decrypts nothing, and rotating the master key re-wraps a few rows
instead of re-encrypting every field. Old data-key versions stay to decrypt old values.
"""

from __future__ import annotations

import uuid

from sqlalchemy import CheckConstraint, ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from daiko.db.base import Base, TenantOwned, Timestamps

DATA_KEY_STATUSES = ("active", "retired")


class TenantDataKey(TenantOwned, Timestamps, Base):
    """One version of a tenant's field-encryption key (データ鍵), wrapped."""

    __tablename__ = "tenant_data_keys"
    __table_args__ = (
        UniqueConstraint("tenant_id", "version"),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint("status in ('active', 'retired')", name="status"),
        CheckConstraint("length(wrapped_key) = 60", name="wrapped_key_length"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    # nonce (12) + AES-GCM(master key, data key (32)) + tag (16)
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)
    # Which master key wrapped it (a fingerprint, not the key), for rotation.
    master_key_id: Mapped[str] = mapped_column(String(32))
