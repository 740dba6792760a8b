"""HTML feedback: one self-contained page per submission, rendered from the result model.

The page shows, per assignment, every check with its points, status and
message; where the message compares an expected value with the one that
came, the two are set side by side; where the check attached pictures
(``CheckResult.data``, see :mod:`autograder.judge.figures`) they are drawn:
a loss curve against the reference's, a heat map of where a matrix differs
with an excerpt of both matrices. The jinja2 templates are in
``templates/feedback/`` and escape everything (feedback quotes student
output). A page is one file that opens offline: pictures are data URIs,
styles are inline, and a Content-Security-Policy forbids loading anything.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from autograder.release.templates import template_dir
from autograder.results.model import AssignmentResult, CheckResult, SubmissionResult, write_text

STATUS_LABELS = {"passed": "passed", "failed": "failed", "error": "error",
                 "timeout": "timed out", "not_implemented": "not implemented",
                 "missing": "missing"}
CONTENT_SECURITY_POLICY = ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
                           "base-uri 'none'; form-action 'none'")
"""Nothing may load from anywhere: pictures are data URIs, styles are inline, no scripts."""

_VALUES = (
    re.compile(r"expected (?P<want>.+?), got (?P<got>.+?)(?=\.(?:\s|$)|;|$)"),
    re.compile(r"should be (?:about )?(?P<want>.+?) but (?:is|was) (?P<got>.+?)"
               r"(?=\.(?:\s|$)|[;:]\s|$)"),
)
_MAX_VALUE = 200


@dataclass(frozen=True)
class Excerpt:
    """Both matrices around the largest error of a failed comparison, as text."""

    title: str
    rows: list[int]  # the indices of the excerpt's rows in the whole matrix
    cols: list[int]
    expected: list[list[tuple[str, str]]]  # (value, css class) by row and column
    got: list[list[tuple[str, str]]]


@functools.cache
def environment() -> jinja2.Environment:
    """The templates of the HTML pages: autoescaped, strict about undefined names."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(template_dir()),
        undefined=jinja2.StrictUndefined, autoescape=True,
        trim_blocks=True, lstrip_blocks=True,
    )


def render_page(name: str, **context: Any) -> str:
    """Renders ``templates/feedback/<name>`` with the shared context of every page."""
    template = environment().get_template(f"feedback/{name}")
    return template.render(csp=CONTENT_SECURITY_POLICY, **context)


def render_feedback_html(result: SubmissionResult, *, show_hidden: bool = False) -> str:
    """One submission's feedback page.

    Hidden checks show only their points and status unless ``show_hidden``.
    """
    from autograder.results.plots import check_plots  # matplotlib only when pages are made

    assignments = [{"result": a, "checks": [_check_view(c, a, show_hidden, check_plots)
                                            for c in a.checks]}
                   for a in result.assignments]
    percent = 100 * result.score / result.max_score if result.max_score else 0.0
    return render_page("feedback.html.j2", result=result, assignments=assignments,
                       percent=percent, labels=STATUS_LABELS, points=_points)


def write_feedback_pages(results: Iterable[SubmissionResult], folder: Path, *,
                         show_hidden: bool = False) -> list[Path]:
    """Writes ``folder/<label>.html`` for every result (label made safe as a file name).

    Raises:
        StoreError: a page cannot be written there (a usage error: pick another folder).
    """
    from autograder.results.store import StoreError, file_name

    written = []
    for result in results:
        path = Path(folder) / f"{file_name(result.submission)}.html"
        try:
            write_text(path, render_feedback_html(result, show_hidden=show_hidden))
        except OSError as error:
            raise StoreError(f"--html {folder}: cannot write {path.name} there "
                             f"({error.strerror or error}); give a folder you can write to"
                             ) from error
        written.append(path)
    return written


def value_pairs(feedback: str) -> list[tuple[str, str]]:
    """The (expected, got) values a feedback message quotes, in order."""
    pairs = []
    for pattern in _VALUES:
        for match in pattern.finditer(feedback):
            want, got = match["want"].strip(), match["got"].strip()
            if want and got and len(want) <= _MAX_VALUE and len(got) <= _MAX_VALUE:
                pairs.append((want, got))
    return pairs


def _check_view(check: CheckResult, assignment: AssignmentResult, show_hidden: bool,
                check_plots: Any) -> dict[str, Any]:
    shown = check.visibility == "public" or show_hidden
    explain = shown and check.status != "passed" and assignment.status == "graded"
    return {"result": check, "shown": shown,
            "feedback": check.feedback if explain else "",
            "pairs": value_pairs(check.feedback) if explain else [],
            "plots": check_plots(check.data) if shown else [],
            "excerpts": _excerpts(check.data) if shown else []}


def _excerpts(data: Any) -> list[Excerpt]:
    figures = data.get("figures") if isinstance(data, dict) else None
    found = []
    for figure in figures if isinstance(figures, list) else []:
        try:
            if figure.get("kind") == "error_map":
                part = figure["excerpt"]
                top, left = int(part["row"]), int(part["col"])
                worst = (int(figure["worst"][0]) - top, int(figure["worst"][1]) - left)
                expected = _grid(part["expected"], part["differs"], worst)
                got = _grid(part["got"], part["differs"], worst)
                found.append(Excerpt(
                    title=str(figure["title"]), expected=expected, got=got,
                    rows=[top + i for i in range(max(len(expected), len(got)))],
                    cols=[left + j for j in range(max(map(len, expected + got), default=0))]))
        except (AttributeError, KeyError, TypeError, ValueError):
            continue
    return found


def _grid(rows: Any, differs: Any, worst: tuple[int, int]) -> list[list[tuple[str, str]]]:
    """Cells as (text, css class): ``differs`` where outside the tolerance, ``worst`` too
    at the largest error."""
    return [[(str(cell)[:40], ("differs" if bad else "") + (" worst" if (i, j) == worst else ""))
             for j, (cell, bad) in enumerate(zip(row, flags, strict=False))]
            for i, (row, flags) in enumerate(zip(rows, differs, strict=False))]


def _points(value: float) -> str:
    return f"{value:g}"
