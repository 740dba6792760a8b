"""The release stage: what students start from, generated from ``solutions/``.

``assignments/`` is committed but never edited by hand (STYLE habit 8): this
stage regenerates it, and CI runs it with ``check=True`` so that a solution
changed without regenerating its stub fails the build instead of shipping a
stale or leaking release. Writing only touches the files this stage owns, so
other generated files (READMEs, notebooks) can live beside the stubs.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from autograder.registry import Assignment, discover
from autograder.release.stubs import MarkerError, make_stub, render_stubs

__all__ = ["MarkerError", "main", "make_stub", "render_stubs"]


def main(
    *,
    solutions: Path,
    stubs: Path,
    check: bool = False,
    assignments: Sequence[Assignment] | None = None,
) -> int:
    """Generates the student stubs, or checks that the committed ones are current.

    Args:
        solutions: The ``solutions/`` folder with the marked reference code.
        stubs: Where the stubs go, ``<name>/<module>.py`` beneath it (the
            repository's ``assignments/``).
        check: Write nothing; report stale or missing stubs instead, for CI.
        assignments: Which assignments to release; all discovered ones when
            None.

    Returns:
        0 when the stubs were written, or with ``check`` when all are current;
        1 with ``check`` when any is stale or missing (listed on stdout with
        the command that regenerates them).

    Raises:
        FileNotFoundError: An assignment has no reference solution.
        MarkerError: A solution's BEGIN/END SOLUTION markers are wrong.
    """
    chosen = discover() if assignments is None else tuple(assignments)
    rendered = render_stubs(solutions=Path(solutions), assignments=chosen)
    stubs = Path(stubs)
    if check:
        return _report_stale(stubs, rendered)
    for relative, text in rendered.items():
        if _write_if_changed(stubs / relative, text):
            print(f"wrote {stubs / relative}")
    return 0


def _report_stale(stubs: Path, rendered: dict[str, str]) -> int:
    """Prints which stubs differ from what the solutions generate; 1 if any."""
    stale: list[str] = []
    for relative, text in rendered.items():
        path = stubs / relative
        if not path.is_file():
            stale.append(f"  {path} (missing)")
        elif path.read_bytes() != text.encode("utf-8"):
            stale.append(f"  {path} (differs from what solutions/ generates)")
    if not stale:
        print(f"{len(rendered)} stub file(s) under {stubs} are up to date")
        return 0
    print("These stub files are out of date:")
    print("\n".join(stale))
    print("Regenerate them (never edit them by hand) with:")
    print(f"  torchgrade release --stubs {_display(stubs)}")
    return 1


def _display(path: Path) -> str:
    """Shows ``path`` relative to the working directory when it lies below it.

    The regenerate command is meant to be pasted, and in CI and in the
    repository root that gives the short ``assignments``.
    """
    with contextlib.suppress(ValueError):
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix() or "."
    return str(path)


def _write_if_changed(path: Path, text: str) -> bool:
    """Writes ``text`` to ``path`` atomically unless it already holds it.

    Unchanged files keep their modification time, so build tools and editors
    see no spurious change; a temp file plus ``os.replace`` means a reader (or
    an interrupted run) never sees half a stub.

    Returns:
        Whether the file was (re)written.
    """
    data = text.encode("utf-8")
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
        os.chmod(temporary, mode)  # mkstemp creates 0600; a stub is an ordinary file
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    return True
