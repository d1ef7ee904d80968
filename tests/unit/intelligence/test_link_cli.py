"""``oms link learn`` and ``oms link report`` on real files: contract, summary, bad input."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from oms.cli import app

KEYS = [
    ("oms_key", "external_id", "channel"),
    ("240501000000010001", "5712345678901", "shopify"),
    ("240501000000020002", "E20240501123045000123", "youzan"),
    ("240501000000030003", "100012345678", "jd"),
    ("240501000000040004", "3987654321098765432", "taobao"),
    ("240601000000050005", "555555555555", "jd"),
    ("240601000000060006", "555555555555", "miniprogram"),
]
PAIRS = [
    ("source_key", "oms_key"),
    ("shopify_5712345678901_a", "240501000000010001"),
    ("e20240501123045000123-2", "240501000000020002"),
    ("SF100000000001", "240501000000040004"),
]
RECORDS = [
    ("source_key", "remarks"),
    ("shopify_5712345678901_a", ""),
    ("shopify_5712345678901_b", ""),
    ("e20240501123045000123-2", ""),
    ("0000100012345678-1", ""),
    ("SF100000000001", "订单号3987654321098765432 电话13812345678"),
    ("SF100000000002", "电话13812345678 2024-05-01"),
    ("SF100000000003", "订单 100012345678 原单 5712345678901"),
    ("555555555555", ""),
]


def _csv(path: Path, rows: list[tuple[str, ...]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    return path


def _files(folder: Path, *, records: list[tuple[str, ...]] = RECORDS) -> list[str]:
    return [
        "link",
        "learn",
        "--source",
        "wms",
        "--pairs",
        str(_csv(folder / "pairs.csv", PAIRS)),
        "--records",
        str(_csv(folder / "records.csv", records)),
        "--oms-keys",
        str(_csv(folder / "keys.csv", KEYS)),
        "--out",
        str(folder / "links.csv"),
    ]


def _links(path: Path) -> dict[str, dict[str, str]]:
    with path.open(newline="") as handle:
        return {row["source_key"]: row for row in csv.DictReader(handle)}


def test_learn_writes_one_link_per_record_and_prints_patterns_with_coverage(
    tmp_path: Path,
) -> None:
    result = CliRunner().invoke(app, [*_files(tmp_path), "--review", str(tmp_path / "r.csv")])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["seed_pairs"] == 3
    assert {g["grammar"].split(" = ")[0] for g in summary["learned"]} == {"key", "remarks"}
    coverage = {p["pattern"]: p["records"] for p in summary["patterns"]}
    assert coverage["key: shopify_{external_id}_<x>"] == 2
    links = _links(tmp_path / "links.csv")
    assert list(links) == [r[0] for r in RECORDS[1:]]
    assert links["0000100012345678-1"]["oms_key"] == "240501000000030003"
    assert links["SF100000000001"]["pattern"] == "remarks: {external_id}"
    assert links["SF100000000002"]["oms_key"] == ""
    assert links["SF100000000003"]["oms_key"] == "" and summary["ambiguous"] == 2
    assert links["555555555555"]["pattern"].startswith("ambiguous: ")
    assert summary["merge_candidates"] == 1
    review = (tmp_path / "r.csv").read_text()
    assert "merge,shopify_5712345678901_a | shopify_5712345678901_b,240501000000010001" in review


def test_report_summarises_a_links_file_as_learn_did(tmp_path: Path) -> None:
    learned = json.loads(CliRunner().invoke(app, _files(tmp_path)).stdout)
    result = CliRunner().invoke(app, ["link", "report", "--links", str(tmp_path / "links.csv")])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    for name in ("records", "linked", "unlinked", "ambiguous", "patterns", "merge_candidates"):
        assert report[name] == learned[name]
    assert report["ambiguous_records"][0]["candidates"]


def test_records_without_a_source_key_column_exit_2_and_write_nothing(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, _files(tmp_path, records=[("key", "remarks"), ("a", "")]))
    assert result.exit_code == 2
    assert "ERR_LINK_INPUT_INVALID" in result.stderr
    assert not (tmp_path / "links.csv").exists()


def test_a_bad_row_late_in_the_records_leaves_the_old_links_file_whole(tmp_path: Path) -> None:
    (tmp_path / "links.csv").write_text("old\n")
    bad = [*RECORDS, ("SF9", "x", "a cell too many")]
    result = CliRunner().invoke(app, _files(tmp_path, records=bad))
    assert result.exit_code == 2
    assert "line 10 has more cells" in result.stderr
    assert (tmp_path / "links.csv").read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "keys.csv",
        "links.csv",
        "pairs.csv",
        "records.csv",
    ]


def test_a_seed_naming_an_unknown_order_exits_2(tmp_path: Path) -> None:
    args = _files(tmp_path)
    _csv(tmp_path / "pairs.csv", [*PAIRS, ("x_1", "999")])
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert "ERR_LINK_INPUT_INVALID" in result.stderr and "999" in result.stderr


def test_seeds_no_pattern_explains_exit_2(tmp_path: Path) -> None:
    args = _files(tmp_path)
    _csv(tmp_path / "pairs.csv", [PAIRS[0], ("unrelated-key", "240501000000030003")])
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert "ERR_LINK_NO_PATTERN" in result.stderr


@pytest.mark.parametrize("missing", ["pairs", "oms-keys"])
def test_a_missing_input_file_exits_2(tmp_path: Path, missing: str) -> None:
    args = _files(tmp_path)
    args[args.index(f"--{missing}") + 1] = str(tmp_path / "absent.csv")
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert "ERR_LINK_INPUT_INVALID" in result.stderr


def test_report_on_a_file_without_the_link_columns_exits_2(tmp_path: Path) -> None:
    path = _csv(tmp_path / "links.csv", [("source_key", "oms_key"), ("a", "b")])
    result = CliRunner().invoke(app, ["link", "report", "--links", str(path)])
    assert result.exit_code == 2
    assert "confidence" in result.stderr


def test_a_column_the_seeds_refute_is_not_used(tmp_path: Path) -> None:
    """A column that names some other order for most seeds (an exchange's original order)."""
    args = _files(tmp_path)
    _csv(
        tmp_path / "pairs.csv",
        [
            *PAIRS[:2],
            ("A1", "240501000000040004"),
            ("A2", "240501000000020002"),
            ("A3", "240501000000030003"),
        ],
    )
    _csv(
        tmp_path / "records.csv",
        [
            ("source_key", "original"),
            ("A1", "3987654321098765432"),
            ("A2", "3987654321098765432"),
            ("A3", "3987654321098765432"),
            ("A4", "100012345678"),
        ],
    )
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert [g["grammar"].split(" = ")[0] for g in json.loads(result.stdout)["learned"]] == ["key"]
    assert _links(tmp_path / "links.csv")["A4"]["oms_key"] == ""
