"""The one result model; every output format is rendered from it by a pure function.

``to_json`` gives SPEC §3's stable contract (schema ``torchgrade.result/1``).
Instructor-only details (tracebacks, captured output) are kept apart in
``detail`` fields and only rendered where the caller asks for them.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SCHEMA = "torchgrade.result/1"
CHECK_STATUSES = ("passed", "failed", "error", "timeout", "not_implemented", "missing")
ASSIGNMENT_STATUSES = ("graded", "missing", "error")


@dataclass(frozen=True)
class CheckResult:
    id: str
    name: str
    points: float
    max_points: float
    status: str
    visibility: str
    feedback: str
    detail: str = ""
    # Plain, JSON-ready data for pictures in the HTML feedback (autograder.judge.figures);
    # written with the instructor details, since SPEC §3's document has no such key.
    data: dict[str, Any] = field(default_factory=dict, hash=False, repr=False)

    def __post_init__(self) -> None:
        if self.status not in CHECK_STATUSES:
            raise ValueError(f"unknown check status {self.status!r}")
        if not 0 <= self.points <= self.max_points:
            raise ValueError(f"points {self.points} outside 0..{self.max_points}")


@dataclass(frozen=True)
class AssignmentResult:
    name: str
    status: str
    checks: tuple[CheckResult, ...]
    max_score: float
    message: str = ""
    detail: str = ""

    def __post_init__(self) -> None:
        if self.status not in ASSIGNMENT_STATUSES:
            raise ValueError(f"unknown assignment status {self.status!r}")

    @property
    def score(self) -> float:
        return float(round(sum(check.points for check in self.checks), 6))


@dataclass(frozen=True)
class SubmissionResult:
    submission: str
    assignments: tuple[AssignmentResult, ...]
    seed: int | None = None
    status: str = "graded"
    message: str = ""
    # What kept student code in, as the sandbox recorded it (level jailed, contained or
    # process); "none" where no student code ran for this result (unusable input,
    # grader failure).
    isolation: dict[str, Any] = field(default_factory=lambda: {"level": "none"})
    version: str = ""
    device: str = "cpu"

    @property
    def score(self) -> float:
        return float(round(sum(a.score for a in self.assignments), 6))

    @property
    def max_score(self) -> float:
        return float(round(sum(a.max_score for a in self.assignments), 6))


def to_json(result: SubmissionResult, *, details: bool = False) -> dict[str, Any]:
    """SPEC §3's result document; ``details`` adds instructor-only fields."""
    document: dict[str, Any] = {
        "schema": SCHEMA, "submission": result.submission,
        "score": result.score, "max_score": result.max_score, "status": result.status,
        "seed": result.seed, "device": result.device, "torchgrade_version": result.version,
        "isolation": dict(result.isolation),
        "assignments": [_assignment_json(a, details) for a in result.assignments],
    }
    if result.message:
        document["message"] = result.message
    return document


def _assignment_json(assignment: AssignmentResult, details: bool) -> dict[str, Any]:
    document: dict[str, Any] = {
        "name": assignment.name, "score": assignment.score,
        "max_score": assignment.max_score, "status": assignment.status,
    }
    if assignment.message:
        document["message"] = assignment.message
    if details and assignment.detail:
        document["detail"] = assignment.detail
    document["checks"] = [_check_json(c, details) for c in assignment.checks]
    return document


def _check_json(check: CheckResult, details: bool) -> dict[str, Any]:
    document = {
        "id": check.id, "name": check.name, "points": check.points,
        "max_points": check.max_points, "status": check.status,
        "visibility": check.visibility, "feedback": check.feedback,
    }
    if details and check.detail:
        document["detail"] = check.detail
    if details and check.data:
        document["data"] = check.data
    return document


def write_json(path: Path, document: dict[str, Any]) -> None:
    """Writes atomically: a crash never leaves half a result behind."""
    write_text(path, json.dumps(document, indent=2) + "\n")


def write_text(path: Path, text: str) -> None:
    """Writes ``text`` atomically (a temporary file renamed into place), with normal modes.

    A crash or a ``kill -9`` leaves either the old file or the new one, never
    half of one; the leftover temporary file starts with a dot.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def from_json(document: Any) -> SubmissionResult:
    """Reads back a document written by :func:`to_json` (e.g. a batch's saved results).

    Raises:
        ValueError: the document is not a result of this schema.
    """
    try:
        if document["schema"] != SCHEMA:
            raise ValueError(f"not a {SCHEMA} document")
        assignments = tuple(
            AssignmentResult(
                name=a["name"], status=a["status"], max_score=float(a["max_score"]),
                message=a.get("message", ""), detail=a.get("detail", ""),
                checks=tuple(CheckResult(
                    id=c["id"], name=c["name"], points=float(c["points"]),
                    max_points=float(c["max_points"]), status=c["status"],
                    visibility=c["visibility"], feedback=c["feedback"],
                    detail=c.get("detail", ""),
                    data=c["data"] if isinstance(c.get("data"), dict) else {})
                    for c in a["checks"]))
            for a in document["assignments"])
        return SubmissionResult(
            submission=document["submission"], assignments=assignments,
            seed=document.get("seed"), status=document["status"],
            message=document.get("message", ""), isolation=dict(document.get("isolation", {})),
            version=document.get("torchgrade_version", ""),
            device=document.get("device", "cpu"))
    except (KeyError, TypeError) as error:
        raise ValueError(f"not a result document ({type(error).__name__}: {error})") from None
