"""`svrules docs`: a Markdown page per policy, for a contracting authority to publish.

`svrules docs POLICY_DIR OUT_DIR [--as-of DATE]` writes one page per policy found in
POLICY_DIR (its own `policy.svr`, or each subfolder's) and an `index.md` listing them.
Exit status: 0 when the pages were written, 1 when there is no policy or a policy has
errors (nothing is written then), 2 for a usage error.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from svrules.engine.runtime import today_in_uk
from svrules.engine.tender import parse_as_of


def docs(
    policy_dir: Annotated[
        Path | None,
        typer.Argument(
            help="A policy folder (policy.svr), a folder of them, or one .svr file", show_default=False
        ),
    ] = None,
    out_dir: Annotated[
        Path | None,
        typer.Argument(help="Where to write the pages (created if missing)", show_default=False),
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of", help="Show parameters and clauses as on this date (YYYY-MM-DD; default today)"
        ),
    ] = None,
) -> None:
    """Write a Markdown page per policy (rules in plain words, weights, clauses, source) and an index."""
    if policy_dir is None or out_dir is None:
        sys.stderr.write(
            "Usage: svrules docs [OPTIONS] POLICY_DIR OUT_DIR\n"
            "Try 'svrules docs --help' for help.\n\n"
            "Error: give the folder of policies and the folder to write the pages to\n"
        )
        raise typer.Exit(2)
    day = parse_as_of(as_of) if as_of else today_in_uk()
    from svrules.tools.policy_pages import find_policies, write_pages  # on use: start-up stays quick

    if not find_policies(policy_dir):
        sys.stderr.write(
            f"{policy_dir}: error: no policy found\n"
            "    hint: give a folder holding policy.svr, a folder of such folders, or a .svr file\n"
        )
        raise typer.Exit(1)
    written = write_pages(policy_dir, out_dir, day)
    pages = len(written) - 1
    sys.stderr.write(f"wrote {pages} policy page{'s' * (pages != 1)} and index.md to {out_dir}\n")


def register(app: typer.Typer) -> None:
    """Add `svrules docs` to the command line."""
    app.command(name="docs")(docs)
