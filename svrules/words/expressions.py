"""A policy's expressions in plain words, as styled runs: the one voice for people.

`Words(checked, params)` says an expression as an officer or bidder reads it: a field by
its description ("the whole-life contract value", else "the bid's local spend"), a
parameter or `let` in italics (a parameter with its value where known), values as people
write them, operators as words, each built-in call as `language.functions` words it.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, assert_never

from svrules.language import nodes as n
from svrules.language import units
from svrules.language.checked import CheckedPolicy
from svrules.language.functions import BUILT_INS
from svrules.words.runs import Inline, em, inline, joined
from svrules.words.values import literal, show

ROOTS = ("contract", "bid", "delivery")
_OWNER = {"contract": "the contract's", "bid": "the bid's", "delivery": "the reported"}
SOCIAL_VALUE = "social_value"

_COMPARE_WORDS = {
    ">=": "is at least",
    "<=": "is at most",
    ">": "is more than",
    "<": "is less than",
    "==": "is",
    "!=": "is not",
    "in": "is one of",
    "not in": "is not one of",
}
_HAVE_WORDS = {
    ">=": "of at least",
    "<=": "of at most",
    ">": "of more than",
    "<": "of less than",
    "==": "of exactly",
    "!=": "other than",
    "in": "that is one of",
    "not in": "that is not one of",
}
_ARITH_WORDS = {"+": "plus", "-": "minus", "*": "×", "/": "÷"}

# How tightly each form binds, so brackets go only where the meaning needs them.
_ATOM, _PREFIX_CALL, _PRODUCT, _SUM, _NEGATED = 9, 8, 6, 5, 7
_COMPARED, _POSTFIX_CALL, _NOT, _AND, _OR, _CONDITIONAL = 4, 4, 3, 2, 1, 0


def name_words(name: str) -> str:
    """`living_wage_rate` → `living wage rate`."""
    return name.replace("_", " ")


def lower_first(text: str) -> str:
    """`Whole-life contract value` → `whole-life contract value`; `SMEs …` stays."""
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        return text[0].lower() + text[1:]
    return text


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


class Words:
    """A policy's expressions in plain words, with the parameter values known so far."""

    def __init__(self, checked: CheckedPolicy, params: Mapping[str, Any] | None = None):
        self.checked = checked
        self.params: dict[str, Any] = dict(params) if params else {}
        self.fields = {root: checked.fields(root) for root in ROOTS}

    # ------------------------------------------------------------ names

    def declaration(self, root: str, name: str) -> n.FieldDecl | None:
        return self.fields.get(root, {}).get(name)

    def field(self, root: str, name: str) -> Inline:
        """A field in a sentence: `the whole-life contract value`, or `the bid's local spend`."""
        decl = self.declaration(root, name)
        if decl is not None and decl.description:
            words = lower_first(decl.description)
            return inline(words if words.startswith("the ") else "the " + words)
        return inline(f"{_OWNER[root]} {name_words(name)}")

    def param(self, name: str) -> Inline:
        """A parameter in italics, with its value where it is known: *rate* (£13.45)."""
        if name not in self.params:
            return inline(em(name_words(name)))
        value = show(self.params[name], self.checked.param_types.get(name, ""))
        return inline(em(name_words(name)), f" ({value})")

    def name(self, name: str) -> Inline:
        """Any name an expression reads (`contract.value`, a parameter, a let,
        `social_value`) in a sentence, without a value."""
        root, dot, field_name = name.partition(".")
        if dot:
            return self.field(root, field_name)
        if name == SOCIAL_VALUE:
            return inline("the bid's social value")
        return inline(em(name_words(name)))

    def label(self, name: str) -> Inline:
        """A name as a table row's label: a field's description as written, a parameter or
        let in italics, `Social value`."""
        root, dot, field_name = name.partition(".")
        if dot:
            decl = self.declaration(root, field_name)
            return inline(
                decl.description if decl and decl.description else _upper_first(name_words(field_name))
            )
        if name == SOCIAL_VALUE:
            return inline("Social value")
        return inline(em(name_words(name)))

    def is_yes_no(self, expr: n.Expr) -> bool:
        if not isinstance(expr, n.Field):
            return False
        decl = self.declaration(expr.root, expr.name)
        return decl is not None and decl.type == units.BOOL

    def statement(self, f: n.Field, yes: bool = True) -> Inline:
        """A yes/no field as a condition: `“Has a published Carbon Reduction Plan” is yes`."""
        decl = self.declaration(f.root, f.name)
        label = inline(f"“{decl.description}”") if decl and decl.description else self.field(f.root, f.name)
        return inline(label, " is yes" if yes else " is no")

    # ------------------------------------------------------------ expressions

    def __call__(self, expr: n.Expr, least: int = 0) -> Inline:
        """The expression in words, in brackets if it binds less tightly than `least`."""
        words, binds = self._words(expr)
        return inline("(", words, ")") if binds < least else words

    def _words(self, expr: n.Expr) -> tuple[Inline, int]:
        match expr:
            case n.Literal():
                return inline(literal(expr)), _ATOM
            case n.ListLiteral():
                return joined([self(item) for item in expr.items], ", "), _ATOM
            case n.Name():
                if expr.name in self.checked.param_types:
                    return self.param(expr.name), _ATOM
                return self.name(expr.name), _ATOM
            case n.Field():
                if self.is_yes_no(expr):
                    return self.statement(expr), _COMPARED
                return self.field(expr.root, expr.name), _ATOM
            case n.Negate():
                return inline("minus ", self(expr.operand, _NEGATED)), _NEGATED
            case n.Not():
                if isinstance(expr.operand, n.Field) and self.is_yes_no(expr.operand):
                    return self.statement(expr.operand, yes=False), _COMPARED
                return inline("not ", self(expr.operand, _NOT)), _NOT
            case n.Binary():
                binds = _SUM if expr.op in "+-" else _PRODUCT
                words = inline(
                    self(expr.left, binds), f" {_ARITH_WORDS[expr.op]} ", self(expr.right, binds + 1)
                )
                return words, binds
            case n.Logical():
                # brackets wherever `and` and `or` meet, so no reader has to know which binds first
                binds = _OR if expr.op == "or" else _AND
                left = binds if isinstance(expr.left, n.Logical) and expr.left.op == expr.op else _NOT
                return inline(self(expr.left, left), f" {expr.op} ", self(expr.right, _NOT)), binds
            case n.Compare():
                words = inline(self(expr.left, _SUM), f" {_COMPARE_WORDS[expr.op]} ", self(expr.right, _SUM))
                return words, _COMPARED
            case n.Conditional():
                words = inline(
                    self(expr.then, _OR),
                    " if ",
                    self(expr.condition, _OR),
                    ", otherwise ",
                    self(expr.otherwise, _CONDITIONAL),
                )
                return words, _CONDITIONAL
            case n.Call():
                return self._call(expr)
            case _:
                assert_never(expr)

    def _call(self, call: n.Call) -> tuple[Inline, int]:
        """A built-in call as its table entry words it. A call that reads `x, rounded up …`
        needs brackets inside a sum; one that reads `the lower of …` does not."""
        args = [self(arg, _SUM) for arg in call.args]
        parts = BUILT_INS[call.function].words(args, _places(call), self.checked.types.get(id(call)))
        binds = _PREFIX_CALL if isinstance(parts[0], str) else _POSTFIX_CALL
        return inline(*parts), binds

    # ------------------------------------------------------------ requirements

    def must(self, expr: n.Expr) -> list[Inline]:
        """A requirement's `met when` as what a bid must do, one item per `and`."""
        if isinstance(expr, n.Logical) and expr.op == "and":
            return self.must(expr.left) + self.must(expr.right)
        answer = expr.operand if isinstance(expr, n.Not) else expr
        if isinstance(answer, n.Field) and answer.root == "bid" and self.is_yes_no(answer):
            decl = self.declaration("bid", answer.name)
            asked = decl.description if decl and decl.description else name_words(answer.name)
            return [inline(f"answer {'no' if answer is not expr else 'yes'} to “{asked}”")]
        if isinstance(expr, n.Compare) and isinstance(expr.left, n.Field) and expr.left.root == "bid":
            stated = self.field("bid", expr.left.name)
            return [inline("state ", stated, f" {_HAVE_WORDS[expr.op]} ", self(expr.right, _SUM))]
        return [inline("meet this condition: ", self(expr))]


def _places(call: n.Call) -> Decimal | None:
    """`round`'s places: its second argument, which the checker requires to be written."""
    if len(call.args) > 1 and isinstance(call.args[1], n.Literal) and isinstance(call.args[1].value, Decimal):
        return call.args[1].value
    return None
