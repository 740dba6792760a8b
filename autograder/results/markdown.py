"""Markdown renderings of a result: CI step summaries and Gradescope's summary.

Pure functions of :mod:`autograder.results`. ``torchgrade grade --format md``
and ``torchgrade check --format md`` print :func:`render_markdown`, meant for
``$GITHUB_STEP_SUMMARY`` (or any page that renders GitHub-flavoured
Markdown): a score table, one row per assignment, then one line per check.
Gradescope's top-level ``output`` is :func:`render_summary`, the table alone.

Everything a result quotes (check names, feedback, which may quote what
student code returned or raised) is escaped, so it shows as written and can
neither break the table nor inject links, images or HTML.
"""

from __future__ import annotations

import re

from autograder.results.model import AssignmentResult, CheckResult, SubmissionResult

MARKS = {"passed": "✅", "failed": "❌", "error": "💥", "timeout": "⏱️",
         "not_implemented": "📝", "missing": "❔"}
"""One mark per check status, as the per-check lines show it."""

WORDS = {"passed": "passed", "failed": "failed", "error": "error", "timeout": "timed out",
         "not_implemented": "not implemented", "missing": "missing"}

HIDDEN_FEEDBACK = "Feedback on hidden checks is not shown."

TABLE_HEADER = ("Assignment", "Score", "Checks passed", "Status")

_CODE_SPAN = re.compile(r"(`[^`\n]+`)")
_INLINE = re.compile(r"([\\*\[\]<>|~&]|(?<![0-9A-Za-z])_|_(?![0-9A-Za-z]))")
_LINE_START = re.compile(r"^(\s*)([#+=-]|\d+[.)])")
_UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def render_markdown(result: SubmissionResult, *, show_hidden: bool = False) -> str:
    """The score table, then every assignment's checks, one line each.

    Args:
        result: What to render.
        show_hidden: Show the feedback of hidden checks too (their name and
            points are always shown, as in the terminal's feedback).
    """
    lines = [render_summary(result, notes=False)]
    for assignment in result.assignments:
        lines += ["", *_assignment_lines(assignment, show_hidden)]
    return "\n".join(lines) + "\n"


def render_summary(result: SubmissionResult, *, notes: bool = True) -> str:
    """A heading with the total, the score table, and what went wrong with whole files.

    Args:
        result: What to render.
        notes: List the message of each assignment that was not graded (a
            missing or unloadable file) under the table.
    """
    total = (f"{_points(result.score)}/{_points(result.max_score)}" if result.assignments
             else "not graded")
    lines = [f"## torchgrade: {escape(result.submission)} — {total}", ""]
    if result.message:
        lines += [f"> ⚠️ {escape(result.message)}", ""]
    if result.assignments:
        lines += table_lines(result)
    problems = [f"- **{escape(a.name)}**: {escape(a.message)}"
                for a in result.assignments if notes and a.message and a.status != "graded"]
    if problems:
        lines += ["", *problems]
    if result.seed is not None:
        on = "" if result.device == "cpu" else f" on {result.device}"
        lines += ["", f"Inputs seeded with `--seed {result.seed}`{on}."]
    return "\n".join(lines)


def table_lines(result: SubmissionResult) -> list[str]:
    """The score table: a row per assignment, then the total in bold."""
    rows = [[f"`{a.name}`".replace("|", "\\|"), f"{_points(a.score)}/{_points(a.max_score)}",
             f"{_passed(a.checks)}/{len(a.checks)}", a.status] for a in result.assignments]
    checks = [c for a in result.assignments for c in a.checks]
    rows.append(["**Total**", f"**{_points(result.score)}/{_points(result.max_score)}**",
                 f"**{_passed(checks)}/{len(checks)}**", ""])
    return [_row(TABLE_HEADER), "|:--|--:|--:|:--|", *(_row(row) for row in rows)]


def _assignment_lines(assignment: AssignmentResult, show_hidden: bool) -> list[str]:
    lines = [f"### {escape(assignment.name)} — "
             f"{_points(assignment.score)}/{_points(assignment.max_score)}", ""]
    if assignment.status != "graded":
        return [*lines, f"> ⚠️ {escape(assignment.message or assignment.status)}"]
    if assignment.message:
        lines += [f"> {escape(assignment.message)}", ""]
    for check in assignment.checks:
        lines += _check_lines(check, show_hidden)
    return lines


def _check_lines(check: CheckResult, show_hidden: bool) -> list[str]:
    head = (f"- {MARKS[check.status]} **{_points(check.points)}/{_points(check.max_points)}** "
            f"{escape(check.name)} (`{check.id}`, {WORDS[check.status]})")
    if check.status == "passed":
        return [head]
    if check.visibility != "public" and not show_hidden:
        return [head, f"  > {HIDDEN_FEEDBACK}"]
    return [head, *(f"  > {line}" if line else "  >"
                    for line in escape(check.feedback).split("\n"))]


def escape(text: str) -> str:
    """``text`` as Markdown that renders to exactly ``text``, on one line or several.

    Code spans (`` `like this` ``, as the checks' feedback writes names) are
    kept, since they render as code; everything else that Markdown would
    interpret (emphasis, links, HTML, entities, table pipes, a ``#`` or ``-``
    starting a line) is backslash-escaped. A line with an odd number of
    backticks has no code spans: its backticks are escaped too. Control
    characters and lone surrogates, which no page can show (or print),
    are written as ``\\xNN`` / ``\\udNNN`` escapes.
    """
    text = _UNPRINTABLE.sub(lambda m: repr(m.group(0))[1:-1], text)
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(_escape_line(line) for line in lines)


def _escape_line(line: str) -> str:
    if line.count("`") % 2:
        escaped = _INLINE.sub(r"\\\1", line).replace("`", "\\`")
    else:
        escaped = "".join(part if index % 2 else _INLINE.sub(r"\\\1", part)
                          for index, part in enumerate(_CODE_SPAN.split(line)))
    return _LINE_START.sub(lambda m: m.group(1) + _escape_start(m.group(2)), escaped, count=1)


def _escape_start(token: str) -> str:
    if token[-1] in ".)":
        return token[:-1] + "\\" + token[-1]
    return "\\" + token


def _row(cells: list[str] | tuple[str, ...]) -> str:
    return "| " + " | ".join(cells) + " |"


def _passed(checks: tuple[CheckResult, ...] | list[CheckResult]) -> int:
    return sum(check.status == "passed" for check in checks)


def _points(value: float) -> str:
    return f"{value:g}"
