"""Checked policy → one Python function that evaluates a bid.

The bulk path. Where `compiler` builds a closure per expression (used for parameters,
reasons and documents), this module writes the whole bid evaluation of a policy as one
Python function and compiles it once. The source is generated from the checked AST only:
every value, list and text of the policy becomes a named constant passed in, never
spliced into the source, and every name in the source is either fixed here or a checked
identifier (`[A-Za-z_][A-Za-z0-9_]*`). Nothing the policy says is ever executed as code.

Why: a closure call per AST node costs more than the Decimal arithmetic it wraps; with
one function per policy, a 12-rule bid runs in a few microseconds (docs/performance.md).
Semantics are the runtime's, rule by rule: a missing optional field is `KeyError` (→
`not_met`, 0%, or `not_applicable` in `applies when`), a division by zero or other
arithmetic failure is that rule's `error`, and nothing stops the evaluation of the others.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any, assert_never

from svrules.core import decimals as d
from svrules.core.identifiers import checked_identifier
from svrules.engine.failures import failure_text
from svrules.language import nodes as n
from svrules.language import scores as s
from svrules.language import units
from svrules.language.checked import CheckedPolicy
from svrules.language.functions import BUILT_INS

MET, NOT_MET, NOT_APPLICABLE, ERROR = "met", "not_met", "not_applicable", "error"
SCORED, NOT_SCORED = "scored", "not_scored"
EMPTY: dict[str, Any] = {}


class _Writer:
    """Accumulates the generated source and the constants it refers to."""

    def __init__(self, checked: CheckedPolicy):
        self.checked = checked
        self.lines: list[str] = []
        self.constants: dict[str, Any] = {}
        self._by_value: dict[tuple[type, Any], str] = {}

    def const(self, value: Any) -> str:
        """A name for a value of the policy; equal values share one (dicts by identity)."""
        key = (type(value), value if not isinstance(value, dict) else id(value))
        name = self._by_value.get(key)
        if name is None:
            name = f"K{len(self.constants)}"
            self.constants[name] = value
            self._by_value[key] = name
        return name

    def line(self, depth: int, text: str) -> None:
        self.lines.append("    " * depth + text)


class _Expr:
    """Writes one expression as a Python expression over `b`, `c`, `p`, `sv` and lets."""

    def __init__(self, writer: _Writer, lets: frozenset[str]):
        self.w = writer
        self.lets = lets

    def __call__(self, e: n.Expr) -> str:
        w = self.w
        if isinstance(e, n.Literal):
            return w.const(e.value)
        if isinstance(e, n.ListLiteral):
            return w.const(e.values())
        if isinstance(e, n.Name):
            if e.name == "social_value":
                return "sv"
            if e.name in self.lets:
                return f"l_{checked_identifier(e.name)}"
            return f"p[{checked_identifier(e.name)!r}]"
        if isinstance(e, n.Field):
            root = {"bid": "b", "contract": "c", "delivery": "dl"}[e.root]
            return f"{root}[{checked_identifier(e.name)!r}]"
        if isinstance(e, n.Negate):
            return f"(-{self(e.operand)})"
        if isinstance(e, n.Binary):
            assert e.op in ("+", "-", "*", "/")
            return f"({self(e.left)} {e.op} {self(e.right)})"
        if isinstance(e, n.Compare):
            assert e.op in ("==", "!=", "<", "<=", ">", ">=", "in", "not in")
            return f"({self(e.left)} {e.op} {self(e.right)})"
        if isinstance(e, n.Logical):
            assert e.op in ("and", "or")
            return f"({self(e.left)} {e.op} {self(e.right)})"
        if isinstance(e, n.Not):
            return f"(not {self(e.operand)})"
        if isinstance(e, n.Conditional):
            return f"({self(e.then)} if {self(e.condition)} else {self(e.otherwise)})"
        assert isinstance(e, n.Call)
        return self._call(e)

    def _call(self, e: n.Call) -> str:
        """A built-in is its table entry's own meaning, passed in as a constant."""
        meaning = BUILT_INS[e.function].meaning(self.w.checked.type_of(e) == units.PERCENT)
        return f"{self.w.const(meaning)}({', '.join(self(a) for a in e.args)})"


def _rule_prologue(w: _Writer, rule: n.RuleBase, expr: _Expr, var: str, na: str) -> int:
    """`applies when` (a missing field means it does not apply), then the lets, in order.

    Returns the indentation depth at which the rule's body goes on.
    """
    w.line(1, "L = {}" if rule.lets else "L = EMPTY")
    w.line(1, "try:")
    if rule.applies is not None:
        w.line(2, "try:")
        w.line(3, f"ok = {expr(rule.applies)}")
        w.line(2, "except KeyError:")
        w.line(3, "ok = False")
        w.line(2, "if not ok:")
        w.line(3, f"{var} = {na}")
        w.line(2, "else:")
        depth = 3
    else:
        depth = 2
    for let in rule.lets:
        name = checked_identifier(let.name)
        w.line(depth, f"L[{name!r}] = l_{name} = {expr(let.value)}")
    return depth


