"""``oms link …``: learn a source's key patterns and link its records; summarise links."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from oms.core.cli import exit_on_app_error, print_json
from oms.intelligence.linking.report import summarise_links
from oms.intelligence.linking.service import LearnPaths, learn_links

__all__ = ["link_app"]

link_app = typer.Typer(help="Link other systems' records to oms orders", no_args_is_help=True)


@link_app.command("learn")
def learn(
    source: Annotated[str, typer.Option(help="the system the records come from")],
    pairs: Annotated[Path, typer.Option(help="seed pairs CSV: source_key,oms_key")],
    records: Annotated[Path, typer.Option(help="records CSV: source_key plus any columns")],
    oms_keys: Annotated[
        Path, typer.Option("--oms-keys", help="known orders CSV: oms_key,external_id,channel")
    ],
    out: Annotated[Path, typer.Option(help="links CSV to write: one row per record")],
    review: Annotated[
        Path | None, typer.Option(help="also write ambiguous records and merge candidates here")
    ] = None,
    sample: Annotated[int, typer.Option(min=0, help="records listed per kind")] = 20,
) -> None:
    """Learn the source's key patterns from the seed pairs, print them, link every record.

    A record two or more orders fit gets an empty oms_key (ambiguous, for review); records
    that stand for the same order twice are listed as merge candidates, never merged.
    """
    paths = LearnPaths(pairs=pairs, records=records, oms_keys=oms_keys, out=out, review=review)
    with exit_on_app_error():
        summary = learn_links(source, paths, sample=sample)
    print_json(summary)


@link_app.command("report")
def report(
    links: Annotated[Path, typer.Option(help="a links CSV written by oms link learn")],
    sample: Annotated[int, typer.Option(min=0, help="records listed per kind")] = 20,
) -> None:
    """Summarise a links CSV: linked, unlinked, ambiguous, coverage per pattern, merges."""
    with exit_on_app_error():
        summary = summarise_links(links, sample=sample)
    print_json(summary)
