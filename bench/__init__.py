"""Benchmarks for oms; run ``python -m bench.orders_bench`` (``make bench``)."""
