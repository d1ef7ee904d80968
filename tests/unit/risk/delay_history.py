"""A small seeded parcel history in the CSV contract, with one planted cause of delay.

Parcels of the carrier ``SLOWEX`` are late 90 % of the time, the others 8 %; everything else
is noise. Times are written with the +08:00 offset, as a merchant in China exports them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

T0 = pd.Timestamp("2026-01-01T00:00:00+08:00")
SLOW = "SLOWEX"


def history_frame(rows: int = 2400, *, seed: int = 5) -> pd.DataFrame:
    """``rows`` delivered parcels promised over 60 days, in time order."""
    rng = np.random.default_rng(seed)
    promised = T0 + pd.to_timedelta(np.sort(rng.uniform(0, 60, rows)), unit="D")
    carrier = rng.choice(["SF", "ZTO", "YTO", SLOW], rows, p=[0.3, 0.3, 0.25, 0.15])
    shipped = promised - pd.to_timedelta(rng.uniform(20, 60, rows), unit="h")
    late = rng.uniform(size=rows) < np.where(carrier == SLOW, 0.9, 0.08)
    delivered = promised + pd.to_timedelta(np.where(late, 6.0, -6.0), unit="h")
    return pd.DataFrame(
        {
            "parcel_id": [f"PX{i:06d}" for i in range(rows)],
            "carrier": carrier,
            "service": rng.choice(["standard", "express"], rows),
            "origin_city": "Hangzhou",
            "dest_city": rng.choice(["Beijing", "Chengdu", "Shanghai"], rows),
            "outlet_id": rng.choice(["HZ-1", "HZ-2"], rows),
            "shipped_at": _iso(shipped),
            "promised_at": _iso(promised),
            "outlet_load": rng.integers(50, 300, rows),
            "delivered_at": _iso(delivered),
            "seller_memo": "not part of the contract",
        }
    )


def write(frame: pd.DataFrame, path: Path) -> Path:
    """Write ``frame`` as the CSV file ``path``; return the path."""
    frame.to_csv(path, index=False)
    return path


def _iso(times: pd.DatetimeIndex) -> list[str]:
    return list(times.tz_convert("Asia/Shanghai").strftime("%Y-%m-%dT%H:%M:%S+08:00"))
