"""Learning a source's key patterns from seed pairs: where an oms key sits inside its keys.

A seed pair says "this source key is that oms order". The learner looks for the order's oms key
or its channel order number (``external_id``) inside the source key, and inside every other
column of the seed's record (free-text remarks), and writes down what surrounds it: a literal
prefix (``shopify_``), zero padding, a suffix generalised to its shape (``_a``/``_b`` → a letter
suffix, ``-2`` → a sub-order number) and whether the case differs. One :class:`Grammar` per
(source field, oms field) collects every prefix and suffix seen, so a prefix learned on one
seed and a suffix learned on another combine; an exact lookup against the known keys decides.

Case and leading zeros are normalised away in every grammar, seen in the seeds or not: no
platform's order numbers differ only by them (ids are numbers; Youzan's ``E`` has one case),
so a variant too rare to be among a few seeds still links. The grammar says whether the seeds
showed them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

__all__ = [
    "KEY",
    "MIN_CORE",
    "TOKEN",
    "Grammar",
    "SeedPair",
    "Suffix",
    "learn_grammars",
    "normal",
]

KEY = "key"
"""The source field that is the record's own key (every other field is a column's name)."""

MIN_CORE = 4
"""Shorter oms values are not looked for inside source values: they would be found anywhere."""

TOKEN = re.compile(r"[0-9A-Za-z]+(?:[-_][0-9A-Za-z]+)*")
"""A key-like run in free text: ASCII letters and digits, joined by ``-`` or ``_``."""

_MAX_LETTERS = 2  # ``_a``, ``_b``, ``-AB``: a duplicate entry's mark, never a word


def normal(value: str) -> str:
    """A key's normal form: lower case, without a leading ``#`` (``#1001``) or zeros."""
    return value.lower().lstrip("#").lstrip("0")


@dataclass(frozen=True)
class Suffix:
    """What follows the oms value: nothing, a separator and digits or letters, or a literal."""

    kind: str  # "none" | "digits" | "letters" | "literal"
    sep: str = ""
    text: str = ""

    @property
    def label(self) -> str:
        if self.kind == "digits":
            return f"{self.sep}<n>"
        if self.kind == "letters":
            return f"{self.sep}<x>"
        return self.text

    def strip(self, value: str) -> str | None:
        """What is left of ``value`` without this suffix; None when it does not end so."""
        if self.kind == "none":
            return value
        if self.kind == "literal":
            return value[: -len(self.text)] if value.endswith(self.text) else None
        core, sep, tail = value.rpartition(self.sep)
        if not sep or not core or not tail:
            return None
        if self.kind == "digits" and tail.isdigit():
            return core
        if self.kind == "letters" and tail.isalpha() and len(tail) <= _MAX_LETTERS:
            return core
        return None


NO_SUFFIX = Suffix("none")


@dataclass(frozen=True)
class SeedPair:
    """One seed: a source key, its oms key, and the record's other columns when it has one."""

    source_key: str
    oms_key: str
    external_id: str
    columns: Mapping[str, str] = field(default_factory=dict)


@dataclass
class Grammar:
    """Every way one source field was seen to hold one oms field (``oms_key``/``external_id``)."""

    source: str
    target: str
    prefixes: dict[str, int] = field(default_factory=dict)
    suffixes: dict[Suffix, int] = field(default_factory=dict)
    is_folded: bool = False
    is_padded: bool = False
    seeds: set[str] = field(default_factory=set)

    @property
    def label(self) -> str:
        flags = [
            f for f, on in (("any case", self.is_folded), ("zero padded", self.is_padded)) if on
        ]
        prefixes = " | ".join(repr(p) for p in sorted(self.prefixes)) or "''"
        suffixes = " | ".join(repr(s.label) for s in sorted(self.suffixes, key=_suffix_order))
        return f"{self.source} = [{prefixes}] {{{self.target}}} [{suffixes}]" + (
            f" (seeds: {', '.join(flags)})" if flags else ""
        )


