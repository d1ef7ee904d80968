"""The network half of a statement pull: ask a bank for one day's file, and the downloads.

Only the pull job calls these (never a request handler, never inside a transaction). Each
returns the file as downloaded, or ``None`` when the source says there is no statement for
that day. A payment gateway's bill (Alipay, WeChat Pay) is asked for through its adapter
(``payments.gateways.registry.gateway_for(kind).download_bill``), which signs and verifies;
it downloads the file with :func:`downloader`, so the size limit is the same for every source.

- HTTP connector: ``GET`` the configured URL (``{date}`` replaced by the day) with the
  configured auth header.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from urllib.parse import urlsplit

import httpx

from oms.finance.errors import PullFailed
from oms.finance.parsers.bills import MAX_BILL_BYTES
from oms.payments.gateways.base import BillFile, Download

__all__ = ["Fetched", "downloader", "fetch_http"]

# A downloaded statement file: the same shape as a gateway's bill.
Fetched = BillFile


def fetch_http(
    url_template: str,
    *,
    fmt: str,
    auth_header: str | None,
    auth_value: str | None,
    bill_date: date,
    timeout: float,
) -> Fetched | None:
    """One day's statement from a bank's HTTP endpoint; 204/404 mean "none for that day".

    Raises: ERR_FINANCE_PULL_FAILED.
    """
    url = url_template.replace("{date}", bill_date.isoformat())
    headers = {auth_header: auth_value} if auth_header and auth_value else {}
    answer = _send("GET", url, headers=headers, timeout=timeout)
    if answer.status_code in (204, 404):
        return None
    if answer.status_code != 200:
        raise PullFailed("the bank's statement endpoint answered", status=answer.status_code)
    if len(answer.content) > MAX_BILL_BYTES:
        raise PullFailed("the statement is larger than the limit", limit=MAX_BILL_BYTES)
    suffix = {"mt940": "sta", "camt053": "xml"}.get(fmt, fmt)
    return Fetched(answer.content, fmt, f"http-{bill_date.isoformat()}.{suffix}")


def _send(method: str, url: str, **kwargs: object) -> httpx.Response:
    try:
        return httpx.request(method, url, **kwargs)  # type: ignore[arg-type]
    except httpx.HTTPError as exc:
        raise PullFailed(f"{method} {urlsplit(url).netloc} failed: {type(exc).__name__}") from None


def downloader(*, timeout: float) -> Download:
    """The size-limited GET gateway adapters fetch bills with. Raises: ERR_FINANCE_PULL_FAILED."""

    def download(url: str, headers: Mapping[str, str]) -> bytes:
        return _download(url, headers, timeout=timeout)

    return download


def _download(url: str, headers: Mapping[str, str], *, timeout: float) -> bytes:
    """GET a file, refusing more than ``MAX_BILL_BYTES``."""
    try:
        with httpx.stream("GET", url, headers=headers, timeout=timeout) as response:
            if response.status_code != 200:
                raise PullFailed("the bill download answered", status=response.status_code)
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > MAX_BILL_BYTES:
                    raise PullFailed("the bill is larger than the limit", limit=MAX_BILL_BYTES)
                chunks.append(chunk)
    except httpx.HTTPError as exc:
        raise PullFailed(f"bill download failed: {type(exc).__name__}") from None
    return b"".join(chunks)
