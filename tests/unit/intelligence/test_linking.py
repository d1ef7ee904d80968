"""Key-pattern learning and linking: grammars from seed pairs, hash-lookup links, merge groups."""

from __future__ import annotations

from oms.intelligence.linking.linker import KnownOrder, Linker
from oms.intelligence.linking.patterns import KEY, SeedPair, Suffix, learn_grammars
from oms.intelligence.linking.report import Tally, merge_group

SHOPIFY = KnownOrder("240501000000010001", "5712345678901", "shopify")
YOUZAN = KnownOrder("240501000000020002", "E20240501123045000123", "youzan")
JD = KnownOrder("240501000000030003", "100012345678", "jd")
TAOBAO = KnownOrder("240501000000040004", "3987654321098765432", "taobao")
SHARED_JD = KnownOrder("240601000000050005", "555555555555", "jd")
SHARED_MINI = KnownOrder("240601000000060006", "555555555555", "miniprogram")
ORDERS = [SHOPIFY, YOUZAN, JD, TAOBAO, SHARED_JD, SHARED_MINI]


def _pair(source_key: str, order: KnownOrder, **columns: str) -> SeedPair:
    return SeedPair(source_key, order.oms_key, order.external_id, columns)


def _linker(*pairs: SeedPair) -> Linker:
    return Linker(learn_grammars(pairs), ORDERS)


def test_a_prefixed_duplicate_entry_teaches_a_literal_prefix_and_a_letter_suffix() -> None:
    (grammar,) = learn_grammars([_pair("shopify_5712345678901_a", SHOPIFY)])
    assert (grammar.source, grammar.target) == (KEY, "external_id")
    assert set(grammar.prefixes) == {"shopify_"}
    assert set(grammar.suffixes) == {Suffix("letters", "_")}


def test_sub_order_padding_and_case_are_learned_as_shapes_and_flags() -> None:
    grammars = learn_grammars(
        [_pair("e20240501123045000123-2", YOUZAN), _pair("0000100012345678", JD)]
    )
    (grammar,) = grammars
    assert Suffix("digits", "-") in grammar.suffixes
    assert grammar.is_folded and grammar.is_padded


def test_a_number_inside_a_longer_number_is_no_placement() -> None:
    assert learn_grammars([_pair("9100012345678", JD)]) == []


def test_a_remark_column_teaches_a_grammar_on_that_column() -> None:
    pair = _pair("SF1234567890123", TAOBAO, remarks=f"电话13812345678 订单号{TAOBAO.external_id}")
    (grammar,) = learn_grammars([pair])
    assert (grammar.source, grammar.target) == ("remarks", "external_id")


def test_a_learned_suffix_links_other_sub_orders_and_other_orders() -> None:
    linker = _linker(
        _pair("3987654321098765432-1", TAOBAO), _pair("shopify_5712345678901", SHOPIFY)
    )
    link = linker.link("E20240501123045000123-7", {})
    assert (link.oms_key, link.pattern) == (YOUZAN.oms_key, "key: {external_id}-<n>")
    assert linker.link("SHOPIFY_5712345678901", {}).oms_key == SHOPIFY.oms_key


def test_case_and_zeros_are_normalised_even_when_no_seed_shows_them() -> None:
    linker = _linker(_pair(JD.external_id, JD))
    assert linker.link("00000100012345678", {}).pattern == "key: 0*{external_id}"
    assert linker.link("e20240501123045000123", {}).oms_key == YOUZAN.oms_key


def test_a_near_miss_number_links_nothing() -> None:
    link = _linker(_pair(JD.external_id, JD)).link("100012345679", {})
    assert (link.oms_key, link.pattern, link.candidates) == ("", "", ())


def test_a_number_two_channels_share_is_ambiguous_and_not_linked() -> None:
    link = _linker(_pair(JD.external_id, JD)).link("555555555555", {})
    assert link.oms_key == ""
    assert link.candidates == (SHARED_JD.oms_key, SHARED_MINI.oms_key)
    assert link.pattern == f"ambiguous: {SHARED_JD.oms_key} | {SHARED_MINI.oms_key}"


def test_a_remark_naming_two_orders_is_ambiguous() -> None:
    linker = _linker(_pair("SF1", TAOBAO, remarks=f"tid={TAOBAO.external_id}"))
    link = linker.link("SF2", {"remarks": f"订单{JD.external_id} 原单{SHOPIFY.external_id}"})
    assert link.oms_key == "" and link.is_ambiguous


def test_a_remark_with_only_a_phone_a_date_and_an_amount_links_nothing() -> None:
    linker = _linker(_pair("SF1", TAOBAO, remarks=f"tid={TAOBAO.external_id}"))
    link = linker.link("SF2", {"remarks": "电话13812345678 2024-05-01 ¥129.00 Shopify #1001"})
    assert link.oms_key == "" and not link.is_ambiguous


def test_the_record_key_wins_over_an_order_quoted_in_its_remark() -> None:
    linker = _linker(_pair(JD.external_id, JD), _pair("SF1", TAOBAO, remarks=TAOBAO.external_id))
    link = linker.link(JD.external_id, {"remarks": f"换货原单 {TAOBAO.external_id}"})
    assert link.oms_key == JD.oms_key


def test_duplicate_entries_share_a_merge_group_and_sub_orders_do_not() -> None:
    a = merge_group("shopify_1_a", "O1", "key: shopify_{external_id}_<x>")
    b = merge_group("shopify_1_b", "O1", "key: shopify_{external_id}_<x>")
    assert a == b == "O1"
    one = merge_group("E1-1", "O1", "key: {external_id}-<n>")
    two = merge_group("E1-2", "O1", "key: {external_id}-<n>")
    assert one != two
    assert merge_group("SF1", "O1", "remarks: {external_id}") is None


def test_the_tally_reports_merge_candidates_but_not_repeated_waybills() -> None:
    linker = _linker(
        _pair("shopify_5712345678901_a", SHOPIFY), _pair("SF1", TAOBAO, remarks=TAOBAO.external_id)
    )
    tally = Tally()
    for key, columns in [
        ("shopify_5712345678901_a", {}),
        ("shopify_5712345678901_b", {}),
        ("SF7", {"remarks": TAOBAO.external_id}),
        ("SF8", {"remarks": TAOBAO.external_id}),
    ]:
        tally.add(linker.link(key, columns))
    merges = list(tally.merge_candidates())
    assert merges == [(SHOPIFY.oms_key, ["shopify_5712345678901_a", "shopify_5712345678901_b"])]
    assert tally.as_dict()["patterns"][0] == {
        "pattern": "key: shopify_{external_id}_<x>",
        "records": 2,
        "coverage": 0.5,
    }


def test_a_label_glued_to_the_number_in_a_remark_still_links() -> None:
    linker = _linker(_pair("SF1", TAOBAO, remarks=f"tid={TAOBAO.external_id}"))
    link = linker.link("SF2", {"remarks": f"寄件 OrderNo{JD.external_id}"})
    assert link.oms_key == JD.oms_key


def test_a_hash_before_an_order_name_is_part_of_no_key() -> None:
    named = KnownOrder("240701000000070007", "#1001", "shopify")
    linker = Linker(learn_grammars([SeedPair("#1001-1", named.oms_key, "#1001")]), [named])
    assert linker.link("1001-2", {}).oms_key == named.oms_key
