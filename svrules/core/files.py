"""Writing output files whole or not at all.

Every command that writes a file (results, documents, reformatted policies) goes through
`write_atomic`: the data goes to a temporary file beside the target, which is renamed
over it, so a failure never leaves half a file behind.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from svrules.core.diagnostics import Diagnostic


def _default_mode() -> int:
    """The mode a new file gets from the user's umask (mkstemp would give 0600)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def write_atomic(path: Path, data: str | bytes, mode: int | None = None) -> None:
    """Write all of `data` to `path` or nothing; text is written as UTF-8."""
    folder = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data.encode("utf-8") if isinstance(data, str) else data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, _default_mode() if mode is None else mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def policy_files(paths: list[Path]) -> list[Path]:
    """Files as given, folders searched for `*.svr`; each file once, in the order found."""
    files: list[Path] = []
    for path in paths:
        found = sorted(path.rglob("*.svr")) if path.is_dir() else [path]
        files += [f for f in found if f not in files]
    return files


def no_policy_files(paths: list[Path]) -> Diagnostic:
    """The error for paths that hold no policy at all."""
    return Diagnostic(
        "no-policies",
        "no .svr files found",
        None,
        "give a .svr file or a folder holding some",
        path=", ".join(str(p) for p in paths),
    )