def _rule_epilogue(w: _Writer, var: str, missing: str, failed: str) -> None:
    """A missing optional field and an arithmetic failure end this rule only."""
    w.line(1, "except KeyError as exc:")
    w.line(2, f"{var} = {missing}")
    w.line(1, "except ArithmeticError as exc:")
    w.line(2, f"{var} = {failed}")


def _requirement(w: _Writer, index: int, rule: n.Requirement) -> None:
    expr = _Expr(w, frozenset(let.name for let in rule.lets))
    var = f"r{index}"
    depth = _rule_prologue(w, rule, expr, var, "NA_REQ")
    w.line(depth, f"{var} = (MET if {expr(rule.met_when)} else NOT_MET, L, None)")
    _rule_epilogue(
        w, var, "(NOT_MET, L, (MISSING, MISSING_FIELD(exc, b, c)))", "(ERROR, L, (FAILED, FAIL(exc)))"
    )
    w.line(1, f"if {var}[0] is not MET and {var}[0] is not NOT_APPLICABLE:")
    w.line(2, f"failed.append({w.const(rule.name)})")


def _criterion(w: _Writer, index: int, rule: n.Criterion) -> None:
    expr = _Expr(w, frozenset(let.name for let in rule.lets))
    var = f"k{index}"
    depth = _rule_prologue(w, rule, expr, var, "[NOT_APPLICABLE, None, ZERO, EMPTY, None]")
    _score(w, depth, var, rule.score, expr)
    _rule_epilogue(
        w,
        var,
        "[SCORED, ZERO, None, L, (MISSING, MISSING_FIELD(exc, b, c))]",
        "[ERROR, None, None, L, (FAILED, FAIL(exc))]",
    )


def _score(w: _Writer, depth: int, var: str, score: n.Score, expr: _Expr) -> None:
    """The criterion's score and its detail record, by score form."""
    w.line(depth, f"v = {expr(score.value)}")
    match score:
        case n.ExprScore():
            w.line(depth, "s = R10(v)")
            w.line(
                depth,
                f"{var} = [SCORED, s, None, L, (COMPUTED, v)] if ZERO <= s <= ONE else [ERROR, None, None, L, (OUT_OF_RANGE, v)]",
            )
        case n.BandScore():
            _bands(w, depth, var, score, expr)
        case n.LinearScore():
            _linear(w, depth, var, score, expr)
        case n.RelativeScore():  # scored in the runtime once every bid's value is known
            w.line(
                depth,
                f"{var} = [ERROR, None, None, L, (NEGATIVE, v)] if v < ZERO else [SCORED, None, None, L, (RELATIVE, v)]",
            )
        case n.ScaleScore():
            levels = w.const({_written_percent(lv.level): lv.descriptor for lv in score.levels})
            w.line(depth, f"desc = {levels}.get(v)")
            w.line(
                depth,
                f"{var} = [ERROR, None, None, L, (OFF_SCALE, v)] if desc is None else [SCORED, R10(v), None, L, (ON_SCALE, v, desc)]",
            )
        case _:
            assert_never(score)


def _written_percent(written: n.Expr | str) -> Decimal:
    """A band's or a level's score: a written percent (the checker made sure)."""
    assert isinstance(written, n.Literal) and isinstance(written.value, Decimal)
    return written.value


def _bands(w: _Writer, depth: int, var: str, score: n.BandScore, expr: _Expr) -> None:
    """First matching band wins; below every band (and no `otherwise`) scores 0%."""
    keyword = "if"
    for i, band in enumerate(score.bands):
        scored = f"{var} = [SCORED, {w.const(_written_percent(band.result))}, None, L, (BANDED, v, {i})]"
        if band.threshold is None:  # otherwise
            if keyword == "elif":
                w.line(depth, "else:")
                w.line(depth + 1, scored)
            else:
                w.line(depth, scored)
            return
        op = ">=" if band.test == "at_least" else "<="
        w.line(depth, f"{keyword} v {op} {expr(band.threshold)}:")
        w.line(depth + 1, scored)
        keyword = "elif"
    if keyword == "elif":
        w.line(depth, "else:")
        w.line(depth + 1, f"{var} = [SCORED, ZERO, None, L, (BANDED, v, None)]")


def _linear(w: _Writer, depth: int, var: str, score: n.LinearScore, expr: _Expr) -> None:
    """A straight line from `low` (0%) to `high` (100%), clipped; equal ends are an error."""
    w.line(depth, f"lo = {expr(score.low)}")
    w.line(depth, f"hi = {expr(score.high)}")
    w.line(depth, "if lo == hi:")
    w.line(depth + 1, f"{var} = [ERROR, None, None, L, (SAME_ENDS, v, lo)]")
    w.line(depth, "else:")
    w.line(depth + 1, "f = (v - lo) / (hi - lo)")
    w.line(
        depth + 1,
        f"{var} = [SCORED, R10(ONE if f > ONE else ZERO if f < ZERO else f), None, L, (ON_LINE, v, lo, hi)]",
    )


