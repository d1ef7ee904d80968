"""Kingdee Cloud Galaxy (金蝶云星空): payments and refunds as vouchers (``GL_VOUCHER``) via WebAPI.

Every send logs in (``AuthService.LoginBySign``: the app id and app secret of a third-party
system registered in Kingdee, or ``ValidateUser`` with a password), then asks
``DynamicFormService.ExecuteBillQuery`` for a voucher of the account book whose explanation
(摘要) carries the oms document id, and only when there is none saves one
(``DynamicFormService.Save``). Kingdee has no request id, so that query is what makes a retry
after a timeout, a worker that died after Kingdee saved, and a person's resend land on the one
voucher. ``IsSuccess: false`` (and a ``response_error:`` text) is a refusal whose ``Errors[]``
messages finance reads; 5xx, timeouts and connection errors are retried by the job runner.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import httpx
import structlog

from oms.accounting.errors import AccountingUnavailable, InvalidSettings
from oms.accounting.sinks.base import Booked, OutgoingDocument, Rejected, SinkConnection
from oms.accounting.sinks.vouchers import (
    Voucher,
    accounts_from,
    one_word,
    voucher_for,
    voucher_settings,
    yuan,
)

__all__ = ["FORM_ID", "KingdeeCloudGalaxy", "save_model", "sign"]

log = structlog.get_logger(__name__)

FORM_ID = "GL_VOUCHER"
_STUB = "Kingdee.BOS.WebApi.ServicesStub"
_LOGIN_BY_SIGN = f"{_STUB}.AuthService.LoginBySign.common.kdsvc"
_VALIDATE_USER = f"{_STUB}.AuthService.ValidateUser.common.kdsvc"
_QUERY = f"{_STUB}.DynamicFormService.ExecuteBillQuery.common.kdsvc"
_SAVE = f"{_STUB}.DynamicFormService.Save.common.kdsvc"
_REQUIRED = ("user", "account_book")
_DEFAULTS = {
    "delivery": "api",  # or "file": vouchers wait for ``oms accounting export``
    "login": "sign",  # or "password" (ValidateUser; the secret is the password)
    "app_id": "",
    "voucher_group": "PRE001",  # 凭证字 记
    "currency": "PRE001",  # 人民币
    "lcid": "2052",
}


def sign(acct_id: str, user: str, app_id: str, app_secret: str, timestamp: str) -> str:
    """``LoginBySign``'s signature: SHA-256 of the five values sorted ordinally, joined, hex."""
    return hashlib.sha256(
        "".join(sorted([acct_id, user, app_id, app_secret, timestamp])).encode()
    ).hexdigest()


class KingdeeCloudGalaxy:
    """The Kingdee Cloud Galaxy sink."""

    name = "kingdee"
    token_lifetime: timedelta | None = None

    def check_company(self, company_id: str | None) -> str:
        """The data centre (账套) id. Raises: ERR_ACCOUNTING_INVALID_COMPANY."""
        return one_word(company_id, what="a Kingdee data centre (acctId)", field="acct_id")

    def check_settings(self, settings: Mapping[str, Any]) -> dict[str, Any]:
        """User, account book, login, voucher group, accounts.

        Raises: ERR_ACCOUNTING_INVALID_SETTINGS.
        """
        checked = voucher_settings(
            settings,
            sink="Kingdee",
            defaults=_DEFAULTS,
            api_required=_REQUIRED,
            file_required=("account_book",),
        )
        if checked["login"] not in ("sign", "password"):
            raise InvalidSettings("login is sign or password", setting="login")
        is_api = checked["delivery"] == "api"
        if is_api and checked["login"] == "sign" and not checked["app_id"]:
            raise InvalidSettings("LoginBySign needs the setting app_id", setting="app_id")
        return checked

    def send(
        self,
        connection: SinkConnection,
        document: OutgoingDocument,
        *,
        timeout: float,
        now: datetime,
    ) -> Booked:
        """Save the voucher once. Raises: Rejected, ERR_ACCOUNTING_UNAVAILABLE."""
        settings = self.check_settings(connection.settings)
        voucher = voucher_for(document, accounts_from(settings))
        base = connection.base_url.rstrip("/") + "/"
        try:
            with httpx.Client(base_url=base, timeout=timeout) as client:
                _login(client, connection, settings, now=now)
                found = _find(client, settings, voucher)
                if found is not None:
                    log.info("accounting.already_booked", document_id=document.id, id=found)
                    return Booked(found)
                reply = _post(
                    client, _SAVE, {"formid": FORM_ID, "data": save_model(voucher, settings)}
                )
        except httpx.HTTPError as exc:
            raise AccountingUnavailable(f"Kingdee: {type(exc).__name__}") from None
        booked = _saved(reply)
        log.info("accounting.booked", document_id=document.id, external_id=booked.external_id)
        return booked


