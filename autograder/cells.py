"""What a notebook's test cells call: grade the saved notebook, report one part.

A test cell of a released notebook reads::

    from autograder.cells import grade_part
    grade_part("02_my_linear", "MyLinear")

Jupyter, VS Code and nbgrader run it in the notebook's kernel, where the
student's cells have run too, so the grading does not happen there.
:func:`grade_part` reads the notebook *file* as saved (``<module>.ipynb`` in
the kernel's working directory, which is the notebook's folder in all three)
and grades it in a fresh ``python -I`` process with the engine and settings
of ``torchgrade check``: the public seed and the recorded snapshots, no
solutions needed. Whatever the student's cells did to the kernel (a default
dtype, a warnings filter, a patched ``torch``) cannot reach the checks, and
the code is loaded exactly as ``torchgrade grade`` loads a notebook: magics,
shell escapes and the test cells themselves never run.

A notebook has a test cell per part, so one grading run's result is kept per
process, keyed by the hash of the file's bytes: the test cells of one
notebook cost one run, and saving a change grades the new file.

Grading the file is right, but a student who ran an edited cell without
saving would see the old code graded (``TODO`` for a class that works in the
kernel). So each test cell also compares the kernel's input history with the
saved cells (:mod:`autograder.unsaved`) and, where the kernel holds a
definition the file lacks or has otherwise, says first that the notebook has
unsaved changes. When they agree it says nothing about saving.

The :class:`PartGrade` a cell returns speaks to both of its readers. Its
plain-text repr is only the points earned, because nbgrader's
``determine_grade`` takes a test cell's ``execute_result`` as its partial
credit (``float`` of its ``text/plain``); its Markdown shows the student each
check's status and feedback. nbgrader gives 0 to a test cell with any
``stderr`` output, so nothing here writes to stderr or warns: every failure,
a missing file included, is a result with 0 points and a message.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from autograder import registry, unsaved
from autograder.intake.notebook import NotebookError, notebook_to_source
from autograder.registry import Assignment
from autograder.results.feedback import SYMBOLS
from autograder.sandbox import launch
from autograder.sandbox.launch import ZygoteProcess

GRADING_SECONDS = 600.0
_SAVE = "Save the notebook (Ctrl+S / Cmd+S), then run this cell again."
UNSAVED = ("You have unsaved changes in this notebook: save it (Ctrl+S / Cmd+S) and run this "
           "cell again.")
_CODE_SPAN = re.compile(r"(`[^`\n]*`)")
_MARKDOWN_SPECIAL = re.compile(r"([\\*_\[\]<>|#~])")
# (assignment name, sha256 of the saved file) -> the grading document (see main).
_graded: dict[tuple[str, str], dict[str, Any]] = {}


class _GraderFailed(Exception):
    """The grading process failed: not the student's fault, and not cached."""


@dataclass(frozen=True)
class CheckLine:
    """One check of a part as the student sees it.

    Attributes:
        name: What the check checks, in one line.
        status: ``passed``, ``failed``, ``error``, ``timeout``,
            ``not_implemented`` or ``missing``.
        points: Points earned.
        max_points: Points it is worth.
        feedback: Why it did not pass; empty for hidden checks.
    """

    name: str
    status: str
    points: float
    max_points: float
    feedback: str = ""


@dataclass(frozen=True)
class PartGrade:
    """The grade of one part of a saved notebook: what a test cell displays.

    Attributes:
        assignment: The assignment's name.
        part: The function or class graded; None for the whole-module checks.
        points: Points earned; the cell's ``text/plain`` output.
        max_points: Points the part's checks are worth; None when unknown
            (the notebook could not be graded at all).
        checks: The part's checks, in declaration order.
        message: Why the notebook was not (fully) graded, or a note about it.
        graded: Which file was graded, and when it was saved; said only where
            the kernel's code could not be compared with the file.
        unsaved: How the code the kernel ran differs from the saved file, one
            sentence per definition; empty when they agree.
    """

    assignment: str
    part: str | None
    points: float
    max_points: float | None
    checks: tuple[CheckLine, ...] = ()
    message: str = ""
    graded: str = ""
    unsaved: tuple[str, ...] = ()

    def __repr__(self) -> str:
        # nbgrader reads float(text/plain) as the cell's partial credit: nothing else here.
        return f"{self.points:g}"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))

    def _repr_markdown_(self) -> str:
        title = f"`{self.part}`" if self.part is not None else "The whole module"
        total = f" / {self.max_points:g}" if self.max_points is not None else ""
        lines = [f"**{title}: {self.points:g}{total} points**", ""]
        if self.unsaved:
            differs = "; ".join(self.unsaved)
            lines = [f"**⚠ {UNSAVED}**", "",
                     f"The code your kernel ran is not the saved file's: {_escape(differs)}. "
                     "The test cells grade the saved file, so the result below is for the code "
                     "as last saved. (Saved a change without running its cell? Run that cell "
                     "too.)", "",
                     f"**{title} as saved: {self.points:g}{total} points**", ""]
        if self.message:
            lines += [_escape(self.message), ""]
        for check in self.checks:
            symbol = SYMBOLS.get(check.status, check.status).strip()
            lines += [f"- **{symbol}** {check.points:g}/{check.max_points:g} "
                      f"{_escape(check.name)}", ""]
            if check.feedback and check.status != "passed":
                lines += [f"  {_escape(check.feedback)}", ""]
        if self.graded:
            lines.append(f"*{_escape(self.graded)}*")
        return "\n".join(lines).rstrip("\n") + "\n"


