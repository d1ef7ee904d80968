"""Console notification rules: the list, the editor (a broken template or condition comes
back with the parser's message) and the preview of the rule as edited against an order."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError

from oms.console.deps import Db, Flashed, Notice, actor_of
from oms.console.render import render
from oms.console.session import permitted, posting_permitted
from oms.core.errors import AppError, ValidationFailed
from oms.core.paging import PageRequest
from oms.fulfilment.notify import service
from oms.fulfilment.notify.schemas import PreviewIn, PreviewOut, RuleIn
from oms.users.schemas import SessionUser

__all__ = ["router"]

router = APIRouter(prefix="/console", include_in_schema=False)
PAGE = "/console/notifications"
Reader = Annotated[SessionUser, Depends(permitted("notifications:manage"))]
Writer = Annotated[SessionUser, Depends(posting_permitted("notifications:manage"))]
_Text = Annotated[str, Form(max_length=20000)]
_Short = Annotated[str, Form(max_length=256)]
_FIELDS = (
    "name", "node", "channel", "template", "subject", "condition", "quiet_start", "quiet_end",
    "fallback_channel", "wechat_template_id", "wechat_page", "wechat_key",
)  # fmt: skip


def _page(
    request: Request,
    db: Db,
    user: SessionUser,
    *,
    notice: Notice | None = None,
    status_code: int = 200,
    **extra: Any,
) -> HTMLResponse:
    rules = service.rule_page(db, user.tenant_id, page=PageRequest(limit=200)).items
    return render(
        request,
        "notifications.html",
        user=user,
        active="notifications",
        notice=notice,
        status_code=status_code,
        rules=rules,
        **extra,
    )


@router.get("/notifications", response_class=HTMLResponse)
def notifications_page(
    request: Request,
    db: Db,
    user: Reader,
    notice: Flashed,
    rule: Annotated[str | None, Query(max_length=36)] = None,
) -> HTMLResponse:
    """The rules; with ``rule``, that rule in the editor."""
    draft: dict[str, Any] = {}
    if rule:
        try:
            draft = service.get_rule(db, user.tenant_id, rule).model_dump(mode="json")
        except AppError:
            draft = {}
    return _page(request, db, user, notice=notice, draft=draft)


@router.post("/notifications/rules", response_class=HTMLResponse, response_model=None)
def save_rule(
    request: Request, db: Db, user: Writer, form: Annotated[dict[str, Any], Depends(_form)]
) -> HTMLResponse | RedirectResponse:
    """Create or replace a rule; a refusal comes back with the draft and the message (422)."""
    try:
        data = _rule_in(form)
        if form.get("id"):
            service.replace_rule(db, actor_of(request, user), form["id"], data)
        else:
            service.create_rule(db, actor_of(request, user), data)
    except AppError as exc:
        return _refused(request, db, user, form, exc.code, exc.message)
    return RedirectResponse(f"{PAGE}?done=rule_saved", status_code=303)


@router.post("/notifications/preview", response_class=HTMLResponse)
def preview_rule(
    request: Request, db: Db, user: Writer, form: Annotated[dict[str, Any], Depends(_form)]
) -> HTMLResponse:
    """The rule as edited, rendered against the order number given; nothing is saved."""
    try:
        body = PreviewIn(order_no=form.get("order_no") or None, rule=_rule_in(form))
        shown: PreviewOut = service.preview(db, user.tenant_id, body)
    except AppError as exc:
        return _refused(request, db, user, form, exc.code, exc.message)
    return _page(request, db, user, draft=form, preview=shown)


def _form(
    name: _Short = "",
    node: _Short = "",
    channel: _Short = "",
    template: _Text = "",
    subject: _Text = "",
    condition: _Text = "",
    quiet_start: _Short = "",
    quiet_end: _Short = "",
    fallback_channel: _Short = "",
    wechat_template_id: _Short = "",
    wechat_page: _Short = "",
    wechat_key: _Short = "",
    is_critical: _Short = "",
    is_enabled: _Short = "",
    order_no: _Short = "",
    id: _Short = "",
) -> dict[str, Any]:
    return dict(locals())


def _rule_in(form: dict[str, Any]) -> RuleIn:
    """The form as a rule; a field out of shape is ERR_VALIDATION naming it."""
    values = {key: (form.get(key) or "").strip() or None for key in _FIELDS}
    values["template"] = form.get("template") or ""
    try:
        return RuleIn(
            **values,
            is_critical=bool(form.get("is_critical")),
            is_enabled=bool(form.get("is_enabled")),
        )
    except ValidationError as exc:
        where = ", ".join(str(e["loc"][0]) for e in exc.errors() if e["loc"])
        raise ValidationFailed(f"check these fields: {where}", fields=where) from None


def _refused(
    request: Request, db: Db, user: SessionUser, form: dict[str, Any], code: str, message: str
) -> HTMLResponse:
    return _page(
        request, db, user, status_code=422, draft=form, rule_error=message, rule_error_code=code
    )
