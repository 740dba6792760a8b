"""JUnit XML of a result, the test report format every CI system reads.

``torchgrade grade --junit-xml FILE`` and ``torchgrade check --junit-xml FILE``
write :func:`render_junit`: one ``<testsuite>`` per assignment and one
``<testcase>`` per check (``classname`` the assignment, ``name`` the check's
id). The document is valid under both schemas CI systems read: Jenkins'
``junit-10.xsd`` (which pytest, GitLab and the GitHub test-report actions
follow) and the stricter Apache Ant ``JUnit.xsd``.

How a check's status shows:

- ``passed``: a plain test case.
- ``failed``: ``<failure>``; the code ran and returned something wrong.
- ``error``, ``timeout``: ``<error>``; the code raised, crashed, or did not
  finish (a file that cannot be loaded errors every check of its assignment).
- ``not_implemented``, ``missing``: ``<skipped>``. CI pages show skipped tests
  as neutral, not red, which is what an unwritten function or an assignment
  not handed in is: work still to do, not a bug. They still earn no points:
  the points are in each suite's ``<properties>``, and ``--fail-under``
  decides the exit code.

The message and body of each outcome are the student's feedback (hidden
checks' feedback is withheld, as in the terminal). Every text is escaped by
:mod:`xml.etree.ElementTree`; characters that XML 1.0 cannot hold at all
(control characters, lone surrogates) are written as ``\\xNN`` escapes.
"""

from __future__ import annotations

import re
import socket
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path

from autograder.results.model import (
    AssignmentResult,
    CheckResult,
    SubmissionResult,
    write_text,
)

OUTCOMES = {"failed": "failure", "error": "error", "timeout": "error",
            "not_implemented": "skipped", "missing": "skipped"}
"""The JUnit element each check status that is not a pass becomes."""

HIDDEN_FEEDBACK = "Feedback on hidden checks is not shown."
PACKAGE = "torchgrade"

_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_MESSAGE_CHARS = 200


def render_junit(result: SubmissionResult, *, timestamp: datetime, seconds: float = 0.0,
                 hostname: str = "localhost", show_hidden: bool = False) -> str:
    """The JUnit XML document of ``result``.

    A submission the grader could not grade as a whole (its status is not
    ``graded``, or it has no assignment) gets one more suite, ``torchgrade``,
    whose one test case errors with the result's message, so that CI shows
    the failure instead of an empty, green report.

    Args:
        result: What to render.
        timestamp: When grading started (written without a time zone, as
            the Ant schema requires; pass UTC).
        seconds: How long grading took. The model keeps no time per check, so
            each test case says 0 and each suite its share of this.
        hostname: The machine that graded.
        show_hidden: Put the feedback of hidden checks in too.
    """
    stamp = timestamp.replace(tzinfo=None, microsecond=0).isoformat()
    share = seconds / max(1, sum(len(a.checks) for a in result.assignments))
    root = ET.Element("testsuites")
    for index, assignment in enumerate(result.assignments):
        checks = assignment.checks
        suite = _suite(root, assignment.name, index, checks, hostname=hostname, stamp=stamp,
                       seconds=share * len(checks))
        _properties(suite, result, assignment)
        for check in checks:
            _testcase(suite, assignment.name, check, show_hidden)
        _outputs(suite, _assignment_output(assignment))
    if result.status != "graded" or not result.assignments:
        suite = _suite(root, PACKAGE, len(result.assignments), (), hostname=hostname,
                       stamp=stamp, seconds=0.0, errors=1)
        _properties(suite, result, None)
        message = result.message or "Nothing was graded."
        case = ET.SubElement(suite, "testcase", {"classname": PACKAGE,
                                                 "name": f"{PACKAGE}/grading", "time": "0.000"})
        ET.SubElement(case, "error", {"type": result.status,
                                      "message": _clean(_first_line(message))}
                      ).text = _clean(message)
        _outputs(suite, message)
    ET.indent(root)
    return ('<?xml version="1.0" encoding="utf-8"?>\n'
            + ET.tostring(root, encoding="unicode") + "\n")


def _suite(root: ET.Element, name: str, index: int, checks: tuple[CheckResult, ...], *,
           hostname: str, stamp: str, seconds: float, errors: int = 0) -> ET.Element:
    counts = {kind: sum(OUTCOMES.get(c.status) == kind for c in checks)
              for kind in ("failure", "error", "skipped")}
    return ET.SubElement(root, "testsuite", {
        "name": _clean(name), "package": PACKAGE, "id": str(index),
        "tests": str(len(checks) + errors), "failures": str(counts["failure"]),
        "errors": str(counts["error"] + errors), "skipped": str(counts["skipped"]),
        "time": f"{max(0.0, seconds):.3f}", "timestamp": stamp,
        "hostname": _clean(hostname) or "localhost",
    })


def _outputs(suite: ET.Element, text: str) -> None:
    """``<system-out>`` and ``<system-err>``, last in a suite, as the Ant schema orders them."""
    ET.SubElement(suite, "system-out").text = _clean(text)
    ET.SubElement(suite, "system-err").text = ""


def _properties(suite: ET.Element, result: SubmissionResult,
                assignment: AssignmentResult | None) -> None:
    properties = ET.SubElement(suite, "properties")
    values = {"submission": result.submission, "torchgrade_version": result.version,
              "seed": "" if result.seed is None else str(result.seed),
              "device": result.device, "submission_score": _points(result.score),
              "submission_max_score": _points(result.max_score),
              "submission_status": result.status}
    if assignment is not None:
        values |= {"score": _points(assignment.score),
                   "max_score": _points(assignment.max_score), "status": assignment.status}
    for name, value in values.items():
        ET.SubElement(properties, "property", {"name": name, "value": _clean(value)})


def _testcase(suite: ET.Element, classname: str, check: CheckResult, show_hidden: bool) -> None:
    case = ET.SubElement(suite, "testcase", {"classname": _clean(classname),
                                             "name": _clean(check.id), "time": "0.000"})
    kind = OUTCOMES.get(check.status)
    if kind is None:
        return
    withheld = check.visibility != "public" and not show_hidden
    feedback = HIDDEN_FEEDBACK if withheld else check.feedback
    body = (f"{check.name}\n{feedback}\n"
            f"({_points(check.points)}/{_points(check.max_points)} points, {check.status})")
    attributes = {"message": _clean(_first_line(feedback))}
    if kind != "skipped":
        attributes["type"] = check.status
    ET.SubElement(case, kind, attributes).text = _clean(body)


def _assignment_output(assignment: AssignmentResult) -> str:
    line = (f"{assignment.name}: {_points(assignment.score)}/{_points(assignment.max_score)} "
            f"points ({assignment.status})")
    return f"{line}\n{assignment.message}" if assignment.message else line


def _first_line(text: str) -> str:
    line = text.strip().split("\n", 1)[0]
    return line if len(line) <= _MESSAGE_CHARS else line[:_MESSAGE_CHARS - 3] + "..."


def _clean(text: str) -> str:
    """``text`` with what XML 1.0 cannot hold written as ``\\xNN`` / ``\\uNNNN`` escapes."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _NOT_XML.sub(lambda m: repr(m.group(0))[1:-1], text)


def _points(value: float) -> str:
    return f"{value:g}"


def write_junit(path: Path, result: SubmissionResult, *, started: datetime,
                seconds: float) -> None:
    """Writes ``result``'s JUnit XML to ``path`` atomically, naming this machine as its host."""
    write_text(path, render_junit(result, timestamp=started, seconds=seconds,
                                  hostname=socket.gethostname()))
