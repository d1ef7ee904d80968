"""Use case: hand a file-delivery connection's vouchers over as an import file, once.

A Kingdee or U8 connection with the setting ``delivery=file`` never calls the system: its
documents wait as ``pending`` until ``export_vouchers`` takes the ones of a date range, marks
them ``sent`` (external id ``file:<export id>``) in one transaction, and gives back their
vouchers for the CLI to write in the system's import layout. A document is exported once; an
export can be written again with ``again`` (the same documents, by their export id).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from oms.accounting.errors import AccountingNotConnected, InvalidSettings
from oms.accounting.models import AccountingConnection, AccountingDocument
from oms.accounting.service import is_file_delivery, move_document
from oms.accounting.sinks.base import OutgoingDocument
from oms.accounting.sinks.registry import sink_for
from oms.accounting.sinks.vouchers import Voucher, accounts_from, voucher_for
from oms.accounting.states import DocumentKind, DocumentStatus
from oms.core.context import Actor
from oms.core.ids import new_id
from oms.core.shapes import project
from oms.core.uow import Database

__all__ = ["VoucherExport", "export_vouchers"]


@dataclass(frozen=True, slots=True)
class VoucherExport:
    """The vouchers of one export, with the settings their layout needs."""

    export_id: str
    sink: str
    settings: dict[str, Any]
    vouchers: list[Voucher]


def export_vouchers(
    db: Database,
    actor: Actor,
    *,
    sink: str,
    since: date,
    until: date,
    again: str | None = None,
) -> VoucherExport:
    """Take the pending documents dated ``since``..``until`` (or export ``again``), mark them sent.

    Raises: ERR_ACCOUNTING_UNKNOWN_SINK, ERR_ACCOUNTING_NOT_CONNECTED,
    ERR_ACCOUNTING_INVALID_SETTINGS (the connection sends over the API).
    """
    sink_for(sink)
    with db.uow() as uow:
        connection = uow.session.get(AccountingConnection, (actor.tenant_id, sink))
        if connection is None:
            raise AccountingNotConnected(f"no {sink} connection", sink=sink)
        if not is_file_delivery(connection.settings):
            raise InvalidSettings(
                f"the {sink} connection sends over the API; connect it with --set delivery=file",
                setting="delivery",
            )
        export_id = again or new_id()
        stmt = select(AccountingDocument).where(
            AccountingDocument.tenant_id == actor.tenant_id, AccountingDocument.sink == sink
        )
        if again:
            stmt = stmt.where(AccountingDocument.external_id == f"file:{again}")
        else:
            stmt = stmt.where(
                AccountingDocument.status == DocumentStatus.PENDING.value,
                AccountingDocument.txn_date >= since,
                AccountingDocument.txn_date <= until,
            )
        rows = list(
            uow.session.scalars(
                stmt.order_by(AccountingDocument.txn_date, AccountingDocument.id).with_for_update()
            )
        )
        accounts = accounts_from(connection.settings)
        vouchers = [
            voucher_for(project(OutgoingDocument, row, kind=DocumentKind(row.kind)), accounts)
            for row in rows
        ]
        now = uow.clock.now()
        for row in rows:
            if row.status == DocumentStatus.PENDING:
                row.external_id, row.attempts = f"file:{export_id}", row.attempts + 1
                move_document(
                    uow, row, DocumentStatus.SENT, reason="exported", now=now, actor=actor
                )
        settings = dict(connection.settings or {})
        uow.commit()
    return VoucherExport(export_id, sink, settings, vouchers)
