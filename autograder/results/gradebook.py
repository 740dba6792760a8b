"""The gradebook: one CSV row per submission, rendered from the result model.

Columns: the submission's label, its status, each assignment's score (or its
status when it was not graded: ``missing``, ``error``), the total, the
maximum, the seed, and a message when there is one. Rows are sorted by
label, so the same results always give the same bytes: two runs, or a run and
a merge of its shards, compare equal as files.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from autograder.results.model import SubmissionResult

STATUS, TOTAL, MAXIMUM = "status", "total", "max_total"


def gradebook_csv(results: Iterable[SubmissionResult], *, assignments: Sequence[str]) -> str:
    """The gradebook of ``results`` with one score column per name in ``assignments``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["submission", STATUS, *assignments, TOTAL, MAXIMUM, "seed", "message"])
    for result in sorted(results, key=lambda r: r.submission):
        by_name = {a.name: a for a in result.assignments}
        cells = []
        for name in assignments:
            assignment = by_name.get(name)
            cells.append("" if assignment is None else _number(assignment.score)
                         if assignment.status == "graded" else assignment.status)
        writer.writerow([result.submission, result.status, *cells, _number(result.score),
                         _number(result.max_score), "" if result.seed is None else result.seed,
                         " ".join(result.message.split())])
    return out.getvalue()


def _number(value: float) -> str:
    return f"{value:g}"
