"""The built wheel works on its own: the grammar ships inside the installed package.

Builds a wheel of this project, installs it into a fresh target folder, and runs the
installed `svrules` console script on a copy of an example policy in a folder outside the
source tree, so nothing can be picked up from the checkout (`grammar/` in particular).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "example-borough"
TENDER = "borough-cleaning-2025"

# Output of pip that means "no network or no index", the one reason to skip.
_OFFLINE = re.compile(
    r"No matching distribution found|Could not find a version that satisfies|"
    r"Temporary failure in name resolution|Failed to establish a new connection|"
    r"Network is unreachable|NewConnectionError|ProxyError|Max retries exceeded",
    re.IGNORECASE,
)


def _run(args: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=600, check=False, **kwargs)


def _build_wheel(out: Path) -> Path:
    """Build the wheel without build isolation if hatchling is installed, else with it."""
    base = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--disable-pip-version-check", "-w", str(out)]
    built = _run([*base, "--no-build-isolation", str(ROOT)])
    if built.returncode != 0:
        isolated = _run([*base, str(ROOT)])
        if isolated.returncode != 0:
            output = isolated.stdout + isolated.stderr
            if _OFFLINE.search(output):
                pytest.skip(
                    f"pip cannot build the wheel offline (hatchling is not installed):\n{output[-2000:]}"
                )
            pytest.fail(f"building the wheel failed:\n{built.stderr[-2000:]}\n{output[-4000:]}")
    wheels = sorted(out.glob("svrules-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel, installed with `pip install --target`: the folder to put on PYTHONPATH."""
    work = tmp_path_factory.mktemp("install")
    wheel = _build_wheel(work / "wheels")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        assert "svrules/language/grammar/svrules.lark" in names, names
        packaged_grammar = archive.read("svrules/language/grammar/svrules.lark").decode("utf-8")
    assert "policy:" in packaged_grammar and "MONEY" in packaged_grammar
    site = work / "site"
    done = _run(
        [
            sys.executable, "-m", "pip", "install", "--no-deps", "--no-index",
            "--disable-pip-version-check", "--target", str(site), str(wheel),
        ]
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return site


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A copy of the example's policy, clauses and tenders, far from the source tree."""
    folder = tmp_path / "policies" / "borough"
    shutil.copytree(EXAMPLE, folder, ignore=shutil.ignore_patterns("expected"))
    assert ROOT not in folder.resolve().parents
    return folder


def _env(site: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "SVRULES"))}
    env["PYTHONPATH"] = str(site)
    env["PYTHONNOUSERSITE"] = "1"
    return env


def _script(site: Path) -> Path:
    script = site / "bin" / ("svrules.exe" if os.name == "nt" else "svrules")
    assert script.is_file(), (
        sorted(p.name for p in (site / "bin").iterdir()) if (site / "bin").exists() else site
    )
    return script


def test_grammar_is_inside_the_installed_package(installed: Path) -> None:
    grammar = installed / "svrules" / "language" / "grammar" / "svrules.lark"
    assert grammar.is_file()
    assert grammar.read_text(encoding="utf-8") == (ROOT / "grammar" / "svrules.lark").read_text(
        encoding="utf-8"
    )
    assert not (installed / "grammar").exists()  # nothing to fall back on beside the package


def test_installed_module_is_the_one_imported(installed: Path, tmp_path: Path) -> None:
    code = (
        "import svrules, sys; from svrules.language.parser import grammar_text, lark_parser; "
        "print(svrules.__file__); lark_parser(); print(len(grammar_text()))"
    )
    done = _run([sys.executable, "-c", code], env=_env(installed), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    where, size = done.stdout.split()
    assert Path(where).resolve() == (installed / "svrules" / "__init__.py").resolve()
    assert int(size) > 0


def test_installed_script_checks_a_policy(installed: Path, workspace: Path) -> None:
    done = _run([str(_script(installed)), "check", "policy.svr"], env=_env(installed), cwd=workspace)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "checked 1 policy: 0 errors, 0 warnings" in done.stderr
    assert "internal error" not in done.stderr

    broken = workspace / "broken.svr"
    broken.write_text(
        (workspace / "policy.svr")
        .read_text(encoding="utf-8")
        .replace("bid.apprenticeships >=", "bid.apprentices >="),
        encoding="utf-8",
    )
    done = _run([str(_script(installed)), "check", "broken.svr"], env=_env(installed), cwd=workspace)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "unknown field 'bid.apprentices'" in done.stderr
    assert "did you mean 'bid.apprenticeships'?" in done.stderr


def test_installed_script_evaluates_a_tender(installed: Path, workspace: Path) -> None:
    done = _run(
        [str(_script(installed)), "evaluate", "policy.svr", f"tenders/{TENDER}.json", "--format", "json"],
        env=_env(installed),
        cwd=workspace,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads(done.stdout)
    expected = json.loads((EXAMPLE / "expected" / f"{TENDER}.json").read_text(encoding="utf-8"))
    assert result["policy"]["id"] == expected["policy"]
    assert result["as_of"] == expected["as_of"]
    assert result["applies"] is expected["applies"]
    assert result["params"] == expected["params"]
    bids = {b["bidder"]: b for b in result["bids"]}
    assert list(bids) == list(expected["bids"])
    for bidder, want in expected["bids"].items():
        got = bids[bidder]
        assert got["compliant"] is want["compliant"], bidder
        assert got["rank"] == want["rank"], bidder
        assert got["total_score"] == want["total_score"], bidder
        assert {r["id"]: r["outcome"] for r in got["requirements"]} == want["requirements"], bidder
    # The clause template beside the policy was found and hashed from the copy.
    assert result["policy"]["hash"].startswith("sha256:")
