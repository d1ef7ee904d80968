"""The model directory: written whole or not at all, read without unpickling anything.

``train`` builds the directory under a temporary name beside ``MODEL_DIR`` and renames it into
place, so a failed or interrupted run leaves no half-written model; an existing directory is
replaced only once the new one is complete.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd

from oms.risk.delay.errors import DelayModelInvalid
from oms.risk.delay.model import DelayModel, Training

__all__ = ["CARD_JSON", "CARD_MARKDOWN", "card_markdown", "load_model", "save_model", "write_csv"]

CARD_JSON = "model_card.json"
CARD_MARKDOWN = "model_card.md"
_BOOSTER = "booster.txt"
_MODEL = "model.json"
_FORMAT = 1


def save_model(training: Training, out: Path) -> None:
    """Write the model directory ``out`` (booster, model.json, the card in JSON and Markdown)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        model = training.model
        model.booster.save_model(str(staging / _BOOSTER))
        meta = {
            "format": _FORMAT,
            "categories": model.categories,
            "calibration": {"x": model.curve_x.tolist(), "y": model.curve_y.tolist()},
            "threshold": model.threshold,
        }
        (staging / _MODEL).write_text(json.dumps(meta))
        (staging / CARD_JSON).write_text(json.dumps(training.card, indent=2, ensure_ascii=False))
        (staging / CARD_MARKDOWN).write_text(card_markdown(training.card))
        if out.exists():
            shutil.rmtree(out)
        staging.rename(out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def load_model(directory: Path) -> DelayModel:
    """Read a directory written by :func:`save_model`. Raises: ERR_RISK_DELAY_MODEL_INVALID."""
    try:
        meta = json.loads((directory / _MODEL).read_text())
        booster = lgb.Booster(model_file=str(directory / _BOOSTER))
    except (OSError, ValueError, lgb.basic.LightGBMError) as error:
        raise DelayModelInvalid(
            f"{directory}: not a delay model directory ({error})", directory=str(directory)
        ) from error
    if meta.get("format") != _FORMAT:
        raise DelayModelInvalid(f"{directory}: unknown model format {meta.get('format')!r}")
    return DelayModel(
        booster=booster,
        categories=meta["categories"],
        curve_x=np.asarray(meta["calibration"]["x"], dtype=np.float64),
        curve_y=np.asarray(meta["calibration"]["y"], dtype=np.float64),
        threshold=float(meta["threshold"]),
    )


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` to ``path`` through a temporary file, so a reader never sees half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    staging = Path(name)
    try:
        with open(handle, "w", newline="") as stream:
            frame.to_csv(stream, index=False)
        staging.replace(path)
    finally:
        staging.unlink(missing_ok=True)


def card_markdown(card: dict[str, Any]) -> str:
    """The model card as Markdown (the same figures as ``model_card.json``)."""
    ev = card["evaluation"]
    rows = [
        ("AUC", ev["auc"]),
        ("PR-AUC", ev["pr_auc"]),
        ("Brier", ev["brier"]),
        ("Brier of the window's base rate", ev["base_rate_brier"]),
        ("Brier skill (1 - Brier / base)", ev["brier_skill"]),
        (f"ECE ({ev['ece_bins']} equal-mass bins)", ev["ece"]),
        (
            f"precision at capacity ({ev['capacity_share']:.1%} of parcels)",
            ev["precision_at_capacity"],
        ),
        (f"share flagged at p > {card['threshold']}", ev["flagged_share_at_threshold"]),
        (f"precision at p > {card['threshold']}", ev["precision_at_threshold"]),
    ]
    lines = [
        "# Delay-risk model card",
        "",
        f"{card['model']}; {card['label']}; scored {card['scored_at']}.",
        "",
        "## Windows (split by promised time)",
        "",
        "| window | rows | from | to | late rate |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, w in card["windows"].items():
        lines.append(f"| {name} | {w['rows']} | {w['from']} | {w['to']} | {w['late_rate']:.4f} |")
    lines += ["", "## Evaluation (latest window)", "", "| figure | value |", "| --- | --- |"]
    lines += [f"| {name} | {_number(value)} |" for name, value in rows]
    lines += ["", "## Features (all known 12 h before promised_at)", ""]
    lines += [f"- `{name}`: {card['feature_meanings'][name]}" for name in card["features"]]
    lines += [
        "",
        f"Boosting rounds: {card['boosting_rounds']}; training took {card['training_seconds']} s; "
        f"{card['rows_skipped_undelivered']} undelivered rows left out.",
        "",
    ]
    return "\n".join(lines)


def _number(value: float | None) -> str:
    return "—" if value is None else f"{value:.4f}"
