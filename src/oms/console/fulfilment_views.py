"""Console fulfilment desk: parcels counted by tracking status and sub-status, a paged parcel
list filtered by status, sub-status and carrier, the stalled parcels (open ``delivery_stalled``
tickets with their suggested actions) and the other interventions (open exception and return
tickets). Every read goes through the tracking domain's queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from oms.console.deps import Cursor, Db, next_url
from oms.console.render import render
from oms.console.session import permitted
from oms.core.errors import ValidationFailed
from oms.core.paging import PageRequest
from oms.core.uow import Database
from oms.fulfilment.tracking import queries
from oms.fulfilment.tracking.queries import Interventions, ParcelCounts, ParcelFilter
from oms.fulfilment.tracking.schemas import ParcelOut
from oms.orders import queries as order_queries
from oms.tickets.states import TicketKind
from oms.users.schemas import SessionUser

__all__ = ["router"]

router = APIRouter(prefix="/console", include_in_schema=False)
PAGE = "/console/fulfilment"
LIST_SIZE = 50
# Whoever ships parcels watches them: warehouse, ops, admin.
FulfilmentReader = Annotated[SessionUser, Depends(permitted("fulfilment:read"))]
Filter = Annotated[str | None, Query(max_length=64)]


@dataclass(frozen=True, slots=True)
class FulfilmentDesk:
    counts: ParcelCounts
    parcels: list[ParcelOut]
    next_cursor: str | None
    order_numbers: dict[str, str]
    stalled: Interventions
    interventions: Interventions
    now: datetime


def fulfilment_desk(
    db: Database, user: SessionUser, flt: ParcelFilter, cursor: str | None
) -> FulfilmentDesk:
    """The page's data. Raises: ERR_VALIDATION (a cursor another list made)."""
    tenant_id = user.tenant_id
    page = queries.parcel_page(db, tenant_id, flt, page=PageRequest(LIST_SIZE, cursor))
    stalled = queries.open_interventions(db, tenant_id, [TicketKind.DELIVERY_STALLED])
    others = queries.open_interventions(db, tenant_id, queries.INTERVENTION_KINDS)
    order_ids = [p.order_id for p in page.items]
    order_ids += [t.order_id for t in stalled.items + others.items if t.order_id]
    numbers = order_queries.order_references(db, tenant_id, order_ids)
    return FulfilmentDesk(
        counts=queries.parcel_counts(db, tenant_id, carrier=flt.carrier),
        parcels=page.items,
        next_cursor=page.next_cursor,
        order_numbers={order_id: ref.order_no for order_id, ref in numbers.items()},
        stalled=stalled,
        interventions=others,
        now=db.clock.now(),
    )


@router.get("/fulfilment", response_class=HTMLResponse)
def fulfilment_page(
    request: Request,
    db: Db,
    user: FulfilmentReader,
    status: Filter = None,
    sub_status: Filter = None,
    carrier: Filter = None,
    cursor: Cursor = None,
) -> HTMLResponse:
    """The desk; an unknown filter value is named on the page (422) and the list shows all."""
    filter_error: ValidationFailed | None = None
    try:
        flt = queries.parcel_filter(status=status, sub_status=sub_status, carrier=carrier)
    except ValidationFailed as error:
        filter_error, flt, cursor = error, ParcelFilter(), None
    desk = fulfilment_desk(db, user, flt, cursor)
    params = {"status": flt.status, "sub_status": flt.sub_status, "carrier": flt.carrier}
    kept = {key: value for key, value in params.items() if value}
    return render(
        request,
        "fulfilment.html",
        user=user,
        active="fulfilment",
        status_code=422 if filter_error else 200,
        desk=desk,
        flt=flt,
        filters=kept,
        filter_error=filter_error,
        next_url=next_url(PAGE, desk.next_cursor, kept.items()),
    )
