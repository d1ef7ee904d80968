"""From a node reached to messages sent: the triggers' rules matched and logged, then one
send job per message (the network only there).

A trigger (an order shipped, a parcel at a hub, a stall ticket) finds the tenant's enabled
rules for its node, keeps those whose condition holds, renders each and logs it with the
job that sends it, in one transaction. Inside the rule's quiet hours (the buyer's zone) the
message is ``deferred`` and its job scheduled for their end; a critical rule goes now.
"""

from __future__ import annotations

from datetime import datetime

import structlog
from sqlalchemy import select

from oms.config import Settings
from oms.core import outbox
from oms.core.errors import AppError
from oms.core.ids import new_id
from oms.core.jobs import JobRun
from oms.core.repo import insert_ignore
from oms.core.uow import Database, UnitOfWork
from oms.fulfilment.notify import channels
from oms.fulfilment.notify.conditions import condition_matches
from oms.fulfilment.notify.errors import ConditionInvalid, TemplateInvalid
from oms.fulfilment.notify.events import NotificationDue
from oms.fulfilment.notify.models import NotificationMessage, NotificationRule, WechatGrant
from oms.fulfilment.notify.quiet import quiet_until
from oms.fulfilment.notify.schemas import Channel
from oms.fulfilment.notify.states import MACHINE, MessageStatus
from oms.fulfilment.notify.templates import render
from oms.fulfilment.notify.variables import Facts, Trigger, gather
from oms.orders.errors import OrderNotFound

__all__ = ["notify", "send_message"]

log = structlog.get_logger(__name__)
_FINAL = frozenset({MessageStatus.SENT, MessageStatus.FAILED, MessageStatus.FALLBACK})


def notify(db: Database, tenant_id: str, trigger: Trigger) -> list[str]:
    """Log and schedule the messages ``trigger``'s rules call for; return their ids.

    The same trigger twice (a re-delivered job) logs nothing new.
    """
    with db.reader() as session:
        rules = list(
            session.scalars(
                select(NotificationRule).where(
                    NotificationRule.tenant_id == tenant_id,
                    NotificationRule.node == trigger.node,
                    NotificationRule.is_enabled.is_(True),
                )
            )
        )
        session.expunge_all()
    if not rules:
        return []
    try:
        facts = gather(db, tenant_id, trigger)
    except OrderNotFound:
        return []
    with db.uow() as uow:
        ids = [found for rule in rules if (found := _log(uow, rule, trigger, facts)) is not None]
        uow.commit()
    return ids


def _log(uow: UnitOfWork, rule: NotificationRule, trigger: Trigger, facts: Facts) -> str | None:
    try:
        if not condition_matches(rule.condition, facts.values):
            return None
        text = render(rule.template, facts.variables)
        subject = render(rule.subject, facts.variables, field="subject") if rule.subject else None
        error = None
    except (TemplateInvalid, ConditionInvalid) as exc:
        text, subject, error = "", None, exc.message[:2000]
    now = uow.clock.now()
    due = _due(rule, facts, now)
    status = (
        MessageStatus.FAILED
        if error
        else (MessageStatus.DEFERRED if due > now else MessageStatus.QUEUED)
    )
    message_id = _insert(
        uow,
        rule,
        trigger=trigger.key,
        order_id=trigger.order_id,
        channel=rule.channel,
        recipient=_recipient(rule.channel, facts),
        subject=subject,
        text=text,
        status=status,
        error=error,
        due=due,
    )
    if message_id is not None and error is None:
        outbox.add(
            uow,
            NotificationDue(
                tenant_id=rule.tenant_id, message_id=message_id, order_id=trigger.order_id
            ),
            not_before=due,
        )
    return message_id


def _due(rule: NotificationRule, facts: Facts, now: datetime) -> datetime:
    if rule.is_critical or not rule.quiet_start or not rule.quiet_end:
        return now
    until = quiet_until(now, start=rule.quiet_start, end=rule.quiet_end, zone=facts.zone)
    return until or now


def _recipient(channel: str, facts: Facts) -> str | None:
    if channel == Channel.SMS:
        return facts.phone
    if channel == Channel.EMAIL:
        return facts.email
    if channel == Channel.WECHAT:
        return facts.buyer_id
    return None


def _insert(
    uow: UnitOfWork,
    rule: NotificationRule,
    *,
    trigger: str,
    order_id: str,
    channel: str,
    recipient: str | None,
    subject: str | None,
    text: str,
    status: MessageStatus,
    error: str | None,
    due: datetime,
) -> str | None:
    """The new message's id, or None when this rule already logged this trigger."""
    now = uow.clock.now()
    message_id = new_id()
    values = {
        "tenant_id": rule.tenant_id,
        "id": message_id,
        "order_id": order_id,
        "rule_id": rule.id,
        "rule_name": rule.name,
        "trigger": trigger[:80],
        "node": rule.node,
        "channel": channel,
        "recipient": recipient,
        "subject": subject,
        "text": text,
        "status": str(status),
        "error": error,
        "is_critical": rule.is_critical,
        "due_at": due,
        "sent_at": None,
        "created_at": now,
        "updated_at": now,
    }
    return message_id if insert_ignore(uow, NotificationMessage, values) else None


