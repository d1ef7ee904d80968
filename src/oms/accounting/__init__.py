"""Accounting sinks: confirmed payments and refunds sent once to the merchant's books."""
