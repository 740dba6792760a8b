"""``torchgrade grade``: one submission in, a result JSON and feedback out."""

from __future__ import annotations

import secrets
import sys
import tempfile
import time
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import TextIO

from autograder import __version__, registry
from autograder.intake.errors import SubmissionError
from autograder.intake.submission import open_submission
from autograder.judge.engine import grade
from autograder.judge.reference import Solutions
from autograder.judge.session import GradingOptions, InternalError, grading_device
from autograder.layout import LayoutError, solutions_dir
from autograder.registry import Assignment
from autograder.results import SubmissionResult, to_json
from autograder.results.feedback import render_feedback
from autograder.results.markdown import render_markdown
from autograder.results.outputs import under, write_outputs
from autograder.sandbox.client import Limits
from autograder.sandbox.launch import ZygoteProcess

EXIT_GRADED, EXIT_UNDER, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


def main(*, submission: Path, json_path: Path | None = None, assignment: str | None = None,
         seed: int | None = None, solutions: Path | None = None,
         fail_under: float | None = None, details: bool = False,
         call_seconds: float | None = None, device: str = "cpu",
         out: TextIO | None = None, launched: ZygoteProcess | None = None,
         html: Path | None = None, output_format: str = "text",
         junit_xml: Path | None = None) -> int:
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
        html: Write the HTML feedback page here (``<html>/<label>.html``).
        output_format: How the feedback is printed: ``text`` for a terminal, or
            ``md`` (Markdown, for CI step summaries).
        junit_xml: Where to write the result as JUnit XML, for CI test reports
            (written for an internal error too).

    Raises:
        UsageError: bad arguments or an unusable submission path (exit 2).
        DeviceUnavailable: ``device`` is not one this machine can grade on.
    """
    device = grading_device(device)
    chosen = registry.select([assignment] if assignment else None)
    if assignment:
        _same_assignment(Path(submission), chosen[0])
    if json_path is not None and not Path(json_path).parent.is_dir():
        raise LayoutError(f"--json {json_path}: the folder {Path(json_path).parent} does not "
                          "exist, so the result could not be written there. Create it first, "
                          "or give a path in an existing folder; nothing was graded.")
    reference = solutions_dir(solutions)
    seed = secrets.randbits(32) if seed is None else seed
    started, clock = datetime.now(timezone.utc), time.monotonic()
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
            write_outputs(result, json_path=json_path, html=html, junit_xml=junit_xml,
                          document=to_json(result) | ({"detail": str(error)} if details else {}),
                          started=started, clock=clock)
            print(f"torchgrade: internal error while grading:\n{error}", file=sys.stderr)
            return EXIT_INTERNAL
    write_outputs(result, json_path=json_path, document=to_json(result, details=details),
                  html=html, junit_xml=junit_xml, started=started, clock=clock)
    print(render_markdown(result) if output_format == "md" else render_feedback(result),
          file=out)
    if under(result, fail_under):
        return EXIT_UNDER
    return EXIT_GRADED


def _same_assignment(path: Path, assignment: Assignment) -> None:
    """Refuses a lone file named after another assignment's file than ``--assignment``'s.

    ``my_linear.py --assignment 03`` would only give one error per check of
    03; the file's name says which assignment it is.
    """
    named = registry.owner(path.name) if path.suffix.lower() in (".py", ".ipynb") else None
    if named is not None and named != assignment:
        raise SubmissionError(
            f"{path.name} is the file of {named.name}, not of {assignment.name}: grade it with "
            f"--assignment {named.name[:2]} (or without --assignment: its name says which "
            f"assignment it is). If it really holds {assignment.name}, rename it "
            f"{assignment.filename}.")

