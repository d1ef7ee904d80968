"""``oms risk delay train|predict``: the offline delay-risk contract for analysts and checks."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from oms.core.cli import database, exit_on_app_error, print_json
from oms.risk import delays
from oms.risk.delay import service
from oms.risk.delay.errors import DelayInputInvalid
from oms.risk.delay.model import DEFAULT_CAPACITY, DEFAULT_THRESHOLD

__all__ = ["delay_app"]

delay_app = typer.Typer(
    help="Delay risk 12 h ahead (offline: CSV in, CSV out)", no_args_is_help=True
)

_WEATHER = typer.Option(help="forecast CSV (city,issued_at,valid_at,weather_code,rain_mm,temp_c)")


@delay_app.command("train")
def train(
    history: Annotated[Path, typer.Option(help="history CSV with delivered_at")],
    out: Annotated[Path, typer.Option(help="model directory to write")],
    weather: Annotated[Path | None, _WEATHER] = None,
    threshold: Annotated[
        float, typer.Option(help="flag above this probability")
    ] = DEFAULT_THRESHOLD,
    capacity: Annotated[
        float, typer.Option(help="share of parcels the team can act on (precision at capacity)")
    ] = DEFAULT_CAPACITY,
) -> None:
    """Train a calibrated model on a time split; write it and its model card; print the card."""
    with exit_on_app_error():
        card = service.train(
            history, out, weather=weather, threshold=threshold, capacity_share=capacity
        )
    print_json(card)


@delay_app.command("predict")
def predict(
    model: Annotated[Path, typer.Option(help="model directory written by train")],
    input_path: Annotated[Path, typer.Option("--input", help="parcels CSV to score")],
    out: Annotated[Path, typer.Option(help="CSV to write: parcel_id,p_late")],
    weather: Annotated[Path | None, _WEATHER] = None,
    flags: Annotated[
        Path | None, typer.Option(help="CSV of flagged parcels: parcel_id,p_late,reasons,action")
    ] = None,
    threshold: Annotated[
        float | None, typer.Option(help="flag above this probability (default: the model's)")
    ] = None,
    tenant: Annotated[
        str | None,
        typer.Option(help="record the flags for this tenant (needs --flags; input has order_id)"),
    ] = None,
) -> None:
    """Score parcels into P.csv; with --flags, list those above the threshold with reasons;
    with --tenant, record them for the console and ``GET /api/v1/risk/delays``."""
    with exit_on_app_error():
        if tenant is not None and flags is None:
            raise DelayInputInvalid("--tenant records the flags: give --flags too")
        result = service.predict(
            model, input_path, out, weather=weather, flags_out=flags, threshold=threshold
        )
        recorded = None
        if tenant is not None and flags is not None:
            recorded = delays.record_flags(database(), tenant, input_path, flags)
    print_json(asdict(result) | ({"recorded": recorded} if recorded is not None else {}))
