"""OAuth 2.0 refresh of a QuickBooks Online connection (Intuit's token endpoint).

``POST https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer`` with HTTP Basic
``client_id:client_secret`` and the form ``grant_type=refresh_token&refresh_token=…`` answers
a new access token (``expires_in``: one hour) and a refresh token, which may be a new one: the
old one stops working once a newer one has been used, so the answer's is always stored. A 400
(``invalid_grant``: revoked, expired after 100 days, already rotated) is a refusal a person
must fix by connecting again; 5xx and timeouts are retried.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx

from oms.accounting.errors import AccountingUnavailable
from oms.accounting.sinks.base import Rejected

__all__ = ["INTUIT_TOKEN_URL", "Refreshed", "refresh_tokens"]

INTUIT_TOKEN_URL = "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer"  # noqa: S105


@dataclass(frozen=True, slots=True)
class Refreshed:
    """The endpoint's answer; neither token appears in a repr or a log."""

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_in: int


def refresh_tokens(
    url: str, *, client_id: str, client_secret: str, refresh_token: str, timeout: float
) -> Refreshed:
    """New tokens for ``refresh_token``. Raises: Rejected, ERR_ACCOUNTING_UNAVAILABLE."""
    try:
        response = httpx.post(
            url,
            auth=(client_id, client_secret),
            data={"grant_type": "refresh_token", "refresh_token": refresh_token},
            headers={"Accept": "application/json"},
            timeout=timeout,
        )
    except httpx.HTTPError as exc:
        raise AccountingUnavailable(f"QuickBooks token refresh: {type(exc).__name__}") from None
    if response.status_code >= 500 or response.status_code == 429:
        raise AccountingUnavailable(f"QuickBooks token refresh answered {response.status_code}")
    try:
        data = response.json()
    except ValueError:
        data = {}
    if not response.is_success or not data.get("access_token"):
        error = data.get("error") or f"HTTP {response.status_code}"
        described = data.get("error_description")
        raise Rejected(
            f"QuickBooks token refresh refused: {error}" + (f" ({described})" if described else ""),
            code=str(error),
        )
    return Refreshed(
        str(data["access_token"]),
        str(data.get("refresh_token") or refresh_token),
        int(data.get("expires_in") or 3600),
    )
