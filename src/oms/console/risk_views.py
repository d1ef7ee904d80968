"""Console risk desk: the queue of orders held for risk with their facts (release or cancel,
with a reason), the parcels the delay model flagged (accept or decline the suggestion), the
rule editor (checked on save, dry run over the last 30 days), and the blacklist import."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse

from oms.console import forms
from oms.console.deps import Cursor, Db, Flashed, Notice, actor_of, flash_after, validated
from oms.console.render import render
from oms.console.session import permitted, posting_permitted
from oms.core.errors import AppError
from oms.core.paging import PageRequest
from oms.risk import blacklist, delays, queries, rulebook, service
from oms.risk.errors import RuleInvalid
from oms.risk.schemas import DelayDecisionIn, DryRunIn, DryRunOut, RuleIn
from oms.users.schemas import SessionUser

__all__ = ["router"]

router = APIRouter(prefix="/console", include_in_schema=False)
PAGE = "/console/risk"
RiskReader = Annotated[SessionUser, Depends(permitted("risk:read"))]
RiskReviewer = Annotated[SessionUser, Depends(posting_permitted("risk:review"))]
RiskConfigurer = Annotated[SessionUser, Depends(posting_permitted("risk:configure"))]
Reason = Annotated[str, Form(max_length=1000)]
_DELAYS = 50


def _page(
    request: Request,
    db: Db,
    user: SessionUser,
    *,
    notice: Notice | None = None,
    status_code: int = 200,
    **extra: Any,
) -> HTMLResponse:
    return render(
        request,
        "risk.html",
        user=user,
        active="risk",
        notice=notice,
        status_code=status_code,
        queue=queries.risk_queue(db, user.tenant_id),
        rules=rulebook.list_rules(db, user.tenant_id),
        batches=queries.blacklist_batches(db, user.tenant_id),
        delays=delays.list_delays(
            db, user.tenant_id, page=PageRequest(limit=_DELAYS, cursor=extra.pop("cursor", None))
        ),
        **extra,
    )


@router.get("/risk", response_class=HTMLResponse)
def risk_page(
    request: Request,
    db: Db,
    user: RiskReader,
    notice: Flashed,
    dry_run: Annotated[str | None, Query(max_length=2000)] = None,
    cursor: Cursor = None,
) -> HTMLResponse:
    """The queue, the rules, the imports; with ``dry_run``, what that expression would have held."""
    report: DryRunOut | None = None
    dry_error: str | None = None
    if dry_run:
        try:
            report = rulebook.dry_run(db, user.tenant_id, DryRunIn(expression=dry_run))
        except RuleInvalid as exc:
            dry_error = exc.message
    return _page(
        request,
        db,
        user,
        notice=notice,
        report=report,
        dry_error=dry_error,
        dry_run=dry_run,
        cursor=cursor,
    )


@router.post("/risk/rules", response_class=HTMLResponse, response_model=None)
def save_rule(
    request: Request,
    db: Db,
    user: RiskConfigurer,
    name: Annotated[str, Form(max_length=100)],
    expression: Annotated[str, Form(max_length=4000)],
    action: Annotated[str, Form(max_length=16)],
    enabled: Annotated[str, Form(max_length=4)] = "",
    shadow: Annotated[str, Form(max_length=4)] = "",
) -> HTMLResponse | RedirectResponse:
    """Save a rule; a bad expression comes back on the page with the problem named (422)."""
    fields = {"name": name, "expression": expression, "action": action}
    try:
        data = RuleIn(**fields, enabled=bool(enabled), shadow=bool(shadow))
        rulebook.save_rule(db, actor_of(request, user), data)
    except (RuleInvalid, ValueError) as exc:
        message = exc.message if isinstance(exc, AppError) else "the name or action is not valid"
        return _page(request, db, user, status_code=422, rule_error=message, draft=fields)
    return RedirectResponse(f"{PAGE}?done=rule_saved", status_code=303)


@router.post("/risk/blacklist")
def import_blacklist(
    request: Request,
    db: Db,
    user: RiskConfigurer,
    file: Annotated[UploadFile, File()],
    kind: Annotated[str, Form(max_length=16)],
) -> RedirectResponse:
    """Import a blacklist CSV (multipart)."""
    content, actor = file.file.read(), actor_of(request, user)
    return flash_after(
        PAGE,
        "blacklist_imported",
        lambda: blacklist.import_blacklist(db, actor, kind=kind, content=content),
    )


@router.post("/risk/orders/{order_id}/release")
def release(
    request: Request, db: Db, user: RiskReviewer, order_id: str, reason: Reason
) -> RedirectResponse:
    """Release a held order with the reviewer's reason."""
    actor = actor_of(request, user)
    return flash_after(
        PAGE, "released", lambda: service.release_held(db, actor, order_id, reason=_text(reason))
    )


@router.post("/risk/orders/{order_id}/cancel")
def cancel(
    request: Request, db: Db, user: RiskReviewer, order_id: str, reason: Reason
) -> RedirectResponse:
    """Cancel a held order (its refund is requested) with the reviewer's reason."""
    actor = actor_of(request, user)
    return flash_after(
        PAGE, "cancelled", lambda: service.cancel_held(db, actor, order_id, reason=_text(reason))
    )


@router.post("/risk/delays/{shipment_id}/decision")
def decide_delay(
    request: Request,
    db: Db,
    user: RiskReviewer,
    shipment_id: str,
    accepted: Annotated[str, Form(max_length=8)],
    action: Annotated[str, Form(max_length=200)],
    reason: Annotated[str, Form(max_length=1000)] = "",
) -> RedirectResponse:
    """Accept or decline the delay suggestion for a flagged parcel, saying what was done."""
    actor = actor_of(request, user)
    fields = {"accepted": accepted == "yes", "action": action, "reason": reason or None}
    return flash_after(
        PAGE,
        "delay_decided",
        lambda: service.decide_delay(
            db, actor, shipment_id, validated(DelayDecisionIn, fields, "decision")
        ),
    )


def _text(reason: str) -> str:
    return forms.required_text(reason, field="reason")
