"""Documents from the rules: the social value schedule, the assessment summary and the
assessment methodology.

Owns a small neutral document model (sections, paragraphs, tables, clause blocks) and
the three documents built from a compiled policy, a contract or tender and its results:

- the **schedule**: the contract wording (each applicable rule's `clause`, rendered with
  the parameters in force), the criteria and weights, the measures and every reference;
  published with the tender (no bid) or for one bid (its commitments in the wording);
- the **assessment summary** (bidder feedback, regulation 31 of the Procurement
  Regulations 2024): each criterion, how it was scored, the bidder's score explained by
  the values in its own tender, sub-totals and total, and why it did not win;
- the **assessment methodology** (Procurement Act 2023, section 23(3)): how each
  criterion is scored and which requirements disqualify, in words.

`document_writers` turns a `Document` into Markdown, HTML or DOCX, so the three formats
say the same thing. Templates render through `templates.render` (sandboxed, limited);
a failure becomes a `PolicyError` naming the policy, the rule and the template line.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, DecimalException
from pathlib import Path
from typing import Any

from . import nodes as n
from . import units
from .compiler import CompiledPolicy, CompiledRule, Env, MissingField, RuleFailure
from .decimals import number_text
from .diagnostics import Diagnostic, InputError, PolicyError, did_you_mean
from .explain import template_context
from .results import BidResult, RuleResult, TenderResult
from .runtime import evaluate, resolve_params
from .source import SourceFile, Span, decode_source
from .templates import (
    NeedsBid,
    NeedsDelivery,
    TemplateRenderError,
    not_known_yet,
    render,
    render_value,
    typed,
)
from .tender import Tender, TenderValidator, read_tender_file, tender_from_text

# ================================================================ the document model

Inline = tuple[tuple[str, str], ...]
"""Text as runs of (text, style); style is "" (plain), "code", "strong" or "em"."""


def inline(*parts: str | tuple[str, str] | Inline) -> Inline:
    """Runs from plain strings, `code(...)`/`strong(...)` runs and other inlines."""
    runs: list[tuple[str, str]] = []
    for part in parts:
        items = [(part, "")] if isinstance(part, str) else [part] if _is_run(part) else list(part)
        for text, style in items:  # type: ignore[misc]
            if not text:
                continue
            if runs and runs[-1][1] == style:
                runs[-1] = (runs[-1][0] + text, style)
            else:
                runs.append((text, style))
    return tuple(runs)


def _is_run(part: Any) -> bool:
    return len(part) == 2 and isinstance(part[0], str) and isinstance(part[1], str)


def code(text: str) -> tuple[str, str]:
    return (text, "code")


def strong(text: str) -> tuple[str, str]:
    return (text, "strong")


def plain_text(runs: Inline) -> str:
    return "".join(text for text, _ in runs)


@dataclass(frozen=True)
class Paragraph:
    """A paragraph; `style` is "body", "note" (a remark set apart) or "lead" (an introduction)."""

    text: Inline
    style: str = "body"


@dataclass(frozen=True)
class Bullets:
    items: tuple[Inline, ...]


@dataclass(frozen=True)
class Table:
    """A table; `numeric` marks right-aligned columns; `total` is a last row set in bold."""

    header: tuple[str, ...]
    rows: tuple[tuple[Inline, ...], ...]
    numeric: tuple[bool, ...] = ()
    total: tuple[Inline, ...] | None = None


@dataclass(frozen=True)
class Facts:
    """Label and value pairs (a definition list)."""

    items: tuple[tuple[str, Inline], ...]


@dataclass(frozen=True)
class ClauseBlock:
    """A numbered clause: the rule's rendered wording, by paragraph, with its sources."""

    number: str
    title: str
    kind: str
    paragraphs: tuple[str, ...]
    refs: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Section:
    """A heading and what follows it; sections nest (a `Section` is also a block)."""

    title: str
    number: str | None = None
    blocks: tuple[Block, ...] = ()


Block = Paragraph | Bullets | Table | Facts | ClauseBlock | Section


@dataclass(frozen=True)
class Document:
    """One document, independent of its format."""

    kind: str  # "schedule", "feedback" or "methodology"
    title: str
    subtitle: str
    header: str  # the running page header: policy id and version
    facts: tuple[tuple[str, Inline], ...]
    intro: tuple[Paragraph, ...]
    sections: tuple[Section, ...]
    footer: str
    language: str = "en-GB"
    date: date | None = None  # the document's date (as-of or effective), for DOCX properties
    author: str | None = None


# ================================================================ values and words

_PERCENT_TYPES = (units.PERCENT,)
_FAILURES = (RuleFailure, DecimalException, ArithmeticError)


def show(value: Any, type_: str) -> str:
    """A value as a policy lead writes it (`£2,400,000`, `25%`, `1 April 2025`)."""
    return "not stated" if value is None else render_value(typed(value, type_))


def pct(value: Decimal | None) -> str:
    """A fraction as a percentage to two places, for scores and weights."""
    return "—" if value is None else number_text(value.scaleb(2), 2) + "%"


def points(value: Decimal | None) -> str:
    """Points as marks out of 100 for the whole tender, to two places."""
    return "—" if value is None else number_text(value.scaleb(2), 2)


def _literal(lit: n.Literal) -> str:
    if lit.kind == "text":
        return f'"{lit.value}"'
    if lit.kind == "yes/no":
        return "yes" if lit.value else "no"
    return show(lit.value, lit.kind)


_OPS = {"*": "×", "/": "÷", "+": "+", "-": "−"}
_CMP = {"==": "=", "!=": "≠", "<": "<", "<=": "≤", ">": ">", ">=": "≥"}
_PREC = {"+": 6, "-": 6, "*": 7, "/": 7}


def words(expr: n.Expr, prec: int = 0) -> Inline:
    """An expression in readable form: names in code, × ÷ ≥ for operators, values written out."""
    own, out = _words(expr)
    return inline("(", out, ")") if own < prec else out


def _words(expr: n.Expr) -> tuple[int, Inline]:
    if isinstance(expr, n.Literal):
        return 9, inline(_literal(expr))
    if isinstance(expr, n.ListLiteral):
        return 9, inline(", ".join(_literal(i) for i in expr.items if isinstance(i, n.Literal)))
    if isinstance(expr, n.Field):
        return 9, inline(code(expr.dotted))
    if isinstance(expr, n.Name):
        return 9, inline(code(expr.name))
    if isinstance(expr, n.Negate):
        return 8, inline("−", words(expr.operand, 8))
    if isinstance(expr, n.Binary):
        p = _PREC[expr.op]
        return p, inline(words(expr.left, p), f" {_OPS[expr.op]} ", words(expr.right, p + 1))
    if isinstance(expr, n.Compare):
        if expr.op in ("in", "not in"):
            word = " is one of " if expr.op == "in" else " is not one of "
            return 5, inline(words(expr.left, 6), word, words(expr.right, 6))
        return 5, inline(words(expr.left, 6), f" {_CMP[expr.op]} ", words(expr.right, 6))
    if isinstance(expr, n.Logical):
        p = 3 if expr.op == "and" else 2
        return p, inline(words(expr.left, p), f" {expr.op} ", words(expr.right, p + 1))
    if isinstance(expr, n.Not):
        return 4, inline("not ", words(expr.operand, 4))
    if isinstance(expr, n.Conditional):
        return 1, inline(
            words(expr.then, 2), " if ", words(expr.condition, 2), ", otherwise ", words(expr.otherwise, 1)
        )
    assert isinstance(expr, n.Call)
    return 1, _call_words(expr)


def _call_words(expr: n.Call) -> Inline:
    args = expr.args
    fn = expr.function
    if fn in ("ceil", "floor"):
        return inline(words(args[0], 2), ", rounded up" if fn == "ceil" else ", rounded down")
    if fn == "round":
        places = args[1].value if isinstance(args[1], n.Literal) else None
        to = "a whole number" if places == 0 else f"{show(places, units.NUMBER)} decimal places"
        return inline(words(args[0], 2), f", rounded to {to}")
    if fn == "abs":
        return inline("the absolute value of ", words(args[0], 9))
    if fn == "clamp":
        return inline(words(args[0], 2), ", kept between ", words(args[1], 6), " and ", words(args[2], 6))
    word = {"min": ("lower", "lowest"), "max": ("higher", "highest")}[fn][len(args) > 2]
    parts: list[Any] = [f"the {word} of "]
    for i, arg in enumerate(args):
        if i:
            parts.append(" and " if i == len(args) - 1 else ", ")
        parts.append(words(arg, 6))
    return inline(*parts)


def walk(expr: n.Expr | None) -> Iterator[n.Expr]:
    if expr is None:
        return
    yield expr
    children: tuple[n.Expr, ...] = ()
    if isinstance(expr, n.Binary | n.Compare | n.Logical):
        children = (expr.left, expr.right)
    elif isinstance(expr, n.Negate | n.Not):
        children = (expr.operand,)
    elif isinstance(expr, n.Conditional):
        children = (expr.then, expr.condition, expr.otherwise)
    elif isinstance(expr, n.Call | n.ListLiteral):
        children = expr.args if isinstance(expr, n.Call) else expr.items
    for child in children:
        yield from walk(child)


def uses_bid(expr: n.Expr | None) -> bool:
    return any(
        (isinstance(e, n.Field) and e.root == "bid") or (isinstance(e, n.Name) and e.name == "social_value")
        for e in walk(expr)
    )


# ================================================================ the policy, as documents see it


class _Unknown(Exception):
    """A value that only a bid (or a delivery report) can give was needed."""

    def __init__(self, root: str):
        super().__init__(root)
        self.root = root


class _Absent(dict):  # type: ignore[type-arg]
    """The bid (or delivery figures) of a document that has none: reading a field raises."""

    def __init__(self, root: str):
        super().__init__()
        self.root = root

    def __getitem__(self, key: str) -> Any:
        raise _Unknown(self.root)


class _Lets(dict):  # type: ignore[type-arg]
    """A rule's lets; a let that could not be worked out raises when it is used."""

    def __init__(self) -> None:
        super().__init__()
        self.pending: dict[str, str] = {}  # let name → "bid", "delivery" or "missing"

    def __missing__(self, key: str) -> Any:
        raise _Unknown(self.pending.get(key, "bid"))


