"""An independent reading of SPEC §3: validates a result document strictly.

Written from the SPEC's text, not from the code that writes results, so that
a test using it catches drift of either.
"""

from __future__ import annotations

from typing import Any

CHECK_KEYS = {"id", "name", "points", "max_points", "status", "visibility", "feedback"}
CHECK_STATUSES = {"passed", "failed", "error", "timeout", "not_implemented", "missing"}
ASSIGNMENT_KEYS = {"name", "score", "max_score", "status", "checks"}
TOP_KEYS = {"schema", "submission", "score", "max_score", "status", "assignments"}


def problems(document: Any) -> list[str]:
    """Every way ``document`` departs from the contract; empty when it conforms."""
    found: list[str] = []
    if not isinstance(document, dict):
        return ["the document is not an object"]
    _keys(document, TOP_KEYS, {"seed", "device", "torchgrade_version", "isolation", "message",
                                   "detail"},
          "result", found)
    if document.get("schema") != "torchgrade.result/1":
        found.append("schema is not torchgrade.result/1")
    _number(document, "score", found)
    _number(document, "max_score", found)
    assignments = document.get("assignments", [])
    total = 0.0
    for assignment in assignments if isinstance(assignments, list) else []:
        total += _assignment(assignment, found)
    if isinstance(document.get("score"), float) and abs(document["score"] - total) > 1e-6:
        found.append(f"score {document['score']} is not the sum of the assignments {total}")
    return found


def _assignment(assignment: Any, found: list[str]) -> float:
    name = assignment.get("name", "?")
    _keys(assignment, ASSIGNMENT_KEYS, {"message", "detail"}, f"assignment {name}", found)
    if assignment.get("status") not in {"graded", "missing", "error"}:
        found.append(f"{name}: unknown status {assignment.get('status')!r}")
    _number(assignment, "score", found)
    points = 0.0
    for check in assignment.get("checks", []):
        _keys(check, CHECK_KEYS, {"detail"}, f"check {check.get('id')}", found)
        if check.get("status") not in CHECK_STATUSES:
            found.append(f"{check.get('id')}: unknown status {check.get('status')!r}")
        if check.get("visibility") not in {"public", "hidden"}:
            found.append(f"{check.get('id')}: unknown visibility")
        if not str(check.get("id", "")).startswith(f"{name}/"):
            found.append(f"{check.get('id')}: id does not start with {name}/")
        if not 0 <= check.get("points", -1) <= check.get("max_points", -1):
            found.append(f"{check.get('id')}: points outside 0..max_points")
        if check.get("status") != "passed" and check.get("points") != 0:
            found.append(f"{check.get('id')}: points without a pass")
        points += float(check.get("points", 0))
    if isinstance(assignment.get("score"), float) and abs(assignment["score"] - points) > 1e-6:
        found.append(f"{name}: score is not the sum of its checks")
    return float(assignment.get("score", 0))


def _keys(obj: dict[str, Any], required: set[str], optional: set[str], where: str,
          found: list[str]) -> None:
    missing, extra = required - set(obj), set(obj) - required - optional
    if missing:
        found.append(f"{where}: missing {sorted(missing)}")
    if extra:
        found.append(f"{where}: unexpected {sorted(extra)}")


def _number(obj: dict[str, Any], key: str, found: list[str]) -> None:
    if type(obj.get(key)) is not float:
        found.append(f"{key} is not a number with a decimal point")
