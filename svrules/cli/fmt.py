"""`svrules fmt [--check] PATH...`: write policies in the canonical layout.

Owns finding the files, the `--check` mode for CI, atomic rewrites and the exit codes:
0 when every file is (now) canonical, 1 when a file would change under `--check`, or a
file cannot be read, parsed or written. A file with errors is never touched.
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path
from typing import Annotated

import typer

from svrules.cli.common import count, stderr
from svrules.core.diagnostics import Diagnostic, render
from svrules.core.files import OutputError, no_policy_files, policy_files, write_atomic
from svrules.core.source import SourceReadError, read_source


def fmt(
    paths: Annotated[list[Path], typer.Argument(help="Policy files, or folders to search for *.svr files")],
    check: Annotated[
        bool,
        typer.Option("--check", help="Change nothing; exit 1 and name each file that would be reformatted"),
    ] = False,
) -> None:
    """Write policies in the canonical layout, keeping every comment; --check for CI."""
    files = policy_files(paths)
    if not files:
        stderr(render(no_policy_files(paths)))
        raise typer.Exit(1)
    changed = failed = 0
    for file in files:
        outcome = _format_file(file, check)
        changed += outcome == "changed"
        failed += outcome == "failed"
    unchanged = len(files) - changed - failed
    verb = "would be reformatted" if check else "reformatted"
    summary = [f"{count(changed, 'file')} {verb}", f"{count(unchanged, 'file')} already formatted"]
    if failed:
        summary.append(f"{count(failed, 'file')} not formatted because of errors")
    stderr("fmt: " + ", ".join(summary))
    raise typer.Exit(1 if failed or (check and changed) else 0)


def _format_file(file: Path, check: bool) -> str:
    """Format one file: "changed", "same" or "failed" (the reason is printed)."""
    from svrules.tools.fmt import FormatError, format_source  # on use: start-up stays quick

    try:
        source = read_source(file)
    except SourceReadError as exc:
        stderr(render(Diagnostic("unreadable-file", exc.message, None, exc.hint, path=exc.path)))
        return "failed"
    try:
        text = format_source(source)
    except FormatError as exc:
        for diag in exc.diagnostics:
            stderr(render(diag, exc.sources))
        stderr(f"not formatted: {file} (fix the problems above first; the file is unchanged)")
        return "failed"
    except ValueError as exc:  # a text the language cannot write back; never expected
        stderr(f"{file}: error: cannot format this file: {exc}")
        stderr("    hint: please report this; the file is unchanged")
        return "failed"
    data = text.encode("utf-8")
    if data == source.raw:
        return "same"
    if check:
        sys.stdout.write(f"would reformat: {file}\n")
        return "changed"
    try:
        _replace(file, data)
    except OutputError as exc:
        for diag in exc.diagnostics:
            stderr(render(diag))
        return "failed"
    except OSError as exc:
        stderr(f"{file}: error: cannot write the file ({exc.strerror or exc})")
        stderr("    hint: check that the file and its folder are writable; the file is unchanged")
        return "failed"
    sys.stdout.write(f"reformatted: {file}\n")
    return "changed"


def _replace(file: Path, data: bytes) -> None:
    """Write all of the new text or none of it: a temporary file beside it, renamed over it."""
    target = Path(os.path.realpath(file))  # through a symlink, rewrite what it points at
    write_atomic(target, data, mode=stat.S_IMODE(target.stat().st_mode))


def register(app: typer.Typer) -> None:
    """Add `svrules fmt` to the command line."""
    app.command("fmt")(fmt)
