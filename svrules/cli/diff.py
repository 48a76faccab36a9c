"""`svrules diff`: the change in meaning between two versions of a policy.

`svrules diff OLD NEW` compares two files; `svrules diff NEW --rev REV` compares a file
with itself at a git revision. `--tender` evaluates a tender under both versions and
lists what changes for each bidder. Exit status: 0 when the diff was made (changed or
not), 1 when it could not be (a policy with errors, different policies, a revision that
cannot be read, a tender that does not fit), 2 for a usage error.
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from svrules.cli.common import as_of_date, exit_with_usage, load_with_warnings

if TYPE_CHECKING:
    from svrules.api import Policy


class DiffFormat(StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"


def diff(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="OLD and NEW policy files, or only NEW with --rev", show_default=False),
    ] = None,
    rev: Annotated[
        str | None,
        typer.Option("--rev", help="Compare NEW with the same file at this git revision (e.g. HEAD, main)"),
    ] = None,
    format: Annotated[
        str,
        typer.Option("--format", help="text (for review), json (for tools) or markdown (for a pull request)"),
    ] = "text",
    tender: Annotated[
        Path | None,
        typer.Option("--tender", help="Also evaluate this tender under both versions and show what changes"),
    ] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="With --tender: evaluate as on this date (YYYY-MM-DD)")
    ] = None,
    allow_rename: Annotated[
        bool, typer.Option("--allow-rename", help="Compare even if the policy's id changed")
    ] = False,
) -> None:
    """Show what changed in meaning between two versions of a policy (not its layout)."""
    paths = paths or []
    _check_usage(paths, rev, format, tender, as_of)
    day = as_of_date(as_of)
    from svrules.tools.diff import DiffError, diff_policies, tender_impact  # on use: start-up stays quick

    try:
        old, new, labels = _versions(paths, rev)
        result = diff_policies(
            old.checked, new.checked, old_label=labels[0], new_label=labels[1], allow_rename=allow_rename
        )
    except DiffError as exc:
        sys.stderr.write(exc.render() + "\n")
        raise typer.Exit(1) from None
    if tender is not None:
        result.impact = tender_impact(old, new, tender, day)
    if format == DiffFormat.json:
        sys.stdout.write(json.dumps(result.to_json(), indent=2, ensure_ascii=False) + "\n")
    elif format == DiffFormat.markdown:
        sys.stdout.write(result.to_markdown())
    else:
        sys.stdout.write(result.to_text())


def _check_usage(
    paths: list[Path], rev: str | None, format: str, tender: Path | None, as_of: str | None
) -> None:
    if rev is not None and len(paths) != 1:
        _usage("with --rev, give only the NEW policy file")
    if rev is None and len(paths) != 2:
        _usage("give two policy files, OLD and NEW (or NEW and --rev REV)")
    if format not in {f.value for f in DiffFormat}:
        _usage(f"--format must be text, json or markdown, not '{format}'")
    if as_of is not None and tender is None:
        _usage("--as-of is for --tender: give the tender to evaluate")


def _versions(paths: list[Path], rev: str | None) -> tuple[Policy, Policy, tuple[str, str]]:
    """The old and new policies and their labels: two files, or a file and its revision."""
    if rev is None:
        old, new = load_with_warnings(paths[0]), load_with_warnings(paths[1])
        return old, new, (str(paths[0]), str(paths[1]))
    from svrules.tools.diff import load_revision

    new_path = paths[0]
    new = load_with_warnings(new_path)
    old = load_revision(new_path, rev)
    return old, new, (f"{rev}:{new_path}", str(new_path))


def _usage(message: str) -> NoReturn:
    exit_with_usage("diff", "[OPTIONS] OLD NEW  |  svrules diff [OPTIONS] NEW --rev REV", message)


def register(app: typer.Typer) -> None:
    """Add `svrules diff` to the command line."""
    app.command(name="diff")(diff)
