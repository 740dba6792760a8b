"""Where the kit's folders are: solutions, stubs and bundled examples.

In a checkout (or an editable install) they sit beside the ``autograder``
package; every command also takes explicit paths, so nothing here is global
state, only defaults.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from autograder.registry import Assignment

ROOT = Path(__file__).resolve().parents[1]


class LayoutError(Exception):
    """A folder the command needs is not where it was looked for."""


def solutions_dir(explicit: Path | None = None) -> Path:
    """The reference solutions: ``explicit`` or the checkout's ``solutions/``.

    Raises:
        LayoutError: no such folder; the message says how to point at one.
    """
    path = Path(explicit) if explicit is not None else ROOT / "solutions"
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


def stubs_dir() -> Path:
    """The checkout's ``assignments/``: generated student stubs."""
    return ROOT / "assignments"


def examples_dir() -> Path:
    """The bundled example submissions that ``torchgrade demo`` grades."""
    return ROOT / "examples" / "submissions"
