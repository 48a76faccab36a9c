"""`svrules evaluate POLICY TENDER`: every bid's outcomes, scores, social value, rank, reasons.

Writes a table on screen, or JSON or Markdown (`--format`, or from `--output`'s suffix).
The policy's warnings go to stderr; a tender the policy rejects is an error (exit 1) and
nothing is written.
"""

from __future__ import annotations

import json
import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from svrules.cli.common import as_of_date, load_with_warnings, write_output


class ResultFormat(StrEnum):
    table = "table"
    json = "json"
    markdown = "markdown"


def evaluate(
    policy: Annotated[Path, typer.Argument(help="The policy (.svr)")],
    tender: Annotated[Path, typer.Argument(help="The tender (JSON: contract and bids)")],
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Evaluate as on this date (YYYY-MM-DD)")
    ] = None,
    format: Annotated[
        ResultFormat | None, typer.Option("--format", help="table (default on screen), json or markdown")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file instead of the screen")
    ] = None,
) -> None:
    """Evaluate every bid of a tender: outcomes, scores, social value, ranks and reasons."""
    from rich.console import Console

    from svrules.documents.report import print_table, to_markdown

    chosen = format or _format_for(output)
    day = as_of_date(as_of)
    compiled = load_with_warnings(policy)
    result = compiled.evaluate(tender, as_of=day)
    if chosen is ResultFormat.json:
        write_output(output, json.dumps(result.to_json(), indent=2, ensure_ascii=False) + "\n")
    elif chosen is ResultFormat.markdown:
        write_output(output, to_markdown(result))
    elif output is None:
        print_table(result, Console(highlight=False, width=None if sys.stdout.isatty() else 140))
    else:
        with open(os.devnull, "w") as nowhere:
            console = Console(record=True, width=120, file=nowhere, highlight=False)
            print_table(result, console)
        write_output(output, console.export_text())


def _format_for(output: Path | None) -> ResultFormat:
    """The format `--output`'s suffix asks for: `.json`, `.md`, else a table."""
    if output is not None and output.suffix == ".json":
        return ResultFormat.json
    if output is not None and output.suffix in (".md", ".markdown"):
        return ResultFormat.markdown
    return ResultFormat.table


def register(app: typer.Typer) -> None:
    """Add `svrules evaluate` to the command line."""
    app.command()(evaluate)
