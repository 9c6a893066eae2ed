"""The Dramatiq broker, chosen by `DAIKO_BROKER_URL`: Redis (redis://, unix://) or
RabbitMQ (amqp://, with publisher confirms). The API process builds one only to publish
from the outbox relay; it never imports `workers/`."""

from __future__ import annotations

from typing import Any

import dramatiq
from dramatiq.middleware.asyncio import AsyncIO

from daiko.config import ConfigError, Settings


def broker_url(settings: Settings) -> str:
    if settings.broker_url is None:
        raise ConfigError(
            "DAIKO_BROKER_URL", "not set (run through `daiko dev`, or set redis:// or amqp://)"
        )
    return settings.broker_url


def build_broker(url: str) -> dramatiq.Broker:
    broker: dramatiq.Broker
    if url.startswith(("amqp://", "amqps://")):
        from dramatiq.brokers.rabbitmq import RabbitmqBroker

        broker = RabbitmqBroker(url=url, confirm_delivery=True)
    else:
        from dramatiq.brokers.redis import RedisBroker

        broker = RedisBroker(url=url)  # type: ignore[no-untyped-call]
    broker.add_middleware(AsyncIO())
    return broker


def ping_broker(url: str) -> None:
    """Raise if the broker cannot be reached (blocking; run it in a thread)."""
    if url.startswith(("amqp://", "amqps://")):
        import pika  # type: ignore[import-untyped]

        params = pika.URLParameters(url)
        params.socket_timeout = 3
        params.connection_attempts = 1
        params.blocked_connection_timeout = 3
        conn = pika.BlockingConnection(params)
        conn.close()
        return
    import redis

    client: Any = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3)
    try:
        client.ping()
    finally:
        client.close()
