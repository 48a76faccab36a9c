"""The templates pass: each `explain` and `clause`, inline or from a file beside the policy
(regular files inside the policy's folder only), checked for names and filters at its line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from jinja2 import TemplateSyntaxError, nodes

from svrules.core import limits
from svrules.core.diagnostics import Related, did_you_mean
from svrules.core.source import SourceReadError, Span, read_source
from svrules.language import nodes as n
from svrules.language import units
from svrules.language.check.base import (
    inside_folder,
    needle_places,
)
from svrules.language.check.rules import Rules
from svrules.language.checked import TemplateSource, rule_key
from svrules.language.templates import FILTER_TYPES, environment


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
                problems = check_template(
                    source.text, scope, bid_guard=guard, optional_warning=kind == "explain"
                )
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
        always = _always_read(rule)  # a field the rule always reads: missing, the explain is not rendered
        optional = {"bid": frozenset(k for k, v in self.out.fields("bid").items() if v.optional) - always}
        return TemplateScope(names, roots, optional)


# ---------------------------------------------------------------- checking


@dataclass(frozen=True)
class TemplateProblem:
    """A problem at a line of a template (1-based, counted within the template)."""

    code: str
    message: str
    line: int
    hint: str | None = None
    needle: str | None = None  # the text to underline on that line, when known
    severity: str = "error"


@dataclass(frozen=True)
class TemplateScope:
    """What a template may name: plain names with types, and field roots with their fields."""

    names: Mapping[str, str]
    roots: Mapping[str, Mapping[str, str]]
    optional: Mapping[str, frozenset[str]] = field(default_factory=dict)  # optional fields by root


def check_template(
    text: str, scope: TemplateScope, *, bid_guard: bool = False, optional_warning: bool = False
) -> list[TemplateProblem]:
    """Parse a template and report every unknown name, field or filter, and syntax errors.

    With `bid_guard` (a clause, which the schedule published with the tender renders
    without a bid), a use of `bid` outside `{% if bid is defined %}` is a warning. With
    `optional_warning` (an explain), so is a use of an optional field not tested with
    `is defined`. A template nested past the limits is refused before it is checked.
    """
    env = environment()
    deep = _too_deep_brackets(text)
    if deep is not None:
        return [deep]
    try:
        tree = env.parse(text)
    except TemplateSyntaxError as exc:
        message = re.sub(r" at \d+$", "", exc.message or "")
        return [TemplateProblem("template-syntax", f"template syntax error: {message}", exc.lineno or 1)]
    except RecursionError:
        return [_deep_problem(1, "this template nests too deeply", limits.MAX_TEMPLATE_EXPRESSION_DEPTH)]
    deep = _too_deep_tree(tree)
    if deep is not None:
        return [deep]
    checker = _TemplateChecker(scope)
    checker.visit(tree, frozenset())
    if bid_guard:
        for line in sorted(set(_unguarded_bid_lines(tree, guarded=False))):
            checker.problems.append(
                TemplateProblem(
                    "unguarded-bid",
                    "this clause uses 'bid' without {% if bid is defined %}",
                    line,
                    "the schedule published with the tender has no bid: guard the sentence with {% if bid is defined %} … {% endif %}",
                    "bid",
                    "warning",
                )
            )
    if optional_warning:
        checker.problems += _optional_reads(tree, scope)
    if not any(p.severity == "error" for p in checker.problems):
        checker.problems += _compiles(text)
    return checker.problems


# ---------------------------------------------------------------- nesting

_BLOCKS = (
    nodes.For,
    nodes.If,
    nodes.With,
    nodes.FilterBlock,
    nodes.Macro,
    nodes.CallBlock,
    nodes.Scope,
    nodes.ScopedEvalContextModifier,
    nodes.AssignBlock,
    nodes.Block,
)


def _deep_problem(line: int, what: str, limit: int) -> TemplateProblem:
    return TemplateProblem(
        "too-deep",
        f"{what} (at most {limit} levels)",
        line,
        "templates are for wording: split the work into {% set %} steps or `let`s in the rule",
    )


def _too_deep_brackets(text: str) -> TemplateProblem | None:
    """Brackets nested past the limit, found before Jinja's parser recurses into them."""
    limit = limits.MAX_TEMPLATE_EXPRESSION_DEPTH
    depth = 0
    try:
        for line, token, value in environment().lexer.tokeniter(text, None):
            if token == "operator" and value in "([{":
                depth += 1
                if depth > limit:
                    return _deep_problem(line, "brackets nest too deeply in this expression", limit)
            elif token == "operator" and value in ")]}":
                depth -= 1
    except TemplateSyntaxError:
        return None  # the parser reports it
    return None


