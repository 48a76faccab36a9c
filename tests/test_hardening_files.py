"""Files svrules reads and writes, through the command line as a user runs it.

Reading: only regular files, never blocking, at most 16 MiB (a FIFO in the clause folder,
`/dev/zero` as a tender or a policy, a huge file, a 5,000-character `clause from`), and
text given to the API must be valid Unicode. Writing: a located error (exit 1) for no such
folder, a path under a file, a folder, a read-only place or a full disk, with nothing
half-written; `render feedback --all` writes all its files or none; a symlink is written
through. `svrules check FOLDER` goes on past a file the checker crashes on. `render`
refuses an `--output` whose suffix says another format.

The process runs as root in CI containers, so "read-only" cannot be a folder with mode
0o500 (root writes there anyway): it is a path under a regular file (`file.txt/out.json`,
ENOTDIR for everyone) and `/sys`, where even root cannot create a file (skipped where it
can). A full disk is simulated inside the svrules process: `-c` code that patches
`os.write` (or `os.replace`) to fail with ENOSPC, then runs the CLI's `main`; `/dev/full`
is used too where it is a character device.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from svrules.api import check_source, load_policy
from svrules.core.diagnostics import InputError
from svrules.core.source import SourceFile, SourceReadError, decode_source

from .conftest import EXAMPLES

BOROUGH = EXAMPLES / "example-borough"
TENDER = BOROUGH / "tenders" / "borough-cleaning-2025.json"
CLAUSE = "clauses/apprenticeships.md.j2"
TIMEOUT = 60


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("SVRULES_DEBUG",)}
    env["NO_COLOR"] = "1"
    env["COLUMNS"] = "200"
    return env


def svrules(*args: str | Path, cwd: Path, patch: str = "") -> subprocess.CompletedProcess[str]:
    """`python -m svrules ARGS`, or with `patch` run first inside the same process."""
    if patch:
        code = f"{patch}\nimport sys\nfrom svrules.cli.app import main\nsys.argv[0] = 'svrules'\nmain()\n"
        command = [sys.executable, "-c", code]
    else:
        command = [sys.executable, "-m", "svrules"]
    return subprocess.run(
        [*command, *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        timeout=TIMEOUT,
        env=_env(),
    )


def user_error(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    """Exit 1, no traceback, no internal error, and stderr says each of `needles`."""
    assert result.returncode == 1, (result.returncode, result.stderr)
    for stream in (result.stdout, result.stderr):
        assert "Traceback" not in stream, stream
        assert "internal error" not in stream, stream
    for needle in needles:
        assert needle in result.stderr, (needle, result.stderr)


@pytest.fixture
def borough(tmp_path: Path) -> Path:
    """A copy of the example-borough policy folder, with its clause file and tenders."""
    folder = tmp_path / "borough"
    shutil.copytree(BOROUGH, folder)
    return folder


def _with_clause(borough: Path, name: str) -> Path:
    policy = borough / "clause-policy.svr"
    policy.write_text(
        (borough / "policy.svr").read_text(encoding="utf-8").replace(CLAUSE, name), encoding="utf-8"
    )
    return policy


def _leftovers(folder: Path) -> list[str]:
    return sorted(
        p.name for p in folder.iterdir() if p.name.startswith(".") and p.name.endswith((".tmp", ".bak"))
    )


# ---------------------------------------------------------------- reading


def test_a_fifo_in_the_clause_folder_is_refused_not_waited_on(borough: Path) -> None:
    os.mkfifo(borough / "clauses" / "fifo.md.j2")
    policy = _with_clause(borough, "clauses/fifo.md.j2")
    result = svrules("check", policy, cwd=borough)
    user_error(result, "clause-policy.svr:", "clauses/fifo.md.j2", "is a FIFO, not a regular file")


@pytest.mark.parametrize("kind", ["fifo", "dev-zero"])
@pytest.mark.parametrize("what", ["tender", "policy"])
def test_a_tender_or_policy_that_is_not_a_regular_file_is_refused(
    borough: Path, kind: str, what: str
) -> None:
    if kind == "fifo":
        special = borough / "special.json"
        os.mkfifo(special)
        why = "is a FIFO, not a regular file"
    else:
        special = Path("/dev/zero")
        if not special.exists() or not stat.S_ISCHR(special.stat().st_mode):
            pytest.skip("no /dev/zero character device here")
        why = "is a character device, not a regular file"
    args = ("evaluate", borough / "policy.svr", special) if what == "tender" else ("check", special)
    user_error(svrules(*args, cwd=borough), str(special), why)


def test_a_batch_input_that_is_a_fifo_is_refused(borough: Path) -> None:
    os.mkfifo(borough / "tenders.jsonl")
    result = svrules("batch", borough / "policy.svr", borough / "tenders.jsonl", cwd=borough)
    user_error(result, "tenders.jsonl", "is a FIFO, not a regular file")


@pytest.mark.parametrize("what", ["tender", "policy", "clause"])
def test_a_file_over_16_mib_is_refused_unread(borough: Path, what: str) -> None:
    big = borough / ("clauses/big.md.j2" if what == "clause" else "big.json")
    with big.open("wb") as handle:  # sparse: quick to make, never read
        handle.truncate(16 * 1024 * 1024 + 1)
    if what == "tender":
        args: tuple[str | Path, ...] = ("evaluate", borough / "policy.svr", big)
    elif what == "policy":
        args = ("check", big)
    else:
        args = ("check", _with_clause(borough, "clauses/big.md.j2"))
    user_error(svrules(*args, cwd=borough), big.name, "is larger than 16 MiB")


def test_a_clause_path_of_5000_characters_is_a_located_error(borough: Path) -> None:
    policy = _with_clause(borough, "a" * 5000)
    result = svrules("check", policy, cwd=borough)
    user_error(result, "clause-policy.svr:45:", "characters long; the limit is 1,024")


def test_a_clause_outside_the_folder_is_still_refused(borough: Path) -> None:
    (borough.parent / "outside.md.j2").write_text("Outside.\n", encoding="utf-8")
    result = svrules("check", _with_clause(borough, "../outside.md.j2"), cwd=borough)
    user_error(result, "clause-policy.svr:45:", "outside the policy's folder")


def test_text_with_a_lone_surrogate_is_refused_at_its_place() -> None:
    text = (BOROUGH / "policy.svr").read_text(encoding="utf-8").replace('"', '"\ud800', 1)
    with pytest.raises(SourceReadError) as caught:
        check_source(SourceFile("x.svr", text), BOROUGH)
    assert "lone surrogate U+D800 at line" in caught.value.message and caught.value.line > 0
    with pytest.raises(SourceReadError):
        decode_source("x.svr", "ok\n\udfff")
    tender = TENDER.read_text(encoding="utf-8").replace('"', '"\ud800', 1)
    with pytest.raises(InputError) as bad:
        load_policy(BOROUGH / "policy.svr").evaluate(tender)
    assert "not valid Unicode text (a lone surrogate U+D800 at line" in str(bad.value)


# ---------------------------------------------------------------- writing


@pytest.mark.parametrize(
    ("target", "why"),
    [
        ("missing/out.json", "no such folder 'missing'"),
        ("file.txt/out.json", "'file.txt' is a file, not a folder"),
        ("a-folder", "it is a folder"),
    ],
)
def test_an_output_that_cannot_be_written_is_a_located_error(borough: Path, target: str, why: str) -> None:
    (borough / "file.txt").write_text("keep\n", encoding="utf-8")
    (borough / "a-folder").mkdir()
    result = svrules("evaluate", "policy.svr", TENDER, "--format", "json", "-o", target, cwd=borough)
    user_error(result, f"cannot write {target}: {why}", "nothing was written")
    assert (borough / "file.txt").read_text(encoding="utf-8") == "keep\n"
    assert list((borough / "a-folder").iterdir()) == [] and not (borough / "missing").exists()


def test_a_read_only_place_is_a_located_error(borough: Path) -> None:
    place = Path("/sys")
    try:
        (place / "svrules-probe").touch()
    except OSError:
        pass
    else:  # pragma: no cover - only where /sys is writable
        (place / "svrules-probe").unlink()
        pytest.skip("/sys is writable here")
    result = svrules("schema", "policy.svr", "-o", place / "out.json", cwd=borough)
    user_error(result, "cannot write /sys/out.json: permission denied")


def test_dev_full_is_a_full_disk(borough: Path) -> None:
    full = Path("/dev/full")
    if not full.exists() or not stat.S_ISCHR(full.stat().st_mode):
        pytest.skip("no /dev/full character device here")
    result = svrules("schema", "policy.svr", "-o", full, cwd=borough)
    user_error(result, "cannot write /dev/full: no space left on the device")
    assert stat.S_ISCHR(full.stat().st_mode)  # written to, never replaced


FULL_DISK_AFTER = """
import errno, os
_write, _calls = os.write, [0]
def write(fd, data):
    if len(data) >= 64:  # an output, not tempfile's probe of the temporary folder
        _calls[0] += 1
        if _calls[0] > {after}:
            raise OSError(errno.ENOSPC, "No space left on device")
    return _write(fd, data)