def grade_part(assignment: str, part: str | None, *,
               path: str | os.PathLike[str] | None = None,
               history: Sequence[str] | None = None) -> PartGrade:
    """Grades the saved notebook and returns the grade of one of its parts.

    Args:
        assignment: The assignment's name, module or number (``02_my_linear``).
        part: The top-level function or class whose checks count, as the
            checks declare it (``@check(part=...)``); None for the checks of
            the whole module.
        path: The notebook file; by default ``<module>.ipynb`` in the current
            working directory, where Jupyter starts a notebook's kernel.
        history: The cells the kernel executed, in order, to compare with the
            saved file; by default the running IPython kernel's input history
            (none outside IPython: nothing is compared).

    Returns:
        The part's grade. It never raises for a student's mistake or a
        grader failure, and writes nothing to stdout or stderr: a cell with
        stderr output scores 0 in nbgrader.
    """
    sink = io.StringIO()
    with warnings.catch_warnings(), contextlib.redirect_stdout(sink), \
            contextlib.redirect_stderr(sink):
        warnings.simplefilter("ignore")
        try:
            ran = unsaved.kernel_history() if history is None else tuple(history)
            return _grade_part(assignment, part, path, ran)
        except Exception as error:  # a failure is a result; a traceback would cost the cell
            reason = str(error) if isinstance(error, _GraderFailed) else (
                f"{type(error).__name__}: {error}")
            return PartGrade(assignment, part, 0.0, None,
                             message=f"The grader failed, so this cell scores 0 for now: "
                                     f"{reason}")


def _grade_part(name: str, part: str | None, path: str | os.PathLike[str] | None,
                ran: Sequence[str] | None) -> PartGrade:
    """Finds and reads the saved notebook, grades it unless its bytes were, picks the part.

    ``ran`` is what the kernel executed (None where unknown), compared with the file.
    """
    try:
        [assignment] = registry.select([name])[:1]
    except KeyError as error:
        return PartGrade(name, part, 0.0, None, message=str(error.args[0]))
    notebook = Path(path) if path is not None else Path.cwd() / assignment.notebook_filename
    try:
        data = notebook.read_bytes()
        saved = time.strftime("%H:%M:%S", time.localtime(notebook.stat().st_mtime))
    except FileNotFoundError:
        return PartGrade(assignment.name, part, 0.0, None, message=_missing(notebook))
    except OSError as error:
        return PartGrade(assignment.name, part, 0.0, None,
                         message=f"Could not read {notebook} ({error.strerror or error}). "
                                 f"{_SAVE}")
    key = (assignment.name, hashlib.sha256(data).hexdigest())
    document = _graded.get(key)
    if document is None:
        document = _grade_saved(assignment, data)
        _graded[key] = document
    grade = _part_grade(document, assignment.name, part)
    if ran is None:  # not in IPython: say which file was graded, as nothing was compared
        return replace(grade, graded=f"Graded {notebook.name} as saved at {saved}.")
    return replace(grade, unsaved=_unsaved(data, ran))


def _unsaved(data: bytes, ran: Sequence[str]) -> tuple[str, ...]:
    """How the kernel's definitions differ from the notebook file's bytes ``data``."""
    try:
        notebook = json.loads(data.decode("utf-8-sig"))
    except ValueError:  # the grading result already explains a broken file
        return ()
    if not isinstance(notebook, dict):
        return ()
    return unsaved.differences(unsaved.saved_code_cells(notebook), ran)


def _missing(notebook: Path) -> str:
    """Explains a missing notebook file, naming the notebooks that are there."""
    others = sorted(p.name for p in notebook.parent.glob("*.ipynb")) if (
        notebook.parent.is_dir()) else []
    found = f" It holds: {', '.join(others)}." if others else ""
    return (f"No {notebook.name} in {notebook.parent}, so there is nothing to grade and this "
            f"cell scores 0.{found} The test cells grade the saved notebook file: keep its "
            f"name {notebook.name}, save it, and run this cell again (or pass "
            f"path=\"...\" to grade_part).")


def _grade_saved(assignment: Assignment, data: bytes) -> dict[str, Any]:
    """Grades the notebook bytes ``data`` in a fresh process; returns its document."""
    # A leftover file in the scratch folder must not turn a finished grading into a failure.
    with tempfile.TemporaryDirectory(prefix="torchgrade-cell-",
                                     ignore_cleanup_errors=True) as scratch:
        notebook = Path(scratch) / assignment.notebook_filename
        notebook.write_bytes(data)
        try:
            notebook_to_source(notebook)  # cheap, and explains a broken file without a run
        except NotebookError as error:
            return {"status": "error", "message": str(error), "checks": []}
        out = Path(scratch) / "result.json"
        command = [sys.executable, "-I", "-m", "autograder.cells", "--assignment",
                   assignment.name, "--notebook", str(notebook), "--out", str(out)]
        errors = _run(command, cwd=Path(scratch))
        if not out.is_file():
            tail = errors.strip().splitlines()[-1:] or ["it stopped without a result"]
            raise _GraderFailed(f"the grading process failed: {tail[0]}")
        document: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    if "grader_error" in document:
        raise _GraderFailed(document["grader_error"])
    return document


