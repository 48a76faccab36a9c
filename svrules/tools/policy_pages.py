"""Policies → Markdown pages a contracting authority can publish.

One page per policy: its metadata and summary, the themes, every rule in plain words
with its refs (a requirement as "A bid must …", a criterion with its weight and how it
is scored), the weights, the dated parameters, what bidders must state, the measures,
the contract clauses as they read before any bid (parameters in force on an as-of date,
anything that depends on the contract or a bid shown as `[contract.value]`), and the
policy's source. Output depends only on the policy files and the as-of date.

`policy_page(policy, as_of)` gives one page; `write_pages(folder, out, as_of)` writes a
page per policy found in a folder and an index page.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from svrules.api import Policy, load_policy
from svrules.core.decimals import (
    date_text,
    money_text,
    number_text,
    percent_text,
)
from svrules.engine.compiler import Env
from svrules.language import nodes as n
from svrules.language.checker import declared_fields
from svrules.language.templates import (
    environment,
    render,
    render_value,
    typed,
)
from svrules.tools.diff import expr_text, rating_text, score_text

PAGE_INDEX = "index.md"

# ---------------------------------------------------------------- finding policies


def find_policies(folder: Path) -> list[Path]:
    """`folder/policy.svr`, or `*/policy.svr` one level down, or a single `.svr` file; sorted."""
    if folder.is_file():
        return [folder]
    own = folder / "policy.svr"
    if own.is_file():
        return [own]
    return sorted(p for p in folder.glob("*/policy.svr") if p.is_file())


def page_name(path: Path) -> str:
    """`examples/example-borough/policy.svr` → `example-borough.md`; `x/my.svr` → `my.md`."""
    stem = path.parent.name if path.name == "policy.svr" and path.parent.name else path.stem
    return f"{stem}.md"


@dataclass(frozen=True)
class Page:
    name: str
    text: str
    policy: Policy


def build_pages(folder: Path, as_of: date) -> list[Page]:
    """A page for each policy in `folder` (loading raises `PolicyError`), and the index."""
    pages = []
    for path in find_policies(folder):
        policy = load_policy(path)
        pages.append(Page(page_name(path), policy_page(policy, as_of), policy))
    return pages


def index_page(pages: list[Page], as_of: date) -> str:
    lines = [
        "# Policies",
        "",
        "The social value policies published here, generated from their `.svr` files by "
        f"`svrules docs`. Parameter values and contract wording are as of {date_text(as_of)}.",
        "",
        "| Policy | Authority | Version | Effective | Summary |",
        "|---|---|---|---|---|",
    ]
    for page in pages:
        p = page.policy.checked.policy
        summary = _first_sentence(p.summary) if p.summary else ""
        lines.append(
            f"| [{_cell(p.title)}]({page.name}) | {_cell(p.authority or '')} | {_cell(p.version or '')} "
            f"| {date_text(p.effective) if p.effective else ''} | {_cell(summary)} |"
        )
    return "\n".join(lines) + "\n"


def write_pages(folder: Path, out: Path, as_of: date) -> list[Path]:
    """Write every policy's page and `index.md` into `out`; the paths written, in order."""
    pages = build_pages(folder, as_of)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in [(p.name, p.text) for p in pages] + [(PAGE_INDEX, index_page(pages, as_of))]:
        target = out / name
        target.write_text(text, encoding="utf-8", newline="\n")
        written.append(target)
    return written


# ---------------------------------------------------------------- words


def _lower_first(text: str) -> str:
    """`Whole-life contract value` → `whole-life contract value`; `SMEs …` stays."""
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        return text[0].lower() + text[1:]
    return text


def _words(name: str) -> str:
    return name.replace("_", " ")


def _md(text: str) -> str:
    """Policy text in Markdown prose: HTML-sensitive characters escaped."""
    return html.escape(text, quote=False)


def _cell(text: str) -> str:
    return _pipes(_md(text))


