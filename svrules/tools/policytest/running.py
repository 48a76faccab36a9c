"""Running policy tests: each case's tender evaluated through the Python API.

Owns the tender a case describes (written as JSON with its decimals' own digits, so it
means exactly what the YAML says), loading each policy once per run, `rejected`
expectations (the diagnostics must mention given words), and a whole run's results.
"""

from __future__ import annotations

import dataclasses
import json
import re
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from svrules.api import Policy, load_policy
from svrules.core.diagnostics import Diagnostic, InputError, PolicyError, render
from svrules.tools.policytest.expect import compare_expectations
from svrules.tools.policytest.model import Case, CaseError, CaseResult, Mismatch, Where, indented
from svrules.tools.policytest.reading import case_files, load_cases

# ---------------------------------------------------------------- exact JSON


def tender_json(case: Case) -> str:
    """The case's contract and bids as JSON text, decimals written with their own digits."""
    return _json({"contract": case.data["contract"], "bids": case.data["bids"]})


def _json(value: Any) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value} is not a finite number")
        return str(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_string(str(k))}: {_json(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_json(v) for v in value) + "]"
    raise ValueError(f"cannot write {type(value).__name__} as JSON")


def _string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


# ---------------------------------------------------------------- running


class PolicyCache:
    """Each policy is loaded (parsed, checked, compiled) once per run."""

    def __init__(self) -> None:
        self._loaded: dict[tuple[Path, int, int], Policy | PolicyError] = {}

    def get(self, path: Path) -> Policy:
        stat = path.stat()
        key = (path.resolve(), stat.st_mtime_ns, stat.st_size)
        if key not in self._loaded:
            try:
                self._loaded[key] = load_policy(path)
            except PolicyError as exc:
                self._loaded[key] = exc
        loaded = self._loaded[key]
        if isinstance(loaded, PolicyError):
            raise loaded
        return loaded


def run_case(case: Case, cache: PolicyCache | None = None) -> CaseResult:
    """Evaluate one case's tender and compare the result with what it expects."""
    started = time.perf_counter()
    result = CaseResult(case, case.path, case.name)
    try:
        result.mismatches = _run(case, cache or PolicyCache())
    except CaseError as exc:
        result.error = exc
    result.seconds = time.perf_counter() - started
    return result


def _run(case: Case, cache: PolicyCache) -> list[Mismatch]:
    try:
        policy = cache.get(case.policy_path)
    except PolicyError as exc:
        raise CaseError(case.policy_path, None, "the policy has errors", str(exc)) from None
    expect = case.data["expect"]
    as_of = case.data.get("as_of")
    label = f"{case.path}: case '{case.name}'"
    try:
        text = tender_json(case)
        tender = policy.validate(text, path=label)
        evaluated = policy.evaluate(tender, as_of=as_of)
    except ValueError as exc:
        raise case.error(f"cannot write the tender: {exc}", "bids") from None
    except InputError as exc:
        rendered = "\n".join(render(_placed(case, d), exc.sources) for d in exc.diagnostics)
        if "rejected" in expect:
            return _check_rejected(case, rendered)
        raise case.error("the policy rejects this case's tender", "contract", detail=rendered) from None
    if "rejected" in expect:
        return [
            Mismatch(
                str(case.path),
                case.line_of("expect", "rejected"),
                "tender",
                "rejected",
                "accepted",
                "expected the policy to reject the tender, but it was evaluated",
            )
        ]
    return compare_expectations(case, policy, evaluated)


_BID_WHERE = re.compile(r"bid '(.*)'(?:, field '([^']*)')?|bid ([0-9]+)(?:, field '([^']*)')?")
_CONTRACT_WHERE = re.compile(r"the contract(?:, field '([^']*)')?")
_UNKNOWN_FIELD = re.compile(r"unknown field '([^']*)'")


def _placed(case: Case, diag: Diagnostic) -> Diagnostic:
    """A tender diagnostic pointed at the case's line for the bid or field it names."""
    if diag.span is not None:
        return diag
    where: Where = ()
    named = _UNKNOWN_FIELD.match(diag.message)
    contract = _CONTRACT_WHERE.fullmatch(diag.where or "")
    bid = _BID_WHERE.fullmatch(diag.where or "")
    if contract:
        where = ("contract", contract.group(1) or (named.group(1) if named else None))
    elif bid:
        bidders = [b.get("bidder") for b in case.data["bids"]]
        if bid.group(3):
            index = int(bid.group(3)) - 1
        else:
            index = bidders.index(bid.group(1)) if bid.group(1) in bidders else -1
        field_name = bid.group(2) or bid.group(4) or (named.group(1) if named else None)
        if index >= 0:
            where = ("bids", index, field_name)
    line = case.line_of(*where) if where else case.line
    return dataclasses.replace(diag, path=f"{case.path}:{line}" if line else str(case.path))


def _check_rejected(case: Case, rendered: str) -> list[Mismatch]:
    wanted = case.data["expect"]["rejected"]
    words = wanted if isinstance(wanted, list) else [wanted]
    out = []
    for i, word in enumerate(words):
        if word is True:
            continue
        if str(word) not in rendered:
            out.append(
                Mismatch(
                    str(case.path),
                    case.line_of("expect", "rejected", i)
                    if isinstance(wanted, list)
                    else case.line_of("expect", "rejected"),
                    "rejection",
                    "",
                    "",
                    f"the diagnostics do not mention {str(word)!r}:\n{indented(rendered)}",
                )
            )
    return out


# ---------------------------------------------------------------- a whole run


@dataclass
class Run:
    """The results of running every case found under some paths."""

    results: list[CaseResult]
    seconds: float

    @property
    def counts(self) -> dict[str, int]:
        counts = {"pass": 0, "fail": 0, "error": 0}
        for r in self.results:
            counts[r.status] += 1
        return counts

    @property
    def ok(self) -> bool:
        return bool(self.results) and all(r.passed for r in self.results)

    def summary(self) -> str:
        c = self.counts
        total = len(self.results)
        return (
            f"{total} case{'s' * (total != 1)}: {c['pass']} passed, {c['fail']} failed, "
            f"{c['error']} error{'s' * (c['error'] != 1)} in {self.seconds:.2f}s"
        )


def iter_results(paths: Iterable[Path | str], cache: PolicyCache | None = None) -> Iterator[CaseResult]:
    """Run every case under PATHs, yielding each result as it is made."""
    cache = cache or PolicyCache()
    files, errors = case_files(paths)
    for error in errors:
        yield CaseResult(None, Path(error.path), "(path)", error=error)
    if not files and not errors:
        where = ", ".join(str(p) for p in paths)
        yield CaseResult(
            None,
            Path(where),
            "(path)",
            error=CaseError(
                where,
                None,
                "no policy tests found",
                "put cases in POLICY/tests/*.yaml next to POLICY/policy.svr",
            ),
        )
    for file in files:
        try:
            cases = load_cases(file)
        except CaseError as exc:
            yield CaseResult(None, file, "(file)", error=exc)
            continue
        for case in cases:
            yield run_case(case, cache)


def run_paths(paths: Iterable[Path | str]) -> Run:
    """Run every case under PATHs."""
    started = time.perf_counter()
    results = list(iter_results(paths))
    return Run(results, time.perf_counter() - started)