def _totals(w: _Writer, criteria: list[n.Criterion]) -> None:
    """Points (score × weight, rounded), the weight available and the total, for one bid."""
    w.line(1, "avail = ZERO")
    w.line(1, "total = ZERO")
    for i, rule in enumerate(criteria):
        weight = w.const(rule.weight_percent)
        w.line(1, f"if k{i}[0] is not NOT_APPLICABLE:")
        w.line(2, f"avail = avail + {weight}")
        w.line(2, f"if k{i}[0] is SCORED:")
        w.line(3, f"k{i}[2] = R10(k{i}[1] * {weight})")
        w.line(3, f"total = None if total is None else total + k{i}[2]")
        w.line(2, "else:")
        w.line(3, "total = None")


BidFunction = Callable[[dict[str, Any], dict[str, Any], dict[str, Any], list[Decimal]], tuple[Any, ...]]


def generate(checked: CheckedPolicy) -> tuple[str, dict[str, Any]]:
    """The source of `evaluate_bid(b, c, p, px)` and the constants it refers to.

    It returns `(social value total, quantities, requirement outcomes, ids of the failed
    requirements, criterion outcomes, weight available, total score)`, the compact forms the runtime
    works with; the last two are None for a non-compliant bid, or when relative scores
    must wait for every bid.
    """
    policy = checked.policy
    w = _Writer(checked)
    w.line(0, "def evaluate_bid(b, c, p, px):")
    w.line(1, "sv = ZERO")
    w.line(1, "q = []")
    for i, measure in enumerate(policy.measures):
        w.line(1, f"x = b.get({checked_identifier(measure.name)!r}, ZERO)")
        w.line(1, "q.append(x)")
        w.line(1, f"sv = sv + x * px[{i}]")
    w.line(1, "failed = []")
    for i, rule in enumerate(policy.requirements):
        _requirement(w, i, rule)
    reqs = ", ".join(f"r{i}" for i in range(len(policy.requirements)))
    w.line(1, f"reqs = [{reqs}]")
    w.line(1, "if failed:")
    w.line(
        2,
        f"return sv, q, reqs, failed, [[NOT_SCORED, None, None, EMPTY, None] for _ in range({len(policy.criteria)})], None, None",
    )
    for i, criterion in enumerate(policy.criteria):
        _criterion(w, i, criterion)
    crits = ", ".join(f"k{i}" for i in range(len(policy.criteria)))
    relative = any(s.form_of(rule.score).waits_for_every_bid for rule in policy.criteria)
    if relative:  # points wait for the best value among the compliant bids
        w.line(1, f"return sv, q, reqs, failed, [{crits}], None, None")
    else:
        _totals(w, policy.criteria)
        w.line(1, f"return sv, q, reqs, failed, [{crits}], avail, total")
    namespace = {
        "ZERO": d.ZERO, "ONE": d.ONE, "EMPTY": EMPTY,
        "MET": MET, "NOT_MET": NOT_MET, "NOT_APPLICABLE": NOT_APPLICABLE, "ERROR": ERROR,
        "SCORED": SCORED, "NOT_SCORED": NOT_SCORED,
        "NA_REQ": (NOT_APPLICABLE, EMPTY, None),
        "R10": d.round10,
        "FAIL": failure_text, "MISSING_FIELD": _missing_name(checked),
        "MISSING": s.Missing, "FAILED": s.Failed, "OUT_OF_RANGE": s.OutOfRange, "NEGATIVE": s.Negative,
        "OFF_SCALE": s.OffScale, "SAME_ENDS": s.SameEnds, "COMPUTED": s.Computed, "BANDED": s.Banded,
        "ON_LINE": s.OnLine, "RELATIVE": s.Relative, "ON_SCALE": s.OnScale,
    }  # fmt: skip
    namespace.update(w.constants)
    return "\n".join(w.lines) + "\n", namespace


def _missing_name(checked: CheckedPolicy) -> Callable[[KeyError, dict[str, Any], dict[str, Any]], str]:
    bid_fields = set(checked.fields("bid"))

    def missing(exc: KeyError, bid: dict[str, Any], contract: dict[str, Any]) -> str:
        key = exc.args[0] if exc.args else "?"
        return f"bid.{key}" if key in bid_fields and key not in bid else f"contract.{key}"

    return missing


def compile_bid_function(checked: CheckedPolicy) -> BidFunction:
    """Generate, compile and return the policy's bid evaluator."""
    source, namespace = generate(checked)
    code = compile(source, f"<svrules policy {checked.policy.name}>", "exec")
    exec(code, namespace)  # the source is ours, generated from the checked AST (module docstring)
    evaluate_bid: BidFunction = namespace["evaluate_bid"]
    return evaluate_bid
