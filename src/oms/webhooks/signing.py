"""Standard Webhooks signing (spec v1), through the maintained ``standardwebhooks`` library
(``core.standard_webhooks.signed_headers``, shared with buyer notifications)."""

from __future__ import annotations

import base64
import secrets

from oms.core.standard_webhooks import signed_headers

__all__ = ["new_secret", "signed_headers"]

SECRET_BYTES = 32  # the spec allows 24 to 64


def new_secret() -> str:
    """A fresh endpoint secret: ``whsec_`` + base64 of 32 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()
