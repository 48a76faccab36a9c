"""`svrules render`: the schedule, the assessment summaries and the methodology as documents.

Owns the `render` command group. Every document is built whole in memory and written
through a temporary file renamed into place, so a failure (a template that fails, a
bidder that is not in the tender) leaves no half-written file, and `feedback --all`
writes all of its files or none. The name of `--output` and the format agree: a suffix
that says another format than `--format`, or (without `--format`) one svrules does not
write, is an error (`output-format`). Errors are svrules errors (exit 1) or usage errors
(exit 2), never tracebacks.
"""

from __future__ import annotations

import contextlib
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from svrules.cli.common import as_of_date, load_with_warnings, output_format_error
from svrules.core.files import make_folder, write_all_atomic, write_atomic

if TYPE_CHECKING:
    from svrules.api import Policy
    from svrules.engine.results import TenderResult

render_app = typer.Typer(
    name="render",
    help="Write documents from a policy: the social value schedule, bidder feedback, the methodology.",
    no_args_is_help=True,
)


class DocFormat(StrEnum):
    md = "md"
    html = "html"
    docx = "docx"


_NAMES = {DocFormat.md: "Markdown", DocFormat.html: "HTML", DocFormat.docx: "Word (DOCX)"}
_BY_SUFFIX = {
    ".md": DocFormat.md,
    ".markdown": DocFormat.md,
    ".html": DocFormat.html,
    ".htm": DocFormat.html,
    ".docx": DocFormat.docx,
}

AsOf = Annotated[
    str | None, typer.Option("--as-of", help="Use the values in force on this date (YYYY-MM-DD)")
]
Format = Annotated[
    DocFormat | None, typer.Option("--format", help="md (default), html or docx; else from --output's suffix")
]


def register(app: typer.Typer) -> None:
    """Add `svrules render ...` to the main command line."""
    app.add_typer(render_app, name="render")


def _usage(message: str) -> typer.Exit:
    """A usage error: said on stderr, exit status 2 (like any other usage error)."""
    sys.stderr.write(f"usage error: {message}\n    hint: see 'svrules render --help'\n")
    return typer.Exit(2)


def _format(chosen: DocFormat | None, output: Path | None) -> DocFormat:
    """`--format`, else the format `--output`'s suffix names, else Markdown.

    A suffix that names another format than `--format` (`--format md -o x.html`) is an
    error, and so is, without `--format`, a suffix svrules does not write (`-o x.pdf`):
    the file's name would say one thing and its content another.
    """
    suffix = output.suffix.lower() if output is not None else ""
    implied = _BY_SUFFIX.get(suffix)
    if chosen is None and suffix and implied is None:
        raise output_format_error(
            output,
            f"svrules does not write '{suffix}' files: render writes Markdown (.md), HTML (.html) or Word (.docx)",
            "name the file .md, .html or .docx, or give --format to write that format under this name",
        )
    if chosen is not None and implied is not None and implied is not chosen:
        raise output_format_error(
            output,
            f"the file name ends in '{suffix}', but --format {chosen.value} writes {_NAMES[chosen]}",
            f"name the file with .{chosen.value}, or give --format {implied.value}",
        )
    return chosen or implied or DocFormat.md


def _emit(data: str | bytes, output: Path | None) -> None:
    if output is not None:
        write_atomic(output, data)
        return
    if isinstance(data, bytes):
        if sys.stdout.isatty():
            raise _usage("DOCX is binary: give --output FILE.docx")
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        sys.stdout.write(data)


@render_app.command()
def schedule(
    policy: Annotated[Path, typer.Argument(help="The policy (.svr)")],
    contract: Annotated[
        Path | None,
        typer.Option("--contract", help='A contract: JSON {"contract": {...}} or the contract\'s fields'),
    ] = None,
    tender: Annotated[
        Path | None, typer.Option("--tender", help="A tender (JSON: contract and bids)")
    ] = None,
    bidder: Annotated[
        str | None, typer.Option("--bidder", help="Write the contract schedule for this bid (needs --tender)")
    ] = None,
    as_of: AsOf = None,
    format: Format = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file")] = None,
) -> None:
    """The social value schedule: the contract wording, criteria, weights, measures and references."""
    if (contract is None) == (tender is None):
        raise _usage("give either --contract FILE or --tender FILE")
    if bidder is not None and tender is None:
        raise _usage("--bidder needs --tender (the bid comes from the tender)")
    from svrules.documents import PolicyView, read_contract
    from svrules.documents import schedule as build
    from svrules.documents.writers import write

    chosen = _format(format, output)
    day = as_of_date(as_of)
    loaded = load_with_warnings(policy)
    source = (
        loaded.validate(tender)
        if tender is not None
        else read_contract(PolicyView(loaded.compiled), contract)
    )
    _emit(write(build(loaded.compiled, source, bidder, day), chosen.value), output)


