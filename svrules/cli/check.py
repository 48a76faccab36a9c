"""`svrules check PATH...`: every error and warning of some policies, in one run.

Prints the diagnostics on stderr with a summary (or, with `--format json`, one JSON
document on stdout). Exit status 1 if any policy has an error, else 0; 70 if the checker
crashed on a file (every other file is still checked and reported).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from svrules.cli.common import TextOrJson, count, stderr
from svrules.core.diagnostics import Diagnostic, render
from svrules.core.files import no_policy_files, policy_files
from svrules.core.source import SourceFile


def check(
    paths: Annotated[list[Path], typer.Argument(help="Policy files, or folders to search for *.svr files")],
    format: Annotated[
        TextOrJson, typer.Option("--format", help="text for people, json for tools")
    ] = TextOrJson.text,
) -> None:
    """Check policies: every error and warning in one run; exit 1 if any error."""
    files = policy_files(paths)
    everything: list[Diagnostic] = []
    sources: dict[str, SourceFile] = {}
    if not files:
        everything.append(no_policy_files(paths))
    crashed = 0
    for file in files:
        diagnostics, found = _check_one(file)
        crashed += any(d.code == "internal-error" for d in diagnostics)
        everything += diagnostics
        sources |= found
    errors = sum(d.severity == "error" for d in everything)
    warnings = len(everything) - errors
    if format is TextOrJson.json:
        out = {
            "files": [str(f) for f in files],
            "errors": errors,
            "warnings": warnings,
            "diagnostics": [d.to_json() for d in everything],
        }
        sys.stdout.write(json.dumps(out, indent=2, ensure_ascii=False) + "\n")
    else:
        for diag in everything:
            stderr(render(diag, sources))
        checked = count(len(files), "policy", "policies")
        stderr(f"checked {checked}: {count(errors, 'error')}, {count(warnings, 'warning')}")
    raise typer.Exit(70 if crashed else 1 if errors else 0)


def _check_one(file: Path) -> tuple[list[Diagnostic], dict[str, SourceFile]]:
    """One file's diagnostics; a crash of the checker is that file's internal error, not the run's."""
    from svrules.api import check_file

    try:
        _, diagnostics, found = check_file(file)
    except Exception as exc:  # the other files are still checked and reported
        if os.environ.get("SVRULES_DEBUG"):
            raise
        message = f"internal error while checking this file: {type(exc).__name__}: {exc}"
        hint = "please report this; run with SVRULES_DEBUG=1 to see where it happened"
        return [Diagnostic("internal-error", message, None, hint, path=str(file))], {}
    return diagnostics, found


def register(app: typer.Typer) -> None:
    """Add `svrules check` to the command line."""
    app.command()(check)
