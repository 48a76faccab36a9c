"""Bulk evaluation through `svrules batch`: order, errors per line, processes agree."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from svrules import load_policy

from .conftest import EXAMPLES

POLICY = EXAMPLES / "example-borough" / "policy.svr"
TENDER = EXAMPLES / "example-borough" / "tenders" / "borough-cleaning-2025.json"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "svrules", *args], capture_output=True, text=True, check=False
    )


def _lines(tmp_path: Path) -> Path:
    tender = json.loads(TENDER.read_text(encoding="utf-8"))
    lines = []
    for n in range(30):
        t = json.loads(json.dumps(tender))
        t["id"] = f"t{n}"
        t["bids"][0]["apprenticeships"] = n % 9  # some bids fail the apprenticeship gate
        lines.append(json.dumps(t))
    lines.insert(7, '{"contract": {"value": "lots"}, "bids": []}')
    lines.insert(12, "")
    path = tmp_path / "tenders.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_batch_keeps_order_reports_bad_lines_and_agrees_across_processes(tmp_path: Path) -> None:
    source = _lines(tmp_path)
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    assert _run("batch", str(POLICY), str(source), "-o", str(one)).returncode == 0
    assert _run("batch", str(POLICY), str(source), "--jobs", "2", "-o", str(two)).returncode == 0
    assert one.read_bytes() == two.read_bytes()
    out = [json.loads(line) for line in one.read_text(encoding="utf-8").splitlines()]
    assert len(out) == 31  # 30 tenders and one bad line; the blank line is skipped
    bad = [o for o in out if "errors" in o]
    assert [o["line"] for o in bad] == [8]
    assert {e["code"] for e in bad[0]["errors"]} >= {"wrong-type", "bad-tender"}
    good = [o for o in out if "errors" not in o]
    assert [o["tender"]["id"] for o in good] == [f"t{n}" for n in range(30)]


def test_summary_agrees_with_the_full_result(tmp_path: Path) -> None:
    source = _lines(tmp_path)
    summary = json.loads(_run("batch", str(POLICY), str(source)).stdout.splitlines()[0])
    full = load_policy(POLICY).evaluate(source.read_text(encoding="utf-8").splitlines()[0]).to_json()
    for s_bid, f_bid in zip(summary["bids"], full["bids"], strict=True):
        assert s_bid["rank"] == f_bid["rank"]
        assert s_bid["total_score"] == f_bid["total_score"]
        assert s_bid["scores"] == {c["id"]: c["score"] for c in f_bid["criteria"]}
        failed = [r["id"] for r in f_bid["requirements"] if r["outcome"] in ("not_met", "error")]
        assert s_bid["failed_requirements"] == failed
        assert s_bid["social_value"] == f_bid["social_value"]["total"]


def test_batch_policy_errors_stop_before_work(tmp_path: Path) -> None:
    bad = tmp_path / "bad.svr"
    bad.write_text('policy p "P":\n    version 1\n', encoding="utf-8")
    run = _run("batch", str(bad), str(_lines(tmp_path)))
    assert run.returncode == 1
    assert "bad.svr:2" in run.stderr
    assert "Traceback" not in run.stderr
