"""A fresh PostgreSQL database for a bench run (dropped and created), migrated to head."""

from __future__ import annotations

import psycopg
from sqlalchemy import make_url

from oms.core.db import make_engine
from oms.core.migrate import upgrade

__all__ = ["fresh_postgres"]


def fresh_postgres(server_url: str, name: str) -> str:
    """Drop and create database ``name`` on the server of ``server_url``, migrate it; its URL."""
    server = make_url(server_url).set(drivername="postgresql")
    with psycopg.connect(server.render_as_string(hide_password=False), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = server.set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    return url
