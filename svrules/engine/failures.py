"""What can go wrong while a rule runs, and what a reason calls it: the one home.

A run-time failure ends one rule (its outcome is `error`, or `not_met` for a missing
optional field), never the evaluation. The closures (`compiler`), the generated evaluator
(`codegen`), the runtime, KPI assessment and the documents all catch the same failures
and word them the same way.
"""

from __future__ import annotations

import decimal
from decimal import DecimalException


class MissingField(Exception):
    """An optional field the bid does not state was needed."""

    def __init__(self, name: str):
        super().__init__(name)
        self.name = name


class RuleFailure(Exception):
    """A run-time failure of one rule (division by zero): its outcome is `error`."""


RUN_TIME_FAILURES = (RuleFailure, DecimalException, ArithmeticError)
"""The exceptions that end one rule's evaluation (or one parameter's), and nothing more."""


# The `decimal` failures in words, most specific first. DivisionUndefined (`0 / 0`) is a
# division by zero, as the language says, though `decimal` raises it as InvalidOperation.
_DECIMAL_WORDS: tuple[tuple[type[BaseException], str], ...] = (
    (ZeroDivisionError, "division by zero"),
    (decimal.DivisionImpossible, "the whole-number division is too large"),
    (decimal.InvalidContext, "the decimal context is invalid"),
    (decimal.ConversionSyntax, "a text is not a number"),
    (decimal.InvalidOperation, "the calculation has no numeric result"),
    (decimal.Overflow, "the result is too large"),
    (decimal.Underflow, "the result is too small to hold"),
    (decimal.Subnormal, "the result is too small to hold exactly"),
    (decimal.Inexact, "the result cannot be held exactly"),
    (decimal.Rounded, "the result had to be rounded"),
    (decimal.Clamped, "the result's exponent had to be adjusted"),
    (decimal.FloatOperation, "a binary fraction was mixed with a decimal"),
    (OverflowError, "the result is too large"),
)


def failure_text(exc: BaseException) -> str:
    """What a run-time failure is called in a rule's reason: the failure, in words."""
    if isinstance(exc, RuleFailure):
        return str(exc)
    # `decimal` raises the trapped signal (InvalidOperation) naming the condition in its args
    conditions = [
        a for arg in exc.args for a in (arg if isinstance(arg, list) else [arg]) if isinstance(a, type)
    ]
    for kind, words in _DECIMAL_WORDS:
        if isinstance(exc, kind) or any(issubclass(c, kind) for c in conditions):
            return words
    return "the arithmetic failed"
