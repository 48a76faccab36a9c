"""One policy's page in Markdown, for a contracting authority to publish: from a compiled
policy and an as-of date, its metadata, themes, rules in plain words, weights, parameters,
fields, measures, the clauses as they read before any bid (what needs a contract or a bid
shown as `[contract.value]`) and its source. Words are `svrules.words`', Markdown and its
escaping `writers.markdown`'.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from svrules.documents.model import Table
from svrules.documents.writers import markdown as md
from svrules.engine.compiler import CompiledPolicy, CompiledRule
from svrules.language import nodes as n
from svrules.language import units
from svrules.language.printer import expr_text, rating_text, score_text
from svrules.words.expressions import Words
from svrules.words.preview import (
    params_in_force,
    preview_context,
    preview_env,
    render_preview,
    work_out_lets,
)
from svrules.words.runs import Inline, code, em, inline, joined, strong
from svrules.words.scores import band_label, rating_words, score_words, short_method
from svrules.words.values import show

RULE_KINDS = {"requirement": "Requirement", "criterion": "Criterion", "measure": "Measure", "kpi": "KPI"}
FIELD_TYPES = {
    "money": "money (£)",
    "number": "number",
    "count": "whole number (0 or more)",
    "percent": "percentage",
    "yes/no": "yes/no",
    "text": "text",
    "date": "date",
}


def policy_page(compiled: CompiledPolicy, as_of: date) -> str:
    """The Markdown page of one policy, with parameters and clauses as of `as_of`."""
    return _Page(compiled, as_of).text()


class _Page:
    """The page of one policy on one date, written section by section."""

    def __init__(self, compiled: CompiledPolicy, as_of: date):
        self.compiled = compiled
        self.checked = compiled.checked
        self.p = compiled.policy
        self.as_of = as_of
        self.params = params_in_force(compiled, as_of)
        self.words = Words(self.checked, self.params)
        self.out: list[str] = []

    def add(self, *lines: str) -> None:
        self.out.extend(lines)

    def say(self, *parts: str | tuple[str, str] | Inline) -> None:
        """A paragraph of runs."""
        self.add(md.text_line(inline(*parts)), "")

    def table(self, header: tuple[str, ...], rows: Sequence[tuple[Inline, ...]], **kw: Any) -> None:
        self.add(*md.table(Table(header, tuple(rows), **kw)))

    def text(self) -> str:
        for section in (
            self.header,
            self.themes,
            self.weights,
            self.rules,
            self.kpis,
            self.parameters,
            self.fields,
            self.measures,
            self.source,
        ):
            section()
        text = "\n".join(self.out)
        return re.sub(r"\n{3,}", "\n\n", text).strip("\n") + "\n"

    # ------------------------------------------------------------ sections

    def header(self) -> None:
        p = self.p
        self.add(f"# {md.line(p.title)}", "")
        rows = [(inline("Policy id"), inline(code(p.name)))]
        rows += [
            (inline(label), inline(value))
            for label, value in (("Authority", p.authority), ("Version", p.version))
            if value
        ]
        if p.effective:
            rows.append((inline("Effective from"), inline(show(p.effective, units.DATE))))
        applies = (
            inline("contracts where ", self.words(p.applies))
            if p.applies is not None
            else inline("every contract")
        )
        rows.append((inline("Applies to"), applies))
        rows.append((inline("Parameters and clauses as of"), inline(show(self.as_of, units.DATE))))
        source = inline(code(Path(self.checked.source.path).name), " (", code(self.checked.hash), ")")
        rows.append((inline("Source"), source))
        self.table(("", ""), rows)
        if p.summary:
            self.add(*(md.line(row) for row in p.summary.split("\n")), "")
        if p.applies is not None:
            self.add(
                "When a contract is outside the policy's scope, the policy does not apply to it and "
                "nothing in it is evaluated.",
                "",
                f"In the policy: {md.code('applies when ' + expr_text(p.applies))}",
                "",
            )

    def themes(self) -> None:
        if not self.p.themes:
            return
        self.add("## Themes", "")
        for theme in self.p.themes:
            listed = joined(
                [inline(f"{r.title} ({r.kind})") for r in self.p.rules if r.theme == theme.name], ", "
            )
            self.add("- " + md.text_line(inline(strong(theme.title), " (", code(theme.name), "): ", listed)))
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
        )
        themes = {t.name: t.title for t in self.p.themes}
        weights = [c.weight_percent for c in criteria]
        rows = [
            (
                inline(c.title, " (", code(c.name), ")"),
                inline(themes.get(c.theme, "") if c.theme else ""),
                inline(show(weight, units.PERCENT)),
                short_method(c.score, self.words),
            )
            for c, weight in zip(criteria, weights, strict=True)
        ]
        total = sum(weights, Decimal(0))
        footer = (inline("Total"), (), inline(show(total, units.PERCENT)), ())
        self.table(("Criterion", "Theme", "Weight", "How it is scored"), rows, total=footer)
        if total < 1:
            self.say(
                f"The other {show(1 - total, units.PERCENT)} of the marks (for example, price and quality) "
                "are scored outside this policy."
            )

    def rules(self) -> None:
        plain = [r for r in self.p.rules if r.theme is None and r.kind != "kpi"]
        groups: list[tuple[n.Theme | None, list[n.Rule]]] = [(None, plain)] if plain else []
        groups += [
            (t, [r for r in self.p.rules if r.theme == t.name and r.kind != "kpi"]) for t in self.p.themes
        ]
        groups = [(theme, rules) for theme, rules in groups if rules]
        if not groups:
            return
        self.add("## Rules", "")
        if not self.p.themes:  # no themes: the rules sit directly under "Rules"
            for rule in groups[0][1]:
                self.rule(rule, "###")
            return
        for theme, rules in groups:
            self.add(f"### {md.line(theme.title) if theme else 'Not in a theme'}", "")
            for rule in rules:
                self.rule(rule, "####")

    def rule(self, rule: n.Rule, heading: str) -> None:
        self.add(
            f"{heading} {RULE_KINDS[rule.kind]}: {md.escape(rule.title)}", "", f"Id: {md.code(rule.name)}", ""
        )
        if rule.refs:
            self.say("Sources: ", joined([inline(em(r.value)) for r in rule.refs], "; "))
        if rule.applies is not None:
            self.say(strong("Applies when"), " ", self.words(rule.applies), "; otherwise it does not apply.")
        if rule.lets:
            self.add("Where:", "")
            self.add(
                *(
                    md.list_item(inline(self.words.name(let.name), " is ", self.words(let.value)))
                    for let in rule.lets
                )
            )
            self.add("")
        match rule:
            case n.Requirement():
                self.requirement(rule)
                self.svr_lines("met when " + expr_text(rule.met_when))
            case n.Criterion():
                self.criterion(rule)
                self.svr_lines("score " + score_text(rule.score))
            case n.Measure():
                self.measure(rule)
            case n.Kpi():
                self.kpi(rule)
                self.svr_lines("rating " + rating_text(rule.rating))
        self.templates(rule)

    def requirement(self, rule: n.Requirement) -> None:
        items = self.words.must(rule.met_when)
        if len(items) == 1:
            self.say(strong("A bid must"), " ", items[0], ".")
        else:
            self.add(md.text_line(inline(strong("A bid must:"))), "")
            last = len(items) - 1
            self.add(
                *(md.list_item(inline(item, "." if i == last else ";")) for i, item in enumerate(items)), ""
            )
        self.say("A bid that does not is not compliant, and is not scored or ranked.")

    def criterion(self, rule: n.Criterion) -> None:
        self.say(strong(f"Worth {show(rule.weight_percent, units.PERCENT)}"), " of the tender's marks.")
        said = score_words(rule.score, self.words)
        self.say(said.text)
        if said.rows:
            self.table(said.header, said.rows, numeric=said.numeric)

    def measure(self, rule: n.Measure) -> None:
        unit = rule.unit.value if rule.unit else "unit"
        self.say(
            f"Monetised social value: each {unit} the bid commits to is valued at ",
            self.words(rule.proxy),
            ". The bid states the quantity in the optional field ",
            code("bid." + rule.name),
            " (0 if left out).",
        )

    def kpi(self, rule: n.Kpi) -> None:
        if rule.material:
            self.say(
                "A ",
                strong("material"),
                " KPI: one of those most material to the contract, published in the contract details notice.",
            )
        self.say(
            "Rated on ",
            self.words(rule.rating.value),
            "; the first line that matches, from the top, gives the rating:",
        )
        rows = [(band_label(line, self.words), inline(rating_words(line))) for line in rule.rating.lines]
        if not any(line.test == "otherwise" for line in rule.rating.lines):
            rows.append((inline("anything else"), inline("other")))
        self.table(("Value", "Rating"), rows)

    def svr_lines(self, text: str) -> None:
        self.add("In the policy:", "", *md.fenced(text, "svr"), "")

    def templates(self, rule: n.Rule) -> None:
        crule = self._compiled(rule)
        if crule is None:
            return
        env = preview_env(None, None, self.params)
        env.lets = work_out_lets(crule, env)
        key = f"kpi:{rule.name}" if rule.kind == "kpi" else rule.name
        explain = self.checked.templates.get((key, "explain"))
        if explain is not None:
            text = render_preview(explain.text, preview_context(self.compiled, crule, env, placeholders=True))
            self.add(
                "Reason given with the rating:" if rule.kind == "kpi" else "Reason given to bidders:", ""
            )
            self.add(*(md.quote(text) if text is not None else _as_written(explain.text)), "")
        clause = self.checked.templates.get((key, "clause"))
        if clause is not None:
            before_bids = preview_context(self.compiled, crule, env, placeholders=True, with_bid=False)
            text = render_preview(clause.text, before_bids)
            if text is None:  # a clause that names the bid without `{% if bid is defined %}`
                text = render_preview(
                    clause.text, preview_context(self.compiled, crule, env, placeholders=True)
                )
            where = f" (from {md.code(rule.clause.path)})" if rule.clause and rule.clause.path else ""
            self.add(f"Contract clause{where}, as published with the tender:", "")
            self.add(*(md.quote(text) if text is not None else _as_written(clause.text)), "")

    def _compiled(self, rule: n.Rule) -> CompiledRule | None:
        compiled = self.compiled
        return next(
            (c for c in (*compiled.requirements, *compiled.criteria, *compiled.kpis) if c.rule is rule), None
        )

    def kpis(self) -> None:
        if not self.p.kpis:
            return
        self.add(
            "## KPIs",
            "",
            "Key performance indicators for managing the contract (Procurement Act 2023, section 52), "
            "rated with the ratings of regulation 39.",
            "",
        )
        for kpi in self.p.kpis:
            self.rule(kpi, "###")

    def parameters(self) -> None:
        if not self.p.params:
            return
        self.add(
            "## Parameters",
            "",
            f"Values the policy's rules use. A dated value applies from its date; the value in force on "
            f"{show(self.as_of, units.DATE)} is marked.",
            "",
        )
        rows: list[tuple[Inline, ...]] = []
        for param in self.p.params:
            rows += self._param_rows(param)
        self.table(("Parameter", "Value", "From", "In force"), rows)

    def _param_rows(self, param: n.Param) -> list[tuple[Inline, ...]]:
        name = inline(code(param.name))
        if not param.dated:
            expr = param.values[0].value
            shown = self.words(expr)
            if not isinstance(expr, n.Literal) and param.name in self.params:
                shown = inline(
                    shown, " = ", show(self.params[param.name], self.checked.param_types[param.name])
                )
            return [(name, shown, inline("always"), inline("yes"))]
        starts = [_start(v) for v in param.values]
        current = max((i for i, s in enumerate(starts) if s <= self.as_of), default=None)
        rows: list[tuple[Inline, ...]] = [
            (
                name,
                self.words(v.value),
                inline(show(starts[i], units.DATE)),
                inline("yes" if i == current else ""),
            )
            for i, v in enumerate(param.values)
        ]
        if current is None:
            rows.append((name, inline(f"not yet in force on {show(self.as_of, units.DATE)}"), (), ()))
        return rows

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
            self.add(f"## {heading}", "", intro, "")
            rows = [
                (
                    inline(code(f"{root}.{d.name}")),
                    inline(FIELD_TYPES.get(d.type, d.type)),
                    inline("optional" if d.optional else "required"),
                    self._allowed(d),
                    inline(d.description or ""),
                )
                for d in decls
            ]
            rows += [
                (
                    inline(code(f"bid.{m.name}")),
                    inline("number"),
                    inline("optional (0 if left out)"),
                    inline("0 or more"),
                    inline(
                        m.title,
                        ": the quantity the bid commits to",
                        f", in {m.unit.value}" if m.unit else "",
                        " (a measure)",
                    ),
                )
                for m in measures
            ]
            self.table(("Field", "Type", "Required", "Allowed values", "Description"), rows)

    def _allowed(self, decl: n.FieldDecl) -> Inline:
        if decl.one_of is not None:
            return joined([self.words(item) for item in decl.one_of.items], ", ")
        if decl.low is not None and decl.high is not None:
            return inline(self.words(decl.low), " to ", self.words(decl.high))
        return ()

    def measures(self) -> None:
        if not self.p.measures:
            return
        self.add(
            "## Social value measures",
            "",
            "A bid's social value is the sum, over these measures, of the quantity it commits to times the "
            "proxy value of one unit.",
            "",
        )
        rows = [
            (
                inline(m.title, " (", code(m.name), ")"),
                inline(m.unit.value if m.unit else ""),
                self.words(m.proxy),
                inline("; ".join(r.value for r in m.refs)),
            )
            for m in self.p.measures
        ]
        self.table(("Measure", "Unit", "Proxy value", "Sources"), rows)

    def source(self) -> None:
        checked = self.checked
        self.add("## Source", "", f"The policy file, {md.code(Path(checked.source.path).name)}:", "")
        self.add(*md.fenced(checked.source.text, "svr"), "")
        for rel in sorted(checked.files):
            self.add(f"The clause file {md.code(rel)}:", "")
            self.add(*md.fenced(checked.files[rel].decode("utf-8", errors="replace"), "jinja"), "")


def _start(value: n.ParamValue) -> date:
    assert value.start is not None and isinstance(value.start.value, date), "checked: a dated value"
    return value.start.value


def _as_written(text: str) -> list[str]:
    return ["It depends on the contract, so here it is as written:", "", *md.fenced(text, "jinja")]


__all__ = ["policy_page"]
