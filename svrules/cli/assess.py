"""`svrules assess POLICY REPORT`: a contract's KPIs rated for one reporting period.

Prints each KPI's rating with its OCDS code and reason, and the section 52 check
(Procurement Act 2023) when it applies; `--format json` for tools.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from svrules.cli.common import TextOrJson, as_of_date, write_output

if TYPE_CHECKING:
    from svrules.engine.assessment import Assessment


def assess(
    policy: Annotated[Path, typer.Argument(help="The policy (.svr) with its KPIs")],
    report: Annotated[
        Path, typer.Argument(help="The performance report (JSON: contract, bid, delivery, period)")
    ],
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Parameters as on this date (default: the period's end)")
    ] = None,
    format: Annotated[
        TextOrJson, typer.Option("--format", help="text for people, json for tools")
    ] = TextOrJson.text,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file")] = None,
) -> None:
    """Rate a contract's KPIs for one period, with OCDS codes and the section 52 check."""
    from svrules.api import load_policy
    from svrules.engine.assessment import assess_file

    assessment = assess_file(load_policy(policy), report, as_of_date(as_of))
    if format is TextOrJson.json:
        write_output(output, json.dumps(assessment.to_json(), indent=2, ensure_ascii=False) + "\n")
        return
    write_output(output, _text(assessment))


def _text(assessment: Assessment) -> str:
    lines = [
        f"{assessment.policy.title}: KPIs of {assessment.bidder}, {assessment.start} to {assessment.end}"
    ]
    for k in assessment.kpis:
        mark = " (material)" if k.material else ""
        lines.append(f"  {k.title}{mark}: {k.rating.replace('_', ' ')} [{k.ocds or '-'}]. {k.reason}")
    s52 = assessment.section_52
    if s52["applies"]:
        lines.append("Section 52: " + ("ok" if s52["ok"] else "; ".join(s52["problems"])))
    return "\n".join(lines) + "\n"


def register(app: typer.Typer) -> None:
    """Add `svrules assess` to the command line."""
    app.command()(assess)