class _NoSocialValue:
    """`social_value` where no bid is known: any use of it raises."""

    def _unknown(self, *args: Any) -> Any:
        raise _Unknown("bid")

    __lt__ = __le__ = __gt__ = __ge__ = __eq__ = __ne__ = _unknown
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = _unknown
    __truediv__ = __rtruediv__ = __neg__ = __abs__ = __bool__ = _unknown
    __hash__ = None  # type: ignore[assignment]


@dataclass
class RuleState:
    """What a document knows of one rule for one contract (and perhaps one bid)."""

    applies: str  # "yes", "no", "maybe" (it depends on the bid) or "error"
    env: Env | None
    reason: Inline = ()  # why it does not apply, or why it may


class PolicyView:
    """A compiled policy with what documents ask of it: titles, fields, words and errors."""

    def __init__(self, compiled: CompiledPolicy):
        self.compiled = compiled
        self.checked = compiled.checked
        self.policy = compiled.policy
        self.themes = {t.name: t.title for t in self.policy.themes}
        self.rules = {("requirement", r.id): r for r in compiled.requirements}
        self.rules |= {("criterion", r.id): r for r in compiled.criteria}
        self.contract_fields = self.checked.fields("contract")
        self.bid_fields = self.checked.fields("bid")

    # ------------------------------------------------------------ metadata

    @property
    def version_text(self) -> str:
        return f"version {self.policy.version}" if self.policy.version else "no version"

    def header(self, kind: str) -> str:
        return f"{self.policy.name} · {self.version_text} · {kind}"

    def policy_facts(self) -> list[tuple[str, Inline]]:
        p = self.policy
        facts: list[tuple[str, Inline]] = []
        if p.authority:
            facts.append(("Contracting authority", inline(p.authority)))
        facts.append(("Policy", inline(p.title, " (", code(p.name), f", {self.version_text})")))
        if p.effective:
            facts.append(("Policy effective", inline(show(p.effective, units.DATE))))
        facts.append(("Policy hash", inline(code(self.checked.hash))))
        return facts

    def footer(self, kind: str) -> str:
        return (
            f"{kind} generated by svrules from policy {self.policy.name} ({self.version_text}), "
            f"{self.checked.hash}"
        )

    def theme_title(self, theme: str | None) -> str:
        return self.themes.get(theme, theme) if theme else "General"

    def sections_in_order(self, rules: Iterable[n.Rule]) -> list[str | None]:
        """Themes in the order their first rule appears (None: rules under the policy)."""
        order: list[str | None] = []
        for rule in rules:
            if rule.theme not in order:
                order.append(rule.theme)
        return order

    def field_type(self, root: str, name: str) -> str:
        fields = self.contract_fields if root == "contract" else self.bid_fields
        decl = fields.get(name)
        return units.expression_type(decl.type) if decl else ""

    def describe_field(self, root: str, name: str) -> str:
        fields = self.contract_fields if root == "contract" else self.bid_fields
        decl = fields.get(name)
        return decl.description if decl and decl.description else name.replace("_", " ")

    # ------------------------------------------------------------ evaluating for documents

    def env(
        self,
        contract: Mapping[str, Any] | None,
        bid: Mapping[str, Any] | None,
        params: Mapping[str, Any],
        social_value: Decimal | None = None,
    ) -> Env:
        env = Env(
            dict(contract) if contract is not None else _Absent("contract"),
            dict(bid) if bid is not None else _Absent("bid"),
            dict(params),
            social_value if bid is not None and social_value is not None else _NoSocialValue(),  # type: ignore[arg-type]
            _Absent("delivery"),
        )
        env.lets = _Lets()
        return env

    def state(self, rule: CompiledRule, env: Env) -> RuleState:
        """Whether the rule applies, and its lets (those that can be worked out)."""
        rule_env = Env(env.contract, env.bid, env.params, env.social_value, env.delivery)
        rule_env.lets = _Lets()
        applies = "yes"
        reason: Inline = ()
        if rule.applies is not None:
            try:
                applies = "yes" if rule.applies(rule_env) else "no"
            except _Unknown as unknown:
                applies = "maybe"
                reason = inline(
                    f"whether it applies depends on the {_root_word(unknown.root)}: ",
                    words(rule.rule.applies),
                )  # type: ignore[arg-type]
            except MissingField:
                applies = "no"
            except TypeError:
                if not isinstance(env.social_value, _NoSocialValue):
                    raise
                applies = "maybe"
                reason = inline("whether it applies depends on the tender: ", words(rule.rule.applies))  # type: ignore[arg-type]
            except _FAILURES as exc:
                applies = "error"
                reason = inline(f"its 'applies when' cannot be decided: {exc}")
            if applies == "no":
                reason = self.values_inline(rule.rule.applies, rule, rule_env)
        if applies != "error":  # lets too, so a rule that does not apply can still be described
            for name, fn in rule.lets:
                try:
                    rule_env.lets[name] = fn(rule_env)
                except _Unknown as unknown:
                    rule_env.lets.pending[name] = unknown.root
                except MissingField:
                    rule_env.lets.pending[name] = "missing"
                except TypeError:
                    if not isinstance(env.social_value, _NoSocialValue):
                        raise
                    rule_env.lets.pending[name] = "bid"
                except _FAILURES:
                    rule_env.lets.pending[name] = "error"
        return RuleState(applies, rule_env, reason)

    def values_inline(self, expr: n.Expr | None, rule: CompiledRule | None, env: Env) -> Inline:
        """`contract.category is goods, …`: the known values an expression reads."""
        parts: list[Any] = []
        for name, value, type_ in self.names(expr, rule, env):
            if value is _NOT_KNOWN:
                continue
            if parts:
                parts.append(", ")
            parts += [code(name), f" is {show(value, type_)}"]
        return inline(*parts)

    def names(
        self, expr: n.Expr | None, rule: CompiledRule | None, env: Env | None
    ) -> Iterator[tuple[str, Any, str]]:
        """Each field, parameter and let an expression reads, once, with its value and type."""
        seen: set[str] = set()
        for node in walk(expr):
            if isinstance(node, n.Field) and node.root in ("contract", "bid"):
                name, type_ = node.dotted, self.field_type(node.root, node.name)
                value = _lookup(getattr(env, node.root) if env else None, node.name)
            elif isinstance(node, n.Name):
                name = node.name
                if name == "social_value":
                    type_ = units.MONEY
                    value = (
                        env.social_value
                        if env and not isinstance(env.social_value, _NoSocialValue)
                        else _NOT_KNOWN
                    )
                elif rule is not None and name in rule.let_types:
                    type_ = rule.let_types[name]
                    value = _lookup(env.lets if env else None, name)
                else:
                    type_ = self.checked.param_types.get(name, "")
                    value = env.params.get(name, _NOT_KNOWN) if env else _NOT_KNOWN
            else:
                continue
            if name not in seen:
                seen.add(name)
                yield name, value, type_

    def legend(
        self,
        exprs: Iterable[n.Expr | None],
        rule: CompiledRule | None,
        env: Env | None,
        *,
        tender_word: str = "the tender",
    ) -> Table | None:
        """What each name in some expressions means, and its value where it is known."""
        rows: list[tuple[Inline, ...]] = []
        seen: set[str] = set()
        lets = {let.name: let.value for let in rule.rule.lets} if rule else {}
        queue = [e for e in exprs if e is not None]
        while queue:
            expr = queue.pop(0)
            for name, value, _type in self.names(expr, rule, env):
                if name in seen:
                    continue
                seen.add(name)
                meaning = self._meaning(name, lets, tender_word)
                if name in lets:
                    queue.append(lets[name])
                rows.append(
                    (inline(code(name)), meaning, inline(self._value_text(name, value, _type, rule, env)))
                )
        if not rows:
            return None
        return Table(("Name", "What it is", "Value"), tuple(rows))

    def _meaning(self, name: str, lets: Mapping[str, n.Expr], tender_word: str) -> Inline:
        if name.startswith("bid."):
            return inline(self.describe_field("bid", name[4:]), f" (from {tender_word})")
        if name.startswith("contract."):
            return inline(self.describe_field("contract", name[9:]), " (the contract)")
        if name == "social_value":
            return inline(
                "the social value of ", tender_word, ": each measure's quantity × its proxy value, added up"
            )
        if name in lets:
            return inline("worked out as ", words(lets[name]))
        return inline("a parameter of the policy")

    def _value_text(
        self, name: str, value: Any, type_: str, rule: CompiledRule | None, env: Env | None
    ) -> str:
        if value is not _NOT_KNOWN:
            return show(value, type_)
        if rule is not None and name in rule.let_types:
            why = env.lets.pending.get(name) if env is not None and isinstance(env.lets, _Lets) else None
            if why == "missing":
                return "not stated in the tender"
            if why == "error":
                return "cannot be worked out for this contract"
            return "from each tender" if self.let_uses_bid(rule, name) else "set by the contract"
        if name in self.checked.param_types and env is None:
            return self.param_schedule(name)
        if name.startswith("bid.") or name == "social_value":
            return "from each tender" if env is None or isinstance(env.bid, _Absent) else "not stated"
        if env is None or isinstance(env.contract, _Absent) or name.startswith("bid."):
            return "set by the contract" if name.startswith("contract.") else "depends on the tender"
        return "depends on the tender"

    def let_uses_bid(self, rule: CompiledRule, name: str, seen: frozenset[str] = frozenset()) -> bool:
        """Whether a let needs the bid (through a field, `social_value` or another let)."""
        lets = {let.name: let.value for let in rule.rule.lets}
        for node in walk(lets.get(name)):
            if isinstance(node, n.Field) and node.root == "bid":
                return True
            if isinstance(node, n.Name) and node.name == "social_value":
                return True
            nested = isinstance(node, n.Name) and node.name in lets and node.name not in seen
            if nested and self.let_uses_bid(rule, node.name, seen | {name}):  # type: ignore[union-attr]
                return True
        return False

    def condition(self, expr: n.Expr, prec: int = 0) -> Inline:
        """A yes/no expression in words: a yes/no field alone reads `bid.x is yes`."""
        if isinstance(expr, n.Field) and self.field_type(expr.root, expr.name) == units.BOOL:
            out = inline(code(expr.dotted), " is yes")
            return inline("(", out, ")") if prec > 5 else out
        if (
            isinstance(expr, n.Not)
            and isinstance(expr.operand, n.Field)
            and self.field_type(expr.operand.root, expr.operand.name) == units.BOOL
        ):
            return inline(code(expr.operand.dotted), " is no")
        if isinstance(expr, n.Logical):
            p = 3 if expr.op == "and" else 2
            out = inline(self.condition(expr.left, p), f" {expr.op} ", self.condition(expr.right, p + 1))
            return inline("(", out, ")") if p < prec else out
        return words(expr, prec)

    def param_schedule(self, name: str) -> str:
        for param in self.compiled.params:
            if param.param.name != name:
                continue
            if param.dated:
                return "; ".join(
                    f"{show(value, param.type)} from {show(start, units.DATE)}"
                    for start, value in param.dated
                )
            expr = param.param.values[0].value
            return plain_text(words(expr))
        return ""

    # ------------------------------------------------------------ templates

    def render_template(self, rule: CompiledRule, kind: str, context: Mapping[str, Any]) -> str:
        """Render a rule's template; a failure is a `PolicyError` at the template's line."""
        template = rule.clause if kind == "clause" else rule.explain
        try:
            return render(template, context)
        except TemplateRenderError as err:
            if err.needs_bid or err.needs_delivery:
                raise
            raise self.template_error(rule, kind, err) from None

    def reason(self, rule: CompiledRule, result: RuleResult) -> str:
        """A result's reason; an `explain` that fails names the policy, rule and line."""
        try:
            return result.reason
        except TemplateRenderError as err:
            raise self.template_error(rule, "explain", err) from None

    def template_error(self, rule: CompiledRule, kind: str, err: TemplateRenderError) -> PolicyError:
        source = self.checked.templates.get((rule.key, kind))
        sources = self.sources()
        span = None
        if source is not None:
            line = source.first_line + (err.line or 1) - 1
            text = sources[source.path].line_text(line) if source.path in sources else ""
            indent = len(text) - len(text.lstrip())
            span = Span(source.path, line, indent + 1, line, max(len(text) + 1, indent + 2))
        r = rule.rule
        message = f"the {kind} of {r.kind} '{r.name}' in policy '{self.policy.name}' failed to render: {err.message}"
        if err.line is None and source is not None:
            message += " (the template starts at this line)"
        return PolicyError([Diagnostic(err.code, message, span, err.hint)], sources)

    def sources(self) -> dict[str, SourceFile]:
        out = {self.checked.source.path: self.checked.source}
        folder = Path(self.checked.source.path).parent
        for rel, raw in self.checked.files.items():
            out[str(folder / rel)] = decode_source(str(folder / rel), raw)
        return out

    def context(self, rule: CompiledRule, env: Env) -> dict[str, Any]:
        """What a rule's templates see; values not known yet are undefined (`is defined` is false)."""
        bid = env.bid
        plain_env = Env(
            {} if isinstance(env.contract, _Absent) else env.contract,
            {} if isinstance(bid, _Absent) else bid,
            env.params,
        )
        plain_env.lets = dict(env.lets)
        context = template_context(self.compiled, rule, plain_env)
        if isinstance(bid, _Absent):
            context["bid"] = not_known_yet("bid")
        if isinstance(env.contract, _Absent):
            context["contract"] = not_known_yet("contract")
        if isinstance(env.lets, _Lets):
            for name, why in env.lets.pending.items():
                context[name] = not_known_yet(name, NeedsDelivery if why == "delivery" else NeedsBid)
        if isinstance(rule.rule, n.Kpi):
            context["delivery"] = not_known_yet("delivery", NeedsDelivery)
        return context


