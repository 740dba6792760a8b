"""A pool of judge processes that grade a class in parallel.

One judge is one pytest session in one process, and it waits for its
sandboxes while they compute: on a machine with N cores, N judges keep them
busy. :func:`grade` starts ``jobs`` worker processes (``spawn``: fresh
interpreters, nothing inherited from this one), each with a warm zygote of
its own that it keeps for the whole batch, and hands them the submissions in
small chunks from a queue, so that a slow submission does not hold up the
rest. Results come back one submission at a time, as soon as each is graded.

The reference runs once per batch: while the workers warm up, this process
grades the reference solutions and writes every answer it gave to a scratch
folder, and the workers answer from there (:class:`~autograder.judge.reference.Prepared`),
asking the solutions only for a call that was not recorded. The zygotes
never see those answers or the seed: workers hold them, sandboxes are forked
from zygotes that only ever imported torch.
"""

from __future__ import annotations

import multiprocessing
import queue
import tempfile
import traceback
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from autograder.intake.submission import Submission, open_submission
from autograder.judge.reference import Prepared, Solutions
from autograder.judge.session import GradingOptions, InternalError, Observations, grade_batch
from autograder.judge.snapshots import snapshot_files
from autograder.registry import Assignment
from autograder.results import SubmissionResult
from autograder.sandbox.launch import ZygoteProcess

_CHUNK_MAX = 8
_POLL_SECONDS = 1.0


def grade(items: Sequence[tuple[int, Submission]], *, assignments: Sequence[Assignment],
          options: GradingOptions, jobs: int, emit: Callable[[int, SubmissionResult], None],
          launched: ZygoteProcess | None = None) -> None:
    """Grades ``items`` (index, submission) in ``jobs`` worker processes.

    ``launched``, a zygote the command started early, runs the reference's
    pre-pass here (it is ended in any case).

    Raises:
        InternalError: a worker's grader failed, or a worker died; every
            result that was graded has been emitted first.
    """
    if options.perturbation is not None and options.perturbation.environment:
        if launched is not None:
            launched.close()
        raise ValueError("a perturbed sandbox environment cannot be graded in a pool")
    context = multiprocessing.get_context("spawn")
    tasks: Any = context.Queue()
    done: Any = context.Queue()
    workers = [context.Process(target=_work, args=(tasks, done), daemon=True,
                               name=f"torchgrade-judge-{k}") for k in range(jobs)]
    for worker in workers:
        worker.start()  # they import torch and warm a zygote while the reference runs
    with tempfile.TemporaryDirectory(prefix="torchgrade-pool-") as scratch:
        try:
            shared = _prepare_reference(options, assignments, Path(scratch), launched)
            launched = None  # used up
            for chunk in _chunks(list(items), jobs):
                tasks.put(([_plain(i, s) for i, s in chunk], list(assignments), shared))
            for _ in workers:
                tasks.put(None)
            _collect(len(items), done, workers, emit)
        finally:
            if launched is not None:
                launched.close()
            for worker in workers:
                worker.join(timeout=5)
                if worker.is_alive():
                    worker.kill()


def _prepare_reference(options: GradingOptions, assignments: Sequence[Assignment],
                       scratch: Path, launched: ZygoteProcess | None) -> GradingOptions:
    """Records the reference's answers once; the options the workers grade with."""
    if not isinstance(options.reference, Solutions):
        if launched is not None:
            launched.close()
        return options  # snapshots or recorded answers: nothing runs the reference
    solutions = options.reference.path
    observed = Observations()
    reference = open_submission(solutions, assignments=assignments, workdir=scratch / "intake")
    grade_batch([reference], assignments=assignments, options=options, observe=observed,
                launched=launched)
    root = scratch / "answers"
    for assignment in assignments:
        for path, data in snapshot_files(assignment, observed.answers.get(assignment.name, {}),
                                         root=root, seed=options.seed):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
    return replace(options, reference=Prepared(root=root, solutions=solutions))


def _chunks(items: list[tuple[int, Submission]], jobs: int
            ) -> list[list[tuple[int, Submission]]]:
    """Small enough that the workers finish together, big enough that a session pays off."""
    size = max(1, min(_CHUNK_MAX, len(items) // (jobs * 4)))
    return [items[k:k + size] for k in range(0, len(items), size)]


def _plain(index: int, submission: Submission) -> tuple[Any, ...]:
    """A submission as plain values, to cross into a worker."""
    return (index, submission.label, submission.root, dict(submission.files),
            dict(submission.notes), [a.name for a in submission.assignments])


def _collect(expected: int, done: Any, workers: list[Any],
             emit: Callable[[int, SubmissionResult], None]) -> None:
    received, failures = 0, []
    while received < expected:
        try:
            message = done.get(timeout=_POLL_SECONDS)
        except queue.Empty:
            if not any(worker.is_alive() for worker in workers):
                failures.append(("a grading worker died before it had graded every "
                                 "submission", ""))
                break
            continue
        if message[0] == "result":
            emit(message[1], message[2])
            received += 1
        else:
            failures.append((message[1], message[2]))
    while True:  # what a worker said after the last result
        try:
            message = done.get(timeout=0.1)
        except queue.Empty:
            break
        if message[0] != "result":
            failures.append((message[1], message[2]))
    if failures:
        (reason, detail), more = failures[0], len(failures) - 1
        raise InternalError(reason, detail + (f"\n(and {more} more)" if more else ""))


def _work(tasks: Any, done: Any) -> None:
    """A worker: one zygote for its life, one grading session per chunk."""
    from autograder.sandbox.client import Zygote
    from autograder.sandbox.launch import die_with_parent

    die_with_parent()
    with tempfile.TemporaryDirectory(prefix="torchgrade-judge-") as scratch:
        zygote: Zygote | None = None
        try:
            while (task := tasks.get()) is not None:
                chunk, assignments, options = task
                if zygote is None:
                    zygote = Zygote(workdir=Path(scratch), network=options.network)
                _grade_chunk(chunk, assignments, options, zygote, done)
        finally:
            if zygote is not None:
                zygote.close()


def _grade_chunk(chunk: list[tuple[Any, ...]], assignments: list[Assignment],
                 options: GradingOptions, zygote: Any, done: Any) -> None:
    by_name = {a.name: a for a in assignments}
    submissions = [Submission(label=label, root=root, files=files, notes=notes,
                              assignments=tuple(by_name[n] for n in names))
                   for _, label, root, files, notes, names in chunk]
    try:
        grade_batch(submissions, assignments=assignments, options=options, zygote=zygote,
                    on_result=lambda k, result: done.put(("result", chunk[k][0], result)))
    except InternalError as error:
        done.put(("internal", error.reason, error.detail))
    except Exception as error:  # noqa: BLE001 - the worker's own failure, for the report
        done.put(("internal", f"{type(error).__name__}: {error}", traceback.format_exc()))
