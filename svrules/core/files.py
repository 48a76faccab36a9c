"""Writing output files whole or not at all, and finding policy files.

Every command that writes a file (results, documents, reformatted policies) goes through
`write_atomic` (one file) or `write_all_atomic` (several, all or none): the data goes to
temporary files beside the targets, which are renamed over them only once every one is
written, so a failure (no such folder, permission denied, a full disk) never leaves half
a file, or some of the files, behind. A failure raises `OutputError`: a diagnostic that
names the file and what is wrong (code `cannot-write`).

A target that is a symlink is written through: the file it points at is replaced, the
link stays. A target that is a device or a FIFO (`/dev/null`, `/dev/stdout`) is written
directly, since it cannot be renamed over.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import shutil
import stat
import tempfile
from collections.abc import Sequence
from pathlib import Path

from svrules.core.diagnostics import Diagnostic, SvrulesError


class OutputError(SvrulesError):
    """An output that could not be written; nothing of it was written."""


def _default_mode() -> int:
    """The mode a new file gets from the user's umask (mkstemp would give 0600)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def _first_non_folder(path: Path) -> Path:
    """The part of `path` that exists but is not a folder (why `path` cannot be written)."""
    for part in reversed(path.parents):
        if str(part) not in ("", ".") and part.exists() and not part.is_dir():
            return part
    return path.parent


_WHY = {
    errno.EACCES: ("permission denied", "write somewhere you may write to"),
    errno.EPERM: ("permission denied", "write somewhere you may write to"),
    errno.EROFS: ("the file system is read-only", "write somewhere else"),
    errno.EISDIR: ("it is a folder", "give the name of a file"),
    errno.ENOSPC: ("no space left on the device", "free some space, or write somewhere else"),
    errno.EDQUOT: ("the disk quota is used up", "free some space, or write somewhere else"),
    errno.ENAMETOOLONG: ("the file name is too long", "use a shorter name"),
    errno.ENXIO: ("it is a FIFO with nothing reading from it", "start the reader first"),
}


def output_error(path: Path, exc: OSError | str) -> OutputError:
    """The error for an output that could not be written: the file, and why."""
    if isinstance(exc, str):
        why, hint = exc, "check the path"
    elif exc.errno == errno.ENOENT:
        why, hint = f"no such folder '{path.parent}'", "create the folder first, or check the path"
    elif exc.errno == errno.ENOTDIR:
        why, hint = f"'{_first_non_folder(path)}' is a file, not a folder", "check the path"
    else:
        why, hint = _WHY.get(exc.errno or 0, (exc.strerror or str(exc), "check the path"))
    message = f"cannot write {path}: {why}"
    return OutputError(
        [Diagnostic("cannot-write", message, None, f"{hint}; nothing was written", path=str(path))]
    )


def _payload(data: str | bytes) -> bytes:
    return data.encode("utf-8") if isinstance(data, str) else data


