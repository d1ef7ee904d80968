"""Adapters to accounting systems, behind one interface (``base.AccountingSink``)."""
