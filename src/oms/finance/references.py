"""Finding known references in free bank text: normalisation, token index, look-alikes, typos.

Memo text is upper-cased (NFKC, so full-width digits count), separators between letters and
digits are dropped, MT940 ``:86:`` continuation markers (``?20`` to ``?29``, ``?60`` to ``?63``) are
removed so a reference cut across two subfields joins again, and every window of a known
reference length is looked up in a dict.

Two kinds of correction are told apart, because finance trusts them differently:

- *look-alikes* (``fold_lookalikes``): a letter O written for a zero, I or L for a one. They
  are what people type on a phone; the corrected reference may be confirmed automatically when
  it leads to exactly one open movement.
- *typos* (``ReferenceIndex.near``): a wrong, missing, extra or swapped digit, only for digit
  references of at least ``MIN_FUZZY_LENGTH`` characters. A typo may as well be another real
  order's number, so these are never confirmed automatically.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator

__all__ = [
    "MIN_FUZZY_LENGTH",
    "MIN_REFERENCE_LENGTH",
    "ReferenceIndex",
    "fold_lookalikes",
    "normalise_reference",
    "normalise_text",
    "text_runs",
]

MIN_REFERENCE_LENGTH = 6
MIN_FUZZY_LENGTH = 12
_SEPARATORS = re.compile(r"(?<=[0-9A-Z])[\-_/\\.:#,|*'~+]+(?=[0-9A-Z])")
_SPACES = re.compile(r"(?<=[0-9A-Z])\s+(?=[0-9A-Z])")
# MT940 :86: subfields: remittance text continues from ?20 to ?29 (and ?60 to ?63) with no
# separator; the other subfields (?00 posting text, ?3x bank and account, ?32 name) are fields.
_MT940_CONTINUATION = re.compile(r"\?(?:2[0-9]|6[0-3])")
_MT940_FIELD = re.compile(r"\?[0-9]{2}")
_RUN = re.compile(r"[0-9A-Z]+")
_DIGITS = re.compile(r"[0-9]+")
_NOT_ALNUM = re.compile(r"[^0-9A-Z]")
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})


def normalise_reference(value: str) -> str:
    """``so-2611/25 0001`` → ``SO2611250001``."""
    if value.isascii() and value.isalnum():  # most references: digits only, no work to do
        return value.upper()
    return _NOT_ALNUM.sub("", unicodedata.normalize("NFKC", value).upper())


def fold_lookalikes(value: str) -> str:
    """Read a normalised reference as if O were 0 and I or L were 1 (``26O1l`` → ``26011``)."""
    return value if value.isdigit() else value.translate(_LOOKALIKES)


def normalise_text(text: str) -> str:
    """NFKC, upper case, MT940 subfield markers out: the text references are searched in."""
    upper = unicodedata.normalize("NFKC", text).upper()
    return _MT940_FIELD.sub(" ", _MT940_CONTINUATION.sub("", upper))


def text_runs(text: str) -> list[str]:
    """Alphanumeric runs of ``text``, with and without joining across spaces."""
    upper = _SEPARATORS.sub("", normalise_text(text))
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
            more = self._more.setdefault(reference, [found])
            if target not in more:
                more.append(target)
        self._lengths.add(len(reference))
        if reference.isdigit() and len(reference) >= MIN_FUZZY_LENGTH:
            self._digit_lengths.add(len(reference))

    def targets(self, reference: str) -> Iterable[int]:
        many = self._more.get(reference)
        if many is not None:
            return many
        one = self._one.get(reference)
        return () if one is None else (one,)

    def is_empty(self) -> bool:
        return not self._one

    def is_unique(self, reference: str) -> bool:
        """Whether exactly one target carries ``reference``."""
        return reference in self._one and reference not in self._more

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

    def near(self, runs: list[str]) -> dict[int, tuple[str, str]]:
        """Targets whose digit reference is one typo away from a digit run of the text →
        (the reference, the edit: ``substitution``, ``swap``, ``missing`` or ``extra``)."""
        found: dict[int, tuple[str, str]] = {}
        lookup = self._one
        for digits in {d for run in runs for d in _DIGITS.findall(run)}:
            for length in self._digit_lengths:
                if abs(len(digits) - length) > 1:
                    continue
                for variant, edit in _one_edit(digits, length):
                    if variant in lookup:
                        for target in self.targets(variant):
                            found.setdefault(target, (variant, edit))
        return found


def _one_edit(digits: str, length: int) -> Iterator[tuple[str, str]]:
    """Strings of ``length`` one substitution, swap, insertion or deletion from ``digits``,
    with the edit the payer made (a digit written wrong, two swapped, one left out or added)."""
    size = len(digits)
    if size == length:
        for i in range(size):
            head, tail = digits[:i], digits[i + 1 :]
            for d in "0123456789":
                if d != digits[i]:
                    yield head + d + tail, "substitution"
        for i in range(size - 1):
            if digits[i] != digits[i + 1]:
                yield digits[:i] + digits[i + 1] + digits[i] + digits[i + 2 :], "swap"
    elif size == length - 1:
        for i in range(size + 1):
            for d in "0123456789":
                yield digits[:i] + d + digits[i:], "missing"
    else:
        for i in range(size):
            yield digits[:i] + digits[i + 1 :], "extra"