def _write_fd(fd: int, data: bytes) -> None:
    """All of `data` to a descriptor, however many writes it takes."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def write_atomic(path: Path, data: str | bytes, mode: int | None = None) -> None:
    """Write all of `data` to `path` or nothing; text is written as UTF-8.

    Raises `OutputError` naming the file and what is wrong.
    """
    try:
        info = os.stat(path)  # through a symlink: what it points at
    except (OSError, ValueError):
        info = None
    if info is not None and stat.S_ISDIR(info.st_mode):
        raise output_error(path, IsADirectoryError(errno.EISDIR, "Is a directory"))
    if info is not None and not stat.S_ISREG(info.st_mode):
        _write_special(path, _payload(data))
        return
    write_all_atomic([(path, data)], mode)


def _write_special(path: Path, data: bytes) -> None:
    """A device or a FIFO: written directly (it cannot be replaced), never blocking on open."""
    flags = os.O_WRONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
        try:
            if flags & getattr(os, "O_NONBLOCK", 0):
                os.set_blocking(fd, True)
            _write_fd(fd, data)
        finally:
            os.close(fd)
    except OSError as exc:
        raise output_error(path, exc) from None


def _target(path: Path) -> Path:
    """Where to write: through a symlink, the file it points at (the link is kept)."""
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def _stage(target: Path, data: bytes, mode: int) -> str:
    """A temporary file beside `target` holding all of `data`, synced; its name."""
    folder = target.parent if str(target.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{target.name[:200]}.", suffix=".tmp")
    try:
        try:
            _write_fd(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.chmod(tmp, mode)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return tmp


def _discard(names: list[str]) -> None:
    for name in names:
        with contextlib.suppress(OSError):
            os.unlink(name)


def write_all_atomic(files: Sequence[tuple[Path, str | bytes]], mode: int | None = None) -> None:
    """Write every file or none: all to temporaries first, then all renamed into place.

    If a temporary cannot be written (a full disk), the temporaries are removed and no
    target is touched. If a rename fails, the files already renamed are put back as they
    were. Raises `OutputError` naming the file that failed.
    """
    chosen = _default_mode() if mode is None else mode
    staged: list[tuple[str, Path]] = []
    target = files[0][0] if files else Path(".")
    try:
        for path, data in files:
            target = _target(path)
            staged.append((_stage(target, _payload(data), chosen), target))
    except OSError as exc:
        _discard([tmp for tmp, _ in staged])
        raise output_error(target, exc) from None  # through a symlink: the file it names
    except BaseException:
        _discard([tmp for tmp, _ in staged])
        raise
    _commit(staged)


def _backup(target: Path) -> str | None:
    """A second name for the file now at `target` (a hard link, else a copy); None if none."""
    if not target.exists():
        return None
    name = str(target.with_name(f".{target.name[:200]}.{secrets.token_hex(4)}.bak"))
    try:
        os.link(target, name)
    except OSError:
        shutil.copy2(target, name)
    return name


def _commit(staged: list[tuple[str, Path]]) -> None:
    """Rename every temporary over its target; on a failure, put back what was renamed."""
    if len(staged) == 1:  # one rename is atomic by itself
        tmp, target = staged[0]
        try:
            os.replace(tmp, target)
        except OSError as exc:
            _discard([tmp])
            raise output_error(target, exc) from None
        return
    backups: list[str | None] = []
    done: list[int] = []
    try:
        for _, target in staged:
            backups.append(_backup(target))
        for index, (tmp, target) in enumerate(staged):
            os.replace(tmp, target)
            done.append(index)
    except OSError as exc:
        _undo([staged[i][1] for i in done], [backups[i] for i in done])
        _discard([tmp for i, (tmp, _) in enumerate(staged) if i not in done])
        _discard([b for b in backups if b is not None])
        raise output_error(staged[len(done)][1] if len(done) < len(staged) else staged[-1][1], exc) from None
    _discard([b for b in backups if b is not None])


def _undo(targets: list[Path], backups: list[str | None]) -> None:
    """Put each renamed target back: its old file if it had one, else no file."""
    for target, backup in zip(targets, backups, strict=True):
        with contextlib.suppress(OSError):
            if backup is None:
                target.unlink()
            else:
                os.replace(backup, target)


def make_folder(path: Path) -> bool:
    """Create the folder `path` (and its parents) if needed; True if it was created."""
    if path.is_dir():
        return False
    try:
        path.mkdir(parents=True)
    except OSError as exc:
        if isinstance(exc, FileExistsError) or exc.errno == errno.ENOTDIR:
            why = f"'{_first_non_folder(path / '_')}' is a file, not a folder"
        else:
            why = output_error(path / "_", exc).diagnostics[0].message.partition(": ")[2]
        message = f"cannot create the folder {path}: {why}"
        raise OutputError(
            [Diagnostic("cannot-write", message, None, "check the path; nothing was written", path=str(path))]
        ) from None
    return True


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
