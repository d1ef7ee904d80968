"""Buyer notifications per fulfilment node: merchant rules (channel, Liquid template,
condition, quiet hours) and the message log (docs/notifications.md)."""