def _pipes(markdown: str) -> str:
    """Markdown already escaped, made safe for a table cell."""
    return markdown.replace("|", "\\|").replace("\n", " ")


def _code(text: str) -> str:
    ticks = "``" if "`" in text else "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def _first_sentence(text: str) -> str:
    flat = " ".join(text.split())
    match = re.match(r"(.+?[.!?])(\s|$)", flat)
    return match.group(1) if match else flat


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


class Words:
    """Expressions in plain words, for one policy on one as-of date."""

    def __init__(self, policy: Policy, params: dict[str, Any]):
        self.checked = policy.checked
        self.params = params
        self.fields = {
            root: declared_fields(policy.checked.policy, root) for root in ("contract", "bid", "delivery")
        }

    def field(self, f: n.Field) -> str:
        decl = self.fields.get(f.root, {}).get(f.name)
        if decl is not None and decl.description:
            words = _md(_lower_first(decl.description))
            return words if words.startswith("the ") else "the " + words
        owner = {"contract": "the contract's", "bid": "the bid's", "delivery": "the reported"}[f.root]
        return f"{owner} {_words(f.name)}"

    def is_yes_no_field(self, expr: n.Expr) -> bool:
        if not isinstance(expr, n.Field):
            return False
        decl = self.fields.get(expr.root, {}).get(expr.name)
        return decl is not None and decl.type == "yes/no"

    def statement(self, f: n.Field, yes: bool = True) -> str:
        """A yes/no field as a condition: `“Has a published Carbon Reduction Plan” is yes`."""
        decl = self.fields[f.root][f.name]
        label = f"“{_md(decl.description)}”" if decl.description else self.field(f)
        return f"{label} is {'yes' if yes else 'no'}"

    def param(self, name: str) -> str:
        value = self.params.get(name)
        if value is None:
            return f"*{_words(name)}*"
        return f"*{_words(name)}* ({_md(render_value(typed(value, self.checked.param_types[name])))})"

    def literal(self, lit: n.Literal) -> str:
        value = lit.value
        if lit.kind == "money":
            return money_text(value)  # type: ignore[arg-type]
        if lit.kind == "percent":
            return percent_text(value)  # type: ignore[arg-type]
        if lit.kind == "number":
            return number_text(value)  # type: ignore[arg-type]
        if lit.kind == "date":
            return date_text(value)  # type: ignore[arg-type]
        if lit.kind == "yes/no":
            return "yes" if value else "no"
        return f"“{_md(str(value))}”"

    def __call__(self, expr: n.Expr, least: int = 0) -> str:
        text, prec = self._words(expr)
        return f"({text})" if prec < least else text

    def _words(self, expr: n.Expr) -> tuple[str, int]:
        if isinstance(expr, n.Literal):
            return self.literal(expr), 9
        if isinstance(expr, n.ListLiteral):
            return ", ".join(self(i) for i in expr.items), 9
        if isinstance(expr, n.Name):
            if expr.name == "social_value":
                return "the bid's social value", 9
            if expr.name in self.checked.param_types:
                return self.param(expr.name), 9
            return f"*{_words(expr.name)}*", 9
        if isinstance(expr, n.Field):
            if self.is_yes_no_field(expr):
                return self.statement(expr), 4
            return self.field(expr), 9
        if isinstance(expr, n.Negate):
            return "minus " + self(expr.operand, 7), 7
        if isinstance(expr, n.Not):
            if self.is_yes_no_field(expr.operand):
                return self.statement(expr.operand, yes=False), 4  # type: ignore[arg-type]
            return "not " + self(expr.operand, 3), 3
        if isinstance(expr, n.Binary):
            prec = 5 if expr.op in "+-" else 6
            return f"{self(expr.left, prec)} {_ARITH_WORDS[expr.op]} {self(expr.right, prec + 1)}", prec
        if isinstance(expr, n.Logical):
            prec = 1 if expr.op == "or" else 2
            return f"{self(expr.left, prec)} {expr.op} {self(expr.right, prec + 1)}", prec
        if isinstance(expr, n.Compare):
            right = self(expr.right, 5)
            return f"{self(expr.left, 5)} {_COMPARE_WORDS[expr.op]} {right}", 4
        if isinstance(expr, n.Conditional):
            return (
                f"{self(expr.then, 1)} if {self(expr.condition, 1)}, otherwise {self(expr.otherwise, 0)}",
                0,
            )
        if isinstance(expr, n.Call):
            # "x, rounded up to a whole number" needs brackets inside a sum; "the larger of …" does not
            return self._call(expr), 8 if expr.function in ("min", "max") else 4
        raise TypeError(f"not an expression: {expr!r}")  # pragma: no cover

    def _call(self, call: n.Call) -> str:
        args = [self(a, 5) for a in call.args]
        f = call.function
        if f == "ceil":
            return f"{args[0]}, rounded up to a whole number"
        if f == "floor":
            return f"{args[0]}, rounded down to a whole number"
        if f == "round":
            places = args[1] if len(args) > 1 else "0"
            return f"{args[0]}, rounded to {places} decimal places"
        if f == "abs":
            return f"{args[0]}, ignoring its sign"
        if f in ("min", "max"):
            which = (
                ("smaller" if f == "min" else "larger")
                if len(args) == 2
                else ("smallest" if f == "min" else "largest")
            )
            return f"the {which} of {', '.join(args[:-1])} and {args[-1]}"
        if f == "clamp":
            return f"{args[0]}, but no less than {args[1]} and no more than {args[2]}"
        return f"{f}({', '.join(args)})"  # pragma: no cover - the checker knows every function

    def must(self, expr: n.Expr) -> list[str]:
        """A requirement's `met when` as what a bid must do, one item per `and`."""
        if isinstance(expr, n.Logical) and expr.op == "and":
            return self.must(expr.left) + self.must(expr.right)
        if isinstance(expr, n.Field) and expr.root == "bid" and self.is_yes_no_field(expr):
            return [f"answer yes to “{_md(self.fields['bid'][expr.name].description or _words(expr.name))}”"]
        if (
            isinstance(expr, n.Not)
            and isinstance(expr.operand, n.Field)
            and self.is_yes_no_field(expr.operand)
        ):
            decl = self.fields[expr.operand.root][expr.operand.name]
            if expr.operand.root == "bid":
                return [f"answer no to “{_md(decl.description or _words(decl.name))}”"]
        if isinstance(expr, n.Compare) and isinstance(expr.left, n.Field) and expr.left.root == "bid":
            return [f"state {self.field(expr.left)} {_HAVE_WORDS[expr.op]} {self(expr.right, 5)}"]
        return [f"meet this condition: {self(expr)}"]


