"""Files the service writes (the outbox's .eml files, a rendered issue): whole or not at all.

Takes paths and bytes; gives files that are complete, or an `OutputError` naming the path
with what to do, and no half-written file or leftover temporary (issue 10, item 13: a full
disk or an outbox path that is a file ended in a traceback).
"""

from __future__ import annotations

import errno
from collections.abc import Mapping
from pathlib import Path

from digest.errors import OutputError


def make_folder(folder: Path, setting: str) -> None:
    """Create `folder` (and its parents), or say which part of it is in the way."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(
            f"cannot create the folder {folder}: {_reason(exc, folder)}",
            hint=_hint(exc, folder, setting),
        ) from exc


def write_whole(files: Mapping[Path, bytes], setting: str) -> None:
    """Write every file beside its final name, then rename them all; on any failure remove
    what was staged, so no reader ever sees a truncated file."""
    staged: list[tuple[Path, Path]] = []
    try:
        for final, data in files.items():
            temporary = final.with_name(f".{final.name}.tmp")
            staged.append((temporary, final))
            temporary.write_bytes(data)
    except OSError as exc:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)
        path = staged[-1][1]
        raise OutputError(
            f"cannot write {path}: {_reason(exc, path)}", hint=_hint(exc, path.parent, setting)
        ) from exc
    for temporary, final in staged:
        temporary.replace(final)


def _reason(exc: OSError, path: Path) -> str:
    if exc.errno in (errno.EEXIST, errno.ENOTDIR):
        blocker = next((p for p in (path, *path.parents) if p.exists() and not p.is_dir()), path)
        return f"{blocker} is a file, not a folder"
    return exc.strerror or str(exc)


def _hint(exc: OSError, folder: Path, setting: str) -> str:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"the disk holding {folder} is full: free some space, then run the command again"
    if exc.errno in (errno.EEXIST, errno.ENOTDIR):
        return f"point {setting} at a folder, or move the file out of the way"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"let this user write to {folder}, or point {setting} elsewhere"
    return f"check {folder} and {setting}"
