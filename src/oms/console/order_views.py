"""Console orders: the list (filters, status tabs, bulk hold / release, CSV and Excel
export) and the order page, the customer-service workspace (events with reasons, notes,
refund requests).

Cancel, hold and close take two steps: the button opens a confirmation with a reason; only
the confirmation posts. A refund request likewise shows its summary before it is sent.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from oms.config import Settings
from oms.console import forms, i18n, order_export
from oms.console import queries as console_queries
from oms.console.deps import Cursor, Db, Flashed, actor_of, flash_after, next_url, see_other
from oms.console.render import render
from oms.console.session import CurrentUser, PostingUser, posting_permitted
from oms.core.errors import AppError, ValidationFailed
from oms.core.ids import new_id
from oms.fulfilment import service as shipping
from oms.orders import notes
from oms.orders import queries as order_queries
from oms.orders import service as order_service
from oms.orders.schemas import NoteIn
from oms.refunds import service as refunds
from oms.refunds.schemas import RefundReason
from oms.users.schemas import SessionUser

__all__ = ["router"]

router = APIRouter(prefix="/console", include_in_schema=False)
NoteWriter = Annotated[SessionUser, Depends(posting_permitted("orders:service"))]
Shipper = Annotated[SessionUser, Depends(posting_permitted("orders:fulfil"))]
RefundRequester = Annotated[SessionUser, Depends(posting_permitted("refunds:request"))]
ORDERS = "/console/orders"
# The list's own query parameters, kept on tab, sort and paging links (not the cursor).
_LIST_KEYS = tuple(forms.OrderListQuery.model_fields)
Texts = Annotated[str | None, Query(max_length=64)]


def _list_params(request: Request) -> list[tuple[str, str]]:
    return [(k, v) for k, v in request.query_params.multi_items() if k in _LIST_KEYS and v]


@router.get("/orders", response_class=HTMLResponse, response_model=None)
def orders_list(
    request: Request,
    db: Db,
    user: CurrentUser,
    notice: Flashed,
    query: Annotated[forms.OrderListQuery, Query()],
    cursor: Cursor = None,
    export: Texts = None,
    order_id: Annotated[list[str], Query(max_length=36)] = [],  # noqa: B006 - ticked rows
    ok: int = 0,
    failed: int = 0,
) -> HTMLResponse | StreamingResponse:
    """Orders, filtered and sorted, with status tabs; ``export=csv|xlsx`` streams every match."""
    flt = forms.order_filter(**query.model_dump(), cursor=cursor, timezone=user.timezone)
    if export in order_export.FORMATS:
        return _export(db, user, forms.export_filter(flt, order_id), export)
    settings: Settings = request.app.state.settings
    shown = console_queries.orders_page(db, user, flt, overlap_s=settings.sync_overlap_seconds)
    params = _list_params(request)
    return render(
        request,
        "orders.html",
        user=user,
        active="orders",
        notice=notice,
        page=shown.listed.page,
        counts=shown.counts,
        total=shown.total,
        filters=dict(params),
        statuses=[s.value for s in flt.statuses],
        params=params,
        sort=flt.sort,
        next_url=next_url(ORDERS, shown.listed.page.next_cursor, params),
        bulk_done=notice.done,
        bulk_ok=ok,
        bulk_failed=failed,
        **i18n.ORDER_PAGE_LABELS,
    )


def _export(
    db: Db, user: SessionUser, flt: order_queries.OrderFilter, fmt: str
) -> StreamingResponse:
    flt = console_queries.with_tracking(db, user, flt)
    rows = order_queries.iter_export_rows(db, user.tenant_id, flt)
    gettext = i18n.translations(user.locale if user.locale in i18n.LOCALES else "zh-CN").gettext
    write = order_export.xlsx_chunks if fmt == "xlsx" else order_export.csv_chunks
    chunks = write(rows, timezone=user.timezone, gettext=gettext)
    stamp = db.clock.now().strftime("%Y%m%d-%H%M%S")
    disposition = f'attachment; filename="{order_export.filename(stamp, fmt)}"'
    return StreamingResponse(
        chunks,
        media_type=order_export.FORMATS[fmt],
        headers={"Content-Disposition": disposition, "Cache-Control": "no-store"},
    )


@router.post("/orders/bulk", response_model=None)
def bulk_event(
    request: Request,
    db: Db,
    user: PostingUser,
    event: Annotated[str, Form(max_length=32)],
    order_id: Annotated[list[str], Form()] = [],  # noqa: B006 - FastAPI copies it
    reason_code: Annotated[str, Form(max_length=64)] = "",
    reason_text: Annotated[str, Form(max_length=2000)] = "",
    back: Annotated[str, Form(max_length=2000)] = "",
    confirmed: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    """Hold or release the ticked orders in two steps, like an order page's hold: the list's
    button shows the orders with a reason to give; only that confirmation acts, each order in
    its own transaction. Both need a reason here (kept on each order's timeline).

    Refusals (another status, a lost race) are counted, recorded on each order's timeline,
    and do not stop the others.
    """
    if event not in {e.value for e in forms.BULK_EVENTS}:
        raise ValidationFailed("not a bulk action", field="event")
    ids = forms.bulk_ids(order_id)
    target = back if back.startswith(f"{ORDERS}?") or back == ORDERS else ORDERS
    if confirmed != "1":
        return _bulk_confirmation(request, db, user, event, ids, target)
    if not reason_code.strip():
        raise ValidationFailed(f"bulk {event} needs a reason", field="reason_code")
    command = forms.event_command(event, None, reason_code=reason_code, reason_text=reason_text)
    actor = actor_of(request, user)
    done = failed = 0
    for one in ids:
        try:
            result = order_service.apply_event(db, actor, one, command)
            done += result.outcome in ("applied", "duplicate")
        except AppError:
            failed += 1
    query = urlencode({"done": event, "ok": done, "failed": failed})
    return see_other(f"{target}{'&' if '?' in target else '?'}{query}")


def _bulk_confirmation(
    request: Request, db: Db, user: SessionUser, event: str, ids: list[str], back: str
) -> HTMLResponse:
    """The ticked orders (this tenant's; others are not shown) and the reason to give."""
    shown = []
    for one in ids:
        try:
            shown.append(order_queries.get_order(db, user.tenant_id, one))
        except AppError:
            continue  # gone or another tenant's: the confirmation posts only what it shows
    return render(
        request,
        "orders_confirm.html",
        user=user,
        active="orders",
        event=event,
        orders=shown,
        back=back,
        **i18n.ORDER_PAGE_LABELS,
    )


@router.get("/orders/bulk")
def bulk_page() -> RedirectResponse:
    """The confirmation is a post's answer; reloading it (or switching language) goes back."""
    return see_other(ORDERS)


@router.get("/orders/{order_id}", response_class=HTMLResponse)
def order_page(
    request: Request,
    db: Db,
    user: CurrentUser,
    order_id: str,
    notice: Flashed,
    outcome: Texts = None,
    confirm: Texts = None,
) -> HTMLResponse:
    """One order: payments, refunds, shipments, holds, notes and its provenance timeline."""
    return _order_page(request, db, user, order_id, notice=notice, outcome=outcome, confirm=confirm)


def _order_page(
    request: Request,
    db: Db,
    user: SessionUser,
    order_id: str,
    *,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    detail = console_queries.order_detail(db, user, order_id)
    confirm = context.pop("confirm", None)
    confirming = confirm if confirm in {e.value for e in detail.actions} else None
    return render(
        request,
        "order.html",
        user=user,
        active="orders",
        status_code=status_code,
        detail=detail,
        confirming=confirming,
        reasoned={e.value for e in forms.REASONED_EVENTS},
        refund_reasons=[r.value for r in RefundReason],
        reason_parts=forms.reason_parts,
        **(i18n.ORDER_PAGE_LABELS | context),
    )


@router.post("/orders/{order_id}/events")
def post_event(
    request: Request,
    db: Db,
    user: PostingUser,
    order_id: str,
    event: Annotated[str, Form(max_length=32)],
    expected_version: Annotated[int | None, Form(ge=1)] = None,
    reason_code: Annotated[str, Form(max_length=64)] = "",
    reason_text: Annotated[str, Form(max_length=2000)] = "",
) -> RedirectResponse:
    """Apply an event as this user; refusals are recorded and shown (403 page or flash).

    Cancel, hold and close need a reason (the confirmation step asks for it).
    """
    command = forms.event_command(
        event, expected_version, reason_code=reason_code, reason_text=reason_text
    )
    result = order_service.apply_event(db, actor_of(request, user), order_id, command)
    return see_other(f"{ORDERS}/{order_id}", done=event, outcome=result.outcome)


@router.post("/orders/{order_id}/shipments")
def post_shipment(
    request: Request,
    db: Db,
    user: Shipper,
    order_id: str,
    carrier: Annotated[str, Form(max_length=64)] = "",
    tracking_no: Annotated[str, Form(max_length=64)] = "",
    sku: Annotated[list[str] | None, Form(max_length=64)] = None,
    qty: Annotated[list[str] | None, Form(max_length=12)] = None,
) -> RedirectResponse:
    """Ship a parcel of some lines with a carrier and tracking number (the API's ship)."""
    actor = actor_of(request, user)

    def ship() -> object:
        command = forms.ship_command(
            carrier=carrier, tracking_no=tracking_no, skus=sku or [], qtys=qty or []
        )
        return shipping.ship_order(db, actor, order_id, command)

    return flash_after(f"{ORDERS}/{order_id}", "shipped_parcel", ship)


@router.post("/orders/{order_id}/notes")
def post_note(
    request: Request,
    db: Db,
    user: NoteWriter,
    order_id: str,
    body: Annotated[str, Form(max_length=20_000)] = "",
) -> RedirectResponse:
    """Add an internal note; an empty or too long one comes back as a flash message."""
    actor = actor_of(request, user)
    return flash_after(
        f"{ORDERS}/{order_id}",
        "note_added",
        lambda: notes.add_note(db, actor, order_id, NoteIn(body=body), source=forms.CONSOLE_SOURCE),
    )


@router.post("/orders/{order_id}/refunds", response_model=None)
def request_refund(
    request: Request,
    db: Db,
    user: RefundRequester,
    order_id: str,
    reason: Annotated[str, Form(max_length=64)],
    amount: Annotated[str, Form(max_length=32)] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
    sku: Annotated[list[str], Form(max_length=64)] = [],  # noqa: B006 - FastAPI copies it
    qty: Annotated[list[str], Form(max_length=12)] = [],  # noqa: B006 - one per sku
    confirmed: Annotated[str, Form(max_length=8)] = "",
    request_id: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """First post: the summary to confirm (lines and the amount they come to). The
    confirmation's post sends the request through the refunds service, as the API does."""
    if len(sku) > forms.MAX_REFUND_LINES:
        raise ValidationFailed("too many lines", field="sku")
    typed = forms.refund_form(
        amount=amount,
        reason=reason,
        note=note,
        skus=sku,
        qtys=qty,
        refundable=console_queries.refundable_lines(
            db, user, order_id, request_id=request_id if confirmed == "1" else None
        ),
    )
    if confirmed != "1":
        return _order_page(
            request, db, user, order_id, refund_preview=typed, refund_request_id=new_id()
        )
    actor = actor_of(request, user)
    command = typed.command(order_id, request_id)
    return flash_after(
        f"{ORDERS}/{order_id}",
        "refund_requested",
        lambda: refunds.request_refund(db, actor, command),
    )
