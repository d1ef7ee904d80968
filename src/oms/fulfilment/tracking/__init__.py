"""Carrier tracking: pushes from Kuaidi100, SF, Cainiao and a generic signed JSON, normalised
into oms tracking statuses, stored as scans on shipments, and the effects they cause
(delivery, return and exception tickets, stall detection)."""