# ---------------------------------------------------------------- parameters and templates


def params_in_force(policy: Policy, as_of: date) -> dict[str, Any]:
    """Each parameter's value on `as_of`; a parameter not yet in force (or not computable) is left out."""
    values: dict[str, Any] = {}
    for param in policy.compiled.params:
        name = param.param.name
        if param.dated:
            in_force = [v for start, v in param.dated if start <= as_of]
            if in_force:
                values[name] = in_force[-1]
        elif param.value is not None:
            try:
                values[name] = param.value(Env({}, {}, values))
            except Exception:  # depends on a parameter not yet in force
                continue
    return values


class Placeholder(str):
    """A value known only once there is a contract or a bid: renders as `[contract.value]`."""

    __slots__ = ()


class _Unknown:
    """`contract`, `bid` or `delivery` before there is one: every field is a placeholder."""

    def __init__(self, root: str):
        self._root = root

    def __getattr__(self, name: str) -> Placeholder:
        if name.startswith("_"):
            raise AttributeError(name)
        return Placeholder(f"[{self._root}.{name}]")

    def __getitem__(self, name: str) -> Placeholder:
        return Placeholder(f"[{self._root}.{name}]")


def _placeholder_filter(real: Any) -> Any:
    def apply(value: Any, *args: Any) -> Any:
        return value if isinstance(value, Placeholder) else real(value, *args)

    return apply


