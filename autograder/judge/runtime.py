"""What checks talk to: the student's sandbox and the reference, per assignment.

A :class:`Runtime` lives for one grading session (one batch). It forks one
sandbox per (submission, assignment) from the warm zygote, lazily, reuses it
for all of that assignment's checks, and forks a fresh one when a call killed
it. Expected values come from a :class:`~autograder.judge.reference.Reference`
(the solution in a sandbox of its own, or the recorded snapshots), and its
answers are memoised by scenario and inputs: every submission of a batch sees
the same inputs, so the reference runs once per check, not once per student.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import torch

from autograder.judge.compare import Answer
from autograder.judge.reference import Reference
from autograder.judge.snapshots import Answers, Recording, position
from autograder.registry import Assignment
from autograder.sandbox.client import Budget, Limits, Sandbox, Zygote
from autograder.sandbox.errors import SandboxFailure
from autograder.sandbox.perturb import Perturbation, perturbed
from autograder.sandbox.protocol import encode_value


@dataclass(frozen=True)
class Target:
    """One assignment of one submission.

    Attributes:
        submission: Index of the submission in the batch.
        assignment: What is graded.
        path: The Python file to load (a notebook is converted first), or None.
        filename: The name the student knows the file by.
        problem: Why the file cannot be graded (missing, unreadable notebook).
        problem_status: ``missing`` or ``error``.
    """

    submission: int
    assignment: Assignment
    path: Path | None
    filename: str
    problem: str = ""
    problem_status: str = ""

    @property
    def key(self) -> tuple[int, str]:
        return (self.submission, self.assignment.name)


class AssignmentUnavailable(Exception):
    """The student's file for this assignment is missing or could not be loaded."""

    def __init__(self, status: str, feedback: str) -> None:
        super().__init__(feedback)
        self.status = status
        self.feedback = feedback


def check_seed(run_seed: int, check_id: str) -> int:
    """The seed of one check in one run: fresh per run, equal for all submissions."""
    digest = hashlib.sha256(f"{run_seed}:{check_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big")


@dataclass
class Runtime:
    """Sandboxes and references for one grading session.

    Attributes:
        zygote: Forks the student sandboxes.
        reference: Where expected values come from.
        seed: The run's seed.
        device: Where scenarios run (the ``device`` fixture of every check).
        recorded: When given, receives every reference call of the session by
            assignment name, then position: what snapshots record.
        perturbation: Applied around every scenario a submission runs (the
            conditioning audit); never to the reference.
    """

    zygote: Zygote
    reference: Reference
    seed: int
    limits: Limits = field(default_factory=Limits)
    submission_seconds: float = 300.0
    device: str = "cpu"
    load_failures: dict[tuple[int, str], SandboxFailure] = field(default_factory=dict)
    internal_errors: list[tuple[str, str]] = field(default_factory=list)
    _sandboxes: dict[tuple[int, str], Sandbox] = field(default_factory=dict)
    _timed_out: set[tuple[int, str]] = field(default_factory=set)
    _budgets: dict[int, Budget] = field(default_factory=dict)
    recorded: Answers | None = None
    perturbation: Perturbation | None = None
    _memo: dict[str, Any] = field(default_factory=dict)

    def student_run(self, target: Target, scenario: Callable[..., Any], args: dict[str, Any]
                    ) -> Any:
        sandbox = self._student_sandbox(target)
        try:
            if self.perturbation is None:
                return sandbox.run(scenario, **args)
            return sandbox.run(perturbed, scenario=f"{scenario.__module__}:{scenario.__name__}",
                               args=args, **self.perturbation.arguments())
        except SandboxFailure as failure:
            if failure.status == "timeout":
                self._timed_out.add(target.key)
            raise

    def _student_sandbox(self, target: Target) -> Sandbox:
        if target.problem or target.path is None:
            raise AssignmentUnavailable(target.problem_status or "missing", target.problem)
        failure = self.load_failures.get(target.key)
        if failure is not None:
            raise AssignmentUnavailable(
                failure.status, f"Not graded: {target.filename} could not be loaded.")
        sandbox = self._sandboxes.get(target.key)
        if sandbox is None or not sandbox.alive:
            budget = self._budgets.setdefault(target.submission,
                                              Budget(self.submission_seconds))
            limits = self.limits
            if target.key in self._timed_out:
                limits = replace(limits, call_seconds=min(limits.call_seconds,
                                                          limits.after_timeout_seconds))
            try:
                sandbox = self.zygote.sandbox(
                    path=target.path, module=target.assignment.module, limits=limits,
                    budget=budget, label=target.filename)
            except SandboxFailure as error:
                self.load_failures[target.key] = error
                raise AssignmentUnavailable(error.status, error.feedback) from error
            self._sandboxes[target.key] = sandbox
        return sandbox

    def reference_run(self, assignment: Assignment, scenario: Callable[..., Any],
                      args: dict[str, Any], position: str) -> Any:
        """The reference's answer, computed once per scenario and inputs in a session."""
        key = f"{assignment.name}:{_memo_key(scenario, args)}"
        if key not in self._memo:
            self._memo[key] = self.reference.answer(assignment, scenario, args, position)
        if self.recorded is not None:
            self.recorded.setdefault(assignment.name, {}).setdefault(
                position, Recording(inputs=copy.deepcopy(args), answer=self._memo[key]))
        return _fresh(self._memo[key])

    def release(self, target: Target) -> None:
        """Ends the target's sandbox: its assignment's checks are done."""
        sandbox = self._sandboxes.pop(target.key, None)
        if sandbox is not None:
            sandbox.discard()

    def close(self) -> None:
        for sandbox in self._sandboxes.values():
            sandbox.discard()
        self._sandboxes.clear()
        self.reference.close()


