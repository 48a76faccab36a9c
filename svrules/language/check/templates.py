"""The templates pass: each `explain` and `clause`, inline or from a file beside the policy
(regular files inside the policy's folder only), checked for names and filters at its line.
"""

from __future__ import annotations

from pathlib import Path

from svrules.core.diagnostics import Related
from svrules.core.source import SourceReadError, Span, read_source
from svrules.language import nodes as n
from svrules.language import units
from svrules.language.check.base import (
    inside_folder,
    needle_places,
)
from svrules.language.check.rules import Rules
from svrules.language.checked import TemplateSource, rule_key
from svrules.language.templates import TemplateProblem, TemplateScope, check_template


class Templates(Rules):
    """Checks explain and clause templates."""

    # ------------------------------------------------------------ templates

    def templates(self) -> None:
        """Explain and clause templates: files inside the folder, names, fields and filters."""
        for rule in self.p.rules:
            for kind, template in (
                ("explain", rule.explain),
                ("clause", rule.clause.template if rule.clause else None),
            ):
                if template is None:
                    continue
                source = self._template_source(rule, kind, template)
                if source is None:
                    continue
                self.out.templates[(rule_key(rule), kind)] = source
                scope = self._template_scope(rule)
                guard = kind == "clause" and not isinstance(rule, n.Kpi)
                problems = check_template(source.text, scope, bid_guard=guard)
                for problem, span in zip(problems, self._template_spans(problems, source), strict=True):
                    related: tuple[Related, ...] = ()
                    if source.path != self.path:
                        related = (Related(template.span, "the template of this rule"),)
                    if problem.severity == "warning":
                        self.warn(problem.code, problem.message, span, problem.hint)
                    else:
                        self.error(problem.code, problem.message, span, problem.hint, related)

    def _template_spans(self, problems: list[TemplateProblem], source: TemplateSource) -> list[Span]:
        """Where each template problem goes: its needle inside `{{ }}` or `{% %}` on its line.

        Jinja gives lines, not columns. When several problems name the same text on one
        line they take its last occurrences in order, so a loop variable used after its
        loop is underlined there, not at the loop.
        """
        count: dict[tuple[int, str], int] = {}
        for p in problems:
            if p.needle:
                count[(p.line, p.needle)] = count.get((p.line, p.needle), 0) + 1
        seen: dict[tuple[int, str], int] = {}
        spans = []
        for p in problems:
            line = source.first_line + p.line - 1
            text = self._line_of(source.path, line)
            indent = len(text) - len(text.lstrip())
            span = Span(source.path, line, indent + 1, line, max(len(text) + 1, indent + 2))
            if p.needle:
                places = needle_places(text, p.needle)
                key = (p.line, p.needle)
                k = seen.get(key, 0)
                seen[key] = k + 1
                index = len(places) - count[key] + k
                if places and 0 <= index < len(places):
                    at = places[index]
                    span = Span(source.path, line, at + 1, line, at + 1 + len(p.needle))
            spans.append(span)
        return spans

    def _template_source(self, rule: n.Rule, kind: str, template: n.Template) -> TemplateSource | None:
        if not template.from_file:
            return TemplateSource(template.text.value, self.path, template.text.first_line, kind)
        rel = template.text.value
        folder = self.out.folder.resolve()
        target = self.out.folder / rel
        if Path(rel).is_absolute() or not inside_folder(target, folder):
            self.error(
                "template-outside-folder",
                f"'{rel}' is outside the policy's folder",
                template.span,
                "keep clause files in the policy's folder, e.g. clauses/NAME.md.j2",
            )
            return None
        try:
            src = read_source(target, display=str(Path(self.path).parent / rel))
        except SourceReadError as exc:
            self.error(
                "template-not-found" if "no such" in exc.message else "template-unreadable",
                f"cannot read '{rel}': {exc.message}",
                template.span,
                exc.hint,
            )
            return None
        self.out.files[rel] = src.raw
        self.sources[src.path] = src
        return TemplateSource(src.text, src.path, 1, kind)

    def _line_of(self, path: str, line: int) -> str:
        source = self.sources.get(path, self.out.source)
        return source.line_text(line)

    def _template_scope(self, rule: n.Rule) -> TemplateScope:
        names = dict(self.out.param_types)
        names.update(self.out.let_types.get(rule_key(rule), {}))
        roots: dict[str, dict[str, str]] = {
            root: {k: units.expression_type(v.type) for k, v in self.out.fields(root).items()}
            for root in ("contract", "bid")
        }
        if isinstance(rule, n.Kpi):
            roots["delivery"] = {
                k: units.expression_type(v.type) for k, v in self.out.fields("delivery").items()
            }
        roots["rule"] = {"id": units.TEXT, "title": units.TEXT, "refs": units.list_of(units.TEXT)}
        return TemplateScope(names, roots)