def send_message(db: Database, event: NotificationDue, run: JobRun, *, settings: Settings) -> None:
    """The send job: one network call for one logged message, then its outcome recorded.

    A WeChat message takes one of the buyer's grants for its template first; with none left
    (or refused by WeChat, errcode 43101) it falls back to SMS when its rule says so.
    Transient trouble raises, so the runner retries; on the last attempt it is ``failed``.
    """
    taken = _take(db, event)
    if taken is None:
        return
    message, rule, openid = taken
    if message.channel == Channel.WECHAT and openid is None:
        _fall_back(db, event, "no WeChat subscription left for this buyer and template")
        return
    outcome = _call(message, rule, settings, openid=openid, now=db.clock.now())
    if outcome.is_refused:
        _fall_back(db, event, outcome.error or "refused")
        return
    if outcome.is_transient and not run.is_last_attempt:
        _record_error(db, event, outcome.error)
        raise RuntimeError(outcome.error)
    to = MessageStatus.SENT if outcome.is_sent else MessageStatus.FAILED
    _finish(db, event, to, outcome.error)


def _take(
    db: Database, event: NotificationDue
) -> tuple[channels.Outgoing, NotificationRule | None, str | None] | None:
    """The message as a channel sends it, with the WeChat grant it uses (taken now)."""
    with db.uow() as uow:
        row = _locked(uow, event)
        if row is None or row.status in _FINAL:
            return None
        rule = uow.session.get(NotificationRule, (row.tenant_id, row.rule_id))
        openid = _grant(uow, row, rule) if row.channel == Channel.WECHAT else None
        outgoing = channels.Outgoing(
            message_id=row.id,
            tenant_id=row.tenant_id,
            order_id=row.order_id,
            node=row.node,
            channel=row.channel,
            recipient=row.recipient,
            subject=row.subject,
            text=row.text,
            wechat_template_id=rule.wechat_template_id if rule else None,
            wechat_page=rule.wechat_page if rule else None,
            wechat_key=rule.wechat_key if rule else None,
        )
        if rule is not None:
            uow.session.expunge(rule)
        uow.commit()
    return outgoing, rule, openid


def _grant(uow: UnitOfWork, row: NotificationMessage, rule: NotificationRule | None) -> str | None:
    """The openid of the grant this message uses: the one it took before (a retry), else the
    buyer's oldest unused one for the template, now marked used."""
    if rule is None or not rule.wechat_template_id or not row.recipient:
        return None
    mine = uow.session.scalars(
        select(WechatGrant).where(
            WechatGrant.tenant_id == row.tenant_id, WechatGrant.message_id == row.id
        )
    ).first()
    if mine is not None:
        return mine.openid
    grant = uow.session.scalars(
        select(WechatGrant)
        .where(
            WechatGrant.tenant_id == row.tenant_id,
            WechatGrant.buyer_id == row.recipient,
            WechatGrant.template_id == rule.wechat_template_id,
            WechatGrant.used_at.is_(None),
        )
        .order_by(WechatGrant.granted_at, WechatGrant.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    ).first()
    if grant is None:
        return None
    grant.used_at, grant.message_id = uow.clock.now(), row.id
    return grant.openid


def _call(
    message: channels.Outgoing,
    rule: NotificationRule | None,
    settings: Settings,
    *,
    openid: str | None,
    now: datetime,
) -> channels.Outcome:
    if rule is None:
        return channels.Outcome(False, "the rule is gone")
    if message.channel == Channel.WECHAT:
        assert openid is not None
        return channels.send_wechat(message, settings, openid=openid, now=now)
    send = {
        Channel.SMS: channels.send_sms,
        Channel.EMAIL: channels.send_email,
        Channel.WEBHOOK: channels.send_webhook,
    }[Channel(message.channel)]
    return send(message, settings, now=now)


def _locked(uow: UnitOfWork, event: NotificationDue) -> NotificationMessage | None:
    found: NotificationMessage | None = uow.session.scalars(
        select(NotificationMessage)
        .where(
            NotificationMessage.tenant_id == event.tenant_id,
            NotificationMessage.id == event.message_id,
        )
        .with_for_update()
    ).first()
    return found


def _finish(db: Database, event: NotificationDue, to: MessageStatus, error: str | None) -> None:
    with db.uow() as uow:
        row = _locked(uow, event)
        if row is not None and row.status not in _FINAL:
            MACHINE.transition(row, to=to, now=uow.clock.now())
            row.error = error
            uow.commit()


def _record_error(db: Database, event: NotificationDue, error: str | None) -> None:
    with db.uow() as uow:
        row = _locked(uow, event)
        if row is not None and row.status not in _FINAL:
            row.error, row.updated_at = error, uow.clock.now()
            uow.commit()


def _fall_back(db: Database, event: NotificationDue, reason: str) -> None:
    """The WeChat message is ``fallback``; an SMS message with its text replaces it when the
    rule names SMS as its fallback, else it is ``failed``."""
    phone = _phone(db, event)
    with db.uow() as uow:
        row = _locked(uow, event)
        if row is None or row.status in _FINAL:
            return
        rule = uow.session.get(NotificationRule, (row.tenant_id, row.rule_id))
        now = uow.clock.now()
        if rule is None or rule.fallback_channel != Channel.SMS:
            MACHINE.transition(row, to=MessageStatus.FAILED, now=now)
            row.error = reason
            uow.commit()
            return
        MACHINE.transition(row, to=MessageStatus.FALLBACK, now=now)
        row.error = f"{reason}; falling back to sms"
        replacement = _insert(
            uow,
            rule,
            trigger=f"{row.trigger}:sms"[:80],
            order_id=row.order_id,
            channel=str(Channel.SMS),
            recipient=phone,
            subject=row.subject,
            text=row.text,
            status=MessageStatus.QUEUED,
            error=None,
            due=now,
        )
        if replacement is not None:
            outbox.add(
                uow,
                NotificationDue(
                    tenant_id=row.tenant_id, message_id=replacement, order_id=row.order_id
                ),
            )
        uow.commit()


def _phone(db: Database, event: NotificationDue) -> str | None:
    try:
        return gather(db, event.tenant_id, Trigger("fallback", "phone", event.order_id)).phone
    except AppError:
        return None
