"""Merchant-written message templates: Liquid (python-liquid 2) with hard limits.

Liquid, not Jinja: a Liquid template reaches only the variables it is given (no attribute
walk into Python objects), and the environment caps what one render may cost. A template is
checked when saved: parsed, then rendered once against a sample of every variable, so an
unknown filter, an ``include`` (no templates to include) or a limit broken by the sample is
refused with the parser's message. A template that breaks a limit at send time (a real order
with more items than the sample) is not truncated: the message fails with the error, logged.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from liquid import Environment
from liquid.exceptions import LiquidError

from oms.fulfilment.notify.errors import TemplateInvalid

__all__ = [
    "BLOCK_NESTING_LIMIT",
    "CONTEXT_DEPTH_LIMIT",
    "LOOP_ITERATION_LIMIT",
    "MAX_TEMPLATE",
    "OUTPUT_LIMIT",
    "SAMPLE",
    "check_template",
    "render",
]

MAX_TEMPLATE = 4000  # characters of template source
LOOP_ITERATION_LIMIT = 200  # loop iterations per render, nested loops counted together
OUTPUT_LIMIT = 2000  # bytes one render may write
CONTEXT_DEPTH_LIMIT = 10  # nested blocks / scopes
BLOCK_NESTING_LIMIT = 10


class _Limited(Environment):
    loop_iteration_limit: ClassVar[int | None] = LOOP_ITERATION_LIMIT
    output_stream_limit: ClassVar[int | None] = OUTPUT_LIMIT
    context_depth_limit: ClassVar[int] = CONTEXT_DEPTH_LIMIT
    block_nesting_limit: ClassVar[int] = BLOCK_NESTING_LIMIT
    local_namespace_limit: ClassVar[int | None] = 20_000


_ENV = _Limited()

# What a template may name, with a value of each: the render on save uses it.
SAMPLE: dict[str, Any] = {
    "node": "shipped",
    "order": {
        "no": "SO202612030001",
        "status": "shipped",
        "channel": "youzan",
        "total": 12900,
        "total_yuan": "129.00",
        "currency": "CNY",
        "buyer_name": "张三",
        "province": "浙江省",
        "city": "杭州市",
        "placed_at": "2026-12-03 10:00",
    },
    "items": [
        {"sku": "FD-CHICKEN-500", "name": "冻干鸡肉粒", "qty": 2, "cold_chain": True,
         "needs": ["cold_chain"]},
    ],
    "carrier": "shunfeng",
    "tracking_no": "SF1234567890",
    "tracking_link": "https://www.kuaidi100.com/chaxun?com=shunfeng&nu=SF1234567890",
    "eta": {"from": "2026-12-05 09:00", "to": "2026-12-05 18:00"},
    "scan": {"status": "in_transit", "sub_status": "in_transit", "text": "快件已到达 广州转运中心",
             "location": "广东省广州市", "province": "广东省", "at": "2026-12-04 08:30"},
}  # fmt: skip


def check_template(source: str, *, field: str = "template") -> None:
    """Parse ``source`` and render it once against ``SAMPLE``.

    Raises: ERR_NOTIFICATION_TEMPLATE_INVALID with the parser's message.
    """
    if not source.strip():
        raise TemplateInvalid(f"the {field} is empty", field=field, problem="empty")
    if len(source) > MAX_TEMPLATE:
        raise TemplateInvalid(
            f"the {field} is longer than {MAX_TEMPLATE} characters", field=field, problem="too_long"
        )
    render(source, SAMPLE, field=field)


def render(source: str, variables: Mapping[str, Any], *, field: str = "template") -> str:
    """The rendered text. Raises: ERR_NOTIFICATION_TEMPLATE_INVALID (syntax, a limit)."""
    try:
        return _ENV.from_string(source).render(**variables)
    except LiquidError as exc:
        raise TemplateInvalid(
            f"{field}: {exc}", field=field, problem=type(exc).__name__, error=_first_line(exc)
        ) from None
    except (RecursionError, MemoryError):
        raise TemplateInvalid(
            f"{field}: too deeply nested", field=field, problem="nesting"
        ) from None


def _first_line(exc: LiquidError) -> str:
    return str(getattr(exc, "message", None) or exc).splitlines()[0]
