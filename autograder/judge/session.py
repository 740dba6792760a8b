"""One grading session: many submissions, one pytest run, one result each.

:func:`grade_batch` is one session of :func:`autograder.judge.engine.grade`,
the entry point every command uses: it resolves each submission's files into
targets, starts the warm zygote (or uses a worker's), runs the checks of the
selected assignments once over all targets (pytest, in this process: the
judge), and hands on each submission's result as soon as it is complete.
Student code only ever runs in sandboxes forked from the zygote.
"""

from __future__ import annotations

import contextlib
import functools
import io
import os
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import torch

from autograder import __version__, startup
from autograder.intake.notebook import NotebookError, notebook_to_source
from autograder.intake.submission import Submission
from autograder.judge.compare import Spread
from autograder.judge.declare import CheckSpec
from autograder.judge.plugin import GradingPlugin, Outcome
from autograder.judge.reference import ReferenceSource, Solutions, open_reference
from autograder.judge.runtime import Runtime, Target
from autograder.judge.snapshots import Answers
from autograder.registry import Assignment
from autograder.results import AssignmentResult, CheckResult, SubmissionResult
from autograder.sandbox.client import Limits, Zygote
from autograder.sandbox.launch import ZygoteProcess
from autograder.sandbox.perturb import Perturbation


class DeviceUnavailable(Exception):
    """The device asked for cannot run checks on this machine (a usage error)."""


def grading_device(name: str) -> str:
    """Validates the device checks run on: ``cpu``, or ``cuda``/``cuda:N`` when present.

    Device-handling checks use stand-ins that carry values on any machine
    (:mod:`autograder.sandbox.standin`); this device is where every other
    scenario runs, so grading on ``cuda`` also shows that the code really
    works on an accelerator.

    Raises:
        DeviceUnavailable: an unknown device, or CUDA asked for but absent.
    """
    try:
        device = torch.device(name)
    except (RuntimeError, ValueError) as error:
        raise DeviceUnavailable(f"unknown device {name!r}; use 'cpu' or 'cuda'") from error
    if device.type not in ("cpu", "cuda"):
        raise DeviceUnavailable(f"checks run on 'cpu' or 'cuda', not {name!r}")
    if device.type == "cuda" and not torch.cuda.is_available():
        raise DeviceUnavailable("--device cuda: this machine has no usable CUDA device "
                                "(torch.cuda.is_available() is False)")
    if device.type == "cuda" and (device.index or 0) >= torch.cuda.device_count():
        raise DeviceUnavailable(f"--device {name}: this machine has "
                                f"{torch.cuda.device_count()} CUDA device(s)")
    return str(device)


