"""Webhooks: subscriptions, the event outbox, signed deliveries with retries, SSRF guard."""
