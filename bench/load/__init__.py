"""Load and soak with faults: a sales-peak mix over HTTP against ``oms serve --workers N`` and
``oms worker`` on a fresh PostgreSQL database, with scripted faults and a proof afterwards that
nothing was lost or done twice. Run ``python -m bench.load --minutes 1`` (see docs/benchmarks.md).
"""
