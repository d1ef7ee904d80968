"""``oms risk delay train|predict``: the CSV contract, the model card, flags and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from oms.cli import app as cli
from tests.unit.risk.delay_history import SLOW, history_frame, write

runner = CliRunner()


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("delay")
    history = write(history_frame(), root / "h.csv")
    result = runner.invoke(
        cli, ["risk", "delay", "train", "--history", str(history), "--out", str(root / "m")]
    )
    assert result.exit_code == 0, result.output
    return root / "m"


def _parcels(tmp_path: Path, rows: int = 300) -> Path:
    frame = history_frame(rows, seed=11).drop(columns=["delivered_at"])
    return write(frame, tmp_path / "x.csv")


def test_train_writes_the_card_with_features_and_figures_in_json_and_markdown(
    model_dir: Path,
) -> None:
    card = json.loads((model_dir / "model_card.json").read_text())
    assert "carrier" in card["features"] and "delivered_at" not in card["features"]
    figures = card["evaluation"]
    for name in ("auc", "pr_auc", "brier", "base_rate_brier", "ece", "precision_at_capacity"):
        assert 0.0 <= figures[name] <= 1.0, name
    window = card["windows"]["evaluation"]
    assert figures["base_rate_brier"] == pytest.approx(
        window["late_rate"] * (1 - window["late_rate"])
    )
    assert figures["auc"] > 0.8  # the planted carrier is found
    markdown = (model_dir / "model_card.md").read_text()
    assert "# Delay-risk model card" in markdown and f"{figures['auc']:.4f}" in markdown


def test_predict_writes_parcel_id_and_p_late_in_input_order(
    model_dir: Path, tmp_path: Path
) -> None:
    parcels = _parcels(tmp_path)
    out = tmp_path / "p.csv"
    result = runner.invoke(
        cli,
        [
            "risk",
            "delay",
            "predict",
            "--model",
            str(model_dir),
            "--input",
            str(parcels),
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    answers = pd.read_csv(out, dtype={"parcel_id": str})
    assert list(answers.columns) == ["parcel_id", "p_late"]
    assert answers["parcel_id"].tolist() == pd.read_csv(parcels)["parcel_id"].tolist()
    carrier = pd.read_csv(parcels)["carrier"]
    assert (
        answers["p_late"][carrier == SLOW].mean()
        > 0.7
        > 0.2
        > answers["p_late"][carrier != SLOW].mean()
    )


def test_flags_name_the_carrier_as_the_reason_and_suggest_switching(
    model_dir: Path, tmp_path: Path
) -> None:
    flags = tmp_path / "f.csv"
    args = [
        "risk",
        "delay",
        "predict",
        "--model",
        str(model_dir),
        "--input",
        str(_parcels(tmp_path)),
    ]
    result = runner.invoke(cli, [*args, "--out", str(tmp_path / "p.csv"), "--flags", str(flags)])
    assert result.exit_code == 0, result.output
    flagged = pd.read_csv(flags)
    assert json.loads(result.output)["flagged"] == len(flagged) > 0
    assert (flagged["p_late"] > 0.85).all()
    assert flagged["reasons"].str.startswith(f"carrier={SLOW} (+").all()
    assert (flagged["action"] == "switch to a faster carrier or service").all()


def test_a_lower_threshold_flags_more_parcels(model_dir: Path, tmp_path: Path) -> None:
    args = [
        "risk",
        "delay",
        "predict",
        "--model",
        str(model_dir),
        "--input",
        str(_parcels(tmp_path)),
    ]
    counts = []
    for threshold in ("0.85", "0.05"):
        result = runner.invoke(
            cli, [*args, "--out", str(tmp_path / "p.csv"), "--threshold", threshold]
        )
        counts.append(json.loads(result.output)["flagged"])
    assert counts[1] > counts[0]


def test_a_missing_column_exits_2_naming_it_and_writes_no_model(tmp_path: Path) -> None:
    history = write(history_frame().drop(columns=["outlet_load"]), tmp_path / "h.csv")
    out = tmp_path / "m"
    result = runner.invoke(
        cli, ["risk", "delay", "train", "--history", str(history), "--out", str(out)]
    )
    assert result.exit_code == 2
    assert "ERR_RISK_DELAY_INPUT_INVALID" in result.output and "outlet_load" in result.output
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [history]


def test_an_unparseable_time_exits_2_naming_row_and_column_and_writes_no_answers(
    model_dir: Path, tmp_path: Path
) -> None:
    frame = history_frame(20, seed=2).drop(columns=["delivered_at"])
    frame.loc[6, "promised_at"] = "next tuesday"
    parcels = write(frame, tmp_path / "x.csv")
    out = tmp_path / "p.csv"
    result = runner.invoke(
        cli,
        [
            "risk",
            "delay",
            "predict",
            "--model",
            str(model_dir),
            "--input",
            str(parcels),
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 2
    assert "row 7 (line 8), column promised_at" in result.output
    assert not out.exists()


def test_a_time_without_offset_is_refused_rather_than_guessed(
    model_dir: Path, tmp_path: Path
) -> None:
    frame = history_frame(5, seed=2).drop(columns=["delivered_at"])
    frame.loc[2, "shipped_at"] = "2026-01-03T10:00:00"
    result = runner.invoke(
        cli,
        [
            "risk",
            "delay",
            "predict",
            "--model",
            str(model_dir),
            "--input",
            str(write(frame, tmp_path / "x.csv")),
            "--out",
            str(tmp_path / "p.csv"),
        ],
    )
    assert result.exit_code == 2
    assert (
        "row 3 (line 4), column shipped_at is not an ISO 8601 time with an offset" in result.output
    )


def test_a_history_too_small_to_split_is_refused(tmp_path: Path) -> None:
    history = write(history_frame(50), tmp_path / "h.csv")
    result = runner.invoke(
        cli, ["risk", "delay", "train", "--history", str(history), "--out", str(tmp_path / "m")]
    )
    assert result.exit_code == 2
    assert "at least 200" in result.output


def test_a_directory_that_is_no_model_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(
        cli,
        [
            "risk",
            "delay",
            "predict",
            "--model",
            str(tmp_path),
            "--input",
            str(_parcels(tmp_path)),
            "--out",
            str(tmp_path / "p.csv"),
        ],
    )
    assert result.exit_code == 2
    assert "ERR_RISK_DELAY_MODEL_INVALID" in result.output
    assert not (tmp_path / "p.csv").exists()
