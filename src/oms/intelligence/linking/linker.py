"""Linking records with learned grammars: hash lookups of normalised key forms, no regex scan.

Every grammar is compiled against one dict of the known orders' values in normal form (lower
case, leading zeros gone), one dict per oms field, shared by the grammars on it. A record's own
key is tried first; only when no grammar on the key finds an order are its columns' key-like
tokens tried, so an order number quoted in a remark never outvotes the record's own key. Two or
more orders found at the same stage make the record ambiguous.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from oms.intelligence.linking.patterns import KEY, TOKEN, Grammar, Suffix, normal

__all__ = ["AMBIGUOUS", "KnownOrder", "Link", "Linker", "Matcher", "parse_candidates"]

AMBIGUOUS = "ambiguous: "
"""An ambiguous record's pattern: this, then its candidate orders joined by `` | ``."""


@dataclass(frozen=True)
class KnownOrder:
    """One row of the known orders: the oms key and the channel's own order number."""

    oms_key: str
    external_id: str
    channel: str


@dataclass(frozen=True)
class Link:
    """The outcome for one record; ``oms_key`` is empty when no order or several fit."""

    source_key: str
    oms_key: str
    confidence: float
    pattern: str
    candidates: tuple[str, ...] = ()

    @property
    def is_ambiguous(self) -> bool:
        return len(self.candidates) > 1


def parse_candidates(pattern: str) -> tuple[str, ...]:
    """The candidate orders an ambiguous record's pattern names; () for any other pattern."""
    if not pattern.startswith(AMBIGUOUS):
        return ()
    return tuple(pattern.removeprefix(AMBIGUOUS).split(" | "))


Index = dict[str, str | tuple[str, ...]]


@dataclass
class Matcher:
    """One grammar's oms field: the index of that field's values, and the grammar's confidence."""

    grammar: Grammar
    index: Index
    confidence: float = 1.0
    names: dict[tuple[str, str, bool], str] = field(default_factory=dict)

    def name(self, prefix: str, suffix: Suffix, is_zeroed: bool) -> str:
        """The pattern a link reports: ``key: shopify_{external_id}_<x>``."""
        key = (prefix, suffix.label, is_zeroed)
        found = self.names.get(key)
        if found is None:
            zeros = "0*" if is_zeroed else ""
            grammar = self.grammar
            found = f"{grammar.source}: {prefix}{zeros}{{{grammar.target}}}{suffix.label}"
            self.names[key] = found
        return found


class Linker:
    """Grammars compiled against the known orders; :meth:`link` decides one record.

    The grammars of a source share their affixes (``patterns._share``), so a value's cores
    (each prefix and suffix stripped, lower case, no leading zeros) are computed once and
    looked up in every grammar's index.
    """

    def __init__(self, grammars: Iterable[Grammar], orders: Iterable[KnownOrder]) -> None:
        grammars = list(grammars)
        self._orders = list(orders)
        self._indexes: dict[str, Index] = {}
        self.key_matchers: list[Matcher] = []
        self.column_matchers: dict[str, list[Matcher]] = {}
        for grammar in grammars:
            matcher = Matcher(grammar, self._index(grammar.target))
            if grammar.source == KEY:
                self.key_matchers.append(matcher)
            else:
                self.column_matchers.setdefault(grammar.source, []).append(matcher)
        prefixes = {p.lower() for g in grammars for p in g.prefixes}
        self._prefixes = sorted(prefixes, key=len, reverse=True)
        suffixes = {Suffix(s.kind, s.sep, s.text.lower()) for g in grammars for s in g.suffixes}
        self._suffixes = sorted(suffixes, key=lambda s: (s.kind != "none", s.label))
        sizes = {len(value) for index in self._indexes.values() for value in index} or {0}
        self._lengths = min(sizes), max(sizes)

    @property
    def matchers(self) -> list[Matcher]:
        return self.key_matchers + [m for ms in self.column_matchers.values() for m in ms]

    def drop(self, matcher: Matcher) -> None:
        """Stop using ``matcher`` (a grammar the seeds refute)."""
        if matcher in self.key_matchers:
            self.key_matchers.remove(matcher)
            return
        column = self.column_matchers[matcher.grammar.source]
        column.remove(matcher)
        if not column:
            del self.column_matchers[matcher.grammar.source]

    def link(self, source_key: str, columns: Mapping[str, str]) -> Link:
        """The one order this record names, or none (no order, or several: ambiguous)."""
        hits: dict[str, tuple[float, str]] = {}
        self.collect(source_key, self.key_matchers, hits)
        if not hits:
            for column, matchers in self.column_matchers.items():
                text = columns.get(column)
                if text:
                    for token in TOKEN.findall(text):
                        self.collect(token, matchers, hits)
                        if token[0].isalpha():  # ``No12345``, ``tid12345``: a label glued on
                            digits = token.lstrip(string.ascii_letters)
                            if digits[:1].isdigit():
                                self.collect(digits, matchers, hits)
        if len(hits) == 1:
            ((oms_key, (confidence, name)),) = hits.items()
            return Link(source_key, oms_key, confidence, name, (oms_key,))
        if hits:
            candidates = tuple(sorted(hits))
            return Link(source_key, "", 0.0, AMBIGUOUS + " | ".join(candidates), candidates)
        return Link(source_key, "", 0.0, "")

    def collect(
        self, value: str, matchers: list[Matcher], hits: dict[str, tuple[float, str]]
    ) -> None:
        """Add every order ``value`` names under ``matchers`` to ``hits`` (oms key → match)."""
        shortest, longest = self._lengths
        if len(value) < shortest or not matchers:
            return
        value = value.lower()
        for prefix in self._prefixes:
            if prefix and not value.startswith(prefix):
                continue
            rest = value[len(prefix) :]
            for suffix in self._suffixes:
                core = suffix.strip(rest)
                if core is None:
                    continue
                if core[:1] == "#":
                    core = core.lstrip("#")
                is_zeroed = core[:1] == "0"
                if is_zeroed:
                    core = core.lstrip("0")
                size = len(core)
                if not shortest <= size <= longest:
                    continue
                for matcher in matchers:
                    found = matcher.index.get(core)
                    if found is None:
                        continue
                    name = matcher.name(prefix, suffix, is_zeroed)
                    for oms_key in (found,) if isinstance(found, str) else found:
                        hits.setdefault(oms_key, (matcher.confidence, name))

    def _index(self, target: str) -> Index:
        """The known orders by ``target``'s normal form (a tuple where several share one)."""
        if target in self._indexes:
            return self._indexes[target]
        index: Index = {}
        for order in self._orders:
            value = normal(order.oms_key if target == "oms_key" else order.external_id)
            if not value:
                continue
            seen = index.get(value)
            if seen is None:
                index[value] = order.oms_key
            elif isinstance(seen, str):
                if seen != order.oms_key:
                    index[value] = (seen, order.oms_key)
            elif order.oms_key not in seen:
                index[value] = (*seen, order.oms_key)
        self._indexes[target] = index
        return index
