"""Every suggestion the delay model records has a console label (translated in zh-CN)."""

from __future__ import annotations

from oms.console import i18n
from oms.risk.delay.flags import ACTIONS


def test_every_delay_suggestion_has_a_label() -> None:
    assert set(ACTIONS.values()) <= set(i18n.DELAY_SUGGESTION_LABELS)
