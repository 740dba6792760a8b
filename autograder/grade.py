"""``torchgrade grade``: one submission in, a result JSON and feedback out."""

from __future__ import annotations

import secrets
import sys
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from autograder import __version__, registry
from autograder.intake.submission import open_submission
from autograder.judge.engine import grade
from autograder.judge.reference import Solutions
from autograder.judge.session import GradingOptions, InternalError, grading_device
from autograder.layout import solutions_dir
from autograder.results import SubmissionResult, to_json, write_json
from autograder.results.feedback import render_feedback
from autograder.sandbox.client import Limits
from autograder.sandbox.launch import ZygoteProcess

EXIT_GRADED, EXIT_UNDER, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


def main(*, submission: Path, json_path: Path | None = None, assignment: str | None = None,
         seed: int | None = None, solutions: Path | None = None,
         fail_under: float | None = None, details: bool = False,
         call_seconds: float | None = None, device: str = "cpu",
         out: TextIO | None = None, launched: ZygoteProcess | None = None) -> int:
    """Grades ``submission`` and returns the exit code of SPEC §3.

    Args:
        submission: A folder, a ``.zip`` of one, or one ``.py``/``.ipynb``.
        json_path: Where to write the result document.
        assignment: The assignment a single file belongs to.
        seed: Reproduce an earlier run; a fresh seed is drawn otherwise.
        solutions: The reference solutions (default: the checkout's).
        fail_under: Exit 1 when the score is below this percentage.
        details: Put instructor details (tracebacks) in the JSON.
        call_seconds: Time limit of one call into student code.
        device: Where the scenarios run: ``cpu`` or ``cuda`` (when present).
        out: Where the feedback is printed (the current standard output by default).
        launched: A zygote launched early by the CLI, so its warm-up overlaps
            the judge's imports (see :mod:`autograder.sandbox.launch`).

    Raises:
        UsageError: bad arguments or an unusable submission path (exit 2).
        DeviceUnavailable: ``device`` is not one this machine can grade on.
    """
    device = grading_device(device)
    chosen = registry.select([assignment] if assignment else None)
    reference = solutions_dir(solutions)
    seed = secrets.randbits(32) if seed is None else seed
    with tempfile.TemporaryDirectory(prefix="torchgrade-submission-") as work:
        opened = open_submission(Path(submission), assignments=chosen, workdir=Path(work),
                                 assignment=chosen[0] if assignment else None)
        limits = Limits() if call_seconds is None else Limits(call_seconds=call_seconds)
        if device != "cpu":
            # CUDA reserves far more address space than it uses: RLIMIT_AS would
            # make it fail to initialise, so the memory cap is off (and recorded so).
            limits = replace(limits, memory_bytes=None)
        options = GradingOptions(reference=Solutions(reference), seed=seed, limits=limits,
                                 device=device)
        try:
            [result] = grade([opened], assignments=opened.assignments, options=options,
                             launched=launched).results
        except InternalError as error:
            result = SubmissionResult(
                submission=opened.label, assignments=(), seed=seed, status="error", device=device,
                message="The grader failed while grading this submission; no score was "
                        "given. Your instructor can see the details.", version=__version__)
            if json_path is not None:
                document = to_json(result) | ({"detail": str(error)} if details else {})
                write_json(json_path, document)
            print(f"torchgrade: internal error while grading:\n{error}", file=sys.stderr)
            return EXIT_INTERNAL
    if json_path is not None:
        write_json(json_path, to_json(result, details=details))
    print(render_feedback(result), file=out)
    if fail_under is not None and result.score < fail_under / 100 * result.max_score:
        return EXIT_UNDER
    return EXIT_GRADED
