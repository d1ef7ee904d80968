"""What a set of links says: coverage per pattern, unlinked, ambiguous, merge candidates.

The same :class:`Tally` summarises a run of ``oms link learn`` as it writes and a LINKS.csv
read back by ``oms link report``, so both print the same figures for the same rows.

A **merge candidate** is two or more records of one source that the record's own key links to
the same order and the same sub-order: ``shopify_12345_a`` and ``shopify_12345_b``, or ``12345``
and ``00012345``: the same platform order entered twice. Sub-orders (``…-1``, ``…-2``) are
different records of one order, and several waybills naming one order in their remarks are
normal, so neither is a candidate. Candidates are reported only; nothing is merged here.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from oms.intelligence.linking.files import read_rows
from oms.intelligence.linking.linker import Link, parse_candidates
from oms.intelligence.linking.patterns import KEY

__all__ = ["LINK_COLUMNS", "Tally", "merge_group", "read_links", "summarise_links"]

LINK_COLUMNS = ("source_key", "oms_key", "confidence", "pattern")
_KEY_PATTERN = f"{KEY}: "
_SUB_ORDER = "<n>"


def merge_group(source_key: str, oms_key: str, pattern: str) -> str | None:
    """The order (and sub-order) a key-linked record stands for; None for other records."""
    if not oms_key or not pattern.startswith(_KEY_PATTERN):
        return None
    if not pattern.endswith(_SUB_ORDER):
        return oms_key
    sep = pattern[-len(_SUB_ORDER) - 1]
    return f"{oms_key}{sep}{source_key.rpartition(sep)[2]}"


@dataclass
class Tally:
    """Counts of one run's links, with samples of what needs a person's review."""

    sample: int = 20
    records: int = 0
    linked: int = 0
    ambiguous: int = 0
    unlinked: int = 0
    patterns: dict[str, int] = field(default_factory=dict)
    ambiguous_records: list[dict[str, Any]] = field(default_factory=list)
    unlinked_records: list[str] = field(default_factory=list)
    _groups: dict[str, str | list[str]] = field(default_factory=dict)

    def add(self, link: Link) -> None:
        """Count one record's link."""
        self.records += 1
        if link.oms_key:
            self.linked += 1
            self.patterns[link.pattern] = self.patterns.get(link.pattern, 0) + 1
            group = merge_group(link.source_key, link.oms_key, link.pattern)
            if group is not None:
                self._add_to_group(group, link.source_key)
        elif link.is_ambiguous:
            self.ambiguous += 1
            if len(self.ambiguous_records) < self.sample:
                item = {"source_key": link.source_key, "candidates": list(link.candidates)}
                self.ambiguous_records.append(item)
        else:
            self.unlinked += 1
            if len(self.unlinked_records) < self.sample:
                self.unlinked_records.append(link.source_key)

    def _add_to_group(self, group: str, source_key: str) -> None:
        seen = self._groups.get(group)
        if seen is None:
            self._groups[group] = source_key
        elif isinstance(seen, str):
            if seen != source_key:
                self._groups[group] = [seen, source_key]
        elif source_key not in seen:
            seen.append(source_key)

    def merge_candidates(self) -> Iterator[tuple[str, list[str]]]:
        """``(order, source keys)`` for every order two or more records stand for."""
        for group, keys in self._groups.items():
            if isinstance(keys, list):
                yield group, keys

    def coverage(self) -> list[dict[str, Any]]:
        """Each pattern with the records it linked and their share of all records."""
        ranked = sorted(self.patterns.items(), key=lambda item: (-item[1], item[0]))
        share = self.records or 1
        return [
            {"pattern": name, "records": count, "coverage": round(count / share, 4)}
            for name, count in ranked
        ]

    def as_dict(self) -> dict[str, Any]:
        """The summary that ``oms link learn`` and ``oms link report`` print."""
        merges = list(self.merge_candidates())
        return {
            "records": self.records,
            "linked": self.linked,
            "unlinked": self.unlinked,
            "ambiguous": self.ambiguous,
            "patterns": self.coverage(),
            "ambiguous_records": self.ambiguous_records,
            "unlinked_records": self.unlinked_records,
            "merge_candidates": len(merges),
            "merge_candidate_groups": [
                {"order": group, "source_keys": keys} for group, keys in merges[: self.sample]
            ],
        }


def read_links(path: Path) -> Iterator[Link]:
    """The links of a LINKS.csv that ``oms link learn`` wrote."""
    with read_rows(path, required=LINK_COLUMNS) as table:
        key, oms, pattern = (table.column(name) for name in ("source_key", "oms_key", "pattern"))
        for row in table.rows:
            yield Link(row[key], row[oms], 0.0, row[pattern], parse_candidates(row[pattern]))


def summarise_links(path: Path, *, sample: int = 20) -> dict[str, Any]:
    """``oms link report``: the summary of a LINKS.csv. Raises: ERR_LINK_INPUT_INVALID."""
    tally = Tally(sample=sample)
    for link in read_links(path):
        tally.add(link)
    return tally.as_dict()