_ENV: Any = None


def _preview_environment() -> Any:
    """The template environment, with its svrules filters passing placeholders through."""
    global _ENV
    if _ENV is None:
        env = environment().overlay()
        env.filters = dict(env.filters)
        for name in ("money", "number", "percent", "date"):
            env.filters[name] = _placeholder_filter(env.filters[name])
        _ENV = env
    return _ENV


def _compiled_rule(policy: Policy, rule: n.Rule) -> Any:
    compiled = policy.compiled
    for candidate in (*compiled.requirements, *compiled.criteria, *compiled.kpis):
        if candidate.rule is rule:
            return candidate
    return None


def _let_type(policy: Policy, rule: n.Rule, name: str) -> str:
    compiled = _compiled_rule(policy, rule)
    return compiled.let_types.get(name, "") if compiled is not None else ""


def _lets_without_a_tender(policy: Policy, rule: n.Rule, params: dict[str, Any]) -> dict[str, Any]:
    """The rule's `let`s that need no contract or bid (such as `let target = 50%`), in order."""
    compiled = _compiled_rule(policy, rule)
    if compiled is None:
        return {}
    env = Env({}, {}, params)
    known: dict[str, Any] = {}
    for name, value in compiled.lets:
        env.lets = dict(known)
        try:
            known[name] = value(env)
        except Exception:  # needs the contract, a bid or an earlier unknown let
            continue
    return known


def preview(text: str, policy: Policy, rule: n.Rule, params: dict[str, Any], with_bid: bool) -> str | None:
    """A template rendered before any tender: None if it cannot be (the raw text is shown instead)."""
    checked = policy.checked
    context: dict[str, Any] = {
        name: typed(value, checked.param_types[name]) for name, value in params.items()
    }
    for name in checked.param_types:
        context.setdefault(name, Placeholder(f"[{name}]"))
    known = _lets_without_a_tender(policy, rule, params)
    for let in rule.lets:
        if let.name in known:
            context[let.name] = typed(known[let.name], _let_type(policy, rule, let.name))
        else:
            context[let.name] = Placeholder(f"[{let.name}]")
    context["rule"] = {"id": rule.name, "title": rule.title, "refs": [t.value for t in rule.refs]}
    context["contract"] = _Unknown("contract")
    if with_bid:
        context["bid"] = _Unknown("bid")
        context["delivery"] = _Unknown("delivery")
    try:
        return render(_preview_environment().from_string(text), context)  # within the render limits
    except Exception:
        return None


# ---------------------------------------------------------------- the page


def policy_page(policy: Policy, as_of: date) -> str:
    """The Markdown page of one policy, with parameters and clauses as of `as_of`."""
    return _PageWriter(policy, as_of).page()


