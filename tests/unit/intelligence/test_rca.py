"""Root-cause analysis on small cubes with known causes, and its offline command."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pv
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from oms.cli import app
from oms.intelligence.rca.cube import Measure, build_cube, parse_measure
from oms.intelligence.rca.errors import RcaInputInvalid
from oms.intelligence.rca.localise import localise_tables

MEASURE = Measure("refunds", "orders")
DIMS = ["channel", "sku", "category", "outlet", "carrier"]
CHANNELS = ("tmall", "jd", "douyin")
SKUS = [f"S{i:02d}" for i in range(12)]
OUTLETS = [f"O{i:02d}" for i in range(8)]


def _leaves(
    *, orders: int, rate: float, lifts: Sequence[tuple[dict[str, str], float]] = ()
) -> pa.Table:
    """Every channel x SKU x outlet with ``orders`` orders and exactly rate x orders refunds
    (times each lift whose attributes the leaf has): no noise, so the truth is known."""
    rows: dict[str, list[object]] = {d: [] for d in (*DIMS, "orders", "refunds")}
    for channel in CHANNELS:
        for s, sku in enumerate(SKUS):
            for o, outlet in enumerate(OUTLETS):
                leaf = {"channel": channel, "sku": sku, "outlet": outlet}
                leaf_rate = rate
                for attributes, lift in lifts:
                    if all(leaf[k] == v for k, v in attributes.items()):
                        leaf_rate *= lift
                values = {
                    **leaf,
                    "category": f"C{s // 4}",
                    "carrier": ("SF", "ZTO")[o % 2],
                    "orders": orders,
                    "refunds": round(orders * leaf_rate),
                }
                for key, value in values.items():
                    rows[key].append(value)
    return pa.table(rows)


def _causes(facts: pa.Table, baseline: pa.Table) -> list[dict[str, str]]:
    return [f.attributes for f in localise_tables(facts, baseline, DIMS, MEASURE)]


BASELINE = _leaves(orders=700, rate=0.05)


def test_one_sku_is_named_without_the_category_it_implies() -> None:
    facts = _leaves(orders=100, rate=0.05, lifts=[({"sku": "S05"}, 3.0)])
    [finding] = localise_tables(facts, BASELINE, DIMS, MEASURE)
    assert finding.attributes == {"sku": "S05"}
    assert finding.share == 1.0
    assert finding.evidence["refunds"] == 3 * 8 * 15
    assert finding.evidence["expected_refunds"] == 3 * 8 * 5
    assert finding.evidence["rate_ratio"] == 3.0
    assert finding.evidence["p_value"] < 1e-6


def test_the_dependencies_are_found_from_the_data() -> None:
    cube = build_cube(_leaves(orders=100, rate=0.05), BASELINE, DIMS, MEASURE)
    assert cube.determines == {("sku", "category"), ("outlet", "carrier")}
    assert cube.independent() == ("channel", "sku", "outlet")


def test_a_sku_at_one_outlet_is_named_as_the_pair() -> None:
    facts = _leaves(orders=100, rate=0.05, lifts=[({"sku": "S02", "outlet": "O03"}, 4.0)])
    assert _causes(facts, BASELINE) == [{"outlet": "O03", "sku": "S02"}]


def test_a_sku_on_one_channel_is_named_as_the_pair() -> None:
    facts = _leaves(orders=100, rate=0.05, lifts=[({"sku": "S07", "channel": "jd"}, 4.0)])
    assert _causes(facts, BASELINE) == [{"channel": "jd", "sku": "S07"}]


def test_two_independent_causes_are_both_named() -> None:
    lifts = [({"sku": "S01"}, 3.0), ({"outlet": "O06"}, 2.5)]
    facts = _leaves(orders=100, rate=0.05, lifts=lifts)
    assert sorted(map(str, _causes(facts, BASELINE))) == sorted(
        map(str, [{"sku": "S01"}, {"outlet": "O06"}])
    )


def test_a_cause_is_named_when_the_overall_rate_falls() -> None:
    lifts = [({"sku": "S09"}, 3.0), ({"channel": "tmall"}, 0.5)]
    facts = _leaves(orders=100, rate=0.05, lifts=lifts)
    assert facts["refunds"].to_numpy().sum() < BASELINE["refunds"].to_numpy().sum() / 7
    assert {"sku": "S09"} in _causes(facts, BASELINE)


def test_no_rise_names_nothing_and_a_baseline_of_any_length_is_a_rate() -> None:
    facts = _leaves(orders=100, rate=0.05)
    assert _causes(facts, BASELINE) == []
    assert _causes(facts, _leaves(orders=10_000, rate=0.05)) == []


def test_a_leaf_missing_from_the_facts_counts_as_zero() -> None:
    facts = _leaves(orders=100, rate=0.05, lifts=[({"sku": "S05"}, 3.0)])
    quiet = facts.filter(pa.compute.not_equal(facts["outlet"], "O07"))
    assert _causes(quiet, BASELINE) == [{"sku": "S05"}]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t.drop_columns(["refunds"]), "lack columns: refunds"),
        (lambda t: t.set_column(6, "refunds", pa.array([-1] * t.num_rows)), "negative refunds"),
        (lambda t: t.set_column(5, "orders", pa.array(["x"] * t.num_rows)), "not numbers"),
    ],
)
def test_bad_facts_are_refused_with_the_code(change: object, message: str) -> None:
    facts = change(_leaves(orders=100, rate=0.05))  # type: ignore[operator]
    with pytest.raises(RcaInputInvalid, match=message) as caught:
        localise_tables(facts, BASELINE, DIMS, MEASURE)
    assert caught.value.code == "ERR_RCA_INPUT_INVALID"


def test_an_unknown_dimension_and_a_bad_measure_are_refused() -> None:
    with pytest.raises(RcaInputInvalid, match="lack columns: province"):
        localise_tables(BASELINE, BASELINE, [*DIMS, "province"], MEASURE)
    with pytest.raises(RcaInputInvalid):
        parse_measure("refunds")
    empty = BASELINE.set_column(5, "orders", pa.array([0] * BASELINE.num_rows))
    with pytest.raises(RcaInputInvalid, match="no orders"):
        localise_tables(BASELINE, empty, DIMS, MEASURE)


def test_the_command_reads_parquet_and_csv_and_prints_the_causes(tmp_path: Path) -> None:
    facts = _leaves(orders=100, rate=0.05, lifts=[({"outlet": "O04"}, 3.0)])
    pq.write_table(facts, tmp_path / "facts.parquet")
    pv.write_csv(BASELINE, tmp_path / "baseline.csv")
    args = ["analytics", "rca", "--facts", str(tmp_path / "facts.parquet")]
    args += ["--dimensions", ",".join(DIMS), "--measure", "refunds/orders"]
    result = CliRunner().invoke(app, [*args, "--baseline", str(tmp_path / "baseline.csv")])
    assert result.exit_code == 0, result.output
    [cause] = json.loads(result.output)["causes"]
    assert cause["attributes"] == {"outlet": "O04"}
    assert cause["share"] == 1.0
    assert set(cause["evidence"]) >= {"orders", "refunds", "expected_refunds", "rate_ratio"}


def test_the_command_exits_2_with_the_code_on_bad_input(tmp_path: Path) -> None:
    pv.write_csv(BASELINE.drop_columns(["orders"]), tmp_path / "facts.csv")
    pv.write_csv(BASELINE, tmp_path / "baseline.csv")
    args = ["analytics", "rca", "--facts", str(tmp_path / "facts.csv"), "--dimensions", "sku"]
    result = CliRunner().invoke(app, [*args, "--baseline", str(tmp_path / "baseline.csv")])
    assert result.exit_code == 2
    assert "ERR_RCA_INPUT_INVALID" in result.output
    missing = CliRunner().invoke(app, [*args[:-2], "--dimensions", "sku", "--baseline", "nope"])
    assert missing.exit_code == 2
