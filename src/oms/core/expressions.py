"""Merchant-written conditions: rule-engine expressions over a typed context, checked when
saved and compiled once per (context, expression).

One mechanism for every domain that lets a merchant write a condition (risk rules,
notification rules): the domain names its symbols and their types and the error it raises;
this module parses, type-checks, refuses non-boolean results and regular expressions that
backtrack catastrophically, and caches the compiled rule.

A condition that meets a missing value (null compared with a number) does not match:
rule-engine refuses the comparison, and ``matches`` reads that refusal as a miss.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from typing import Any

import rule_engine
from rule_engine import ast as rule_ast

from oms.core.errors import AppError

__all__ = ["MAX_EXPRESSION", "MAX_REGEX", "Conditions", "matches"]

MAX_EXPRESSION = 2000
MAX_REGEX = 100
_CACHE_SIZE = 4096
_B = rule_engine.DataType.BOOLEAN
# Quantified groups that are themselves quantified: the shape of catastrophic backtracking.
_NESTED_QUANTIFIER = re.compile(r"\([^()]*[+*}][^()]*\)\s*[+*{]")


class Conditions:
    """Compiles conditions over ``types`` (symbol → rule_engine type); refusals raise ``error``
    with ``problem`` (empty, too_long, unknown_symbol, syntax, type, not_boolean, regex) in its
    details and the parser's message as its message."""

    def __init__(self, types: Mapping[str, Any], error: type[AppError]) -> None:
        self.types = dict(types)
        self.error = error
        self._context = rule_engine.Context(
            type_resolver=rule_engine.type_resolver_from_dict(self.types)
        )
        self._compiled: OrderedDict[str, rule_engine.Rule] = OrderedDict()

    def compile(self, expression: str) -> rule_engine.Rule:
        """The compiled, checked rule. Raises ``error`` naming the problem."""
        found = self._compiled.get(expression)
        if found is not None:
            self._compiled.move_to_end(expression)
            return found
        if not expression.strip():
            raise self.error("the expression is empty", problem="empty")
        if len(expression) > MAX_EXPRESSION:
            raise self.error(
                f"the expression is longer than {MAX_EXPRESSION} characters", problem="too_long"
            )
        rule = self._parse(expression)
        if rule.statement.expression.result_type not in (_B, rule_engine.DataType.UNDEFINED):
            raise self.error(
                f"the expression is a {rule.statement.expression.result_type.name}, "
                "not a condition",
                problem="not_boolean",
            )
        for node in _walk(rule.statement.expression):
            if isinstance(node, rule_ast.FuzzyComparisonExpression):
                self._check_regex(node)
        self._compiled[expression] = rule
        if len(self._compiled) > _CACHE_SIZE:
            self._compiled.popitem(last=False)
        return rule

    def _parse(self, expression: str) -> rule_engine.Rule:
        try:
            return rule_engine.Rule(expression, context=self._context)
        except rule_engine.SymbolResolutionError as exc:
            suggestion = f" (did you mean {exc.suggestion}?)" if exc.suggestion else ""
            raise self.error(
                f"unknown feature {exc.symbol_name!r}{suggestion}",
                problem="unknown_symbol",
                symbol=exc.symbol_name,
            ) from None
        except rule_engine.RuleSyntaxError as exc:
            where = f" at {exc.token.value!r}" if exc.token is not None else " at the end"
            raise self.error(f"syntax error{where}", problem="syntax") from None
        except rule_engine.EngineError as exc:
            raise self.error(f"{exc.message}", problem="type") from None

    def _check_regex(self, node: Any) -> None:
        right = node.right
        if not isinstance(right, rule_ast.StringExpression):
            raise self.error("a regular expression must be a string literal", problem="regex")
        pattern = str(right.value)
        if len(pattern) > MAX_REGEX:
            raise self.error(
                f"a regular expression is longer than {MAX_REGEX} characters", problem="regex"
            )
        if _NESTED_QUANTIFIER.search(pattern):
            raise self.error(
                f"the regular expression {pattern!r} nests quantifiers (catastrophic backtracking)",
                problem="regex",
            )


def matches(rule: rule_engine.Rule, values: Mapping[str, Any]) -> bool:
    """Whether ``values`` satisfy ``rule``; a missing value (an engine refusal) is a miss."""
    try:
        return bool(rule.matches(values))
    except rule_engine.EngineError:
        return False


def _walk(node: Any) -> Iterator[Any]:
    yield node
    for value in vars(node).values():
        if isinstance(value, rule_ast.ExpressionBase):
            yield from _walk(value)
        elif isinstance(value, (list, tuple)):
            for item in value:
                if isinstance(item, rule_ast.ExpressionBase):
                    yield from _walk(item)
