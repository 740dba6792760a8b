"""A pool of judge processes that grade a class in parallel.

One judge is one pytest session in one process, and it waits for its
sandboxes while they compute: on a machine with N cores, N judges keep them
busy. :func:`grade` makes this process one of the ``jobs`` judges and starts
the others (``spawn``: fresh interpreters, nothing inherited from this one),
each with a warm zygote of its own that it keeps for the whole batch. Every
judge takes the submissions in small chunks from one queue, so that a slow
submission does not hold up the rest; results come back one submission at a
time, as soon as each is graded, and a thread of this process hands the
other judges' results on while this one grades.

The reference runs once per batch: while the other judges warm up, this
process grades the reference solutions and writes every answer it gave to a
scratch folder, and every judge answers from there
(:class:`~autograder.judge.reference.Prepared`), asking the solutions only for
a call that was not recorded. The zygotes never see those answers or the
seed: judges hold them, sandboxes are forked from zygotes that only ever
imported torch.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import queue
import tempfile
import threading
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from autograder import startup
from autograder.intake.submission import Submission, open_submission
from autograder.judge.reference import Prepared, Solutions
from autograder.judge.session import GradingOptions, InternalError, Observations, grade_batch
from autograder.judge.snapshots import snapshot_files
from autograder.registry import Assignment
from autograder.results import SubmissionResult
from autograder.sandbox.client import Zygote
from autograder.sandbox.launch import ZygoteProcess

_CHUNK_MAX = 8
_POLL_SECONDS = 1.0
_HUGE_PAGES_FROM = 20
"""Submissions a judge expects to grade from which its zygote's huge pages pay off."""

Report = Callable[[tuple[Any, ...]], None]
"""How a judge reports: ("result", index, result), ("internal", reason, detail)."""


def grade(items: Sequence[tuple[int, Submission]], *, assignments: Sequence[Assignment],
          options: GradingOptions, jobs: int, emit: Callable[[int, SubmissionResult], None],
          launched: ZygoteProcess | None = None) -> None:
    """Grades ``items`` (index, submission) in ``jobs`` judges, this process one of them.

    ``launched``, a zygote the command started early, becomes this process's
    (it is ended in any case).

    Raises:
        InternalError: a judge's grader failed, or a judge died; every
            result that was graded has been emitted first.
    """
    if options.perturbation is not None and options.perturbation.environment:
        if launched is not None:
            launched.close()
        raise ValueError("a perturbed sandbox environment cannot be graded in a pool")
    context = multiprocessing.get_context("spawn")
    tasks: Any = context.Queue()
    done: Any = context.Queue()
    many = len(items) >= _HUGE_PAGES_FROM * jobs
    workers = [context.Process(target=_work, args=(tasks, done, options.network, many),
                               daemon=True, name=f"torchgrade-judge-{k}")
               for k in range(1, jobs)]
    for worker in workers:
        worker.start()  # they import torch and warm a zygote while the reference runs
    lock = threading.Lock()
    emitted: set[int] = set()
    failures: list[tuple[str, str]] = []

    def report(message: tuple[Any, ...]) -> None:
        with lock:
            if message[0] == "result":
                emitted.add(message[1])
                emit(message[1], message[2])
            else:
                failures.append((message[1], message[2]))

    with tempfile.TemporaryDirectory(prefix="torchgrade-pool-") as scratch, \
            _own_zygote(Path(scratch), options, launched) as zygote:
        collector = threading.Thread(target=_collect, args=(done, workers, report),
                                     name="torchgrade-results", daemon=True)
        collector.start()
        try:
            try:
                shared = _prepare_reference(options, assignments, Path(scratch), zygote)
                for chunk in _chunks(list(items), jobs):
                    tasks.put(([_plain(i, s) for i, s in chunk], list(assignments), shared))
                if many:
                    zygote.share_huge_pages()
            finally:
                for _ in range(jobs):
                    tasks.put(None)  # one for each judge, this one included
            while (task := tasks.get()) is not None:
                _grade_chunk(*task, zygote=zygote, report=report)
        except BaseException:  # Ctrl-C, say: the other judges stop too
            for worker in workers:
                worker.kill()
            raise
        finally:
            collector.join()
            for worker in workers:
                worker.join(timeout=5)
                if worker.is_alive():
                    worker.kill()
    if len(emitted) < len(items) and not failures:
        failures.append(("a grading worker died before it had graded every submission", ""))
    if failures:
        (reason, detail), more = failures[0], len(failures) - 1
        raise InternalError(reason, detail + (f"\n(and {more} more)" if more else ""))


