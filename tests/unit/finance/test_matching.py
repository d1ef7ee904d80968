"""The matching engine, pure: references in free text, tolerance, date window, one-to-one."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from oms.finance.matching import Line, MatchSettings, Movement, MovementIndex, match_lines
from oms.finance.reasons import Reason

DAY = date(2026, 11, 24)
ORDER = "261124000123451234"
LOOKALIKE = "261124000123451235"


def _movements() -> list[Movement]:
    return [
        Movement("m1", 128850, "CNY", DAY, order_no=ORDER, trade_no="2026112422001412345678901234"),
        Movement("m2", 39900, "CNY", DAY, order_no=LOOKALIKE, external_id="TB-8812-3345"),
        Movement("m3", -19900, "CNY", DAY, order_no="261124000999998888"),
    ]


def _match(text: str, amount: int = 128850, value_date: date = DAY, **settings: int) -> list[str]:
    """Movement ids auto-confirmed for one line."""
    line = Line("l1", amount, "CNY", value_date, text)
    proposals = match_lines([line], MovementIndex(_movements()), MatchSettings(**settings))
    return [m for p in proposals if p.is_auto for m in p.movement_ids]


def _review(text: str, amount: int = 128850, value_date: date = DAY) -> list[str]:
    line = Line("l1", amount, "CNY", value_date, text)
    proposals = match_lines([line], MovementIndex(_movements()), MatchSettings())
    return [m for p in proposals if not p.is_auto for m in p.movement_ids]


@pytest.mark.parametrize(
    "text",
    [
        f"支付宝转账 订单{ORDER} 张三",
        f"PAYMENT REF SO-{ORDER[:4]}-{ORDER[4:6]}-{ORDER[6:]} THANK YOU",
        f"order#{ORDER.lower()}",
        f"订单号：{ORDER[:6]} {ORDER[6:12]} {ORDER[12:]}",  # noqa: RUF001
        f"ref/{ORDER}/100.00CNY",
        "alipay trade 2026112422001412345678901234",
        f"订单{ORDER}".replace("1", "\uff11"),  # full-width digits
    ],
)
def test_references_are_found_through_prefixes_separators_and_case(text: str) -> None:
    assert _match(text) == ["m1"]


def test_external_id_found_case_and_separator_insensitively() -> None:
    assert _match("payment tb 8812 3345", amount=39900) == ["m2"]


def test_one_typo_with_equal_amount_is_only_proposed_for_review() -> None:
    typo = ORDER[:10] + "9" + ORDER[11:]
    assert _match(f"订单{typo}") == []
    assert _review(f"订单{typo}") == ["m1"]


def test_a_typo_that_hits_a_lookalike_number_with_another_amount_is_not_confirmed() -> None:
    # The memo names the look-alike m2 exactly, but the amount is m1's, one digit away: the
    # amount-agreeing neighbour is proposed, never confirmed.
    assert _match(f"订单{LOOKALIKE}") == []
    assert _review(f"订单{LOOKALIKE}") == ["m1"]


@pytest.mark.parametrize(("delta", "is_auto"), [(0, True), (50, True), (-50, True), (51, False)])
def test_amount_tolerance_edges(delta: int, is_auto: bool) -> None:
    assert bool(_match(f"订单{ORDER}", amount=128850 + delta)) is is_auto


def test_amount_tolerance_is_a_setting() -> None:
    assert _match(f"订单{ORDER}", amount=128850 + 80, amount_tolerance=100) == ["m1"]


@pytest.mark.parametrize(("days", "is_auto"), [(0, True), (3, True), (-3, True), (4, False)])
def test_date_window_edges(days: int, is_auto: bool) -> None:
    found = _match(f"订单{ORDER}", value_date=DAY + timedelta(days=days))
    assert bool(found) is is_auto


def test_debits_match_refunds_not_payments() -> None:
    assert _match("REFUND 261124000999998888", amount=-19900) == ["m3"]
    assert _match(f"订单{ORDER}", amount=-128850) == []


def test_unrelated_text_matches_nothing() -> None:
    assert _match("BANK FEE NOVEMBER 2026 ACCOUNT 1234", amount=777) == []
    assert _review("BANK FEE NOVEMBER 2026 ACCOUNT 1234", amount=777) == []


def test_one_line_one_movement_and_vice_versa() -> None:
    lines = [
        Line("a", 128850, "CNY", DAY, f"订单{ORDER}"),
        Line("b", 128850, "CNY", DAY, f"订单{ORDER} again"),
    ]
    proposals = match_lines(lines, MovementIndex(_movements()), MatchSettings())
    assert not any(p.is_auto for p in proposals)  # two equal claims: a person decides
    assert sorted(len(p.line_ids) for p in proposals) == [1]


def test_every_match_has_a_score_and_reasons() -> None:
    line = Line("l1", 128860, "CNY", DAY + timedelta(days=1), f"订单{ORDER}")
    (proposal,) = match_lines([line], MovementIndex(_movements()), MatchSettings())
    assert proposal.score >= 80
    assert Reason("reference_exact", {"field": "order_no", "reference": ORDER}) in proposal.reasons
    assert Reason("amount_within_tolerance", {"diff": 10, "tolerance": 50}) in proposal.reasons


def test_merged_and_split_payments_are_proposed_for_review_when_merged_auto_is_off() -> None:
    movements = [
        Movement("x", 20000, "CNY", DAY, order_no="261124000111112222"),
        Movement("y", 30000, "CNY", DAY, order_no="261124000333334444"),
        Movement("z", 50000, "CNY", DAY, order_no="261124000555556666"),
    ]
    lines = [
        Line("merged", 50000, "CNY", DAY, "订单 261124000111112222 261124000333334444"),
        Line("part1", 20000, "CNY", DAY, "261124000555556666 1/2"),
        Line("part2", 30000, "CNY", DAY, "261124000555556666 2/2"),
    ]
    settings = MatchSettings(auto_confirm_merged=False)
    proposals = match_lines(lines, MovementIndex(movements), settings)
    kinds = {p.kind: p for p in proposals}
    assert kinds["merged"].movement_ids == ("x", "y") and not kinds["merged"].is_auto
    assert set(kinds["split"].line_ids) == {"part1", "part2"} and not kinds["split"].is_auto


def test_rejected_pairs_are_not_proposed_again() -> None:
    line = Line("l1", 128850, "CNY", DAY, f"订单{ORDER}")
    index = MovementIndex(_movements())
    assert match_lines([line], index, MatchSettings(), rejected=frozenset({("l1", "m1")})) == []
