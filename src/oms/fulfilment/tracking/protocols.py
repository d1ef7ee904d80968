"""The four push protocols: how each is verified, read and answered.

Each adapter turns one HTTP delivery into a :class:`Push` (parcels with their scans, codes
still raw) after checking it with the carrier's own scheme, constant-time:

- ``kuaidi100``: form ``param`` (JSON) and ``sign = upper(hex(MD5(param + salt)))`` over the
  exact ``param`` received; a full snapshot of the trace, newest first.
- ``sf``: the plain ``WaybillRoute`` JSON body with the tenant's URL ``token``, or the signed
  envelope (form ``msgData``, ``timestamp``, ``msgDigest = b64(MD5(msgData + timestamp +
  checkword))``, with or without ``quote_plus`` first: both are tried, the match is recorded).
- ``cainiao``: form ``logistics_interface`` and ``data_digest = b64(raw MD5(logistics_interface
  + secretKey))``.
- ``generic``: JSON signed with Standard Webhooks (core.standard_webhooks).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import parse_qs, quote_plus
from zoneinfo import ZoneInfo

from oms.core import standard_webhooks
from oms.core.errors import AppError
from oms.fulfilment.tracking.errors import (
    PushMalformed,
    SignatureInvalid,
    SignatureMissing,
    TimestampOutOfTolerance,
    TrackingSecretInvalid,
)

__all__ = [
    "Adapter",
    "Delivery",
    "Keys",
    "ParcelPush",
    "Push",
    "ScanIn",
    "adapter_for",
    "canonical_carrier",
    "known_protocols",
]

# Kuaidi100 and SF give local times without a zone: China Standard Time.
_CHINA = ZoneInfo("Asia/Shanghai")

# Carriers are named by Kuaidi100 company codes; carriers' own short codes map onto them.
_ALIASES = {
    "sf": "shunfeng",
    "sfexpress": "shunfeng",
    "yto": "yuantong",
    "zto": "zhongtong",
    "sto": "shentong",
    "yd": "yunda",
    "jdl": "jd",
    "jingdong": "jd",
    "eyb": "ems",
    "jt": "jtexpress",
    "htky": "huitongkuaidi",
    "best": "huitongkuaidi",
}


def canonical_carrier(code: str) -> str:
    """The Kuaidi100 company code a carrier's own code names (``SF`` → ``shunfeng``)."""
    lowered = code.strip().lower()
    return _ALIASES.get(lowered, lowered)


@dataclass(frozen=True, slots=True)
class Keys:
    """A tenant's opened secrets for one protocol."""

    secret: str
    checkword: str | None = None
    app_key: str | None = None


@dataclass(frozen=True, slots=True)
class Delivery:
    """One HTTP delivery as it arrived (headers lower-cased)."""

    headers: Mapping[str, str]
    body: bytes
    query: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class ScanIn:
    at: datetime
    code: str
    text: str
    location: str | None = None


@dataclass(frozen=True, slots=True)
class ParcelPush:
    """A parcel's scans in one push. ``carriers``: the codes it may be recorded under."""

    carriers: tuple[str, ...]
    tracking_no: str
    scheme: str
    scans: tuple[ScanIn, ...]


@dataclass(frozen=True, slots=True)
class Push:
    message_id: str
    topic: str
    parcels: tuple[ParcelPush, ...]
    details: dict[str, Any] = field(default_factory=dict)


class Adapter(Protocol):
    name: str

    def message_id(self, delivery: Delivery) -> str:
        """The key the inbox deduplicates on (a redelivery has the same one)."""

    def verify(self, keys: Keys, delivery: Delivery, *, now: datetime) -> dict[str, Any]:
        """Raise SignatureMissing / SignatureInvalid / TimestampOutOfTolerance; return notes."""

    def parse(self, delivery: Delivery) -> Push:
        """Raise PushMalformed."""

    def ok(self) -> dict[str, Any]: ...

    def failure(self, error: AppError) -> dict[str, Any]: ...

    def check_keys(self, keys: Keys) -> None:
        """Raise TrackingSecretInvalid."""


def _md5(text: str) -> bytes:
    """The carriers' MD5 (their protocol, not our choice of hash)."""
    return hashlib.md5(text.encode()).digest()  # noqa: S324


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _form(body: bytes) -> dict[str, str]:
    try:
        parsed = parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError:
        raise PushMalformed("the form body is not UTF-8") from None
    return {key: values[0] for key, values in parsed.items()}


def _json(text: str | bytes, what: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, UnicodeDecodeError):
        raise PushMalformed(f"{what} is not JSON") from None


def _same(expected: str, received: str) -> bool:
    return hmac.compare_digest(expected.encode(), received.strip().encode())


