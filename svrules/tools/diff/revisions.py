"""A policy as it was at a git revision, with its clause files from that revision.

Owns reading `git show REV:PATH` for the policy and each clause file it names (into a
temporary folder, so the checker reads them as it would on disk), and the `DiffError`s
for a path outside a repository, an unknown revision or a file the revision lacks.
"""

from __future__ import annotations

import posixpath
import subprocess
import tempfile
from pathlib import Path

from svrules.api import Policy, check_source
from svrules.core.diagnostics import PolicyError
from svrules.core.source import SourceReadError, decode_source
from svrules.engine.compiler import compile_policy
from svrules.language.builder import build
from svrules.language.parser import ParseFailed, parse
from svrules.tools.diff.changes import DiffError


def _git(args: list[str], cwd: Path) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)
    except FileNotFoundError:
        raise DiffError("git is not installed", "give OLD and NEW as two files instead of --rev") from None


def revision_source(path: Path, rev: str) -> tuple[str, bytes, Path, str]:
    """`(display name, bytes, repository root, path in the repository)` of `path` at `rev`."""
    folder = path.resolve().parent
    if not folder.is_dir():
        raise DiffError(
            f"'{path.parent}' is not a folder", "give the path of the policy file in a git working tree"
        )
    top = _git(["rev-parse", "--show-toplevel"], folder)
    if top.returncode != 0:
        raise DiffError(
            f"'{path}' is not in a git repository, so --rev {rev} cannot be read",
            "give OLD and NEW as two files instead",
        )
    root = Path(top.stdout.decode().strip()).resolve()
    rel = path.resolve().relative_to(root).as_posix()
    if _git(["rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"], root).returncode != 0:
        raise DiffError(
            f"'{rev}' is not a revision of the repository at {root}", "give a commit, tag or branch"
        )
    shown = _git(["show", f"{rev}:{rel}"], root)
    if shown.returncode != 0:
        raise DiffError(
            f"revision {rev} has no file '{rel}'",
            "the policy may have been added or moved since; give OLD and NEW as two files",
        )
    return f"{rev}:{rel}", shown.stdout, root, rel


def load_revision(path: Path, rev: str) -> Policy:
    """The policy at `path` as it was at git revision `rev`, with its clause files."""
    display, raw, root, rel = revision_source(path, rev)
    try:
        source = decode_source(display, raw)
    except SourceReadError as exc:
        raise DiffError(f"{display}: {exc.message}", exc.hint) from None
    folder_rel = posixpath.dirname(rel)
    with tempfile.TemporaryDirectory(prefix="svrules-rev-") as tmp:
        folder = Path(tmp)
        try:
            built, _ = build(parse(source), source.path)
            clause_paths = [r.clause.path for r in built.rules if r.clause is not None and r.clause.path]
        except ParseFailed:
            clause_paths = []
        for clause in clause_paths:
            inside = posixpath.normpath(posixpath.join(folder_rel, clause))
            if inside.startswith("../") or posixpath.isabs(clause):
                continue  # the checker reports a path that leaves the folder
            shown = _git(["show", f"{rev}:{inside}"], root)
            if shown.returncode == 0:
                target = folder / posixpath.normpath(clause)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(shown.stdout)
        checked, diagnostics = check_source(source, folder)
        sources = {source.path: source}
        errors = [d for d in diagnostics if d.severity == "error"]
        if checked is None or errors:
            raise PolicyError(diagnostics, sources)
        return Policy(compile_policy(checked), diagnostics)
