"""The catalogue of student mistakes and correct alternatives, graded in one batch.

Every variant is a full submission: the reference with one assignment's file
edited (see ``tests/catalogue``). A mistake must cost points in its own
assignment only, fail exactly the checks it names and say why in its
feedback; an alternative must get full marks. The batch also holds a
submission of zeros of the right shapes and the stubs of the student release
(graded once per session, :mod:`tests.catalogue.grading`).
"""

from __future__ import annotations

import pytest

from autograder.catalogue import (
    Alternative,
    Mistake,
    alternative_problems,
    mistake_problems,
)
from autograder.results import AssignmentResult, SubmissionResult
from tests.catalogue.grading import ASSIGNMENTS, CATALOGUE, LIMITS, SEED  # noqa: F401

MISTAKES = list(CATALOGUE.mistakes)
UNCAUGHT = list(CATALOGUE.uncaught)
ALTERNATIVES = list(CATALOGUE.alternatives)

# SPEC §2: on a CPU-only machine these still lose their device points (the stand-in
# accelerator of autograder.sandbox.standin, or 05's recorded moves).
DEVICE_CASES = {
    "01_manual_autograd:gradient_buffer_without_device": "01_manual_autograd/device_and_dtype",
    "01_manual_autograd:module_level_device": "01_manual_autograd/device_and_dtype",
    "01_manual_autograd:loss_rebuilt_on_cpu": "01_manual_autograd/device_and_dtype",
    "01_manual_autograd:forward_hard_codes_cuda": "01_manual_autograd/device_and_dtype",
    "02_my_linear:device_ignored": "02_my_linear/device_and_dtype",
    "02_my_linear:device_from_cuda_availability": "02_my_linear/device_and_dtype",
    "02_my_linear:bias_without_device": "02_my_linear/device_and_dtype",
    "05_training_loop:device_only_inputs_moved": "05_training_loop/device",
    "05_training_loop:device_hard_coded_cpu": "05_training_loop/device",
}


def _label(variant: Mistake | Alternative) -> str:
    return variant.label


@pytest.fixture(scope="module")
def batch(catalogue_batch) -> dict[str, SubmissionResult]:
    """Every variant, the zeros and the stubs, graded in one batch; results by label."""
    return catalogue_batch


def _by_name(result: SubmissionResult) -> dict[str, AssignmentResult]:
    return {a.name: a for a in result.assignments}


def _others_full(result: SubmissionResult, edited: str) -> None:
    got = {name: (a.status, a.score) for name, a in _by_name(result).items() if name != edited}
    assert got == {name: ("graded", 20.0) for name in ASSIGNMENTS if name != edited}


@pytest.mark.parametrize("mistake", MISTAKES, ids=_label)
def test_mistake_is_caught_in_its_own_assignment_only(batch, mistake):
    """Its assignment loses exactly the declared checks, says why; the others keep 20/20."""
    assert mistake_problems(batch[mistake.label], mistake) == []
    own = _by_name(batch[mistake.label])[mistake.assignment]
    assert own.score < own.max_score


@pytest.mark.parametrize("mistake", UNCAUGHT, ids=_label)
@pytest.mark.xfail(strict=True, reason="a real mistake the checks miss (see UNCAUGHT); "
                                       "once caught, move it to MISTAKES")
def test_uncaught_mistake_loses_points(batch, mistake):
    result = batch[_label(mistake)]
    _others_full(result, mistake.assignment)
    assert _by_name(result)[mistake.assignment].score < 20.0


@pytest.mark.parametrize("alternative", ALTERNATIVES, ids=_label)
def test_alternative_gets_full_marks(batch, alternative):
    result = batch[alternative.label]
    assert alternative_problems(result) == []
    assert (result.score, result.max_score) == (100.0, 100.0)


@pytest.mark.parametrize("label,check", sorted(DEVICE_CASES.items()))
def test_device_mistakes_lose_device_points_on_cpu(batch, label, check):
    assignment = check.split("/")[0]
    device_check = next(c for c in _by_name(batch[label])[assignment].checks if c.id == check)
    assert device_check.status in ("failed", "error"), device_check.feedback
    assert device_check.points == 0.0 < device_check.max_points


def test_zeros_of_the_right_shapes_score_at_most_10(batch):
    result = batch["zeros"]
    assert result.score <= 10.0, {a.name: a.score for a in result.assignments}


def test_zeros_are_graded_and_lose_points_everywhere(batch):
    assignments = batch["zeros"].assignments
    assert [a.status for a in assignments] == ["graded"] * len(ASSIGNMENTS)
    assert all(a.score < a.max_score / 4 for a in assignments), [a.score for a in assignments]


def test_stubs_score_zero(batch):
    result = batch["stubs"]
    assert result.score == 0.0
    assert {c.status for a in result.assignments for c in a.checks} == {"not_implemented"}


def test_catalogue_is_large_enough():
    per_assignment = {name: sum(m.assignment == name for m in MISTAKES) for name in ASSIGNMENTS}
    assert len(MISTAKES) >= 30 and min(per_assignment.values()) >= 3, per_assignment
    assert len(ALTERNATIVES) >= 12
