"""Policy tests: YAML cases that evaluate a small tender and check the outcome.

A policy folder keeps its tests beside it (`policies/<name>/tests/*.yaml`, next to
`policies/<name>/policy.svr`). Each YAML document in such a file is one *case*: a contract,
its bids, an optional as-of date and what the evaluation is expected to give. This module
finds cases, runs them through the Python API and compares the result field by field.
`svrules test` (`cli_test`) and the pytest plugin (`pytest_plugin`) are thin front ends.

Numbers are exact: the YAML loader turns every int and float into a `Decimal` read from
the scalar's own text, dates stay strings, and the tender is written as JSON with those
decimals' text, so a case means exactly what it says. The format is documented in
docs/policy-tests.md.
"""

from __future__ import annotations

import dataclasses
import json
import re
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from svrules.api import Policy, load_policy
from svrules.core.diagnostics import (
    Diagnostic,
    InputError,
    PolicyError,
    did_you_mean,
    render,
)
from svrules.engine.results import BidResult, RuleResult, TenderResult

CASE_SUFFIXES = (".yaml", ".yml")
POLICY_FILE = "policy.svr"
TESTS_FOLDER = "tests"

CASE_KEYS = ("name", "description", "as_of", "contract", "bids", "expect")
EXPECT_KEYS = ("applies", "as_of", "params", "bids", "rejected")
BID_KEYS = (
    "compliant",
    "rank",
    "total_score",
    "available_weight",
    "requirements",
    "criteria",
    "social_value",
    "reasons",
    "reason_mentions",
    "lets",
)
CRITERION_KEYS = ("outcome", "score", "points")
SOCIAL_VALUE_KEYS = ("total", "ratio_to_contract_value", "measures")
REQUIREMENT_OUTCOMES = ("met", "not_met", "not_applicable", "error")
CRITERION_OUTCOMES = ("scored", "not_applicable", "not_scored", "error")

_PLACES = Decimal("1e-10")
_WIDE = Context(prec=60)
_PLAIN_NUMBER = re.compile(r"[-+]?(?:[0-9][0-9_]*)?(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)?")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

Where = tuple[Any, ...]  # a path into a case: ("expect", "bids", "A", "rank")


# ---------------------------------------------------------------- errors and results


class CaseError(Exception):
    """A case that cannot be run as written: bad YAML, an unknown key, rule or bidder."""

    def __init__(self, path: Path | str, line: int | None, message: str, detail: str | None = None):
        super().__init__(message)
        self.path = str(path)
        self.line = line
        self.message = message
        self.detail = detail

    @property
    def location(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path

    def __str__(self) -> str:
        text = f"{self.location}: error: {self.message}"
        if self.detail:
            text += "\n" + _indent(self.detail)
        return text


@dataclass(frozen=True)
class Mismatch:
    """One expected field that the evaluation did not give."""

    path: str
    line: int | None
    what: str  # "bid 'A', criterion local_jobs: score"
    expected: str
    actual: str
    note: str | None = None  # replaces "expected X, got Y" when set

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        if self.note:
            return f"{where}: {self.what}: {self.note}"
        return f"{where}: {self.what} expected {self.expected}, got {self.actual}"


@dataclass
class Case:
    """One YAML document: a tender to evaluate and what to expect."""

    path: Path
    index: int  # the document's position in its file, from 1
    name: str
    policy_path: Path
    data: dict[str, Any]
    lines: dict[Where, int]

    @property
    def line(self) -> int | None:
        return self.lines.get(())

    @property
    def id(self) -> str:
        return f"{self.path}::{self.name}"

    def line_of(self, *where: Any) -> int | None:
        """The line of the nearest enclosing YAML node that has one."""
        key: Where = tuple(where)
        while key:
            if key in self.lines:
                return self.lines[key]
            key = key[:-1]
        return self.lines.get(())

    def error(self, message: str, *where: Any, detail: str | None = None) -> CaseError:
        return CaseError(self.path, self.line_of(*where), message, detail)


@dataclass
class CaseResult:
    """What running one case gave: passed, failed (with mismatches) or an error."""

    case: Case | None
    path: Path
    name: str
    mismatches: list[Mismatch] = field(default_factory=list)
    error: CaseError | None = None
    seconds: float = 0.0

    @property
    def status(self) -> str:
        if self.error is not None:
            return "error"
        return "fail" if self.mismatches else "pass"

    @property
    def passed(self) -> bool:
        return self.status == "pass"

    def report(self) -> str:
        """The diff (or the error) as text, one problem a line."""
        if self.error is not None:
            return str(self.error)
        return "\n".join(str(m) for m in self.mismatches)


# ---------------------------------------------------------------- YAML with exact numbers


class CaseLoader(yaml.SafeLoader):
    """SafeLoader whose numbers are `Decimal` (from the scalar's text) and dates strings.

    Booleans are `true`/`false` and `yes`/`no` (as in policies); `on`/`off` stay text.
    """


_BOOL_TAG = "tag:yaml.org,2002:bool"
_TIME_TAG = "tag:yaml.org,2002:timestamp"
CaseLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in (_BOOL_TAG, _TIME_TAG)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
CaseLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE|yes|Yes|YES|no|No|NO)$"),
    list("tTfFyYnN"),
)