def _too_deep_tree(tree: nodes.Template) -> TemplateProblem | None:
    """`{% %}` blocks or an expression nested past the limits (so the template compiles)."""
    stack: list[tuple[nodes.Node, int, int]] = [(tree, 0, 0)]
    while stack:
        node, blocks, depth = stack.pop()
        line = getattr(node, "lineno", 1) or 1
        if isinstance(node, _BLOCKS):
            blocks += 1
            if blocks > limits.MAX_TEMPLATE_NESTING:
                return _deep_problem(line, "{% %} blocks nest too deeply here", limits.MAX_TEMPLATE_NESTING)
        depth = depth + 1 if isinstance(node, nodes.Expr) else 0
        if depth > limits.MAX_TEMPLATE_EXPRESSION_DEPTH:
            return _deep_problem(
                line, "this expression nests too deeply", limits.MAX_TEMPLATE_EXPRESSION_DEPTH
            )
        elifs = {id(e) for e in node.elif_} if isinstance(node, nodes.If) else set()
        for child in node.iter_child_nodes():
            stack.append((child, blocks - 1 if id(child) in elifs else blocks, depth))
    return None


def _compiles(text: str) -> list[TemplateProblem]:
    """What the check accepts must compile: a last guard for what the limits above miss."""
    try:
        environment().compile(text)
    except (RecursionError, SyntaxError, MemoryError):
        return [_deep_problem(1, "this template is too complex to compile", limits.MAX_TEMPLATE_NESTING)]
    except TemplateSyntaxError as exc:
        message = re.sub(r" at \d+$", "", exc.message or "")
        return [TemplateProblem("template-syntax", f"template syntax error: {message}", exc.lineno or 1)]
    return []


def _optional_reads(tree: nodes.Template, scope: TemplateScope) -> list[TemplateProblem]:
    """Reads of an optional field that no `is defined` test in the template guards."""
    tested = {
        (t.node.node.name, t.node.attr)
        for t in tree.find_all(nodes.Test)
        if t.name in ("defined", "undefined")
        and isinstance(t.node, nodes.Getattr)
        and isinstance(t.node.node, nodes.Name)
    }
    problems: list[TemplateProblem] = []
    seen: set[tuple[str, str, int]] = set()
    for node in tree.find_all(nodes.Getattr):
        if not isinstance(node.node, nodes.Name):
            continue
        root, name, line = node.node.name, node.attr, node.lineno or 1
        if name not in scope.optional.get(root, ()) or (root, name) in tested or (root, name, line) in seen:
            continue
        seen.add((root, name, line))
        problems.append(
            TemplateProblem(
                "template-optional-field",
                f"this explain reads {root}.{name}, which is optional: a bid may not state it",
                line,
                f"when an outcome is decided without {root}.{name} and the bid lacks it, the reason is "
                f"generated instead; to word that case, use {{% if {root}.{name} is defined %}}",
                f"{root}.{name}",
                "warning",
            )
        )
    return problems


def _guards_bid(test: nodes.Node) -> bool:
    """`bid is defined`, or an `and` whose left side is one."""
    if isinstance(test, nodes.And):
        return _guards_bid(test.left)
    return (
        isinstance(test, nodes.Test)
        and test.name == "defined"
        and isinstance(test.node, nodes.Name)
        and test.node.name == "bid"
    )


def _unguarded_bid_lines(node: nodes.Node, guarded: bool) -> Iterator[int]:
    """Lines where `bid` is read outside an `{% if bid is defined %}` guard."""
    if (
        isinstance(node, nodes.Test)
        and node.name in ("defined", "undefined")
        and isinstance(node.node, nodes.Name)
    ):
        return
    if isinstance(node, nodes.And) and _guards_bid(node.left):
        yield from _unguarded_bid_lines(node.left, guarded)
        yield from _unguarded_bid_lines(node.right, True)
        return
    if isinstance(node, nodes.If | nodes.CondExpr) and _guards_bid(node.test):
        yield from _unguarded_bid_lines(node.test, guarded)
        body = node.body if isinstance(node, nodes.If) else [node.expr1]
        rest = (
            [*node.elif_, *node.else_] if isinstance(node, nodes.If) else [node.expr2] if node.expr2 else []
        )
        for child in body:
            yield from _unguarded_bid_lines(child, True)
        for child in rest:
            yield from _unguarded_bid_lines(child, guarded)
        return
    if isinstance(node, nodes.Name) and node.name == "bid" and node.ctx == "load" and not guarded:
        yield node.lineno
    for child in node.iter_child_nodes():
        yield from _unguarded_bid_lines(child, guarded)


