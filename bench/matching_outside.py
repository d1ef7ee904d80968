"""The outside accuracy run: ``bench.outside_statements`` files through oms's parsers and the
engine, with precision and recall per kind of line.

Part of ``python -m bench.matching_accuracy``; the generator knows nothing of the engine, and
this module only translates its orders into engine movements and scores the answers.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter, defaultdict
from datetime import timedelta

from bench.outside_statements import KINDS, Generated, Label, generate
from oms.finance.matching import Line, MatchSettings, Movement, MovementIndex, Proposal, match_lines
from oms.finance.parsers import CsvLayout, parse_statement

__all__ = ["add_arguments", "run_outside"]

# What the independent benchmark measured on the engine before issue 11 (538 lines).
BASELINE = "outside benchmark before issue 11: precision 96.6 %, recall 90.3 %, 15 wrong autos"
TARGETS = (
    "targets: auto precision >= 99.9 %; auto recall >= 99 % over lines with a reference; "
    "0 autos of one-digit typos; >= 90 % right top candidate when the amount is unique"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--outside-seed", type=int, default=20261201)
    parser.add_argument("--outside-lines", type=int, default=6_000)
    parser.add_argument("--outside-orders", type=int, default=40_000)


def _engine_inputs(generated: Generated) -> tuple[list[Line], dict[str, Label], list[Movement]]:
    lines: list[Line] = []
    labels: dict[str, Label] = {}
    for fmt, data in generated.files.items():
        parsed = parse_statement(data, fmt, CsvLayout())
        expected = generated.labels[fmt]
        if len(parsed.lines) != len(expected):
            raise SystemExit(f"{fmt}: parsed {len(parsed.lines)} lines, wrote {len(expected)}")
        for number, (line, label) in enumerate(zip(parsed.lines, expected, strict=True)):
            if (line.amount, line.value_date) != (label.amount, label.value_date):
                raise SystemExit(f"{fmt} line {number}: parsed {line.amount} {line.value_date}")
            line_id = f"{fmt}-{number}"
            text = f"{line.reference or ''} {line.memo}"  # as finance.store loads a line
            lines.append(Line(line_id, line.amount, line.currency, line.value_date, text))
            labels[line_id] = label
    movements = [
        Movement(
            m.id,
            m.amount,
            "CNY",
            m.paid_on,
            order_no=m.order_no,
            trade_no=m.trade_no,
            external_id=m.external_id,
            refund_no=m.refund_no,
            gateway_refund_no=m.gateway_refund_no,
            payer_name=m.buyer_name,
        )
        for m in generated.movements
    ]
    return lines, labels, movements


def _unique_amount(line: Line, movements: list[Movement], window: int) -> bool:
    """Whether exactly one movement has the line's amount within the date window."""
    span = timedelta(days=window)
    found = sum(
        1
        for m in movements
        if m.amount == line.amount and abs(m.expected_date - line.value_date) <= span
    )
    return found == 1


def _score(
    lines: list[Line],
    labels: dict[str, Label],
    movements: list[Movement],
    proposals: list[Proposal],
) -> dict[str, Counter[str]]:
    by_line: dict[str, list[Proposal]] = defaultdict(list)
    for proposal in proposals:
        for line_id in proposal.line_ids:
            by_line[line_id].append(proposal)
    by_amount: dict[int, list[Movement]] = defaultdict(list)
    for movement in movements:
        by_amount[movement.amount].append(movement)
    figures: dict[str, Counter[str]] = defaultdict(Counter)
    for line in lines:
        label = labels[line.id]
        counts = figures[label.kind]
        counts["lines"] += 1
        counts["empty_text"] += not line.text.strip()
        mine = by_line.get(line.id, [])
        auto = [p for p in mine if p.is_auto]
        if auto:
            counts["auto"] += 1
            counts["auto_right"] += frozenset(auto[0].movement_ids) == label.truth
        review = [p for p in mine if not p.is_auto]
        if any(label.truth & set(p.movement_ids) for p in review):
            counts["review_right"] += 1
        if label.expected == "candidate":
            top = [p for p in review if p.rank == 1]
            is_right = bool(top) and frozenset(top[0].movement_ids) == label.truth
            counts["top_right"] += is_right
            if _unique_amount(line, by_amount[line.amount], 3):
                counts["unique"] += 1
                counts["unique_top_right"] += is_right
    return figures


