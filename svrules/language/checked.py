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
from svrules.core.source import SourceFile, Span, decode_source
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

    def sources(self) -> dict[str, SourceFile]:
        """The policy's file and every clause file it read, by path: for diagnostics' carets."""
        folder = Path(self.source.path).parent
        out = {self.source.path: self.source}
        out.update(
            {str(folder / rel): decode_source(str(folder / rel), raw) for rel, raw in self.files.items()}
        )
        return out

    def template_span(self, rule_key: str, kind: str, line: int | None) -> Span | None:
        """Where a template failure points: the template's line (its first when unknown), indent to end."""
        source = self.templates.get((rule_key, kind))
        if source is None:
            return None
        at = source.first_line + (line or 1) - 1
        sources = self.sources()
        text = sources[source.path].line_text(at) if source.path in sources else ""
        indent = len(text) - len(text.lstrip())
        return Span(source.path, at, indent + 1, at, max(len(text) + 1, indent + 2))

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
