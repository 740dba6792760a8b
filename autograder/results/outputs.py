"""What a one-submission command (``grade``, ``check``) writes besides its printed feedback.

The result document (``--json``), the HTML feedback page (``--html``) and
JUnit XML (``--junit-xml``), each where it was asked for; and whether the
score is under ``--fail-under``. One place for both commands, so that they
write the same files the same way.
"""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from typing import Any

from autograder.results.junit import write_junit
from autograder.results.model import SubmissionResult, write_json


def write_outputs(result: SubmissionResult, *, json_path: Path | None = None,
                  document: dict[str, Any] | None = None, html: Path | None = None,
                  junit_xml: Path | None = None, started: datetime, clock: float) -> None:
    """Writes the files asked for.

    Args:
        result: What was graded.
        json_path: Where ``document`` (the result as JSON) goes.
        document: The result document; the command chooses its details.
        html: Folder of the feedback page (``<html>/<label>.html``).
        junit_xml: Where the JUnit XML goes.
        started: When grading started (wall clock), for JUnit.
        clock: ``time.monotonic()`` when grading started, for JUnit's duration.
    """
    if json_path is not None and document is not None:
        write_json(json_path, document)
    if html is not None:
        from autograder.results.html import write_feedback_pages  # jinja2, on demand

        write_feedback_pages([result], html)
    if junit_xml is not None:
        write_junit(junit_xml, result, started=started, seconds=time.monotonic() - clock)


def under(result: SubmissionResult, fail_under: float | None) -> bool:
    """Whether the score is below ``fail_under`` percent of the maximum (never without one)."""
    return fail_under is not None and result.score < fail_under / 100 * result.max_score
