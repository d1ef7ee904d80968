"""``oms link learn``, offline: learn a source's key patterns from seed pairs and link the rest.

Two passes over the records file: the first finds the seed pairs' records (their remarks may
hold the order number), the second links every record and streams LINKS.csv. Learning is
checked on the seeds themselves: a grammar that links more seeds wrongly than rightly is
dropped, and each grammar's confidence is its smoothed precision on them,
(right + 1) / (found + 2).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from oms.intelligence.linking.errors import LinkInputInvalid, NoPatternLearned
from oms.intelligence.linking.files import atomic_csv, read_rows
from oms.intelligence.linking.linker import KnownOrder, Link, Linker, Matcher
from oms.intelligence.linking.patterns import KEY, TOKEN, SeedPair, learn_grammars
from oms.intelligence.linking.report import LINK_COLUMNS, Tally

__all__ = ["LearnPaths", "learn_links"]

SOURCE_KEY = "source_key"
_SAMPLE = 20


@dataclass(frozen=True)
class LearnPaths:
    """The files of one ``oms link learn`` call."""

    pairs: Path
    records: Path
    oms_keys: Path
    out: Path
    review: Path | None = None


def learn_links(source: str, paths: LearnPaths, *, sample: int = _SAMPLE) -> dict[str, Any]:
    """Learn ``source``'s patterns, write one link per record; the summary to print.

    Raises: ERR_LINK_INPUT_INVALID, ERR_LINK_NO_PATTERN.
    """
    started = time.perf_counter()
    orders = _read_orders(paths.oms_keys)
    seeds = _read_pairs(paths.pairs, {o.oms_key: o for o in orders})
    pairs = _seed_pairs(paths.records, seeds, {o.oms_key: o.external_id for o in orders})
    linker = Linker(learn_grammars(pairs), orders)
    learned = _validate(linker, pairs)
    if not learned:
        raise NoPatternLearned(f"no pattern of {source} explains any of {len(pairs)} seed pairs")
    tally = _link_all(linker, paths, seeds, sample=sample)
    return {
        "source": source,
        "seed_pairs": len(pairs),
        "learned": learned,
        **tally.as_dict(),
        "seconds": round(time.perf_counter() - started, 3),
    }


def _read_orders(path: Path) -> list[KnownOrder]:
    with read_rows(path, required=("oms_key", "external_id", "channel")) as table:
        at = [table.column(name) for name in ("oms_key", "external_id", "channel")]
        orders = [KnownOrder(r[at[0]], r[at[1]], r[at[2]]) for r in table.rows]
    if not orders:
        raise LinkInputInvalid(f"{path.name} lists no known order", file=str(path))
    return orders


def _read_pairs(path: Path, known: dict[str, KnownOrder]) -> dict[str, str]:
    with read_rows(path, required=(SOURCE_KEY, "oms_key")) as table:
        key, oms = table.column(SOURCE_KEY), table.column("oms_key")
        seeds = {r[key]: r[oms] for r in table.rows if r[key] and r[oms]}
    if not seeds:
        raise LinkInputInvalid(f"{path.name} has no seed pair", file=str(path))
    unknown = sorted(o for o in set(seeds.values()) if o not in known)
    if unknown:
        raise LinkInputInvalid(
            f"{len(unknown)} seed pair(s) name an oms key that {path.name}'s known orders lack",
            file=str(path),
            unknown=unknown[:_SAMPLE],
        )
    return seeds


def _seed_pairs(path: Path, seeds: dict[str, str], external: dict[str, str]) -> list[SeedPair]:
    """Each seed with its record's other columns (none when the records file lacks it)."""
    columns: dict[str, dict[str, str]] = {}
    with read_rows(path, required=(SOURCE_KEY,)) as table:
        at = table.column(SOURCE_KEY)
        named = [(i, name) for i, name in enumerate(table.header) if i != at]
        for row in table.rows:
            key = row[at]
            if key in seeds and key not in columns:
                columns[key] = {name: row[i] for i, name in named if row[i]}
    return [
        SeedPair(key, oms_key, external[oms_key], columns.get(key, {}))
        for key, oms_key in seeds.items()
    ]


def _validate(linker: Linker, pairs: list[SeedPair]) -> list[dict[str, Any]]:
    """Score each grammar on the seeds; drop the ones wrong more often than right."""
    learned = []
    for matcher in linker.matchers:
        found = right = 0
        for pair in pairs:
            hits = _hits(linker, matcher, pair)
            found += bool(hits)
            right += hits == {pair.oms_key}
        if right * 2 <= found or right == 0:
            linker.drop(matcher)
            continue
        matcher.confidence = round((right + 1) / (found + 2), 4)
        learned.append(
            {
                "grammar": matcher.grammar.label,
                "seeds_explained": right,
                "seed_coverage": round(right / len(pairs), 4),
                "seeds_wrong": found - right,
                "confidence": matcher.confidence,
            }
        )
    return learned


def _hits(linker: Linker, matcher: Matcher, pair: SeedPair) -> set[str]:
    hits: dict[str, tuple[float, str]] = {}
    if matcher.grammar.source == KEY:
        linker.collect(pair.source_key, [matcher], hits)
    else:
        for token in TOKEN.findall(pair.columns.get(matcher.grammar.source, "")):
            linker.collect(token, [matcher], hits)
    return set(hits)


def _link_all(linker: Linker, paths: LearnPaths, seeds: dict[str, str], *, sample: int) -> Tally:
    tally = Tally(sample=sample)
    review: list[tuple[str, str, str]] = []
    with (
        atomic_csv(paths.out, LINK_COLUMNS) as out,
        read_rows(paths.records, required=(SOURCE_KEY,)) as table,
    ):
        at = table.column(SOURCE_KEY)
        used = [(name, table.column(name)) for name in linker.column_matchers]
        for row in table.rows:
            key = row[at]
            link = linker.link(key, {name: row[i] for name, i in used})
            if key in seeds:
                link = _seeded(link, seeds[key])
            tally.add(link)
            out.writerow((key, link.oms_key, link.confidence, link.pattern))
            if link.is_ambiguous and paths.review is not None:
                review.append(("ambiguous", key, " | ".join(link.candidates)))
        if paths.review is not None:  # inside: LINKS.csv is replaced only once this is written
            _write_review(paths.review, review, tally)
    return tally


def _seeded(link: Link, oms_key: str) -> Link:
    """A seed's given order, under the pattern that also finds it when there is one."""
    pattern = link.pattern if link.oms_key == oms_key else "seed"
    return Link(link.source_key, oms_key, 1.0, pattern, (oms_key,))


def _write_review(path: Path, ambiguous: list[tuple[str, str, str]], tally: Tally) -> None:
    with atomic_csv(path, ("kind", "source_keys", "oms_keys")) as out:
        for row in ambiguous:
            out.writerow(row)
        for order, keys in tally.merge_candidates():
            out.writerow(("merge", " | ".join(keys), order))