def _time(value: Any) -> datetime:
    """A scan time: epoch milliseconds, ISO 8601, or China local ``YYYY-MM-DD HH:MM:SS``."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value / 1000, tz=UTC)
    if not isinstance(value, str) or not value.strip():
        raise PushMalformed("a scan has no time", value=str(value)[:40])
    text = value.strip()
    if text.isdigit():
        return datetime.fromtimestamp(int(text) / 1000, tz=UTC)
    try:
        parsed = datetime.fromisoformat(text.replace("/", "-"))
    except ValueError:
        raise PushMalformed("a scan time cannot be read", value=text[:40]) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=_CHINA)
    return parsed.astimezone(UTC)


def _text(value: Any, limit: int = 2000) -> str:
    return str(value or "").strip()[:limit]


class Kuaidi100:
    name = "kuaidi100"
    # Kuaidi100 writes the state's name in each record's ``status`` (resultv2=1).
    _STATE_NAMES = {
        "在途": "0",
        "揽收": "1",
        "疑难": "2",
        "签收": "3",
        "退签": "4",
        "派件": "5",
        "退回": "6",
        "转投": "7",
        "清关": "8",
        "拒签": "14",
    }

    def message_id(self, delivery: Delivery) -> str:
        # A full snapshot has no id of its own: the same snapshot again is the same message.
        return "kuaidi100:" + _digest(_form(delivery.body).get("param", ""))

    def verify(self, keys: Keys, delivery: Delivery, *, now: datetime) -> dict[str, Any]:
        form = _form(delivery.body)
        if "param" not in form:
            raise PushMalformed("a Kuaidi100 push carries the form field param")
        if not form.get("sign"):
            raise SignatureMissing("Kuaidi100 signs pushes when the subscription has a salt")
        expected = _md5(form["param"] + keys.secret).hex().upper()
        if not _same(expected, form["sign"].upper()):
            raise SignatureInvalid("sign is not upper(hex(MD5(param + salt)))")
        return {}

    def parse(self, delivery: Delivery) -> Push:
        document = _json(_form(delivery.body).get("param", ""), "param")
        if not isinstance(document, dict) or not isinstance(document.get("lastResult"), dict):
            raise PushMalformed("param carries lastResult")
        result = document["lastResult"]
        number = _text(result.get("nu"), 64)
        if not number:
            raise PushMalformed("lastResult carries nu (the tracking number)")
        records = result.get("data") or []
        if not isinstance(records, list):
            raise PushMalformed("lastResult.data is a list")
        scans = tuple(self._scan(r, i, result) for i, r in enumerate(records))
        status = _text(document.get("status"), 16) or "polling"
        details: dict[str, Any] = {"status": status}
        if document.get("message"):
            details["message"] = _text(document["message"], 200)
        carriers = [_text(result.get("com"), 64)]
        if str(document.get("autoCheck", "")) == "1" and document.get("comNew"):
            # Kuaidi100 corrected the carrier: the parcel may be recorded under either code.
            details["carrier_corrected"] = {
                "from": _text(document.get("comOld"), 64),
                "to": _text(document["comNew"], 64),
            }
            carriers = [_text(document["comNew"], 64), _text(document.get("comOld"), 64)]
        parcel = ParcelPush(tuple(c for c in carriers if c), number, self.name, scans)
        return Push(self.message_id(delivery), f"kuaidi100.{status}", (parcel,), details)

    def _scan(self, record: Any, index: int, result: dict[str, Any]) -> ScanIn:
        if not isinstance(record, dict):
            raise PushMalformed("lastResult.data holds objects")
        code = record.get("statusCode") or self._STATE_NAMES.get(_text(record.get("status")))
        if code is None:
            # Only the newest record is known to be in lastResult.state.
            code = result.get("state", "0") if index == 0 else "0"
        return ScanIn(
            at=_time(record.get("ftime") or record.get("time")),
            code=_text(code, 32),
            text=_text(record.get("context")),
            location=_text(record.get("areaName"), 200) or None,
        )

    def ok(self) -> dict[str, Any]:
        return {"result": True, "returnCode": "200", "message": "成功"}

    def failure(self, error: AppError) -> dict[str, Any]:
        return {"result": False, "returnCode": "500", "message": error.message}

    def check_keys(self, keys: Keys) -> None:
        if not 1 <= len(keys.secret) <= 32:
            raise TrackingSecretInvalid("the Kuaidi100 salt is 1 to 32 characters")


class SF:
    name = "sf"

    def message_id(self, delivery: Delivery) -> str:
        envelope = self._envelope(delivery)
        if envelope is not None and envelope.get("requestID"):
            return "sf:" + envelope["requestID"][:100]
        return "sf:" + hashlib.sha256(delivery.body).hexdigest()

    @staticmethod
    def _envelope(delivery: Delivery) -> dict[str, str] | None:
        if delivery.body.lstrip()[:1] in (b"{", b"["):
            return None
        form = _form(delivery.body)
        return form if "msgData" in form else None

    def verify(self, keys: Keys, delivery: Delivery, *, now: datetime) -> dict[str, Any]:
        envelope = self._envelope(delivery)
        if envelope is not None and envelope.get("msgDigest"):
            return self._verify_digest(keys, envelope)
        token = delivery.query.get("token")
        if not token:
            raise SignatureMissing("an unsigned SF push needs the tenant's token in the URL")
        if not _same(keys.secret, token):
            raise SignatureInvalid("the URL token is not this tenant's")
        return {"verified_by": "token"}

    @staticmethod
    def _verify_digest(keys: Keys, envelope: dict[str, str]) -> dict[str, Any]:
        if not keys.checkword:
            raise SignatureInvalid("configure the SF checkword to verify msgDigest")
        signed = envelope["msgData"] + envelope.get("timestamp", "") + keys.checkword
        received = envelope["msgDigest"].strip()
        variants = {"plain": signed, "quote_plus": quote_plus(signed, encoding="utf-8")}
        for variant, text in variants.items():
            expected = base64.b64encode(_md5(text)).decode()
            if _same(expected, received):
                return {"verified_by": "msgDigest", "digest_variant": variant}
        raise SignatureInvalid("msgDigest is not b64(MD5(msgData + timestamp + checkword))")

    def parse(self, delivery: Delivery) -> Push:
        envelope = self._envelope(delivery)
        raw = envelope["msgData"] if envelope is not None else delivery.body
        document = _json(raw, "the SF push")
        routes = self._routes(document)
        by_number: dict[str, list[ScanIn]] = {}
        for route in routes:
            number = _text(route.get("mailno") or route.get("mailNo"), 64)
            if not number:
                raise PushMalformed("each WaybillRoute carries mailno")
            by_number.setdefault(number, []).append(
                ScanIn(
                    at=_time(route.get("acceptTime")),
                    code=_text(route.get("opCode") or route.get("opcode"), 32),
                    text=_text(route.get("remark")),
                    location=_text(route.get("acceptAddress"), 200) or None,
                )
            )
        parcels = tuple(
            ParcelPush(("shunfeng",), number, self.name, tuple(scans))
            for number, scans in by_number.items()
        )
        return Push(self.message_id(delivery), "sf.route", parcels, {})

    @staticmethod
    def _routes(document: Any) -> list[dict[str, Any]]:
        body = document.get("Body", document) if isinstance(document, dict) else None
        routes = body.get("WaybillRoute") if isinstance(body, dict) else None
        if isinstance(routes, dict):
            routes = [routes]  # one route may come unwrapped
        if not isinstance(routes, list) or not routes:
            raise PushMalformed("the SF push carries WaybillRoute")
        if not all(isinstance(r, dict) for r in routes):
            raise PushMalformed("each WaybillRoute is an object")
        return routes

    def ok(self) -> dict[str, Any]:
        return {"return_code": "0000", "return_msg": "成功"}

    def failure(self, error: AppError) -> dict[str, Any]:
        return {"return_code": "1000", "return_msg": error.message}

    def check_keys(self, keys: Keys) -> None:
        if len(keys.secret) < 16:
            raise TrackingSecretInvalid("the SF URL token is at least 16 characters")


class Cainiao:
    name = "cainiao"

    def message_id(self, delivery: Delivery) -> str:
        form = _form(delivery.body)
        if form.get("msg_id"):
            return "cainiao:" + form["msg_id"][:100]
        return "cainiao:" + _digest(form.get("logistics_interface", ""))

    def verify(self, keys: Keys, delivery: Delivery, *, now: datetime) -> dict[str, Any]:
        form = _form(delivery.body)
        if "logistics_interface" not in form:
            raise PushMalformed("a Cainiao push carries logistics_interface")
        if not form.get("data_digest"):
            raise SignatureMissing("a Cainiao push carries data_digest")
        raw = _md5(form["logistics_interface"] + keys.secret)
        if not _same(base64.b64encode(raw).decode(), form["data_digest"]):
            raise SignatureInvalid("data_digest is not b64(MD5(logistics_interface + secret))")
        provider = form.get("logistic_provider_id")
        if keys.app_key and provider and not _same(keys.app_key, provider):
            raise SignatureInvalid("logistic_provider_id is not this tenant's app key")
        return {"msg_type": _text(form.get("msg_type"), 64)}

    def parse(self, delivery: Delivery) -> Push:
        form = _form(delivery.body)
        document = _json(form.get("logistics_interface", ""), "logistics_interface")
        if not isinstance(document, dict):
            raise PushMalformed("logistics_interface is an object")
        number = _text(document.get("mailNo"), 64)
        carrier = _text(document.get("cpCode"), 64)
        if not number or not carrier:
            raise PushMalformed("logistics_interface carries mailNo and cpCode")
        traces = document.get("traces", [document])
        if not isinstance(traces, list) or not all(isinstance(t, dict) for t in traces):
            raise PushMalformed("traces is a list of objects")
        scans = tuple(
            ScanIn(
                at=_time(trace.get("time")),
                code=_text(trace.get("action"), 32).upper(),
                text=_text(trace.get("desc") or trace.get("standerdDesc")),
                location=_text(trace.get("city") or trace.get("facilityName"), 200) or None,
            )
            for trace in traces
        )
        topic = "cainiao." + (_text(form.get("msg_type"), 64) or "trace")
        parcel = ParcelPush((carrier,), number, self.name, scans)
        return Push(self.message_id(delivery), topic, (parcel,), {})

    def ok(self) -> dict[str, Any]:
        return {"success": "true", "errorCode": "", "errorMsg": ""}

    def failure(self, error: AppError) -> dict[str, Any]:
        return {"success": "false", "errorCode": error.code, "errorMsg": error.message}

    def check_keys(self, keys: Keys) -> None:
        if len(keys.secret) < 8:
            raise TrackingSecretInvalid("use the Cainiao secretKey (at least 8 characters)")
        if not keys.app_key:
            raise TrackingSecretInvalid("Cainiao also needs --app-key")


_STANDARD_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")


class Generic:
    """``{"carrier", "tracking_no", "scheme", "events": [{"at", "code", "text", "location"}]}``.

    ``scheme`` names the code set of ``code`` (``aftership``, ``17track``, ``kuaidi100``,
    ``sf``, ``cainiao``), so an aggregator's statuses pass through the same table.
    """

    name = "generic"

    def message_id(self, delivery: Delivery) -> str:
        return "generic:" + (delivery.headers.get("webhook-id") or "")[:100]

    def verify(self, keys: Keys, delivery: Delivery, *, now: datetime) -> dict[str, Any]:
        headers = delivery.headers
        if not all(headers.get(h) for h in _STANDARD_HEADERS):
            raise SignatureMissing("send webhook-id, webhook-timestamp and webhook-signature")
        try:
            standard_webhooks.verify(keys.secret, headers, delivery.body, now=now)
        except standard_webhooks.TimestampSkew as skew:
            raise TimestampOutOfTolerance(
                timestamp=skew.timestamp.isoformat(), server_time=skew.server_time.isoformat()
            ) from None
        except (standard_webhooks.WebhookVerificationError, ValueError) as error:
            raise SignatureInvalid(f"webhook-signature does not verify: {error}") from None
        return {}

    def parse(self, delivery: Delivery) -> Push:
        document = _json(delivery.body, "the body")
        if not isinstance(document, dict):
            raise PushMalformed("the body is a JSON object")
        number, carrier = _text(document.get("tracking_no"), 64), _text(document.get("carrier"), 64)
        scheme = _text(document.get("scheme"), 16) or "aftership"
        events = document.get("events")
        if not number or not carrier or not isinstance(events, list):
            raise PushMalformed("the body carries carrier, tracking_no and events")
        if not all(isinstance(e, dict) for e in events):
            raise PushMalformed("events is a list of objects")
        scans = tuple(
            ScanIn(
                at=_time(e.get("at")),
                code=_text(e.get("code"), 32),
                text=_text(e.get("text")),
                location=_text(e.get("location"), 200) or None,
            )
            for e in events
        )
        parcel = ParcelPush((carrier,), number, scheme, scans)
        return Push(self.message_id(delivery), "generic.tracking", (parcel,), {})

    def ok(self) -> dict[str, Any]:
        return {"status": "accepted"}

    def failure(self, error: AppError) -> dict[str, Any]:
        return {}

    def check_keys(self, keys: Keys) -> None:
        try:
            standard_webhooks.check_secret(keys.secret)
        except ValueError as error:
            raise TrackingSecretInvalid(str(error)) from None


_ADAPTERS: dict[str, Adapter] = {a.name: a for a in (Kuaidi100(), SF(), Cainiao(), Generic())}


def known_protocols() -> list[str]:
    return sorted(_ADAPTERS)


def adapter_for(protocol: str) -> Adapter | None:
    return _ADAPTERS.get(protocol)