def save_model(voucher: Voucher, settings: Mapping[str, Any]) -> dict[str, Any]:
    """The ``Save`` data of a voucher: header and one ``FEntity`` row per line."""
    entries = []
    for line in voucher.lines:
        amount = line.debit or line.credit
        entry: dict[str, Any] = {
            "FEXPLANATION": line.explanation,
            "FACCOUNTID": {"FNumber": line.account},
            "FCURRENCYID": {"FNumber": settings["currency"]},
            "FEXCHANGERATETYPE": {"FNumber": "HLTX01_SYS"},
            "FEXCHANGERATE": "1",
            "FAMOUNTFOR": yuan(amount, voucher.currency),
        }
        side = "FDEBIT" if line.debit else "FCREDIT"
        entry[side] = yuan(amount, voucher.currency)
        entries.append(entry)
    model = {
        "FAccountBookID": {"FNumber": settings["account_book"]},
        "FDate": voucher.date.isoformat(),
        "FBUSDATE": voucher.date.isoformat(),
        "FYEAR": voucher.date.year,
        "FPERIOD": voucher.date.month,
        "FVOUCHERGROUPID": {"FNumber": settings["voucher_group"]},
        "FATTACHMENTS": 0,
        "FEntity": entries,
    }
    return {"IsDeleteEntry": "true", "NeedReturnFields": ["FVOUCHERID", "FBillNo"], "Model": model}


def _login(
    client: httpx.Client, connection: SinkConnection, settings: Mapping[str, Any], *, now: datetime
) -> None:
    acct, user, lcid = connection.company_id, settings["user"], int(settings["lcid"])
    if settings["login"] == "password":
        reply = _post(client, _VALIDATE_USER, {"parameters": [acct, user, connection.token, lcid]})
    else:
        timestamp = str(int(now.timestamp()))
        signature = sign(acct, user, settings["app_id"], connection.token, timestamp)
        parameters = [acct, user, settings["app_id"], timestamp, signature, lcid]
        reply = _post(client, _LOGIN_BY_SIGN, {"parameters": parameters})
    if not isinstance(reply, dict) or reply.get("LoginResultType") != 1:
        message = reply.get("Message") if isinstance(reply, dict) else None
        result = reply.get("LoginResultType") if isinstance(reply, dict) else None
        raise Rejected(f"Kingdee login refused: {message or 'LoginResultType ' + str(result)}")


def _find(client: httpx.Client, settings: Mapping[str, Any], voucher: Voucher) -> str | None:
    query = {
        "FormId": FORM_ID,
        "FieldKeys": "FVOUCHERID,FBillNo",
        "FilterString": (
            f"FAccountBookID.FNumber = '{_quoted(settings['account_book'])}'"
            f" AND FEXPLANATION LIKE '%{_quoted(voucher.number)}%'"
        ),
        "OrderString": "",
        "TopRowCount": 0,
        "StartRow": 0,
        "Limit": 1,
    }
    rows = _post(client, _QUERY, {"data": query})
    if isinstance(rows, list) and rows and isinstance(rows[0], list) and rows[0]:
        first = rows[0][0]
        if isinstance(first, dict):  # an error comes back as [[{"Result": …}]]
            _saved(first)
            return None
        return str(first)
    if isinstance(rows, list):
        return None
    raise AccountingUnavailable("Kingdee answered the voucher query with something else")


def _quoted(value: str) -> str:
    return value.replace("'", "''")


def _post(client: httpx.Client, path: str, body: dict[str, Any]) -> Any:
    response = client.post(path, json=body)
    if response.status_code >= 500 or response.status_code == 429:
        raise AccountingUnavailable(f"Kingdee answered HTTP {response.status_code}")
    text = response.text.strip()
    if text.startswith("response_error:"):
        raise Rejected(f"Kingdee: {text.removeprefix('response_error:').strip()[:1000]}")
    try:
        return response.json()
    except ValueError:
        if response.is_success:
            raise AccountingUnavailable("Kingdee answered something that is not JSON") from None
        raise Rejected(f"Kingdee answered HTTP {response.status_code}: {text[:300]}") from None


def _saved(reply: Any) -> Booked:
    result = reply.get("Result") if isinstance(reply, dict) else None
    status = result.get("ResponseStatus") if isinstance(result, dict) else None
    if not isinstance(status, dict):
        raise AccountingUnavailable("Kingdee answered without a ResponseStatus")
    if not status.get("IsSuccess"):
        errors = [e for e in status.get("Errors") or [] if isinstance(e, dict)]
        messages = [
            (f"{e['FieldName']}: " if e.get("FieldName") else "") + str(e.get("Message") or "")
            for e in errors
        ]
        message = "; ".join(m for m in messages if m) or "IsSuccess false"
        code = status.get("MsgCode")
        raise Rejected(
            f"Kingdee: {message}", code=str(code) if code is not None else None, detail=None
        )
    assert isinstance(result, dict)
    entities = status.get("SuccessEntitys") or []
    first = entities[0] if entities and isinstance(entities[0], dict) else {}
    external = result.get("Id") or first.get("Id")
    if not external:
        raise AccountingUnavailable("Kingdee saved without answering the voucher id")
    return Booked(str(external))