os.write = write
"""


def test_a_full_disk_leaves_the_old_output_untouched(borough: Path) -> None:
    out = borough / "results.json"
    out.write_text("old\n", encoding="utf-8")
    patch = FULL_DISK_AFTER.format(after=0)
    result = svrules("evaluate", "policy.svr", TENDER, "-o", out, cwd=borough, patch=patch)
    user_error(result, f"cannot write {out}: no space left on the device")
    assert out.read_text(encoding="utf-8") == "old\n" and _leftovers(borough) == []


@pytest.mark.parametrize("existing", [True, False])
def test_feedback_all_on_a_full_disk_writes_none_of_the_files(tmp_path: Path, existing: bool) -> None:
    policy = EXAMPLES / "northfield-nhs" / "policy.svr"
    tender = sorted((EXAMPLES / "northfield-nhs" / "tenders").glob("*.json"))[0]
    everyone = svrules("render", "feedback", policy, tender, "--all", "-o", tmp_path / "all", cwd=tmp_path)
    assert everyone.returncode == 0, everyone.stderr
    assert len(list((tmp_path / "all").iterdir())) >= 2, "the test needs a tender with several bids"
    out = tmp_path / "out"
    if existing:
        out.mkdir()
        (out / "notes.txt").write_text("mine\n", encoding="utf-8")
    patch = FULL_DISK_AFTER.format(after=1)  # the first file is written, the second fails
    result = svrules("render", "feedback", policy, tender, "--all", "-o", out, cwd=tmp_path, patch=patch)
    user_error(result, "no space left on the device")
    if existing:
        assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]
    else:
        assert not out.exists()


def test_feedback_all_puts_back_what_it_renamed_when_a_rename_fails(tmp_path: Path) -> None:
    policy = EXAMPLES / "northfield-nhs" / "policy.svr"
    tender = sorted((EXAMPLES / "northfield-nhs" / "tenders").glob("*.json"))[0]
    out = tmp_path / "out"
    first = svrules("render", "feedback", policy, tender, "--all", "-o", out, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    for file in out.iterdir():
        file.write_text("old\n", encoding="utf-8")
    patch = """
