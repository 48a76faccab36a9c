"""A checked policy: the typed AST with the type of every expression, the parameters' and
lets' types, the text of every template, and the diagnostics the checker found. It is
all the compiler and the documents need; `language.check` makes it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from svrules.core.diagnostics import Diagnostic
from svrules.core.source import SourceFile
from svrules.language import nodes as n


@dataclass(frozen=True)
class TemplateSource:
    """A template's text and where its first line sits, for diagnostics and rendering."""

    text: str
    path: str
    first_line: int
    kind: str  # "explain" or "clause"


@dataclass
class CheckedPolicy:
    """A policy whose names, types, units, dates and templates are known to be right."""

    policy: n.Policy
    source: SourceFile
    folder: Path
    types: dict[int, str] = field(default_factory=dict)
    param_types: dict[str, str] = field(default_factory=dict)
    let_types: dict[str, dict[str, str]] = field(default_factory=dict)
    templates: dict[tuple[str, str], TemplateSource] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(d.severity == "error" for d in self.diagnostics)

    @cached_property
    def hash(self) -> str:
        """sha256 of the policy's bytes and every template file it uses, by relative path."""
        digest = hashlib.sha256()
        digest.update(self.source.raw)
        for rel in sorted(self.files):
            digest.update(b"\0" + rel.encode() + b"\0" + self.files[rel])
        return "sha256:" + digest.hexdigest()

    def type_of(self, expr: n.Expr) -> str:
        return self.types[id(expr)]

    def fields(self, root: str) -> dict[str, n.FieldDecl]:
        return declared_fields(self.policy, root)


def declared_fields(policy: n.Policy, root: str) -> dict[str, n.FieldDecl]:
    """The fields of `contract`, `bid` (with one optional number per measure) or `delivery`."""
    decls = {"contract": policy.contract, "bid": policy.bid, "delivery": policy.delivery}[root]
    out = {d.name: d for d in decls}
    if root == "bid":
        for m in policy.measures:
            out.setdefault(
                m.name,
                n.FieldDecl(m.name, "number", optional=True, description=m.title, span=m.name_span),
            )
    return out


def rule_key(rule: n.Rule) -> str:
    return f"kpi:{rule.name}" if rule.kind == "kpi" else rule.name
