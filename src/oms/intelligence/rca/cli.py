"""``oms analytics rca``: localise a rate's rise offline, from two leaf files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from oms.core.cli import exit_on_app_error, print_json
from oms.intelligence.rca.cube import parse_measure
from oms.intelligence.rca.files import read_table
from oms.intelligence.rca.localise import localise_tables

__all__ = ["analytics_app"]

analytics_app = typer.Typer(
    help="Order analytics (root cause of a rate's rise)", no_args_is_help=True
)


@analytics_app.command("rca")
def rca(
    facts: Annotated[Path, typer.Option(help="current leaves: Parquet or CSV")],
    dimensions: Annotated[str, typer.Option(help="comma-separated, e.g. channel,sku,outlet")],
    baseline: Annotated[Path, typer.Option(help="baseline leaves (any number of days)")],
    measure: Annotated[str, typer.Option(help="NUMERATOR/DENOMINATOR")] = "refunds/orders",
) -> None:
    """Print the causes of the rise as JSON: attributes, share of the excess, evidence."""
    dims = [d.strip() for d in dimensions.split(",") if d.strip()]
    with exit_on_app_error():
        ratio = parse_measure(measure)
        found = localise_tables(read_table(facts, dims), read_table(baseline, dims), dims, ratio)
    print_json({"causes": [f.as_json() for f in found]})