def _pct(part: int, whole: int) -> str:
    return f"{part / whole:8.2%}" if whole else "       -"


def _print(figures: dict[str, Counter[str]]) -> None:
    print(
        f"{'kind':<24}{'lines':>6}{'auto':>6}{'right':>6}{'precision':>10}{'recall':>9}"
        f"{'in review':>10}{'top-1 (unique amount)':>24}"
    )
    expected = {kind: outcome for kind, _, outcome in KINDS}
    for kind, _, _ in KINDS:
        c = figures.get(kind, Counter())
        recall = _pct(c["auto_right"], c["lines"]) if expected[kind] == "auto" else "       -"
        top = ""
        if expected[kind] == "candidate":
            top = f"{_pct(c['unique_top_right'], c['unique']).strip()} of {c['unique']}"
            top += f" (all {_pct(c['top_right'], c['lines']).strip()})"
        print(
            f"{kind:<24}{c['lines']:>6}{c['auto']:>6}{c['auto_right']:>6}"
            f"{_pct(c['auto_right'], c['auto']):>10}{recall:>9}"
            f"{_pct(c['review_right'], c['lines']):>10}{top:>24}"
        )


def _totals(figures: dict[str, Counter[str]]) -> None:
    expected = {kind: outcome for kind, _, outcome in KINDS}
    auto = sum(c["auto"] for c in figures.values())
    right = sum(c["auto_right"] for c in figures.values())
    with_reference = [c for k, c in figures.items() if expected[k] == "auto"]
    found = sum(c["auto_right"] for c in with_reference)
    total = sum(c["lines"] for c in with_reference)
    empty = sum(c["empty_text"] for c in with_reference)
    typo_autos = figures.get("one_digit_typo", Counter())["auto"]
    names = figures.get("payer_name_only", Counter())
    print(
        f"all kinds: auto-confirmed {auto}, right {right}, wrong {auto - right}: "
        f"precision {_pct(right, auto).strip()}, recall {_pct(found, total).strip()} "
        f"(over {total} lines whose memo carries a reference)"
    )
    if empty:
        print(
            f"  {empty} of them reached the engine with no text at all (the parser dropped "
            f"the memo); over the {total - empty} others: recall "
            f"{_pct(found, total - empty).strip()}"
        )
    print(
        f"one-digit typos confirmed automatically: {typo_autos}; payer-name-only lines with the "
        f"right top candidate when the amount is unique in the window: "
        f"{_pct(names['unique_top_right'], names['unique']).strip()}"
    )
    print(TARGETS)
    print(BASELINE)


def run_outside(args: argparse.Namespace) -> None:
    """Generate, parse, match and print the per-kind figures."""
    started = time.perf_counter()
    generated = generate(
        args.outside_seed, line_count=args.outside_lines, order_count=args.outside_orders
    )
    lines, labels, movements = _engine_inputs(generated)
    prepared = time.perf_counter() - started
    settings = MatchSettings()
    started = time.perf_counter()
    proposals = match_lines(lines, MovementIndex(movements), settings)
    matched = time.perf_counter() - started
    formats = ", ".join(f"{fmt} {len(v)}" for fmt, v in generated.labels.items())
    print(
        f"seed {args.outside_seed}: {len(lines)} lines ({formats}), {len(movements)} movements; "
        f"generated and parsed in {prepared:.1f} s, matched in {matched:.2f} s"
    )
    print(f"settings: {settings}")
    figures = _score(lines, labels, movements, proposals)
    _print(figures)
    _totals(figures)
    _show_wrong(lines, labels, proposals)


def _show_wrong(lines: list[Line], labels: dict[str, Label], proposals: list[Proposal]) -> None:
    text = {line.id: line.text for line in lines}
    shown = 0
    for proposal in proposals:
        label = labels[proposal.line_ids[0]]
        if proposal.is_auto and frozenset(proposal.movement_ids) != label.truth and shown < 8:
            codes = [r.code for r in proposal.reasons]
            line_id = proposal.line_ids[0]
            print(
                f"  wrong auto [{label.kind}] {text[line_id]!r} -> {proposal.movement_ids} {codes}"
            )
            shown += 1
