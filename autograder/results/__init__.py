"""Results: the one result model, and every format rendered from it.

The model (:mod:`.model`) is SPEC §3's contract; renderers are pure
functions of it (:mod:`.feedback` for students' terminals and notebooks).
The model's names are re-exported here: ``from autograder.results import
SubmissionResult``.
"""

from __future__ import annotations

from autograder.results.model import (
    ASSIGNMENT_STATUSES,
    CHECK_STATUSES,
    SCHEMA,
    AssignmentResult,
    CheckResult,
    SubmissionResult,
    from_json,
    to_json,
    write_json,
    write_text,
)

__all__ = ["ASSIGNMENT_STATUSES", "CHECK_STATUSES", "SCHEMA", "AssignmentResult",
           "CheckResult", "SubmissionResult", "from_json", "to_json", "write_json",
           "write_text"]