_NOT_KNOWN = object()


def _lookup(values: Any, name: str) -> Any:
    if values is None or isinstance(values, _Absent):
        return _NOT_KNOWN
    if name in values:
        return dict.get(values, name)
    return _NOT_KNOWN if isinstance(values, _Lets) else None


def _root_word(root: str) -> str:
    return {"bid": "tender", "delivery": "delivery figures", "contract": "contract"}.get(root, root)


# ================================================================ how a criterion is scored


def score_kind(rule: n.Criterion) -> str:
    s = rule.score
    if isinstance(s, n.BandScore):
        return "bands"
    if isinstance(s, n.LinearScore):
        return "linear"
    if isinstance(s, n.RelativeScore):
        return "lowest" if s.lowest else "relative"
    if isinstance(s, n.ScaleScore):
        return "scale"
    return "expr"


def short_method(rule: n.Criterion) -> Inline:
    """One line for a table of criteria."""
    s = rule.score
    kind = score_kind(rule)
    if kind == "bands":
        return inline("in bands of ", words(s.value))
    if kind == "linear":
        return inline("on a straight line: ", words(s.value), " from ", words(s.low), " to ", words(s.high))  # type: ignore[union-attr]
    if kind == "relative":
        return inline("relative to the best compliant tender: ", words(s.value))
    if kind == "lowest":
        return inline("relative to the lowest compliant tender (lower is better): ", words(s.value))
    if kind == "scale":
        return inline("panel mark on a published scale: ", words(s.value))
    return inline("by the formula ", words(s.value))


def _conditional_chain(expr: n.Expr) -> list[tuple[n.Expr | None, n.Literal]] | None:
    """`100% if A else 50% if B else 0%` as [(A, 100%), (B, 50%), (None, 0%)], or None."""
    chain: list[tuple[n.Expr | None, n.Literal]] = []
    while isinstance(expr, n.Conditional):
        if not (isinstance(expr.then, n.Literal) and expr.then.kind in ("percent", "number")):
            return None
        chain.append((expr.condition, expr.then))
        expr = expr.otherwise
    if not chain or not (isinstance(expr, n.Literal) and expr.kind in ("percent", "number")):
        return None
    chain.append((None, expr))
    return chain


def scores_available(rule: n.Criterion) -> str:
    s = rule.score
    if isinstance(s, n.BandScore):
        values = [b.result.value for b in s.bands]  # type: ignore[union-attr]
        if not any(b.test == "otherwise" for b in s.bands):
            values.append(Decimal(0))
        return _or_list(_distinct(values))
    if isinstance(s, n.ScaleScore):
        return _or_list(_distinct([lv.level.value for lv in s.levels]))  # type: ignore[union-attr, misc]
    if isinstance(s, n.ExprScore):
        chain = _conditional_chain(s.value)
        if chain:
            return _or_list(_distinct([lit.value for _, lit in chain]))  # type: ignore[misc]
    return "any score from 0% to 100%"


def _distinct(values: list[Any]) -> list[Decimal]:
    out: list[Decimal] = []
    for v in values:
        if v not in out:
            out.append(v)
    return out


def _or_list(values: list[Decimal]) -> str:
    texts = [show(v, units.PERCENT) for v in values]
    return texts[0] if len(texts) == 1 else ", ".join(texts[:-1]) + " or " + texts[-1]


def method_blocks(
    view: PolicyView,
    crule: CompiledRule,
    env: Env | None,
    *,
    tender_word: str = "the tender",
    with_legend: bool = True,
) -> list[Block]:
    """How a criterion is scored, in words, with its bands or levels as a table."""
    rule = crule.rule
    assert isinstance(rule, n.Criterion)
    s = rule.score
    kind = score_kind(rule)
    blocks: list[Block] = []
    if isinstance(s, n.BandScore):
        blocks.append(
            Paragraph(
                inline(
                    "Scored in bands of ",
                    words(s.value),
                    ". The first band that matches, from the top, gives the score.",
                )
            )
        )
        rows = []
        for band in s.bands:
            if band.test == "otherwise":
                label = inline("anything else")
            else:
                label = inline(
                    "at least " if band.test == "at_least" else "at most ",
                    _known(view, band.threshold, crule, env),
                )
            rows.append((label, inline(show(band.result.value, units.PERCENT))))  # type: ignore[union-attr]
        if not any(b.test == "otherwise" for b in s.bands):
            rows.append((inline("anything else"), inline("0%")))
        blocks.append(Table(("Value", "Score"), tuple(rows), (False, True)))
    elif isinstance(s, n.LinearScore):
        low, high = _known(view, s.low, crule, env), _known(view, s.high, crule, env)
        lower_better = _lower_is_better(view, s, crule, env)
        if lower_better is None:
            text = inline(
                "Scored on a straight line: ",
                words(s.value),
                " at ",
                low,
                " scores 0% and at ",
                high,
                " scores 100%, in proportion in between, and held at 0% and 100% beyond them.",
            )
        elif lower_better:
            text = inline(
                "Scored on a straight line, lower is better: ",
                words(s.value),
                " of ",
                low,
                " or more scores 0%, ",
                high,
                " or less scores 100%, and a value in between scores in proportion.",
            )
        else:
            text = inline(
                "Scored on a straight line: ",
                words(s.value),
                " of ",
                low,
                " or less scores 0%, ",
                high,
                " or more scores 100%, and a value in between scores in proportion.",
            )
        blocks.append(Paragraph(text))
    elif kind == "relative":
        blocks.append(
            Paragraph(
                inline(
                    "Scored relative to the other compliant tenders: ",
                    words(s.value),
                    " divided by the highest such value among the compliant tenders (higher is better). If the highest value is 0, every tender scores 0%.",
                )
            )
        )
    elif kind == "lowest":
        blocks.append(
            Paragraph(
                inline(
                    "Scored relative to the other compliant tenders, lower is better: the lowest ",
                    words(s.value),
                    " among the compliant tenders divided by this tender's. A value of 0 is the best and scores 100%.",
                )
            )
        )
    elif isinstance(s, n.ScaleScore):
        blocks.append(
            Paragraph(
                inline(
                    "Marked by the evaluation panel on a published scale: ",
                    words(s.value),
                    " is the panel's moderated mark, which must be one of these levels. A mark that is not one of them cannot be scored: the tender has no total until it is corrected.",
                )
            )
        )
        rows = [(inline(show(lv.level.value, units.PERCENT)), inline(lv.descriptor)) for lv in s.levels]  # type: ignore[union-attr]
        blocks.append(Table(("Score", "Descriptor"), tuple(rows), (True, False)))
    else:
        chain = _conditional_chain(s.value)
        if chain:
            blocks.append(
                Paragraph(inline("Scored by the first of these conditions that holds, from the top:"))
            )
            rows = [
                (
                    inline("otherwise") if cond is None else view.condition(cond),
                    inline(show(lit.value, units.PERCENT if lit.kind == "percent" else units.NUMBER)),
                )
                for cond, lit in chain
            ]
            blocks.append(Table(("Condition", "Score"), tuple(rows), (False, True)))
        else:
            blocks.append(
                Paragraph(
                    inline("Scored by the formula ", words(s.value), ", whose value must be from 0% to 100%.")
                )
            )
    optional = _optional_bid_fields(view, [rule.applies, *(let.value for let in rule.lets), s.value])
    if optional:
        names = inline(*_joined([inline(code(f"bid.{f}")) for f in optional]))
        blocks.append(
            Paragraph(inline("A tender that does not state ", names, " scores 0% on this criterion."), "note")
        )
    if with_legend:
        legend = view.legend([rule.applies, *_score_exprs(s)], crule, env, tender_word=tender_word)
        if legend:
            blocks.append(legend)
    return blocks