@dataclass(frozen=True)
class _Placement:
    prefix: str
    suffix: Suffix
    is_folded: bool
    is_padded: bool


def learn_grammars(pairs: Iterable[SeedPair]) -> list[Grammar]:
    """The grammars the seed pairs show, the record's own key first, then columns by name."""
    grammars: dict[tuple[str, str], Grammar] = {}
    for pair in pairs:
        targets = [("oms_key", pair.oms_key), ("external_id", pair.external_id)]
        sources = [(KEY, [pair.source_key])]
        sources += [(name, TOKEN.findall(text)) for name, text in pair.columns.items() if text]
        for source, values in sources:
            for target, wanted in targets:
                if len(wanted) < MIN_CORE:
                    continue
                for value in values:
                    for found in _placements(value, wanted):
                        grammar = grammars.setdefault((source, target), Grammar(source, target))
                        _record(grammar, found, pair.source_key)
    _share(list(grammars.values()))
    return sorted(grammars.values(), key=lambda g: (g.source != KEY, g.source, g.target))


def _share(grammars: list[Grammar]) -> None:
    """Every affix a source showed applies to all its grammars (count 0: not seen there).

    A system writes its sub-order or duplicate mark the same way whichever number it carries,
    and quotes an order in its remarks as it writes its keys; a seed set that shows
    ``{external_id}-2`` but no ``{oms_key}-2`` should still link the second.
    """
    prefixes = {p for g in grammars for p in g.prefixes}
    suffixes = {s for g in grammars for s in g.suffixes}
    for grammar in grammars:
        for prefix in prefixes:
            grammar.prefixes.setdefault(prefix, 0)
        for suffix in suffixes:
            grammar.suffixes.setdefault(suffix, 0)


def _record(grammar: Grammar, found: _Placement, seed: str) -> None:
    grammar.prefixes[found.prefix] = grammar.prefixes.get(found.prefix, 0) + 1
    grammar.suffixes[found.suffix] = grammar.suffixes.get(found.suffix, 0) + 1
    grammar.is_folded |= found.is_folded
    grammar.is_padded |= found.is_padded
    grammar.seeds.add(seed)


def _placements(value: str, wanted: str) -> list[_Placement]:
    """Every position where ``wanted`` sits in ``value`` at a boundary, with its surroundings."""
    lowered, target = value.lower(), wanted.lower()
    found: list[_Placement] = []
    start = lowered.find(target)
    while start >= 0:
        end = start + len(target)
        prefix, suffix = value[:start], value[end:]
        literal = prefix.rstrip("0") if wanted[0] != "0" else prefix
        if _is_boundary(literal, wanted[0]) and _is_boundary_after(suffix, wanted[-1]):
            found.append(
                _Placement(
                    prefix=literal,
                    suffix=_suffix_shape(suffix),
                    is_folded=value[start:end] != wanted,
                    is_padded=literal != prefix,
                )
            )
        start = lowered.find(target, start + 1)
    return found


def _is_boundary(prefix: str, first: str) -> bool:
    if not prefix or not prefix[-1].isalnum():
        return True
    return prefix[-1].isalpha() != first.isalpha()


def _is_boundary_after(suffix: str, last: str) -> bool:
    if not suffix or not suffix[0].isalnum():
        return True
    return suffix[0].isalpha() != last.isalpha()


def _suffix_shape(suffix: str) -> Suffix:
    if not suffix:
        return NO_SUFFIX
    body = suffix.lstrip("-_./#:")
    sep = suffix[: len(suffix) - len(body)]
    if len(sep) == 1 and body.isdigit():
        return Suffix("digits", sep)
    if len(sep) == 1 and body.isalpha() and len(body) <= _MAX_LETTERS:
        return Suffix("letters", sep)
    return Suffix("literal", text=suffix)


def _suffix_order(suffix: Suffix) -> tuple[str, str]:
    return suffix.kind, suffix.label
