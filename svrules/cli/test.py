"""`svrules test`: run the policy tests (YAML cases) beside each policy.

Prints one line per case (`PASS`, `FAIL` or `ERROR` with the file and the case's name),
under a failing case the diff of what was expected against what the evaluation gave, and
a summary with the counts and the time. Exit status 1 if any case fails or cannot be run.
The cases and their runner live in `policytest`; the format is in docs/policy-tests.md.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from svrules.tools.policytest import CaseResult

DEFAULT_PATH = Path("policies")


def test(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Folders of policies, one policy's folder, or case files (default: policies/)",
            show_default=False,
        ),
    ] = None,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Print only failures, errors and the summary")
    ] = False,
) -> None:
    """Run policy tests: the YAML cases in each policy's tests/ folder; exit 1 on any failure."""
    if not paths and not DEFAULT_PATH.is_dir():
        _out(f"ERROR {DEFAULT_PATH}: error: there is no {DEFAULT_PATH}/ folder here")
        _out("    hint: run svrules test where policies/ is, or give the PATH of policies or case files")
        raise typer.Exit(1)
    raise typer.Exit(run_tests(paths or [DEFAULT_PATH], quiet=quiet))


def run_tests(paths: list[Path], quiet: bool = False) -> int:
    """Run and print; the exit status (0 when every case passed)."""
    from svrules.tools.policytest import (  # imported on use: YAML is not needed to start svrules
        Run,
        iter_results,
    )

    started = time.perf_counter()
    results: list[CaseResult] = []
    for result in iter_results(paths):
        results.append(result)
        _print_result(result, quiet)
    run = Run(results, time.perf_counter() - started)
    _out(run.summary())
    return 0 if run.ok else 1


def _print_result(result: CaseResult, quiet: bool) -> None:
    from svrules.tools.policytest.model import indented

    status = result.status
    if status == "pass":
        if not quiet:
            _out(f"PASS  {result.path}: {result.name}")
        return
    if result.case is None:  # the file or path itself could not be read
        _out(f"ERROR {result.report()}")
        return
    _out(f"{'FAIL ' if status == 'fail' else 'ERROR'} {result.path}: {result.name}")
    _out(indented(result.report()))


def _out(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def register(app: typer.Typer) -> None:
    """Add `svrules test` to the command line."""
    app.command("test")(test)
