"""The partner API's cross-cutting parts: idempotency keys, rate limits, webhook
subscriptions, signed deliveries and the event outbox that feeds them."""
