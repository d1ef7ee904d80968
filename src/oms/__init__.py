"""oms: an order management system that is the system of record for orders."""

__all__ = ["__version__"]
__version__ = "0.1.0"
