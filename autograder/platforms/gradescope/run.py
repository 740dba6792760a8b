"""What ``run_autograder`` runs on Gradescope: one submission in, ``results.json`` out.

``python -m autograder.platforms.gradescope.run`` grades
``<root>/submission`` against the reference solutions of the grader bundle
in ``<root>/source/grader`` and writes ``<root>/results/results.json``;
``<root>`` is ``/autograder`` on Gradescope, or ``$TORCHGRADE_AUTOGRADER_ROOT``
(a folder laid out the same way, to try the autograder anywhere).

Whatever happens, a valid ``results.json`` is written: a submission with
nothing to grade scores 0 with what was looked for; code that crashes or
hangs fails its checks as in ``torchgrade grade``; a grader that is set up
wrong, or fails, scores 0 with a message that it is not the student's fault.
Everything else (the full feedback, tracebacks) is printed: Gradescope shows
that output to instructors only.

With ``--check-setup`` (``setup.sh`` runs it) nothing is graded: it checks
that the installed torchgrade is the one the grader bundle was released
with, byte for byte in its checks.
"""

from __future__ import annotations

from autograder import startup

if __name__ == "__main__":  # as the command does: the imports below (torch, pytest) run
    startup.own()  # with the collector paused and the compiler stack deferred

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import secrets  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
from collections.abc import Sequence  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any, TextIO  # noqa: E402

from autograder import __version__, registry  # noqa: E402
from autograder.intake.errors import SubmissionError  # noqa: E402
from autograder.intake.submission import open_submission  # noqa: E402
from autograder.judge.engine import Unusable, grade, unusable_result  # noqa: E402
from autograder.judge.reference import Solutions  # noqa: E402
from autograder.judge.session import GradingOptions, InternalError  # noqa: E402
from autograder.layout import solution_file  # noqa: E402
from autograder.platforms.gradescope.bundle import GRADER_FOLDER  # noqa: E402
from autograder.platforms.gradescope.results import not_graded, to_gradescope  # noqa: E402
from autograder.registry import Assignment  # noqa: E402
from autograder.release import bundles, publish  # noqa: E402
from autograder.results import SubmissionResult, write_json  # noqa: E402
from autograder.results.feedback import render_feedback  # noqa: E402

ROOT_VARIABLE = "TORCHGRADE_AUTOGRADER_ROOT"
DEFAULT_ROOT = Path("/autograder")

NOT_SET_UP = ("The autograder is not set up correctly, so this submission was not graded. "
              "This is not your fault: please tell your instructor.")
GRADER_FAILED = ("The grader itself failed while grading this submission, so it was not "
                 "graded. This is not your fault: submit again, and tell your instructor if "
                 "it happens again.")
UPLOAD_HINT = ("Upload your assignment files themselves (for example my_linear.py or "
               "my_linear.ipynb), a .zip of your assignment folders, or your repository.")


class SetupError(Exception):
    """The autograder's install does not match its grader bundle; nothing can be graded."""


@dataclass(frozen=True)
class Layout:
    """Gradescope's folders, below ``root`` (``/autograder``).

    Attributes:
        root: The autograder's root folder.
        source: Where the autograder ``.zip`` was unpacked (``<root>/source``).
    """

    root: Path
    source: Path

    @property
    def submission(self) -> Path:
        return self.root / "submission"

    @property
    def results(self) -> Path:
        return self.root / "results" / "results.json"

    @property
    def grader(self) -> Path:
        return self.source / GRADER_FOLDER


def run(*, layout: Layout, out: TextIO | None = None) -> int:
    """Grades the submission and writes ``results.json``; returns 0 once it is written.

    Args:
        layout: Where the submission, the grader bundle and the results are.
        out: Where the instructor's log goes (standard output by default).
    """
    out = out if out is not None else sys.stdout
    clock = time.monotonic()
    document: dict[str, Any]
    try:
        result = grade_submission(layout, out=out)
        document = to_gradescope(result, seconds=time.monotonic() - clock)
    except SetupError as error:
        print(f"torchgrade: the autograder is not set up correctly: {error}", file=out)
        document = not_graded(NOT_SET_UP, seconds=time.monotonic() - clock,
                              version=__version__)
    except Exception:  # noqa: BLE001 - any failure still owes the student a result
        traceback.print_exc(file=out)
        document = not_graded(GRADER_FAILED, seconds=time.monotonic() - clock,
                              version=__version__)
    write_json(layout.results, document)
    print(f"torchgrade: wrote {layout.results}: score {document['score']:g}", file=out)
    return 0


