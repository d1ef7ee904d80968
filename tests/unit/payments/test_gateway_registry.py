"""The gateway registry: every gateway found by name, no dispatch on the credentials' type."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from oms.payments import ports
from oms.payments.errors import BadSignature, UnknownGateway
from oms.payments.gateways.alipay import AlipayCredentials, AlipayGateway
from oms.payments.gateways.base import RefundNotified
from oms.payments.gateways.registry import find_gateway, gateway_for, known_gateways
from oms.payments.gateways.wechatpay import WechatPayCredentials, WechatPayGateway
from oms.payments.schemas import AlipayConfigIn, GatewayName, WechatPayConfigIn

SRC = Path(__file__).resolve().parents[3] / "src" / "oms"
ADAPTERS = SRC / "payments" / "gateways"


def test_the_registry_holds_every_gateway_name() -> None:
    assert known_gateways() == sorted(GatewayName)
    assert isinstance(gateway_for("alipay"), AlipayGateway)
    assert isinstance(gateway_for(GatewayName.WECHATPAY), WechatPayGateway)
    for name in GatewayName:
        adapter = gateway_for(name)
        assert adapter.name == name
        assert adapter.config_model.gateway == name  # config validation finds the same adapter


def test_each_adapter_owns_its_config_model_and_secrets() -> None:
    assert gateway_for("alipay").config_model is AlipayConfigIn
    assert gateway_for("wechatpay").config_model is WechatPayConfigIn
    assert gateway_for("alipay").secret_fields == ("merchant_private_key",)
    assert gateway_for("wechatpay").secret_fields == ("merchant_private_key", "api_v3_key")


def test_an_unknown_gateway_is_a_coded_error() -> None:
    with pytest.raises(UnknownGateway) as caught:
        gateway_for("paypal")
    assert caught.value.code == "ERR_PAYMENT_UNKNOWN_GATEWAY"
    assert caught.value.http_status == 404
    assert "paypal" in caught.value.message
    assert find_gateway("paypal") is None


def test_adapters_build_their_own_credentials_from_what_config_stored() -> None:
    alipay = gateway_for("alipay").credentials(
        {"app_id": "2021", "public_key": "PUB", "base_url": "http://x", "seller_id": None},
        {"merchant_private_key": "PRIV"},
    )
    assert alipay == AlipayCredentials("2021", "PUB", "PRIV", "http://x", None)
    settings = {
        "mch_id": "m",
        "app_id": "a",
        "public_key": "PUB",
        "platform_public_key_id": "K",
        "merchant_serial": "AB",
        "base_url": "http://y",
    }
    secrets = {"merchant_private_key": "PRIV", "api_v3_key": "k" * 32}
    wechat = gateway_for("wechatpay").credentials(settings, secrets)
    assert wechat == WechatPayCredentials("m", "a", "k" * 32, "PUB", "K", "PRIV", "AB", "http://y")


def test_each_gateway_answers_in_its_own_protocol() -> None:
    refusal = BadSignature("no")
    assert gateway_for("alipay").accepted().body == b"success"
    assert gateway_for("alipay").refused(refusal).body == b"fail"
    assert gateway_for("wechatpay").accepted().status == 204
    refused = gateway_for("wechatpay").refused(refusal)
    assert (refused.status, refused.media_type) == (401, "application/json")
    assert b"ERR_PAYMENT_BAD_SIGNATURE" in refused.body


def test_a_refund_notification_goes_to_the_handler_refunds_plugged_in() -> None:
    seen: list[tuple[str, str, str, str]] = []

    def handler(
        db: object, tenant_id: str, notified: RefundNotified, *, source: str, inbox_id: str
    ) -> str:
        seen.append((tenant_id, notified.refund_id, source, inbox_id))
        return "refund_settled"

    before = ports._handlers.copy()
    try:
        ports.handle_refund_notifications(handler)
        notified = RefundNotified("m1", "refund:", "r1", True, "SUCCESS", None, 100, False)
        outcome = ports.refund_notified(
            None, "t1", notified, source="gateway:alipay", inbox_id="i1"
        )
        assert (outcome, seen) == ("refund_settled", [("t1", "r1", "gateway:alipay", "i1")])
        ports._handlers.clear()
        with pytest.raises(RuntimeError, match=r"refunds\.jobs\.register"):
            ports.refund_notified(None, "t1", notified, source="s", inbox_id="i")
    finally:
        ports._handlers.clear()
        ports._handlers.update(before)


def _credential_types() -> set[str]:
    """Names of the adapters' credentials and config classes (``*Credentials``, ``*ConfigIn``)."""
    names: set[str] = set()
    for path in [*ADAPTERS.glob("*.py"), SRC / "payments" / "schemas.py"]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef) and node.name.endswith(("Credentials", "ConfigIn")):
                names.add(node.name)
    return names


def _isinstance_on(node: ast.Call, names: set[str]) -> bool:
    if not (isinstance(node.func, ast.Name) and node.func.id == "isinstance") or len(node.args) < 2:
        return False
    return any(
        (isinstance(sub, ast.Name) and sub.id in names)
        or (isinstance(sub, ast.Attribute) and sub.attr in names)
        for sub in ast.walk(node.args[1])
    )


def test_nothing_dispatches_on_a_gateways_credentials_or_config_type() -> None:
    names = _credential_types()
    assert {"AlipayCredentials", "WechatPayCredentials", "AlipayConfigIn"} <= names
    found = [
        f"{path.relative_to(SRC)}:{node.lineno}"
        for path in SRC.rglob("*.py")
        if path.parent != ADAPTERS
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Call) and _isinstance_on(node, names)
    ]
    assert found == [], "dispatch through payments.gateways.registry.gateway_for instead"


def test_the_scan_sees_an_isinstance_dispatch() -> None:
    # The scan above must catch the shape it forbids, aliased or not.
    code = "if isinstance(creds, alipay.AlipayCredentials | WechatPayCredentials):\n    pass\n"
    calls = [n for n in ast.walk(ast.parse(code)) if isinstance(n, ast.Call)]
    assert any(
        _isinstance_on(call, {"AlipayCredentials", "WechatPayCredentials"}) for call in calls
    )
    assert not _isinstance_on(ast.parse("isinstance(x, dict)").body[0].value, {"AlipayCredentials"})
