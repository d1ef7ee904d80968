"""Linking records with learned grammars: hash lookups of normalised key forms, no regex scan.

Every grammar is compiled against one dict of the known orders' values in its normal form
(lower case when it folds case, leading zeros gone when it pads), shared by grammars with the
same form. A record's own key is tried first; only when no grammar on the key finds an order
are its columns' key-like tokens tried, so an order number quoted in a remark never outvotes
the record's own key. Two or more orders found at the same stage make the record ambiguous.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from oms.intelligence.linking.patterns import KEY, TOKEN, Grammar, Suffix

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
    """A grammar compiled for lookups: normalised prefixes and suffixes and its index."""

    grammar: Grammar
    index: Index
    lengths: tuple[int, int]  # of the index's keys: shorter or longer values are no order
    prefixes: list[str]
    suffixes: list[Suffix]
    confidence: float = 1.0
    names: dict[tuple[str, Suffix, bool], str] = field(default_factory=dict)

    def collect(self, value: str, hits: dict[str, tuple[float, str]]) -> None:
        """Add every order ``value`` names under this grammar to ``hits`` (oms key → match)."""
        shortest, longest = self.lengths
        if len(value) < shortest:
            return
        if self.grammar.is_folded:
            value = value.lower()
        is_padded, index = self.grammar.is_padded, self.index
        for prefix in self.prefixes:
            if prefix and not value.startswith(prefix):
                continue
            rest = value[len(prefix) :]
            for suffix in self.suffixes:
                core = suffix.strip(rest)
                if core is None:
                    continue
                is_zeroed = is_padded and core[:1] == "0"
                if is_zeroed:
                    core = core.lstrip("0")
                if not shortest <= len(core) <= longest:
                    continue
                found = index.get(core)
                if found is not None:
                    name = self._name(prefix, suffix, is_zeroed)
                    for oms_key in (found,) if isinstance(found, str) else found:
                        hits.setdefault(oms_key, (self.confidence, name))

    def _name(self, prefix: str, suffix: Suffix, is_zeroed: bool) -> str:
        key = (prefix, suffix, is_zeroed)
        name = self.names.get(key)
        if name is None:
            zeros = "0*" if is_zeroed else ""
            name = f"{self.grammar.source}: {prefix}{zeros}{{{self.grammar.target}}}{suffix.label}"
            self.names[key] = name
        return name


class Linker:
    """Grammars compiled against the known orders; :meth:`link` decides one record."""

    def __init__(self, grammars: Iterable[Grammar], orders: Iterable[KnownOrder]) -> None:
        self._orders = list(orders)
        self._indexes: dict[tuple[str, bool, bool], tuple[Index, tuple[int, int]]] = {}
        self.key_matchers: list[Matcher] = []
        self.column_matchers: dict[str, list[Matcher]] = {}
        for grammar in grammars:
            matcher = self._compile(grammar)
            if grammar.source == KEY:
                self.key_matchers.append(matcher)
            else:
                self.column_matchers.setdefault(grammar.source, []).append(matcher)

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
        for matcher in self.key_matchers:
            matcher.collect(source_key, hits)
        if not hits:
            for column, matchers in self.column_matchers.items():
                text = columns.get(column)
                if not text:
                    continue
                for token in TOKEN.findall(text):
                    for matcher in matchers:
                        matcher.collect(token, hits)
        if len(hits) == 1:
            ((oms_key, (confidence, name)),) = hits.items()
            return Link(source_key, oms_key, confidence, name, (oms_key,))
        if hits:
            candidates = tuple(sorted(hits))
            return Link(source_key, "", 0.0, AMBIGUOUS + " | ".join(candidates), candidates)
        return Link(source_key, "", 0.0, "")

    def _compile(self, grammar: Grammar) -> Matcher:
        fold = grammar.is_folded
        prefixes = sorted({p.lower() if fold else p for p in grammar.prefixes}, key=len)
        suffixes = [
            Suffix(s.kind, s.sep, s.text.lower()) if fold else s
            for s in sorted(grammar.suffixes, key=lambda s: (s.kind != "none", s.label))
        ]
        index, lengths = self._index(grammar.target, fold=fold, pad=grammar.is_padded)
        return Matcher(grammar, index, lengths, prefixes[::-1], suffixes)

    def _index(self, target: str, *, fold: bool, pad: bool) -> tuple[Index, tuple[int, int]]:
        form = (target, fold, pad)
        if form in self._indexes:
            return self._indexes[form]
        index: Index = {}
        for order in self._orders:
            value = order.oms_key if target == "oms_key" else order.external_id
            if not value:
                continue
            if fold:
                value = value.lower()
            if pad:
                value = value.lstrip("0")
            seen = index.get(value)
            if seen is None:
                index[value] = order.oms_key
            elif isinstance(seen, str):
                if seen != order.oms_key:
                    index[value] = (seen, order.oms_key)
            elif order.oms_key not in seen:
                index[value] = (*seen, order.oms_key)
        sizes = {len(value) for value in index} or {0}
        self._indexes[form] = (index, (min(sizes), max(sizes)))
        return self._indexes[form]
