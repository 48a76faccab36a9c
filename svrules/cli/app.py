"""The `svrules` command line: check, evaluate, schema.

Owns arguments, output formats, exit codes and the promise that a user never sees a
traceback: svrules' own errors print as diagnostics (exit 1), usage errors as usage
(exit 2), and anything unexpected as one line naming the fault (exit 70).
"""

from __future__ import annotations

import json
import os
import sys
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from svrules.api import check_file, load_policy
from svrules.cli.diff import register as register_diff
from svrules.cli.docs import register as register_docs
from svrules.cli.fmt import register as register_fmt
from svrules.cli.render import register as register_render
from svrules.cli.test import register as register_test
from svrules.core.diagnostics import Diagnostic, SvrulesError, render
from svrules.core.files import no_policy_files, policy_files, write_atomic
from svrules.documents.report import print_table, to_markdown
from svrules.engine.tender import parse_as_of

app = typer.Typer(
    name="svrules",
    help="Social value rules for public procurement: check policies, evaluate tenders.",
    pretty_exceptions_enable=False,
    add_completion=False,
    no_args_is_help=True,
)


class CheckFormat(StrEnum):
    text = "text"
    json = "json"


class ResultFormat(StrEnum):
    table = "table"
    json = "json"
    markdown = "markdown"


@app.command()
def check(
    paths: Annotated[list[Path], typer.Argument(help="Policy files, or folders to search for *.svr files")],
    format: Annotated[
        CheckFormat, typer.Option("--format", help="text for people, json for tools")
    ] = CheckFormat.text,
) -> None:
    """Check policies: every error and warning in one run; exit 1 if any error."""
    files = policy_files(paths)
    everything: list[Diagnostic] = []
    sources: dict[str, Any] = {}
    if not files:
        everything.append(no_policy_files(paths))
    for file in files:
        _, diagnostics, found = check_file(file)
        everything += diagnostics
        sources |= found
    errors = sum(d.severity == "error" for d in everything)
    warnings = len(everything) - errors
    if format is CheckFormat.json:
        out = {
            "files": [str(f) for f in files],
            "errors": errors,
            "warnings": warnings,
            "diagnostics": [d.to_json() for d in everything],
        }
        sys.stdout.write(json.dumps(out, indent=2, ensure_ascii=False) + "\n")
    else:
        for diag in everything:
            _stderr(render(diag, sources))
        summary = f"checked {len(files)} {'policy' if len(files) == 1 else 'policies'}: {errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"
        _stderr(summary)
    raise typer.Exit(1 if errors else 0)


def _stderr(text: str) -> None:
    """Diagnostics go to stderr unwrapped, so carets stay under what they point at."""
    sys.stderr.write(text + "\n")


def _as_of(text: str | None) -> date | None:
    return parse_as_of(text) if text else None


def _write(output: Path | None, text: str) -> None:
    """Write all of the output or none of it: a temporary file renamed into place."""
    if output is None:
        sys.stdout.write(text)
        return
    write_atomic(output, text)


@app.command()
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
    chosen = format or _format_for(output)
    day = _as_of(as_of)
    compiled = load_policy(policy)
    for warning in compiled.warnings:
        _stderr(render(warning))
    result = compiled.evaluate(tender, as_of=day)
    if chosen is ResultFormat.json:
        _write(output, json.dumps(result.to_json(), indent=2, ensure_ascii=False) + "\n")
    elif chosen is ResultFormat.markdown:
        _write(output, to_markdown(result))
    elif output is None:
        print_table(result, Console(highlight=False, width=None if sys.stdout.isatty() else 140))
    else:
        console = Console(record=True, width=120, file=open(os.devnull, "w"), highlight=False)  # noqa: SIM115
        print_table(result, console)
        _write(output, console.export_text())


def _format_for(output: Path | None) -> ResultFormat:
    if output is not None and output.suffix == ".json":
        return ResultFormat.json
    if output is not None and output.suffix in (".md", ".markdown"):
        return ResultFormat.markdown
    return ResultFormat.table


@app.command()
def schema(
    policy: Annotated[Path, typer.Argument(help="The policy (.svr)")],
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file")] = None,
) -> None:
    """Print the JSON Schema of the tender input the policy accepts."""
    compiled = load_policy(policy)
    _write(output, json.dumps(compiled.tender_schema(), indent=2, ensure_ascii=False) + "\n")


@app.command()
def assess(
    policy: Annotated[Path, typer.Argument(help="The policy (.svr) with its KPIs")],
    report: Annotated[
        Path, typer.Argument(help="The performance report (JSON: contract, bid, delivery, period)")
    ],
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Parameters as on this date (default: the period's end)")
    ] = None,
    format: Annotated[
        CheckFormat, typer.Option("--format", help="text for people, json for tools")
    ] = CheckFormat.text,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file")] = None,
) -> None:
    """Rate a contract's KPIs for one period, with OCDS codes and the section 52 check."""
    from svrules.engine.assessment import assess_file

    assessment = assess_file(load_policy(policy), report, _as_of(as_of))
    if format is CheckFormat.json:
        _write(output, json.dumps(assessment.to_json(), indent=2, ensure_ascii=False) + "\n")
        return
    lines = [
        f"{assessment.policy.title}: KPIs of {assessment.bidder}, {assessment.start} to {assessment.end}"
    ]
    for k in assessment.kpis:
        mark = " (material)" if k.material else ""
        lines.append(f"  {k.title}{mark}: {k.rating.replace('_', ' ')} [{k.ocds or '-'}]. {k.reason}")
    s52 = assessment.section_52
    if s52["applies"]:
        lines.append("Section 52: " + ("ok" if s52["ok"] else "; ".join(s52["problems"])))
    _write(output, "\n".join(lines) + "\n")


class Detail(StrEnum):
    summary = "summary"
    full = "full"


@app.command()
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
    from svrules.tools.batch import evaluate_jsonl, evaluate_jsonl_file

    day = _as_of(as_of)
    load_policy(policy)  # report policy errors once, before any worker starts
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
            _write(output, "".join(results))
            return
    _write(output, "".join(results))


# Command groups that live in their own modules register here, one line each.
register_test(app)
register_diff(app)
register_docs(app)
register_fmt(app)
register_render(app)


def main() -> None:
    """Entry point: run the app, turning every failure into a message and an exit code."""
    try:
        code = app(standalone_mode=False)
    except SvrulesError as exc:
        _stderr("\n".join(render(diag, exc.sources) for diag in exc.diagnostics))
        sys.exit(1)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        _stderr("aborted")
        sys.exit(130)
    except _click_usage_errors() as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(0)
    except Exception as exc:  # the promise: never a traceback
        if os.environ.get("SVRULES_DEBUG"):
            raise
        _stderr(f"svrules: internal error: {type(exc).__name__}: {exc}")
        _stderr("    hint: please report this; run with SVRULES_DEBUG=1 to see where it happened")
        sys.exit(70)
    sys.exit(code if isinstance(code, int) else 0)


def _click_usage_errors() -> tuple[type[Exception], ...]:
    """Click's usage errors: newer Typer bundles its own copy of Click, older uses Click's."""
    errors: list[type[Exception]] = []
    try:
        from typer._click.exceptions import ClickException as BundledClickException
    except ImportError:
        pass
    else:
        errors.append(BundledClickException)
    try:
        import click
    except ImportError:
        pass
    else:
        errors.append(click.ClickException)
    return tuple(errors)


if __name__ == "__main__":
    main()
