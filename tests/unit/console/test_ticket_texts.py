"""The console's ticket texts are the domain's, and each has both languages with the same
parameters."""

from __future__ import annotations

import re

import pytest

from oms.console import i18n
from oms.tickets import texts

_PARAM = re.compile(r"%\((\w+)\)s")


def test_the_catalogue_tables_carry_the_domains_templates() -> None:
    assert i18n.TICKET_TITLE_LABELS == texts.TITLES
    assert i18n.TICKET_COMMENT_LABELS == texts.COMMENTS


@pytest.mark.parametrize("template", [*texts.TITLES.values(), *texts.COMMENTS.values()])
def test_every_ticket_text_has_a_chinese_translation_with_the_same_parameters(
    template: str,
) -> None:
    chinese = i18n.translations("zh-CN").gettext(template)
    assert chinese != template
    assert sorted(_PARAM.findall(chinese)) == sorted(_PARAM.findall(template))


def test_a_title_is_filled_in_the_readers_language_with_codes_shown_by_their_labels() -> None:
    zh = i18n.translations("zh-CN").gettext
    en = i18n.translations("en").gettext
    params = {"order_no": "A-9", "event": "cancel"}
    assert i18n.ticket_text(i18n.TICKET_TITLE_LABELS, "status_conflict", params, zh) == (
        "订单 A-9：迟到的「取消订单」与当前状态冲突"  # noqa: RUF001 (Chinese punctuation)
    )
    assert i18n.ticket_text(i18n.TICKET_TITLE_LABELS, "status_conflict", params, en) == (
        "Order A-9: a late Cancel order conflicts with its status"
    )


@pytest.mark.parametrize(
    ("code", "params"),
    [(None, None), ("no_such_code", {}), ("stock_shortage", {"wrong": "x"})],
)
def test_a_title_without_a_known_code_or_its_parameters_falls_back(
    code: str | None, params: dict[str, str] | None
) -> None:
    zh = i18n.translations("zh-CN").gettext
    assert i18n.ticket_text(i18n.TICKET_TITLE_LABELS, code, params, zh) is None


def test_the_stored_english_text_is_the_template_filled_in() -> None:
    params = {"carrier": "sf", "tracking_no": "SF1", "hours": "12.5"}
    assert texts.title_text("delivery_stalled", params) == (
        "Parcel sf SF1 stalled: no scan for 12.5 h"
    )
    assert texts.comment_text("stock_arrived", {}) == (
        "Resolved: stock arrived, every line is reserved"
    )
