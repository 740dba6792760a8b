"""``torchgrade check``: a student grades their working copy with the public seed.

Expected values come from the snapshots the release recorded for the public
seed (package data), never from a reference solution: the student release
has none. The inputs are the same every time, which is why ``check`` is
advisory and ``grade`` draws fresh ones.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import TextIO

from autograder import __version__, layout, registry
from autograder.intake.submission import open_submission
from autograder.judge.engine import grade
from autograder.judge.reference import Snapshots
from autograder.judge.session import GradingOptions, InternalError
from autograder.judge.snapshots import PUBLIC_SEED
from autograder.results import SubmissionResult, to_json
from autograder.results.feedback import render_feedback
from autograder.results.markdown import render_markdown
from autograder.results.outputs import under, write_outputs
from autograder.sandbox.launch import ZygoteProcess

__all__ = ["PUBLIC_SEED", "main"]

EXIT_UNDER, EXIT_INTERNAL = 1, 3
PUBLIC_INPUTS = ("(the public inputs: the same in every `torchgrade check`; your instructor's "
                 "`torchgrade grade` draws fresh ones)")


def main(*, path: Path | None = None, names: Sequence[str] = (),
         snapshots: Path | None = None, out: TextIO | None = None,
         launched: ZygoteProcess | None = None, output_format: str = "text",
         junit_xml: Path | None = None, fail_under: float | None = None,
         json_path: Path | None = None, html: Path | None = None) -> int:
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
        output_format: How the feedback is printed: ``text`` for a terminal, or
            ``md`` (Markdown, for CI step summaries).
        junit_xml: Where to write the result as JUnit XML, for CI test reports
            (written when the grader fails too).
        fail_under: Exit 1 when the score is below this percentage of the
            checked assignments' points.
        json_path: Where to write the result document (``torchgrade.result/1``).
        html: Where to write the HTML feedback page (``<html>/<label>.html``).

    Returns:
        0 when graded; 1 when under ``fail_under``; 3 when the grader failed
        (e.g. stale snapshots).
    """
    chosen = registry.select(list(names))
    path = Path(path) if path is not None else working_copy(Path.cwd())
    snapshots = snapshots if snapshots is not None else bundled_snapshots(path)
    options = GradingOptions(reference=Snapshots(snapshots), seed=PUBLIC_SEED)
    started, clock = datetime.now(timezone.utc), time.monotonic()
    with tempfile.TemporaryDirectory(prefix="torchgrade-check-") as work:
        opened = open_submission(Path(path), assignments=chosen, workdir=Path(work))
        try:
            [result] = grade([opened], assignments=opened.assignments, options=options,
                             launched=launched).results
        except InternalError as error:
            failed = SubmissionResult(
                submission=opened.label, assignments=(), seed=PUBLIC_SEED, status="error",
                version=__version__,
                message=f"The grader failed, so nothing was graded: {error.reason}")
            write_outputs(failed, junit_xml=junit_xml, started=started, clock=clock)
            print(f"torchgrade: the grader failed, so nothing was graded: {error.reason}",
                  file=sys.stderr)
            return EXIT_INTERNAL
    write_outputs(result, json_path=json_path, document=to_json(result), html=html,
                  junit_xml=junit_xml, started=started, clock=clock)
    shown = replace(result, seed=None)  # its inputs are always the public ones: no --seed
    print(render_markdown(shown) if output_format == "md" else render_feedback(shown), file=out)
    print(f"\n{PUBLIC_INPUTS}", file=out)
    if under(result, fail_under):
        return EXIT_UNDER
    return 0


def working_copy(folder: Path) -> Path:
    """Where the student's files are, seen from ``folder`` or a folder above it.

    In a checkout of the course repository that is ``assignments/``; in a
    student bundle, its top folder (see :func:`autograder.layout.working_copy`).

    Raises:
        LayoutError: there is none; the message says where to run from.
    """
    return layout.working_copy(folder, registry.discover())


def bundled_snapshots(path: Path) -> Path | None:
    """A student bundle's ``snapshots/`` beside the assignment folders, if there is one.

    The bundle pins the answers it was released with, whatever torchgrade
    version a student installs, so they win over the package's.
    """
    folder = Path(path) / "snapshots"
    return folder if any(folder.glob("*/snapshots.json")) else None

