"""`svrules docs`: a Markdown page per policy, for a contracting authority to publish.

`svrules docs POLICY_DIR OUT_DIR [--as-of DATE]` writes one page per policy found in
POLICY_DIR (its own `policy.svr`, or each subfolder's) and an `index.md` listing them.
Exit status: 0 when the pages were written, 1 when there is no policy or a policy has
errors (nothing is written then), 2 for a usage error.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Annotated

import typer

from svrules.cli.common import as_of_date, count, exit_with_usage, stderr


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
        exit_with_usage(
            "docs",
            "[OPTIONS] POLICY_DIR OUT_DIR",
            "give the folder of policies and the folder to write the pages to",
        )
    from svrules.core.files import make_folder, write_all_atomic
    from svrules.engine.runtime import today_in_uk  # on use: start-up stays quick
    from svrules.tools.policy_pages import PAGE_INDEX, build_pages, find_policies, index_page

    day = as_of_date(as_of) or today_in_uk()
    if not find_policies(policy_dir):
        stderr(f"{policy_dir}: error: no policy found")
        stderr("    hint: give a folder holding policy.svr, a folder of such folders, or a .svr file")
        raise typer.Exit(1)
    built = build_pages(policy_dir, day)
    created = make_folder(out_dir)
    try:  # every page, or none of them
        write_all_atomic(
            [(out_dir / page.name, page.text) for page in built]
            + [(out_dir / PAGE_INDEX, index_page(built, day))]
        )
    except BaseException:
        if created:
            with contextlib.suppress(OSError):
                out_dir.rmdir()
        raise
    pages = count(len(built), "policy page")
    stderr(f"wrote {pages} and index.md to {out_dir}")


def register(app: typer.Typer) -> None:
    """Add `svrules docs` to the command line."""
    app.command(name="docs")(docs)
