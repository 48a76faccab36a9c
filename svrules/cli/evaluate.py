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

from svrules.cli.common import as_of_date, load_with_warnings, output_format_error, write_output


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

    chosen = _format_for(format, output)
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


_BY_SUFFIX = {
    ".json": ResultFormat.json,
    ".md": ResultFormat.markdown,
    ".markdown": ResultFormat.markdown,
    ".txt": ResultFormat.table,
    "": ResultFormat.table,
}


def _format_for(chosen: ResultFormat | None, output: Path | None) -> ResultFormat:
    """`--format`, else the format `--output`'s suffix names (`.json`, `.md`, `.txt`), else a table.

    As for `render`, a file name that says another format than the one written is an error:
    `--format json -o x.md`, or `-o x.pdf` with no `--format`.
    """
    if output is None:
        return chosen or ResultFormat.table
    suffix = output.suffix.lower()
    implied = _BY_SUFFIX.get(suffix)
    if chosen is None and implied is None:
        raise output_format_error(
            output,
            f"svrules does not write '{suffix}' files: evaluate writes a table (.txt), JSON (.json) or Markdown (.md)",
            "name the file .txt, .json or .md, or give --format to write that format under this name",
        )
    if chosen is not None and implied is not None and suffix and implied is not chosen:
        raise output_format_error(
            output,
            f"the file name ends in '{suffix}', but --format {chosen.value} writes {chosen.value}",
            f"name the file to match, or give --format {implied.value}",
        )
    return chosen or implied or ResultFormat.table


def register(app: typer.Typer) -> None:
    """Add `svrules evaluate` to the command line."""
    app.command()(evaluate)
