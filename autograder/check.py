"""``torchgrade check``: a student grades their working copy with the public seed.

Expected values come from the snapshots the release recorded for the public
seed (package data), never from a reference solution: the student release
has none. The inputs are the same every time, which is why ``check`` is
advisory and ``grade`` draws fresh ones.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from autograder import registry
from autograder.intake.submission import open_submission
from autograder.judge.engine import grade
from autograder.judge.reference import Snapshots
from autograder.judge.session import GradingOptions, InternalError
from autograder.judge.snapshots import PUBLIC_SEED
from autograder.results.feedback import render_feedback
from autograder.sandbox.launch import ZygoteProcess

__all__ = ["PUBLIC_SEED", "main"]

EXIT_INTERNAL = 3


def main(*, path: Path | None = None, names: Sequence[str] = (),
         snapshots: Path | None = None, out: TextIO | None = None,
         launched: ZygoteProcess | None = None) -> int:
    """Grades the assignments ``names`` (all by default) of the folder ``path``.

    Args:
        path: The student's working copy; by default :func:`working_copy`
            of the current folder.
        names: Which assignments, by name, module or number.
        snapshots: Folder of recorded snapshots (``<name>/snapshots.json``);
            by default the student bundle's own (:func:`bundled_snapshots`),
            else the ones shipped with the package.
        out: Where the feedback is printed (the current standard output by default).
        launched: A zygote launched early by the CLI, so its warm-up overlaps
            the judge's imports (see :mod:`autograder.sandbox.launch`).

    Returns:
        0 when graded; 3 when the grader failed (e.g. stale snapshots).
    """
    chosen = registry.select(list(names))
    path = Path(path) if path is not None else working_copy(Path.cwd())
    snapshots = snapshots if snapshots is not None else bundled_snapshots(path)
    options = GradingOptions(reference=Snapshots(snapshots), seed=PUBLIC_SEED)
    with tempfile.TemporaryDirectory(prefix="torchgrade-check-") as work:
        opened = open_submission(Path(path), assignments=chosen, workdir=Path(work))
        try:
            [result] = grade([opened], assignments=opened.assignments, options=options,
                             launched=launched).results
        except InternalError as error:
            print(f"torchgrade: the grader failed, so nothing was graded: {error.reason}",
                  file=sys.stderr)
            return EXIT_INTERNAL
    print(render_feedback(result), file=out)
    return 0


def working_copy(folder: Path) -> Path:
    """Where the student's files are, seen from ``folder``.

    In a checkout of the course repository that is ``assignments/``; in a
    student bundle the assignment folders sit in ``folder`` itself.
    """
    if (folder / "assignments").is_dir():
        return folder / "assignments"
    if any((folder / a.name).is_dir() for a in registry.discover()):
        return folder
    return folder / "assignments"  # open_submission explains what is missing


def bundled_snapshots(path: Path) -> Path | None:
    """A student bundle's ``snapshots/`` beside the assignment folders, if there is one.

    The bundle pins the answers it was released with, whatever torchgrade
    version a student installs, so they win over the package's.
    """
    folder = Path(path) / "snapshots"
    return folder if any(folder.glob("*/snapshots.json")) else None

