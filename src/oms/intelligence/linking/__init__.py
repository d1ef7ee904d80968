"""Key-pattern learning: link another system's records to oms orders from a few seed pairs."""