def grade_submission(layout: Layout, *, out: TextIO) -> SubmissionResult:
    """The result of grading ``layout.submission`` with fresh inputs.

    Raises:
        SetupError: as :func:`check_setup`.
    """
    chosen = check_setup(layout.grader)
    options = GradingOptions(reference=Solutions(layout.grader / "solutions"),
                             seed=secrets.randbits(32))
    with tempfile.TemporaryDirectory(prefix="torchgrade-gradescope-") as work:
        try:
            opened = open_submission(layout.submission, assignments=chosen,
                                     workdir=Path(work))
        except SubmissionError as error:
            print(f"torchgrade: nothing to grade: {error}", file=out)
            return unusable_result(Unusable(label="submission", message=f"{error} {UPLOAD_HINT}"),
                                   assignments=chosen, options=options)
        try:
            [result] = grade([opened], assignments=opened.assignments, options=options).results
        except InternalError as error:
            print(f"torchgrade: internal error while grading:\n{error}", file=out)
            return SubmissionResult(submission=opened.label, assignments=(), seed=options.seed,
                                    status="error", message=GRADER_FAILED, version=__version__)
    print(render_feedback(result, show_hidden=True), file=out)
    _print_details(result, out)
    return result


def check_setup(grader: Path) -> tuple[Assignment, ...]:
    """The assignments the grader bundle grades, once this install is proven to match it.

    It must be a grader bundle of this torchgrade's version, naming known
    assignments, every file as released (``grader.json`` holds their
    SHA-256: an edited reference solution would grade everyone against it),
    and its copies of each ``checks.py`` and ``scenarios.py`` must be byte
    for byte the installed ones.

    Raises:
        SetupError: what does not match, and how to fix it.
    """
    config_path = grader / bundles.GRADER_CONFIG
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
        if config.get("schema") != bundles.GRADER_SCHEMA:
            raise ValueError(f"not a {bundles.GRADER_SCHEMA} document")
        names = [entry["name"] for entry in config["assignments"]]
        digests = dict(config["files"])
        if not names:
            raise ValueError("it names no assignment")
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise SetupError(f"cannot read the grader bundle's {config_path} ({error}); rebuild "
                         "the autograder with `torchgrade gradescope OUT.zip`") from None
    if config.get("torchgrade_version") != __version__:
        raise SetupError(f"the grader bundle was released with torchgrade "
                         f"{config.get('torchgrade_version')}, but torchgrade {__version__} "
                         "is installed; rebuild the autograder with `torchgrade gradescope`")
    try:
        chosen = registry.select(names)
        for assignment in chosen:
            solution_file(grader / "solutions", assignment)
    except (KeyError, FileNotFoundError) as error:
        raise SetupError(str(error).strip("'\"")) from None
    edited = [path for path, digest in sorted(digests.items())
              if not (grader / path).is_file()
              or publish.digest((grader / path).read_bytes()) != digest]
    if edited:
        raise SetupError(f"files of the grader bundle were changed or removed since it was "
                         f"released: {', '.join(edited)}; rebuild the autograder with "
                         "`torchgrade gradescope` instead of editing it")
    changed = [path for path, content in _installed_checks(chosen).items()
               if digests.get(path) != publish.digest(content)]
    if changed:
        raise SetupError("the installed checks differ from the grader bundle's copies: "
                         f"{', '.join(changed)}; rebuild the autograder from one checkout")
    return chosen


def _installed_checks(assignments: Sequence[Assignment]) -> dict[str, bytes]:
    """The installed ``checks.py`` and ``scenarios.py``, by their path in the grader bundle."""
    return {f"checks/{a.name}/{name}": (a.checks_path.parent / name).read_bytes()
            for a in assignments for name in ("checks.py", "scenarios.py")}


def _print_details(result: SubmissionResult, out: TextIO) -> None:
    """The tracebacks and captured output that the feedback leaves out, for instructors."""
    for assignment in result.assignments:
        if assignment.detail:
            print(f"\n--- {assignment.name} ---\n{assignment.detail}", file=out)
        for check in assignment.checks:
            if check.detail:
                print(f"\n--- {check.id} ---\n{check.detail}", file=out)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m autograder.platforms.gradescope.run [--root DIR] [--check-setup]``."""
    parser = argparse.ArgumentParser(
        prog="python -m autograder.platforms.gradescope.run",
        description="Grades a Gradescope submission into results.json (run_autograder runs "
                    "this).")
    parser.add_argument("--root", type=Path,
                        default=Path(os.environ.get(ROOT_VARIABLE) or DEFAULT_ROOT),
                        help=f"Gradescope's folder (default: ${ROOT_VARIABLE}, else "
                             f"{DEFAULT_ROOT})")
    parser.add_argument("--source", type=Path,
                        help="where the autograder .zip was unpacked (default: ROOT/source)")
    parser.add_argument("--check-setup", action="store_true",
                        help="grade nothing; exit 1 unless the install matches the bundle")
    args = parser.parse_args(argv)
    layout = Layout(root=args.root, source=args.source or args.root / "source")
    if not args.check_setup:
        return run(layout=layout)
    try:
        chosen = check_setup(layout.grader)
    except SetupError as error:
        print(f"torchgrade: the autograder is not set up correctly: {error}", file=sys.stderr)
        return 1
    print(f"torchgrade {__version__} is set up to grade "
          f"{', '.join(a.name for a in chosen)} from {layout.grader}")
    return 0


if __name__ == "__main__":
    from autograder.cli import exit_now

    exit_now(main())
