"""Writing generated files: atomically, and only when their content changed."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def display(path: Path) -> str:
    """Shows ``path`` relative to the working directory when it lies below it.

    The regenerate commands printed for stale files are meant to be pasted,
    and in CI and in the repository root that gives the short ``assignments``.
    """
    with contextlib.suppress(ValueError):
        return Path(path).resolve().relative_to(Path.cwd().resolve()).as_posix() or "."
    return str(path)


def write_if_changed(path: Path, content: str | bytes) -> bool:
    """Writes ``content`` (text as UTF-8) to ``path`` atomically unless it already holds it.

    Unchanged files keep their modification time, so build tools and editors
    see no spurious change; a temp file plus ``os.replace`` means a reader (or
    an interrupted run) never sees half a file.

    Returns:
        Whether the file was (re)written.
    """
    data = content.encode("utf-8") if isinstance(content, str) else content
    if path.is_file() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = path.stat().st_mode & 0o777 if path.is_file() else 0o644
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, mode)  # mkstemp creates 0600; a generated file is an ordinary one
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    return True
