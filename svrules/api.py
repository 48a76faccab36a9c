"""The Python API: load a policy once, evaluate many tenders.

`load_policy(path)` runs the whole chain (read → parse → build → check → compile) and
raises `PolicyError` with every diagnostic if the policy has errors. `Policy.evaluate`
validates a tender against the policy's declarations (raising `InputError`) and returns
a `TenderResult`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

from svrules.core.diagnostics import Diagnostic, PolicyError
from svrules.core.source import (
    SourceFile,
    SourceReadError,
    read_source,
)
from svrules.engine.compiler import CompiledPolicy, compile_policy
from svrules.engine.results import TenderResult
from svrules.engine.runtime import evaluate as run
from svrules.engine.schema import tender_schema
from svrules.engine.tender import (
    RecordSpec,
    Tender,
    TenderValidator,
    parse_as_of,
    read_tender_file,
    record_spec,
    tender_from_text,
)
from svrules.language.builder import build
from svrules.language.check import check
from svrules.language.checked import CheckedPolicy, declared_fields
from svrules.language.parser import ParseFailed, parse


def check_source(source: SourceFile, folder: Path) -> tuple[CheckedPolicy | None, list[Diagnostic]]:
    """Parse, build and check one policy's text; every diagnostic found, in file order."""
    try:
        tree = parse(source)
    except ParseFailed as failed:
        return None, sorted(failed.diagnostics, key=_place)
    policy, built = build(tree, source.path)
    checked = check(policy, source, folder)
    diagnostics = sorted(built + checked.diagnostics, key=_place)
    checked.diagnostics = diagnostics
    return checked, diagnostics


def _place(diag: Diagnostic) -> tuple[str, int, int]:
    span = diag.span
    return (span.path, span.line, span.column) if span else ("", 0, 0)


def check_file(path: Path | str) -> tuple[CheckedPolicy | None, list[Diagnostic], dict[str, SourceFile]]:
    """Check one `.svr` file; returns what was checked, the diagnostics and the sources read."""
    try:
        source = read_source(path)
    except SourceReadError as exc:
        return None, [Diagnostic("unreadable-file", exc.message, None, exc.hint, path=exc.path)], {}
    checked, diagnostics = check_source(source, Path(path).parent)
    sources = {source.path: source}
    if checked is not None:
        sources |= checked.sources()
    return checked, diagnostics, sources


@dataclass(eq=False)
class Policy:
    """A checked and compiled policy, ready to evaluate tenders."""

    compiled: CompiledPolicy
    warnings: list[Diagnostic]

    @property
    def checked(self) -> CheckedPolicy:
        return self.compiled.checked

    @property
    def id(self) -> str:
        return self.checked.policy.name

    @property
    def title(self) -> str:
        return self.checked.policy.title

    @property
    def version(self) -> str | None:
        return self.checked.policy.version

    @property
    def hash(self) -> str:
        return self.checked.hash

    def validate(
        self, tender: Tender | Mapping[str, Any] | str | bytes | Path, path: str | None = None
    ) -> Tender:
        """A tender file, JSON text or mapping, validated against the policy's fields."""
        if isinstance(tender, Tender):
            return tender
        if isinstance(tender, Path):
            source, data = read_tender_file(tender)
            path = source.path
        elif isinstance(tender, str | bytes):
            source, data = tender_from_text(tender, path or "<tender>")
        else:
            data = tender  # floats are refused field by field (`float-input`)
        contract_spec, bid_spec = self._record_specs
        return TenderValidator(contract_spec, bid_spec, path or "<tender>").validate(data)

    @cached_property
    def _record_specs(self) -> tuple[RecordSpec, RecordSpec]:
        """The contract and bid declarations, prepared once for validating many tenders."""
        policy = self.checked.policy
        return record_spec(declared_fields(policy, "contract")), record_spec(declared_fields(policy, "bid"))

    def evaluate(
        self, tender: Tender | Mapping[str, Any] | str | bytes | Path, as_of: date | str | None = None
    ) -> TenderResult:
        """Evaluate a tender: a path, JSON text, a mapping (numbers as Decimal or int) or a `Tender`."""
        day = parse_as_of(as_of) if isinstance(as_of, str) else as_of
        result = run(self.compiled, self.validate(tender), day)
        result.render_feedback = render_feedback
        return result

    def tender_schema(self) -> dict[str, Any]:
        """JSON Schema of the tender input this policy accepts."""
        return tender_schema(self.checked)

    def render_schedule(
        self,
        contract: Mapping[str, Any] | str | bytes | Path | None = None,
        tender: Tender | Mapping[str, Any] | str | bytes | Path | None = None,
        bidder: str | None = None,
        as_of: date | str | None = None,
        format: str = "md",
    ) -> str | bytes:
        """The social value schedule: for a contract or a tender (no bid), or for one bidder."""
        from svrules.documents import PolicyView, read_contract, schedule
        from svrules.documents.writers import write

        if (contract is None) == (tender is None):
            raise ValueError("give a contract or a tender, not both")
        day = parse_as_of(as_of) if isinstance(as_of, str) else as_of
        chosen = (
            self.validate(tender)
            if tender is not None
            else read_contract(PolicyView(self.compiled), contract)
        )
        return write(schedule(self.compiled, chosen, bidder, day), format)

    def render_methodology(
        self,
        contract: Mapping[str, Any] | str | bytes | Path | None = None,
        as_of: date | str | None = None,
        format: str = "md",
    ) -> str | bytes:
        """The assessment methodology (Procurement Act 2023, s.23(3)), for any contract or one."""
        from svrules.documents import PolicyView, methodology, read_contract
        from svrules.documents.writers import write

        day = parse_as_of(as_of) if isinstance(as_of, str) else as_of
        chosen = read_contract(PolicyView(self.compiled), contract) if contract is not None else None
        return write(methodology(self.compiled, chosen, day), format)


def render_feedback(
    result: TenderResult, bidder: str, format: str = "md", compare_winner: bool = False
) -> str | bytes:
    """A bidder's assessment summary (regulation 31): Markdown, HTML (text) or DOCX (bytes)."""
    from svrules.documents import compiled_of, feedback
    from svrules.documents.writers import write

    return write(feedback(compiled_of(result), result, bidder, compare_winner), format)


def load_policy(path: Path | str) -> Policy:
    """Read, check and compile a policy file; raise `PolicyError` if it has errors."""
    checked, diagnostics, sources = check_file(path)
    errors = [d for d in diagnostics if d.severity == "error"]
    if checked is None or errors:
        raise PolicyError(diagnostics, sources)
    return Policy(compile_policy(checked), diagnostics)


def load_json(path: Path | str) -> Any:
    """Read any svrules input file as exact JSON (numbers as Decimal)."""
    return read_tender_file(path)[1]


__all__ = ["Policy", "check_file", "json", "load_json", "load_policy"]
