"""What the three documents share: reading a contract, finding one bidder's bid,
evaluating a tender for a document (refusing a contract the policy does not cover), the
blocks they have in common (summary paragraphs, measures, references) and the entry
points the API uses.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from svrules.core.diagnostics import Diagnostic, InputError, did_you_mean
from svrules.core.source import SourceFile
from svrules.documents.model import Block, Paragraph, Section, Table
from svrules.documents.view import PolicyView
from svrules.engine.compiler import CompiledPolicy, Env
from svrules.engine.results import BidResult, TenderResult
from svrules.engine.runtime import evaluate
from svrules.engine.tender import (
    Tender,
    TenderValidator,
    read_tender_file,
    tender_from_text,
)
from svrules.language import nodes as n
from svrules.language import units
from svrules.words.preview import NOT_KNOWN
from svrules.words.runs import Inline, inline
from svrules.words.values import show

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
    values = validator.record(raw, view.contract_fields, "contract", "the contract")
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


def evaluate_for_document(
    compiled: CompiledPolicy, tender: Tender, as_of: date | None
) -> tuple[PolicyView, TenderResult]:
    """The tender evaluated, and the policy as documents see it with the parameters in
    force; an `InputError` if the policy does not apply to the contract."""
    result = evaluate(compiled, tender, as_of)
    view = PolicyView(compiled, param_facts(result))
    if not result.applies:
        raise _not_applicable_error(view, tender)
    return view, result


def _not_applicable_error(view: PolicyView, tender: Tender) -> InputError:
    """The policy's `applies when` as written, and the contract's values it read."""
    expr = view.policy.applies
    env = Env(dict(tender.contract), {}, dict(view.words.params))
    values = [
        f"{name} is {show(value, type_)}"
        for name, value, type_ in view.names(expr, None, env)
        if value is not NOT_KNOWN
    ]
    written = view.source_text(expr) if expr is not None else ""
    rule = f" ({written})" if written else ""
    said = f" ({', '.join(values)})" if values else ""
    return InputError(
        [
            Diagnostic(
                "policy-not-applicable",
                f"policy '{view.policy.name}' does not apply to this contract: its 'applies when'{rule} is false{said}",
                None,
                "check the contract's values, or use the policy that covers this contract",
                path=tender.path,
            )
        ]
    )


def param_facts(result: TenderResult) -> dict[str, Any]:
    return {k: v for k, (v, _t) in result.params.items()}


# ================================================================ blocks the documents share


def summary_paragraphs(text: str) -> list[str]:
    return [p.strip("\n") for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]


def summary_section(policy: n.Policy) -> list[Section]:
    """The policy's summary as an unnumbered section, if it has one."""
    if not policy.summary:
        return []
    return [
        Section("Summary", None, tuple(Paragraph(inline(par)) for par in summary_paragraphs(policy.summary)))
    ]


Part = tuple[str, Callable[[str], Sequence[Block]]]
"""A numbered section: its title, and how to build its blocks given its number."""


def numbered(parts: Iterable[Part], first: int = 1) -> list[Section]:
    """Sections numbered in order from `first`."""
    return [
        Section(title, str(number), tuple(build(str(number))))
        for number, (title, build) in enumerate(parts, start=first)
    ]


def measure_blocks(view: PolicyView, params: Mapping[str, Any] | None, bid: BidResult | None) -> list[Block]:
    """The measures with their units and proxy values (worked out with `params`, or in
    words when no date is chosen), and with a bid, its quantities and social value."""
    env = Env({}, {}, dict(params)) if params is not None else None
    rows = []
    for m in view.compiled.measures:
        unit = m.measure.unit.value if m.measure.unit else "unit"
        proxy = inline(show(m.proxy(env), units.MONEY)) if env is not None else view.words(m.measure.proxy)
        row: tuple[Inline, ...] = (inline(m.measure.title), inline(unit), inline(proxy, f" per {unit}"))
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
        total = (inline("Total"), (), (), (), inline(show(bid.social_value.total, units.MONEY)))
    lead = Paragraph(
        inline(
            "A tender's social value is the sum, over these measures, of the quantity it commits to × the proxy value of one unit. A measure the tender does not state counts as 0."
        )
    )
    return [lead, Table(header, tuple(rows), numeric, total)]


def references_block(cited: list[tuple[str, str]]) -> tuple[Block, ...]:
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
