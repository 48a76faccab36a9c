"""`svrules batch POLICY TENDERS`: many tenders, one per line, one result per line.

Reads JSON Lines from a file or stdin (`-`) and writes one result per line in input order,
on `--jobs` processes. The policy is loaded once first, so its errors are reported once
(exit 1) before any worker starts; a bad line gives an error object for that line only.
"""

from __future__ import annotations

import codecs
import sys
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import Annotated, BinaryIO

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
    else:
        with _open_input(tenders) as handle:  # a regular file, checked once it is open
            if jobs > 1 and _is_utf8(handle):  # each worker reads its own part of the file
                results = evaluate_jsonl_file(policy, tenders, jobs=jobs, as_of=day, detail=detail.value)
            else:  # a line that is not UTF-8 gets its own error object, as any bad line does
                lines = (line.decode("utf-8", errors="surrogateescape") for line in handle)
                results = (
                    line + "\n"
                    for line in evaluate_jsonl(policy, lines, jobs=jobs, as_of=day, detail=detail.value)
                )
            write_output(output, "".join(results))
            return
    write_output(output, "".join(results))


def _is_utf8(handle: BinaryIO) -> bool:
    """Whether the whole file is UTF-8 (read in pieces); the handle is rewound."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        while piece := handle.read(1 << 20):
            decoder.decode(piece)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    finally:
        handle.seek(0)
    return True


def _open_input(tenders: Path) -> BinaryIO:
    """The JSON Lines file, opened by the one safe reader: a regular file, at most 1 GiB."""
    from svrules.core.limits import MAX_BATCH_BYTES
    from svrules.core.source import SourceReadError, open_regular

    try:
        return open_regular(tenders, limit=MAX_BATCH_BYTES)
    except SourceReadError as exc:
        raise SvrulesError(
            [Diagnostic("unreadable-file", exc.message, None, exc.hint, path=exc.path)]
        ) from None


def register(app: typer.Typer) -> None:
    """Add `svrules batch` to the command line."""
    app.command()(batch)
