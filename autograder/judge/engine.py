"""The one grading entry point: :func:`grade`, from submissions to results.

Every command that grades goes through here: ``grade`` (one submission or a
class), ``check``, ``demo``, ``validate``, notebook test cells, and recording
the public snapshots. It takes what intake made of the inputs, including
inputs that could not be opened at all (:class:`Unusable`), which become a
result with status ``error`` instead of an exception out of the batch. With
``jobs`` above 1 the submissions are shared out to a pool of judge processes
(:mod:`autograder.judge.pool`); the reference runs once per batch either way.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from autograder import __version__
from autograder.intake.submission import Submission
from autograder.judge.session import GradingOptions, Observations, grade_batch
from autograder.registry import Assignment
from autograder.results import AssignmentResult, SubmissionResult
from autograder.sandbox.launch import ZygoteProcess


@dataclass(frozen=True)
class Unusable:
    """An input that could not be opened as a submission (a damaged zip, say).

    Attributes:
        label: The name the gradebook shows for it.
        message: What was wrong, in words its author can act on.
    """

    label: str
    message: str


@dataclass(frozen=True)
class Batch:
    """The results of one call to :func:`grade`.

    Attributes:
        results: One per input, in the order given.
        seed: The seed every check derived its inputs from.
        seconds: Wall time of the grading.
    """

    results: tuple[SubmissionResult, ...]
    seed: int
    seconds: float


def grade(submissions: Sequence[Submission | Unusable], *, assignments: Sequence[Assignment],
          options: GradingOptions, jobs: int = 1, observe: Observations | None = None,
          launched: ZygoteProcess | None = None,
          on_result: Callable[[int, SubmissionResult], None] | None = None) -> Batch:
    """Grades every submission on ``assignments``.

    Args:
        submissions: What intake made of the inputs.
        assignments: The assignments to grade (each submission may hold fewer).
        options: How to grade (reference, seed, limits, device).
        jobs: Judge processes to share the submissions out to; 1 grades here.
        observe: Receives the reference's calls and the checks' spreads (one
            process only: release tooling and the audit).
        launched: A zygote the caller launched early; used up (and ended) here (with
            jobs, it runs the reference's pre-pass).
        on_result: Called with (index, result) as soon as each result is known,
            so that a batch can save results as they come.

    Raises:
        InternalError: the grader itself failed (collection, the reference);
            the results handed to ``on_result`` before that stay valid, except
            those whose status says the grader failed on them.
    """
    start = time.monotonic()
    results: dict[int, SubmissionResult] = {}

    def emit(index: int, result: SubmissionResult) -> None:
        results[index] = result
        if on_result is not None:
            on_result(index, result)

    usable = [(i, s) for i, s in enumerate(submissions) if isinstance(s, Submission)]
    for index, item in enumerate(submissions):
        if isinstance(item, Unusable):
            emit(index, unusable_result(item, assignments=assignments, options=options))
    if not usable and launched is not None:
        launched.close()
    elif jobs > 1 and len(usable) > 1:
        if observe is not None:
            raise ValueError("observe needs grading in this process (jobs=1)")
        from autograder.judge import pool

        pool.grade(usable, assignments=assignments, options=options, jobs=jobs, emit=emit,
                   launched=launched)
    elif usable:
        grade_batch([s for _, s in usable], assignments=assignments, options=options,
                    observe=observe, launched=launched,
                    on_result=lambda k, result: emit(usable[k][0], result))
    return Batch(results=tuple(results[i] for i in range(len(submissions))),
                 seed=options.seed, seconds=time.monotonic() - start)


def unusable_result(item: Unusable, *, assignments: Sequence[Assignment],
                    options: GradingOptions) -> SubmissionResult:
    """A row for an input that could not be opened: every assignment at 0, with why."""
    return SubmissionResult(
        submission=item.label, status="error", message=item.message, seed=options.seed,
        version=__version__, device=options.device,
        assignments=tuple(AssignmentResult(name=a.name, status="error", checks=(),
                                           max_score=a.points, message=item.message)
                          for a in assignments))
