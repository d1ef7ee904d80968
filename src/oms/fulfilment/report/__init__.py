"""The monthly fulfilment health report: figures, trend, improvement items, charts, PDF."""
