"""Inbound platform channels: verified, deduplicated order webhooks and their field mappings."""
