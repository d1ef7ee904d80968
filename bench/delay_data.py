"""A seeded 12-month parcel history with a planted delay signal whose Bayes ceiling is known.

Independent of oms's code: it writes the documented CSV contract of ``oms risk delay`` (columns
of docs/risk.md) from the outside world's cases: China's express carriers (SF, JD, ZTO, YTO,
STO, Yunda, EMS) and their service levels, real city pairs with their great-circle distances,
the shopping peaks (6.18, Double 11, the run-up to the Spring Festival), WMO weather
interpretation codes (as weather services publish them) with a seasonal rain climate.

Each parcel's true probability of being late is a logistic function of things known 12 h
before the promise (carrier, service, distance, outlet load, weather forecast, promised hour
and weekday, shipped by the cut-off or not), so the generator knows ``p_true`` and the Bayes
AUC (the expected AUC of ranking by ``p_true``) exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

__all__ = ["History", "bayes_auc", "generate"]

CARRIERS = {"SF": -0.9, "JD": -0.7, "EMS": 0.1, "ZTO": 0.2, "YTO": 0.25, "STO": 0.4, "YUNDA": 0.35}
CARRIER_SHARE = [0.18, 0.12, 0.08, 0.2, 0.16, 0.12, 0.14]
SERVICES = {"express": (-0.5, 0.8), "standard": (0.0, 1.0), "economy": (0.45, 1.35)}
CITIES = {  # lat, lng
    "Shanghai": (31.23, 121.47),
    "Beijing": (39.90, 116.40),
    "Guangzhou": (23.13, 113.26),
    "Shenzhen": (22.54, 114.06),
    "Hangzhou": (30.27, 120.16),
    "Chengdu": (30.57, 104.07),
    "Wuhan": (30.59, 114.31),
    "Xi'an": (34.34, 108.94),
    "Chongqing": (29.56, 106.55),
    "Nanjing": (32.06, 118.80),
    "Tianjin": (39.34, 117.36),
    "Suzhou": (31.30, 120.59),
    "Harbin": (45.80, 126.53),
    "Kunming": (25.04, 102.71),
    "Urumqi": (43.83, 87.62),
    "Lhasa": (29.65, 91.17),
    "Xiamen": (24.48, 118.09),
    "Qingdao": (36.07, 120.38),
}
ORIGINS = ["Shanghai", "Guangzhou", "Hangzhou", "Shenzhen", "Beijing", "Chengdu"]
OUTLETS_PER_ORIGIN = 6
# WMO codes: clear, partly cloudy, overcast, slight/moderate/heavy rain, snow, thunderstorm.
WMO = np.array(["0", "2", "3", "61", "63", "65", "73", "95"])
PEAKS = [("06-18", 4), ("11-11", 6), ("12-12", 3)]


@dataclass(frozen=True)
class History:
    """The contract's columns (``frame``) and each parcel's true probability of being late."""

    frame: pd.DataFrame
    p_true: NDArray[np.float64]


def generate(rows: int, *, seed: int = 20260601, start: str = "2025-06-01") -> History:
    """``rows`` parcels promised over 12 months from ``start`` (Asia/Shanghai, +08:00)."""
    rng = np.random.default_rng(seed)
    t0 = pd.Timestamp(start, tz="Asia/Shanghai")
    day = np.sort(rng.uniform(0, 365, rows))
    carrier = rng.choice(list(CARRIERS), rows, p=CARRIER_SHARE)
    service = rng.choice(list(SERVICES), rows, p=[0.25, 0.55, 0.2])
    origin = rng.choice(ORIGINS, rows)
    dest = rng.choice(list(CITIES), rows)
    outlet = np.char.add(
        np.char.add(origin.astype(str), "-"),
        rng.integers(1, OUTLETS_PER_ORIGIN + 1, rows).astype(str),
    )
    km = _distance_km(origin, dest)
    peak = _peak(t0, day)
    load = rng.poisson(180 * (1 + peak) * rng.uniform(0.6, 1.4, rows)).astype(float)
    rain, code, temp = _weather(rng, t0, day, dest)
    svc_effect = np.array([SERVICES[s][0] for s in service])
    lead_h = 24 * np.array([SERVICES[s][1] for s in service]) * (1 + km / 1200) + rng.uniform(
        4, 20, rows
    )
    promised = t0 + pd.to_timedelta(day, unit="D")
    # Some parcels are handed over late: not yet shipped 12 h before the promise.
    lead_h = np.where(rng.uniform(size=rows) < 0.06, rng.uniform(3, 11.5, rows), lead_h)
    late_ship = lead_h < 12
    promised_hour = promised.hour.to_numpy()
    shipped = promised - pd.to_timedelta(lead_h, unit="h")
    weekday = promised.weekday.to_numpy()
    logit = (
        -2.6
        + np.array([CARRIERS[c] for c in carrier])
        + svc_effect
        + 0.55 * np.log1p(km / 500)
        + 1.1 * np.clip(load / 180 - 1, -0.5, 3)
        + 0.09 * np.minimum(rain, 30)
        + 0.9 * (code == "73")
        + 0.5 * (code == "95")
        + 0.35 * (promised_hour >= 20)
        + 0.25 * (weekday >= 5)
        + 0.8 * late_ship
        + 0.6 * (dest == "Lhasa")
        + 0.4 * (dest == "Urumqi")
    )
    p_true = 1 / (1 + np.exp(-logit))
    late = rng.uniform(size=rows) < p_true
    early = pd.to_timedelta(rng.uniform(0.2, 0.95, rows) * lead_h, unit="h")
    delay = pd.to_timedelta(rng.exponential(14, rows) + 0.05, unit="h")
    delivered = promised.where(~late, promised + delay)
    delivered = delivered.where(late, promised - early)
    frame = pd.DataFrame(
        {
            "parcel_id": [f"P{seed % 1000:03d}{i:08d}" for i in range(rows)],
            "carrier": carrier,
            "service": service,
            "origin_city": origin,
            "dest_city": dest,
            "outlet_id": outlet,
            "shipped_at": _iso(shipped),
            "promised_at": _iso(promised),
            "outlet_load": load.astype(int),
            "weather_code": code,
            "rain_mm": np.round(rain, 1),
            "temp_c": np.round(temp, 1),
            "delivered_at": _iso(delivered),
            "buyer_note": "ignored by oms",  # a column outside the contract
        }
    )
    return History(frame=frame, p_true=p_true)


def bayes_auc(p_true: NDArray[np.float64]) -> float:
    """Expected AUC of ranking by ``p_true``: P(score of a late > an on-time), ties count half.

    Exact over the label draw: each parcel is late with weight p and on time with 1 - p.
    """
    p = np.sort(p_true)
    _, first, counts = np.unique(p, return_index=True, return_counts=True)
    tie_neg = np.add.reduceat(1 - p, first)  # on-time weight of each group of equal scores
    below = np.repeat(np.cumsum(tie_neg) - tie_neg, counts)
    ties = np.repeat(tie_neg, counts)
    # A parcel is never paired with itself: drop its own (late, on-time) weight from the ties.
    wins = float(np.sum(p * (below + 0.5 * ties)) - 0.5 * np.sum(p * (1 - p)))
    return wins / (float(p.sum()) * float((1 - p).sum()) - float(np.sum(p * (1 - p))))


def _distance_km(origin: NDArray[np.str_], dest: NDArray[np.str_]) -> NDArray[np.float64]:
    lat1, lng1 = (np.array([CITIES[c][i] for c in origin]) for i in (0, 1))
    lat2, lng2 = (np.array([CITIES[c][i] for c in dest]) for i in (0, 1))
    phi1, phi2 = np.radians(lat1), np.radians(lat2)
    d_phi, d_lng = phi2 - phi1, np.radians(lng2 - lng1)
    a = np.sin(d_phi / 2) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(d_lng / 2) ** 2
    return 2 * 6371 * np.arcsin(np.sqrt(a))


def _peak(t0: pd.Timestamp, day: NDArray[np.float64]) -> NDArray[np.float64]:
    """Extra load around the shopping peaks (and the pre-Spring-Festival rush)."""
    when = t0 + pd.to_timedelta(day, unit="D")
    extra = np.zeros(len(day))
    for month_day, width in PEAKS:
        for year in (t0.year, t0.year + 1):
            centre = pd.Timestamp(f"{year}-{month_day}", tz="Asia/Shanghai") + pd.Timedelta(days=2)
            gap = np.abs((when - centre) / pd.Timedelta(days=1))
            extra += 1.2 * np.exp(-((gap / width) ** 2))
    festival = pd.Timestamp(f"{t0.year + 1}-01-20", tz="Asia/Shanghai")
    extra += 0.6 * np.exp(-((((when - festival) / pd.Timedelta(days=1)) / 8) ** 2))
    return np.asarray(extra)


def _weather(
    rng: np.random.Generator, t0: pd.Timestamp, day: NDArray[np.float64], dest: NDArray[np.str_]
) -> tuple[NDArray[np.float64], NDArray[np.str_], NDArray[np.float64]]:
    month = (t0 + pd.to_timedelta(day, unit="D")).month.to_numpy()
    lat = np.array([CITIES[c][0] for c in dest])
    summer = np.cos((month - 7) / 12 * 2 * math.pi)
    wet = np.clip(0.15 + 0.25 * summer * (lat < 35), 0.03, 0.6)
    is_rain = rng.uniform(size=len(day)) < wet
    rain = np.where(is_rain, rng.gamma(1.2, 6, len(day)), 0.0)
    temp = 15 + 12 * summer - 0.6 * (lat - 30) + rng.normal(0, 3, len(day))
    code = np.select(
        [rain > 15, rain > 5, rain > 0],
        [np.where(rng.uniform(size=len(day)) < 0.3, "95", "65"), "63", "61"],
        default=WMO[rng.integers(0, 3, len(day))],
    )
    code = np.where((temp < 0) & (rain > 0), "73", code)
    return rain, code, temp


def _iso(times: pd.DatetimeIndex) -> NDArray[np.str_]:
    """ISO 8601 with the +08:00 offset, as a merchant in China exports them."""
    local = times.tz_convert("Asia/Shanghai")
    return np.asarray(local.strftime("%Y-%m-%dT%H:%M:%S+08:00"))
