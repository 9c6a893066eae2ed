"""Subscription secrets: sealed per tenant by field encryption; rotation keeps the
previous secret signing beside the new one for a grace period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from daiko.partners.models import WebhookSubscription
from daiko.security.fields import decrypt_field, encrypt_field

PURPOSE = "webhook_subscription.secret"
ROTATION_GRACE = timedelta(hours=24)


async def seal(session: AsyncSession, sub: WebhookSubscription, secret: str) -> str:
    return await encrypt_field(session, sub.tenant_id, secret, purpose=PURPOSE)


async def live_secrets(session: AsyncSession, sub: WebhookSubscription) -> list[str]:
    """The current secret, then the previous one while its grace period lasts."""
    out = [await decrypt_field(session, sub.tenant_id, sub.secret, purpose=PURPOSE)]
    if (
        sub.previous_secret
        and sub.previous_secret_expires_at is not None
        and sub.previous_secret_expires_at > datetime.now(UTC)
    ):
        out.append(
            await decrypt_field(session, sub.tenant_id, sub.previous_secret, purpose=PURPOSE)
        )
    return out