@contextlib.contextmanager
def _own_zygote(scratch: Path, options: GradingOptions,
                launched: ZygoteProcess | None) -> Iterator[Zygote]:
    """This judge's zygote: the one the command launched early, or a new one.

    Its folder, which sandboxes see (read-only), is not ``scratch``: the
    reference's answers and files go there.
    """
    folder = scratch / "sandboxes"
    folder.mkdir()
    with Zygote(workdir=folder, network=options.network, launched=launched) as zygote:
        yield zygote


def _prepare_reference(options: GradingOptions, assignments: Sequence[Assignment],
                       scratch: Path, zygote: Zygote) -> GradingOptions:
    """Records the reference's answers once; the options the judges grade with."""
    if not isinstance(options.reference, Solutions):
        return options  # snapshots or recorded answers: nothing runs the reference
    solutions = options.reference.path
    observed = Observations()
    reference = open_submission(solutions, assignments=assignments, workdir=scratch / "intake")
    grade_batch([reference], assignments=assignments, options=options, observe=observed,
                zygote=zygote)
    root = scratch / "answers"
    for assignment in assignments:
        for path, data in snapshot_files(assignment, observed.answers.get(assignment.name, {}),
                                         root=root, seed=options.seed):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
    return replace(options, reference=Prepared(root=root, solutions=solutions))


def _chunks(items: list[tuple[int, Submission]], jobs: int
            ) -> list[list[tuple[int, Submission]]]:
    """Big enough that a session pays off, shrinking towards the end of the queue.

    Each chunk is a quarter of one judge's share of what is left (at most
    :data:`_CHUNK_MAX`), so the last chunks hold one submission each and the
    judges finish within about one submission of each other.
    """
    chunks, start = [], 0
    while start < len(items):
        size = max(1, min(_CHUNK_MAX, (len(items) - start) // (jobs * 4)))
        chunks.append(items[start:start + size])
        start += size
    return chunks


def _plain(index: int, submission: Submission) -> tuple[Any, ...]:
    """A submission as plain values, to cross into a worker."""
    return (index, submission.label, submission.root, dict(submission.files),
            dict(submission.notes), [a.name for a in submission.assignments])


def _collect(done: Any, workers: list[Any], report: Report) -> None:
    """Hands on what the other judges say until each has finished, or none is left alive."""
    finished = 0
    while finished < len(workers):
        try:
            message = done.get(timeout=_POLL_SECONDS)
        except queue.Empty:
            if not any(worker.is_alive() for worker in workers):
                return  # one died: what it had not graded is missing, and grade() says so
            continue
        if message[0] == "finished":
            finished += 1
        else:
            report(message)


def _work(tasks: Any, done: Any, network: bool, many: bool) -> None:
    """Another judge: one zygote for its life, one grading session per chunk.

    Ends with ``os._exit``: once its zygote is closed, its folder removed and
    its last message flushed, tearing down an interpreter that imported
    torch (about half a second) would only keep the batch waiting.
    """
    from autograder.sandbox.launch import die_with_parent

    die_with_parent()
    startup.own()
    try:
        with tempfile.TemporaryDirectory(prefix="torchgrade-judge-") as scratch, \
                Zygote(workdir=Path(scratch), network=network) as zygote:
            if many:
                zygote.share_huge_pages()
            while (task := tasks.get()) is not None:
                _grade_chunk(*task, zygote=zygote, report=done.put)
    except Exception as error:  # noqa: BLE001 - e.g. a zygote that would not start
        done.put(("internal", f"a grading worker failed: {type(error).__name__}: {error}",
                  traceback.format_exc()))
    finally:
        done.put(("finished",))
        done.close()
        done.join_thread()
        os._exit(0)


def _grade_chunk(chunk: list[tuple[Any, ...]], assignments: list[Assignment],
                 options: GradingOptions, *, zygote: Zygote, report: Report) -> None:
    by_name = {a.name: a for a in assignments}
    submissions = [Submission(label=label, root=root, files=files, notes=notes,
                              assignments=tuple(by_name[n] for n in names))
                   for _, label, root, files, notes, names in chunk]
    try:
        grade_batch(submissions, assignments=assignments, options=options, zygote=zygote,
                    on_result=lambda k, result: report(("result", chunk[k][0], result)))
    except InternalError as error:
        report(("internal", error.reason, error.detail))
    except Exception as error:  # noqa: BLE001 - the judge's own failure, for the report
        report(("internal", f"{type(error).__name__}: {error}", traceback.format_exc()))
