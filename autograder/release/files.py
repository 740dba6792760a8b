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


def generate(path: Path, text: str, *, check: bool, regenerate: str) -> int:
    """Writes a generated file, or with ``check`` says whether it is current.

    Args:
        path: The generated file.
        text: What the sources generate now.
        check: Write nothing; exit status 1 when ``path`` differs from ``text``.
        regenerate: The command that regenerates it, printed when it is stale.

    Returns:
        The exit status: 0 written or current, 1 out of date.
    """
    path = Path(path)
    if not check:
        if write_if_changed(path, text):
            print(f"wrote {path}")
        return 0
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        print(f"{path} is up to date")
        return 0
    print(f"{path} is out of date; regenerate it (never edit it by hand) with:\n"
          f"  {regenerate}")
    return 1


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