class _TemplateChecker:
    def __init__(self, scope: TemplateScope):
        self.scope = scope
        self.problems: list[TemplateProblem] = []

    def problem(
        self, code: str, message: str, node: nodes.Node, hint: str | None = None, needle: str | None = None
    ) -> None:
        self.problems.append(TemplateProblem(code, message, getattr(node, "lineno", 1) or 1, hint, needle))

    def visit(self, node: nodes.Node, local: frozenset[str]) -> frozenset[str]:
        """Check a node; return the names a `{% set %}` in it adds for what follows."""
        if isinstance(node, nodes.For):
            self.visit(node.iter, local)
            inner = local | set(_target_names(node.target)) | {"loop"}
            self._visit_body(node.body, inner)
            self._visit_body(node.else_, local)
            return local
        if isinstance(node, nodes.Assign):
            self.visit(node.node, local)
            return local | set(_target_names(node.target))
        if isinstance(node, nodes.Include | nodes.Import | nodes.FromImport | nodes.Extends):
            self.problem(
                "template-include",
                "templates cannot include, import or extend other templates",
                node,
                "write the text in this template or in the rule's clause file",
            )
            return local
        if self._unsafe(node):
            return local
        if (
            isinstance(node, nodes.Test)
            and node.name in ("defined", "undefined")
            and isinstance(node.node, nodes.Name)
        ):
            return local  # `bid is defined` guards a clause rendered without a bid
        if isinstance(node, nodes.Name) and node.ctx == "load":
            self._name(node, local)
            return local
        if (
            isinstance(node, nodes.Getattr | nodes.Getitem)
            and isinstance(node.node, nodes.Name)
            and self._field(node, local)
        ):
            return local
        if isinstance(node, nodes.Filter):
            self._filter(node, local)
        self._visit_body(list(node.iter_child_nodes()), local)
        return local

    def _unsafe(self, node: nodes.Node) -> bool:
        """Refuse what no clause needs and every template injection uses: calls, private
        attributes, attributes of values, and constant text multiplied past the limit."""
        if isinstance(node, nodes.Call):
            self.problem(
                "template-unsafe",
                "templates cannot call functions or methods",
                node,
                "use a filter instead, e.g. {{ value | money }} or {{ rule.refs | join(', ') }}",
            )
            return True
        key = None
        if isinstance(node, nodes.Getattr):
            key = node.attr
        elif isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
            key = node.arg.value
        if isinstance(key, str) and key.startswith("_"):
            self.problem(
                "template-unsafe",
                f"'{key}' is private: templates cannot read names that start with '_'",
                node,
                "templates see contract, bid, rule, the parameters and the rule's lets",
                key,
            )
            return True
        if isinstance(node, nodes.Getattr) and not isinstance(node.node, nodes.Name):
            self.problem(
                "template-unsafe",
                f"templates cannot read '.{node.attr}' of a value",
                node,
                "read fields only: contract.NAME, bid.NAME, rule.id, rule.title, rule.refs",
                node.attr,
            )
            return True
        if (
            isinstance(node, nodes.Mod)
            and isinstance(node.left, nodes.Const)
            and isinstance(node.left.value, str)
        ):
            self.problem(
                "template-unsafe",
                "the % operator cannot format text in templates",
                node,
                "write the text with {{ }} and filters instead",
            )
            return True
        if isinstance(node, nodes.Mul | nodes.Pow) and _constant_too_big(node):
            self.problem(
                "template-unsafe",
                "this expression would build a value larger than a template may make",
                node,
                f"texts and lists are limited to {limits.MAX_TEXT:,} items, powers to {limits.MAX_EXPONENT}",
            )
            return True
        return False

    def _visit_body(self, body: list[nodes.Node], local: frozenset[str]) -> None:
        for child in body:
            local = self.visit(child, local)

    def _name(self, node: nodes.Name, local: frozenset[str]) -> None:
        if node.name in self.scope.roots and node.name not in local:
            fields = sorted(self.scope.roots[node.name])
            self.problem(
                "bare-root",
                f"'{node.name}' is a whole record: a template cannot print or use it without a field",
                node,
                f"name one of its fields, e.g. {node.name}.{fields[0]}" if fields else None,
                node.name,
            )
            return
        if node.name in local or node.name in self.scope.names:
            return
        known = [*self.scope.names, *self.scope.roots]
        self.problem(
            "template-unknown-name",
            f"unknown name '{node.name}' in template",
            node,
            did_you_mean(node.name, known)
            or "templates see contract, bid, rule, the parameters and the rule's lets",
            node.name,
        )

    def _field(self, node: nodes.Getattr | nodes.Getitem, local: frozenset[str]) -> bool:
        if not isinstance(node.node, nodes.Name):
            return False
        root = node.node.name
        if root in local or root not in self.scope.roots:
            return False
        attr = node.attr if isinstance(node, nodes.Getattr) else getattr(node.arg, "value", None)
        if not isinstance(attr, str):
            return False
        fields = self.scope.roots[root]
        if attr not in fields:
            self.problem(
                "template-unknown-field",
                f"unknown field '{root}.{attr}' in template",
                node,
                did_you_mean(attr, fields, prefix=f"{root}.") or f"{root} has: " + ", ".join(sorted(fields)),
                f"{root}.{attr}",
            )
        return True

    def _filter(self, node: nodes.Filter, local: frozenset[str]) -> None:
        if node.name not in environment().filters:
            self.problem(
                "template-unknown-filter",
                f"unknown filter '{node.name}'",
                node,
                did_you_mean(node.name, environment().filters)
                or "filters are money, number, percent and date",
                node.name,
            )
            return
        wanted = FILTER_TYPES.get(node.name)
        actual = self._type_of(node.node, local) if node.node is not None else None
        if wanted and actual and actual not in wanted:
            self.problem(
                "template-filter-type",
                f"the '{node.name}' filter needs {units.a(next(iter(wanted)))}, not {units.a(actual)}",
                node,
                _filter_hint(actual),
                node.name,
            )

    def _type_of(self, node: nodes.Node, local: frozenset[str]) -> str | None:
        if isinstance(node, nodes.Name) and node.name not in local:
            return self.scope.names.get(node.name)
        if (
            isinstance(node, nodes.Getattr)
            and isinstance(node.node, nodes.Name)
            and node.node.name not in local
        ):
            return self.scope.roots.get(node.node.name, {}).get(node.attr)
        return None