import errno, os
_replace, _calls = os.replace, [0]
def replace(src, dst):
    if str(src).endswith(".tmp"):
        _calls[0] += 1
        if _calls[0] == 2:
            raise OSError(errno.EIO, "Input/output error")
    return _replace(src, dst)
os.replace = replace
"""
    result = svrules("render", "feedback", policy, tender, "--all", "-o", out, cwd=tmp_path, patch=patch)
    user_error(result, "cannot write", "Input/output error")
    assert {p.read_text(encoding="utf-8") for p in out.iterdir()} == {"old\n"}
    assert _leftovers(out) == []


def test_an_output_symlink_is_written_through(borough: Path) -> None:
    (borough / "real.json").write_text("old\n", encoding="utf-8")
    (borough / "link.json").symlink_to("real.json")
    result = svrules("schema", "policy.svr", "-o", "link.json", cwd=borough)
    assert result.returncode == 0, result.stderr
    assert (borough / "link.json").is_symlink()
    assert (borough / "real.json").read_text(encoding="utf-8").startswith("{")


# ---------------------------------------------------------------- check goes on


def test_check_goes_on_past_a_file_it_crashes_on(tmp_path: Path) -> None:
    for name in ("a.svr", "b.svr", "c.svr"):
        shutil.copy(BOROUGH / "policy.svr", tmp_path / name)
    (tmp_path / "clauses").mkdir()
    shutil.copy(BOROUGH / CLAUSE, tmp_path / CLAUSE)
    (tmp_path / "c.svr").write_text("policy c:\n", encoding="utf-8")  # an error to report
    patch = """
