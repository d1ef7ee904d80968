"""Orders over HTTP: thin routes that parse, call one service or query, and render."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from oms.core.clock import floor_seconds
from oms.core.instants import Instant
from oms.core.paging import DEFAULT_LIMIT, Cursor, Limit, Page, Paging
from oms.http.conditional import http_date, is_not_modified, parse_http_date
from oms.http.deps import AppSettings, CurrentActor, CurrentPrincipal, Db, requires
from oms.inventory.schemas import ReservationOut
from oms.orders import notes, queries, service
from oms.orders.schemas import (
    EventResult,
    NoteIn,
    NoteOut,
    OrderBatchIn,
    OrderBatchOut,
    OrderBatchResult,
    OrderCreate,
    OrderEventIn,
    OrderOut,
    OrderPage,
    TimelineEntry,
)
from oms.orders.states import OrderStatus

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/orders", tags=["orders"])
_CACHE_CONTROL = "private, no-cache"


def _etag(order: OrderOut) -> str:
    return f'"{order.version}{"-t" if order.timeout_pending else ""}"'


def _validators(response: Response, order: OrderOut) -> None:
    response.headers["ETag"] = _etag(order)
    response.headers["Last-Modified"] = http_date(order.updated_at)
    response.headers["Cache-Control"] = _CACHE_CONTROL


@router.post(
    "",
    status_code=201,
    dependencies=[requires("orders:create")],
    responses={200: {"model": OrderOut, "description": "the order already existed"}},
)
def create_order(body: OrderCreate, actor: CurrentActor, db: Db, response: Response) -> OrderOut:
    """Create an order; the same channel and external id returns the existing one (200)."""
    placed = service.place_order(db, actor, body)
    response.status_code = 201 if placed.created else 200
    response.headers["Location"] = f"/api/v1/orders/{placed.order.id}"
    _validators(response, placed.order)
    return placed.order


@router.post("/batch", dependencies=[requires("orders:create")], response_model_exclude_none=True)
def create_orders(body: OrderBatchIn, actor: CurrentActor, db: Db) -> OrderBatchOut:
    """Place up to 500 orders, each on its own exactly as ``POST /api/v1/orders``; per item,
    in order: 201 new, 200 existing, or the error's status and code."""
    results = service.place_orders(db, actor, body.orders)
    return OrderBatchOut(
        results=[
            OrderBatchResult(index=r.index, status=r.status, order_id=r.id, code=r.code)
            for r in results
        ]
    )


@router.get(
    "/{order_id}",
    response_model=OrderOut,
    dependencies=[requires("orders:read")],
    responses={304: {"description": "not modified"}},
)
def read_order(
    order_id: str, principal: CurrentPrincipal, db: Db, request: Request, response: Response
) -> OrderOut | Response:
    """One order, with ETag and Last-Modified; conditional GETs answer 304."""
    order = queries.get_order(db, principal.tenant_id, order_id)
    if is_not_modified(request.headers, etag=_etag(order), last_modified=order.updated_at):
        not_modified = Response(status_code=304)
        _validators(not_modified, order)
        return not_modified
    _validators(response, order)
    return order


@router.get(
    "",
    response_model=OrderPage,
    dependencies=[requires("orders:read")],
    responses={304: {"description": "nothing changed since If-Modified-Since"}},
)
def list_orders(
    principal: CurrentPrincipal,
    db: Db,
    settings: AppSettings,
    request: Request,
    response: Response,
    status: Annotated[list[OrderStatus], Query()] = [],  # noqa: B006 - FastAPI copies it
    channel: Annotated[str | None, Query(max_length=64)] = None,
    created_from: Instant | None = None,
    created_to: Instant | None = None,
    updated_from: Instant | None = None,
    updated_to: Instant | None = None,
    updated_since: Annotated[
        Instant | None,
        Query(description="incremental sync: oldest change first, from this instant on"),
    ] = None,
    q: Annotated[
        str | None,
        Query(max_length=64, description="order number, external id or phone suffix (≥4)"),
    ] = None,
    stock_shortage: Annotated[
        bool | None,
        Query(description="true: orders with lines short of stock, waiting for it"),
    ] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> OrderPage | Response:
    """Orders newest first, or changes oldest first with ``updated_since`` (sync)."""
    flt = queries.OrderFilter(
        statuses=status,
        channel=channel,
        created_from=created_from,
        created_to=created_to,
        updated_from=updated_since or updated_from,
        updated_to=updated_to,
        q=q,
        stock_shortage=stock_shortage,
        sync=updated_since is not None,
        limit=limit,
        cursor=cursor,
    )
    listed = queries.list_orders(
        db, principal.tenant_id, flt, overlap_s=settings.sync_overlap_seconds
    )
    headers = {"Last-Modified": http_date(listed.last_modified), "Cache-Control": _CACHE_CONTROL}
    since = parse_http_date(request.headers.get("if-modified-since"))
    if since is not None and (
        listed.newest_update is None or floor_seconds(listed.newest_update) < since
    ):
        return Response(status_code=304, headers=headers)
    response.headers.update(headers)
    return listed.page


@router.post("/{order_id}/events")
def post_event(order_id: str, body: OrderEventIn, actor: CurrentActor, db: Db) -> EventResult:
    """Apply a lifecycle event. Duplicates and stale events answer 200 and change nothing.

    An event older than a later status change from another source answers 409
    ERR_ORDER_STALE_EVENT, stays on the timeline as a conflict and goes to a status-conflict
    ticket. ``payment_timeout`` is the system's own event: 403 for anyone else.
    """
    return service.apply_event(db, actor, order_id, body)


@router.get("/{order_id}/timeline", dependencies=[requires("orders:read")])
def read_timeline(
    order_id: str, principal: CurrentPrincipal, db: Db, page: Paging
) -> Page[TimelineEntry]:
    """Every attempt to change the order, oldest first, paged: the state provenance panel."""
    return queries.timeline_page(db, principal.tenant_id, order_id, page=page)


@router.get("/{order_id}/reservations", dependencies=[requires("orders:read")], tags=["stock"])
def read_reservations(
    order_id: str, principal: CurrentPrincipal, db: Db, page: Paging
) -> Page[ReservationOut]:
    """The order's stock holds and what became of them, paged. Raises ERR_ORDER_NOT_FOUND."""
    return queries.order_reservations(db, principal.tenant_id, order_id, page=page)


@router.post(
    "/{order_id}/notes",
    status_code=201,
    dependencies=[requires("orders:service")],
)
def post_note(order_id: str, body: NoteIn, actor: CurrentActor, db: Db) -> NoteOut:
    """Add a merchant's internal note (1-2000 characters; 422 ERR_ORDER_NOTE_INVALID)."""
    return notes.add_note(db, actor, order_id, body, source="api")


@router.get("/{order_id}/notes", dependencies=[requires("orders:read")])
def read_notes(order_id: str, principal: CurrentPrincipal, db: Db, page: Paging) -> Page[NoteOut]:
    """The order's internal notes, oldest first, paged."""
    return notes.note_page(db, principal.tenant_id, order_id, page=page)
