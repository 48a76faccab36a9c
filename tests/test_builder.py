"""The builder's callbacks are typed as the grammar makes their children.

Lark calls them dynamically, so the type checker takes their parameter types on trust;
here every argument of every callback, over every policy of the examples and the corpus,
is checked against its annotation, and every callback is seen at least once.
"""

from __future__ import annotations

import inspect
import types
import typing
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from lark import Tree

from svrules.core.source import SourceFile, read_source
from svrules.language import builder
from svrules.language.parser import ParseFailed, parse

from .conftest import EXAMPLES, ROOT

POLICIES = sorted({*EXAMPLES.rglob("*.svr"), *(ROOT / "tests" / "corpus").rglob("*.svr")})
CALLBACKS = {
    name
    for name, value in vars(builder.AstBuilder).items()
    if not name.startswith("_") and hasattr(value, "base_func")
}


def _matches(value: object, hint: Any) -> bool:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any:
        return True
    if hint is None or hint is type(None):
        return value is None
    if origin in (typing.Union, types.UnionType):
        return any(_matches(value, arg) for arg in args)
    if origin is typing.Literal:
        return value in args
    if origin is tuple:
        if not isinstance(value, tuple):
            return False
        if len(args) == 2 and args[1] is Ellipsis:
            return all(_matches(item, args[0]) for item in value)
        return len(value) == len(args) and all(_matches(v, a) for v, a in zip(value, args, strict=True))
    return isinstance(value, origin or hint)


@cache
def _signature(name: str) -> tuple[inspect.Signature, dict[str, Any]]:
    func = vars(builder.AstBuilder)[name].base_func
    return inspect.signature(func), typing.get_type_hints(func)


class _CheckingBuilder(builder.AstBuilder):
    """The builder, checking each callback's arguments before the callback runs."""

    def __init__(self, path: str):
        super().__init__(path)
        self.seen: set[str] = set()
        self.wrong: list[str] = []

    def _call_userfunc(self, tree: Tree[Any], new_children: list[Any] | None = None) -> Any:
        children = new_children if new_children is not None else tree.children
        if tree.data not in CALLBACKS:
            self.wrong.append(f"no callback for the rule '{tree.data}'")
        else:
            self.seen.add(str(tree.data))
            signature, hints = _signature(str(tree.data))
            bound = signature.bind(self, tree.meta, *children)
            for param, value in bound.arguments.items():
                if param in ("self", "meta"):
                    continue
                values = (
                    value
                    if signature.parameters[param].kind is inspect.Parameter.VAR_POSITIONAL
                    else (value,)
                )
                for item in values:
                    if not _matches(item, hints[param]):
                        self.wrong.append(f"{tree.data}({param}={item!r}): not {hints[param]}")
        return super()._call_userfunc(tree, new_children)


# What the examples and the corpus happen not to write.
REST = SourceFile(
    "rest.svr",
    """policy rest "The rest of the expressions":
    contract:
        sector: text
        start: date
    applies when contract.sector not in ["works"] and not (contract.start < 2025-04-01)
""",
)


def _build_checked(source: SourceFile) -> _CheckingBuilder | None:
    try:
        tree = parse(source)
    except ParseFailed:
        return None
    checking = _CheckingBuilder(source.path)
    checking.transform(tree)
    return checking


@pytest.mark.parametrize("path", POLICIES, ids=lambda p: str(p.relative_to(ROOT)))
def test_callback_arguments_are_what_their_annotations_say(path: Path) -> None:
    checking = _build_checked(read_source(path))
    assert checking is None or not checking.wrong, "\n".join(checking.wrong if checking else [])


def test_callback_arguments_of_the_rest_of_the_expressions() -> None:
    checking = _build_checked(REST)
    assert checking is not None, "the policy of the rest does not parse"
    assert not checking.wrong, "\n".join(checking.wrong)


def test_every_callback_is_checked_by_some_policy() -> None:
    seen: set[str] = set()
    for source in [*map(read_source, POLICIES), REST]:
        checking = _build_checked(source)
        if checking is not None:
            seen |= checking.seen
    assert seen == CALLBACKS, f"never called: {sorted(CALLBACKS - seen)}"