def _score_exprs(s: n.Score) -> list[n.Expr]:
    exprs = [s.value]
    if isinstance(s, n.LinearScore):
        exprs += [s.low, s.high]
    if isinstance(s, n.BandScore):
        exprs += [b.threshold for b in s.bands if b.threshold is not None]
    return exprs


def _joined(items: list[Inline]) -> list[Any]:
    out: list[Any] = []
    for i, item in enumerate(items):
        if i:
            out.append(" and " if i == len(items) - 1 else ", ")
        out.append(item)
    return out


def _optional_bid_fields(view: PolicyView, exprs: Iterable[n.Expr | None]) -> list[str]:
    out: list[str] = []
    for expr in exprs:
        for node in walk(expr):
            if isinstance(node, n.Field) and node.root == "bid":
                decl = view.bid_fields.get(node.name)
                if (
                    decl is not None
                    and decl.optional
                    and node.name not in out
                    and not any(m.name == node.name for m in view.policy.measures)
                ):
                    out.append(node.name)
    return out


def _known(view: PolicyView, expr: n.Expr | None, crule: CompiledRule, env: Env | None) -> Inline:
    """An expression in words, with its value when the contract and parameters give it."""
    assert expr is not None
    text = words(expr)
    if isinstance(expr, n.Literal) or env is None:
        return text
    value = _value(view, expr, crule, env)
    if value is _NOT_KNOWN:
        return text
    return inline(text, f" (here {show(value, view.checked.types.get(id(expr), ''))})")


def _value(view: PolicyView, expr: n.Expr, crule: CompiledRule, env: Env) -> Any:
    from .compiler import ExprCompiler

    try:
        return ExprCompiler(view.checked, frozenset(crule.let_types))(expr)(env)
    except (_Unknown, MissingField, TypeError, KeyError, *_FAILURES):
        return _NOT_KNOWN


def _lower_is_better(view: PolicyView, s: n.LinearScore, crule: CompiledRule, env: Env | None) -> bool | None:
    if isinstance(s.low, n.Literal) and isinstance(s.high, n.Literal):
        return s.low.value > s.high.value  # type: ignore[operator]
    if env is None:
        return None
    low, high = _value(view, s.low, crule, env), _value(view, s.high, crule, env)
    if low is _NOT_KNOWN or high is _NOT_KNOWN:
        return None
    return bool(low > high)


def applies_words(rule: n.Rule) -> Inline:
    return inline("always") if rule.applies is None else inline("when ", words(rule.applies))


# ================================================================ inputs


def read_contract(view: PolicyView, contract: Any, path: str = "<contract>") -> Tender:
    """A contract file, JSON text or mapping (`{"contract": {...}}` or the bare object),
    validated against the policy's contract fields like a tender's."""
    sources: dict[str, SourceFile] = {}
    if isinstance(contract, Path):
        source, data = read_tender_file(contract)
        path, sources = source.path, {source.path: source}
    elif isinstance(contract, str | bytes):
        source, data = tender_from_text(contract, path)
        sources = {source.path: source}
    elif isinstance(contract, Mapping):
        data = _exact(contract, "contract")
    else:
        raise InputError(
            [Diagnostic("bad-tender", "a contract is a file path, JSON text or a mapping", None, path=path)]
        )
    validator = TenderValidator(view.contract_fields, view.bid_fields, path)
    raw = data
    if isinstance(data, dict) and "contract" in data:  # `contract` is reserved, so never a field
        for key in data:
            if key not in ("contract", "id", "title"):
                validator.problem(
                    "the file",
                    f"unknown key '{key}'",
                    'a contract file holds "contract" (and optionally "id" and "title"), or the contract\'s fields',
                    "unknown-key",
                )
        raw = data["contract"]
    if not isinstance(raw, dict):
        validator.problem(
            "the file",
            'a contract is a JSON object: {"contract": {...}} or the contract\'s fields',
            code="bad-tender",
        )
        raise InputError(validator.problems, sources)
    values = validator._record(raw, view.contract_fields, "contract", "the contract")
    if validator.problems:
        raise InputError(validator.problems, sources)
    title = data.get("title") if isinstance(data, dict) and isinstance(data.get("title"), str) else None
    ident = data.get("id") if isinstance(data, dict) and isinstance(data.get("id"), str) else None
    return Tender(values, (), ident, title, path)