import svrules.api as api
_check = api.check_source
def check_source(source, folder):
    if source.path.endswith("b.svr"):
        raise RuntimeError("boom")
    return _check(source, folder)
api.check_source = check_source
"""
    result = svrules("check", tmp_path, cwd=tmp_path, patch=patch)
    assert result.returncode == 70, result.stderr
    assert "Traceback" not in result.stderr
    assert "b.svr: error: internal error while checking this file: RuntimeError: boom" in result.stderr
    assert "c.svr:1:" in result.stderr, "the file after the crash is still checked"
    assert "checked 3 policies" in result.stderr


# ---------------------------------------------------------------- render's formats


def test_render_refuses_a_suffix_it_does_not_write(borough: Path) -> None:
    result = svrules("render", "methodology", "policy.svr", "-o", "x.pdf", cwd=borough)
    user_error(result, "x.pdf", "svrules does not write '.pdf' files")
    assert not (borough / "x.pdf").exists()


def test_render_refuses_a_suffix_that_says_another_format(borough: Path) -> None:
    result = svrules("render", "methodology", "policy.svr", "--format", "md", "-o", "x.html", cwd=borough)
    user_error(result, "x.html", "ends in '.html', but --format md writes Markdown")
    assert not (borough / "x.html").exists()


def test_render_takes_the_format_from_the_suffix(borough: Path) -> None:
    result = svrules("render", "methodology", "policy.svr", "-o", "x.html", cwd=borough)
    assert result.returncode == 0, result.stderr
    assert (borough / "x.html").read_text(encoding="utf-8").lstrip().lower().startswith("<!doctype html")
    kept = svrules("render", "methodology", "policy.svr", "--format", "md", "-o", "x.txt", cwd=borough)
    assert kept.returncode == 0 and (borough / "x.txt").read_text(encoding="utf-8").startswith("#")


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_batch_line_that_is_not_utf8_gets_its_own_error(borough: Path, jobs: str) -> None:
    tender = TENDER.read_bytes().replace(b"\n", b" ").strip()
    (borough / "tenders.jsonl").write_bytes(tender + b"\n\xff\xfe{}\n" + tender + b"\n")
    result = svrules("batch", "policy.svr", "tenders.jsonl", "-j", jobs, cwd=borough)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 3 and '"line": 2, "errors"' in lines[1] and "not UTF-8 text (byte 0xff" in lines[1]
    assert '"errors"' not in lines[0] and '"errors"' not in lines[2]


def test_docs_into_a_path_under_a_file_is_a_located_error(borough: Path) -> None:
    (borough / "file.txt").write_text("keep\n", encoding="utf-8")
    result = svrules("docs", borough, "file.txt/pages", cwd=borough)
    user_error(result, "cannot create the folder file.txt/pages: 'file.txt' is a file, not a folder")


def test_docs_on_a_full_disk_writes_no_page(borough: Path) -> None:
    patch = FULL_DISK_AFTER.format(after=1)
    result = svrules("docs", borough, "pages", cwd=borough, patch=patch)
    user_error(result, "no space left on the device")
    assert not (borough / "pages").exists()


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["-o", "results.pdf"], "svrules does not write '.pdf' files"),
        (["--format", "json", "-o", "results.md"], "the file name ends in '.md', but --format json"),
    ],
)
def test_evaluate_refuses_a_file_name_that_says_another_format(
    borough: Path, args: list[str], said: str
) -> None:
    result = svrules("evaluate", "policy.svr", TENDER, *args, cwd=borough)
    assert result.returncode == 1 and said in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and not (borough / args[-1]).exists()


def test_evaluate_writes_the_table_to_a_txt_file(borough: Path) -> None:
    result = svrules("evaluate", "policy.svr", TENDER, "-o", "results.txt", cwd=borough)
    assert result.returncode == 0, result.stderr
    assert "Rank" in (borough / "results.txt").read_text(encoding="utf-8")


def test_a_policy_test_file_that_is_a_fifo_is_refused_not_waited_on(tmp_path: Path) -> None:
    policy = tmp_path / "p"
    shutil.copytree(BOROUGH, policy)
    (policy / "tests").mkdir()
    os.mkfifo(policy / "tests" / "cases.yaml")
    result = svrules("test", policy, cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr  # and it ended: nothing waited on the FIFO
    assert "no policy tests found" in result.stdout  # only regular files are cases
    assert "Traceback" not in result.stderr
