"""What can go wrong while a rule runs, and what a reason calls it: the one home.

A run-time failure ends one rule (its outcome is `error`, or `not_met` for a missing
optional field), never the evaluation. The closures (`compiler`), the generated evaluator
(`codegen`), the runtime, KPI assessment and the documents all catch the same failures
and word them the same way.
"""

from __future__ import annotations

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


def failure_text(exc: BaseException) -> str:
    """What a run-time failure is called in a rule's reason."""
    if isinstance(exc, RuleFailure):
        return str(exc)
    if isinstance(exc, ZeroDivisionError):
        return "division by zero"
    return f"the arithmetic failed ({type(exc).__name__})"