class _PageWriter:
    def __init__(self, policy: Policy, as_of: date):
        self.policy = policy
        self.p = policy.checked.policy
        self.as_of = as_of
        self.params = params_in_force(policy, as_of)
        self.words = Words(policy, self.params)
        self.out: list[str] = []

    def add(self, *lines: str) -> None:
        self.out.extend(lines)

    def page(self) -> str:
        self.header()
        self.themes()
        self.weights()
        self.rules()
        self.kpis()
        self.parameters()
        self.fields()
        self.measures()
        self.source()
        text = "\n".join(self.out)
        return re.sub(r"\n{3,}", "\n\n", text).strip("\n") + "\n"

    # ------------------------------------------------------------ sections

    def header(self) -> None:
        p = self.p
        self.add(f"# {_md(p.title)}", "")
        rows = [("Policy id", _code(p.name))]
        if p.authority:
            rows.append(("Authority", _cell(p.authority)))
        if p.version:
            rows.append(("Version", _cell(p.version)))
        if p.effective:
            rows.append(("Effective from", date_text(p.effective)))
        rows.append(
            (
                "Applies to",
                f"contracts where {self.words(p.applies)}" if p.applies is not None else "every contract",
            )
        )
        rows.append(("Parameters and clauses as of", date_text(self.as_of)))
        rows.append(
            ("Source", f"{_code(Path(self.policy.checked.source.path).name)} ({_code(self.policy.hash)})")
        )
        self.add("| | |", "|---|---|", *(f"| {k} | {v} |" for k, v in rows), "")
        if p.summary:
            self.add(_md(p.summary), "")
        if p.applies is not None:
            self.add(
                "When a contract is outside the policy's scope, the policy does not apply to it and "
                "nothing in it is evaluated.",
                "",
                f"In the policy: {_code('applies when ' + expr_text(p.applies))}",
                "",
            )

    def _rule_groups(self) -> list[tuple[n.Theme | None, list[n.Rule]]]:
        groups: list[tuple[n.Theme | None, list[n.Rule]]] = []
        plain = [r for r in self.p.rules if r.theme is None and r.kind != "kpi"]
        if plain:
            groups.append((None, plain))
        for theme in self.p.themes:
            groups.append((theme, [r for r in self.p.rules if r.theme == theme.name and r.kind != "kpi"]))
        return groups

    def themes(self) -> None:
        if not self.p.themes:
            return
        self.add("## Themes", "")
        for theme in self.p.themes:
            rules = [r for r in self.p.rules if r.theme == theme.name]
            listed = ", ".join(f"{_md(r.title)} ({r.kind})" for r in rules)
            self.add(f"- **{_md(theme.title)}** ({_code(theme.name)}): {listed}")
        self.add("")

    def weights(self) -> None:
        criteria = self.p.criteria
        if not criteria:
            return
        self.add(
            "## Weights",
            "",
            "Each criterion's weight is its share of the whole tender's marks. A bid's score on a criterion "
            "(from 0% to 100%) times the weight gives its points; its social value score is the sum of its "
            "points. Bids that do not meet every requirement that applies are not scored.",
            "",
            "| Criterion | Theme | Weight | Scored |",
            "|---|---|---|---|",
        )
        themes = {t.name: t.title for t in self.p.themes}
        total = Decimal(0)
        for c in criteria:
            weight = Decimal(c.weight.value)  # type: ignore[arg-type]
            total += weight
            theme = _cell(themes.get(c.theme, "")) if c.theme else ""
            self.add(
                f"| {_cell(c.title)} ({_code(c.name)}) | {theme} | {percent_text(weight)} | {_score_kind(c.score)} |"
            )
        self.add(f"| **Total** | | **{percent_text(total)}** | |", "")
        if total < 1:
            self.add(
                f"The other {percent_text(1 - total)} of the marks (for example, price and quality) "
                "are scored outside this policy.",
                "",
            )

    def rules(self) -> None:
        groups = [(t, rules) for t, rules in self._rule_groups() if rules]
        if not groups:
            return
        self.add("## Rules", "")
        if not self.p.themes:  # no themes: the rules sit directly under "Rules"
            for rule in groups[0][1]:
                self.rule(rule, "###")
            return
        for theme, rules in groups:
            self.add(f"### {_md(theme.title) if theme else 'Not in a theme'}", "")
            for rule in rules:
                self.rule(rule, "####")

    def rule(self, rule: n.Rule, heading: str) -> None:
        kind = {"requirement": "Requirement", "criterion": "Criterion", "measure": "Measure", "kpi": "KPI"}[
            rule.kind
        ]
        self.add(f"{heading} {kind}: {_md(rule.title)}", "", f"Id: {_code(rule.name)}", "")
        if rule.refs:
            self.add("Sources: " + "; ".join(f"*{_md(r.value)}*" for r in rule.refs), "")
        if rule.applies is not None:
            self.add(f"**Applies when** {self.words(rule.applies)}; otherwise it does not apply.", "")
        if rule.lets:
            self.add("Where:", "")
            for let in rule.lets:
                self.add(f"- *{_words(let.name)}* is {self.words(let.value)}")
            self.add("")
        if isinstance(rule, n.Requirement):
            self.requirement(rule)
        elif isinstance(rule, n.Criterion):
            self.criterion(rule)
        elif isinstance(rule, n.Measure):
            self.measure(rule)
        elif isinstance(rule, n.Kpi):
            self.kpi(rule)
        self.svr_lines(rule)
        self.templates(rule)

    def requirement(self, rule: n.Requirement) -> None:
        items = self.words.must(rule.met_when)
        if len(items) == 1:
            self.add(f"**A bid must** {items[0]}.", "")
        else:
            self.add(
                "**A bid must:**",
                "",
                *(f"- {item};" if i < len(items) - 1 else f"- {item}." for i, item in enumerate(items)),
                "",
            )
        self.add("A bid that does not is not compliant, and is not scored or ranked.", "")

    def criterion(self, rule: n.Criterion) -> None:
        weight = percent_text(rule.weight.value)  # type: ignore[arg-type]
        self.add(f"**Worth {weight}** of the tender's marks.", "")
        score, w = rule.score, self.words
        if isinstance(score, n.BandScore):
            self.add(
                f"Scored in bands of {w(score.value)}; the first band that matches, from the top, gives the score:",
                "",
                "| Value | Score |",
                "|---|---|",
            )
            for band in score.bands:
                result = percent_text(band.result.value)  # type: ignore[union-attr]
                self.add(f"| {_pipes(_band_words(band, w))} | {result} |")
            if not any(b.test == "otherwise" for b in score.bands):
                self.add("| anything else | 0% |")
            self.add("")
        elif isinstance(score, n.LinearScore):
            direction = ""
            if (
                isinstance(score.low, n.Literal)
                and isinstance(score.high, n.Literal)
                and score.low.value > score.high.value  # type: ignore[operator]
            ):
                direction = " Lower is better."
            self.add(
                f"Scored on a straight line on {w(score.value)}: 0% at {w(score.low)}, 100% at {w(score.high)}, "
                f"in proportion in between, and held at 0% and 100% beyond them.{direction}",
                "",
            )
        elif isinstance(score, n.RelativeScore):
            value = w(score.value)
            if score.lowest:
                text = (
                    f"Scored against the lowest compliant bid (lower is better): the lowest {_drop_the(value)} among "
                    f"the compliant bids divided by this bid's, so the lowest scores 100%."
                )
            else:
                text = (
                    f"Scored against the best compliant bid (higher is better): this bid's {_drop_the(value)} divided "
                    f"by the highest among the compliant bids, so the best scores 100%."
                )
            self.add(text, "")
        elif isinstance(score, n.ScaleScore):
            self.add(
                f"Marked by the evaluation panel on a published scale ({w(score.value)}); the mark must be one "
                "of these levels:",
                "",
                "| Mark | Descriptor |",
                "|---|---|",
                *(f"| {percent_text(lv.level.value)} | {_cell(lv.descriptor)} |" for lv in score.levels),  # type: ignore[arg-type]
                "",
            )
        else:
            self.add(f"Scored as {w(score.value)} (a score from 0% to 100%).", "")

    def measure(self, rule: n.Measure) -> None:
        unit = f"{_md(rule.unit.value)}" if rule.unit else "unit"
        self.add(
            f"Monetised social value: each {unit} the bid commits to is valued at {self.words(rule.proxy)}. "
            f"The bid states the quantity in the optional field {_code('bid.' + rule.name)} (0 if left out).",
            "",
        )

    def kpi(self, rule: n.Kpi) -> None:
        if rule.material:
            self.add(
                "A **material** KPI: one of those most material to the contract, published in the contract details notice.",
                "",
            )
        self.add(
            f"Rated on {self.words(rule.rating.value)}; the first line that matches, from the top, gives the rating:",
            "",
            "| Value | Rating |",
            "|---|---|",
        )
        for line in rule.rating.lines:
            self.add(f"| {_pipes(_band_words(line, self.words))} | {str(line.result).replace('_', ' ')} |")
        if not any(b.test == "otherwise" for b in rule.rating.lines):
            self.add("| anything else | other |")
        self.add("")

    def svr_lines(self, rule: n.Rule) -> None:
        lines = []
        if isinstance(rule, n.Requirement):
            lines.append("met when " + expr_text(rule.met_when))
        elif isinstance(rule, n.Criterion):
            lines.append("score " + score_text(rule.score))
        elif isinstance(rule, n.Kpi):
            lines.append("rating " + rating_text(rule.rating))
        if lines:
            self.add("In the policy:", "", "```svr", *lines, "```", "")

    def templates(self, rule: n.Rule) -> None:
        checked = self.policy.checked
        key = f"kpi:{rule.name}" if rule.kind == "kpi" else rule.name
        explain = checked.templates.get((key, "explain"))
        if explain is not None:
            text = preview(explain.text, self.policy, rule, self.params, with_bid=True)
            self.add(
                "Reason given with the rating:" if rule.kind == "kpi" else "Reason given to bidders:", ""
            )
            self.add(*(_quote_block(text) if text is not None else _raw_block(explain.text)), "")
        clause = checked.templates.get((key, "clause"))
        if clause is not None:
            text = preview(clause.text, self.policy, rule, self.params, with_bid=False)
            if text is None:  # a clause that names the bid without `{% if bid is defined %}`
                text = preview(clause.text, self.policy, rule, self.params, with_bid=True)
            where = f" (from {_code(rule.clause.path)})" if rule.clause and rule.clause.path else ""
            self.add(f"Contract clause{where}, as published with the tender:", "")
            self.add(*(_quote_block(text) if text is not None else _raw_block(clause.text)), "")

    def kpis(self) -> None:
        kpis = self.p.kpis
        if not kpis:
            return
        self.add(
            "## KPIs",
            "",
            "Key performance indicators for managing the contract (Procurement Act 2023, section 52), "
            "rated with the ratings of regulation 39.",
            "",
        )
        for kpi in kpis:
            self.rule(kpi, "###")

    def parameters(self) -> None:
        if not self.p.params:
            return
        self.add(
            "## Parameters",
            "",
            f"Values the policy's rules use. A dated value applies from its date; the value in force on "
            f"{date_text(self.as_of)} is marked.",
            "",
            "| Parameter | Value | From | In force |",
            "|---|---|---|---|",
        )
        for param in self.p.params:
            in_force = self.params.get(param.name)
            if param.dated:
                starts = [v.start.value for v in param.values]  # type: ignore[union-attr]
                current = max((i for i, s in enumerate(starts) if s <= self.as_of), default=None)
                for i, v in enumerate(param.values):
                    mark = "yes" if i == current else ""
                    self.add(
                        f"| {_code(param.name)} | {_pipes(self.words(v.value))} | {date_text(starts[i])} | {mark} |"
                    )
                if current is None:
                    self.add(f"| {_code(param.name)} | not yet in force on {date_text(self.as_of)} | | |")
            else:
                expr = param.values[0].value
                shown = self.words(expr)
                if not isinstance(expr, n.Literal) and in_force is not None:
                    shown += f" = {_md(render_value(typed(in_force, self.policy.checked.param_types[param.name])))}"
                self.add(f"| {_code(param.name)} | {_pipes(shown)} | always | yes |")
        self.add("")

    def fields(self) -> None:
        sections = (
            ("bid", "What bidders must state", "Each bid in a tender states these fields."),
            ("contract", "What the contract states", "Facts about the contract being let."),
            (
                "delivery",
                "What the supplier reports",
                "Figures the supplier reports during the contract, for the KPIs.",
            ),
        )
        for root, heading, intro in sections:
            decls = list(getattr(self.p, root))
            measures = self.p.measures if root == "bid" else []
            if not decls and not measures:
                continue
            self.add(
                f"## {heading}",
                "",
                intro,
                "",
                "| Field | Type | Required | Allowed values | Description |",
                "|---|---|---|---|---|",
            )
            for d in decls:
                self.add(
                    f"| {_code(root + '.' + d.name)} | {_type_words(d.type)} | {'optional' if d.optional else 'required'} "
                    f"| {_pipes(_allowed(d, self.words))} | {_cell(d.description or '')} |"
                )
            for m in measures:
                unit = f", in {_cell(m.unit.value)}" if m.unit else ""
                self.add(
                    f"| {_code('bid.' + m.name)} | number | optional (0 if left out) | 0 or more "
                    f"| {_cell(m.title)}: the quantity the bid commits to{unit} (a measure) |"
                )
            self.add("")

    def measures(self) -> None:
        if not self.p.measures:
            return
        self.add(
            "## Social value measures",
            "",
            "A bid's social value is the sum, over these measures, of the quantity it commits to times the "
            "proxy value of one unit.",
            "",
            "| Measure | Unit | Proxy value | Sources |",
            "|---|---|---|---|",
        )
        for m in self.p.measures:
            refs = "; ".join(_cell(r.value) for r in m.refs)
            unit = _cell(m.unit.value) if m.unit else ""
            self.add(
                f"| {_cell(m.title)} ({_code(m.name)}) | {unit} | {_pipes(self.words(m.proxy))} | {refs} |"
            )
        self.add("")

    def source(self) -> None:
        checked = self.policy.checked
        text = checked.source.text
        self.add("## Source", "", f"The policy file, {_code(Path(checked.source.path).name)}:", "")
        self.add(*_fenced(text, "svr"), "")
        for rel in sorted(checked.files):
            self.add(f"The clause file {_code(rel)}:", "")
            self.add(*_fenced(checked.files[rel].decode("utf-8", errors="replace"), "jinja"), "")


