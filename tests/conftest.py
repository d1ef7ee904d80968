"""Shared fixtures live in tests/fixtures and are registered here."""

pytest_plugins = [
    "tests.fixtures.databases",
    "tests.fixtures.tenants",
    "tests.fixtures.payment_gateways",
    "tests.fixtures.nats",
    "tests.fixtures.jobs",
]
