"""The class report: what a whole batch got right and wrong, as one HTML page.

``report.html`` sits beside ``gradebook.csv`` in a batch's ``--out`` folder
(written by ``torchgrade grade ... --out DIR`` and by ``torchgrade merge``).
It shows the score histogram; every check's pass rate, the check the class
missed most at the top (a bar chart and a table); the failing messages
students got most often per check, with how many got each; and how the run
was graded (seed, kit version, device, the sandbox's isolation level).

The numbers come from :func:`summarise`, a pure function of the results; a
check's pass rate counts the submissions that handed in its assignment (a
missing file is not a failed concept, and the table says how many it left out).
"""

from __future__ import annotations

import json
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autograder.results.html import STATUS_LABELS, render_page
from autograder.results.model import SubmissionResult, write_text

REPORT = "report.html"
TOP_MESSAGES = 3


@dataclass(frozen=True)
class CheckSummary:
    """How the class did on one check.

    Attributes:
        id: The check's id (``<assignment>/<name>``).
        name: Its one-line description.
        attempted: Submissions that handed in the check's assignment.
        passed: Of those, how many passed it.
        missing: Submissions without the assignment's file (not counted above).
        messages: The most common messages of those that did not pass, with
            their status and how many submissions got each, most common first.
    """

    id: str
    name: str
    attempted: int
    passed: int
    missing: int
    messages: tuple[tuple[str, str, int], ...]

    @property
    def rate(self) -> float:
        return self.passed / self.attempted if self.attempted else 0.0


@dataclass(frozen=True)
class ClassSummary:
    """Everything the report shows, computed from the results alone."""

    submissions: int
    percentages: tuple[float, ...]
    checks: tuple[CheckSummary, ...]  # least passed first
    seeds: tuple[int, ...]
    versions: tuple[str, ...]
    devices: tuple[str, ...]
    isolation: tuple[tuple[dict[str, Any], int], ...]  # each level seen, with how many

    @property
    def mean(self) -> float:
        return statistics.fmean(self.percentages) if self.percentages else 0.0

    @property
    def median(self) -> float:
        return statistics.median(self.percentages) if self.percentages else 0.0


def summarise(results: Sequence[SubmissionResult]) -> ClassSummary:
    """The class's statistics; checks sorted by pass rate, lowest first, then by id."""
    order: dict[str, str] = {}
    attempted: Counter[str] = Counter()
    passed: Counter[str] = Counter()
    missing: Counter[str] = Counter()
    messages: dict[str, Counter[tuple[str, str]]] = {}
    for result in results:
        for assignment in result.assignments:
            for check in assignment.checks:
                order.setdefault(check.id, check.name)
                messages.setdefault(check.id, Counter())
                if assignment.status == "missing":
                    missing[check.id] += 1
                    continue
                attempted[check.id] += 1
                if check.status == "passed":
                    passed[check.id] += 1
                else:
                    messages[check.id][(" ".join(check.feedback.split()), check.status)] += 1
    checks = [CheckSummary(
        id=check_id, name=name, attempted=attempted[check_id], passed=passed[check_id],
        missing=missing[check_id],
        messages=tuple((text, status, count) for (text, status), count
                       in _most_common(messages[check_id])))
        for check_id, name in order.items()]
    checks.sort(key=lambda c: (c.attempted == 0, c.rate, c.id))
    levels: Counter[str] = Counter(json.dumps(r.isolation, sort_keys=True) for r in results)
    return ClassSummary(
        submissions=len(results),
        percentages=tuple(100 * r.score / r.max_score if r.max_score else 0.0 for r in results),
        checks=tuple(checks),
        seeds=tuple(sorted({r.seed for r in results if r.seed is not None})),
        versions=tuple(sorted({r.version for r in results if r.version})),
        devices=tuple(sorted({r.device for r in results})),
        isolation=tuple((json.loads(level), count) for level, count in levels.most_common()))


def _most_common(counter: Counter[tuple[str, str]]) -> list[tuple[tuple[str, str], int]]:
    return sorted(counter.items(), key=lambda item: (-item[1], item[0]))[:TOP_MESSAGES]


def render_report(results: Sequence[SubmissionResult], *, title: str = "Class report") -> str:
    """The class report page of ``results``."""
    from autograder.results import plots  # matplotlib only when pages are made

    summary = summarise(results)
    graded = [c for c in summary.checks if c.attempted]
    return render_page(
        "report.html.j2", title=title, summary=summary, labels=STATUS_LABELS,
        histogram=plots.score_histogram(summary.percentages),
        rates=plots.pass_rates([(c.id, c.rate) for c in graded]) if graded else None,
        failing=[c for c in graded if c.messages])


def write_report(folder: Path, results: Sequence[SubmissionResult]) -> Path:
    """Writes ``folder/report.html`` (atomically) and returns its path."""
    path = Path(folder) / REPORT
    write_text(path, render_report(results))
    return path
