"""The operations console: server-rendered pages under ``/console``."""
