"""Outbound webhooks: per-tenant subscriptions, Standard Webhooks signing, delivery with retries."""
