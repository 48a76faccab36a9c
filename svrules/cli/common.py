"""What the commands share: where messages go, `--as-of`, `--output`, loading a policy.

Each command lives in its own module and imports the heavy parts of svrules when it
runs, not when the command line starts; these helpers follow that rule too, so that
`svrules --help` and `svrules check` pay only for what they use.
"""

from __future__ import annotations

import sys
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import typer

from svrules.core.diagnostics import Diagnostic, SvrulesError, render
from svrules.core.files import write_atomic

if TYPE_CHECKING:
    from svrules.api import Policy


class TextOrJson(StrEnum):
    """`--format` of the commands that write for people or for tools."""

    text = "text"
    json = "json"


def stderr(text: str) -> None:
    """Diagnostics go to stderr unwrapped, so carets stay under what they point at."""
    sys.stderr.write(text + "\n")


def exit_with_usage(command: str, usage: str, message: str) -> NoReturn:
    """A usage error in Click's words, exit 2 (checked here so it never depends on Click)."""
    sys.stderr.write(
        f"Usage: svrules {command} {usage}\nTry 'svrules {command} --help' for help.\n\nError: {message}\n"
    )
    raise typer.Exit(2)


def count(number: int, noun: str, plural: str | None = None) -> str:
    """`1 file`, `2 files`, `0 policies`."""
    return f"{number} {noun if number == 1 else plural or noun + 's'}"


def as_of_date(text: str | None) -> date | None:
    """The date of an `--as-of` option, or None if it was not given (a bad date: exit 1)."""
    from svrules.engine.tender import parse_as_of

    return parse_as_of(text) if text else None


def load_with_warnings(path: Path) -> Policy:
    """The policy at `path`, its warnings said on stderr (its errors raise: exit 1)."""
    from svrules.api import load_policy

    policy = load_policy(path)
    for warning in policy.warnings:
        stderr(render(warning))
    return policy


def write_output(output: Path | None, text: str) -> None:
    """To stdout, or all of the file or none of it: a temporary file renamed into place."""
    if output is None:
        sys.stdout.write(text)
        return
    write_atomic(output, text)


def output_format_error(output: Path | None, message: str, hint: str) -> SvrulesError:
    """The file's name says one format and `--format` (or svrules) another: `output-format`."""
    return SvrulesError([Diagnostic("output-format", message, None, hint, path=str(output))])
