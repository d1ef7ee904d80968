"""Packing slips (per order) and pick lists (per wave of orders) as PDF with Chinese text.

fpdf2 embeds a subset of Noto Sans CJK SC (Debian's ``fonts-noto-cjk``), so the PDF shows
the same on any printer. The documents read orders and plans through their services only.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from fpdf import FPDF

from oms.core.uow import Database
from oms.fulfilment.errors import FontMissing
from oms.fulfilment.planning import service as planning
from oms.orders.queries import get_order
from oms.orders.schemas import OrderOut

__all__ = ["FONT_PATHS", "MAX_WAVE", "document", "packing_slip_pdf", "pick_list_pdf"]

# Debian's fonts-noto-cjk; index 2 of the collection is Simplified Chinese (SC).
FONT_PATHS = (
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc"),
)
_SC = 2
MAX_WAVE = 200
_PICK_WIDTHS = (28, 36, 50, 18, 58)  # millimetres, A4 minus margins


def packing_slip_pdf(db: Database, tenant_id: str, order_id: str) -> bytes:
    """The order's packing slip: buyer, address, lines, and the planned parcels.

    Raises: ERR_ORDER_NOT_FOUND, ERR_DOCUMENT_FONT_MISSING.
    """
    order = get_order(db, tenant_id, order_id)
    plan = planning.find_plan(db, tenant_id, order_id)
    pdf = document()
    _slip_page(pdf, order)
    for shipment in plan.shipments if plan else []:
        carrier = f"{shipment['carrier'] or '—'} {shipment.get('service') or ''}"
        _row(pdf, ["包裹 Parcel", str(shipment["warehouse"]), carrier], (40, 60, 90))
    return bytes(pdf.output())


def pick_list_pdf(db: Database, tenant_id: str, order_ids: Sequence[str]) -> bytes:
    """One pick list for a wave: units per (warehouse, SKU), with the orders that need them.

    Raises: ERR_ORDER_NOT_FOUND (any order of the wave), ERR_DOCUMENT_FONT_MISSING.
    """
    picks: dict[tuple[str, str], tuple[str, int, list[str]]] = {}
    for order_id in dict.fromkeys(order_ids):
        order = get_order(db, tenant_id, order_id)
        names = {line.sku: line.name for line in order.lines}
        for warehouse, sku, qty in _units(db, tenant_id, order):
            name, total, orders = picks.get((warehouse, sku), (names.get(sku, ""), 0, []))
            picks[(warehouse, sku)] = (name, total + qty, [*orders, order.order_no])
    pdf = document()
    pdf.add_page()
    _title(pdf, f"拣货单 Pick list · {len(dict.fromkeys(order_ids))} 单 orders")
    _row(
        pdf, ["仓库 Warehouse", "SKU", "商品 Item", "数量 Qty", "订单 Orders"], (28, 36, 50, 18, 58)
    )
    for (warehouse, sku), (name, total, orders) in sorted(picks.items()):
        _row(pdf, [warehouse, sku, name, str(total), " ".join(orders)], (28, 36, 50, 18, 58))
    return bytes(pdf.output())


def _units(db: Database, tenant_id: str, order: OrderOut) -> list[tuple[str, str, int]]:
    """(warehouse, sku, qty) to pick: the plan's, else every line from the first warehouse."""
    plan = planning.find_plan(db, tenant_id, order.id)
    if plan is not None and plan.shipments:
        return [
            (str(s["warehouse"]), str(line["sku"]), int(line["qty"]))
            for s in plan.shipments
            for line in s["lines"]
        ]
    return [("—", line.sku, line.qty) for line in order.lines]


def document() -> FPDF:
    """An A4 PDF with Noto Sans CJK SC embedded. Raises: ERR_DOCUMENT_FONT_MISSING."""
    font = next((p for p in FONT_PATHS if p.exists()), None)
    if font is None:
        raise FontMissing("install fonts-noto-cjk", paths=[str(p) for p in FONT_PATHS])
    pdf = FPDF(format="A4")
    pdf.add_font("cjk", fname=str(font), collection_font_number=_SC)
    pdf.set_font("cjk", size=10)
    pdf.set_auto_page_break(auto=True, margin=15)
    return pdf


def _slip_page(pdf: FPDF, order: OrderOut) -> None:
    pdf.add_page()
    _title(pdf, f"装箱单 Packing slip · {order.order_no}")
    address = order.shipping_address or {}
    where = " ".join(
        str(address[k]) for k in ("province", "city", "district", "line1") if address.get(k)
    )
    # The receiver's name, never the phone: slips travel on the outside of the parcel.
    name = address.get("name") or order.buyer.get("name") or "—"
    pdf.multi_cell(0, 6, text=f"收货人 To: {name}\n地址 Address: {where or '—'}")
    pdf.ln(2)
    _row(pdf, ["SKU", "商品 Item", "数量 Qty"], (50, 110, 30))
    for line in order.lines:
        _row(pdf, [line.sku, line.name, str(line.qty)], (50, 110, 30))
    pdf.ln(4)


def _title(pdf: FPDF, text: str) -> None:
    pdf.set_font_size(16)
    pdf.cell(0, 10, text=text, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font_size(10)


def _row(pdf: FPDF, cells: list[str], widths: tuple[int, ...]) -> None:
    for text, width in zip(cells, widths, strict=True):
        pdf.cell(width, 7, text=text[:60], border=1)
    pdf.ln()
