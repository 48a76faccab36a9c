"""Expressions too deep or too long for svrules to evaluate: found on the parse tree, before
anything recursive (the builder, the checker, the generated Python) walks them.

Python's own limits are the reason: the generated evaluator writes one bracket per AST node
and CPython refuses more than 200 nested brackets, and the builder recurses once per level.
The limits (`core.limits`) sit far above any real policy; past them, `check` says so at the
expression, naming the limit, rather than accepting a policy it cannot run.
"""

from __future__ import annotations

from lark import Token, Tree

from svrules.core.diagnostics import Diagnostic
from svrules.core.limits import MAX_EXPRESSION_DEPTH, MAX_EXPRESSION_TERMS
from svrules.core.source import Span

EXPRESSION_NODES = frozenset(
    {
        "conditional", "or_op", "and_op", "not_op", "compare", "in_op", "not_in_op", "binary",
        "negate", "name", "field", "call", "list", "money", "percent", "number", "date", "text",
        "yes", "no",
    }
)  # fmt: skip
"""The parse tree's expression nodes (grammar/svrules.lark, `?expr` and below)."""


def oversized_expressions(tree: Tree[Token], path: str) -> list[Diagnostic]:
    """A `too-deep` or `too-long` diagnostic for each outermost expression past the limits."""
    found: list[Diagnostic] = []
    stack: list[Tree[Token] | Token] = [tree]
    while stack:  # iterative: the tree may be deeper than Python's recursion limit
        node = stack.pop()
        if not isinstance(node, Tree):
            continue
        if node.data in EXPRESSION_NODES:
            problem = _measure(node, path)
            if problem is not None:
                found.append(problem)
            continue  # an expression's inner expressions are measured with it
        stack.extend(reversed(node.children))
    return found


def _measure(root: Tree[Token], path: str) -> Diagnostic | None:
    """The depth and size of one outermost expression, against the limits."""
    deepest, terms = 0, 0
    stack: list[tuple[Tree[Token] | Token, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if not isinstance(node, Tree):
            continue
        terms += 1
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in node.children)
    span = _span(root, path)
    if deepest > MAX_EXPRESSION_DEPTH:
        return Diagnostic(
            "too-deep",
            f"this expression nests {deepest} levels deep; svrules evaluates at most {MAX_EXPRESSION_DEPTH}",
            span,
            "split it into `let` steps, each a few levels deep",
        )
    if terms > MAX_EXPRESSION_TERMS:
        return Diagnostic(
            "too-long",
            f"this expression has {terms} parts; svrules evaluates at most {MAX_EXPRESSION_TERMS}",
            span,
            "split it into `let` steps",
        )
    return None


def _span(node: Tree[Token], path: str) -> Span:
    meta = node.meta
    if getattr(meta, "empty", True):
        return Span.point(path, 1, 1)
    return Span(path, meta.line, meta.column, meta.line, meta.column + 1)
