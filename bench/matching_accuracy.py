"""Accuracy of the matching engine on labelled statements: precision and recall of the
matches it confirms automatically, on two generators.

    .venv/bin/python -m bench.matching_accuracy [--seed 7] [--lines 20000] [--movements 60000]
        [--outside-seed 20261201] [--outside-lines 6000] [--outside-orders 40000]

1. The project's own generator (``bench.statement_data``), a floor: it was written with the
   engine and knows its habits.
2. The outside generator (``bench.outside_statements``), written independently of the engine
   from how banks and payers really write (MT940 ``:86:`` subfields, camt.053 ``Ustrd`` and
   ``Strd/CdtrRefInf``, Alipay and WeChat settlement lines, platform order numbers, look-alike
   characters, one-digit typos, names only, one line for two orders, refunds). Its files are
   parsed by oms's parsers; figures are printed per kind against the targets and the figure
   the outside benchmark measured before issue 11.

Precision: auto-confirmed pairs that the labels say are right / all auto-confirmed pairs.
Recall: labelled sure one-to-one lines confirmed correctly / all of them. Lines a careful
clerk would look at twice (split, merged, beyond tolerance, outside the window, a memo naming
another real order) are not in the recall denominator; where they went is printed. The engine
never sees the labels; a threshold sweep is printed from the scores it returns.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from dataclasses import replace

from bench.matching_outside import add_arguments, run_outside
from bench.statement_data import Labelled, generate
from oms.finance.matching import MatchSettings, MovementIndex, Proposal, match_lines


def _evaluate(labelled: list[Labelled], proposals: list[Proposal]) -> dict[str, float]:
    truth = {item.line.id: item for item in labelled}
    auto = [p for p in proposals if p.is_auto]
    right = [p for p in auto if set(p.movement_ids) <= truth[p.line_ids[0]].truth]
    sure = [item for item in labelled if item.is_sure]
    right_ids = {p.line_ids[0] for p in right}
    found = sum(1 for item in sure if item.line.id in right_ids)
    return {
        "auto": len(auto),
        "right": len(right),
        "precision": len(right) / len(auto) if auto else 1.0,
        "recall": found / len(sure) if sure else 1.0,
    }


def _where_cases_went(labelled: list[Labelled], proposals: list[Proposal]) -> None:
    auto = {line for p in proposals if p.is_auto for line in p.line_ids}
    review = {line for p in proposals if not p.is_auto for line in p.line_ids}
    by_case: dict[str, Counter[str]] = {}
    for item in labelled:
        lid = item.line.id
        outcome = "auto" if lid in auto else "review" if lid in review else "none"
        by_case.setdefault(item.case, Counter())[outcome] += 1
    print(f"{'case':<22}{'lines':>7}{'auto':>7}{'review':>8}{'none':>7}")
    for case, counts in sorted(by_case.items()):
        total = sum(counts.values())
        print(f"{case:<22}{total:>7}{counts['auto']:>7}{counts['review']:>8}{counts['none']:>7}")


def _wrong(labelled: list[Labelled], proposals: list[Proposal], limit: int = 5) -> None:
    truth = {item.line.id: item for item in labelled}
    shown = 0
    for p in proposals:
        item = truth[p.line_ids[0]]
        if p.is_auto and not set(p.movement_ids) <= item.truth and shown < limit:
            print(f"  wrong auto: {item.case} {item.line.text!r} -> {p.movement_ids} {p.reasons}")
            shown += 1


def _sweep(labelled: list[Labelled], proposals: list[Proposal], current: int) -> None:
    print("threshold sweep (same run, scores from the engine):")
    for threshold in range(current - 10, current + 15, 5):
        redone = [
            replace(p, is_auto=p.kind == "one_to_one" and p.score >= threshold and _was_sure(p))
            for p in proposals
        ]
        figures = _evaluate(labelled, redone)
        print(
            f"  >= {threshold:3d}: precision {figures['precision']:.4%} "
            f"recall {figures['recall']:.4%} auto {figures['auto']:.0f}"
        )


def _was_sure(proposal: Proposal) -> bool:
    return not any(reason.code == "ambiguous" for reason in proposal.reasons)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--lines", type=int, default=20_000)
    parser.add_argument("--movements", type=int, default=60_000)
    add_arguments(parser)
    args = parser.parse_args()
    print("== 1. the project's own generator (a floor) ==")
    movements, labelled = generate(args.seed, movement_count=args.movements, line_count=args.lines)
    settings = MatchSettings()
    started = time.perf_counter()
    proposals = match_lines([item.line for item in labelled], MovementIndex(movements), settings)
    elapsed = time.perf_counter() - started
    figures = _evaluate(labelled, proposals)
    sure = sum(1 for item in labelled if item.is_sure)
    print(f"seed {args.seed}: {len(labelled)} lines ({sure} sure), {len(movements)} movements")
    print(f"settings: {settings}; matched in {elapsed:.2f} s")
    _where_cases_went(labelled, proposals)
    print(
        f"auto-confirmed {figures['auto']:.0f}, right {figures['right']:.0f}: "
        f"precision {figures['precision']:.4%}, recall {figures['recall']:.4%} "
        "(targets 99.5 % / 99 %)"
    )
    _wrong(labelled, proposals)
    _sweep(labelled, proposals, settings.auto_confirm_score)
    print()
    print("== 2. the outside generator (independent of the engine) ==")
    run_outside(args)


if __name__ == "__main__":
    main()
