"""Why the engine proposed a match: stable codes with parameters, rendered where they are read.

Reasons are stored as ``{"code": ..., "params": {...}}`` so the console can show them in the
reader's language (the Babel catalogues) and an integrator can act on them. Codes are a
public contract, like error codes: never rename one or reuse it for another meaning.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["REASON_CODES", "Reason", "reason_from_json"]

REASON_CODES = frozenset(
    {
        "reference_exact",  # field, reference
        "reference_lookalike",  # field, reference (O read as 0, I/L as 1)
        "lookalike_not_unique",  # reference: look-alike reading fits several movements
        "reference_typo",  # field, reference, edit (substitution|swap|missing|extra)
        "typo_never_auto",
        "several_references",  # count: the memo names several movements
        "amount_equal",
        "amount_within_tolerance",  # diff, tolerance
        "amount_beyond_tolerance",  # diff, tolerance
        "date_within_window",  # days
        "date_outside_window",  # days, window
        "ambiguous",
        "group_parts",  # kind (split|merged), lines, movements
        "group_sum",  # diff
        "group_all_references",
        "group_review_only",
        "no_reference",
        "payer_name_equal",  # name
        "payer_name_partial",  # name
        "candidate_rank",  # rank, of
        "contested",
        "manual",  # note (may be empty)
        "legacy",  # text: a reason written before reasons had codes
    }
)


@dataclass(frozen=True, slots=True)
class Reason:
    code: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "params": dict(self.params)}


def reason_from_json(raw: object) -> Reason:
    """A stored reason; plain strings (rows older than reason codes) become ``legacy``."""
    if isinstance(raw, dict) and isinstance(raw.get("code"), str):
        params = raw.get("params")
        return Reason(raw["code"], dict(params) if isinstance(params, dict) else {})
    return Reason("legacy", {"text": str(raw)})