class InternalError(Exception):
    """The grader itself failed (exit code 3).

    Attributes:
        reason: One line for the user (e.g. stale snapshots and how to fix them).
        detail: The traceback or log, for maintainers; ``str()`` gives both.
    """

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}\n{detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class GradingOptions:
    """How a batch is graded.

    Attributes:
        reference: Where expected values come from: ``Solutions(path)`` runs the
            reference solutions (``grade``, any seed); ``Snapshots()`` answers
            from the snapshots recorded for the public seed (``check``).
        seed: The run's seed; every check derives its inputs from it.
        limits: Per-sandbox resource limits.
        submission_seconds: Wall-time budget of one submission, all calls together.
        network: Leave the network on in sandboxes (off where the OS allows).
        device: Where the scenarios run (``cpu``, or ``cuda`` when present; see
            :func:`grading_device`). Recorded in every result.
        perturbation: Runs every submission's scenarios perturbed as another
            machine would (the conditioning audit grades the reference so);
            the reference's answers are never perturbed.
    """

    reference: ReferenceSource
    seed: int
    limits: Limits = field(default_factory=Limits)
    submission_seconds: float = 300.0
    network: bool = False
    device: str = "cpu"
    perturbation: Perturbation | None = None


@dataclass
class Observations:
    """What a batch can report besides its results, for release tooling and the audit.

    Attributes:
        answers: Every reference call of the batch, by assignment and position:
            what public snapshots record.
        spreads: (submission index, check id) -> the comparison of that check
            that came closest to its tolerance.
    """

    answers: Answers = field(default_factory=dict)
    spreads: dict[tuple[int, str], Spread] = field(default_factory=dict)


def grade_batch(submissions: Sequence[Submission], *, assignments: Sequence[Assignment],
                options: GradingOptions, observe: Observations | None = None,
                launched: ZygoteProcess | None = None, zygote: Zygote | None = None,
                on_result: Callable[[int, SubmissionResult], None] | None = None
                ) -> list[SubmissionResult]:
    """Grades every submission on ``assignments`` in one pytest session; one result each.

    Callers use :func:`autograder.judge.grade`, which also takes unusable
    inputs and many jobs; this is one session of it.

    Args:
        submissions: What to grade.
        assignments: Which assignments to grade them on.
        options: How to grade.
        observe: When given, receives the reference's calls and each check's
            closest comparison (see :class:`Observations`).
        launched: A zygote the caller launched early (see
            :mod:`autograder.sandbox.launch`); this batch uses it up and ends
            it. None launches one now.
        zygote: A running zygote the caller owns and keeps after the batch
            (a worker that grades batch after batch).
        on_result: Called with (index, result) as soon as a submission's last
            check is done, so that results can be saved as they come.

    Raises:
        InternalError: the checks could not be collected or the reference
            failed; grading results would not be trustworthy.
    """
    startup.settle()
    with tempfile.TemporaryDirectory(prefix="torchgrade-") as scratch:
        work = Path(scratch)
        targets = [_target(i, s, a, work) for i, s in enumerate(submissions)
                   for a in assignments if not s.assignments or a in s.assignments]
        graded = [a for a in assignments if any(t.assignment == a for t in targets)]
        if not graded:
            if launched is not None:
                launched.close()
            results = [SubmissionResult(submission=s.label, assignments=(), seed=options.seed,
                                        version=__version__) for s in submissions]
            for index, result in enumerate(results):
                if on_result is not None:
                    on_result(index, result)
            return results
        environment = dict(options.perturbation.environment) if options.perturbation else {}
        if environment and isinstance(options.reference, Solutions):
            raise ValueError("a perturbation of the sandbox environment would perturb the "
                             "reference too: grade against a Recorded or Snapshots reference")
        if environment and (launched is not None or zygote is not None):
            raise ValueError("a perturbation of the sandbox environment needs a zygote "
                             "started its way: pass neither launched nor zygote")
        with contextlib.ExitStack() as stack:
            if zygote is None:
                (work / "sandboxes").mkdir()  # submissions' notebooks stay out of view
                zygote = stack.enter_context(Zygote(
                    workdir=work / "sandboxes", network=options.network, launched=launched,
                    environment=environment))
            session = _Session(submissions, targets, options, zygote, on_result)
            runtime = Runtime(zygote=zygote, reference=open_reference(
                options.reference, zygote=zygote, limits=options.limits), seed=options.seed,
                limits=options.limits,
                recorded=observe.answers if observe is not None else None,
                submission_seconds=options.submission_seconds,
                device=options.device, perturbation=options.perturbation)
            plugin = GradingPlugin(runtime=runtime, targets=targets, assignments=graded)
            session.plugin = plugin
            plugin.on_released = session.released
            try:
                _run_pytest(plugin, graded, work)
            finally:
                runtime.close()
        if observe is not None:
            observe.spreads.update({(target_key[0], check): spread for (target_key, check),
                                    spread in plugin.spreads.items()})
        results = [session.result(i) for i in range(len(submissions))]
        if runtime.internal_errors:
            (reason, detail), more = runtime.internal_errors[0], len(runtime.internal_errors) - 1
            raise InternalError(reason, detail + (f"\n(and {more} more internal errors)"
                                                  if more else ""))
        return results


class _Session:
    """Assembles each submission's result, and hands it on the moment it is complete."""

    def __init__(self, submissions: Sequence[Submission], targets: Sequence[Target],
                 options: GradingOptions, zygote: Zygote,
                 on_result: Callable[[int, SubmissionResult], None] | None) -> None:
        self.submissions, self.targets, self.options = submissions, targets, options
        self.on_result = on_result
        self.plugin: GradingPlugin | None = None
        self.zygote = zygote
        self._left = Counter(t.submission for t in targets)
        self._results: dict[int, SubmissionResult] = {}
        for index in range(len(submissions)):
            if not self._left[index]:  # no assignment of it is graded in this batch
                self._emit(index)

    @functools.cached_property
    def isolation(self) -> dict[str, object]:
        """What the zygote could set up; asked only once a result needs it, so that
        pytest collects the checks while the zygote is still warming up."""
        isolation = dict(self.zygote.isolation)
        if self.options.limits.memory_bytes is None:
            isolation["memory_cap"] = False
        return isolation

    def released(self, target: Target) -> None:
        self._left[target.submission] -= 1
        if not self._left[target.submission]:
            self._emit(target.submission)

    def result(self, index: int) -> SubmissionResult:
        if index not in self._results:
            self._emit(index)  # a submission whose checks never ran (pytest stopped)
        return self._results[index]

    def _emit(self, index: int) -> None:
        assert self.plugin is not None or not self._left[index]
        result = _submission_result(index, self.submissions[index], self.plugin, self.targets,
                                    self.isolation, self.options)
        self._results[index] = result
        if self.on_result is not None:
            self.on_result(index, result)


def _target(index: int, submission: Submission, assignment: Assignment, work: Path) -> Target:
    path = submission.files.get(assignment.name)
    if path is None:
        found = submission.notes.get(assignment.name, "")  # e.g. a link that was ignored
        return Target(index, assignment, None, assignment.filename,
                      problem=f"No {assignment.filename} (or {assignment.notebook_filename}) "
                              "was found in the submission; this assignment scores 0."
                              + (f" {found}" if found else ""),
                      problem_status="missing")
    if path.suffix != ".ipynb":
        return Target(index, assignment, path, path.name)
    try:
        source = notebook_to_source(path)
    except NotebookError as error:
        return Target(index, assignment, None, path.name, problem=str(error),
                      problem_status="error")
    converted = work / "notebooks" / str(index) / assignment.filename
    converted.parent.mkdir(parents=True, exist_ok=True)
    converted.write_text(source)
    return Target(index, assignment, converted, path.name)


def _run_pytest(plugin: GradingPlugin, assignments: Sequence[Assignment], work: Path) -> None:
    ini = work / "pytest.ini"
    ini.write_text("[pytest]\n")
    package = Path(__file__).resolve().parents[1]
    args = [str(a.checks_path) for a in assignments] + [
        "-c", str(ini), "--rootdir", str(package.parent), "--confcutdir", str(package),
        "-p", "no:cacheprovider", "-p", "no:randomly", "-p", "no:logging", "-p", "no:warnings",
        "-p", "no:unraisableexception", "-p", "no:threadexception", "-p", "no:faulthandler",
        "-p", "no:doctest", "-p", "no:junitxml", "-p", "no:pastebin", "-q", "--no-header",
        "--disable-warnings", "-o", "console_output_style=classic", "--tb=no",
    ]
    log = io.StringIO()
    with redirect_stdout(log), _without_installed_plugins():
        code = pytest.main(args, plugins=[plugin])
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        raise InternalError(f"the checks could not run (pytest exit {int(code)})",
                            log.getvalue())


@contextlib.contextmanager
def _without_installed_plugins() -> Iterator[None]:
    """No pytest plugin that happens to be installed joins a grading session.

    A coverage, reordering or timeout plugin would change how checks run (and
    scanning for them costs each session a few milliseconds); the session's
    own plugin and pytest's built-in ones are all it needs.
    """
    name = "PYTEST_DISABLE_PLUGIN_AUTOLOAD"
    before = os.environ.get(name)
    os.environ[name] = "1"
    try:
        yield
    finally:
        if before is None:
            del os.environ[name]
        else:
            os.environ[name] = before


def _submission_result(index: int, submission: Submission, plugin: GradingPlugin | None,
                       targets: Sequence[Target], isolation: dict[str, object],
                       options: GradingOptions) -> SubmissionResult:
    assignments = []
    for target in (t for t in targets if t.submission == index):
        assert plugin is not None
        name = target.assignment.name
        checks = tuple(_check_result(spec, plugin.outcomes.get((target.key, spec.id)))
                       for spec in plugin.specs[name])
        load_failure = plugin.runtime.load_failures.get(target.key)
        if target.problem:
            status, message = target.problem_status, target.problem
        elif load_failure is not None:
            status, message = "error", load_failure.feedback
        else:
            status, message = "graded", submission.notes.get(name, "")
        detail = load_failure.detail if load_failure is not None else ""
        assignments.append(AssignmentResult(
            name=name, status=status, checks=checks, max_score=target.assignment.points,
            message=message, detail=detail))
    failed = plugin is not None and any(t.key in plugin.internal for t in targets
                                        if t.submission == index)
    return SubmissionResult(
        submission=submission.label, assignments=tuple(assignments), seed=options.seed,
        isolation=dict(isolation), version=__version__, device=options.device,
        status="error" if failed else "graded",
        message="The grader itself failed while grading this submission, so its score is "
                "not final; this is not your fault." if failed else "")


_FEEDBACK_CHARS = 2000
"""Feedback quotes what student code returned, which may be huge; no one reads past this."""


def _check_result(spec: CheckSpec, outcome: Outcome | None) -> CheckResult:
    outcome = outcome or Outcome("error", "This check did not run.")
    feedback = outcome.feedback
    if len(feedback) > _FEEDBACK_CHARS:
        feedback = feedback[:_FEEDBACK_CHARS - 30] + " [... feedback cut short]"
    return CheckResult(
        id=spec.id, name=spec.name, max_points=spec.points,
        points=spec.points if outcome.status == "passed" else 0.0,
        status=outcome.status, visibility=spec.visibility, feedback=feedback,
        detail=outcome.detail, data=outcome.data)