def _memo_key(scenario: Callable[..., Any], args: dict[str, Any]) -> str:
    tree, tensors = encode_value(args)
    digest = hashlib.sha256(f"{scenario.__module__}:{scenario.__qualname__}".encode())
    digest.update(json.dumps(tree, sort_keys=True).encode())
    for name in sorted(tensors):
        raw = tensors[name].reshape(-1).view(torch.uint8)  # any dtype, bfloat16 too
        digest.update(name.encode() + raw.numpy().tobytes())
    return digest.hexdigest()


class StudentHandle:
    """The ``submission`` fixture: runs scenarios on the student's code.

    A dict result comes back as an :class:`~autograder.judge.compare.Answer`,
    so a missing key fails the check. :attr:`answered` tells the plugin that
    the check has handled student data: from then on, anything the check
    raises is that check's failure, never an internal error of the grader.
    """

    def __init__(self, runtime: Runtime, target: Target) -> None:
        self._runtime, self._target = runtime, target
        self.answered = False

    def run(self, scenario: Callable[..., Any], /, **args: Any) -> Any:
        with torch._C.DisableTorchFunction():  # the wire, not the check's inputs: no modes
            result = self._runtime.student_run(self._target, scenario, args)
        self.answered = True
        return Answer(result) if type(result) is dict else result


class ReferenceHandle:
    """The ``reference`` fixture: the same scenarios on the reference solution.

    Each call is named by its position in the check (see
    :func:`~autograder.judge.snapshots.position`), which is how recorded
    snapshots find their answer.
    """

    def __init__(self, runtime: Runtime, assignment: Assignment, check_id: str) -> None:
        self._runtime, self._assignment, self._check_id = runtime, assignment, check_id
        self._calls: Counter[str] = Counter()

    def run(self, scenario: Callable[..., Any], /, **args: Any) -> Any:
        where = position(self._check_id, scenario, self._calls[scenario.__qualname__])
        self._calls[scenario.__qualname__] += 1
        with torch._C.DisableTorchFunction():
            return self._runtime.reference_run(self._assignment, scenario, args, where)


_IMMUTABLE = (type(None), bool, int, float, complex, str, bytes, torch.dtype, torch.device)


def _fresh(value: Any) -> Any:
    """A copy of a reference answer that a check may change at will: ``copy.deepcopy``'s
    result, built directly for what answers hold (a few times faster, once per check)."""
    kind = type(value)
    if kind in _IMMUTABLE:
        return value
    if kind is torch.Tensor and value.is_leaf:
        return value.detach().clone().requires_grad_(value.requires_grad)
    if kind in (list, tuple):
        return kind(_fresh(item) for item in value)
    if kind in (dict, Answer):
        return kind((key, _fresh(item)) for key, item in value.items())
    return copy.deepcopy(value)

