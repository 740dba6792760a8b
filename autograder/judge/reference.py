"""Where expected values come from: the reference solutions, or recorded answers.

``torchgrade grade`` runs the reference solution in a sandbox of its own on
freshly seeded inputs (:class:`Solutions`). ``torchgrade check`` runs on a
student's machine, where no solution exists: it uses the public seed, whose
reference answers the release recorded as snapshots (:class:`Snapshots`).
The conditioning audit compares a perturbed reference with answers recorded
moments earlier in the same process (:class:`Recorded`). All sources answer
the same question — "what does the reference return for this scenario on
these inputs?" — so the checks never know which one they talk to.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from autograder.judge.snapshots import (
    RECORD_COMMAND,
    Answers,
    SnapshotError,
    SnapshotStore,
    input_difference,
)
from autograder.registry import Assignment
from autograder.sandbox.client import Budget, Limits, Sandbox, Zygote
from autograder.sandbox.errors import SandboxFailure


class GraderError(Exception):
    """The reference or the grader itself failed: not the student's fault."""


@dataclass(frozen=True)
class Solutions:
    """Expected values from running the reference solutions.

    Attributes:
        path: The ``solutions/`` folder (``<name>/<module>.py`` beneath it).
    """

    path: Path


@dataclass(frozen=True)
class Snapshots:
    """Expected values from the snapshots recorded for the public seed.

    Attributes:
        root: Folder with ``<name>/snapshots.json`` (and ``.safetensors``)
            per assignment; None means the ones shipped beside each
            assignment's checks.
    """

    root: Path | None = None


@dataclass(frozen=True)
class Recorded:
    """Expected values from reference calls recorded earlier in this process.

    Attributes:
        answers: What an earlier batch recorded (see
            :class:`~autograder.judge.session.Observations`).
        seed: The seed they were recorded with.
    """

    answers: Answers
    seed: int


@dataclass(frozen=True)
class Prepared:
    """The reference's answers recorded ahead of a batch, with the solutions behind them.

    Workers of a pool (:mod:`autograder.judge.pool`) answer from what one
    pre-pass recorded, so the reference runs once per batch; a call it did not
    record (a check that asks the reference something only some students
    make it ask) goes to the solutions.

    Attributes:
        root: Folder of recorded answers (``<name>/snapshots.json`` per assignment).
        solutions: The reference solutions.
    """

    root: Path
    solutions: Path


ReferenceSource = Solutions | Snapshots | Recorded | Prepared
"""The typed choice of :class:`~autograder.judge.session.GradingOptions`."""


class Reference(Protocol):
    """What a :class:`~autograder.judge.runtime.Runtime` asks for expected values."""

    def answer(self, assignment: Assignment, scenario: Callable[..., Any],
               args: dict[str, Any], position: str) -> Any:
        """The reference's result of ``scenario(**args)``, asked for at ``position``
        (see :func:`~autograder.judge.snapshots.position`)."""

    def close(self) -> None:
        """Releases whatever the source holds (sandboxes)."""


def open_reference(source: ReferenceSource, *, zygote: Zygote, limits: Limits) -> Reference:
    """Builds the reference that answers from ``source``."""
    if isinstance(source, Solutions):
        return SolutionReference(zygote=zygote, solutions=source.path, limits=limits)
    if isinstance(source, Recorded):
        return SnapshotReference(load=lambda assignment: SnapshotStore.in_memory(
            assignment, source.answers.get(assignment.name, {}), seed=source.seed))
    if isinstance(source, Prepared):
        return SnapshotReference(
            load=lambda assignment: SnapshotStore.load(assignment, root=source.root),
            fallback=SolutionReference(zygote=zygote, solutions=source.solutions,
                                       limits=limits))
    return SnapshotReference(load=lambda assignment: SnapshotStore.load(assignment,
                                                                        root=source.root))


class SolutionReference:
    """Runs the reference solution of each assignment in a sandbox of its own."""

    def __init__(self, *, zygote: Zygote, solutions: Path, limits: Limits) -> None:
        self._zygote, self._limits = zygote, limits
        self._solutions = Path(solutions).resolve()  # sandboxes run in scratch folders
        self._sandboxes: dict[str, Sandbox] = {}

    def answer(self, assignment: Assignment, scenario: Callable[..., Any],
               args: dict[str, Any], position: str) -> Any:
        try:
            return self._sandbox(assignment).run(scenario, **args)
        except SandboxFailure as failure:
            raise GraderError(f"the reference solution of {assignment.name} failed in "
                              f"{scenario.__name__}: {failure.feedback}\n{failure.detail}"
                              ) from failure

    def _sandbox(self, assignment: Assignment) -> Sandbox:
        sandbox = self._sandboxes.get(assignment.name)
        if sandbox is None or not sandbox.alive:
            path = self._solutions / assignment.name / assignment.filename
            if not path.is_file():
                raise GraderError(f"no reference solution at {path}")
            sandbox = self._zygote.sandbox(
                path=path, module=assignment.module, limits=self._limits,
                budget=Budget(math.inf), label=f"reference {assignment.filename}")
            self._sandboxes[assignment.name] = sandbox
        return sandbox

    def close(self) -> None:
        for sandbox in self._sandboxes.values():
            sandbox.discard()
        self._sandboxes.clear()


class SnapshotReference:
    """Answers from recorded calls, found by position, on inputs that match the recorded ones.

    The recorded inputs must match the ones the check built here to within
    rounding (:func:`~autograder.judge.snapshots.input_difference`): the
    checks are proven to hold there, and anything further means the
    snapshots belong to other checks or inputs.
    """

    def __init__(self, *, load: Callable[[Assignment], SnapshotStore],
                 fallback: Reference | None = None) -> None:
        """``fallback`` answers what the store lacks; without one that is an error."""
        self._load, self._fallback = load, fallback
        self._stores: dict[str, SnapshotStore] = {}

    def answer(self, assignment: Assignment, scenario: Callable[..., Any],
               args: dict[str, Any], position: str) -> Any:
        try:
            store = self._stores.get(assignment.name)
            if store is None:
                store = self._stores[assignment.name] = self._load(assignment)
            recorded = store.get(position)
        except SnapshotError as error:
            raise GraderError(str(error)) from error
        problem = ("it has no answer for it" if recorded is None
                   else input_difference(recorded.inputs, args))
        if (problem or recorded is None) and self._fallback is not None:
            return self._fallback.answer(assignment, scenario, args, position)
        if problem or recorded is None:
            raise GraderError(
                f"the public snapshots of {assignment.name} ({store.path}) are stale for "
                f"{position} ({problem}): the checks or their inputs changed since they "
                f"were recorded. Re-record them with `{RECORD_COMMAND}`.")
        return recorded.answer

    def close(self) -> None:
        self._stores.clear()
        if self._fallback is not None:
            self._fallback.close()
