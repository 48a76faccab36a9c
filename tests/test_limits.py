"""Expressions too deep or too long to evaluate are refused by `check`, at the expression,
naming the limit; anything `check` accepts evaluates (issue: exit 70 from the generated
code's "too many nested parentheses" and from RecursionError in the builder)."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from pathlib import Path

import pytest

from svrules.core.limits import MAX_EXPRESSION_DEPTH, MAX_EXPRESSION_TERMS

POLICY = """policy deep "Deep":
    contract:
        value: money "Contract value"
    bid:
        x: number "X"
    requirement r "R":
        met when {expr}
"""

TOO_BIG = {
    "1000-nested-minus": ("bid.x >= " + "-" * 1000 + "1", "too-deep"),
    "1000-nested-not": ("not " * 1000 + "bid.x >= 1", "too-deep"),
    "200-chained-plus": ("bid.x + " + " + ".join(["1"] * 200) + " >= 1", "too-deep"),
    "2000-term-sum": ("bid.x + " + " + ".join(["1"] * 2000) + " >= 1", "too-deep"),
    "1000-nested-if": ("(" + "yes if bid.x > 1 else " * 1000 + "no)", "too-deep"),
    "max-of-600": ("max(" + ", ".join(["bid.x"] * 600) + ") >= 1", "too-long"),
}


def svrules(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "svrules", *map(str, args)], capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize("name", sorted(TOO_BIG))
def test_oversized_expressions_are_refused_at_check(tmp_path: Path, name: str) -> None:
    expr, code = TOO_BIG[name]
    policy = tmp_path / f"{name}.svr"
    policy.write_text(POLICY.format(expr=expr), encoding="utf-8")
    done = svrules("check", "--format", "json", policy)
    assert done.returncode == 1, done.stderr[-2000:]
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr
    [diagnostic] = json.loads(done.stdout)["diagnostics"]
    assert diagnostic["code"] == code
    assert (diagnostic["file"], diagnostic["line"]) == (str(policy), 7)
    limit = MAX_EXPRESSION_DEPTH if code == "too-deep" else MAX_EXPRESSION_TERMS
    assert f"at most {limit}" in diagnostic["message"]


def test_what_check_accepts_near_the_limit_evaluates(tmp_path: Path) -> None:
    policy = tmp_path / "deep.svr"
    terms = MAX_EXPRESSION_DEPTH - 10
    policy.write_text(POLICY.format(expr="bid.x + " + " + ".join(["1"] * terms) + " >= 1"), encoding="utf-8")
    tender = tmp_path / "tender.json"
    tender.write_text(json.dumps({"contract": {"value": "1000000"}, "bids": [{"bidder": "A", "x": 3}]}))
    assert svrules("check", policy).returncode == 0
    done = svrules("evaluate", policy, tender, "--format", "json")
    assert done.returncode == 0, done.stderr[-2000:]
    [bid] = json.loads(done.stdout)["bids"]
    assert bid["requirements"][0]["outcome"] == "met"


def test_brackets_alone_do_not_count(tmp_path: Path) -> None:
    """`((((1))))` is one value however many brackets surround it."""
    policy = tmp_path / "brackets.svr"
    policy.write_text(POLICY.format(expr="bid.x >= " + "(" * 1000 + "1" + ")" * 1000), encoding="utf-8")
    assert svrules("check", policy).returncode == 0


def test_an_error_in_a_minified_file_shows_only_the_part_of_its_line_around_it(tmp_path: Path) -> None:
    """A 16 MB one-line tender with a mistake near its end must not print the whole line."""
    tender = tmp_path / "tender.json"
    tender.write_text(
        '{"contract": {"value": "1000000"},' + " " * 50_000 + '"bids": [oops]}', encoding="utf-8"
    )
    policy = tmp_path / "deep.svr"
    policy.write_text(POLICY.format(expr="bid.x >= 1"), encoding="utf-8")
    done = svrules("evaluate", policy, tender)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and len(done.stderr) < 2_000, len(done.stderr)
    shown, caret = next(
        (line, after) for line, after in itertools.pairwise(done.stderr.splitlines()) if "oops" in line
    )
    assert shown[caret.index("^") :].startswith("oops")