def _constant_too_big(node: nodes.Mul | nodes.Pow) -> bool:
    left = node.left.value if isinstance(node.left, nodes.Const) else None
    right = node.right.value if isinstance(node.right, nodes.Const) else None
    if isinstance(node, nodes.Pow):
        return right is not None and _is_number(right) and abs(right) > limits.MAX_EXPONENT
    if isinstance(node.left, nodes.Pow | nodes.Mul) or isinstance(node.right, nodes.Pow | nodes.Mul):
        return False  # a product of constants is checked when it renders
    for seq, times in ((left, right), (right, left)):
        if isinstance(seq, str | list | tuple) and times is not None and _is_number(times):
            return len(seq) * int(times) > limits.MAX_TEXT
    return False


def _filter_hint(actual: str) -> str:
    for name, types in FILTER_TYPES.items():
        if actual in types:
            return f"use the '{name}' filter for {units.a(actual)}"
    return "remove the filter; the value renders on its own"


def _target_names(target: nodes.Node) -> Iterator[str]:
    if isinstance(target, nodes.Name):
        yield target.name
    elif isinstance(target, nodes.Tuple):
        for item in target.items:
            yield from _target_names(item)


def _always_read(rule: n.Rule) -> frozenset[str]:
    """The bid fields a rule reads whatever happens (not past an `and`, `or` or `if`)."""
    exprs: list[n.Expr] = [let.value for let in rule.lets]
    if rule.applies is not None:
        exprs.append(rule.applies)
    if isinstance(rule, n.Requirement):
        exprs.append(rule.met_when)
    elif isinstance(rule, n.Criterion):
        exprs.append(rule.score.value)
    out = set()
    while exprs:
        expr = exprs.pop()
        if isinstance(expr, n.Field) and expr.root == "bid":
            out.add(expr.name)
        elif isinstance(expr, n.Logical):
            exprs.append(expr.left)
        elif isinstance(expr, n.Conditional):
            exprs.append(expr.condition)
        else:
            exprs.extend(n.children(expr))
    return frozenset(out)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | Decimal) and not isinstance(value, bool)