# ---------------------------------------------------------------- small helpers


def _score_kind(score: n.Score) -> str:
    if isinstance(score, n.BandScore):
        return "in bands"
    if isinstance(score, n.LinearScore):
        return "on a straight line"
    if isinstance(score, n.RelativeScore):
        return "against the lowest bid" if score.lowest else "against the best bid"
    if isinstance(score, n.ScaleScore):
        return "by the panel, on a scale"
    return "by a formula"


def _band_words(band: n.Band, words: Words) -> str:
    if band.test == "otherwise":
        return "otherwise"
    word = "at least" if band.test == "at_least" else "at most"
    return f"{word} {words(band.threshold)}"  # type: ignore[arg-type]


def _drop_the(text: str) -> str:
    for prefix in ("the bid's ", "the "):
        if text.startswith(prefix):
            return text[len(prefix) :]
    return text


def _type_words(field_type: str) -> str:
    return {
        "money": "money (£)",
        "number": "number",
        "count": "whole number (0 or more)",
        "percent": "percentage",
        "yes/no": "yes/no",
        "text": "text",
        "date": "date",
    }.get(field_type, field_type)


def _allowed(decl: n.FieldDecl, words: Words) -> str:
    if decl.one_of is not None:
        return ", ".join(words(i) for i in decl.one_of.items)
    if decl.low is not None and decl.high is not None:
        return f"{words(decl.low)} to {words(decl.high)}"
    return ""


def _quote_block(text: str) -> list[str]:
    return [f"> {line}".rstrip() for line in text.splitlines()] or [">"]


def _raw_block(text: str) -> list[str]:
    return ["It depends on the contract, so here it is as written:", "", *_fenced(text, "jinja")]


def _fenced(text: str, lang: str) -> list[str]:
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{fence}{lang}", *text.rstrip("\n").splitlines(), fence]


__all__ = [
    "Words",
    "build_pages",
    "find_policies",
    "index_page",
    "page_name",
    "params_in_force",
    "policy_page",
    "preview",
    "write_pages",
]
