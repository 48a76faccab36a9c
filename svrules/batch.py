"""Bulk evaluation: one tender per line of JSON Lines, on one or more processes.

Owns the streaming path for frameworks with thousands of tenders: each worker loads and
compiles the policy once, lines are handed out in chunks, and results come back in input
order, one JSON object per line. A line that is not a valid tender gives an error object
for that line; the others go on.
"""

from __future__ import annotations

import json
import multiprocessing
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

from .api import Policy, load_policy
from .diagnostics import SvrulesError
from .tender import tender_from_text

_POLICY: Policy | None = None
_OPTIONS: dict[str, Any] = {}


def _init_worker(policy_path: str, as_of: date | None, detail: str) -> None:
    global _POLICY
    _POLICY = load_policy(policy_path)
    _OPTIONS.update(as_of=as_of, detail=detail)


def evaluate_line(numbered: tuple[int, str]) -> str:
    """Evaluate one JSONL line; returns the output line (a result or an error object)."""
    number, text = numbered
    assert _POLICY is not None, "call _init_worker first"
    try:
        _, data = tender_from_text(text, f"line {number}")
        result = _POLICY.evaluate(_POLICY.validate(data, path=f"line {number}"), as_of=_OPTIONS["as_of"])
    except SvrulesError as exc:
        return json.dumps(
            {"line": number, "errors": [d.to_json() for d in exc.diagnostics]}, ensure_ascii=False
        )
    out = result.to_json() if _OPTIONS["detail"] == "full" else result.to_summary_json()
    out["line"] = number
    return json.dumps(out, ensure_ascii=False)


def _numbered(lines: Iterable[str]) -> Iterator[tuple[int, str]]:
    for number, line in enumerate(lines, start=1):
        if line.strip():
            yield number, line


def evaluate_jsonl(
    policy_path: Path | str,
    lines: Iterable[str],
    *,
    jobs: int = 1,
    as_of: date | None = None,
    detail: str = "summary",
    chunk: int = 64,
) -> Iterator[str]:
    """Output lines for input lines, in input order, using `jobs` processes."""
    if jobs <= 1:
        _init_worker(str(policy_path), as_of, detail)
        yield from map(evaluate_line, _numbered(lines))
        return
    context = multiprocessing.get_context(
        "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    )
    with context.Pool(jobs, initializer=_init_worker, initargs=(str(policy_path), as_of, detail)) as pool:
        yield from pool.imap(evaluate_line, _numbered(lines), chunksize=chunk)
