"""The installed `svrules` command, run as a user runs it: one process per case.

Every bad policy and bad tender of `tests/corpus/` goes through the CLI: the exit status
is right, the file (and line) is named on stderr, the caret sits under the expected text,
no partial result is written, and no traceback ever reaches the user. The good paths are
checked against the examples' expected files.

The corpus runs are started together in a thread pool (each is still its own process)
so the whole module stays well under a minute.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from .conftest import EXAMPLES, ROOT
from .test_corpus import (
    DEFAULT_POLICY,
    POLICIES,
    TENDERS,
    case_id,
    expected_diagnostics,
    expected_of,
)

_SCRIPT = Path(sys.executable).with_name("svrules")
SVRULES = [str(_SCRIPT)] if _SCRIPT.is_file() else [sys.executable, "-m", "svrules"]
TIMEOUT = 60
EXPECTED = sorted(
    p for p in EXAMPLES.glob("*/expected/*.json") if "tender" in json.loads(p.read_text(encoding="utf-8"))
)


# Compiled bytecode for the subprocesses goes to a private cache (never into the package's
# folders), so each of the ~250 runs does not recompile svrules when PYTHONDONTWRITEBYTECODE is set.
_PYCACHE = Path(tempfile.gettempdir()) / f"svrules-test-pycache-{os.getuid() if hasattr(os, 'getuid') else 0}"


def run(*args: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("SVRULES_DEBUG", "PYTHONDONTWRITEBYTECODE")}
    env["PYTHONPYCACHEPREFIX"] = str(_PYCACHE)
    env["NO_COLOR"] = "1"
    env["COLUMNS"] = "200"
    return subprocess.run(
        [*SVRULES, *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        timeout=TIMEOUT,
        env=env,
    )


def no_crash(result: subprocess.CompletedProcess[str]) -> None:
    """The CLI's promise: never a traceback, never an internal error."""
    for stream in (result.stdout, result.stderr):
        assert "Traceback" not in stream, stream
        assert "internal error" not in stream, stream
    assert result.returncode in (0, 1, 2), (result.returncode, result.stderr)


def rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def _policy_job(policy: Path) -> list[str]:
    return ["check", rel(policy)]


def _tender_job(tender: Path, out_dir: Path) -> list[str]:
    policy = expected_of(tender).get("policy", rel(DEFAULT_POLICY))
    output = out_dir / f"{tender.stem}.result.json"
    return ["evaluate", policy, rel(tender), "--format", "json", "--output", str(output)]


def _example_job(case: Path) -> list[str]:
    expected = json.loads(case.read_text(encoding="utf-8"))
    folder = case.parent.parent
    args = ["evaluate", rel(folder / "policy.svr"), rel(folder / expected["tender"]), "--format", "json"]
    if ".as-of-" in case.stem:
        args += ["--as-of", case.stem.split(".as-of-")[1]]
    return args


