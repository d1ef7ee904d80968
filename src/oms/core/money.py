"""Money is an integer amount of minor units (fen) and an ISO 4217 currency code."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CURRENCY_EXPONENTS", "MAX_AMOUNT", "MAX_QTY", "Money", "format_minor"]

# The largest amount (10 billion yuan in fen) and quantity any input may carry. Every amount
# and every total is bounded by MAX_AMOUNT, so one order's figures fit a BIGINT (9.2e18) with
# a margin of 10^6: sums over up to a million such orders (reports, statements) still fit.
MAX_AMOUNT = 10**12
MAX_QTY = 10**6

# Minor-unit exponents of the currencies merchants sell in; unknown codes default to 2.
CURRENCY_EXPONENTS: dict[str, int] = {"CNY": 2, "USD": 2, "EUR": 2, "HKD": 2, "JPY": 0, "KRW": 0}
_SYMBOLS = {"CNY": "¥", "USD": "$", "EUR": "€", "HKD": "HK$", "JPY": "JP¥"}


@dataclass(frozen=True, slots=True)
class Money:
    """An exact amount; arithmetic only between equal currencies."""

    amount: int
    currency: str = "CNY"

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount - other.amount, self.currency)

    def _same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"cannot mix {self.currency} and {other.currency}")


def format_minor(amount: int, currency: str) -> str:
    """Render minor units for people: ``12345, "CNY"`` → ``¥123.45``."""
    exponent = CURRENCY_EXPONENTS.get(currency, 2)
    sign = "-" if amount < 0 else ""
    units, minor = divmod(abs(amount), 10**exponent)
    symbol = _SYMBOLS.get(currency, currency + " ")
    if exponent == 0:
        return f"{sign}{symbol}{units:,}"
    return f"{sign}{symbol}{units:,}.{minor:0{exponent}d}"
