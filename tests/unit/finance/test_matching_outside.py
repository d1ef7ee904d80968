"""The engine on lines as outside banks and payers write them (issue 11's table), pure."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from oms.finance.candidates import name_similarity
from oms.finance.matching import Line, MatchSettings, Movement, MovementIndex, match_lines
from oms.finance.reasons import Reason

DAY = date(2026, 11, 24)
ORDER = "261124000123451234"
TMALL = "3912345678901234567"
JD = "301234567890"
SHOPIFY = "5123456789012"


def _movements() -> list[Movement]:
    return [
        Movement("tmall", 12900, "CNY", DAY, order_no="261124000100000001", external_id=TMALL),
        Movement("jd", 45600, "CNY", DAY, order_no="261124000100000002", external_id=JD),
        Movement("shop", 78900, "CNY", DAY, order_no="261124000100000003", external_id=SHOPIFY),
        Movement("m1", 128850, "CNY", DAY, order_no=ORDER, payer_name="张三"),
        Movement(
            "refund",
            -2590,
            "CNY",
            DAY,
            order_no="261124000100000004",
            refund_no="01937a8e-7c1b-7000-8000-00000000abcd",
            gateway_refund_no="50300000002026112400000000001",
        ),
    ]


def _run(lines: list[Line], movements: list[Movement] | None = None, **settings: object):  # type: ignore[no-untyped-def]
    index = MovementIndex(movements if movements is not None else _movements())
    return match_lines(lines, index, MatchSettings(**settings))  # type: ignore[arg-type]


def _line(text: str, amount: int, on: date = DAY, line_id: str = "l1") -> Line:
    return Line(line_id, amount, "CNY", on, text)


def _auto(text: str, amount: int) -> list[str]:
    return [m for p in _run([_line(text, amount)]) if p.is_auto for m in p.movement_ids]


@pytest.mark.parametrize(
    ("text", "amount", "movement"),
    [
        (f"天猫订单 {TMALL} 货款", 12900, "tmall"),
        (f"JD ORDER {JD}", 45600, "jd"),
        (f"Shopify order {SHOPIFY}", 78900, "shop"),
    ],
)
def test_a_memo_with_only_the_platform_order_number_is_confirmed(
    text: str, amount: int, movement: str
) -> None:
    assert _auto(text, amount) == [movement]


@pytest.mark.parametrize(
    "text",
    ["REFUND 01937A8E7C1B700080000000 0000ABCD", "微信退款 50300000002026112400000000001"],
)
def test_refunds_are_found_by_their_request_or_gateway_refund_number(text: str) -> None:
    assert _auto(text, -2590) == ["refund"]


@pytest.mark.parametrize(
    "written",
    [
        ORDER.replace("0", "O"),
        ORDER.replace("1", "I"),
        ORDER.replace("1", "l"),
        "".join(chr(0xFF10 + int(d)) for d in ORDER),  # full-width digits
        "2611-24OOO1 2345 I234",
    ],
)
def test_lookalike_characters_are_read_as_digits_and_confirmed_when_unique(written: str) -> None:
    (proposal,) = _run([_line(f"订单{written}", 128850)])
    assert proposal.is_auto and proposal.movement_ids == ("m1",)


def test_a_lookalike_reading_that_fits_two_movements_only_goes_to_review() -> None:
    # "SO1" and "S01" are different references, but both read "S01..." with O as 0.
    movements = [
        Movement("a", 5000, "CNY", DAY, order_no="SO1234567890"),
        Movement("b", 5000, "CNY", DAY, order_no="S01234567890"),
    ]
    proposals = _run([_line("order SOl234567890", 5000)], movements)
    assert proposals and not any(p.is_auto for p in proposals)
    assert any(r.code == "lookalike_not_unique" for p in proposals for r in p.reasons)


def test_a_lookalike_reading_with_another_amount_is_not_confirmed() -> None:
    proposals = _run([_line(f"订单{ORDER.replace('0', 'O')}", 99999)])
    assert not any(p.is_auto for p in proposals)


@pytest.mark.parametrize(
    ("edit", "written"),
    [
        ("substitution", ORDER[:10] + "9" + ORDER[11:]),
        ("swap", ORDER[:8] + ORDER[9] + ORDER[8] + ORDER[10:]),
        ("missing", ORDER[:5] + ORDER[6:]),
        ("extra", ORDER[:5] + "7" + ORDER[5:]),
    ],
)
def test_one_typo_with_the_right_amount_is_never_confirmed_but_proposed(
    edit: str, written: str
) -> None:
    (proposal,) = _run([_line(f"订单{written}", 128850)])
    assert not proposal.is_auto and proposal.movement_ids == ("m1",)
    typo = Reason("reference_typo", {"field": "order_no", "reference": ORDER, "edit": edit})
    assert typo in proposal.reasons


def test_a_typo_onto_a_neighbour_order_with_the_same_amount_is_not_confirmed() -> None:
    # What the outside bench saw: one wrong digit lands on the neighbour's number.
    movements = [
        Movement("right", 9900, "CNY", DAY, order_no="261124000555550001"),
        Movement("neighbour", 9900, "CNY", DAY, order_no="261124000555550002"),
    ]
    proposals = _run([_line("订单261124000555550003", 9900)], movements)
    assert proposals and not any(p.is_auto for p in proposals)


def test_a_line_with_only_a_payer_name_gets_ranked_candidates_for_review() -> None:
    movements = [
        Movement("other", 128850, "CNY", DAY, order_no="261124000100000009", payer_name="李四"),
        Movement("near", 128840, "CNY", DAY, order_no="261124000100000008", payer_name="王五"),
        *_movements(),
    ]
    proposals = _run([_line("网银转账 张三", 128850, DAY + timedelta(days=1))], movements)
    assert [p.kind for p in proposals] == ["candidate"] * 3
    assert not any(p.is_auto for p in proposals)
    ranked = sorted(proposals, key=lambda p: p.rank or 0)
    assert [p.movement_ids[0] for p in ranked] == ["m1", "other", "near"]
    assert Reason("payer_name_equal", {"name": "张三"}) in ranked[0].reasons
    assert Reason("candidate_rank", {"rank": 1, "of": 3}) in ranked[0].reasons


def test_candidates_keep_to_the_date_window_and_the_tolerance() -> None:
    far = _run([_line("张三 转账", 128850, DAY + timedelta(days=9))])
    beyond = _run([_line("张三 转账", 128850 + 51)])
    assert far == [] and beyond == []


def test_a_candidate_another_line_also_wants_is_contested() -> None:
    lines = [_line("张三", 128850, line_id="a"), _line("转账", 128850, line_id="b")]
    proposals = _run(lines)
    assert {p.line_ids[0] for p in proposals} == {"a", "b"}
    assert all(p.is_contested and Reason("contested") in p.reasons for p in proposals)


def test_one_line_paying_two_orders_named_in_the_memo_is_confirmed_when_the_sum_agrees() -> None:
    (proposal,) = _run([_line(f"货款 {TMALL} {JD}", 12900 + 45600 - 30)])
    assert proposal.kind == "merged" and proposal.is_auto
    assert set(proposal.movement_ids) == {"tmall", "jd"}


def test_merged_auto_confirmation_is_a_tenant_setting() -> None:
    (proposal,) = _run([_line(f"货款 {TMALL} {JD}", 12900 + 45600)], auto_confirm_merged=False)
    assert proposal.kind == "merged" and not proposal.is_auto


def test_a_merged_line_whose_memo_names_a_third_order_waits_for_review() -> None:
    proposals = _run([_line(f"货款 {TMALL} {JD} {SHOPIFY}", 12900 + 45600)])
    assert proposals and not any(p.is_auto for p in proposals)


def test_a_memo_naming_two_orders_but_paying_one_is_not_confirmed() -> None:
    proposals = _run([_line(f"货款 {TMALL} {JD}", 12900)])
    assert proposals and not any(p.is_auto for p in proposals)


def test_a_reference_cut_across_mt940_subfields_is_joined() -> None:
    memo = f"?00GUTSCHRIFT?20EREF+{ORDER[:9]}?21{ORDER[9:]}?32ZHANG SAN"
    assert _auto(memo, 128850) == ["m1"]


@pytest.mark.parametrize(
    ("buyer", "text", "expected"),
    [
        ("张三", "网银转账 张三 货款", "equal"),
        ("John Smith", "TRF FROM SMITH JOHN", "equal"),
        ("陈晓明", "支付宝 陈*明", "partial"),
        ("陈晓明", "支付宝 *晓明", "partial"),
        ("陈晓明", "支付宝 李*明", None),
        (None, "张三", None),
    ],
)
def test_payer_names_are_compared_with_the_buyer(
    buyer: str | None, text: str, expected: str | None
) -> None:
    assert name_similarity(buyer, text) == expected


def test_a_merged_payment_is_confirmed_although_neighbour_numbers_are_one_digit_away() -> None:
    movements = [
        Movement("a", 990, "CNY", DAY, order_no="261124000000029027"),
        Movement("b", 990, "CNY", DAY, order_no="261124000000050026"),
        Movement("a-next", 5000, "CNY", DAY, order_no="261124000000029028"),
    ]
    (proposal,) = [
        p for p in _run([_line("合并付款 261124000000029027 261124000000050026", 1980)], movements)
    ]
    assert proposal.kind == "merged" and proposal.is_auto
    assert set(proposal.movement_ids) == {"a", "b"}


def test_a_merged_payment_is_dated_from_the_newest_order_it_pays() -> None:
    movements = [
        Movement("old", 29900, "CNY", DAY - timedelta(days=2), order_no="261122000000045739"),
        Movement("new", 5990, "CNY", DAY, order_no="261124000000042499"),
    ]
    text = "货款 订单261122000000045739 261124000000042499"
    (late,) = _run([_line(text, 35890, DAY + timedelta(days=2))], movements)
    assert late.kind == "merged" and late.is_auto
    (too_late,) = _run([_line(text, 35890, DAY + timedelta(days=4))], movements)
    assert too_late.kind == "merged" and not too_late.is_auto


def test_a_reference_with_a_letter_o_written_with_a_zero_is_read_as_a_lookalike() -> None:
    movements = [Movement("so", 5000, "CNY", DAY, order_no="SO1234567890")]
    (proposal,) = _run([_line("order S01234567890", 5000)], movements)
    assert proposal.is_auto and proposal.reasons[0].code == "reference_lookalike"
