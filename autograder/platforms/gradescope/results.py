"""Gradescope's ``results.json`` from the result model: pure functions, unit-testable.

The format is Gradescope's "Autograder Specifications", section "Output
format" (https://gradescope-autograders.readthedocs.io/en/latest/specs/):
a top-level ``score``, ``execution_time`` (seconds), ``output`` (here
Markdown: ``output_format`` ``md``) and one entry in ``tests`` per check,
with ``score``, ``max_score``, ``status`` (``passed``/``failed``),
``name``, ``number``, ``output`` (plain text), ``tags`` and ``visibility``.

A hidden check is ``after_due_date``: students see it, and their total, once
the due date has passed; instructors always do. Until then nothing in the
top-level summary gives it away: its table counts the public checks only.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from autograder.results.markdown import render_summary
from autograder.results.model import AssignmentResult, CheckResult, SubmissionResult

VISIBILITY = {"public": "visible", "hidden": "after_due_date"}
"""Gradescope's visibility of a check, by its torchgrade visibility."""

_NUMBERED = re.compile(r"^(\d+)_")


def to_gradescope(result: SubmissionResult, *, seconds: float) -> dict[str, Any]:
    """The ``results.json`` document of ``result``.

    Args:
        result: The graded submission.
        seconds: How long grading took (Gradescope's ``execution_time``).
    """
    tests = [_test(check, number=f"{_number(assignment, position)}.{index}",
                   assignment=assignment.name)
             for position, assignment in enumerate(result.assignments, start=1)
             for index, check in enumerate(assignment.checks, start=1)]
    return {
        "score": result.score,
        "execution_time": max(0, round(seconds)),
        "output": summary(result),
        "output_format": "md",
        "test_output_format": "text",
        "tests": tests,
        "extra_data": {"torchgrade_version": result.version, "seed": result.seed,
                       "status": result.status, "max_score": result.max_score},
    }


def not_graded(message: str, *, seconds: float = 0.0, version: str = "") -> dict[str, Any]:
    """A ``results.json`` for a submission that could not be graded: score 0 and why.

    Args:
        message: What a student reads: what happened and what to do.
        seconds: How long it took to get here.
        version: The torchgrade version that wrote it, where one ran.
    """
    return to_gradescope(SubmissionResult(submission="submission", assignments=(),
                                          status="error", message=message, version=version),
                         seconds=seconds)


def summary(result: SubmissionResult) -> str:
    """The top-level output: the score table of the public checks, and what is hidden."""
    hidden = [c for a in result.assignments for c in a.checks if c.visibility != "public"]
    text = render_summary(public_view(result))
    if hidden:
        points = sum(check.max_points for check in hidden)
        text += (f"\n\n{len(hidden)} hidden check(s), worth {points:g} point(s), are graded "
                 "too: they and your total score show after the due date.")
    return text


def public_view(result: SubmissionResult) -> SubmissionResult:
    """``result`` without its hidden checks, every maximum reduced to what remains."""
    return replace(result, assignments=tuple(_public(a) for a in result.assignments))


def _public(assignment: AssignmentResult) -> AssignmentResult:
    if not assignment.checks:
        return assignment
    checks = tuple(c for c in assignment.checks if c.visibility == "public")
    return replace(assignment, checks=checks,
                   max_score=float(round(sum(c.max_points for c in checks), 6)))


def _test(check: CheckResult, *, number: str, assignment: str) -> dict[str, Any]:
    return {
        "name": check.name,
        "number": number,
        "score": check.points,
        "max_score": check.max_points,
        "status": "passed" if check.status == "passed" else "failed",
        "output": check.feedback.replace("\r\n", "\n"),
        "tags": [assignment, check.status],
        "visibility": VISIBILITY.get(check.visibility, "after_due_date"),
    }


def _number(assignment: AssignmentResult, position: int) -> int:
    """An assignment's number: its name's (``02_my_linear`` is 2), else its position."""
    match = _NUMBERED.match(assignment.name)
    return int(match.group(1)) if match else position
