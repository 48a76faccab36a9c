"""Checked policy → compiled evaluator.

Each checked expression becomes a Python closure over `Decimal` values, built from the
AST (never from policy text; nothing is `eval`ed). A rule compiles to a small record of
closures; a policy to a `CompiledPolicy` that the runtime runs bid after bid. Run-time
failures are exceptions here (`MissingField`, `RuleFailure`) that the runtime turns into
a rule's outcome; they never end an evaluation.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import Any, assert_never

from svrules.core import decimals as d
from svrules.engine.codegen import compile_bid_function
from svrules.engine.failures import MissingField, RuleFailure
from svrules.language import nodes as n
from svrules.language import units
from svrules.language.checked import CheckedPolicy, rule_key
from svrules.language.functions import BUILT_INS
from svrules.language.scores import form_of, scorer_kind
from svrules.language.templates import compile_template


class Env:
    """The values one rule sees while it runs for one bid."""

    __slots__ = ("bid", "contract", "delivery", "lets", "params", "social_value")

    def __init__(
        self,
        contract: dict[str, Any],
        bid: dict[str, Any],
        params: dict[str, Any],
        social_value: Decimal = d.ZERO,
        delivery: dict[str, Any] | None = None,
    ):
        self.contract = contract
        self.bid = bid
        self.params = params
        self.social_value = social_value
        self.delivery = delivery if delivery is not None else {}
        self.lets: dict[str, Any] = {}


Fn = Callable[[Env], Any]


# ---------------------------------------------------------------- expressions

_C = d.CONTEXT
_ARITH: dict[str, Callable[[Decimal, Decimal], Decimal]] = {
    "+": _C.add,
    "-": _C.subtract,
    "*": _C.multiply,
}
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq, "!=": operator.ne, "<": operator.lt,
    "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}  # fmt: skip


def divide(a: Decimal, b: Decimal) -> Decimal:
    if not b:
        raise RuleFailure("division by zero")
    return _C.divide(a, b)


class ExprCompiler:
    """Compiles the expressions of one rule (its lets decide what a name means)."""

    def __init__(self, checked: CheckedPolicy, lets: frozenset[str] = frozenset()):
        self.checked = checked
        self.lets = lets

    def __call__(self, expr: n.Expr) -> Fn:
        if isinstance(expr, n.Literal):
            value = expr.value
            return lambda env: value
        if isinstance(expr, n.ListLiteral):
            items = expr.values()
            return lambda env: items
        if isinstance(expr, n.Name):
            return self._name(expr.name)
        if isinstance(expr, n.Field):
            return _field(expr.root, expr.name)
        if isinstance(expr, n.Negate):
            operand = self(expr.operand)
            return lambda env: -operand(env)
        if isinstance(expr, n.Binary):
            return self._binary(expr)
        if isinstance(expr, n.Compare):
            return self._compare(expr)
        if isinstance(expr, n.Logical):
            left, right = self(expr.left), self(expr.right)
            if expr.op == "and":
                return lambda env: left(env) and right(env)
            return lambda env: left(env) or right(env)
        if isinstance(expr, n.Not):
            operand = self(expr.operand)
            return lambda env: not operand(env)
        if isinstance(expr, n.Conditional):
            then, cond, other = self(expr.then), self(expr.condition), self(expr.otherwise)
            return lambda env: then(env) if cond(env) else other(env)
        assert isinstance(expr, n.Call)
        return self._call(expr)

    def _name(self, name: str) -> Fn:
        if name == "social_value":
            return lambda env: env.social_value
        if name in self.lets:
            return lambda env: env.lets[name]
        return lambda env: env.params[name]

    def _binary(self, expr: n.Binary) -> Fn:
        left, right = self(expr.left), self(expr.right)
        if expr.op == "/":
            return lambda env: divide(left(env), right(env))
        op = _ARITH[expr.op]
        return lambda env: op(left(env), right(env))

    def _compare(self, expr: n.Compare) -> Fn:
        left, right = self(expr.left), self(expr.right)
        if expr.op == "in":
            return lambda env: left(env) in right(env)
        if expr.op == "not in":
            return lambda env: left(env) not in right(env)
        op = _COMPARE[expr.op]
        return lambda env: op(left(env), right(env))

    def _call(self, expr: n.Call) -> Fn:
        args = tuple(self(a) for a in expr.args)
        meaning = BUILT_INS[expr.function].meaning(self.checked.type_of(expr) == units.PERCENT)
        if len(args) == 1:
            (x,) = args
            return lambda env: meaning(x(env))
        return lambda env: meaning(*(a(env) for a in args))


def _field(root: str, name: str) -> Fn:
    dotted = f"{root}.{name}"

    def read(env: Env) -> Any:
        try:
            return getattr(env, root)[name]
        except KeyError:
            raise MissingField(dotted) from None

    if root == "bid":  # the hot path: skip the getattr

        def read_bid(env: Env) -> Any:
            try:
                return env.bid[name]
            except KeyError:
                raise MissingField(dotted) from None

        return read_bid
    return read


# ---------------------------------------------------------------- rules


@dataclass
class Scorer:
    """How a criterion turns its value into a score; `kind` names the score form."""

    kind: str  # "expr", "bands", "linear", "relative", "lowest", "scale"
    value: Fn
    bands: list[tuple[str, Fn | None, Decimal | str]] = field(default_factory=list)
    """(test, threshold, score) per band; for a KPI, (test, threshold, rating) per line."""
    low: Fn | None = None
    high: Fn | None = None
    levels: dict[Decimal, str] = field(default_factory=dict)


@dataclass
class CompiledRule:
    """One rule's closures, with its AST and templates for reasons and documents."""

    rule: n.Rule
    key: str
    applies: Fn | None
    lets: list[tuple[str, Fn]]
    test: Fn | None = None  # a requirement's `met when`
    scorer: Scorer | None = None
    weight: Decimal = d.ZERO
    explain: Any = None
    clause: Any = None
    let_types: dict[str, str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.rule.name


@dataclass
class CompiledMeasure:
    """A measure: the bid field it reads and its proxy (evaluated once per evaluation)."""

    measure: n.Measure
    proxy: Fn


@dataclass
class CompiledParam:
    """A parameter: its dated values, or one expression over earlier parameters."""

    param: n.Param
    type: str
    dated: list[tuple[Any, Any]]  # (start date, value), ascending
    value: Fn | None


@dataclass
class CompiledPolicy:
    """Everything the runtime needs, built once per policy."""

    checked: CheckedPolicy
    applies: Fn | None
    params: list[CompiledParam]
    requirements: list[CompiledRule]
    criteria: list[CompiledRule]
    measures: list[CompiledMeasure]
    kpis: list[CompiledRule]
    evaluate_bid: Any = None  # the generated bid evaluator (see `codegen`)
    rule_index: dict[tuple[str, str], CompiledRule] = field(default_factory=dict)
    refs: dict[int, tuple[str, ...]] = field(default_factory=dict)

    @property
    def policy(self) -> n.Policy:
        return self.checked.policy

    @cached_property
    def has_relative(self) -> bool:
        """Whether a criterion scores against the other bids (so points wait for all of them)."""
        return any(
            isinstance(rule.rule, n.Criterion) and form_of(rule.rule.score).waits_for_every_bid
            for rule in self.criteria
        )

    @cached_property
    def contract_fields(self) -> dict[str, n.FieldDecl]:
        return self.checked.fields("contract")


def compile_policy(checked: CheckedPolicy) -> CompiledPolicy:
    """Compile a policy that checked without errors."""
    assert checked.ok, "compile only checked policies"
    policy = checked.policy
    plain = ExprCompiler(checked)
    compiled = CompiledPolicy(
        checked=checked,
        applies=plain(policy.applies) if policy.applies is not None else None,
        params=[_param(checked, p, plain) for p in policy.params],
        requirements=[_rule(checked, r) for r in policy.requirements],
        criteria=[_rule(checked, r) for r in policy.criteria],
        measures=[CompiledMeasure(m, plain(m.proxy)) for m in policy.measures],
        kpis=[_rule(checked, r) for r in policy.kpis],
        evaluate_bid=compile_bid_function(checked),
    )
    rules = [*compiled.requirements, *compiled.criteria]
    compiled.rule_index = {(r.rule.kind, r.id): r for r in rules}
    compiled.refs = {id(r): tuple(t.value for t in r.rule.refs) for r in rules}
    return compiled


def _param(checked: CheckedPolicy, param: n.Param, plain: ExprCompiler) -> CompiledParam:
    t = checked.param_types[param.name]
    if param.dated:
        dated = [(_written(v.start).day, _written(v.value).value) for v in param.values]
        return CompiledParam(param, t, dated, None)
    return CompiledParam(param, t, [], plain(param.values[0].value))


def _rule(checked: CheckedPolicy, rule: n.Rule) -> CompiledRule:
    compile_ = ExprCompiler(checked, frozenset(let.name for let in rule.lets))
    key = rule_key(rule)
    templates = {kind: checked.templates.get((key, kind)) for kind in ("explain", "clause")}
    compiled = CompiledRule(
        rule=rule,
        key=key,
        applies=compile_(rule.applies) if rule.applies is not None else None,
        lets=[(let.name, compile_(let.value)) for let in rule.lets],
        explain=compile_template(templates["explain"].text) if templates["explain"] else None,
        clause=compile_template(templates["clause"].text) if templates["clause"] else None,
        let_types=checked.let_types.get(key, {}),
    )
    if isinstance(rule, n.Requirement):
        compiled.test = compile_(rule.met_when)
    elif isinstance(rule, n.Criterion):
        compiled.weight = rule.weight_percent
        compiled.scorer = _scorer(rule.score, compile_)
    elif isinstance(rule, n.Kpi):
        compiled.test = compile_(rule.rating.value)
        compiled.scorer = Scorer(
            "rating",
            compiled.test,
            [
                (b.test, compile_(b.threshold) if b.threshold is not None else None, _rating(b.result))
                for b in rule.rating.lines
            ],
        )
    return compiled


def _scorer(score: n.Score, compile_: ExprCompiler) -> Scorer:
    value = compile_(score.value)
    kind = scorer_kind(score)
    match score:
        case n.ExprScore() | n.RelativeScore():
            return Scorer(kind, value)
        case n.BandScore():
            bands = [
                (b.test, compile_(b.threshold) if b.threshold is not None else None, b.result)
                for b in score.bands
            ]
            return Scorer(kind, value, bands=[(test, fn, _percent(result)) for test, fn, result in bands])
        case n.LinearScore():
            return Scorer(kind, value, low=compile_(score.low), high=compile_(score.high))
        case n.ScaleScore():
            return Scorer(kind, value, levels={_percent(lv.level): lv.descriptor for lv in score.levels})
        case _:
            assert_never(score)


def _written(expr: n.Expr | None) -> n.Literal:
    """A dated parameter's date or value: written literals (the checker made sure)."""
    assert isinstance(expr, n.Literal)
    return expr


def _rating(written: n.Expr | str) -> str:
    """A KPI rating line's rating: one of the five words (the checker made sure)."""
    assert isinstance(written, str)
    return written


def _percent(written: n.Expr | str) -> Decimal:
    """A band's or a level's score: a written percent (the checker made sure)."""
    assert isinstance(written, n.Literal) and isinstance(written.value, Decimal)
    return written.value
