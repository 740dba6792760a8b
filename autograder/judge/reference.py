"""Where expected values come from: the reference solutions, or recorded snapshots.

``torchgrade grade`` runs the reference solution in a sandbox of its own on
freshly seeded inputs (:class:`Solutions`). ``torchgrade check`` runs on a
student's machine, where no solution exists: it uses the public seed, whose
reference answers the release recorded as snapshots (:class:`Snapshots`).
Both sources answer the same question — "what does the reference return for
this scenario on these inputs?" — so the checks never know which one they
talk to.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from autograder.judge.snapshots import RECORD_COMMAND, SnapshotError, SnapshotStore
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


ReferenceSource = Solutions | Snapshots
"""The typed choice of :class:`~autograder.judge.session.GradingOptions`."""


class Reference(Protocol):
    """What a :class:`~autograder.judge.runtime.Runtime` asks for expected values."""

    def answer(self, assignment: Assignment, scenario: Callable[..., Any],
               args: dict[str, Any], key: str) -> Any:
        """The reference's result of ``scenario(**args)``; ``key`` is its memo key."""

    def close(self) -> None:
        """Releases whatever the source holds (sandboxes)."""


def open_reference(source: ReferenceSource, *, zygote: Zygote, limits: Limits) -> Reference:
    """Builds the reference that answers from ``source``."""
    if isinstance(source, Solutions):
        return SolutionReference(zygote=zygote, solutions=source.path, limits=limits)
    return SnapshotReference(root=source.root)


class SolutionReference:
    """Runs the reference solution of each assignment in a sandbox of its own."""

    def __init__(self, *, zygote: Zygote, solutions: Path, limits: Limits) -> None:
        self._zygote, self._limits = zygote, limits
        self._solutions = Path(solutions).resolve()  # sandboxes run in scratch folders
        self._sandboxes: dict[str, Sandbox] = {}

    def answer(self, assignment: Assignment, scenario: Callable[..., Any],
               args: dict[str, Any], key: str) -> Any:
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
    """Answers from recorded snapshots, loaded once per assignment and decoded strictly."""

    def __init__(self, *, root: Path | None) -> None:
        self._root = root
        self._stores: dict[str, SnapshotStore] = {}

    def answer(self, assignment: Assignment, scenario: Callable[..., Any],
               args: dict[str, Any], key: str) -> Any:
        try:
            store = self._stores.get(assignment.name)
            if store is None:
                store = SnapshotStore.load(assignment, root=self._root)
                self._stores[assignment.name] = store
            found, value = store.get(key)
        except SnapshotError as error:
            raise GraderError(str(error)) from error
        if not found:
            raise GraderError(
                f"the public snapshots of {assignment.name} ({store.path}) have no answer for "
                f"{scenario.__module__}.{scenario.__qualname__} with these inputs: they are "
                f"stale (the checks or their inputs changed since they were recorded). "
                f"Re-record them with `{RECORD_COMMAND}`.")
        return value

    def close(self) -> None:
        self._stores.clear()
