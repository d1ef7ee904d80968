"""Flagged parcels in flight, as the console and ``GET /api/v1/risk/delays`` list them, and
how often ops accepted the suggestion.

``oms risk delay predict --tenant ID`` records the parcels it flags: ``parcel_id`` is the
shipment id and the input carries ``order_id`` (the CSV contract of the offline model stays
as it is; these two columns only matter when recording). A later scoring of the same shipment
replaces its probability and suggestion and keeps ops' decision.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import case, func, select

from oms.core.paging import Page, PageRequest, fetch_items
from oms.core.uow import Database
from oms.risk.delay.errors import DelayInputInvalid
from oms.risk.models import DelayFlag
from oms.risk.schemas import DelayOut

__all__ = ["acceptance_report", "delay_out", "list_delays", "record_flags"]

_NEEDED = ("parcel_id", "order_id", "carrier", "origin_city", "dest_city")


def record_flags(db: Database, tenant_id: str, input_path: Path, flags_path: Path) -> int:
    """Record the parcels of ``flags_path`` (written by predict from ``input_path``); how many.

    Raises: ERR_RISK_DELAY_INPUT_INVALID (the input lacks ``order_id`` or another column).
    """
    parcels = pd.read_csv(input_path, dtype=str, keep_default_na=False)
    missing = [c for c in _NEEDED if c not in parcels.columns]
    if missing:
        raise DelayInputInvalid(
            f"recording flags needs the column {missing[0]}",
            file=str(input_path),
            column=missing[0],
        )
    flags = pd.read_csv(flags_path, dtype={"parcel_id": str}, keep_default_na=False)
    merged = flags.merge(parcels[list(_NEEDED)], on="parcel_id", how="left")
    with db.uow() as uow:
        now = uow.clock.now()
        for row in merged.itertuples(index=False):
            values: dict[str, Any] = {
                "order_id": str(row.order_id)[:36],
                "carrier": str(row.carrier)[:64],
                "route": f"{row.origin_city} → {row.dest_city}"[:200],
                "p_late_ppm": round(float(str(row.p_late)) * 1_000_000),
                "reasons": str(row.reasons)[:1000],
                "suggestion": str(row.action)[:200],
                "predicted_at": now,
            }
            key = (tenant_id, str(row.parcel_id)[:64])
            existing = uow.session.get(DelayFlag, key)
            if existing is None:
                uow.session.add(DelayFlag(tenant_id=key[0], shipment_id=key[1], **values))
            else:
                for name, value in values.items():
                    setattr(existing, name, value)
        uow.commit()
    return len(merged)


def list_delays(
    db: Database, tenant_id: str, *, min_p: float = 0.0, page: PageRequest = PageRequest()
) -> Page[DelayOut]:
    """One page of flagged parcels with ``p_late >= min_p``, riskiest first."""
    floor = round(min_p * 1_000_000)
    stmt = select(DelayFlag).where(DelayFlag.tenant_id == tenant_id, DelayFlag.p_late_ppm >= floor)
    keys = (DelayFlag.p_late_ppm, DelayFlag.shipment_id)
    with db.reader() as session:
        return fetch_items(
            session, stmt, keys, page, delay_out, scope=f"delays:{floor}", descending=True
        )


def acceptance_report(db: Database, tenant_id: str) -> dict[str, Any]:
    """Flags, decisions, accepted ones and the acceptance rate (accepted / decided)."""
    with db.reader() as session:
        flagged, decided, accepted = session.execute(
            select(
                func.count(),
                func.count(DelayFlag.accepted),
                func.coalesce(func.sum(case((DelayFlag.accepted.is_(True), 1), else_=0)), 0),
            ).where(DelayFlag.tenant_id == tenant_id)
        ).one()
    return {
        "flagged": int(flagged),
        "decided": int(decided),
        "accepted": int(accepted),
        "acceptance_rate": round(accepted / decided, 4) if decided else None,
    }


def delay_out(row: DelayFlag) -> DelayOut:
    return DelayOut(
        shipment_id=row.shipment_id,
        order_id=row.order_id,
        carrier=row.carrier,
        route=row.route,
        p_late=row.p_late_ppm / 1_000_000,
        reasons=row.reasons,
        suggestion=row.suggestion,
        predicted_at=row.predicted_at,
        accepted=row.accepted,
        decision_action=row.decision_action,
        decision_reason=row.decision_reason,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
    )
