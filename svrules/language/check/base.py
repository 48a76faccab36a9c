"""What every checker pass shares: the scope an expression stands in, the reserved words,
the default hints, reporting (`error`, `warn`), and small helpers over literals and names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from svrules.core.diagnostics import Diagnostic, Related
from svrules.core.source import SourceFile, Span
from svrules.language import functions, units
from svrules.language import nodes as n
from svrules.language.checked import CheckedPolicy

RESERVED = frozenset(
    [
        "yes",
        "no",
        "not",
        "and",
        "or",
        "in",
        "if",
        "else",
        "contract",
        "bid",
        "delivery",
        "social_value",
        "rule",
    ]
)
# The hint an error gets when its call site has nothing more specific to say.
DEFAULT_HINTS = {
    "unit-mismatch": "units must combine: money with money, percents with percents; money × a number or percent is money (table in docs/language/values.md)",
    "bad-call": "the built-ins are " + functions.usage_list(),
    "score-out-of-range": "write a percent from 0% to 100%",
    "duplicate-scale-level": "give each level once, with one descriptor",
    "bad-range": "write the bounds in the field's own unit, e.g. from 0% to 100% for a percent",
    "bad-score": "score money, a number or a percent",
    "bad-weight": "a weight is a percent above 0% and at most 100%, e.g. 'weight 5%'",
    "template-syntax": "check the {{ … }} and {% … %} tags; inside them write plain values, not £ amounts",
    "param-missing-date": "write each value as VALUE from YYYY-MM-DD",
}
RATINGS = ("good", "approaching_target", "requires_improvement", "inadequate", "other")
SNAKE_CASE = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass
class Scope:
    """What an expression may name where it stands."""

    roots: dict[str, dict[str, n.FieldDecl]]
    names: dict[str, str]
    context: str  # for messages: "a parameter", "the policy's 'applies when'", …
    let_spans: dict[str, Span] = field(default_factory=dict)  # where each let of the rule is bound


class CheckerBase:
    """The policy under check, its product, and reporting."""

    def __init__(self, policy: n.Policy, source: SourceFile, folder: Path):
        self.p = policy
        self.out = CheckedPolicy(policy, source, folder)
        self.path = source.path
        self.sources: dict[str, SourceFile] = {source.path: source}

    # ------------------------------------------------------------ reporting

    def error(
        self, code: str, message: str, span: Span, hint: str | None = None, related: tuple[Related, ...] = ()
    ) -> None:
        hint = hint or DEFAULT_HINTS.get(code)
        self.out.diagnostics.append(Diagnostic(code, message, span, hint, "error", related))

    def warn(self, code: str, message: str, span: Span, hint: str | None = None) -> None:
        self.out.diagnostics.append(Diagnostic(code, message, span, hint, "warning"))


def needle_places(text: str, needle: str) -> list[int]:
    """Offsets of `needle` as a whole word inside template tags, loop targets left out."""
    places = []
    for tag in re.finditer(r"\{\{.*?\}\}|\{%.*?%\}", text):
        for match in re.finditer(rf"(?<![\w.]){re.escape(needle)}(?!\w)", tag.group(0)):
            before = tag.group(0)[: match.start()]
            if re.search(r"\bfor\s+[\w\s,]*$", before):
                continue  # the loop's own target
            places.append(tag.start() + match.start())
    if not places:
        at = text.find(needle)
        places = [at] if at >= 0 else []
    return places


def inside_folder(target: Path, folder: Path) -> bool:
    try:
        return target.resolve().is_relative_to(folder)
    except OSError:
        return False


def literal_type(lit: n.Literal) -> str:
    return units.BOOL if lit.kind == "yes/no" else lit.kind


def literal_hint(want: str | None, expr: n.Expr) -> str | None:
    if isinstance(expr, n.Literal) and expr.kind == "number":
        if want == units.PERCENT:
            return f"did you mean {expr.text}%?"
        if want == units.MONEY:
            return f"did you mean £{expr.text}?"
    return None


def is_snake_case(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
