"""Typed AST → checked policy: `check` runs named passes (declarations → parameters →
expressions and units → scoring → templates → style), each appending diagnostics and
carrying on, so one run reports every problem. One module per pass, each building on the
one before (`base` → `inference` → `declarations` → `rules` → `templates`).
"""

from __future__ import annotations

from pathlib import Path

from svrules.core.source import SourceFile
from svrules.language import nodes as n
from svrules.language.check.base import SNAKE_CASE, is_snake_case
from svrules.language.check.templates import Templates
from svrules.language.checked import CheckedPolicy

__all__ = ["Checker", "check"]


class Checker(Templates):
    """Runs the passes over one policy, in order; each appends diagnostics and carries on."""

    # ------------------------------------------------------------ passes

    def run(self) -> CheckedPolicy:
        self.declarations()
        self.parameters()
        self.expressions()
        self.scoring()
        self.templates()
        self.style()
        return self.out

    # ------------------------------------------------------------ style

    def style(self) -> None:
        """Warnings: ids are conventionally snake_case."""
        named = [(self.p.name, self.p.name_span, "policy id")]
        named += [(t.name, t.name_span, "theme id") for t in self.p.themes]
        named += [(r.name, r.name_span, f"{r.kind} id") for r in self.p.rules]
        named += [(p.name, p.name_span, "parameter") for p in self.p.params]
        named += [(let.name, let.name_span, "let") for r in self.p.rules for let in r.lets]
        for block in (self.p.contract, self.p.bid, self.p.delivery):
            named += [(d.name, d.span, "field") for d in block]
        for name, span, what in named:
            if not SNAKE_CASE.match(name):
                self.warn(
                    "not-snake-case",
                    f"{what} '{name}' is not snake_case",
                    span,
                    f"write it as '{is_snake_case(name)}'",
                )


def check(policy: n.Policy, source: SourceFile, folder: Path) -> CheckedPolicy:
    """Run every pass; the result's `diagnostics` hold what they found."""
    checker = Checker(policy, source, folder)
    return checker.run()
