"""The ``torchgrade`` command: parses arguments and calls one stage's ``main``.

Exit codes (SPEC §3): 0 graded, 1 under ``--fail-under``, 2 bad usage or an
unusable input path, 3 internal error of the grader.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import os
import sys
import tempfile
import traceback
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import NoReturn

from autograder import __version__, startup
from autograder.sandbox import launch
from autograder.sandbox.launch import ZygoteProcess

EXIT_USAGE, EXIT_INTERNAL = 2, 3
SOLUTIONS_HELP = ("the reference solutions folder (default: the solutions/ of the grader bundle "
                  "you are in, else the course repository's solutions/)")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="torchgrade", description="Auto-graded PyTorch fundamentals: check, grade, "
        "release.")
    parser.add_argument("--version", action="version", version=f"torchgrade {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    commands.add_parser("list", help="list the assignments and their points")

    check = commands.add_parser("check", help="grade your working copy with the public seeds")
    check.add_argument("assignments", nargs="*", metavar="ASSIGNMENT",
                       help="e.g. 02_my_linear, my_linear or 2 (default: all)")
    check.add_argument("--path", type=Path,
                       help="your working copy (default: ./assignments, or . in a student "
                            "bundle)")
    check.add_argument("--snapshots", type=Path, metavar="DIR",
                       help="recorded public snapshots (default: the bundle's snapshots/, "
                            "else those shipped with torchgrade)")
    _ci_outputs(check)
    check.add_argument("--json", type=Path, dest="json_path", metavar="FILE",
                       help="also write the result document (torchgrade.result/1) here")
    check.add_argument("--html", type=Path, metavar="DIR",
                       help="also write the HTML feedback page here (DIR/<name>.html)")
    check.add_argument("--fail-under", type=float, metavar="PERCENT",
                       help="exit 1 when the score is below PERCENT of the maximum")

    grade = commands.add_parser(
        "grade", help="grade a submission, or a whole class into a gradebook",
        description="Grades one submission (a folder, .zip, .py or .ipynb) and prints its "
        "feedback, or many (several paths, or a class folder or course export holding one "
        "folder or zip per student) into --out DIR: one result per student, saved as it "
        "is graded, and gradebook.csv. Re-running skips what is already graded.")
    grade.add_argument("submission", type=Path, nargs="+", metavar="SUBMISSION",
                       help="a submission (a folder, a .zip of one, or one .py/.ipynb "
                            "file), or a class folder / course export holding many")
    grade.add_argument("--out", type=Path, metavar="DIR",
                       help="grade as a batch: save each result, gradebook.csv and report.html "
                            "here; a re-run grades only what changed")
    grade.add_argument("--jobs", type=int, metavar="N",
                       help="judge processes for a batch (default: one per core, fewer for "
                            "small batches)")
    grade.add_argument("--shard", metavar="K/N",
                       help="grade the K-th of N shares of the class (needs --seed); "
                            "combine the shards with torchgrade merge")
    grade.add_argument("--json", type=Path, dest="json_path",
                       help="write the result here (one submission)")
    grade.add_argument("--html", type=Path, metavar="DIR",
                       help="write an HTML feedback page per submission here "
                            "(DIR/<name>.html); a batch writes its class report.html in --out")
    grade.add_argument("--assignment",
                       help="the assignment of a single .py/.ipynb file, e.g. 02 or my_linear "
                            "(default: told by the file's name)")
    grade.add_argument("--seed", type=int, help="reproduce a run (default: a fresh seed)")
    grade.add_argument("--solutions", type=Path, metavar="DIR", help=SOLUTIONS_HELP)
    grade.add_argument("--fail-under", type=float, metavar="PERCENT",
                       help="exit 1 when the score is below PERCENT of the maximum")
    grade.add_argument("--details", action="store_true",
                       help="put instructor details (tracebacks) into the JSON")
    grade.add_argument("--device", default="cpu", metavar="DEVICE",
                       help="where scenarios run: cpu (default) or cuda, when present")
    grade.add_argument("--timeout", type=float, metavar="SECONDS",
                       help="time limit of one call into student code (default: 10)")
    _ci_outputs(grade)
    grade.add_argument("--require-isolation", choices=("process", "contained", "jailed"),
                       metavar="LEVEL",
                       help="refuse to grade (exit 2) unless student code runs at least this "
                            "isolated: process, contained or jailed (see SECURITY.md)")

    gradescope = commands.add_parser(
        "gradescope", help="build a Gradescope autograder .zip (setup.sh, run_autograder, "
                           "torchgrade, the grader bundle)",
        description="Builds the .zip to upload as a Gradescope programming assignment's "
        "autograder: setup.sh installs the CPU build of torch and this torchgrade, and "
        "run_autograder grades /autograder/submission into results.json. Needs a torchgrade "
        "checkout (it builds torchgrade's wheel from it).")
    gradescope.add_argument("zip", type=Path, metavar="OUT.zip", help="the .zip to write")
    gradescope.add_argument("--assignment", action="append", dest="assignments",
                            metavar="ASSIGNMENT",
                            help="grade only this assignment; repeat for more (default: all)")
    gradescope.add_argument("--solutions", type=Path, metavar="DIR", help=SOLUTIONS_HELP)
    gradescope.add_argument("--torch", metavar="REQUIREMENT",
                            help="the torch setup.sh installs from the CPU index (default: "
                                 "torch==VERSION of this machine's torch)")

    merge = commands.add_parser("merge", help="combine the --out folders of shards into one "
                                              "gradebook")
    merge.add_argument("folders", type=Path, nargs="+", metavar="DIR",
                       help="--out folders of batches graded with the same --seed")
    merge.add_argument("--out", type=Path, required=True, metavar="DIR",
                       help="where the combined results and gradebook.csv go")

    demo = commands.add_parser("demo", help="grade the bundled examples, print a gradebook")
    demo.add_argument("--seed", type=int,
                      help="reproduce a run (default: a fresh seed, printed at the end)")
    demo.add_argument("--verbose", action="store_true", help="print each example's feedback")

    validate = commands.add_parser(
        "validate", help="pre-flight a release: reference 100, stubs 0, mistakes caught, "
                         "generated files current, no leaks",
        description="Runs every pre-flight check and exits 1 when any failed.")
    validate.add_argument("--solutions", type=Path, metavar="DIR", help=SOLUTIONS_HELP)
    validate.add_argument("--catalogue", type=Path, metavar="DIR",
                          help="mistake catalogue (default: the catalogue/ of the grader "
                               "bundle you are in, else the checkout's tests/catalogue)")
    validate.add_argument("--student", type=Path, metavar="DIR",
                          help="scan this student bundle for leaks (default: build one)")
    validate.add_argument("--seed", type=int, help="reproduce the fresh-seed steps of a run")

    release = commands.add_parser(
        "release", help="generate the stubs, public snapshots, docs and bundles from solutions/",
        description="Regenerates the generated files; give at least one of --stubs, "
        "--snapshots, --docs, --student and --grader.")
    release.add_argument("--stubs", type=Path, metavar="DIR",
                         help="write the stubs, notebooks and per-assignment READMEs here")
    release.add_argument("--snapshots", action="store_true",
                         help="record the public snapshots that `torchgrade check` answers "
                              "from (beside each assignment's checks)")
    release.add_argument("--docs", type=Path, metavar="FILE",
                         help="write the table of checks here (docs/checks.md)")
    release.add_argument("--workflows", type=Path, metavar="DIR",
                         help="write the GitHub Actions workflow that grades a class here "
                              "(docs/github-actions)")
    release.add_argument("--student", type=Path, metavar="DIR",
                         help="write the student bundle here (no solutions inside)")
    release.add_argument("--grader", type=Path, metavar="DIR",
                         help="write the grader bundle here (solutions, checks, grader.json)")
    release.add_argument("--solutions", type=Path, metavar="DIR", help=SOLUTIONS_HELP)
    release.add_argument("--check", action="store_true",
                         help="write nothing; exit 1 when any of them is out of date")
    release.add_argument("--force", action="store_true",
                         help="replace a bundle even where files were edited since it was "
                              "written")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "release" and not (args.stubs or args.snapshots or args.docs
                                          or args.student or args.grader or args.workflows):
        parser.error("release: give at least one of --stubs DIR, --snapshots, --docs FILE, "
                     "--workflows DIR, --student DIR, --grader DIR")
    try:
        with _early_zygote(args.command) as launched:
            return _dispatch(args, launched)
    except _usage_errors() as error:
        print(f"torchgrade: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except Exception:  # noqa: BLE001 - any other failure is the grader's own
        traceback.print_exc()
        print("torchgrade: internal error (the traceback above is for the maintainers)",
              file=sys.stderr)
        return EXIT_INTERNAL


# The commands that grade one batch: their zygote warms up while the judge imports.
_ONE_BATCH = ("check", "grade", "demo")


@contextlib.contextmanager
def _early_zygote(command: str) -> Iterator[ZygoteProcess | None]:
    """Launches the zygote first thing for a grading command; ends it in any case.

    Importing torch and pytest for the judge and warming up the zygote take
    about as long each; launched here, before either import, they overlap.
    """
    if command not in _ONE_BATCH:
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="torchgrade-zygote-") as folder:
        launched = launch.start(workdir=Path(folder))
        try:
            yield launched
        finally:
            launched.close()


def _dispatch(args: argparse.Namespace, launched: ZygoteProcess | None) -> int:
    if args.command == "list":
        return _list()
    if args.command == "check":
        from autograder import check

        return check.main(path=args.path, names=args.assignments, snapshots=args.snapshots,
                          launched=launched, output_format=args.format,
                          junit_xml=args.junit_xml, fail_under=args.fail_under,
                          json_path=args.json_path, html=args.html)
    if args.command == "grade":
        return _grade(args, launched)
    if args.command == "gradescope":
        from autograder.layout import solutions_dir
        from autograder.platforms.gradescope import bundle as gradescope

        return gradescope.main(out=args.zip, solutions=solutions_dir(args.solutions),
                               names=args.assignments or (), torch=args.torch)
    if args.command == "merge":
        from autograder import batch

        return batch.merge(folders=args.folders, out=args.out)
    if args.command == "validate":
        from autograder import validate
        from autograder.layout import grader_bundle, solutions_dir

        return validate.main(solutions=solutions_dir(args.solutions), catalogue=args.catalogue,
                             student=args.student, seed=args.seed,
                             bundle=grader_bundle(Path.cwd()))
    if args.command == "demo":
        from autograder import demo

        return demo.main(seed=args.seed, verbose=args.verbose, launched=launched)
    from autograder import release

    solutions = None
    if args.stubs is not None or args.snapshots or args.student or args.grader:
        from autograder.layout import solutions_dir

        solutions = solutions_dir(args.solutions)
    return release.main(solutions=solutions, stubs=args.stubs, snapshots=args.snapshots,
                        docs=args.docs, check=args.check, student=args.student,
                        grader=args.grader, force=args.force, workflows=args.workflows)


def _grade(args: argparse.Namespace, launched: ZygoteProcess | None) -> int:
    """One submission with its feedback, or a batch (several paths, --out, a class folder)."""
    from autograder import batch, grade

    if args.require_isolation is not None:
        _require_isolation(args.require_isolation, launched)
    paths = args.submission
    many = (len(paths) > 1 or args.out is not None or args.jobs is not None
            or args.shard is not None or batch.is_class(paths[0], assignment=args.assignment))
    if not many:
        return grade.main(submission=paths[0], json_path=args.json_path,
                          assignment=args.assignment, seed=args.seed,
                          solutions=args.solutions, fail_under=args.fail_under,
                          details=args.details, call_seconds=args.timeout,
                          device=args.device, launched=launched, html=args.html,
                          output_format=args.format, junit_xml=args.junit_xml)
    for flag, value in (("--json", args.json_path), ("--fail-under", args.fail_under),
                        ("--junit-xml", args.junit_xml),
                        ("--format", None if args.format == "text" else args.format)):
        if value is not None:
            raise batch.UsageError(f"{flag} is for one submission; a batch saves every result "
                                   "and gradebook.csv in --out DIR")
    if args.jobs is not None and args.jobs < 1:
        raise batch.UsageError("--jobs must be at least 1")
    return batch.main(paths=paths, out=args.out, jobs=args.jobs, shard=args.shard,
                      seed=args.seed, solutions=args.solutions, assignment=args.assignment,
                      details=args.details, call_seconds=args.timeout, device=args.device,
                      launched=launched, html=args.html)


def _ci_outputs(command: argparse.ArgumentParser) -> None:
    """``--format`` and ``--junit-xml``: the result as CI systems show it."""
    command.add_argument("--format", choices=("text", "md"), default="text",
                         help="how the feedback is printed: text (default) or md, a Markdown "
                              "score table and a line per check (for $GITHUB_STEP_SUMMARY)")
    command.add_argument("--junit-xml", type=Path, metavar="FILE",
                         help="also write the result as JUnit XML here, one test case per "
                              "check, for CI test reports")


def _require_isolation(wanted: str, launched: ZygoteProcess | None) -> None:
    """Raises IsolationError unless this machine's sandboxes reach level ``wanted``."""
    from autograder.sandbox import jail

    isolation = launched.isolation if launched is not None and launched.ready() else {}
    if not isolation or not jail.at_least(isolation, wanted):
        got = isolation.get("level", "none: the sandbox did not start")
        missing = [key for key in ("network_disabled", "process_sweep", "private_filesystem",
                                   "bounded_scratch", "separate_user")
                   if not isolation.get(key)]
        raise jail.IsolationError(
            f"--require-isolation {wanted}: student code here would run at level {got} "
            f"(missing: {', '.join(missing) or 'nothing'}). 'jailed' needs Linux, root and "
            "unshare; 'contained' needs Linux user namespaces. Nothing was graded.")


