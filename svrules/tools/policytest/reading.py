"""Finding and reading policy test files: YAML whose numbers are exact decimals.

Owns where cases live (`POLICY/tests/*.yaml` beside `POLICY/policy.svr`, never unrelated
YAML), the YAML loader (every int and float a `Decimal` read from the scalar's own text,
dates kept as text, `yes`/`no` as in policies) and the line of each node of a case.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from svrules.core.source import SourceReadError, read_source
from svrules.tools.policytest.model import Case, CaseError, Where
from svrules.tools.policytest.shape import make_case

CASE_SUFFIXES = (".yaml", ".yml")
POLICY_FILE = "policy.svr"
TESTS_FOLDER = "tests"

_PLAIN_NUMBER = re.compile(r"[-+]?(?:[0-9][0-9_]*)?(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)?")


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
    try:  # the one safe reader: a regular file of bounded size, never a FIFO that blocks
        text = read_source(path).text
    except SourceReadError as exc:
        raise CaseError(path, None, f"cannot read the file: {exc.message}") from None
    cases = _read_documents(path, text, policy)
    if not cases:
        raise CaseError(path, None, "the file holds no cases")
    _check_unique_names(path, cases)
    return cases


def _read_documents(path: Path, text: str, policy: Path) -> list[Case]:
    """A case per YAML document that is not empty; `CaseError` for YAML that cannot be read."""
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
            cases.append(make_case(path, index, policy, data, builder.lines))
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
    return cases


def _check_unique_names(path: Path, cases: list[Case]) -> None:
    names: dict[str, int] = {}
    for case in cases:
        if case.name in names:
            raise CaseError(
                path,
                case.line_of("name"),
                f"two cases are named '{case.name}' (the first at line {names[case.name]})",
            )
        names[case.name] = case.line_of("name") or 0
