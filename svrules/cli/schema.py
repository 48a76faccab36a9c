"""`svrules schema POLICY`: the JSON Schema of the tender input a policy accepts.

For tools that build tenders: the contract's and each bid's fields, their types, ranges
and choices, as the policy declares them. Written to stdout or `--output`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from svrules.cli.common import write_output


def schema(
    policy: Annotated[Path, typer.Argument(help="The policy (.svr)")],
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file")] = None,
) -> None:
    """Print the JSON Schema of the tender input the policy accepts."""
    from svrules.api import load_policy

    compiled = load_policy(policy)
    write_output(output, json.dumps(compiled.tender_schema(), indent=2, ensure_ascii=False) + "\n")


def register(app: typer.Typer) -> None:
    """Add `svrules schema` to the command line."""
    app.command()(schema)
