"""The types and units pass's core: the type of every expression (money, number, percent,
date, text, yes/no), each unit rule from `units`, each built-in's from `functions`.
"""

from __future__ import annotations

from decimal import Decimal

from svrules.core.diagnostics import Related, did_you_mean
from svrules.language import functions, units
from svrules.language import nodes as n
from svrules.language.check.base import (
    CheckerBase,
    Scope,
    literal_type,
)


class Inference(CheckerBase):
    """Infers and records the type of expressions, reporting what does not combine."""

    # ------------------------------------------------------------ inference

    def infer(self, expr: n.Expr, scope: Scope) -> str | None:
        """The type of an expression, or None after reporting why it has none."""
        t = self._infer(expr, scope)
        if t is not None:
            self.out.types[id(expr)] = t
        return t

    def _infer(self, expr: n.Expr, scope: Scope) -> str | None:
        if isinstance(expr, n.Literal):
            return literal_type(expr)
        if isinstance(expr, n.ListLiteral):
            return self._list(expr, scope)
        if isinstance(expr, n.Name):
            return self._name(expr, scope)
        if isinstance(expr, n.Field):
            return self._field(expr, scope)
        if isinstance(expr, n.Negate):
            t = self.infer(expr.operand, scope)
            if t and t not in units.NUMERIC:
                self.error("unit-mismatch", f"cannot negate {units.a(t)}", expr.span)
                return None
            return t
        if isinstance(expr, n.Binary):
            return self._binary(expr, scope)
        if isinstance(expr, n.Compare):
            return self._compare(expr, scope)
        if isinstance(expr, n.Logical | n.Not):
            parts = [expr.operand] if isinstance(expr, n.Not) else [expr.left, expr.right]
            ok = True
            for part in parts:
                t = self.infer(part, scope)
                if t and t != units.BOOL:
                    word = "not" if isinstance(expr, n.Not) else f"'{expr.op}'"
                    self.error(
                        "not-yes-no",
                        f"{word} needs yes/no values, not {units.a(t)}",
                        part.span,
                        "compare the value first, e.g. bid.local_spend >= 20%",
                    )
                    ok = False
            return units.BOOL if ok else None
        if isinstance(expr, n.Conditional):
            return self._conditional(expr, scope)
        assert isinstance(expr, n.Call)
        return self._call(expr, scope)

    def _list(self, expr: n.ListLiteral, scope: Scope) -> str | None:
        types = set()
        for item in expr.items:
            if not isinstance(item, n.Literal):
                self.error(
                    "list-not-literal",
                    "a list holds written values only",
                    item.span,
                    'write e.g. ["services", "works"]',
                )
                return None
            types.add(self.infer(item, scope))
        if len(types) > 1:
            self.error("unit-mismatch", "a list's values must all have one type", expr.span)
            return None
        item_type = types.pop() if types else "nothing"
        return units.list_of(item_type) if item_type else None

    def _name(self, expr: n.Name, scope: Scope) -> str | None:
        bound = scope.let_spans.get(expr.name)
        if (
            bound is not None
            and bound.path == expr.span.path
            and (expr.span.line, expr.span.column) < (bound.line, bound.column)
        ):
            self.error(
                "unknown-name",
                f"'{expr.name}' is used before its let",
                expr.span,
                f"move 'let {expr.name} = …' (line {bound.line}) above its first use",
            )
            return None
        if expr.name in scope.names:
            return scope.names[expr.name]
        if expr.name in ("true", "false", "True", "False"):
            self.error(
                "true-false",
                f"'{expr.name}' is not a yes/no value",
                expr.span,
                f"write '{'yes' if expr.name.lower() == 'true' else 'no'}'",
            )
            return None
        if expr.name in ("contract", "bid", "delivery"):
            self.error("bare-root", f"'{expr.name}' needs a field", expr.span, f"write {expr.name}.FIELD")
            return None
        if expr.name == "social_value":
            self.error(
                "unknown-name",
                f"'social_value' cannot be used in {scope.context}",
                expr.span,
                "social value is known only when a bid is evaluated",
            )
            return None
        later = [let.name for r in self.p.rules for let in r.lets]
        hint = did_you_mean(expr.name, scope.names)
        if not hint and expr.name in later:
            hint = "a let can be used only after it, in its own rule"
        self.error(
            "unknown-name",
            f"unknown name '{expr.name}'",
            expr.span,
            hint or "names are parameters, the rule's lets, social_value and contract./bid. fields",
        )
        return None

    def _field(self, expr: n.Field, scope: Scope) -> str | None:
        if expr.root not in ("contract", "bid", "delivery"):
            hint = did_you_mean(expr.root, ["contract", "bid", "delivery"])
            self.error(
                "unknown-field",
                f"unknown name '{expr.root}.{expr.name}'",
                expr.span,
                hint or "fields are written contract.NAME or bid.NAME",
            )
            return None
        if expr.root not in scope.roots:
            reason = "only in KPIs" if expr.root == "delivery" else "where a bid is evaluated"
            self.error(
                "field-out-of-scope",
                f"'{expr.dotted}' cannot be used in {scope.context}",
                expr.span,
                f"{expr.root} fields can be used {reason}",
            )
            return None
        fields = scope.roots[expr.root]
        if expr.name not in fields:
            self.error(
                "unknown-field",
                f"unknown field '{expr.dotted}'",
                expr.span,
                did_you_mean(expr.name, fields, prefix=f"{expr.root}.") or f"declare it under '{expr.root}:'",
            )
            return None
        return (
            units.expression_type(fields[expr.name].type)
            if fields[expr.name].type in units.FIELD_TYPES
            else None
        )

    def _binary(self, expr: n.Binary, scope: Scope) -> str | None:
        left, right = self.infer(expr.left, scope), self.infer(expr.right, scope)
        if not (left and right):
            return None
        result = units.arithmetic(expr.op, left, right)
        if result is None:
            hint = None
            for side, t in ((expr.left, left), (expr.right, right)):
                if (
                    isinstance(side, n.Literal)
                    and side.kind == "number"
                    and units.MONEY in (left, right)
                    and t == units.NUMBER
                ):
                    hint = f"write the amount as money: £{side.text}"
            if hint is None and expr.op in "*/" and left == right == units.MONEY:
                hint = "multiply or divide money by a number or a percent" if expr.op == "*" else None
            self.error(
                "unit-mismatch",
                units.arithmetic_error(expr.op, left, right),
                expr.span,
                hint,
                (
                    Related(expr.left.span, f"this is {units.a(left)}"),
                    Related(expr.right.span, f"this is {units.a(right)}"),
                ),
            )
        return result

    def _compare(self, expr: n.Compare, scope: Scope) -> str | None:
        left, right = self.infer(expr.left, scope), self.infer(expr.right, scope)
        if not (left and right):
            return units.BOOL
        if expr.op in ("in", "not in"):
            item = units.list_item(right)
            if item is None:
                self.error(
                    "unit-mismatch",
                    f"'{expr.op}' needs a list on its right, not {units.a(right)}",
                    expr.right.span,
                    'write e.g. contract.category in ["services", "works"]',
                )
            elif item not in (left, "nothing"):
                self.error("unit-mismatch", f"cannot look for {units.a(left)} in {units.a(right)}", expr.span)
            return units.BOOL
        if units.comparable(expr.op, left, right):
            return units.BOOL
        for side, other in ((expr.right, left), (expr.left, right)):
            if isinstance(side, n.Literal) and side.kind == "number" and other == units.PERCENT:
                self.error(
                    "missing-percent",
                    f"cannot compare a percent with the number {side.text}",
                    expr.span,
                    f"did you mean {side.text}%?",
                    (Related(side.span, "this is a number"),),
                )
                return units.BOOL
            if isinstance(side, n.Literal) and side.kind == "number" and other == units.MONEY:
                self.error(
                    "unit-mismatch",
                    f"cannot compare money with the number {side.text}",
                    expr.span,
                    f"did you mean £{side.text}?",
                )
                return units.BOOL
        if left == right:
            self.error(
                "unit-mismatch",
                f"{units.a(left)} cannot be compared with '{expr.op}'",
                expr.span,
                "use == or != for text and yes/no values",
            )
        else:
            self.error(
                "unit-mismatch",
                f"cannot compare {units.a(left)} with {units.a(right)}",
                expr.span,
                None,
                (
                    Related(expr.left.span, f"this is {units.a(left)}"),
                    Related(expr.right.span, f"this is {units.a(right)}"),
                ),
            )
        return units.BOOL

    def _conditional(self, expr: n.Conditional, scope: Scope) -> str | None:
        cond = self.infer(expr.condition, scope)
        if cond and cond != units.BOOL:
            self.error(
                "not-yes-no", f"'if' needs a yes/no condition, not {units.a(cond)}", expr.condition.span
            )
        then, other = self.infer(expr.then, scope), self.infer(expr.otherwise, scope)
        if then and other and then != other:
            self.error(
                "unit-mismatch",
                f"the two branches have different types: {units.a(then)} and {units.a(other)}",
                expr.span,
                "make both branches the same kind of value",
            )
            return None
        return then if then and other else None

    def _call(self, expr: n.Call, scope: Scope) -> str | None:
        if expr.function not in functions.BUILT_INS:
            self.error(
                "unknown-function",
                f"unknown function '{expr.function}'",
                expr.name_span,
                did_you_mean(expr.function, list(functions.BUILT_INS))
                or "functions are " + ", ".join(functions.BUILT_INS),
            )
            for arg in expr.args:
                self.infer(arg, scope)
            return None
        args = [self.infer(a, scope) for a in expr.args]
        if not all(args):
            return None
        result, problem = functions.function_result(expr.function, [a for a in args if a])
        if problem:
            self.error("bad-call", problem, expr.span)
            return None
        if expr.function == "round":
            places = expr.args[1]
            if not (
                isinstance(places, n.Literal)
                and isinstance(places.value, Decimal)
                and places.value == int(places.value)
                and places.value >= 0
            ):
                self.error(
                    "bad-call",
                    "round()'s places must be a written whole number",
                    places.span,
                    "e.g. round(x, 2)",
                )
        return result
