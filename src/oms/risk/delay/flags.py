"""Flagging parcels above the tenant's threshold, with reasons and a suggested action.

The reasons are the features that pushed the parcel's score up the most, read from LightGBM's
per-feature contributions (``pred_contrib``, SHAP values in log-odds). The action follows the
strongest reason: what the merchant can change (carrier or service, the outlet and pickup)
comes first; what it cannot (weather, the destination, the promised day) leaves warning the
buyer.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from oms.risk.delay.features import FEATURES
from oms.risk.delay.model import DelayModel

__all__ = ["ACTIONS", "FLAG_COLUMNS", "flag_parcels"]

SWITCH = "switch to a faster carrier or service"
REBOOK = "rebook: hand over at another outlet or book an earlier pickup"
WARN = "warn the buyer"
ACTIONS: dict[str, str] = {
    "carrier": SWITCH,
    "service": SWITCH,
    "route": SWITCH,
    "promised_lead_h": SWITCH,
    "origin_city": REBOOK,
    "outlet_id": REBOOK,
    "outlet_load": REBOOK,
    "is_shipped_by_cutoff": REBOOK,
    "shipped_hour": REBOOK,
    "dest_city": WARN,
    "promised_hour": WARN,
    "promised_weekday": WARN,
    "weather_code": WARN,
    "rain_mm": WARN,
    "temp_c": WARN,
}
FLAG_COLUMNS = ("parcel_id", "p_late", "reasons", "action")
_TOP = 3


def flag_parcels(
    model: DelayModel,
    parcel_ids: pd.Series,
    matrix: pd.DataFrame,
    p_late: NDArray[np.float64],
    *,
    threshold: float | None = None,
) -> pd.DataFrame:
    """Parcels with ``p_late`` above the threshold (the model's unless given), riskiest first.

    ``reasons`` reads like ``carrier=ZTO (+0.91); outlet_load=412 (+0.40)``.
    """
    limit = model.threshold if threshold is None else threshold
    chosen = np.flatnonzero(p_late > limit)
    chosen = chosen[np.argsort(-p_late[chosen], kind="stable")]
    if len(chosen) == 0:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in FLAG_COLUMNS})
    rows = matrix.iloc[chosen]
    contrib = np.asarray(model.booster.predict(rows, pred_contrib=True), dtype=np.float64)
    names = [f.name for f in FEATURES]
    reasons, actions = [], []
    for i in range(len(chosen)):
        top = [j for j in np.argsort(-contrib[i, : len(names)])[:_TOP] if contrib[i, j] > 0]
        reasons.append(
            "; ".join(f"{names[j]}={_value(rows.iloc[i, j])} (+{contrib[i, j]:.2f})" for j in top)
        )
        actions.append(ACTIONS[names[top[0]]] if top else WARN)
    return pd.DataFrame(
        {
            "parcel_id": parcel_ids.iloc[chosen].to_numpy(),
            "p_late": np.round(p_late[chosen], 6),
            "reasons": reasons,
            "action": actions,
        }
    )


def _value(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "missing"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
