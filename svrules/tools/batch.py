"""Bulk evaluation: one tender per line of JSON Lines, on one or more processes.

Owns the streaming path for frameworks with thousands of tenders: each worker loads and
compiles the policy once, and results come back in input order, one JSON object per line.
A line that is not a valid tender gives an error object for that line; the others go on.
From a file, each worker reads its own byte range of it, so the parent process only
stitches outputs together; from a stream, lines are handed out in chunks.
"""

from __future__ import annotations

import itertools
import json
import multiprocessing
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

from svrules.api import Policy, load_policy
from svrules.core.diagnostics import SvrulesError
from svrules.engine.tender import tender_from_text

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


def _file_ranges(path: Path, parts: int) -> list[tuple[int, int, int]]:
    """(start, end, number of the first line) for `parts` ranges that end at line breaks."""
    data = path.read_bytes()
    size = len(data)
    bounds = [0]
    for k in range(1, parts):
        cut = data.find(b"\n", size * k // parts)
        bounds.append(size if cut < 0 else cut + 1)
    bounds.append(size)
    ranges, line = [], 1
    for start, end in itertools.pairwise(bounds):
        if end > start:
            ranges.append((start, end, line))
            line += data.count(b"\n", start, end)
    return ranges


def _evaluate_range(task: tuple[str, int, int, int]) -> str:
    """A worker's share of a file: its lines' output, joined."""
    path, start, end, first = task
    with open(path, "rb") as handle:
        handle.seek(start)
        chunk = handle.read(end - start).decode("utf-8")
    lines = chunk.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    out = [evaluate_line((first + i, line)) for i, line in enumerate(lines) if line.strip()]
    return "".join(line + "\n" for line in out)


def evaluate_jsonl_file(
    policy_path: Path | str, path: Path, *, jobs: int, as_of: date | None = None, detail: str = "summary"
) -> Iterator[str]:
    """Output text for a JSON Lines file, in input order, each worker reading its own ranges."""
    ranges = _file_ranges(path, jobs * 8)
    context = multiprocessing.get_context(
        "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    )
    tasks = [(str(path), start, end, first) for start, end, first in ranges]
    with context.Pool(jobs, initializer=_init_worker, initargs=(str(policy_path), as_of, detail)) as pool:
        yield from pool.imap(_evaluate_range, tasks)
