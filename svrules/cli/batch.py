"""`svrules batch POLICY TENDERS`: many tenders, one per line, one result per line.

Reads JSON Lines from a file or stdin (`-`) and writes one result per line in input order,
on `--jobs` processes. The policy is loaded once first, so its errors are reported once
(exit 1) before any worker starts; a bad line gives an error object for that line only.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from svrules.cli.common import as_of_date, write_output
from svrules.core.diagnostics import Diagnostic, SvrulesError


class Detail(StrEnum):
    summary = "summary"
    full = "full"


def batch(
    policy: Annotated[Path, typer.Argument(help="The policy (.svr)")],
    tenders: Annotated[Path, typer.Argument(help="JSON Lines: one tender per line ('-' for stdin)")],
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, help="Processes to use")] = 1,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Evaluate as on this date (YYYY-MM-DD)")
    ] = None,
    detail: Annotated[
        Detail, typer.Option("--detail", help="summary (numbers) or full (reasons, traces)")
    ] = Detail.summary,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file")] = None,
) -> None:
    """Evaluate many tenders, one per line, writing one result per line in input order."""
    from svrules.api import load_policy
    from svrules.tools.batch import evaluate_jsonl, evaluate_jsonl_file

    day = as_of_date(as_of)
    load_policy(policy)  # report policy errors once, before any worker starts
    results: Iterator[str]
    if str(tenders) == "-":
        results = (
            line + "\n"
            for line in evaluate_jsonl(policy, sys.stdin, jobs=jobs, as_of=day, detail=detail.value)
        )
    elif not tenders.is_file():
        raise SvrulesError(
            [Diagnostic("unreadable-file", "no such file", None, "check the path", path=str(tenders))]
        )
    elif jobs > 1:
        results = evaluate_jsonl_file(policy, tenders, jobs=jobs, as_of=day, detail=detail.value)
    else:
        with tenders.open(encoding="utf-8") as lines:
            results = (line + "\n" for line in evaluate_jsonl(policy, lines, as_of=day, detail=detail.value))
            write_output(output, "".join(results))
            return
    write_output(output, "".join(results))


def register(app: typer.Typer) -> None:
    """Add `svrules batch` to the command line."""
    app.command()(batch)