@render_app.command()
def feedback(
    policy: Annotated[Path, typer.Argument(help="The policy (.svr)")],
    tender: Annotated[Path, typer.Argument(help="The tender (JSON: contract and bids)")],
    bidder: Annotated[str | None, typer.Option("--bidder", help="Write the summary for this bidder")] = None,
    all_: Annotated[
        bool, typer.Option("--all", help="Write one summary per bidder into --output DIR")
    ] = False,
    as_of: AsOf = None,
    format: Format = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="The folder to write into (or, with --bidder, a file)"),
    ] = None,
    compare_winner: Annotated[
        bool, typer.Option("--compare-winner", help="Show the winning tender's scores beside the bidder's")
    ] = False,
) -> None:
    """Assessment summaries (regulation 31, Procurement Regulations 2024): scores explained by the tender."""
    if (bidder is None) == (not all_):
        raise _usage("give --bidder NAME or --all")
    if all_ and output is None:
        raise _usage("--all writes one file per bidder: give --output DIR")
    from svrules.documents import feedback as build
    from svrules.documents import file_stems
    from svrules.documents.writers import SUFFIXES, write

    single_file = output is not None and bidder is not None and output.suffix != "" and not output.is_dir()
    chosen = _format(format, output if single_file else None)
    day = as_of_date(as_of)
    loaded = load_with_warnings(policy)
    result = loaded.evaluate(tender, as_of=day)
    if bidder is not None:
        data = write(build(loaded.compiled, result, bidder, compare_winner), chosen.value)
        if output is None or single_file:
            _emit(data, output)
            return
        make_folder(output)
        write_atomic(
            output / (file_stems([b.bidder for b in result.bids])[bidder] + SUFFIXES[chosen.value]), data
        )
        return
    assert output is not None
    _write_all(loaded, result, output, chosen, compare_winner)


def _write_all(
    loaded: Policy, result: TenderResult, output: Path, chosen: DocFormat, compare_winner: bool
) -> None:
    """One summary per bidder into the folder `output`, all built before any is written."""
    from svrules.documents import feedback_all
    from svrules.documents.writers import SUFFIXES, write

    if output.exists() and not output.is_dir():
        raise _usage(f"{output} is a file; --all needs a folder")
    documents = [
        (stem, write(doc, chosen.value))
        for stem, doc in feedback_all(loaded.compiled, result, compare_winner)
    ]
    created = make_folder(output)
    try:  # every document is built before the first file is written, and written all or none
        write_all_atomic([(output / (stem + SUFFIXES[chosen.value]), data) for stem, data in documents])
    except BaseException:
        if created:
            with contextlib.suppress(OSError):
                output.rmdir()
        raise
    sys.stderr.write(f"wrote {len(documents)} assessment summaries to {output}\n")


@render_app.command()
def methodology(
    policy: Annotated[Path, typer.Argument(help="The policy (.svr)")],
    contract: Annotated[
        Path | None, typer.Option("--contract", help="Describe the methodology for this contract (JSON)")
    ] = None,
    as_of: AsOf = None,
    format: Format = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file")] = None,
) -> None:
    """The assessment methodology (Procurement Act 2023, s.23(3)): how each criterion is scored."""
    from svrules.documents import PolicyView, read_contract
    from svrules.documents import methodology as build
    from svrules.documents.writers import write

    chosen = _format(format, output)
    day = as_of_date(as_of)
    loaded = load_with_warnings(policy)
    source = read_contract(PolicyView(loaded.compiled), contract) if contract is not None else None
    _emit(write(build(loaded.compiled, source, day), chosen.value), output)