def _exact(value: Any, where: str) -> Any:
    if isinstance(value, float):
        raise InputError(
            [
                Diagnostic(
                    "float-input",
                    f"{where} is a float ({value!r}), which cannot hold money exactly",
                    None,
                    "use Decimal or int values, or pass the file's path or JSON text",
                )
            ]
        )
    if isinstance(value, Mapping):
        return {k: _exact(v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_exact(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    return value


def find_bid(result: TenderResult, bidder: str) -> BidResult:
    """The bid of one bidder, or an `InputError` that suggests the nearest name."""
    for bid in result.bids:
        if bid.bidder == bidder:
            return bid
    names = [b.bidder for b in result.bids]
    wanted = bidder.casefold().strip()
    folded = [b for b in names if b.casefold() == wanted]
    partial = [b for b in names if wanted and wanted in b.casefold()]
    if folded or len(partial) == 1:
        hint: str | None = f"did you mean '{(folded or partial)[0]}'?"
    else:
        hint = did_you_mean(bidder, names)
    raise InputError(
        [
            Diagnostic(
                "unknown-bidder",
                f"no bid from '{bidder}' in the tender",
                None,
                hint or "the bidders are: " + ", ".join(f"'{b}'" for b in names),
            )
        ]
    )


def _not_applicable_error(view: PolicyView, tender: Tender, params: Mapping[str, Any]) -> InputError:
    expr = view.policy.applies
    env = Env(dict(tender.contract), {}, dict(params))
    values = view.values_inline(expr, None, env) if expr is not None else ()
    said = f" ({plain_text(values)})" if values else ""
    rule = plain_text(words(expr)) if expr is not None else ""
    return InputError(
        [
            Diagnostic(
                "policy-not-applicable",
                f"policy '{view.policy.name}' does not apply to this contract: its 'applies when' ({rule}) is false{said}",
                None,
                "check the contract's values, or use the policy that covers this contract",
                path=tender.path,
            )
        ]
    )


def _evaluated(view: PolicyView, tender: Tender, as_of: date | None) -> TenderResult:
    result = evaluate(view.compiled, tender, as_of)
    if not result.applies:
        raise _not_applicable_error(view, tender, {k: v for k, (v, _t) in result.params.items()})
    return result


def _params(result: TenderResult) -> dict[str, Any]:
    return {k: v for k, (v, _t) in result.params.items()}


# ================================================================ the schedule


def schedule(
    compiled: CompiledPolicy, tender: Tender, bidder: str | None = None, as_of: date | None = None
) -> Document:
    """The social value schedule for a contract: published with the tender (no bidder), or
    the contract schedule for one bid, with its commitments in the wording."""
    view = PolicyView(compiled)
    result = _evaluated(view, tender, as_of)
    params = _params(result)
    bid = find_bid(result, bidder) if bidder is not None else None
    values = next(b.values for b in tender.bids if b.bidder == bidder) if bid is not None else None
    env = view.env(tender.contract, values, params, bid.social_value.total if bid else None)
    p = view.policy

    facts = view.policy_facts()
    if tender.title or tender.id:
        facts.insert(0, ("Contract", inline(tender.title or tender.id or "")))
    facts.append(("Values as of", inline(show(result.as_of, units.DATE))))
    if bid is not None:
        facts.append(("Supplier", inline(bid.bidder)))
    if bid is None:
        intro = [
            Paragraph(
                inline(
                    f"This schedule sets out the social value terms of the contract, as published with the tender. Each clause is worded with the values of {p.title} in force on {show(result.as_of, units.DATE)}. Where a clause depends on the successful supplier's tender, it is completed when the contract is awarded."
                ),
                "lead",
            )
        ]
    else:
        intro = [
            Paragraph(
                inline(
                    f"This schedule sets out the social value terms of the contract with {bid.bidder}. Each clause is worded with the values of {p.title} in force on {show(result.as_of, units.DATE)} and includes the commitments made in {bid.bidder}'s tender, which form part of the contract."
                ),
                "lead",
            )
        ]
        if not bid.compliant:
            failed = [r.title for r in bid.requirements if r.outcome in ("not_met", "error")]
            intro.append(
                Paragraph(
                    inline(
                        f"Note: this tender does not meet every requirement ({'; '.join(failed)}), so it was not scored or ranked."
                    ),
                    "note",
                )
            )

    sections: list[Section] = []
    if p.summary:
        sections.append(
            Section("Summary", None, tuple(Paragraph(inline(par)) for par in _paragraphs(p.summary)))
        )
    about: list[Block] = [
        Facts(
            tuple(
                (
                    view.describe_field("contract", k),
                    inline(show(tender.contract.get(k), view.field_type("contract", k))),
                )
                for k in view.contract_fields
            )
        )
    ]
    sections.append(Section("The contract", None, tuple(about)))

    rules = [*compiled.requirements, *compiled.criteria]
    rules.sort(key=lambda r: _position(p, r.rule))
    number = 0
    cited: list[tuple[str, str]] = []
    for theme in view.sections_in_order(r.rule for r in rules):
        in_theme = [r for r in rules if r.rule.theme == theme]
        number += 1
        blocks: list[Block] = []
        without: list[Inline] = []
        excluded: list[Inline] = []
        clause_no = 0
        for crule in in_theme:
            state = view.state(crule, env)
            kind = _rule_kind(crule.rule)
            if state.applies == "no":
                excluded.append(
                    inline(crule.rule.title, " (", state.reason or inline("its 'applies when' is false"), ")")
                )
                continue
            if state.applies == "error":
                excluded.append(inline(crule.rule.title, " (", state.reason, ")"))
                continue
            refs = tuple(t.value for t in crule.rule.refs)
            cited += [(crule.rule.title, ref) for ref in refs]
            notes: list[str] = []
            if state.applies == "maybe":
                notes.append(f"This {crule.rule.kind} may apply: {plain_text(state.reason)}.")
            if crule.clause is None:
                without.append(inline(crule.rule.title, f" ({kind})"))
                continue
            clause_no += 1
            text, note = _clause_text(view, crule, state, bid is not None)
            if note:
                notes.append(note)
            blocks.append(
                ClauseBlock(
                    f"{number}.{clause_no}",
                    crule.rule.title,
                    kind,
                    tuple(_paragraphs(text)) if text else (),
                    refs,
                    tuple(notes),
                )
            )
        if without:
            blocks.append(
                Paragraph(
                    inline(
                        "Also assessed under this heading, with no contract wording: ", *_joined(without), "."
                    ),
                    "note",
                )
            )
        if excluded:
            blocks.append(
                Paragraph(inline("Not applicable to this contract: ", *_joined(excluded), "."), "note")
            )
        sections.append(Section(view.theme_title(theme), str(number), tuple(blocks)))

    if compiled.kpis:
        number += 1
        sections.append(_kpi_section(view, env, str(number), bid is not None, cited))
    if compiled.criteria:
        number += 1
        sections.append(Section("Award criteria and weights", str(number), (_criteria_table(view, env),)))
    if compiled.measures:
        number += 1
        sections.append(
            Section("Social value measures", str(number), tuple(_measure_blocks(view, params, bid)))
        )
    if bid is not None:
        number += 1
        sections.append(Section("Commitments in the tender", str(number), _commitments(view, values or {})))
    if compiled.params:
        number += 1
        sections.append(Section("Values in force", str(number), (_params_table(view, result),)))
    number += 1
    for m in p.measures:
        cited += [(m.title, t.value) for t in m.refs]
    sections.append(Section("References", str(number), _references(cited)))

    title = "Social value schedule" if bid is None else f"Social value schedule: {bid.bidder}"
    return Document(
        "schedule",
        title,
        p.title,
        view.header("social value schedule"),
        tuple(facts),
        tuple(intro),
        tuple(sections),
        view.footer("Schedule"),
        date=result.as_of,
        author=p.authority,
    )


def _position(policy: n.Policy, rule: n.Rule) -> int:
    for i, r in enumerate(policy.rules):
        if r is rule:
            return i
    return len(policy.rules)


def _rule_kind(rule: n.Rule) -> str:
    if isinstance(rule, n.Criterion):
        return f"award criterion, weight {show(rule.weight.value, units.PERCENT)}"
    if isinstance(rule, n.Kpi):
        return "key performance indicator" + (", material" if rule.material else "")
    return "requirement"


def _clause_text(
    view: PolicyView, crule: CompiledRule, state: RuleState, has_bid: bool
) -> tuple[str | None, str | None]:
    assert state.env is not None
    try:
        return view.render_template(crule, "clause", view.context(crule, state.env)), None
    except TemplateRenderError as err:
        if err.needs_delivery:
            return (
                None,
                "The wording of this clause depends on the delivery figures reported during the contract.",
            )
        missing = [
            k
            for k, why in (state.env.lets.pending.items() if isinstance(state.env.lets, _Lets) else [])
            if why == "missing"
        ]
        if has_bid and missing:
            return (
                None,
                f"The wording of this clause depends on values the tender does not state ({', '.join(missing)}).",
            )
        if has_bid:
            raise view.template_error(crule, "clause", err) from None
        return (
            None,
            "The wording of this clause depends on the successful supplier's tender; it is completed when the contract is awarded.",
        )


def _paragraphs(text: str) -> list[str]:
    return [p.strip("\n") for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]


def _kpi_section(
    view: PolicyView, env: Env, number: str, has_bid: bool, cited: list[tuple[str, str]]
) -> Section:
    blocks: list[Block] = []
    rows = []
    lets: list[Inline] = []
    clause_no = 0
    for crule in view.compiled.kpis:
        rule = crule.rule
        assert isinstance(rule, n.Kpi)
        state = view.state(crule, env)
        if state.applies == "no":
            continue
        parts: list[Any] = []
        for i, line in enumerate(rule.rating.lines):
            if i:
                parts.append("; ")
            if line.test == "otherwise":
                parts.append("otherwise")
            else:
                parts += ["at least " if line.test == "at_least" else "at most ", words(line.threshold)]  # type: ignore[arg-type]
            parts.append(f": {str(line.result).replace('_', ' ')}")
        rows.append(
            (
                inline(rule.title),
                inline("yes" if rule.material else "no"),
                inline(words(rule.rating.value)),
                inline(*parts),
            )
        )
        for let in rule.lets:
            lets.append(inline(code(let.name), f" ({rule.title}) is worked out as ", words(let.value)))
        refs = tuple(t.value for t in rule.refs)
        cited += [(rule.title, ref) for ref in refs]
        if crule.clause is not None:
            clause_no += 1
            text, note = _clause_text(view, crule, state, has_bid)
            blocks.append(
                ClauseBlock(
                    f"{number}.{clause_no}",
                    rule.title,
                    _rule_kind(rule),
                    tuple(_paragraphs(text)) if text else (),
                    refs,
                    (note,) if note else (),
                )
            )
    table = Table(
        ("Key performance indicator", "Material", "Rated on", "Ratings, first match from the top"),
        tuple(rows),
    )
    intro = Paragraph(
        inline(
            "The Supplier's performance is assessed at least every twelve months against these key performance indicators (Procurement Act 2023, section 52), each rated good, approaching target, requires improvement, inadequate or other."
        )
    )
    where = [Paragraph(inline("Where ", *_joined(lets), "."))] if lets else []
    return Section("Key performance indicators", number, (intro, table, *where, *blocks))


def _criteria_table(view: PolicyView, env: Env) -> Table:
    rows = []
    total = Decimal(0)
    for crule in view.compiled.criteria:
        rule = crule.rule
        assert isinstance(rule, n.Criterion)
        state = view.state(crule, env)
        weight = rule.weight.value
        note = {"no": " (does not apply to this contract)", "maybe": " (may apply)"}.get(state.applies, "")
        if state.applies != "no":
            total += weight  # type: ignore[operator]
        rows.append(
            (
                inline(rule.title, note),
                inline(view.theme_title(rule.theme)),
                inline(show(weight, units.PERCENT)),
                short_method(rule),
            )
        )
    return Table(
        ("Criterion", "Theme", "Weight", "How it is scored"),
        tuple(rows),
        (False, False, True, False),
        (inline("Total"), inline(""), inline(show(total, units.PERCENT)), inline("")),
    )


def _measure_blocks(view: PolicyView, params: Mapping[str, Any], bid: BidResult | None) -> list[Block]:
    env = Env({}, {}, dict(params))
    rows = []
    for m in view.compiled.measures:
        proxy = m.proxy(env)
        unit = m.measure.unit.value if m.measure.unit else "unit"
        row: tuple[Inline, ...] = (
            inline(m.measure.title, " (", code(f"bid.{m.measure.name}"), ")"),
            inline(unit),
            inline(show(proxy, units.MONEY), f" per {unit}"),
        )
        if bid is not None:
            value = next(v for v in bid.social_value.measures if v.id == m.measure.name)
            row += (inline(show(value.quantity, units.NUMBER)), inline(show(value.value, units.MONEY)))
        rows.append(row)
    header: tuple[str, ...] = ("Measure", "Unit", "Proxy value")
    numeric: tuple[bool, ...] = (False, False, True)
    total = None
    if bid is not None:
        header += ("Committed", "Social value")
        numeric += (True, True)
        total = (
            inline("Total"),
            inline(""),
            inline(""),
            inline(""),
            inline(show(bid.social_value.total, units.MONEY)),
        )
    lead = Paragraph(
        inline(
            "A tender's social value is the sum, over these measures, of the quantity it commits to × the proxy value of one unit. A measure the tender does not state counts as 0."
        )
    )
    return [lead, Table(header, tuple(rows), numeric, total)]


def _commitments(view: PolicyView, values: Mapping[str, Any]) -> tuple[Block, ...]:
    measures = {m.name for m in view.policy.measures}
    rows = []
    for name, decl in view.bid_fields.items():
        if name in measures:
            continue
        value = values.get(name)
        rows.append(
            (
                inline(decl.description or name),
                inline(code(f"bid.{name}")),
                inline(show(value, units.expression_type(decl.type))),
            )
        )
    lead = Paragraph(
        inline(
            "The tender's answers, as evaluated; the clauses above that use them make them part of the contract."
        )
    )
    return (lead, Table(("Commitment", "Field", "In the tender"), tuple(rows), (False, False, True)))


def _params_table(view: PolicyView, result: TenderResult) -> Table:
    rows = []
    for name, (value, type_) in result.params.items():
        rows.append((inline(code(name)), inline(show(value, type_)), inline(view.param_schedule(name))))
    return Table(
        ("Parameter", f"In force on {show(result.as_of, units.DATE)}", "Set by the policy"), tuple(rows)
    )


def _references(cited: list[tuple[str, str]]) -> tuple[Block, ...]:
    if not cited:
        return (Paragraph(inline("The policy cites no references for these terms.")),)
    by_ref: dict[str, list[str]] = {}
    for title, ref in cited:
        by_ref.setdefault(ref, [])
        if title not in by_ref[ref]:
            by_ref[ref].append(title)
    return (
        Table(
            ("Reference", "Cited by"),
            tuple((inline(ref), inline("; ".join(titles))) for ref, titles in by_ref.items()),
        ),
    )


# ================================================================ the methodology


def methodology(
    compiled: CompiledPolicy, tender: Tender | None = None, as_of: date | None = None
) -> Document:
    """How tenders are assessed under the policy (Procurement Act 2023, section 23(3))."""
    view = PolicyView(compiled)
    p = view.policy
    result = _evaluated(view, tender, as_of) if tender is not None else None
    env = (
        view.env(tender.contract, None, _params(result))
        if tender is not None and result is not None
        else None
    )
    day, in_force = (result.as_of, result.params) if result is not None else (as_of, None)
    if result is None and as_of is not None:
        values = resolve_params(compiled, as_of)
        in_force = {prm.param.name: (values[prm.param.name], prm.type) for prm in compiled.params}
    facts = view.policy_facts()
    if tender is not None and (tender.title or tender.id):
        facts.insert(0, ("Contract", inline(tender.title or tender.id or "")))
    if day is not None:
        facts.append(("Values as of", inline(show(day, units.DATE))))
    weights = sum((c.weight for c in compiled.criteria), Decimal(0))
    intro = [
        Paragraph(
            inline(
                f"This is the assessment methodology for the social value award criteria of {p.title} (Procurement Act 2023, section 23(3)): how each tender is assessed, which requirements disqualify a tender, and how each criterion is scored and weighted."
            ),
            "lead",
        )
    ]
    sections: list[Section] = []
    if p.summary:
        sections.append(
            Section("Summary", None, tuple(Paragraph(inline(par)) for par in _paragraphs(p.summary)))
        )
    if tender is not None:
        sections.append(
            Section(
                "The contract",
                None,
                (
                    Facts(
                        tuple(
                            (
                                view.describe_field("contract", k),
                                inline(show(tender.contract.get(k), view.field_type("contract", k))),
                            )
                            for k in view.contract_fields
                        )
                    ),
                ),
            )
        )
    overview = [
        *(
            [Paragraph(inline("The policy covers a contract when ", view.condition(p.applies), "."))]
            if p.applies is not None
            else []
        ),
        Paragraph(
            inline(
                "A tender must meet every requirement that applies to the contract. A tender that fails one is disqualified: it is not scored or ranked."
            )
        ),
        Paragraph(
            inline(
                f"Each compliant tender is then scored on each award criterion from 0% to 100%. A criterion's points are its score × its weight, as marks out of 100 for the whole tender. These criteria carry {show(weights, units.PERCENT)} of the marks"
                + (
                    "."
                    if weights == 1
                    else f"; the other {show(1 - weights, units.PERCENT)} are assessed outside this policy (for example price and quality)."
                )
            )
        ),
        Paragraph(
            inline(
                "Scores, points and totals are worked out exactly and rounded half up to 10 decimal places. Tenders are ranked by their total points, highest first; equal totals share a rank. Relative scores compare the compliant tenders only."
            )
        ),
    ]
    number = 1
    sections.append(Section("How tenders are assessed", str(number), tuple(overview)))
    if compiled.requirements:
        number += 1
        sections.append(
            Section(
                "Requirements: pass or fail", str(number), tuple(_requirement_blocks(view, env, str(number)))
            )
        )
    if compiled.criteria:
        number += 1
        sections.append(
            Section("Award criteria", str(number), tuple(_criterion_blocks(view, env, str(number))))
        )
    if compiled.measures:
        number += 1
        params = {k: v for k, (v, _t) in in_force.items()} if in_force is not None else {}
        blocks = (
            _measure_blocks(view, params, None) if in_force is not None else _measure_blocks_undated(view)
        )
        users = [
            c.rule.title
            for c in compiled.criteria
            if any(isinstance(e, n.Name) and e.name == "social_value" for e in walk(c.rule.score.value))
        ]  # type: ignore[union-attr]
        if users:
            blocks.append(Paragraph(inline("The social value is scored by: ", "; ".join(users), ".")))
        sections.append(Section("Social value measures", str(number), tuple(blocks)))
    if compiled.params:
        number += 1
        rows = [
            (inline(code(prm.param.name)), inline(view.param_schedule(prm.param.name)))
            for prm in compiled.params
        ]
        header: tuple[str, ...] = ("Parameter", "Value")
        if in_force is not None and day is not None:
            rows = [
                (r[0], r[1], inline(show(in_force[prm.param.name][0], prm.type)))
                for r, prm in zip(rows, compiled.params, strict=True)
            ]
            header += (f"In force on {show(day, units.DATE)}",)
        sections.append(
            Section(
                "Parameters",
                str(number),
                (
                    Paragraph(inline("Values the policy sets; a dated value applies from its date.")),
                    Table(header, tuple(rows)),
                ),
            )
        )
    cited = [(r.title, t.value) for r in p.rules if not isinstance(r, n.Kpi) for t in r.refs]
    number += 1
    sections.append(Section("References", str(number), _references(cited)))
    return Document(
        "methodology",
        "Assessment methodology",
        p.title,
        view.header("assessment methodology"),
        tuple(facts),
        tuple(intro),
        tuple(sections),
        view.footer("Methodology"),
        date=day or p.effective,
        author=p.authority,
    )


def _measure_blocks_undated(view: PolicyView) -> list[Block]:
    rows = []
    for m in view.compiled.measures:
        unit = m.measure.unit.value if m.measure.unit else "unit"
        rows.append(
            (
                inline(m.measure.title, " (", code(f"bid.{m.measure.name}"), ")"),
                inline(unit),
                inline(words(m.measure.proxy), f" per {unit}"),
            )
        )
    lead = Paragraph(
        inline(
            "A tender's social value is the sum, over these measures, of the quantity it commits to × the proxy value of one unit. A measure the tender does not state counts as 0."
        )
    )
    return [lead, Table(("Measure", "Unit", "Proxy value"), tuple(rows), (False, False, True))]


def _applies_fact(view: PolicyView, crule: CompiledRule, env: Env | None) -> Inline:
    rule = crule.rule
    if env is None:
        return (
            inline("to every contract the policy covers")
            if rule.applies is None
            else inline("when ", view.condition(rule.applies))
        )
    state = view.state(crule, env)
    if state.applies == "yes":
        return (
            inline("to this contract")
            if rule.applies is None
            else inline("to this contract (", view.condition(rule.applies), ")")
        )
    if state.applies == "maybe":
        return inline("depending on the tender: when ", view.condition(rule.applies))  # type: ignore[arg-type]
    return inline("not to this contract (", state.reason, ")")


def _requirement_blocks(view: PolicyView, env: Env | None, number: str) -> list[Block]:
    blocks: list[Block] = [
        Paragraph(
            inline(
                "Each requirement below is pass or fail. Failing any requirement that applies disqualifies the tender."
            )
        )
    ]
    for i, crule in enumerate(view.compiled.requirements, start=1):
        rule = crule.rule
        assert isinstance(rule, n.Requirement)
        state = view.state(crule, env) if env is not None else None
        facts: list[tuple[str, Inline]] = [
            ("Applies", _applies_fact(view, crule, env)),
            ("Met when", view.condition(rule.met_when)),
        ]
        if rule.theme:
            facts.insert(0, ("Theme", inline(view.theme_title(rule.theme))))
        for ref in rule.refs:
            facts.append(("Source", inline(ref.value)))
        inner: list[Block] = [Facts(tuple(facts))]
        optional = _optional_bid_fields(
            view, [rule.applies, *(let.value for let in rule.lets), rule.met_when]
        )
        if optional:
            inner.append(
                Paragraph(
                    inline(
                        "A tender that does not state ",
                        *_joined([inline(code(f"bid.{f}")) for f in optional]),
                        " does not meet this requirement.",
                    ),
                    "note",
                )
            )
        legend = view.legend([rule.applies, rule.met_when], crule, state.env if state else None)
        if legend:
            inner.append(legend)
        blocks.append(Section(rule.title, f"{number}.{i}", tuple(inner)))
    return blocks


def _criterion_blocks(view: PolicyView, env: Env | None, number: str) -> list[Block]:
    rows = []
    for crule in view.compiled.criteria:
        rule = crule.rule
        assert isinstance(rule, n.Criterion)
        rows.append(
            (
                inline(rule.title),
                inline(view.theme_title(rule.theme)),
                inline(show(rule.weight.value, units.PERCENT)),
                inline(scores_available(rule)),
            )
        )
    total = sum((c.weight for c in view.compiled.criteria), Decimal(0))
    blocks: list[Block] = [
        Table(
            ("Criterion", "Theme", "Weight", "Scores available"),
            tuple(rows),
            (False, False, True, False),
            (inline("Total"), inline(""), inline(show(total, units.PERCENT)), inline("")),
        )
    ]
    for i, crule in enumerate(view.compiled.criteria, start=1):
        rule = crule.rule
        assert isinstance(rule, n.Criterion)
        state = view.state(crule, env) if env is not None else None
        facts: list[tuple[str, Inline]] = [
            ("Weight", inline(show(rule.weight.value, units.PERCENT))),
            ("Applies", _applies_fact(view, crule, env)),
            ("Scores available", inline(scores_available(rule))),
        ]
        if rule.theme:
            facts.insert(0, ("Theme", inline(view.theme_title(rule.theme))))
        for ref in rule.refs:
            facts.append(("Source", inline(ref.value)))
        inner: list[Block] = [Facts(tuple(facts)), *method_blocks(view, crule, state.env if state else None)]
        blocks.append(Section(rule.title, f"{number}.{i}", tuple(inner)))
    return blocks


# ================================================================ the assessment summary


def feedback(
    compiled: CompiledPolicy, result: TenderResult, bidder: str, compare_winner: bool = False
) -> Document:
    """The assessment summary for one bidder (regulation 31 of the Procurement Regulations 2024)."""
    view = PolicyView(compiled)
    if not result.applies:
        raise InputError(
            [
                Diagnostic(
                    "policy-not-applicable",
                    f"policy '{view.policy.name}' does not apply to this tender's contract, so no tender was assessed",
                    None,
                    "check the contract's values",
                )
            ]
        )
    bid = find_bid(result, bidder)
    return _Feedback(view, result, bid, compare_winner).document()


def feedback_all(
    compiled: CompiledPolicy, result: TenderResult, compare_winner: bool = False
) -> list[tuple[str, Document]]:
    """Every bidder's assessment summary, in the tender's order, with unique file stems."""
    stems = file_stems([b.bidder for b in result.bids])
    return [(stems[b.bidder], feedback(compiled, result, b.bidder, compare_winner)) for b in result.bids]


def file_stems(bidders: list[str]) -> dict[str, str]:
    """Slugs of bidder names (`Dale & Sons Ltd` → `dale-sons-ltd`), unique and deterministic."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for index, name in enumerate(bidders, start=1):
        ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
        stem = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:60].strip("-") or f"bidder-{index}"
        candidate, k = stem, 2
        while candidate in used:
            candidate, k = f"{stem}-{k}", k + 1
        used.add(candidate)
        out[name] = candidate
    return out


@dataclass
class _Feedback:
    view: PolicyView
    result: TenderResult
    bid: BidResult
    compare: bool
    winner: BidResult | None = field(init=False, default=None)
    tied: list[BidResult] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        firsts = [b for b in self.result.bids if b.rank == 1]
        self.tied = firsts
        self.winner = firsts[0] if firsts else None

    def contract_env(self) -> Env:
        tender_contract = next(
            (
                r.detail[0].contract
                for r in self.bid.criteria
                if isinstance(r.detail, tuple) and r.detail and isinstance(r.detail[0], Env)
            ),
            None,
        )
        return self.view.env(tender_contract, None, _params(self.result))

    def criterion_rule(self, c: RuleResult) -> CompiledRule:
        return self.view.rules[("criterion", c.id)]

    def document(self) -> Document:
        view, bid, result = self.view, self.bid, self.result
        p = view.policy
        facts: list[tuple[str, Inline]] = [("Supplier", inline(bid.bidder))]
        if result.tender_title or result.tender_id:
            facts.append(("Tender", inline(result.tender_title or result.tender_id or "")))
        facts += view.policy_facts()
        facts.append(("Assessed as of", inline(show(result.as_of, units.DATE))))
        facts.append(("Outcome", inline(self.outcome_words())))
        weights = sum((c.weight for c in view.compiled.criteria), Decimal(0))
        intro = [
            Paragraph(
                inline(
                    f"This assessment summary explains how {bid.bidder}'s tender was assessed against the social value requirements and award criteria of {p.title} (regulation 31 of the Procurement Regulations 2024)."
                ),
                "lead",
            ),
            Paragraph(
                inline(
                    f"The award criteria and assessment methodology are set out in full in the assessment methodology for this policy ({p.name}, {view.version_text}), published with the tender documents. A criterion's score is a percentage of its weight; its points are the score × the weight, as marks out of 100 for the whole tender. These criteria carry {show(weights, units.PERCENT)} of the marks"
                    + (
                        "."
                        if weights == 1
                        else f"; the other {show(1 - weights, units.PERCENT)} are assessed outside this policy."
                    )
                    + " Figures are shown to two decimal places; totals and ranks use the exact values."
                )
            ),
        ]
        sections = [Section("Outcome", "1", tuple(self.outcome_blocks()))]
        sections.append(Section("Requirements", "2", tuple(self.requirement_blocks())))
        if bid.compliant:
            sections.append(Section("Scores", "3", tuple(self.score_blocks())))
            sections.append(
                Section("How each criterion was scored", "4", tuple(self.criterion_sections("4")))
            )
            if bid.social_value.measures:
                sections.append(
                    Section("Social value offered", "5", tuple(_measure_blocks(view, _params(result), bid)))
                )
        return Document(
            "feedback",
            f"Assessment summary: {bid.bidder}",
            p.title,
            view.header("assessment summary"),
            tuple(facts),
            tuple(intro),
            tuple(sections),
            view.footer("Assessment summary"),
            date=result.as_of,
            author=p.authority,
        )

    # ------------------------------------------------------------ outcome

    def compliant_count(self) -> int:
        return sum(1 for b in self.result.bids if b.compliant)

    def outcome_words(self) -> str:
        bid = self.bid
        if not bid.compliant:
            return "disqualified: the tender does not meet every requirement, so it was not scored or ranked"
        if bid.total_score is None:
            titles = [c.title for c in bid.criteria if c.outcome == "error"]
            return (
                "not yet ranked: "
                + ", ".join(titles)
                + (" needs" if len(titles) == 1 else " need")
                + " attention"
            )
        ranked = len(self.result.ranked)
        if bid.rank == 1:
            return f"highest score ({points(bid.total_score)} points)" + (
                " — tied" if len(self.tied) > 1 else ""
            )
        return f"ranked {bid.rank} of {ranked} with {points(bid.total_score)} points"

    def outcome_blocks(self) -> list[Block]:
        bid, view = self.bid, self.view
        out: list[Block] = []
        if not bid.compliant:
            failed = [r for r in bid.requirements if r.outcome in ("not_met", "error")]
            names = "; ".join(r.title for r in failed)
            out.append(
                Paragraph(
                    inline(
                        f"Your tender was disqualified because it does not meet {'this requirement' if len(failed) == 1 else 'these requirements'}: {names}. A tender must meet every requirement that applies to the contract to be scored, so your tender was not scored or ranked. Section 2 gives the reason for each requirement by reference to your tender."
                    )
                )
            )
            return out
        available = bid.available_weight or Decimal(0)
        if bid.total_score is None:
            attention = [c for c in bid.criteria if c.outcome == "error"]
            for c in attention:
                out.append(
                    Paragraph(
                        inline(
                            f"The criterion {c.title} could not be scored: {view.reason(self.criterion_rule(c), c)}. Until it is resolved your tender has no total score and no rank."
                        )
                    )
                )
            return out
        out.append(
            Paragraph(
                inline(
                    f"Your tender meets every requirement and scored {points(bid.total_score)} points out of the {points(available)} available under these criteria."
                )
            )
        )
        if bid.rank == 1:
            if len(self.tied) > 1:
                others = [b.bidder for b in self.tied if b is not bid]
                out.append(Paragraph(inline(f"It shares the highest score with {', '.join(others)}.")))
            else:
                out.append(
                    Paragraph(
                        inline(
                            f"It is the highest-scoring of the {self.compliant_count()} compliant tenders under these criteria."
                        )
                    )
                )
            return out
        winner = self.winner
        assert winner is not None and winner.total_score is not None
        out.append(
            Paragraph(
                inline(
                    f"It ranked {bid.rank} of the {len(self.result.ranked)} ranked tenders. The highest-scoring tender scored {points(winner.total_score)} points, {points(winner.total_score - bid.total_score)} more than yours."
                )
            )
        )
        behind = []
        for mine, theirs in zip(bid.criteria, winner.criteria, strict=True):
            gap = (theirs.points or Decimal(0)) - (mine.points or Decimal(0))
            if gap > 0:
                behind.append((gap, mine, theirs))
        behind.sort(key=lambda item: -item[0])
        if behind:
            if self.compare:
                items = tuple(
                    inline(
                        f"{m.title}: {points(m.points)} points against {points(t.points)} (a difference of {points(g)})"
                    )
                    for g, m, t in behind
                )
            else:
                items = tuple(
                    inline(f"{m.title}: your tender scored {pct(m.score)} of its {pct(m.weight)} weight")
                    for _g, m, _t in behind
                )
            out.append(
                Paragraph(
                    inline(
                        "The highest-scoring tender gained more points than yours on these criteria, largest difference first:"
                    )
                )
            )
            out.append(Bullets(items))
            ahead = [
                m.title
                for m, t in zip(bid.criteria, winner.criteria, strict=True)
                if (m.points or 0) > (t.points or 0)
            ]
            if ahead:
                out.append(
                    Paragraph(
                        inline(
                            "Your tender gained more points than the highest-scoring tender on: ",
                            "; ".join(ahead),
                            ".",
                        )
                    )
                )
            out.append(
                Paragraph(
                    inline(
                        "Section 4 explains each of your scores by reference to your tender and what would have scored higher."
                    )
                )
            )
        return out

    # ------------------------------------------------------------ requirements

    def requirement_blocks(self) -> list[Block]:
        bid, view = self.bid, self.view
        if not bid.requirements:
            return [Paragraph(inline("The policy sets no pass or fail requirements."))]
        rows = []
        words_ = {
            "met": "met",
            "not_met": "not met",
            "not_applicable": "does not apply",
            "error": "could not be decided",
        }
        for r in bid.requirements:
            rows.append(
                (
                    inline(r.title),
                    inline(words_[r.outcome]),
                    inline(view.reason(view.rules[("requirement", r.id)], r)),
                )
            )
        out: list[Block] = [Table(("Requirement", "Outcome", "Reason"), tuple(rows))]
        for r in bid.requirements:
            if r.outcome not in ("not_met", "error"):
                continue
            crule = view.rules[("requirement", r.id)]
            inner: list[Block] = [
                Facts(
                    tuple(
                        [
                            (
                                "Outcome",
                                inline(
                                    "not met: the tender is disqualified"
                                    if r.outcome == "not_met"
                                    else "could not be decided: the tender is disqualified"
                                ),
                            ),
                            ("Required", view.condition(crule.rule.met_when)),
                            ("Reason", inline(view.reason(crule, r))),
                        ]
                        + [("Source", inline(ref)) for ref in r.refs]
                    )
                ),
            ]
            table = self.trace_table(crule, r)
            if table:
                inner.append(table)
            out.append(Section(f"Not met: {r.title}", None, tuple(inner)))
        return out

    def trace_table(self, crule: CompiledRule, r: RuleResult) -> Table | None:
        """The values from the tender (and the contract) that decided an outcome."""
        view = self.view
        lets = {let.name: let.value for let in crule.rule.lets}
        rows = []
        for entry in r.trace:
            name = entry["name"]
            type_ = self._type_of(crule, name)
            value = None if entry.get("missing") else _from_json(entry["value"], type_)
            if name.startswith("bid."):
                meaning = inline(view.describe_field("bid", name[4:]), " (your tender)")
            else:
                meaning = view._meaning(name, lets, "your tender")
            rows.append(
                (inline(code(name)), meaning, inline("not stated" if value is None else show(value, type_)))
            )
        if not rows:
            return None
        return Table(("Value", "What it is", "Amount"), tuple(rows), (False, False, True))

    def _type_of(self, crule: CompiledRule, name: str) -> str:
        if name.startswith(("bid.", "contract.")):
            root, field_name = name.split(".", 1)
            return self.view.field_type(root, field_name)
        if name == "social_value":
            return units.MONEY
        if name in crule.let_types:
            return crule.let_types[name]
        return self.view.checked.param_types.get(name, "")

    # ------------------------------------------------------------ scores

    def score_blocks(self) -> list[Block]:
        bid, view, winner = self.bid, self.view, self.winner
        compare = self.compare and winner is not None and winner is not bid
        header: tuple[str, ...] = ("Criterion", "Theme", "Weight", "Score", "Points")
        numeric: tuple[bool, ...] = (False, False, True, True, True)
        if compare:
            header += ("Winning tender's score", "Winning tender's points")
            numeric += (True, True)
        rows = []
        for i, c in enumerate(bid.criteria):
            row: tuple[Inline, ...] = (
                inline(c.title),
                inline(view.theme_title(c.theme)),
                inline(pct(c.weight)),
                inline(self.score_text(c)),
                inline(self.points_text(c)),
            )
            if compare:
                w = winner.criteria[i]  # type: ignore[union-attr]
                row += (inline(self.score_text(w)), inline(self.points_text(w)))
            rows.append(row)
        total: tuple[Inline, ...] = (
            inline("Total"),
            inline(""),
            inline(pct(bid.available_weight)),
            inline(""),
            inline(points(bid.total_score)),
        )
        if compare:
            total += (inline(""), inline(points(winner.total_score)))  # type: ignore[union-attr]
        out: list[Block] = [Table(header, tuple(rows), numeric, total)]
        # sub-totals by theme
        themes = view.sections_in_order(c.rule for c in view.compiled.criteria)
        sub_rows = []
        for theme in themes:
            mine = [c for c in bid.criteria if c.theme == theme]
            weight = sum((c.weight or Decimal(0) for c in mine if c.outcome != "not_applicable"), Decimal(0))
            got = sum((c.points or Decimal(0) for c in mine), Decimal(0))
            row = (inline(view.theme_title(theme)), inline(pct(weight)), inline(points(got)))
            if compare:
                theirs = [c for c in winner.criteria if c.theme == theme]  # type: ignore[union-attr]
                row += (inline(points(sum((c.points or Decimal(0) for c in theirs), Decimal(0)))),)
            sub_rows.append(row)
        sub_header: tuple[str, ...] = ("Theme", "Weight available", "Points")
        if compare:
            sub_header += ("Winning tender's points",)
        out.append(Paragraph(inline(strong("Sub-totals by theme"))))
        out.append(Table(sub_header, tuple(sub_rows), (False, True, True, True)[: len(sub_header)]))
        return out

    @staticmethod
    def score_text(c: RuleResult) -> str:
        if c.outcome == "scored":
            return pct(c.score)
        return {"not_applicable": "does not apply", "error": "needs attention", "not_scored": "not scored"}[
            c.outcome
        ]

    @staticmethod
    def points_text(c: RuleResult) -> str:
        return points(c.points) if c.points is not None else "—"

    def criterion_sections(self, number: str) -> list[Block]:
        out: list[Block] = []
        for i, c in enumerate(self.bid.criteria, start=1):
            crule = self.criterion_rule(c)
            rule = crule.rule
            assert isinstance(rule, n.Criterion)
            facts: list[tuple[str, Inline]] = [
                ("Weight", inline(pct(c.weight))),
                ("Scores available", inline(scores_available(rule))),
                ("Your score", inline(self.your_score(c))),
            ]
            if self.compare and self.winner is not None and self.winner is not self.bid:
                w = self.winner.criteria[i - 1]
                facts.append(("Winning tender's score", inline(self.your_score(w))))
            for ref in rule.refs:
                facts.append(("Source", inline(ref.value)))
            inner: list[Block] = [Facts(tuple(facts))]
            inner += method_blocks(self.view, crule, self.contract_env(), with_legend=False)
            if c.outcome == "not_applicable":
                inner.append(
                    Paragraph(
                        inline(
                            f"This criterion does not apply: {self.view.reason(crule, c)}. Its weight is not available to any tender."
                        )
                    )
                )
            else:
                inner.append(Paragraph(inline(strong("Why:"), " ", self.view.reason(crule, c))))
                table = self.trace_table(crule, c)
                if table:
                    inner.append(
                        Paragraph(
                            inline("The values from your tender and the contract that decided the score:")
                        )
                    )
                    inner.append(table)
                higher = self.to_score_higher(crule, c)
                if higher:
                    inner.append(Paragraph(inline(strong("To score higher:"), " ", higher)))
            out.append(Section(c.title, f"{number}.{i}", tuple(inner)))
        return out

    @staticmethod
    def your_score(c: RuleResult) -> str:
        if c.outcome == "scored":
            return f"{pct(c.score)}, which is {points(c.points)} of {points(c.weight)} points"
        return _Feedback.score_text(c)

    def to_score_higher(self, crule: CompiledRule, c: RuleResult) -> Inline | None:
        """What the next better score needed, for bands, straight lines and scales."""
        if c.outcome != "scored" or c.score is None or c.score >= 1:
            return None
        detail = (
            c.detail[1]
            if isinstance(c.detail, tuple) and len(c.detail) == 2 and isinstance(c.detail[0], Env)
            else c.detail
        )
        env = (
            c.detail[0]
            if isinstance(c.detail, tuple) and len(c.detail) == 2 and isinstance(c.detail[0], Env)
            else None
        )
        rule = crule.rule
        assert isinstance(rule, n.Criterion)
        s = rule.score
        value_type = self.view.checked.types.get(id(s.value), "")
        if not isinstance(detail, tuple) or not detail:
            return None
        if detail[0] == "band" and isinstance(s, n.BandScore) and crule.scorer is not None:
            index = detail[2] if detail[2] is not None else len(s.bands)
            for j in range(index - 1, -1, -1):
                band = s.bands[j]
                band_score = band.result.value  # type: ignore[union-attr]
                if band_score > c.score and band.test != "otherwise":
                    threshold = crule.scorer.bands[j][1]
                    shown = plain_text(words(band.threshold))  # type: ignore[arg-type]
                    if env is not None and threshold is not None:
                        run_env = Env(env.contract, env.bid, env.params, env.social_value, env.delivery)
                        run_env.lets = dict(c.lets)
                        try:
                            shown = show(threshold(run_env), value_type)
                        except (MissingField, *_FAILURES):
                            pass
                    word = "at least" if band.test == "at_least" else "at most"
                    return inline(
                        words(s.value),
                        f" of {word} {shown} (yours was {show(detail[1], value_type)}) would have scored {show(band_score, units.PERCENT)}.",
                    )
            return None
        if detail[0] == "missing":
            return inline(
                "your tender does not state ",
                code(detail[1]),
                "; a tender that states it is scored on its value.",
            )
        if detail[0] == "linear":
            _, value, low, high = detail
            word = "or more" if high > low else "or less"
            return inline(
                words(s.value),
                f" of {show(high, value_type)} {word} would have scored 100% (yours was {show(value, value_type)}).",
            )
        if detail[0] == "expr" and isinstance(s, n.ExprScore):
            chain = _conditional_chain(s.value)
            better = [(cond, lit) for cond, lit in (chain or []) if cond is not None and lit.value > c.score]  # type: ignore[operator]
            if better:
                cond, lit = better[-1]
                return inline(
                    "a tender for which ",
                    self.view.condition(cond),
                    f" would have scored {show(lit.value, units.PERCENT)}.",
                )  # type: ignore[arg-type]
        if detail[0] == "scale" and isinstance(s, n.ScaleScore):
            above = sorted((lv for lv in s.levels if lv.level.value > c.score), key=lambda lv: lv.level.value)  # type: ignore[union-attr, operator, return-value]
            if above:
                nxt = above[0]
                return inline(
                    f"the next level, {show(nxt.level.value, units.PERCENT)}, is described as: {nxt.descriptor}"
                )  # type: ignore[union-attr]
        return None


def _from_json(value: Any, type_: str) -> Any:
    if value is None:
        return None
    if type_ in (units.MONEY, units.NUMBER, units.PERCENT, "count") and isinstance(value, str):
        try:
            return Decimal(value)
        except DecimalException:
            return value
    if type_ == units.DATE and isinstance(value, str):
        return date.fromisoformat(value)
    return value


# ================================================================ entry points for the API


def compiled_of(result: TenderResult) -> CompiledPolicy:
    """The compiled policy a result came from (its rule results' explainer holds it)."""
    for bid in result.bids:
        for r in (*bid.requirements, *bid.criteria):
            compiled = getattr(r.explainer, "compiled", None)
            if isinstance(compiled, CompiledPolicy):
                return compiled
    raise InputError(
        [
            Diagnostic(
                "policy-not-applicable",
                "this result holds no assessed tender, so there is no assessment summary to write",
                None,
                "evaluate a tender the policy applies to",
            )
        ]
    )


def tender_input(policy: Any, tender: Any) -> Tender:
    return tender if isinstance(tender, Tender) else policy.validate(tender)