def _construct_bool(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> bool:
    return str(loader.construct_scalar(node)).lower() in ("true", "yes")


def _construct_decimal(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Decimal:
    text = str(loader.construct_scalar(node))
    if not _PLAIN_NUMBER.fullmatch(text) or text.strip("+-") in ("", ".", "_"):
        raise yaml.constructor.ConstructorError(
            None,
            None,
            f"'{text}' is not a plain decimal number (write digits, an optional point and decimals)",
            node.start_mark,
        )
    try:
        return Decimal(text.replace("_", ""))
    except InvalidOperation:
        raise yaml.constructor.ConstructorError(
            None, None, f"'{text}' is not a number", node.start_mark
        ) from None


def _construct_text(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> str:
    return str(loader.construct_scalar(node))


CaseLoader.add_constructor("tag:yaml.org,2002:bool", _construct_bool)
CaseLoader.add_constructor("tag:yaml.org,2002:int", _construct_decimal)
CaseLoader.add_constructor("tag:yaml.org,2002:float", _construct_decimal)
CaseLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_text)

_MERGE = "tag:yaml.org,2002:merge"


class _Builder:
    """Turns composed YAML nodes into plain values, remembering each node's line."""

    def __init__(self, loader: CaseLoader, path: Path):
        self.loader = loader
        self.path = path
        self.lines: dict[Where, int] = {}

    def value(self, node: yaml.Node, where: Where, depth: int = 0) -> Any:
        if depth > 64:
            raise CaseError(self.path, node.start_mark.line + 1, "the case is nested too deeply")
        self.lines.setdefault(where, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            return self.mapping(node, where, depth)
        if isinstance(node, yaml.SequenceNode):
            return [self.value(item, (*where, i), depth + 1) for i, item in enumerate(node.value)]
        return self.loader.construct_object(node, deep=True)

    def mapping(self, node: yaml.MappingNode, where: Where, depth: int) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        seen: set[Any] = set()
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                for merged in _merge_sources(value_node):
                    if not isinstance(merged, yaml.MappingNode):
                        raise CaseError(self.path, merged.start_mark.line + 1, "'<<' merges only mappings")
                    for k, v in self.mapping(merged, where, depth + 1).items():
                        if k not in seen:
                            out[k] = v
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                raise CaseError(self.path, key_node.start_mark.line + 1, "a key must be plain text")
            key = self.loader.construct_object(key_node)
            if isinstance(key, Decimal | bool) or key is None:
                key = str(key_node.value)
            if key in seen:
                raise CaseError(self.path, key_node.start_mark.line + 1, f"'{key}' is given twice")
            seen.add(key)
            self.lines[(*where, key)] = key_node.start_mark.line + 1
            out[key] = self.value(value_node, (*where, key), depth + 1)
        return out


def _merge_sources(node: yaml.Node) -> list[yaml.Node]:
    return list(node.value) if isinstance(node, yaml.SequenceNode) else [node]


# ---------------------------------------------------------------- discovery


def policy_for(case_file: Path) -> Path | None:
    """The policy a case file belongs to: `X/tests/F.yaml` belongs to `X/policy.svr`."""
    folder = case_file.parent
    if case_file.suffix not in CASE_SUFFIXES or folder.name != TESTS_FOLDER:
        return None
    policy = folder.parent / POLICY_FILE
    return policy if policy.is_file() else None


def is_case_file(path: Path) -> bool:
    """A YAML file in a `tests/` folder next to a `policy.svr`: never unrelated YAML."""
    return path.is_file() and policy_for(path) is not None


def case_files(paths: Iterable[Path | str]) -> tuple[list[Path], list[CaseError]]:
    """The case files under PATHs: a folder of policies, one policy folder, or one file."""
    found: list[Path] = []
    errors: list[CaseError] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            errors.append(CaseError(path, None, "no such file or folder"))
        elif path.is_file():
            if is_case_file(path):
                found.append(path)
            else:
                errors.append(
                    CaseError(
                        path,
                        None,
                        "not a policy test file",
                        "a policy test is a .yaml file in a tests/ folder next to a policy.svr "
                        "(policies/NAME/tests/CASES.yaml beside policies/NAME/policy.svr)",
                    )
                )
        else:
            found += _files_under(path)
    unique = list(dict.fromkeys(p.resolve() for p in found))
    by_resolved = {p.resolve(): p for p in found}
    return [by_resolved[p] for p in unique], errors


def _files_under(folder: Path) -> list[Path]:
    if folder.name == TESTS_FOLDER and (folder.parent / POLICY_FILE).is_file():
        tests_folders = [folder]
    else:
        tests_folders = [p.parent / TESTS_FOLDER for p in sorted(folder.rglob(POLICY_FILE))]
    files: list[Path] = []
    for tests in tests_folders:
        if tests.is_dir():
            files += sorted(p for p in tests.iterdir() if p.suffix in CASE_SUFFIXES and p.is_file())
    return files


def load_cases(path: Path) -> list[Case]:
    """Every case in one file; raises `CaseError` (with the line) if the file is not valid."""
    policy = policy_for(path)
    if policy is None:
        raise CaseError(
            path, None, "not a policy test file: it must sit in a tests/ folder next to a policy.svr"
        )
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise CaseError(path, None, f"cannot read the file: {exc}") from None
    cases: list[Case] = []
    loader = CaseLoader(text)
    try:
        index = 0
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            index += 1
            builder = _Builder(loader, path)
            data = builder.value(node, ())
            if data is None or data == "":
                continue
            cases.append(_case(path, index, policy, data, builder.lines))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "cannot be read"
        if not isinstance(exc, yaml.constructor.ConstructorError):
            problem = f"malformed YAML: {problem}"
        raise CaseError(path, mark.line + 1 if mark else None, problem) from None
    except yaml.YAMLError as exc:
        raise CaseError(path, None, f"malformed YAML: {exc}") from None
    finally:
        loader.dispose()
    if not cases:
        raise CaseError(path, None, "the file holds no cases")
    names: dict[str, int] = {}
    for case in cases:
        if case.name in names:
            raise CaseError(
                path,
                case.line_of("name"),
                f"two cases are named '{case.name}' (the first at line {names[case.name]})",
            )
        names[case.name] = case.line_of("name") or 0
    return cases


def _case(path: Path, index: int, policy: Path, data: Any, lines: dict[Where, int]) -> Case:
    line = lines.get(())
    if not isinstance(data, dict):
        raise CaseError(path, line, "a case must be a mapping with name, contract, bids and expect")
    _known_keys(path, lines, data, CASE_KEYS, (), "case")
    for required in ("name", "contract", "bids", "expect"):
        if required not in data:
            raise CaseError(path, line, f"the case has no '{required}'")
    name = data["name"]
    if not isinstance(name, str) or not name.strip():
        raise CaseError(path, lines.get(("name",)), "'name' must be non-empty text")
    case = Case(path, index, name.strip(), policy, data, lines)
    _check_shape(case)
    return case


def _known_keys(
    path: Path, lines: dict[Where, int], data: dict[str, Any], known: tuple[str, ...], where: Where, what: str
) -> None:
    for key in data:
        if key not in known:
            hint = did_you_mean(str(key), known)
            raise CaseError(
                path,
                lines.get((*where, key)),
                f"unknown key '{key}' in {what}",
                f"hint: {hint or 'the keys of ' + what + ' are: ' + ', '.join(known)}",
            )


def _check_shape(case: Case) -> None:
    """What can be checked without the policy: types and keys of the case's parts."""
    data = case.data
    if not isinstance(data["contract"], dict):
        raise case.error("'contract' must be a mapping of field: value", "contract")
    bids = data["bids"]
    if not isinstance(bids, list) or not bids:
        raise case.error("'bids' must be a list of bids, each with a 'bidder'", "bids")
    for i, bid in enumerate(bids):
        if not isinstance(bid, dict):
            raise case.error("each bid must be a mapping of field: value", "bids", i)
        if not isinstance(bid.get("bidder"), str):
            raise case.error("each bid needs a 'bidder' name (text)", "bids", i)
    if "as_of" in data:
        _check_date(case, data["as_of"], "as_of")
    expect = data["expect"]
    if not isinstance(expect, dict):
        raise case.error("'expect' must be a mapping", "expect")
    _known_keys(case.path, case.lines, expect, EXPECT_KEYS, ("expect",), "expect")
    if "rejected" in expect and set(expect) - {"rejected"}:
        raise case.error("'rejected' cannot be combined with other expectations", "expect", "rejected")
    if "as_of" in expect:
        _check_date(case, expect["as_of"], "expect", "as_of")
    for key in ("params", "bids"):
        if expect.get(key) is not None and not isinstance(expect[key], dict):
            raise case.error(f"'{key}' must be a mapping of name: expectation", "expect", key)
    for bidder, want in (expect.get("bids") or {}).items():
        where = ("expect", "bids", bidder)
        if not isinstance(want, dict):
            raise case.error(f"the expectations for bid '{bidder}' must be a mapping", *where)
        _known_keys(case.path, case.lines, want, BID_KEYS, where, f"bid '{bidder}'")
        for key in ("requirements", "reasons", "reason_mentions", "lets"):
            if key in want and not isinstance(want[key], dict):
                raise case.error(f"'{key}' must be a mapping of rule id: value", *where, key)
        criteria = want.get("criteria")
        if criteria is not None and not isinstance(criteria, dict):
            raise case.error(
                "'criteria' must be a mapping of criterion id: expectation, or null", *where, "criteria"
            )
        for rule, value in (criteria or {}).items():
            if isinstance(value, dict):
                _known_keys(
                    case.path,
                    case.lines,
                    value,
                    CRITERION_KEYS,
                    (*where, "criteria", rule),
                    f"criterion {rule}",
                )
        social = want.get("social_value")
        if isinstance(social, dict):
            _known_keys(
                case.path, case.lines, social, SOCIAL_VALUE_KEYS, (*where, "social_value"), "social_value"
            )


def _check_date(case: Case, value: Any, *where: Any) -> None:
    ok = isinstance(value, str) and _DATE.fullmatch(value)
    if ok:
        try:
            date.fromisoformat(value)
        except ValueError:
            ok = False
    if not ok:
        raise case.error(f"'{value}' is not a date: write YYYY-MM-DD", *where)


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
    return _Comparer(case, policy, evaluated).compare()


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
                    f"the diagnostics do not mention {str(word)!r}:\n{_indent(rendered)}",
                )
            )
    return out


class _Comparer:
    """Compares one evaluation with a case's `expect`, collecting every mismatch."""

    def __init__(self, case: Case, policy: Policy, result: TenderResult):
        self.case = case
        self.policy = policy
        self.result = result
        self.out: list[Mismatch] = []
        rules = policy.checked.policy.rules
        self.requirements = [r.name for r in rules if r.kind == "requirement"]
        self.criteria = [r.name for r in rules if r.kind == "criterion"]
        self.measures = [r.name for r in rules if r.kind == "measure"]
        self.lets = {r.name: [let.name for let in r.lets] for r in rules}

    def mismatch(self, where: Where, what: str, expected: Any, actual: Any, note: str | None = None) -> None:
        self.out.append(
            Mismatch(str(self.case.path), self.case.line_of(*where), what, show(expected), show(actual), note)
        )

    def compare(self) -> list[Mismatch]:
        expect = self.case.data["expect"]
        if "applies" in expect:
            self.same(("expect", "applies"), "applies", expect["applies"], self.result.applies)
        if "as_of" in expect:
            self.same(("expect", "as_of"), "as_of", expect["as_of"], self.result.as_of.isoformat())
        for name, want in (expect.get("params") or {}).items():
            where = ("expect", "params", name)
            if name not in self.result.params:
                raise self.unknown("parameter", name, list(self.result.params), where)
            value, _type = self.result.params[name]
            self.same(where, f"parameter {name}", want, value)
        bidders = [b["bidder"] for b in self.case.data["bids"]]
        for bidder in expect.get("bids") or {}:
            if bidder not in bidders:
                where = ("expect", "bids", bidder)
                raise self.unknown("bidder", str(bidder), bidders, where, "bidders in this case")
        for bidder, want in (expect.get("bids") or {}).items():
            where = ("expect", "bids", bidder)
            if not self.result.applies:
                self.mismatch(
                    where,
                    f"bid '{bidder}'",
                    "a result",
                    "none",
                    "the policy does not apply, so no bid is evaluated",
                )
                continue
            self.bid(self.result.bid(bidder), want, where)
        return self.out

    def unknown(
        self, what: str, name: str, known: list[str], where: Where, among: str | None = None
    ) -> CaseError:
        hint = did_you_mean(name, known)
        listing = ", ".join(known) if known else "none"
        among = among or f"{what}s of the policy"
        detail = f"hint: {hint or f'the {among} are: {listing}'}"
        return self.case.error(f"unknown {what} '{name}'", *where, detail=detail)

    def bid(self, bid: BidResult, want: dict[str, Any], where: Where) -> None:
        label = f"bid '{bid.bidder}'"
        for key in ("compliant", "rank", "total_score", "available_weight"):
            if key in want:
                self.same((*where, key), f"{label}: {key}", want[key], getattr(bid, key))
        for rule, outcome in (want.get("requirements") or {}).items():
            w = (*where, "requirements", rule)
            if rule not in self.requirements:
                raise self.unknown("requirement", str(rule), self.requirements, w)
            self.outcome(
                w,
                f"{label}, requirement {rule}",
                outcome,
                bid.requirement(rule).outcome,
                REQUIREMENT_OUTCOMES,
            )
        if "criteria" in want:
            self.criteria_of(bid, want["criteria"], (*where, "criteria"), label)
        if "social_value" in want:
            self.social_value(bid, want["social_value"], (*where, "social_value"), label)
        for rule, text in (want.get("reasons") or {}).items():
            w = (*where, "reasons", rule)
            found = self.rule(bid, rule, w)
            if str(text) != found.reason:
                self.mismatch(w, f"{label}, {found.kind} {rule}: reason", str(text), found.reason)
        for rule, words in (want.get("reason_mentions") or {}).items():
            w = (*where, "reason_mentions", rule)
            found = self.rule(bid, rule, w)
            for word in words if isinstance(words, list) else [words]:
                if str(word) not in found.reason:
                    self.mismatch(
                        w,
                        f"{label}, {found.kind} {rule}: reason",
                        word,
                        found.reason,
                        f"does not mention {str(word)!r}: {found.reason!r}",
                    )
        for rule, values in (want.get("lets") or {}).items():
            w = (*where, "lets", rule)
            found = self.rule(bid, rule, w)
            if not isinstance(values, dict):
                raise self.case.error("'lets' of a rule must be a mapping of name: value", *w)
            for name, value in values.items():
                if name not in self.lets.get(rule, []):
                    raise self.unknown(
                        f"let of {rule}", str(name), self.lets.get(rule, []), (*w, name), f"lets of {rule}"
                    )
                self.same(
                    (*w, name), f"{label}, {found.kind} {rule}: let {name}", value, found.lets.get(name)
                )

    def rule(self, bid: BidResult, rule: Any, where: Where) -> RuleResult:
        for found in (*bid.requirements, *bid.criteria):
            if found.id == rule:
                return found
        raise self.unknown(
            "rule",
            str(rule),
            self.requirements + self.criteria,
            where,
            "requirements and criteria of the policy",
        )

    def criteria_of(self, bid: BidResult, want: Any, where: Where, label: str) -> None:
        if want is None:  # a non-compliant bid: nothing is scored
            for c in bid.criteria:
                if c.outcome != "not_scored":
                    self.mismatch(where, f"{label}, criterion {c.id}: outcome", "not_scored", c.outcome)
            return
        for rule, expected in want.items():
            w = (*where, rule)
            if rule not in self.criteria:
                raise self.unknown("criterion", str(rule), self.criteria, w)
            found = bid.criterion(rule)
            what = f"{label}, criterion {rule}"
            if isinstance(expected, str) and not _NUMBER_LIKE.match(expected.strip()):
                self.outcome(w, what, expected, found.outcome, CRITERION_OUTCOMES)
            elif isinstance(expected, dict):
                if "outcome" in expected:
                    self.outcome(
                        (*w, "outcome"), what, expected["outcome"], found.outcome, CRITERION_OUTCOMES
                    )
                for key in ("score", "points"):
                    if key in expected:
                        self.same((*w, key), f"{what}: {key}", expected[key], getattr(found, key))
            elif expected is None:
                self.same(w, f"{what}: score", None, found.score)
            else:  # a bare number or percent is the score
                self.same(w, f"{what}: score", expected, found.score)

    def social_value(self, bid: BidResult, want: Any, where: Where, label: str) -> None:
        sv = bid.social_value
        if not isinstance(want, dict):
            self.same(where, f"{label}: social_value", want, sv.total)
            return
        if "total" in want:
            self.same((*where, "total"), f"{label}: social_value total", want["total"], sv.total)
        if "ratio_to_contract_value" in want:
            self.same(
                (*where, "ratio_to_contract_value"),
                f"{label}: social_value ratio_to_contract_value",
                want["ratio_to_contract_value"],
                sv.ratio_to_contract_value,
            )
        measures = want.get("measures") or {}
        if not isinstance(measures, dict):
            raise self.case.error("'measures' must be a mapping of measure id: value", *where, "measures")
        values = {m.id: m.value for m in sv.measures}
        for rule, value in measures.items():
            w = (*where, "measures", rule)
            if rule not in self.measures:
                raise self.unknown("measure", str(rule), self.measures, w)
            self.same(w, f"{label}, measure {rule}: value", value, values.get(rule))

    def outcome(self, where: Where, what: str, expected: Any, actual: str, allowed: tuple[str, ...]) -> None:
        if expected not in allowed:
            raise self.case.error(f"'{expected}' is not an outcome: use one of {', '.join(allowed)}", *where)
        if expected != actual:
            self.mismatch(where, f"{what}: outcome", expected, actual)

    def same(self, where: Where, what: str, expected: Any, actual: Any) -> None:
        try:
            equal = values_equal(expected, actual)
        except ValueError as exc:
            raise self.case.error(f"{what}: {exc}", *where) from None
        if not equal:
            shown = show(expected)
            if (
                isinstance(actual, Decimal)
                and isinstance(expected, str)
                and ("%" in expected or "£" in expected)
            ):
                shown = f"{show(expected_decimal(expected))} ({expected.strip()})"
            self.out.append(
                Mismatch(str(self.case.path), self.case.line_of(*where), what, shown, show(actual))
            )


# ---------------------------------------------------------------- comparing values


def values_equal(expected: Any, actual: Any) -> bool:
    """Exact comparison; decimals after rounding both half up to 10 places."""
    if expected is None or actual is None:
        return expected is None and actual is None
    if isinstance(actual, bool) or isinstance(expected, bool):
        return isinstance(actual, bool) and isinstance(expected, bool) and expected == actual
    if isinstance(actual, Decimal | int):
        return _round(expected_decimal(expected)) == _round(Decimal(actual))
    if isinstance(actual, date):
        return str(expected) == actual.isoformat()
    return str(expected) == str(actual)


def expected_decimal(value: Any) -> Decimal:
    """An expected number: `0.6`, `"0.6"`, `60%` (a fraction, 0.6) or `£1,250.50`."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    if isinstance(value, str):
        text = value.strip()
        try:
            if text.endswith("%"):
                return _WIDE.divide(Decimal(text[:-1].strip()), Decimal(100))
            if text.startswith("£") or text.startswith("-£"):
                return _money(text)
            return Decimal(text)
        except InvalidOperation:
            pass
    raise ValueError(f"expected a number, not {show(value)}")


_MONEY = re.compile(r"(-?)£([0-9][0-9,]*(?:\.[0-9]+)?)(k|m|bn)?")
_MONEY_SCALE = {None: 1, "k": 1000, "m": 1000000, "bn": 1000000000}


def _money(text: str) -> Decimal:
    """`£1,250.50`, `-£5`, `£250k`, `£1.5m` or `£2bn`, as in policies."""
    match = _MONEY.fullmatch(text)
    if not match:
        raise InvalidOperation(text)
    sign, digits, scale = match.groups()
    return Decimal(sign + digits.replace(",", "")) * _MONEY_SCALE[scale]


def _round(value: Decimal) -> Decimal:
    return value.quantize(_PLACES, rounding=ROUND_HALF_UP, context=_WIDE)


def show(value: Any) -> str:
    """A value as the diff shows it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        if value.is_finite():
            text = format(_round(value).normalize(_WIDE), "f")
            return "0" if text in ("-0", "0") else text
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return repr(value) if not _IDENT.fullmatch(value) else value
    return str(value)


_NUMBER_LIKE = re.compile(r"-?£?[0-9.]")
_IDENT = re.compile(r"[A-Za-z0-9_.%£,\-]+")


def _indent(text: str, prefix: str = "    ") -> str:
    return "\n".join(prefix + line if line else line for line in text.splitlines())


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


__all__ = [
    "Case",
    "CaseError",
    "CaseLoader",
    "CaseResult",
    "Mismatch",
    "PolicyCache",
    "Run",
    "case_files",
    "expected_decimal",
    "is_case_file",
    "iter_results",
    "load_cases",
    "policy_for",
    "run_case",
    "run_paths",
    "tender_json",
    "values_equal",
]
