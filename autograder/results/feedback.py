"""Plain-text renderings of results for the terminal: feedback and gradebook.

Pure functions of :mod:`autograder.results`; the CLI prints what they return.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from autograder.results.model import AssignmentResult, SubmissionResult

SYMBOLS = {"passed": "PASS", "failed": "FAIL", "error": "ERR ", "timeout": "TIME",
           "not_implemented": "TODO", "missing": "MISS"}


def render_feedback(result: SubmissionResult, *, show_hidden: bool = False) -> str:
    """Per-check feedback for one submission, as a student reads it.

    Hidden checks show only their points unless ``show_hidden`` is set.
    """
    lines = [f"torchgrade — {result.submission}: {_points(result.score)}/"
             f"{_points(result.max_score)}"]
    for assignment in result.assignments:
        lines.append("")
        lines.extend(_assignment_lines(assignment, show_hidden))
    if result.seed is not None:
        on = "" if result.device == "cpu" else f", scenarios run on {result.device}"
        lines += ["", f"(inputs seeded with --seed {result.seed}{on})"]
    return "\n".join(lines)


def _assignment_lines(assignment: AssignmentResult, show_hidden: bool) -> list[str]:
    head = (f"{assignment.name}  {_points(assignment.score)}/{_points(assignment.max_score)}"
            + ("" if assignment.status == "graded" else f"  [{assignment.status}]"))
    lines = [head]
    if assignment.message:
        lines += _wrap(assignment.message, "  ! ")
    if assignment.status != "graded":
        return lines
    for check in assignment.checks:
        lines.append(f"  {SYMBOLS[check.status]} {_points(check.points):>4}/"
                     f"{_points(check.max_points):<3} {check.name}")
        if check.status != "passed" and (check.visibility == "public" or show_hidden):
            lines += _wrap(check.feedback, "              ")
    return lines


def render_gradebook(results: Sequence[SubmissionResult]) -> str:
    """One row per submission, one column per assignment, then the total."""
    names = sorted({a.name for r in results for a in r.assignments})
    header = ["submission", *(name[:2] for name in names), "total"]
    rows = [header]
    for result in results:
        scores = {a.name: a for a in result.assignments}
        cells = [_cell(scores.get(name)) for name in names]
        rows.append([result.submission, *cells,
                     f"{_points(result.score)}/{_points(result.max_score)}"])
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) if i == 0 else cell.rjust(w)
                       for i, (cell, w) in enumerate(zip(row, widths, strict=True)))
             for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    legend = ", ".join(f"{name[:2]} = {name}" for name in names)
    return "\n".join([*lines, "", legend, "error: the file could not be loaded; "
                      "missing: no file; -: not graded"])


def _cell(assignment: AssignmentResult | None) -> str:
    if assignment is None:
        return "-"
    if assignment.status != "graded":
        return assignment.status
    return _points(assignment.score)


def _points(value: float) -> str:
    return f"{value:g}"


def _wrap(text: str, prefix: str) -> list[str]:
    return textwrap.wrap(text, width=100, initial_indent=prefix,
                         subsequent_indent=" " * len(prefix)) or [prefix]
