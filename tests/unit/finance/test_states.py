"""The finance machines: what may move where, and that the API's filters name their statuses."""

from __future__ import annotations

from typing import get_args

from oms.finance import api
from oms.finance.states import (
    LINE_MACHINE,
    MATCH_MACHINE,
    MOVEMENT_MACHINE,
    LineStatus,
    MatchStatus,
    MovementStatus,
)


def test_the_api_filters_offer_exactly_the_machines_statuses() -> None:
    assert set(get_args(api.LineStatus)) == {str(s) for s in LineStatus}
    assert set(get_args(api.MovementStatus)) == {str(s) for s in MovementStatus}
    assert set(get_args(api.MatchStatus)) == {str(s) for s in MatchStatus}


def test_matched_is_final_and_reached_from_open_or_review() -> None:
    assert LINE_MACHINE.allowed(LineStatus.MATCHED) == []
    assert MOVEMENT_MACHINE.allowed(MovementStatus.MATCHED) == []
    assert LINE_MACHINE.sources(LineStatus.MATCHED) == [LineStatus.UNMATCHED, LineStatus.REVIEW]
    assert MOVEMENT_MACHINE.sources(MovementStatus.OPEN) == [MovementStatus.REVIEW]


def test_a_decided_match_stays_decided_and_records_when() -> None:
    assert MATCH_MACHINE.sources(MatchStatus.REJECTED) == [MatchStatus.REVIEW]
    assert MATCH_MACHINE.allowed(MatchStatus.CONFIRMED) == []
    assert MATCH_MACHINE.allowed(MatchStatus.REJECTED) == []
    assert MATCH_MACHINE.stamps[MatchStatus.CONFIRMED] == ("decided_at",)