@pytest.fixture(scope="module", autouse=True)
def background(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Start every corpus and example run at once; the tests below collect them in turn."""
    out_dir = tmp_path_factory.mktemp("bad-tender-output")
    jobs: list[tuple[Any, list[str]]] = [(("policy", p), _policy_job(p)) for p in POLICIES]
    jobs += [(("tender", t), _tender_job(t, out_dir)) for t in TENDERS]
    jobs += [(("example", c), _example_job(c)) for c in EXPECTED]
    pool = ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2))
    futures: dict[Any, Future[subprocess.CompletedProcess[str]]] = {
        key: pool.submit(run, *args) for key, args in jobs
    }
    yield {"futures": futures, "out_dir": out_dir}
    pool.shutdown(wait=True, cancel_futures=True)


def collected(background: dict[str, Any], kind: str, key: Path) -> subprocess.CompletedProcess[str]:
    return background["futures"][(kind, key)].result(timeout=TIMEOUT * 4)


# ---------------------------------------------------------------- check


def _shown_file(policy: Path, want: dict[str, Any]) -> str:
    return rel(policy.parent / want["file"]) if "file" in want else rel(policy)


def _caret_blocks(stderr: str, prefix: str) -> list[tuple[str, str]]:
    """(source line, caret line) printed under each header that starts with `prefix`."""
    lines = stderr.split("\n")
    return [
        (lines[i + 1], lines[i + 2])
        for i, line in enumerate(lines[:-2])
        if line.startswith(prefix) and "^" in lines[i + 2]
    ]


def test_check_whole_corpus_as_json() -> None:
    """One `check --format json` over the corpus folder finds every expected diagnostic."""
    result = run("check", "--format", "json", rel(POLICIES[0].parent))
    no_crash(result)
    assert result.returncode == 1
    out = json.loads(result.stdout)
    assert sorted(out["files"]) == sorted(rel(p) for p in POLICIES)
    by_file: dict[str, list[dict[str, Any]]] = {}
    for diag in out["diagnostics"]:
        assert {
            "code",
            "severity",
            "message",
            "file",
            "line",
            "column",
            "end_line",
            "end_column",
            "hint",
        } <= set(diag)
        by_file.setdefault(diag["file"], []).append(diag)
    missing = []
    for policy in POLICIES:
        for want in expected_diagnostics(policy):
            codes = want["code"] if isinstance(want["code"], list) else [want["code"]]
            if not any(
                d["code"] in codes and d["line"] == want["line"]
                for d in by_file.get(_shown_file(policy, want), [])
            ):
                missing.append(f"{case_id(policy)}: {want['code']} at line {want['line']}")
    assert not missing, "\n".join(missing)
    assert out["errors"] == sum(d["severity"] == "error" for d in out["diagnostics"])
    assert out["warnings"] == sum(d["severity"] == "warning" for d in out["diagnostics"])


# ---------------------------------------------------------------- bad tenders and output files


def test_bad_tender_without_output_prints_no_result() -> None:
    result = run("evaluate", rel(DEFAULT_POLICY), rel(TENDERS[0]), "--format", "json")
    no_crash(result)
    assert result.returncode == 1
    assert result.stdout == ""


def test_bad_tender_leaves_an_existing_output_untouched(tmp_path: Path) -> None:
    output = tmp_path / "result.json"
    output.write_text("previous result\n", encoding="utf-8")
    bad = next(t for t in TENDERS if t.stem == "every-problem-listed")
    result = run("evaluate", rel(DEFAULT_POLICY), rel(bad), "--output", output)
    no_crash(result)
    assert result.returncode == 1
    assert output.read_text(encoding="utf-8") == "previous result\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["result.json"]


# ---------------------------------------------------------------- files and options that are wrong


@pytest.fixture
def odd_files(tmp_path: Path) -> Path:
    (tmp_path / "latin1.svr").write_bytes(
        (ROOT / "examples" / "example-borough" / "policy.svr")
        .read_text(encoding="utf-8")
        .replace("Example Borough Council", "Caf\u00e9 Borough Council")
        .encode("latin-1", errors="replace")
    )
    (tmp_path / "empty.svr").write_bytes(b"")
    (tmp_path / "comments-only.svr").write_text("# nothing here yet\n", encoding="utf-8")
    (tmp_path / "no-policies").mkdir()
    return tmp_path


@pytest.mark.parametrize(
    ("args", "named", "says"),
    [
        (["check", "no-such-policy.svr"], "no-such-policy.svr", "no such file"),
        (["check", "{tmp}/latin1.svr"], "latin1.svr", "UTF-8"),
        (["check", "{tmp}/empty.svr"], "empty.svr", "policy"),
        (["check", "{tmp}/comments-only.svr"], "comments-only.svr", "policy"),
        (["check", "{tmp}/no-policies"], "no-policies", ".svr"),
        (
            ["evaluate", "no-such-policy.svr", "{borough}/tenders/spec-two-bids.json"],
            "no-such-policy.svr",
            "no such file",
        ),
        (["evaluate", "{borough}", "{borough}/tenders/spec-two-bids.json"], "example-borough", "directory"),
        (["evaluate", "{borough}/policy.svr", "no-such-tender.json"], "no-such-tender.json", "no such file"),
        (["evaluate", "{borough}/policy.svr", "{borough}/tenders"], "tenders", "directory"),
        (["schema", "no-such-policy.svr"], "no-such-policy.svr", "no such file"),
    ],
    ids=lambda v: "-".join(v) if isinstance(v, list) else None,
)
def test_bad_files(args: list[str], named: str, says: str, odd_files: Path) -> None:
    places = {"tmp": str(odd_files), "borough": rel(EXAMPLES / "example-borough")}
    result = run(*(a.format(**places) for a in args))
    no_crash(result)
    assert result.returncode == 1, result.stderr
    assert named in result.stderr
    assert says in result.stderr
    if args[0] == "evaluate" or args[0] == "schema":
        assert result.stdout == ""


def test_as_of_before_a_dated_parameter() -> None:
    """Spec: an error naming the parameter and its first date; like every error, it names its file."""
    nhs = EXAMPLES / "northfield-nhs"
    result = run(
        "evaluate",
        rel(nhs / "policy.svr"),
        rel(nhs / "tenders" / "estates-fm-2026.json"),
        "--as-of",
        "2023-01-01",
    )
    no_crash(result)
    assert result.returncode == 1
    assert result.stdout == ""
    assert "net_zero_target" in result.stderr and "2024-01-01" in result.stderr
    assert rel(nhs / "policy.svr") in result.stderr, result.stderr


@pytest.mark.parametrize("as_of", ["2025-13-01", "1 June 2025"])
def test_bad_as_of(as_of: str) -> None:
    borough = EXAMPLES / "example-borough"
    result = run(
        "evaluate",
        rel(borough / "policy.svr"),
        rel(borough / "tenders" / "spec-two-bids.json"),
        "--as-of",
        as_of,
    )
    no_crash(result)
    assert result.returncode == 1
    assert as_of in result.stderr
    assert "--as-of" in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("args", "mentions"),
    [
        (["evaluate", "{policy}", "{tender}", "--bogus"], "--bogus"),
        (["evaluate", "{policy}", "{tender}", "--format", "yaml"], "yaml"),
        (["evaluate", "{policy}"], "tender"),
        (["frobnicate"], "frobnicate"),
    ],
    ids=["evaluate-unknown-option", "unknown-format", "missing-argument", "unknown-command"],
)
def test_usage_errors(args: list[str], mentions: str) -> None:
    places = {
        "policy": rel(DEFAULT_POLICY),
        "tender": rel(EXAMPLES / "example-borough" / "tenders" / "spec-two-bids.json"),
    }
    result = run(*(a.format(**places) for a in args))
    no_crash(result)
    assert result.returncode == 2, result.stderr
    assert mentions in result.stderr.lower()
    assert result.stdout == ""


# ---------------------------------------------------------------- good paths


def test_check_examples_is_clean() -> None:
    result = run("check", "examples")
    no_crash(result)
    assert result.returncode == 0, result.stderr
    assert "checked 3 policies: 0 errors, 0 warnings" in result.stderr


def test_output_writes_the_same_json_atomically(tmp_path: Path, background: dict[str, Any]) -> None:
    borough = EXAMPLES / "example-borough"
    tender = borough / "tenders" / "borough-cleaning-2025.json"
    output = tmp_path / "result.json"
    output.write_text("an older result\n", encoding="utf-8")
    written = run("evaluate", rel(borough / "policy.svr"), rel(tender), "--output", output)
    no_crash(written)
    assert written.returncode == 0, written.stderr
    assert written.stdout == ""
    printed = collected(background, "example", borough / "expected" / "borough-cleaning-2025.json")
    assert json.loads(output.read_text(encoding="utf-8")) == json.loads(printed.stdout)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["result.json"], "no temporary file is left"


def test_markdown_names_every_bidder(tmp_path: Path) -> None:
    borough = EXAMPLES / "example-borough"
    tender = borough / "tenders" / "borough-cleaning-2025.json"
    result = run("evaluate", rel(borough / "policy.svr"), rel(tender), "--format", "markdown")
    no_crash(result)
    assert result.returncode == 0, result.stderr
    for bid in json.loads(tender.read_text(encoding="utf-8"))["bids"]:
        assert bid["bidder"] in result.stdout
    assert result.stdout.lstrip().startswith("#")
    # --output with .md picks markdown and writes the same text
    output = tmp_path / "result.md"
    written = run("evaluate", rel(borough / "policy.svr"), rel(tender), "--output", output)
    assert written.returncode == 0, written.stderr
    assert output.read_text(encoding="utf-8") == result.stdout


def test_table_names_every_bidder() -> None:
    nhs = EXAMPLES / "northfield-nhs"
    tender = nhs / "tenders" / "estates-fm-2026.json"
    result = run("evaluate", rel(nhs / "policy.svr"), rel(tender), "--as-of", "2026-05-01")
    no_crash(result)
    assert result.returncode == 0, result.stderr
    for bid in json.loads(tender.read_text(encoding="utf-8"))["bids"]:
        assert bid["bidder"] in result.stdout


def test_check_json_counts() -> None:
    errors3 = next(p for p in POLICIES if p.stem == "three-semantic-errors")
    warning1 = next(p for p in POLICIES if p.stem == "not-snake-case")
    good = EXAMPLES / "example-borough" / "policy.svr"
    result = run("check", "--format", "json", rel(errors3), rel(warning1), rel(good))
    no_crash(result)
    assert result.returncode == 1
    out = json.loads(result.stdout)
    assert out["files"] == [rel(errors3), rel(warning1), rel(good)]
    assert (out["errors"], out["warnings"]) == (3, 1)
    assert len(out["diagnostics"]) == 4
    assert sorted(d["code"] for d in out["diagnostics"]) == [
        "not-snake-case",
        "unit-mismatch",
        "unknown-field",
        "unknown-name",
    ]
    for diag in out["diagnostics"]:
        assert diag["file"] in (rel(errors3), rel(warning1))
        assert diag["line"] >= 1 and diag["column"] >= 1
        assert (diag["end_line"], diag["end_column"]) > (diag["line"], diag["column"])
    only_warning = run("check", "--format", "json", rel(warning1))
    assert only_warning.returncode == 0, "warnings leave the exit status 0"
    assert json.loads(only_warning.stdout)["warnings"] == 1


def test_columns_count_characters_not_bytes(background: dict[str, Any]) -> None:
    """Spec: columns count Unicode code points from 1; the caret sits under the text."""
    policy = next(p for p in POLICIES if p.stem == "non-ascii-before-error")
    number = expected_of(policy)["line"]
    line = policy.read_text(encoding="utf-8").split("\n")[number - 1]
    assert "£" in line and "é" in line
    column = line.index("contract.valeur") + 1
    as_json = json.loads(run("check", "--format", "json", rel(policy)).stdout)
    [diag] = as_json["diagnostics"]
    assert (diag["line"], diag["column"], diag["end_column"]) == (
        number,
        column,
        column + len("contract.valeur"),
    )
    text = collected(background, "policy", policy).stderr
    assert f"{rel(policy)}:{number}:{column}: error:" in text
    [(source, caret)] = _caret_blocks(text, f"{rel(policy)}:{number}:")
    assert source[caret.index("^") : caret.rindex("^") + 1] == "contract.valeur"


def test_schema_lists_the_fields() -> None:
    policy = EXAMPLES / "example-borough" / "policy.svr"
    result = run("schema", rel(policy))
    no_crash(result)
    assert result.returncode == 0, result.stderr
    schema = json.loads(result.stdout)
    bid = schema["properties"]["bids"]["items"]
    contract = schema["properties"]["contract"]
    assert set(bid["properties"]) == {
        "bidder", "pays_real_living_wage", "apprenticeships", "local_hires_fte", "sme_spend",
        "volunteering_hours", "local_employment_weeks",
    }  # fmt: skip
    assert set(bid["required"]) == {
        "bidder",
        "pays_real_living_wage",
        "apprenticeships",
        "local_hires_fte",
        "sme_spend",
    }
    assert set(contract["properties"]) == {"value", "category", "tender_date"}
    assert set(contract["required"]) == {"value", "category", "tender_date"}
    assert bid.get("additionalProperties") is False and contract.get("additionalProperties") is False
    assert contract["properties"]["category"]["enum"] == ["goods", "services", "works"]


SCHEMA_CASES = [
    (folder, tender)
    for folder in sorted(EXAMPLES.iterdir())
    if (folder / "tenders").is_dir()
    for tender in sorted((folder / "tenders").glob("*.json"))
]


@pytest.mark.parametrize(("folder", "tender"), SCHEMA_CASES, ids=lambda v: v.name)
def test_schema_accepts_the_example_tenders(folder: Path, tender: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(run("schema", rel(folder / "policy.svr")).stdout)
    jsonschema.validate(json.loads(tender.read_text(encoding="utf-8")), schema)


def test_schema_refuses_a_bad_tender() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(run("schema", rel(DEFAULT_POLICY)).stdout)
    bad = next(t for t in TENDERS if t.stem == "string-for-count")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(json.loads(bad.read_text(encoding="utf-8")), schema)


# ---------------------------------------------------------------- the background runs: every bad policy, every bad tender, every example


@pytest.mark.parametrize("policy", POLICIES, ids=case_id)
def test_check_bad_policy(policy: Path, background: dict[str, Any]) -> None:
    result = collected(background, "policy", policy)
    no_crash(result)
    wanted = expected_diagnostics(policy)
    errors = sum(w.get("severity", "error") == "error" for w in wanted)
    warnings = len(wanted) - errors
    assert result.returncode == (1 if errors else 0), result.stderr
    assert result.stdout == ""
    if any("file" not in w for w in wanted):
        assert rel(policy) in result.stderr
    for want in wanted:
        severity = want.get("severity", "error")
        head = re.compile(rf"^{re.escape(_shown_file(policy, want))}:{want['line']}:\d+: {severity}: ", re.M)
        assert head.search(result.stderr), f"no '{severity}' at line {want['line']}:\n{result.stderr}"
        expected_text = want.get("underlined")
        if isinstance(expected_text, str) and expected_text.strip() and "\t" not in expected_text:
            prefix = f"{_shown_file(policy, want)}:{want['line']}:"
            under = [
                src[caret.index("^") : caret.rindex("^") + 1]
                for src, caret in _caret_blocks(result.stderr, prefix)
            ]
            assert expected_text in under, f"carets under {under}, expected under {expected_text!r}"
    summary = (
        f"checked 1 policy: {errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"
    )
    assert summary in result.stderr


@pytest.mark.parametrize("tender", TENDERS, ids=case_id)
def test_evaluate_bad_tender(tender: Path, background: dict[str, Any]) -> None:
    result = collected(background, "tender", tender)
    output = background["out_dir"] / f"{tender.stem}.result.json"
    no_crash(result)
    assert result.returncode == 1, result.stderr
    assert result.stdout == ""
    assert not output.exists(), "a result was written for a bad tender"
    assert not list(output.parent.glob(f".{output.name}*")), "a temporary file was left behind"
    assert rel(tender) in result.stderr
    for want in expected_diagnostics(tender):
        if "where" in want:
            assert want["where"] in result.stderr
        assert want["message_contains"] in result.stderr, result.stderr
        if "line" in want:
            lines = want["line"] if isinstance(want["line"], list) else [want["line"]]
            assert any(f"{rel(tender)}:{n}:" in result.stderr for n in lines), result.stderr


@pytest.mark.parametrize("case", EXPECTED, ids=lambda p: f"{p.parent.parent.name}/{p.stem}")
def test_evaluate_json_matches_expected(case: Path, background: dict[str, Any]) -> None:
    result = collected(background, "example", case)
    no_crash(result)
    assert result.returncode == 0, result.stderr
    expected = json.loads(case.read_text(encoding="utf-8"))
    out = json.loads(result.stdout)
    assert out["policy"]["id"] == expected["policy"]
    assert out["as_of"] == expected["as_of"]
    assert out["applies"] == expected["applies"]
    bids = {b["bidder"]: b for b in out["bids"]}
    assert set(bids) == set(expected["bids"])
    assert [b["bidder"] for b in out["bids"]] == [
        b["bidder"]
        for b in json.loads((case.parent.parent / expected["tender"]).read_text(encoding="utf-8"))["bids"]
    ], "bids keep their input order"
    for bidder, want in expected["bids"].items():
        assert bids[bidder]["rank"] == want["rank"], bidder
        assert bids[bidder]["compliant"] == want["compliant"], bidder
        assert isinstance(bids[bidder]["rank"], int | type(None))
        if want.get("total_score") is None:
            assert bids[bidder]["total_score"] is None
        else:
            assert isinstance(bids[bidder]["total_score"], str), "decimals are JSON strings"