def _list() -> int:
    from autograder.registry import discover

    for assignment in discover():
        print(f"{assignment.name:<22} {assignment.points:>5g} pts  {assignment.filename:<20} "
              f"{assignment.title}")
    return 0


def _usage_errors() -> tuple[type[Exception], ...]:
    from autograder.batch import UsageError
    from autograder.intake.submission import SubmissionError
    from autograder.judge.session import DeviceUnavailable
    from autograder.layout import LayoutError
    from autograder.platforms.gradescope.bundle import GradescopeError
    from autograder.release.leaks import LeakError
    from autograder.release.publish import BundleError
    from autograder.release.snapshots import RecordingError
    from autograder.release.stubs import MarkerError
    from autograder.results.store import StoreError
    from autograder.sandbox.jail import IsolationError

    return (KeyError, LayoutError, SubmissionError, MarkerError, RecordingError,
            FileNotFoundError, DeviceUnavailable, LeakError, BundleError, UsageError,
            StoreError, IsolationError, GradescopeError)


def run() -> None:
    """The ``torchgrade`` command itself: :func:`main`, then :func:`exit_now`.

    The process is the command's own: it starts as :func:`startup.own` says.
    """
    startup.own()
    exit_now(main())


def exit_now(code: int) -> NoReturn:
    """Ends a command that has returned ``code``, without tearing the interpreter down.

    An interpreter that imported torch spends about half a second tearing
    itself down, collecting objects the OS frees at once anyway. By the time a
    command's ``main`` returns, every file it wrote is closed and every
    temporary folder removed; what remains is to run the exit handlers and
    flush the standard streams, and then to leave.
    """
    atexit._run_exitfuncs()  # e.g. multiprocessing's and logging's clean-up
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe, a closed stream
            stream.flush()
    os._exit(code)


if __name__ == "__main__":
    run()