def _run(command: list[str], *, cwd: Path) -> str:
    """Runs the grading process; returns its stderr. Its process group dies with it."""
    with subprocess.Popen(command, cwd=cwd, stdin=subprocess.DEVNULL,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          start_new_session=True) as process:
        try:
            _, errors = process.communicate(timeout=GRADING_SECONDS)
        except subprocess.TimeoutExpired:
            _kill(process)
            raise _GraderFailed(f"grading took longer than {GRADING_SECONDS:g} s") from None
        except BaseException:  # e.g. the kernel interrupted (nbgrader's cell time-out)
            _kill(process)
            raise
    return errors.decode("utf-8", errors="replace")


def _kill(process: subprocess.Popen[bytes]) -> None:
    """Kills the grading process and whatever it started (the zygote, sandboxes)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (AttributeError, OSError):  # no process groups (Windows) or already gone
        process.kill()
    process.wait()


def _part_grade(document: dict[str, Any], assignment: str, part: str | None) -> PartGrade:
    """Keeps the checks of ``part`` from a grading document; their points are the grade."""
    lines = tuple(CheckLine(c["name"], c["status"], float(c["points"]),
                            float(c["max_points"]), c["feedback"])
                  for c in document["checks"] if c["part"] == part)
    message = document["message"]
    if document["checks"] and not lines:
        what = f"part {part!r}" if part is not None else "the whole module"
        message = (f"No check of {assignment} is about {what}, so this cell is worth nothing. "
                   "Is this notebook from an older release?")
    max_points = round(sum(c.max_points for c in lines), 6) if lines else None
    return PartGrade(assignment, part, round(sum(c.points for c in lines), 6), max_points,
                     checks=lines, message=message)


def _escape(text: str) -> str:
    """Markdown-escapes ``text`` outside its `code spans`, which feedback uses on purpose."""
    pieces = _CODE_SPAN.split(text)
    return "".join(piece if index % 2 else _MARKDOWN_SPECIAL.sub(r"\\\1", piece)
                   for index, piece in enumerate(pieces))


def main(*, assignment: str, notebook: Path, out: Path) -> int:
    """Grades ``notebook`` as ``torchgrade check`` would; writes the cells' document.

    This is the grading process that :func:`grade_part` starts. The document
    is ``{"status", "message", "checks": [{"part", "name", "status",
    "points", "max_points", "feedback"}]}``, or ``{"grader_error": reason}``.

    Returns:
        0 when ``out`` was written.
    """
    # Launched before the engine's imports (torch, pytest), so both warm up at once;
    # only this process needs them, not the kernel.
    with tempfile.TemporaryDirectory(prefix="torchgrade-zygote-") as folder:
        launched = launch.start(workdir=Path(folder))
        try:
            return _grade_into(assignment=assignment, notebook=notebook, out=out,
                               launched=launched)
        finally:
            launched.close()


def _grade_into(*, assignment: str, notebook: Path, out: Path,
                launched: ZygoteProcess) -> int:
    from autograder.intake.submission import Submission
    from autograder.judge.engine import grade
    from autograder.judge.reference import Snapshots
    from autograder.judge.session import GradingOptions, InternalError
    from autograder.judge.snapshots import PUBLIC_SEED
    from autograder.release import checks_table
    from autograder.results import write_json

    [chosen] = registry.select([assignment])[:1]
    submission = Submission(label=notebook.stem, root=notebook.parent,
                            files={chosen.name: notebook}, assignments=(chosen,))
    options = GradingOptions(reference=Snapshots(), seed=PUBLIC_SEED)  # as `torchgrade check`
    try:
        [result] = grade([submission], assignments=(chosen,), options=options,
                         launched=launched).results
    except InternalError as error:
        write_json(out, {"grader_error": error.reason})
        return 0
    parts = {row.spec.id: row.spec.part for row in checks_table.collect(chosen)}
    [graded] = result.assignments
    write_json(out, {"status": graded.status, "message": graded.message, "checks": [
        {"part": parts.get(check.id), "name": check.name, "status": check.status,
         "points": check.points, "max_points": check.max_points,
         "feedback": check.feedback if check.visibility == "public" else ""}
        for check in graded.checks]})
    return 0


def _cli(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.cells",
                                     description="grade a saved notebook for its test cells")
    parser.add_argument("--assignment", required=True)
    parser.add_argument("--notebook", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    return main(assignment=args.assignment, notebook=args.notebook, out=args.out)


if __name__ == "__main__":
    sys.exit(_cli(sys.argv[1:]))
