"""Finding known references in free bank text: normalisation, token index, one-typo variants.

Memo text is upper-cased (NFKC, so full-width digits count), separators between letters and
digits are dropped, and every window of a known reference length is looked up in a dict. A
reference that is not found exactly may be found with one typo (a wrong, missing, extra or
swapped digit), but only for digit references of at least ``MIN_FUZZY_LENGTH`` characters.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator

__all__ = [
    "MIN_FUZZY_LENGTH",
    "MIN_REFERENCE_LENGTH",
    "ReferenceIndex",
    "normalise_reference",
    "text_runs",
]

MIN_REFERENCE_LENGTH = 6
MIN_FUZZY_LENGTH = 12
_SEPARATORS = re.compile(r"(?<=[0-9A-Z])[\-_/\\.:#,|*'~]+(?=[0-9A-Z])")
_SPACES = re.compile(r"(?<=[0-9A-Z])\s+(?=[0-9A-Z])")
_RUN = re.compile(r"[0-9A-Z]+")
_DIGITS = re.compile(r"[0-9]+")
_NOT_ALNUM = re.compile(r"[^0-9A-Z]")


def normalise_reference(value: str) -> str:
    """``so-2611/25 0001`` → ``SO2611250001``."""
    return _NOT_ALNUM.sub("", unicodedata.normalize("NFKC", value).upper())


def text_runs(text: str) -> list[str]:
    """Alphanumeric runs of ``text``, with and without joining across spaces."""
    upper = _SEPARATORS.sub("", unicodedata.normalize("NFKC", text).upper())
    runs = _RUN.findall(upper)
    joined = _RUN.findall(_SPACES.sub("", upper))
    return runs + [run for run in joined if run not in runs]


class ReferenceIndex:
    """Normalised reference → the ids of what carries it (usually one)."""

    def __init__(self) -> None:
        self._one: dict[str, int] = {}
        self._more: dict[str, list[int]] = {}
        self._lengths: set[int] = set()
        self._digit_lengths: set[int] = set()

    def add(self, reference: str, target: int) -> None:
        if len(reference) < MIN_REFERENCE_LENGTH:
            return
        found = self._one.setdefault(reference, target)
        if found != target:
            self._more.setdefault(reference, [found]).append(target)
        self._lengths.add(len(reference))
        if reference.isdigit() and len(reference) >= MIN_FUZZY_LENGTH:
            self._digit_lengths.add(len(reference))

    def targets(self, reference: str) -> Iterable[int]:
        many = self._more.get(reference)
        if many is not None:
            return many
        one = self._one.get(reference)
        return () if one is None else (one,)

    def exact(self, runs: list[str]) -> dict[int, str]:
        """Targets whose reference occurs in one of ``runs`` → the reference found."""
        found: dict[int, str] = {}
        lookup = self._one
        for run in runs:
            size = len(run)
            for length in self._lengths:
                for start in range(size - length + 1):
                    key = run[start : start + length]
                    if key in lookup:
                        for target in self.targets(key):
                            found.setdefault(target, key)
        return found

    def near(self, runs: list[str]) -> dict[int, str]:
        """Targets whose digit reference is one typo away from a digit run of the text."""
        found: dict[int, str] = {}
        lookup = self._one
        for digits in {d for run in runs for d in _DIGITS.findall(run)}:
            for length in self._digit_lengths:
                if abs(len(digits) - length) > 1:
                    continue
                for variant in _one_edit(digits, length):
                    if variant in lookup:
                        for target in self.targets(variant):
                            found.setdefault(target, variant)
        return found


def _one_edit(digits: str, length: int) -> Iterator[str]:
    """Strings of ``length`` one substitution, swap, insertion or deletion from ``digits``."""
    size = len(digits)
    if size == length:
        for i in range(size):
            head, tail = digits[:i], digits[i + 1 :]
            for d in "0123456789":
                if d != digits[i]:
                    yield head + d + tail
        for i in range(size - 1):
            if digits[i] != digits[i + 1]:
                yield digits[:i] + digits[i + 1] + digits[i] + digits[i + 2 :]
    elif size == length - 1:
        for i in range(size + 1):
            for d in "0123456789":
                yield digits[:i] + d + digits[i:]
    else:
        for i in range(size):
            yield digits[:i] + digits[i + 1 :]
