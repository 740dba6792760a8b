"""Where the kit's folders are: solutions, stubs, bundles and bundled examples.

In a checkout (or an editable install) they sit beside the ``autograder``
package; in a released bundle (``torchgrade release --student/--grader``)
they are the bundle's own, found from the folder a command runs in or any
folder above it. Every command also takes explicit paths, so nothing here is
global state, only defaults.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

    from autograder.registry import Assignment

ROOT = Path(__file__).resolve().parents[1]
MANIFEST_NAME = "MANIFEST.torchgrade"
"""What marks a bundle's top folder (written by :mod:`autograder.release.publish`)."""


class LayoutError(Exception):
    """A folder the command needs is not where it was looked for."""


def solutions_dir(explicit: Path | None = None, *, where: Path | None = None) -> Path:
    """The reference solutions: ``explicit``, the grader bundle's, or the checkout's.

    Args:
        explicit: From ``--solutions``.
        where: The folder the command runs in (default: the current one):
            inside a grader bundle, its ``solutions/`` are the default.

    Raises:
        LayoutError: no such folder; the message says how to point at one.
    """
    bundle = grader_bundle(Path.cwd() if where is None else where)
    default = bundle / "solutions" if bundle is not None else ROOT / "solutions"
    path = Path(explicit) if explicit is not None else default
    if not path.is_dir():
        raise LayoutError(
            f"no reference solutions at {path}: grading compares against them. "
            "Pass --solutions DIR (the instructor's solutions/ folder).")
    return path.resolve()


def catalogue_dir() -> Path | None:
    """The checkout's mistake catalogue (``tests/catalogue``), or None without one."""
    path = ROOT / "tests" / "catalogue"
    return path if (path / "mistakes").is_dir() else None


def solution_file(solutions: Path, assignment: Assignment) -> Path:
    """The reference solution of ``assignment``: ``<solutions>/<name>/<module>.py``.

    Raises:
        FileNotFoundError: there is no such file; a release without it would be
            silently incomplete.
    """
    path = Path(solutions) / assignment.name / assignment.filename
    if not path.is_file():
        raise FileNotFoundError(f"no reference solution for assignment {assignment.name}: "
                                f"expected the file {path}")
    return path


def read_solution(solutions: Path, assignment: Assignment) -> tuple[Path, str]:
    """The reference solution's path and text, decoded from bytes.

    Bytes, not ``read_text()``: universal newlines would rewrite a CRLF file,
    and the stubs must keep every byte outside the solution blocks.

    Raises:
        FileNotFoundError: as :func:`solution_file`.
    """
    path = solution_file(solutions, assignment)
    return path, path.read_bytes().decode("utf-8")


def bundle_root(start: Path, kind: str) -> Path | None:
    """The top folder of the ``kind`` bundle that ``start`` lies in, or None.

    Args:
        start: A folder; it and every folder above it are looked at.
        kind: ``student`` or ``grader``, as the bundle's manifest says.
    """
    for folder in (Path(start).resolve(), *Path(start).resolve().parents):
        try:
            manifest = json.loads((folder / MANIFEST_NAME).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(manifest, dict) and manifest.get("bundle") == kind:
            return folder
    return None


def grader_bundle(start: Path) -> Path | None:
    """The grader bundle (``release --grader``) that ``start`` lies in, or None."""
    return bundle_root(start, "grader")


def working_copy(start: Path, assignments: Sequence[Assignment]) -> Path:
    """Where a student's assignment folders are, seen from ``start``.

    In a checkout of the course repository that is its ``assignments/``; in
    a student bundle, the bundle's top folder (the one holding
    ``snapshots/`` and ``MANIFEST.torchgrade``). Both are found from
    ``start`` or any folder above it, so ``torchgrade check`` works from
    inside an assignment's folder too.

    Raises:
        LayoutError: no folder on the way up holds an assignment folder; the
            message says where to run from instead.
    """
    names = [a.name for a in assignments]
    start = Path(start).resolve()
    for folder in (start, *start.parents):
        for candidate in (folder / "assignments", folder):
            if any((candidate / name).is_dir() for name in names):
                return candidate
    shown = ", ".join(f"{name}/" for name in names[:2]) + (", ..." if len(names) > 2 else "")
    raise LayoutError(
        f"no assignment folders ({shown}) in {start} or in any folder above it. Run "
        "`torchgrade check` in the folder that holds them: the top folder of your student "
        "bundle (where README.md and snapshots/ are), or the course repository (which holds "
        "assignments/). Or pass --path DIR.")


def stubs_dir() -> Path:
    """The checkout's ``assignments/``: generated student stubs."""
    return ROOT / "assignments"


def examples_dir() -> Path:
    """The bundled example submissions that ``torchgrade demo`` grades."""
    return ROOT / "examples" / "submissions"
